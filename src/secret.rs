//! Secrets: a wrapper that never prints, and the redactor every output passes through.
//!
//! Secrets are kept out of messages by construction ([`Secret`] has no `Display` and a
//! redacted `Debug`). As a second line of defence every byte a reporter writes — log lines,
//! step outputs, summaries, JSON — goes through [`Redactor::clean`], which replaces any
//! registered secret with `***`. On GitHub the secrets are also masked with `::add-mask::`
//! before anything else is printed.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

/// A secret value. `Debug` shows `Secret(***)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for signing and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Replaces every known secret in text with `***`.
///
/// A handle: clones share one list, so a secret learnt at run time (an access token fetched
/// mid-wait) is registered once by whoever learns it and is redacted by every reporter from
/// then on. [`Out`](crate::report::Out) on GitHub also masks secrets added after it started.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Known>>,
}

#[derive(Debug, Default)]
struct Known {
    /// Longest first, so a secret containing another is replaced whole.
    by_length: Vec<String>,
    /// In the order they were registered (for masking the ones added later).
    in_order: Vec<String>,
}

impl Redactor {
    /// Registers a secret. Values shorter than 4 characters are not registered: replacing
    /// them would mangle ordinary text (and they are not secrets worth the name).
    pub fn add(&self, secret: &str) {
        let s = secret.trim();
        if s.chars().count() < 4 {
            return;
        }
        let mut known = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if !known.in_order.iter().any(|x| x == s) {
            known.in_order.push(s.to_string());
            known.by_length.push(s.to_string());
            known.by_length.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// The registered secrets, in the order they were registered (for `::add-mask::`).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets_since(0)
    }

    /// The secrets registered after the first `n`, in order.
    pub fn secrets_since(&self, n: usize) -> Vec<String> {
        let known = self.inner.read().unwrap_or_else(|e| e.into_inner());
        known.in_order.iter().skip(n).cloned().collect()
    }

    /// How many secrets are registered.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .in_order
            .len()
    }

    /// Whether no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` with every registered secret replaced by `***`.
    pub fn clean<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.clean_escaped(text, &[])
    }

    /// `text` with every registered secret replaced by `***`, in its raw form and in each
    /// form `escapes` make of it (the format `text` is written in: JSON, XML, a Markdown cell,
    /// a CI command's data), longest first so that a form containing another goes whole.
    pub fn clean_escaped<'a>(&self, text: &'a str, escapes: &[Escape]) -> Cow<'a, str> {
        let known = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if known.by_length.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut forms: Vec<String> =
            Vec::with_capacity(known.by_length.len() * (1 + escapes.len()));
        for s in &known.by_length {
            forms.push(s.clone());
            for e in escapes {
                forms.push(e(s));
            }
        }
        drop(known);
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        let mut out = Cow::Borrowed(text);
        for f in forms.iter().filter(|f| !f.is_empty()) {
            if out.contains(f.as_str()) {
                out = Cow::Owned(out.replace(f.as_str(), "***"));
            }
        }
        out
    }

    /// Redacts every string in a JSON value, not the keys: what is written stays the same
    /// document with `***` in place of secrets (never a rewritten key or broken quote).
    pub fn clean_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                if let Cow::Owned(c) = self.clean(s) {
                    *s = c;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.clean_json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.clean_json(v)),
            _ => {}
        }
    }
}

/// How a format writes a value (JSON string escaping, XML escaping, a Markdown cell, a CI
/// command's data): [`Redactor::clean_escaped`] redacts secrets in these forms too.
pub type Escape = fn(&str) -> String;

/// A string as JSON writes it between its quotes (serde_json's escaping: `\"`, `\\`, `\n`,
/// `\uXXXX` for other control characters).
pub fn json_escaped(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter22");
    }

    #[test]
    fn redactor_replaces_every_occurrence_longest_first() {
        let r = Redactor::default();
        r.add("abcd");
        r.add("abcdefgh");
        r.add("ab"); // too short to register
        assert_eq!(r.clean("x abcdefgh y abcd z ab"), "x *** y *** z ab");
        assert!(matches!(r.clean("nothing here"), Cow::Borrowed(_)));
        assert_eq!(r.secrets().len(), 2);
    }

    #[test]
    fn clones_share_secrets_added_later() {
        let r = Redactor::default();
        let handle = r.clone();
        r.add("first-secret");
        handle.add("token-learnt-at-run-time");
        assert_eq!(r.clean("a token-learnt-at-run-time b"), "a *** b");
        assert_eq!(
            r.secrets_since(1),
            vec!["token-learnt-at-run-time".to_string()]
        );
        handle.add("first-secret");
        assert_eq!(r.len(), 2, "no duplicates");
    }
}
