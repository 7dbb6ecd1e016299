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
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod plain;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::duration;
use crate::error::ConfigError;
use crate::provider::State;
use crate::secret::Redactor;
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
pub struct Out {
    writer: Box<dyn Write>,
    redactor: Redactor,
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
    /// registered with the redactor too, since lines are redacted after escaping.
    pub escaped: Option<fn(&str) -> String>,
}

impl Out {
    /// Writes to `writer`, redacting with `redactor`.
    pub fn new(writer: Box<dyn Write>, redactor: Redactor) -> Self {
        Out {
            writer,
            redactor,
            masking: None,
        }
    }

    /// Like [`Out::new`], and announces every secret with `masking` now and, for secrets
    /// registered later, before the next line.
    pub fn masking(writer: Box<dyn Write>, redactor: Redactor, masking: Masking) -> Self {
        let mut out = Out {
            writer,
            redactor,
            masking: Some((masking, 0)),
        };
        out.mask_new();
        out
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
            if let Some(escaped) = masking.escaped {
                self.redactor.add(&escaped(s));
            }
            for line in s.lines().filter(|l| !l.trim().is_empty()) {
                self.raw_line(&(masking.announce)(line));
            }
        }
        // The escaped forms just registered are redacted, not announced.
        self.masking = Some((masking, self.redactor.len()));
    }

    /// Writes one line, secrets replaced by `***`.
    pub fn line(&mut self, text: &str) {
        self.mask_new();
        let text = self.redactor.clean(text);
        let _ = writeln!(self.writer, "{text}");
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

/// Provider text made safe for one log line: control characters (line breaks, escape
/// sequences that could drive a terminal or start a workflow command) are shown escaped.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
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
            ids.join(", ")
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
            let mut line = format!("{} {}: {}", stamp(*elapsed), o.id, clean(&o.raw_status));
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
            Some(format!("{} {id}: {what}", stamp(*elapsed)))
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
    let mut parts = vec![r.id.clone()];
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
        out.push(notice(Level::Warning, "purge-wait", w.clone()));
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
        Status::TimedOut => format!(
            "timed out after {}: {} of {total} still pending ({})",
            duration::format(s.timeout),
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
        let ids: Vec<&str> = s.operations.iter().map(|o| o.id.as_str()).collect();
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
            json::config_error(error, ids).to_string(),
        ])
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod ci_tests;
