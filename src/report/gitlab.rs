//! GitLab CI: a collapsible section around the poll log, coloured state lines, and a dotenv
//! report for `artifacts:reports:dotenv`.
//!
//! Rules followed (GitLab `doc/ci/jobs/job_logs.md`, `doc/ci/variables/dotenv_variables.md`,
//! `app/services/ci/parse_dotenv_artifact_service.rb`):
//! - a section is `\e[0Ksection_start:UNIX_TIME:NAME[collapsed=true]\r\e[0K` + header, and
//!   `\e[0Ksection_end:UNIX_TIME:NAME\r\e[0K`; names use letters, digits, `_`, `.`, `-`;
//! - the dotenv file is `NAME=value` lines, each matching `/^(.*?)=(.*)$/`, names
//!   `[A-Za-z0-9_]`, no empty lines, no comments, no quoting or escaping (quotes would be
//!   kept literally), no multi-line values, UTF-8, under 5 KB, at most 20 variables
//!   (self-managed default);
//! - colours are plain SGR codes GitLab's log renders (green, red, yellow, bold), and none
//!   when `NO_COLOR` is set.
//!
//! The file is written also on a timeout, an interruption and a configuration error, so the
//! next job always sees `PURGE_WAIT_STATUS` (reports are uploaded whatever the job result).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    Out, Outputs, Reporter, clean, event_line, headline, redacted, redacted_config_error,
    result_line,
};
use crate::config::ConfigError;
use crate::provider::State;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, Outcome, Status, Summary};

/// The default `dotenv-file`.
pub const DEFAULT_DOTENV_FILE: &str = "purge-wait.env";
/// GitLab refuses a dotenv artifact of this size or more (`MAX_ACCEPTABLE_DOTENV_SIZE`).
pub const MAX_DOTENV_BYTES: usize = 5 * 1024;
/// Self-managed GitLab's default limit on dotenv variables.
pub const MAX_DOTENV_VARIABLES: usize = 20;
/// The section that holds the poll log.
pub const SECTION: &str = "purge_wait_polls";

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The GitLab CI reporter.
pub struct Gitlab {
    out: Out,
    dotenv_file: Option<PathBuf>,
    color: bool,
    in_section: bool,
}

impl Gitlab {
    /// Writes to stdout; colours unless `NO_COLOR` is set; the dotenv file at `dotenv_file`
    /// (`None`: the default name).
    pub fn from_env(
        redactor: Redactor,
        env: &HashMap<String, String>,
        dotenv_file: Option<PathBuf>,
    ) -> Self {
        let color = env.get("NO_COLOR").is_none_or(|v| v.is_empty());
        Gitlab::new(
            Box::new(io::stdout()),
            redactor,
            Some(dotenv_file.unwrap_or_else(|| PathBuf::from(DEFAULT_DOTENV_FILE))),
            color,
        )
    }

    /// A reporter writing the log to `writer` and the dotenv report to `dotenv_file`.
    pub fn new(
        writer: Box<dyn Write>,
        redactor: Redactor,
        dotenv_file: Option<PathBuf>,
        color: bool,
    ) -> Self {
        Gitlab {
            out: Out::new(writer, redactor),
            dotenv_file,
            color,
            in_section: false,
        }
    }

