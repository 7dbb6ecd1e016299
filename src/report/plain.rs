//! Plain output for shells and other CI systems.
//!
//! On a terminal (stderr is a TTY) each operation gets a live spinner line with its status,
//! progress and elapsed time. Off a terminal (CI logs, files) it writes one concise line per
//! status change, a heartbeat at most every 30 s, and never a control sequence. Progress goes
//! to stderr; the final lines go to stdout, so `purge-wait … > result.txt` keeps the verdict.

use std::collections::HashMap;
use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{
    Out, Reporter, clean, event_line, headline, redacted, redacted_config_error, result_line,
};
use crate::config::ConfigError;
use crate::provider::State;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, Summary};

/// The plain reporter.
pub struct Plain {
    log: Out,
    result: Out,
    bars: Option<Bars>,
}

struct Bars {
    multi: MultiProgress,
    by_id: HashMap<String, ProgressBar>,
    redactor: Redactor,
}

impl Plain {
    /// Progress on stderr (live when it is a terminal), verdict on stdout.
    pub fn new(redactor: Redactor) -> Self {
        let bars = io::stderr().is_terminal().then(|| Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            by_id: HashMap::new(),
            redactor: redactor.clone(),
        });
        Plain {
            log: Out::new(Box::new(io::stderr()), redactor.clone()),
            result: Out::new(Box::new(io::stdout()), redactor),
            bars,
        }
    }

    /// A reporter writing log lines to `log` and the verdict to `result` (tests).
    pub fn with_writers(
        log: Box<dyn io::Write>,
        result: Box<dyn io::Write>,
        redactor: Redactor,
    ) -> Self {
        Plain {
            log: Out::new(log, redactor.clone()),
            result: Out::new(result, redactor),
            bars: None,
        }
    }

    fn finish_lines(&mut self, summary: &Summary) {
        if let Some(bars) = self.bars.take() {
            for bar in bars.by_id.values() {
                bar.finish_and_clear();
            }
            let _ = bars.multi.clear();
        }
        for r in &summary.operations {
            self.result.log(&result_line(r));
        }
        self.result.log(&headline(summary));
    }
}

impl Bars {
    fn event(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::Started { ids, .. } => {
                let style =
                    ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed:>6}")
                        .expect("valid template");
                for id in ids.iter() {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(self.redactor.clean(&clean(id)).into_owned());
                    bar.set_message("waiting for the first answer");
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.by_id.insert(id.clone(), bar);
                }
                true
            }
            Event::Observed { observation: o, .. } => {
                if let Some(bar) = self.by_id.get(&o.id) {
                    let mut msg = clean(&o.raw_status);
                    if let Some(p) = o.progress {
                        msg.push_str(&format!(" {p:.0}%"));
                    }
                    if let Some(m) = &o.message {
                        msg.push_str(&format!(" - {}", clean(m)));
                    }
                    let msg = self.redactor.clean(&msg).into_owned();
                    if o.state.is_terminal() {
                        let icon = if o.state == State::Succeeded {
                            "✔"
                        } else {
                            "✘"
                        };
                        let done = format!("{icon} {{prefix}} {{wide_msg}} {{elapsed:>6}}");
                        if let Ok(style) = ProgressStyle::with_template(&done) {
                            bar.set_style(style);
                        }
                        bar.finish_with_message(msg);
                    } else {
                        bar.set_message(msg);
                    }
                }
                true
            }
            Event::ReadFailed { id, error, .. } => {
                if let Some(bar) = self.by_id.get(*id) {
                    let msg = format!("retrying: {}", clean(&error.to_string()));
                    bar.set_message(self.redactor.clean(&msg).into_owned());
                }
                true
            }
            Event::Heartbeat { .. } | Event::Request { .. } => true,
            // Submitting happens before the bars exist: plain lines.
            Event::Submitting { .. } | Event::Submitted { .. } | Event::SubmitFailed { .. } => {
                false
            }
        }
    }
}

impl Observer for Plain {
    fn event(&mut self, event: &Event<'_>) {
        if let Some(bars) = &mut self.bars {
            if bars.event(event) {
                return;
            }
        }
        if let Some(line) = event_line(event) {
            self.log.log(&line);
        }
    }
}

impl Reporter for Plain {
    fn finish(&mut self, summary: &Summary, _fail_on_timeout: bool) -> io::Result<()> {
        let summary = &redacted(summary, self.log.redactor());
        self.finish_lines(summary);
        for w in &summary.warnings {
            self.log.log(&format!("warning: {}", clean(w)));
        }
        Ok(())
    }

    fn config_error(&mut self, error: &ConfigError, _ids: &[String]) -> io::Result<()> {
        let error = &redacted_config_error(error, self.log.redactor());
        self.log.log(&format!("error: {}", error.message));
        Ok(())
    }
}
