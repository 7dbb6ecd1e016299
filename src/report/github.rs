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
use std::io::{self, Write};
use std::path::PathBuf;

use super::{
    Out, Outputs, Reporter, both, clean, event_line, headline, notices, plural, redacted,
    redacted_config_error, result_line,
};
use crate::config::ConfigError;
use crate::duration;
use crate::provider::is_hostile_char;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, OperationResult, Outcome, Status, Summary};

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
                    escaped: Some(escape_data),
                },
            )
            .with_forms(&[|s| escape_data(&clean(s))]),
            output_file,
            summary_file,
            debug,
            in_group: false,
        }
    }

    fn annotate(&mut self, level: &str, title: &str, message: &str) {
        let message: String = message.chars().take(MAX_ANNOTATION).collect();
        self.out.command(
            &format!("::{level} title={}::", escape_property(title)),
            &escape_data(&message),
        );
    }

    fn end_group(&mut self) {
        if self.in_group {
            self.out.command("::endgroup::", "");
            self.in_group = false;
        }
    }

    fn write_outputs(&mut self, outputs: &Outputs) -> io::Result<()> {
        let Some(path) = self.output_file.clone() else {
            return Ok(());
        };
        // Each value redacted on its own: never a name or a delimiter.
        let text = output_file_text(&outputs.redacted(self.out.redactor()));
        append(&path, &text).inspect_err(|e| {
            self.annotate(
                "error",
                "purge-wait could not write step outputs",
                &e.to_string(),
            )
        })
    }

    fn write_summary(&mut self, markdown: &str) -> io::Result<()> {
        let Some(path) = self.summary_file.clone() else {
            return Ok(());
        };
        let text = self
            .out
            .redactor()
            .clean_escaped(markdown, &[md_cell])
            .into_owned();
        append(&path, &text).inspect_err(|e| {
            self.annotate(
                "warning",
                "purge-wait could not write the job summary",
                &e.to_string(),
            )
        })
    }
}

impl Observer for Github {
    fn event(&mut self, event: &Event<'_>) {
        if let Event::Started { .. } = event {
            if let Some(line) = event_line(event) {
                self.out.command("::group::", &escape_data(&line));
                self.in_group = true;
            }
            return;
        }
        if self.debug {
            let debug = match event {
                Event::Request { ids } => Some(format!(
                    "status request for {}",
                    ids.iter().map(|id| clean(id)).collect::<Vec<_>>().join(",")
                )),
                Event::Observed {
                    observation: o,
                    changed: false,
                    elapsed,
                    next_in,
                } => Some(format!(
                    "{} {}: {} (unchanged; next poll in {})",
                    super::stamp(*elapsed),
                    clean(&o.id),
                    clean(&o.raw_status),
                    next_in.map_or("-".into(), duration::format)
                )),
                _ => None,
            };
            if let Some(d) = debug {
                self.out.command("::debug::", &escape_data(&d));
            }
        }
        if let Some(line) = event_line(event) {
            self.out.log(&line);
        }
    }
}

