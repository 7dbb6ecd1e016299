//! Reporters: what the CI system (or a person) sees of a wait.
//!
//! Each reporter is an [`Observer`] of the engine plus two endings: [`Reporter::finish`]
//! with the [`Summary`], or [`Reporter::config_error`] when the inputs were bad. What is the
//! same for all of them lives here: the log line for each event ([`event_line`]), the
//! outputs ([`Outputs`]), the JSON `result` ([`json::result`]) and sanitising of provider
//! text ([`clean`]). Every byte goes out through [`Out`], which redacts secrets.
//!
//! The wait engine does not know which reporter listens; a reporter does not know which
//! provider produced the observations.

pub mod azure_pipelines;
pub mod gantt;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod plain;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::ConfigError;
use crate::duration;
use crate::provider::{ProviderError, State, is_hostile_char};
use crate::secret::{Escape, Redactor};
use crate::wait::{Event, Observer, OperationResult, Outcome, Status, Summary};

/// Where results go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// GitHub Actions: workflow commands, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`.
    Github,
    /// A terminal (progress display) or a plain log (one line per change).
    Plain,
    /// One JSON object on stdout; progress lines on stderr.
    Json,
    /// GitLab CI: collapsible sections, coloured lines, a dotenv report.
    Gitlab,
    /// Azure Pipelines: `##vso` logging commands and `##[group]`.
    AzurePipelines,
}

impl ReportKind {
    /// `auto`: GitHub Actions when `GITHUB_ACTIONS=true`, GitLab CI when `GITLAB_CI=true`,
    /// Azure Pipelines when `TF_BUILD=True` (the agent sets it for every process), else
    /// plain.
    pub fn detect(env: &HashMap<String, String>) -> Self {
        let is_true = |name: &str| {
            env.get(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        if env.get("GITHUB_ACTIONS").map(String::as_str) == Some("true") {
            ReportKind::Github
        } else if is_true("GITLAB_CI") {
            ReportKind::Gitlab
        } else if is_true("TF_BUILD") {
            ReportKind::AzurePipelines
        } else {
            ReportKind::Plain
        }
    }
}

/// Report files and switches that come from inputs rather than the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// GitLab: where the dotenv report goes (`dotenv-file`).
    pub dotenv_file: Option<PathBuf>,
    /// Any reporter: where a JUnit XML report goes (`junit-file`), if anywhere.
    pub junit_file: Option<PathBuf>,
}

/// A sink for one wait.
pub trait Reporter: Observer {
    /// The wait ended: write the final lines, outputs and summary.
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()>;
    /// The inputs were refused before any request: say so the CI system's way and write
    /// outputs with `status=error`.
    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()>;
}

/// Builds the reporter for `kind`. `env` supplies `GITHUB_OUTPUT` and friends; `options`
/// the report files. A JUnit file, when asked for, is written whatever the kind.
pub fn new(
    kind: ReportKind,
    redactor: Redactor,
    env: &HashMap<String, String>,
    options: &Options,
) -> Box<dyn Reporter> {
    let inner: Box<dyn Reporter> = match kind {
        ReportKind::Github => Box::new(github::Github::from_env(redactor.clone(), env)),
        ReportKind::Plain => Box::new(plain::Plain::new(redactor.clone())),
        ReportKind::Json => Box::new(json::Json::new(redactor.clone())),
        ReportKind::Gitlab => Box::new(gitlab::Gitlab::from_env(
            redactor.clone(),
            env,
            options.dotenv_file.clone(),
        )),
        ReportKind::AzurePipelines => {
            Box::new(azure_pipelines::AzurePipelines::stdout(redactor.clone()))
        }
    };
    match &options.junit_file {
        Some(path) => Box::new(junit::WithJunit::new(inner, path.clone(), redactor)),
        None => inner,
    }
}

/// A line writer that redacts secrets and ignores a closed pipe.
///
/// Lines are redacted after they were built, so the redactor is given every form a secret can
/// take in them: raw, as [`clean`] shows it, and as the CI system's command escaping writes it
/// ([`Out::with_forms`]). Command lines are written with [`Out::command`], which redacts the
/// data and never the command itself (a secret equal to `status` or `error` must not rewrite
/// `variable=status` or `::error`).
pub struct Out {
    writer: Box<dyn Write>,
    redactor: Redactor,
    /// The forms besides the raw one in which a secret may appear in a line.
    forms: Vec<Escape>,
    /// With a CI system that masks secrets in its logs: how, and how many of the redactor's
    /// secrets were already announced. Secrets registered later (tokens fetched mid-wait)
    /// are announced before the next line.
    masking: Option<(Masking, usize)>,
}

/// How a CI system is told which values to mask in its logs.
#[derive(Clone, Copy)]
pub struct Masking {
    /// The command that registers one line of a secret (`::add-mask::…`).
    pub announce: fn(&str) -> String,
    /// The form a secret takes once escaped for the system's commands, when it differs:
    /// redacted in that form too, since lines are redacted after escaping.
    pub escaped: Option<Escape>,
}

impl Out {
    /// Writes to `writer`, redacting with `redactor`.
    pub fn new(writer: Box<dyn Write>, redactor: Redactor) -> Self {
        Out {
            writer,
            redactor,
            forms: vec![clean],
            masking: None,
        }
    }

