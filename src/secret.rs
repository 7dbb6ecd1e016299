//! Secrets: a wrapper that never prints, and the redactor every output passes through.
//!
//! Secrets are kept out of messages by construction ([`Secret`] has no `Display` and a
//! redacted `Debug`). As a second line of defence every byte a reporter writes — log lines,
//! step outputs, summaries, JSON — goes through [`Redactor::clean`], which replaces any
//! registered secret with `***`. On GitHub the secrets are also masked with `::add-mask::`
//! before anything else is printed.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

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
/// A handle: clones share one list, so a secret learned during the wait (temporary
/// credentials issued by an STS, an OIDC token) and registered through any clone is redacted
/// by every writer from then on.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<Mutex<Vec<String>>>,
}

impl Redactor {
    fn list(&self) -> MutexGuard<'_, Vec<String>> {
        // A panic while holding the lock cannot leave the list half-written.
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a secret. Values shorter than 4 characters are not registered: replacing
    /// them would mangle ordinary text (and they are not secrets worth the name).
    pub fn add(&self, secret: &str) {
        let s = secret.trim();
        let mut secrets = self.list();
        if s.chars().count() >= 4 && !secrets.iter().any(|x| x == s) {
            secrets.push(s.to_string());
            // Longest first, so a secret containing another is replaced whole.
            secrets.sort_by_key(|x| std::cmp::Reverse(x.len()));
        }
    }

    /// The registered secrets (for `::add-mask::`), longest first.
    pub fn secrets(&self) -> Vec<String> {
        self.list().clone()
    }

    /// `text` with every registered secret replaced by `***`.
    pub fn clean<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in self.list().iter() {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), "***"));
            }
        }
        out
    }
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
    fn clones_share_secrets_learned_later() {
        let r = Redactor::default();
        let writer = r.clone();
        r.add("issued-later-token");
        assert_eq!(writer.clean("t=issued-later-token"), "t=***");
    }
}