impl Reporter for Github {
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()> {
        let summary = &redacted(summary, self.out.redactor());
        self.end_group();
        for n in notices(summary, fail_on_timeout, "the step succeeds") {
            self.annotate(n.level.as_str(), n.title, &n.message);
        }
        for r in &summary.operations {
            self.out.log(&result_line(r));
        }
        self.out.log(&headline(summary));
        let outputs = Outputs::from_summary(summary);
        let written = self.write_outputs(&outputs);
        let chart = super::gantt::section(summary, chrono::Utc::now(), self.out.redactor());
        let summarised = self.write_summary(&(markdown(summary) + &chart));
        both(written, summarised)
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        let error = &redacted_config_error(error, self.out.redactor());
        self.end_group();
        self.annotate("error", "purge-wait: invalid input", &error.message);
        let written = self.write_outputs(&Outputs::from_config_error(error, ids));
        let md = format!(
            "### purge-wait: invalid input\n\n{}\n\nNothing was requested (exit code 2).\n",
            md_cell(&error.message)
        );
        let summarised = self.write_summary(&md);
        both(written, summarised)
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

/// Appends to a regular file without ever blocking ([`crate::files`]); the error names the
/// file.
fn append(path: &std::path::Path, text: &str) -> io::Result<()> {
    crate::files::append_regular(path, text.as_bytes())
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// GitHub refuses a job summary of more than 1 MiB per step (`AttachmentSizeLimit`); the
/// summary stays under this many bytes, with a note when operations were left out.
pub const MAX_SUMMARY_BYTES: usize = 1024 * 1024 - 16 * 1024;

/// A Markdown cell holds at most this many characters of server text (before escaping).
const MAX_CELL: usize = 1000;

/// Server text as a Markdown table cell (GitHub-flavoured): shown as text and never as
/// markup. Line breaks become `<br>`; control characters are escaped ([`clean`]); `&`, `<`,
/// `>` become entities (no raw HTML, no `<…>` autolinks); `\`, `` ` ``, `*`, `_`, `[`, `]`,
/// `~`, `|` are backslash-escaped (no links, images, emphasis, code or cell breaks); and the
/// extended autolinks GitHub makes of bare text are broken up: the `:` of `scheme://`, the
/// `.` after `www` and `@` become entities.
pub fn md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    let mut prev: Vec<char> = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("&#64;"),
            ':' if chars.clone().take(2).eq(['/', '/']) => out.push_str("&#58;"),
            '.' if prev.len() >= 3
                && prev[prev.len() - 3..]
                    .iter()
                    .all(|p| p.eq_ignore_ascii_case(&'w')) =>
            {
                out.push_str("&#46;")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c if is_hostile_char(c) => {
                // `\u{1b}`, with its backslash escaped.
                out.push_str("\\\\");
                out.extend(c.escape_unicode().skip(1));
            }
            c => out.push(c),
        }
        prev.push(c);
        if prev.len() > 3 {
            prev.remove(0);
        }
    }
    out
}

/// [`md_cell`] of at most [`MAX_CELL`] characters of `text`.
fn cell(text: &str) -> String {
    if text.chars().count() <= MAX_CELL {
        return md_cell(text);
    }
    let cut: String = text.chars().take(MAX_CELL).collect();
    format!("{}… (cut; the `result` output has it all)", md_cell(&cut))
}

/// An id in a code span: shown as is, except that `|` must still be escaped in a table and a
/// backtick cannot appear.
fn id_cell(id: &str) -> String {
    let id: String = clean(id).chars().take(MAX_CELL).collect();
    format!("`{}`", id.replace('`', "").replace('|', "\\|"))
}

/// The job summary: a headline and one table row per operation, under
/// [`MAX_SUMMARY_BYTES`] (the rows and warnings that do not fit are counted in a note).
pub fn markdown(s: &Summary) -> String {
    let icon = match s.status {
        Status::Succeeded => "✅",
        Status::Failed => "❌",
        Status::Error => "⚠️",
        Status::TimedOut => "⏱️",
        Status::Interrupted => "🛑",
    };
    let mut md = format!("### {icon} CDN purge: {}\n\n", cell(&headline(s)));
    md.push_str(
        "| Operation | Result | Provider status | Details | Started | Finished | Polls |\n",
    );
    md.push_str("|---|---|---|---|---|---|---|\n");
    let footer = format!(
        "\n{} · {} elapsed · {} status requests · timeout {}\n",
        s.provider,
        duration::format(s.elapsed),
        s.polls,
        duration::format(s.timeout)
    );
    // Room for the footer and the note about what was left out.
    let budget = MAX_SUMMARY_BYTES.saturating_sub(footer.len() + 512);
    let mut rows_left_out = 0usize;
    for r in &s.operations {
        let row = row(r);
        if rows_left_out > 0 || md.len() + row.len() > budget {
            rows_left_out += 1;
            continue;
        }
        md.push_str(&row);
    }
    let mut warnings_left_out = 0usize;
    for w in &s.warnings {
        let line = format!("\n> **Warning:** {}\n", cell(w));
        if warnings_left_out > 0 || md.len() + line.len() > budget {
            warnings_left_out += 1;
            continue;
        }
        md.push_str(&line);
    }
    if rows_left_out + warnings_left_out > 0 {
        md.push_str(&format!(
            "\n> **Note:** {} and {} are not listed here: GitHub shows at most 1 MiB of job summary per step. The `result` output lists every operation.\n",
            plural(rows_left_out, "more operation"),
            plural(warnings_left_out, "more warning"),
        ));
    }
    md.push_str(&footer);
    md
}

/// One table row.
fn row(r: &OperationResult) -> String {
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
    format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        id_cell(&r.id),
        r.outcome.as_str(),
        cell(&status),
        cell(&details.join("; ")),
        started.unwrap_or_default(),
        finished.unwrap_or_default(),
        r.polls
    )
}