    /// Like [`Out::new`], and announces every secret with `masking` now and, for secrets
    /// registered later, before the next line.
    pub fn masking(writer: Box<dyn Write>, redactor: Redactor, masking: Masking) -> Self {
        let mut out = Out::new(writer, redactor).with_forms(masking.escaped.as_slice());
        out.masking = Some((masking, 0));
        out.mask_new();
        out
    }

    /// Also redacts secrets in the forms `forms` make of them (a CI system's escaping of
    /// command data, alone and after [`clean`]).
    pub fn with_forms(mut self, forms: &[Escape]) -> Self {
        for f in forms {
            self.forms.push(*f);
        }
        self
    }

    fn mask_new(&mut self) {
        let Some((masking, done)) = self.masking else {
            return;
        };
        let new = self.redactor.secrets_since(done);
        if new.is_empty() {
            return;
        }
        for s in &new {
            for line in s.lines().filter(|l| !l.trim().is_empty()) {
                self.raw_line(&(masking.announce)(line));
            }
        }
        self.masking = Some((masking, done + new.len()));
    }

    /// Writes one line, secrets (in every form) replaced by `***`.
    pub fn line(&mut self, text: &str) {
        self.mask_new();
        let text = self.redactor.clean_escaped(text, &self.forms);
        let _ = writeln!(self.writer, "{text}");
        let _ = self.writer.flush();
    }

    /// Writes an ordinary log line: [`defuse`]d, so that no text in it can be taken for a
    /// command, then as [`Out::line`].
    pub fn log(&mut self, text: &str) {
        self.line(&defuse(text));
    }

    /// Writes a command line: `head` (the command, built by the reporter from its own words)
    /// as is, then `data` redacted.
    pub fn command(&mut self, head: &str, data: &str) {
        self.mask_new();
        let data = self.redactor.clean_escaped(data, &self.forms);
        let _ = writeln!(self.writer, "{head}{data}");
        let _ = self.writer.flush();
    }

    /// Writes a JSON document on one line, every string in it redacted and nothing else:
    /// never a key or the document's structure.
    pub fn json(&mut self, value: &serde_json::Value) {
        self.mask_new();
        let mut value = value.clone();
        self.redactor.clean_json(&mut value);
        let _ = writeln!(self.writer, "{value}");
        let _ = self.writer.flush();
    }

    /// Writes one line as is. Only for `::add-mask::`, which must carry the secret.
    pub fn raw_line(&mut self, text: &str) {
        let _ = writeln!(self.writer, "{text}");
        let _ = self.writer.flush();
    }