    fn paint(&self, color: &str, text: &str) -> String {
        if self.color && !color.is_empty() {
            format!("{color}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn end_section(&mut self) {
        if self.in_section {
            self.out.command(&section_end(unix_now(), SECTION), "");
            self.in_section = false;
        }
    }

    fn write_dotenv(&mut self, outputs: &Outputs) -> io::Result<()> {
        let Some(path) = self.dotenv_file.clone() else {
            return Ok(());
        };
        // Each value redacted on its own: never a variable name.
        let (text, cut) = dotenv_text(&outputs.redacted(self.out.redactor()));
        if cut > 0 {
            let note = format!(
                "note: PURGE_WAIT_OPERATION_IDS lists the first ids only ({cut} left out) to keep {} under GitLab's 5 KB dotenv limit",
                path.display()
            );
            self.out.line(&self.paint(YELLOW, &note));
        }
        crate::files::write_regular(&path, text.as_bytes()).map_err(|e| {
            let msg = format!(
                "error: purge-wait could not write the dotenv report {}: {e}",
                path.display()
            );
            self.out.line(&self.paint(RED, &msg));
            io::Error::new(e.kind(), format!("dotenv report {}: {e}", path.display()))
        })
    }
}

/// The current time in whole seconds since the epoch, for section markers.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `\e[0Ksection_start:TIME:NAME[collapsed=true]\r\e[0KHEADER`.
pub fn section_start(time: u64, name: &str, header: &str) -> String {
    format!("\x1b[0Ksection_start:{time}:{name}[collapsed=true]\r\x1b[0K{header}")
}

/// `\e[0Ksection_end:TIME:NAME\r\e[0K`.
pub fn section_end(time: u64, name: &str) -> String {
    format!("\x1b[0Ksection_end:{time}:{name}\r\x1b[0K")
}

/// `operation-ids` → `PURGE_WAIT_OPERATION_IDS`.
pub fn variable_name(output: &str) -> String {
    format!(
        "PURGE_WAIT_{}",
        output.to_ascii_uppercase().replace('-', "_")
    )
}

/// One value made safe for a dotenv line: line breaks and control characters become
/// spaces, surrounding white space goes (GitLab strips it anyway).
fn dotenv_value(value: &str) -> String {
    let v: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    v.trim().to_string()
}

/// The dotenv report: every output except the JSON `result` (multi-line-safe but large and
/// free-form), as `PURGE_WAIT_<NAME>=value`. When the ids would push the file to GitLab's
/// size limit, `PURGE_WAIT_OPERATION_IDS` keeps the first whole ids that fit; the second
/// value is how many were left out.
pub fn dotenv_text(outputs: &Outputs) -> (String, usize) {
    let lines: Vec<(String, String)> = outputs
        .0
        .iter()
        .filter(|(name, _)| *name != "result")
        .map(|(name, value)| (variable_name(name), dotenv_value(value)))
        .take(MAX_DOTENV_VARIABLES)
        .collect();
    let render = |lines: &[(String, String)]| -> String {
        lines.iter().map(|(n, v)| format!("{n}={v}\n")).collect()
    };
    let mut text = render(&lines);
    let mut cut = 0;
    if text.len() >= MAX_DOTENV_BYTES {
        // Leave room below the limit; only the id list can be long.
        let budget = MAX_DOTENV_BYTES - 256;
        let mut lines = lines;
        if let Some(ids) = lines
            .iter_mut()
            .find(|(n, _)| n == "PURGE_WAIT_OPERATION_IDS")
        {
            let others = text.len() - ids.1.len();
            let all: Vec<&str> = ids.1.split(',').collect();
            let mut kept = String::new();
            let mut n = 0;
            for id in &all {
                let extra = id.len() + usize::from(n > 0);
                if others + kept.len() + extra > budget {
                    break;
                }
                if n > 0 {
                    kept.push(',');
                }
                kept.push_str(id);
                n += 1;
            }
            cut = all.len() - n;
            ids.1 = kept;
        }
        text = render(&lines);
    }
    (text, cut)
}

impl Observer for Gitlab {
    fn event(&mut self, event: &Event<'_>) {
        let Some(line) = event_line(event) else {
            return;
        };
        match event {
            Event::Started { .. } => {
                let header = self.paint(BOLD, &line);
                self.out
                    .command(&section_start(unix_now(), SECTION, ""), &header);
                self.in_section = true;
            }
            Event::Observed { observation, .. } => {
                let color = match observation.state {
                    State::Succeeded => GREEN,
                    State::Failed | State::Cancelled => RED,
                    State::Unrecognized => YELLOW,
                    State::Pending => "",
                };
                self.out.log(&self.paint(color, &line));
            }
            Event::ReadFailed { .. } => self.out.log(&self.paint(YELLOW, &line)),
            _ => self.out.log(&line),
        }
    }
}

impl Reporter for Gitlab {
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()> {
        let summary = &redacted(summary, self.out.redactor());
        self.end_section();
        for r in &summary.operations {
            let color = match r.outcome {
                Outcome::Succeeded => GREEN,
                Outcome::Failed | Outcome::Cancelled | Outcome::Error => RED,
                Outcome::Pending => YELLOW,
            };
            self.out.log(&self.paint(color, &result_line(r)));
        }
        let color = match summary.status {
            Status::Succeeded => GREEN,
            Status::TimedOut if !fail_on_timeout => YELLOW,
            Status::Interrupted => YELLOW,
            _ => RED,
        };
        let mut head = headline(summary);
        if summary.status == Status::TimedOut && !fail_on_timeout {
            head.push_str(" (fail-on-timeout is false: the job succeeds)");
        }
        self.out.log(&self.paint(&format!("{BOLD}{color}"), &head));
        for w in &summary.warnings {
            self.out
                .log(&self.paint(YELLOW, &format!("warning: {}", clean(w))));
        }
        self.write_dotenv(&Outputs::from_summary(summary))
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        let error = &redacted_config_error(error, self.out.redactor());
        self.end_section();
        let msg = format!("error: {}", error.message);
        self.out.line(&self.paint(RED, &msg));
        self.write_dotenv(&Outputs::from_config_error(error, ids))
    }
}
