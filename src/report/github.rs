//! GitHub Actions: workflow commands on stdout, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`.
//!
//! Rules followed (actions/runner `ActionCommand.cs`, `FileCommandManager.cs`; toolkit
//! `command.ts`, `file-command.ts`):
//! - `::add-mask::` for every secret before anything else is printed;
//! - command data escapes `%` `\r` `\n`; properties also `:` and `,` (`%` first);
//! - outputs are written `name<<DELIMITER` … `DELIMITER` with a random delimiter that the
//!   value is checked not to contain, UTF-8, appended;
//! - the poll log sits inside `::group::`; `::debug::` lines only when `RUNNER_DEBUG=1`;
//! - `::error` per failed or unreadable operation, `::warning` on timeout or interruption.
//!   Annotation messages are cut to the runner's 4096 characters.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

use super::{Out, Outputs, Reporter, clean, event_line, headline, notices, result_line};
use crate::duration;
use crate::error::ConfigError;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, Outcome, Status, Summary};

/// The runner truncates annotation messages to this many characters.
const MAX_ANNOTATION: usize = 4096;

/// The GitHub Actions reporter.
pub struct Github {
    out: Out,
    output_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
    debug: bool,
    in_group: bool,
}

impl Github {
    /// Reads `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and `RUNNER_DEBUG` from `env`; writes to
    /// stdout. Masks every secret at once.
    pub fn from_env(redactor: Redactor, env: &HashMap<String, String>) -> Self {
        let path = |name: &str| env.get(name).filter(|p| !p.is_empty()).map(PathBuf::from);
        Github::new(
            Box::new(io::stdout()),
            redactor,
            path("GITHUB_OUTPUT"),
            path("GITHUB_STEP_SUMMARY"),
            env.get("RUNNER_DEBUG").map(String::as_str) == Some("1"),
        )
    }

    /// A reporter writing commands to `writer` and files to the given paths.
    pub fn new(
        writer: Box<dyn Write>,
        redactor: Redactor,
        output_file: Option<PathBuf>,
        summary_file: Option<PathBuf>,
        debug: bool,
    ) -> Self {
        // `Out::masking` announces every secret with `::add-mask::` now, and each one
        // learnt later (a token, STS credentials) before the next line it writes.
        Github {
            out: Out::masking(
                writer,
                redactor,
                super::Masking {
                    announce: |line| format!("::add-mask::{}", escape_data(line)),
                    escaped: None,
                },
            ),
            output_file,
            summary_file,
            debug,
            in_group: false,
        }
    }

    fn annotate(&mut self, level: &str, title: &str, message: &str) {
        let message: String = message.chars().take(MAX_ANNOTATION).collect();
        self.out.line(&format!(
            "::{level} title={}::{}",
            escape_property(title),
            escape_data(&message)
        ));
    }

    fn end_group(&mut self) {
        if self.in_group {
            self.out.line("::endgroup::");
            self.in_group = false;
        }
    }

    fn write_outputs(&mut self, outputs: &Outputs) -> io::Result<()> {
        let Some(path) = self.output_file.clone() else {
            return Ok(());
        };
        let text = self
            .out
            .redactor()
            .clean(&output_file_text(outputs))
            .into_owned();
        append(&path, &text).inspect_err(|e| {
            self.annotate(
                "error",
                "purge-wait could not write step outputs",
                &format!("{}: {e}", path.display()),
            )
        })
    }

    fn write_summary(&mut self, markdown: &str) -> io::Result<()> {
        let Some(path) = self.summary_file.clone() else {
            return Ok(());
        };
        let text = self.out.redactor().clean(markdown).into_owned();
        append(&path, &text).inspect_err(|e| {
            self.annotate(
                "warning",
                "purge-wait could not write the job summary",
                &format!("{}: {e}", path.display()),
            )
        })
    }
}

impl Observer for Github {
    fn event(&mut self, event: &Event<'_>) {
        if let Event::Started { .. } = event {
            if let Some(line) = event_line(event) {
                self.out.line(&format!("::group::{}", escape_data(&line)));
                self.in_group = true;
            }
            return;
        }
        if self.debug {
            let debug = match event {
                Event::Request { ids } => Some(format!("status request for {}", ids.join(","))),
                Event::Observed {
                    observation: o,
                    changed: false,
                    elapsed,
                    next_in,
                } => Some(format!(
                    "{} {}: {} (unchanged; next poll in {})",
                    super::stamp(*elapsed),
                    o.id,
                    clean(&o.raw_status),
                    next_in.map_or("-".into(), duration::format)
                )),
                _ => None,
            };
            if let Some(d) = debug {
                self.out.line(&format!("::debug::{}", escape_data(&d)));
            }
        }
        if let Some(line) = event_line(event) {
            self.out.line(&line);
        }
    }
}

