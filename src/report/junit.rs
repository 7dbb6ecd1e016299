//! A JUnit XML report (`junit-file`): one test case per operation, so that failures show in
//! GitLab's merge-request test widget (`artifacts:reports:junit`) or Azure's Tests tab
//! (`PublishTestResults@2`).
//!
//! The shape follows the Ant/Jenkins `JUnit.xsd` that CI systems read: a bare `<testsuites>` holding
//! one `<testsuite name tests failures errors skipped time timestamp hostname id package>`
//! with `<properties>`, the `<testcase name classname time>` elements, `<system-out>` and
//! `<system-err>`. Per operation:
//! - succeeded: an empty test case;
//! - failed or cancelled: `<failure type message>` with the provider's status and message;
//! - unreadable: `<error type message>` with the provider's error code and request id;
//! - still pending at the deadline: `<error type="TimedOut">` when the timeout fails the
//!   job, `<skipped>` when `fail-on-timeout` is false; at an interruption `<skipped>`.
//!
//! A configuration error gives one `<error type="ConfigError">` per id (or one test case
//! named `configuration` when no id was given). Text is redacted, then passes through
//! [`clean`] (no control characters or noncharacters, which XML 1.0 forbids) and XML
//! escaping.

use std::io;
use std::path::PathBuf;

use super::{Reporter, both, clean, detail, headline, redacted, redacted_config_error};
use crate::config::ConfigError;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, OperationResult, Outcome, Status, Summary};

/// Escapes text for XML content and attribute values: well-formed XML 1.0 for any text, as
/// [`clean`] shows every character XML forbids (C0 controls, U+FFFE, U+FFFF) and every other
/// control character escaped.
pub fn escape(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

enum Verdict {
    Pass,
    Failure(String, String),
    Error(String, String),
    Skipped(String),
}

fn verdict(r: &OperationResult, status: Status, fail_on_timeout: bool) -> Verdict {
    match r.outcome {
        Outcome::Succeeded => Verdict::Pass,
        Outcome::Failed | Outcome::Cancelled => {
            let word = r
                .last
                .as_ref()
                .map_or_else(|| r.outcome.as_str().to_string(), |o| o.raw_status.clone());
            Verdict::Failure(
                if word.is_empty() {
                    "Failed".into()
                } else {
                    word
                },
                detail(r),
            )
        }
        Outcome::Error => {
            let kind = r
                .error
                .as_ref()
                .and_then(|e| e.code.clone())
                .unwrap_or_else(|| "Unreadable".into());
            Verdict::Error(kind, detail(r))
        }
        Outcome::Pending => match status {
            Status::TimedOut if fail_on_timeout => Verdict::Error(
                "TimedOut".into(),
                format!("still pending at the deadline: {}", detail(r)),
            ),
            Status::TimedOut => Verdict::Skipped(format!(
                "still pending at the deadline (fail-on-timeout is false): {}",
                detail(r)
            )),
            _ => Verdict::Skipped(format!(
                "the wait was interrupted before it finished: {}",
                detail(r)
            )),
        },
    }
}

struct Case {
    name: String,
    time: f64,
    verdict: Verdict,
}

fn document(
    suite: &str,
    time: f64,
    properties: &[(&str, String)],
    cases: &[Case],
    out: &str,
) -> String {
    let count = |f: fn(&Verdict) -> bool| cases.iter().filter(|c| f(&c.verdict)).count();
    let failures = count(|v| matches!(v, Verdict::Failure(..)));
    let errors = count(|v| matches!(v, Verdict::Error(..)));
    let skipped = count(|v| matches!(v, Verdict::Skipped(..)));
    let tests = cases.len();
    let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S");
    let suite = escape(suite);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `JUnit.xsd` declares no attributes on `<testsuites>`: the counts live on the suite.
    x.push_str("<testsuites>\n");
    x.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\" timestamp=\"{timestamp}\" hostname=\"localhost\" id=\"0\" package=\"purge-wait\">\n"
    ));
    x.push_str("    <properties>\n");
    for (name, value) in properties {
        x.push_str(&format!(
            "      <property name=\"{}\" value=\"{}\"/>\n",
            escape(name),
            escape(value)
        ));
    }
    x.push_str("    </properties>\n");
    for c in cases {
        let open = format!(
            "    <testcase name=\"{}\" classname=\"{suite}\" time=\"{:.3}\"",
            escape(&c.name),
            c.time
        );
        match &c.verdict {
            Verdict::Pass => x.push_str(&format!("{open}/>\n")),
            Verdict::Failure(kind, msg) | Verdict::Error(kind, msg) => {
                let tag = if matches!(c.verdict, Verdict::Failure(..)) {
                    "failure"
                } else {
                    "error"
                };
                x.push_str(&format!(
                    "{open}>\n      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>\n    </testcase>\n",
                    escape(kind),
                    escape(msg),
                    escape(msg)
                ));
            }
            Verdict::Skipped(msg) => x.push_str(&format!(
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(msg)
            )),
        }
    }
    x.push_str(&format!("    <system-out>{}</system-out>\n", escape(out)));
    x.push_str("    <system-err></system-err>\n");
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// The report of a finished wait.
pub fn xml(s: &Summary, fail_on_timeout: bool) -> String {
    let total = s.elapsed.as_secs_f64();
    let cases: Vec<Case> = s
        .operations
        .iter()
        .map(|r| Case {
            name: r.id.clone(),
            time: r.seen_done_after.map_or(total, |d| d.as_secs_f64()),
            verdict: verdict(r, s.status, fail_on_timeout),
        })
        .collect();
    let properties = [
        ("provider", s.provider.to_string()),
        ("status", s.status.as_str().to_string()),
        ("timeout_seconds", format!("{:.0}", s.timeout.as_secs_f64())),
        ("polls", s.polls.to_string()),
    ];
    document(
        &format!("purge-wait.{}", s.provider),
        total,
        &properties,
        &cases,
        &headline(s),
    )
}