    /// The redactor in use.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

/// The one sanitiser of server text (status words, messages, ids, URLs from answers) for
/// every sink: made safe for one log line, a CI command's data, a Markdown cell, a dotenv
/// value or XML. Line breaks and every [`is_hostile_char`] (escape sequences that could drive
/// a terminal or start a command, bidirectional overrides, characters XML forbids) are shown
/// escaped; a tab becomes a space.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if is_hostile_char(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// An ordinary log line that no CI system can take for a command, checked line by line (a
/// bare `\r` ends a line for the runners): `##` before `[` or `vso[` (any case) is broken up
/// (`##vso[` is an Azure Pipelines command anywhere in a line, `##[` a formatting command
/// there and a legacy GitHub command anywhere), and a line that would start with `::` after
/// its leading white space (a GitHub workflow command) gets a space between the colons.
pub fn defuse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive(['\n', '\r']) {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        let body = match body.strip_prefix("::") {
            Some(rest) => {
                out.push_str(": :");
                rest
            }
            None => body,
        };
        let mut rest = body;
        while let Some(i) = rest.find("##") {
            let after = &rest[i + 2..];
            let command = after.starts_with('[')
                || after
                    .get(..4)
                    .is_some_and(|w| w.eq_ignore_ascii_case("vso["));
            if command {
                out.push_str(&rest[..i]);
                out.push_str("# #");
            } else {
                out.push_str(&rest[..i + 1]);
                // Look again from the second `#` (`###[` holds `##[`).
                rest = &rest[i + 1..];
                continue;
            }
            rest = after;
        }
        out.push_str(rest);
    }
    out
}

/// `[  1m05s]`: the elapsed-time prefix of log lines.
pub fn stamp(elapsed: Duration) -> String {
    format!("[{:>6}]", duration::format(elapsed))
}

/// The log line for an event, or `None` for events that only show in debug mode.
pub fn event_line(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Started {
            provider,
            ids,
            timeout,
        } => Some(format!(
            "Waiting for {} on {provider} (timeout {})",
            plural(ids.len(), "operation"),
            duration::format(*timeout)
        )),
        Event::Request { .. } => None,
        Event::Submitting {
            provider,
            paths,
            calls,
        } => Some(format!(
            "Purging {} on {provider} ({})",
            plural(*paths, "path"),
            plural(*calls, "call")
        )),
        Event::Submitted { ids, elapsed } => Some(format!(
            "{} purge accepted: {} {}",
            stamp(*elapsed),
            noun(ids.len(), "operation"),
            ids.iter()
                .map(|id| clean(id))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Event::SubmitFailed {
            error,
            retry_in,
            attempt,
            elapsed,
        } => {
            let error = clean(&error.to_string());
            Some(match retry_in {
                Some(d) => format!(
                    "{} purge call failed (attempt {attempt}): {error}; sending again in {}",
                    stamp(*elapsed),
                    duration::format(*d)
                ),
                None => format!("{} purge refused: {error}", stamp(*elapsed)),
            })
        }
        Event::Observed {
            observation: o,
            changed,
            elapsed,
            next_in,
        } => {
            if !changed {
                return None;
            }
            let mut line = format!(
                "{} {}: {}",
                stamp(*elapsed),
                clean(&o.id),
                clean(&o.raw_status)
            );
            if let Some(p) = o.progress {
                line.push_str(&format!(" {p:.0}%"));
            }
            if let Some(m) = &o.message {
                line.push_str(&format!(" - {}", clean(m)));
            }
            if o.state == State::Unrecognized {
                line.push_str(" (a status word purge-wait does not know; still waiting)");
            }
            if let Some(n) = next_in {
                line.push_str(&format!(" (next poll in {})", duration::format(*n)));
            }
            Some(line)
        }
        Event::ReadFailed {
            id,
            error,
            retry_in,
            attempt,
            elapsed,
        } => {
            let error = clean(&error.to_string());
            let what = match retry_in {
                Some(d) => format!(
                    "could not read status (attempt {attempt}): {error}; retrying in {}",
                    duration::format(*d)
                ),
                None if attempt > &1 => {
                    format!("could not read status (attempt {attempt}): {error}; giving up")
                }
                None => error,
            };
            Some(format!("{} {}: {what}", stamp(*elapsed), clean(id)))
        }
        Event::Heartbeat {
            pending,
            total,
            elapsed,
        } => Some(format!(
            "{} still waiting: {pending} of {total} pending",
            stamp(*elapsed)
        )),
    }
}

/// One line per operation for the end of the log.
pub fn result_line(r: &OperationResult) -> String {
    format!("{:<9} {}", r.outcome.as_str(), detail(r))
}

/// What to say about an operation's end: status word, message, error.
pub fn detail(r: &OperationResult) -> String {
    let mut parts = vec![clean(&r.id)];
    if let Some(last) = &r.last {
        parts.push(clean(&last.raw_status));
        if let Some(m) = &last.message {
            parts.push(clean(m));
        }
        for (k, v) in &last.details {
            if r.outcome == Outcome::Failed {
                parts.push(format!("{k}: {}", clean(v)));
            }
        }
        if r.outcome == Outcome::Pending && last.state == State::Unrecognized {
            parts.push(format!(
                "status {:?} is not one purge-wait knows, so it was not taken as success",
                clean(&last.raw_status)
            ));
        }
    }
    if let Some(e) = &r.error {
        let prefix = if r.outcome == Outcome::Pending {
            "last read failed: "
        } else {
            ""
        };
        parts.push(format!("{prefix}{}", clean(&e.to_string())));
    }
    parts.join(" - ")
}

/// How loud a [`Notice`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The step fails because of it (or the operation did).
    Error,
    /// Worth knowing; the step's result does not hang on it.
    Warning,
}

impl Level {
    /// `error` or `warning`: the word both GitHub (`::error`) and Azure Pipelines
    /// (`task.logissue type=error`) use.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One thing a CI system should flag when the wait ends: a failed or unreadable operation, a
/// refused purge, a timeout or interruption, or a warning such as a purge sent twice.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Error or warning.
    pub level: Level,
    /// A short title, e.g. `CDN purge operation failed`.
    pub title: &'static str,
    /// The details (may hold line breaks; reporters escape them).
    pub message: String,
}

/// Every notice of a finished wait, in the order to show them. `soft` says what a timeout
/// means when `fail-on-timeout` is false, in the CI system's words (`the step succeeds`).
pub fn notices(s: &Summary, fail_on_timeout: bool, soft: &str) -> Vec<Notice> {
    let notice = |level, title, message| Notice {
        level,
        title,
        message,
    };
    let mut out: Vec<Notice> = s
        .operations
        .iter()
        .filter_map(|r| {
            let title = match r.outcome {
                Outcome::Failed => "CDN purge operation failed",
                Outcome::Cancelled => "CDN purge operation was cancelled",
                Outcome::Error => "Could not read the CDN operation status",
                Outcome::Succeeded | Outcome::Pending => return None,
            };
            Some(notice(Level::Error, title, detail(r)))
        })
        .collect();
    if let Some(e) = s.purge.as_ref().and_then(|p| p.error.as_ref()) {
        out.push(notice(
            Level::Error,
            "CDN purge refused",
            clean(&e.to_string()),
        ));
    }
    match s.status {
        Status::TimedOut => {
            let pending: Vec<String> = s
                .operations
                .iter()
                .filter(|r| r.outcome == Outcome::Pending)
                .map(detail)
                .collect();
            let tail = if fail_on_timeout {
                String::new()
            } else {
                format!(" (fail-on-timeout is false: {soft})")
            };
            let message = format!("{}{tail}\n{}", headline(s), pending.join("\n"));
            out.push(notice(Level::Warning, "CDN purge wait timed out", message));
        }
        Status::Interrupted => {
            out.push(notice(
                Level::Warning,
                "CDN purge wait interrupted",
                headline(s),
            ));
        }
        _ => {}
    }
    for w in &s.warnings {
        out.push(notice(Level::Warning, "purge-wait", clean(w)));
    }
    out
}

/// The final sentence, e.g. `3 of 3 operations succeeded in 12s (7 requests)`.
pub fn headline(s: &Summary) -> String {
    let total = s.operations.len();
    let when = format!(
        "in {} ({})",
        duration::format(s.elapsed),
        plural(s.polls as usize, "request")
    );
    let failed = s.count(Outcome::Failed) + s.count(Outcome::Cancelled);
    if let Some(e) = s.purge.as_ref().and_then(|p| p.error.as_ref()) {
        return format!(
            "the purge was refused, nothing was waited on: {}",
            clean(&e.to_string())
        );
    }
    match s.status {
        Status::Succeeded => format!(
            "{} of {total} {} succeeded {when}",
            s.count(Outcome::Succeeded),
            noun(total, "operation")
        ),
        Status::Failed => format!(
            "{failed} of {total} {} failed {when}",
            noun(total, "operation")
        ),
        Status::Error => format!(
            "could not read the status of {} of {total} {when}",
            s.count(Outcome::Error)
        ),
        // Why it stopped, when not simply at the deadline: a Retry-After beyond it, a purge
        // call not answered before it.
        Status::TimedOut if total == 0 && s.reason.is_some() => {
            clean(s.reason.as_deref().unwrap_or_default())
        }
        Status::TimedOut => format!(
            "{}: {} of {total} still pending ({})",
            match &s.reason {
                Some(reason) => clean(reason),
                None => format!("timed out after {}", duration::format(s.timeout)),
            },
            s.count(Outcome::Pending),
            plural(s.polls as usize, "request")
        ),
        Status::Interrupted => format!(
            "interrupted after {}: {} of {total} still pending",
            duration::format(s.elapsed),
            s.count(Outcome::Pending)
        ),
    }
}

fn noun(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `1 operation`, `3 operations`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// The step outputs, in the order they are written.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs(pub Vec<(&'static str, String)>);

impl Outputs {
    /// Every output, in the order written. `action.yml` declares each (a test checks).
    pub const NAMES: [&'static str; 10] = [
        "status",
        "operation-ids",
        "succeeded",
        "failed",
        "pending",
        "errors",
        "elapsed-seconds",
        "timed-out",
        "polls",
        "result",
    ];

    fn from_values(values: [String; 10]) -> Self {
        Outputs(Self::NAMES.into_iter().zip(values).collect())
    }

    /// Outputs of a finished wait.
    pub fn from_summary(s: &Summary) -> Self {
        let ids: Vec<String> = s.operations.iter().map(|o| clean(&o.id)).collect();
        Self::from_values([
            s.status.as_str().to_string(),
            ids.join(","),
            s.count(Outcome::Succeeded).to_string(),
            (s.count(Outcome::Failed) + s.count(Outcome::Cancelled)).to_string(),
            s.count(Outcome::Pending).to_string(),
            s.count(Outcome::Error).to_string(),
            s.elapsed.as_secs_f64().round().to_string(),
            s.timed_out().to_string(),
            s.polls.to_string(),
            json::result(s).to_string(),
        ])
    }

    /// Outputs when the inputs were refused: `status=error`, nothing polled.
    pub fn from_config_error(error: &ConfigError, ids: &[String]) -> Self {
        let ids: Vec<String> = ids.iter().map(|id| clean(id)).collect();
        Self::from_values([
            Status::Error.as_str().to_string(),
            ids.join(","),
            "0".into(),
            "0".into(),
            "0".into(),
            ids.len().to_string(),
            "0".into(),
            "false".into(),
            "0".into(),
            json::config_error(error, &ids).to_string(),
        ])
    }
}

impl Outputs {
    /// The outputs with each value redacted on its own (the JSON `result` string by string),
    /// so that redaction never touches a name, a delimiter or a JSON key.
    pub fn redacted(&self, redactor: &Redactor) -> Outputs {
        Outputs(
            self.0
                .iter()
                .map(|(name, value)| {
                    let json = (*name == "result")
                        .then(|| serde_json::from_str::<serde_json::Value>(value).ok())
                        .flatten();
                    let value = match json {
                        Some(mut v) => {
                            redactor.clean_json(&mut v);
                            v.to_string()
                        }
                        None => redactor.clean(value).into_owned(),
                    };
                    (*name, value)
                })
                .collect(),
        )
    }
}

/// `s` with every secret redacted from the text in it (ids, status words, messages, details,
/// errors, warnings) before any format is made of it: what a format then escapes holds no
/// secret, so no escaped form of one (JSON, XML, Markdown, command data) can be written, and
/// nothing of the format's own structure is ever redacted.
pub fn redacted(s: &Summary, redactor: &Redactor) -> Summary {
    let text = |t: &str| redactor.clean(t).into_owned();
    let mut s = s.clone();
    for r in &mut s.operations {
        r.id = text(&r.id);
        if let Some(o) = &mut r.last {
            o.id = text(&o.id);
            o.raw_status = text(&o.raw_status);
            o.message = o.message.as_deref().map(text);
            for (k, v) in &mut o.details {
                *k = text(k);
                *v = text(v);
            }
        }
        if let Some(e) = &mut r.error {
            redact_error(e, redactor);
        }
    }
    for w in &mut s.warnings {
        *w = text(w);
    }
    if let Some(e) = s.purge.as_mut().and_then(|p| p.error.as_mut()) {
        redact_error(e, redactor);
    }
    s
}

/// A configuration error with its message redacted (see [`redacted`]).
pub fn redacted_config_error(e: &ConfigError, redactor: &Redactor) -> ConfigError {
    let mut e = e.clone();
    e.message = redactor.clean(&e.message).into_owned();
    e
}

fn redact_error(e: &mut ProviderError, redactor: &Redactor) {
    let text = |t: &str| redactor.clean(t).into_owned();
    e.message = text(&e.message);
    e.code = e.code.as_deref().map(text);
    e.hint = e.hint.as_deref().map(text);
    for (_, v) in e.request_id.iter_mut().chain(e.correlation_id.iter_mut()) {
        *v = text(v);
    }
}

/// Both results of two writes: when both fail, one error that says both.
pub fn both(first: io::Result<()>, second: io::Result<()>) -> io::Result<()> {
    match (first, second) {
        (Err(a), Err(b)) => Err(io::Error::new(a.kind(), format!("{a}; and {b}"))),
        (a, b) => a.and(b),
    }
}

/// The exit code a summary maps to (see the README's table).
pub fn exit_code(s: &Summary, fail_on_timeout: bool) -> u8 {
    match s.status {
        Status::Succeeded => 0,
        Status::Failed => 1,
        Status::Error => 3,
        Status::TimedOut if fail_on_timeout => 124,
        Status::TimedOut => 0,
        Status::Interrupted => 130,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod ci_tests;

#[cfg(test)]
mod hostile_tests;
