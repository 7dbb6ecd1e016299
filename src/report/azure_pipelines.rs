//! Azure Pipelines: `##vso` logging commands on stdout.
//!
//! Rules followed (microsoft/azure-pipelines-agent `Command.cs`, `CommandStringConvertor.cs`;
//! docs `logging-commands.md`):
//! - `##vso[area.action key=value;key=value]data`; the agent finds `##vso[` anywhere in a
//!   line (and a bare `\r` ends a line), so provider text on ordinary lines is defused line by
//!   line ([`defuse`]);
//! - property values and data escape `%` → `%AZP25` first, then `;` → `%3B`, `\r` → `%0D`,
//!   `\n` → `%0A`, `]` → `%5D` (the agent decodes `%AZP25` by default, `DECODE_PERCENTS`);
//! - `##vso[task.setsecret]` for every secret before anything else is printed;
//! - the poll log sits inside `##[group]` … `##[endgroup]`;
//! - `##vso[task.setvariable variable=NAME;isOutput=true]VALUE` for every output, with
//!   names Azure accepts (letters, digits, `_`): `status`, `operation_ids`, …, `result`;
//! - `##vso[task.logissue type=error]` per failed or unreadable operation, `type=warning` on
//!   a timeout or an interruption, and `##vso[task.complete result=SucceededWithIssues;]`
//!   for a timeout with `fail-on-timeout: false`.

use std::io::{self, Write};

use super::{
    Out, Outputs, Reporter, clean, event_line, headline, notices, redacted, redacted_config_error,
    result_line,
};
use crate::config::ConfigError;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, Status, Summary};

/// The Azure Pipelines reporter.
pub struct AzurePipelines {
    out: Out,
    in_group: bool,
}

impl AzurePipelines {
    /// Writes to stdout.
    pub fn stdout(redactor: Redactor) -> Self {
        AzurePipelines::new(Box::new(io::stdout()), redactor)
    }

    /// Writes to `writer`. Registers every secret with the agent at once (`task.setsecret`),
    /// and each one learnt later before the next line. Lines are redacted after escaping,
    /// so the redactor also learns each secret's escaped form.
    pub fn new(writer: Box<dyn Write>, redactor: Redactor) -> Self {
        let masking = super::Masking {
            announce: |line| format!("##vso[task.setsecret]{}", escape(line)),
            escaped: Some(escape),
        };
        AzurePipelines {
            out: Out::masking(writer, redactor, masking).with_forms(&[|s| escape(&clean(s))]),
            in_group: false,
        }
    }

    fn log(&mut self, text: &str) {
        self.out.log(text);
    }

    fn issue(&mut self, kind: &str, message: &str) {
        self.out.command(
            &format!("##vso[task.logissue type={kind}]"),
            &escape(&defuse(message)),
        );
    }

    fn end_group(&mut self) {
        if self.in_group {
            self.out.command("##[endgroup]", "");
            self.in_group = false;
        }
    }

    /// Each value redacted on its own, then escaped: redaction never rewrites
    /// `variable=NAME`.
    fn set_outputs(&mut self, outputs: &Outputs) {
        for (name, value) in &outputs.redacted(self.out.redactor()).0 {
            self.out.command(
                &format!(
                    "##vso[task.setvariable variable={};isOutput=true]",
                    escape(&variable_name(name))
                ),
                &escape(value),
            );
        }
    }
}

/// `operation-ids` → `operation_ids`.
pub fn variable_name(output: &str) -> String {
    output.replace('-', "_")
}

/// The agent's escaping (`CommandStringConvertor.Escape` with percent decoding on).
pub fn escape(s: &str) -> String {
    s.replace('%', "%AZP25")
        .replace(';', "%3B")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(']', "%5D")
}

/// An ordinary log line that cannot be taken for a command: [`super::defuse`], which breaks
/// up `##vso[` and `##[` anywhere in every line of the text.
pub fn defuse(line: &str) -> String {
    super::defuse(line)
}

impl Observer for AzurePipelines {
    fn event(&mut self, event: &Event<'_>) {
        let Some(line) = event_line(event) else {
            return;
        };
        if let Event::Started { .. } = event {
            self.out.command("##[group]", &defuse(&line));
            self.in_group = true;
        } else {
            self.log(&line);
        }
    }
}

impl Reporter for AzurePipelines {
    fn finish(&mut self, summary: &Summary, fail_on_timeout: bool) -> io::Result<()> {
        let summary = &redacted(summary, self.out.redactor());
        self.end_group();
        for n in notices(summary, fail_on_timeout, "the task succeeds with issues") {
            self.issue(n.level.as_str(), &format!("{}: {}", n.title, n.message));
        }
        for r in &summary.operations {
            self.log(&result_line(r));
        }
        self.log(&headline(summary));
        self.set_outputs(&Outputs::from_summary(summary));
        if summary.status == Status::TimedOut && !fail_on_timeout {
            self.out.command(
                "##vso[task.complete result=SucceededWithIssues;]",
                &escape(&defuse(&headline(summary))),
            );
        }
        Ok(())
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        let error = &redacted_config_error(error, self.out.redactor());
        self.end_group();
        self.issue(
            "error",
            &format!("purge-wait: invalid input: {}", error.message),
        );
        self.set_outputs(&Outputs::from_config_error(error, ids));
        Ok(())
    }
}