/// The report when the inputs were refused.
pub fn config_error_xml(e: &ConfigError, ids: &[String]) -> String {
    let names: Vec<String> = if ids.is_empty() {
        vec!["configuration".into()]
    } else {
        ids.to_vec()
    };
    let cases: Vec<Case> = names
        .into_iter()
        .map(|name| Case {
            name,
            time: 0.0,
            verdict: Verdict::Error("ConfigError".into(), e.message.clone()),
        })
        .collect();
    let properties = [("status", Status::Error.as_str().to_string())];
    document(
        "purge-wait",
        0.0,
        &properties,
        &cases,
        "invalid input: nothing was requested (exit code 2)",
    )
}

/// Any reporter, plus a JUnit file written at the end (also on a timeout, an interruption
/// or a configuration error).
pub struct WithJunit {
    inner: Box<dyn Reporter>,
    path: PathBuf,
    redactor: Redactor,
}

impl WithJunit {
    /// Wraps `inner`; the report goes to `path`. Secrets are redacted from the text before
    /// it is escaped (so no escaped form of one is written, and no tag or attribute name is
    /// ever redacted).
    pub fn new(inner: Box<dyn Reporter>, path: PathBuf, redactor: Redactor) -> Self {
        WithJunit {
            inner,
            path,
            redactor,
        }
    }

    fn write(&self, xml: &str) -> io::Result<()> {
        crate::files::write_regular(&self.path, xml.as_bytes()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("JUnit report {}: {e}", self.path.display()),
            )
        })
    }
}

impl Observer for WithJunit {
    fn event(&mut self, event: &Event<'_>) {
        self.inner.event(event);
    }
}

impl Reporter for WithJunit {
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()> {
        let inner = self.inner.finish(summary, fail_on_timeout);
        let written = self.write(&xml(&redacted(summary, &self.redactor), fail_on_timeout));
        both(inner, written)
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        let inner = self.inner.config_error(error, ids);
        let error = redacted_config_error(error, &self.redactor);
        let ids: Vec<String> = ids
            .iter()
            .map(|id| self.redactor.clean(id).into_owned())
            .collect();
        let written = self.write(&config_error_xml(&error, &ids));
        both(inner, written)
    }
}