impl Reporter for Github {
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()> {
        self.end_group();
        for n in notices(summary, fail_on_timeout, "the step succeeds") {
            self.annotate(n.level.as_str(), n.title, &n.message);
        }
        for r in &summary.operations {
            self.out.line(&result_line(r));
        }
        self.out.line(&headline(summary));
        let outputs = Outputs::from_summary(summary);
        let written = self.write_outputs(&outputs);
        let summarised = self.write_summary(&markdown(summary));
        written.and(summarised)
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        self.end_group();
        self.annotate("error", "purge-wait: invalid input", &error.message);
        let written = self.write_outputs(&Outputs::from_config_error(error, ids));
        let md = format!(
            "### purge-wait: invalid input\n\n{}\n\nNothing was requested (exit code 2).\n",
            md_cell(&error.message)
        );
        let summarised = self.write_summary(&md);
        written.and(summarised)
    }
}

/// Escapes workflow-command data: `%`, `\r`, `\n` (in that order).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property: as data, plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The `$GITHUB_OUTPUT` text: every output in heredoc form with a fresh random delimiter.
pub fn output_file_text(outputs: &Outputs) -> String {
    let mut text = String::new();
    for (name, value) in &outputs.0 {
        let delimiter = loop {
            let d = format!(
                "ghadelimiter_{:016x}{:016x}",
                fastrand::u64(..),
                fastrand::u64(..)
            );
            if !value.contains(&d) {
                break d;
            }
        };
        text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    text
}

/// Reads a `$GITHUB_OUTPUT` file with the runner's rules (`EnvFileKeyValuePairs` in
/// FileCommandManager.cs): `NAME=VALUE`, or `NAME<<DELIM` … `DELIM` where the delimiter line
/// must be followed by a newline. Errors carry the runner's own wording. Used to check that
/// what [`output_file_text`] writes is what the runner will read.
pub fn parse_output_file(text: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        match (eq, line.find("<<")) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let (name, delim) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delim.is_empty() {
                    return Err(format!("Invalid format '{line}'"));
                }
                let mut value = Vec::new();
                loop {
                    let l = lines.next().ok_or_else(|| {
                        format!("Invalid value. Matching delimiter not found '{delim}'")
                    })?;
                    if l == delim {
                        if lines.peek().is_none() {
                            return Err("Invalid value. EOF marker missing new line.".into());
                        }
                        break;
                    }
                    value.push(l);
                }
                out.insert(name.to_string(), value.join("\n"));
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(out)
}

fn append(path: &PathBuf, text: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().append(true).create(true).open(path)?;
    f.write_all(text.as_bytes())
}

/// A Markdown table cell: no line breaks, `|` escaped, HTML neutralised.
pub fn md_cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('`', "\\`")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// The job summary: a headline and one table row per operation.
pub fn markdown(s: &Summary) -> String {
    let icon = match s.status {
        Status::Succeeded => "✅",
        Status::Failed => "❌",
        Status::Error => "⚠️",
        Status::TimedOut => "⏱️",
        Status::Interrupted => "🛑",
    };
    let mut md = format!("### {icon} CDN purge: {}\n\n", md_cell(&headline(s)));
    md.push_str(
        "| Operation | Result | Provider status | Details | Started | Finished | Polls |\n",
    );
    md.push_str("|---|---|---|---|---|---|---|\n");
    for r in &s.operations {
        let (status, message, started, finished) = match &r.last {
            Some(o) => (
                o.raw_status.clone(),
                o.message.clone().unwrap_or_default(),
                o.started_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
                o.finished_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            ),
            None => (String::new(), String::new(), None, None),
        };
        let mut details = vec![message];
        if let Some(o) = &r.last {
            if r.outcome == Outcome::Failed {
                details.extend(o.details.iter().map(|(k, v)| format!("{k}: {v}")));
            }
        }
        if let Some(e) = &r.error {
            details.push(e.to_string());
        }
        let details: Vec<String> = details.into_iter().filter(|d| !d.is_empty()).collect();
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            r.id.replace('`', ""),
            r.outcome.as_str(),
            md_cell(&status),
            md_cell(&details.join("; ")),
            started.unwrap_or_default(),
            finished.unwrap_or_default(),
            r.polls
        ));
    }
    for w in &s.warnings {
        md.push_str(&format!("\n> **Warning:** {}\n", md_cell(w)));
    }
    md.push_str(&format!(
        "\n{} · {} elapsed · {} status requests · timeout {}\n",
        s.provider,
        duration::format(s.elapsed),
        s.polls,
        duration::format(s.timeout)
    ));
    md
}
