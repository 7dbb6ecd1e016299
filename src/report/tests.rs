//! Reporter tests: what each sink writes, read back with the CI system's own rules.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use super::github::{self, Github, escape_data, escape_property, md_cell, output_file_text};
use super::*;
use crate::provider::{ErrorKind, Observation, ProviderError, State};
use crate::wait::{OperationResult, Outcome, Status, Summary};

/// A `Write` the test can read afterwards.
#[derive(Clone, Default)]
pub(super) struct Buf(Rc<RefCell<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    pub(super) fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

fn parse_github_file(text: &str) -> HashMap<String, String> {
    github::parse_output_file(text).expect("the runner accepts the file")
}

#[test]
fn the_output_file_parser_refuses_what_the_runner_refuses() {
    assert!(
        github::parse_output_file("a<<EOF\nx\n").is_err(),
        "no delimiter"
    );
    assert!(
        github::parse_output_file("a<<EOF\nx\nEOF").is_err(),
        "no newline after it"
    );
    assert!(github::parse_output_file("garbage\n").is_err());
    assert_eq!(github::parse_output_file("a=b=c\n").unwrap()["a"], "b=c");
}

/// The runner's data unescape (`ActionCommand.cs`).
fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

fn unescape_property(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// An operation that ended with `outcome`, its last status `raw` and `message`.
pub(super) fn op(id: &str, outcome: Outcome, raw: &str, message: Option<&str>) -> OperationResult {
    let state = match outcome {
        Outcome::Succeeded => State::Succeeded,
        Outcome::Failed => State::Failed,
        Outcome::Cancelled => State::Cancelled,
        _ => State::Pending,
    };
    let mut obs = Observation::new(id, state, raw);
    obs.message = message.map(str::to_string);
    OperationResult {
        id: id.into(),
        outcome,
        last: Some(obs),
        error: None,
        polls: 3,
        seen_done_after: (outcome != Outcome::Pending).then(|| Duration::from_millis(2_500)),
    }
}

/// A wait of 12.3 s and 7 requests that ended with `status`.
pub(super) fn summary(status: Status, operations: Vec<OperationResult>) -> Summary {
    Summary {
        provider: "azure-china-cdn",
        status,
        operations,
        elapsed: Duration::from_millis(12_345),
        polls: 7,
        timeout: Duration::from_secs(900),
        warnings: Vec::new(),
        purge: None,
        reason: None,
    }
}

#[test]
fn workflow_command_escaping_round_trips() {
    for s in ["plain", "50% done", "a\nb\r\nc", "%0A literal", "k:v,w"] {
        assert_eq!(unescape_data(&escape_data(s)), s);
        assert_eq!(unescape_property(&escape_property(s)), s);
        assert!(!escape_data(s).contains('\n'));
        assert!(!escape_property(s).contains(':'));
    }
}

#[test]
fn output_file_parses_with_the_runner_rules() {
    let outputs = Outputs(vec![
        ("status", "succeeded".into()),
        ("result", "{\"a\":1}\nsecond line".into()),
        ("empty", String::new()),
    ]);
    let text = output_file_text(&outputs);
    let parsed = parse_github_file(&text);
    assert_eq!(parsed["status"], "succeeded");
    assert_eq!(parsed["result"], "{\"a\":1}\nsecond line");
    assert_eq!(parsed["empty"], "");
    // Fresh delimiter per value.
    let delims: Vec<&str> = text.lines().filter(|l| l.contains("<<")).collect();
    assert_ne!(delims[0].split("<<").nth(1), delims[1].split("<<").nth(1));
}

#[test]
fn markdown_cells_cannot_break_the_table_or_inject_html() {
    assert_eq!(md_cell("a|b"), "a\\|b");
    assert_eq!(md_cell("x\ny"), "x<br>y");
    assert_eq!(md_cell("<script>"), "&lt;script&gt;");
}

#[test]
fn clean_neutralises_control_characters() {
    assert_eq!(clean("a\nb"), "a\\nb");
    assert_eq!(clean("\u{1b}[31mred"), "\\u{1b}[31mred");
    assert_eq!(
        clean("::error::x"),
        "::error::x",
        "only whole lines are commands"
    );
}

#[test]
fn outputs_count_every_outcome() {
    let s = summary(
        Status::Failed,
        vec![
            op("a", Outcome::Succeeded, "Succeeded", None),
            op("b", Outcome::Failed, "Failed", Some("Origin down")),
            op("c", Outcome::Cancelled, "Canceled", None),
            op("d", Outcome::Pending, "Processing", None),
        ],
    );
    let o: HashMap<_, _> = Outputs::from_summary(&s).0.into_iter().collect();
    assert_eq!(o["status"], "failed");
    assert_eq!(o["operation-ids"], "a,b,c,d");
    assert_eq!(o["succeeded"], "1");
    assert_eq!(o["failed"], "2");
    assert_eq!(o["pending"], "1");
    assert_eq!(o["errors"], "0");
    assert_eq!(o["elapsed-seconds"], "12");
    assert_eq!(o["timed-out"], "false");
    assert_eq!(o["polls"], "7");
    let result: serde_json::Value = serde_json::from_str(&o["result"]).unwrap();
    assert_eq!(result["operations"][1]["message"], "Origin down");
    assert_eq!(result["counts"]["failed"], 2);
}

#[test]
fn exit_codes_follow_the_table() {
    let s = |st| summary(st, vec![]);
    assert_eq!(exit_code(&s(Status::Succeeded), true), 0);
    assert_eq!(exit_code(&s(Status::Failed), true), 1);
    assert_eq!(exit_code(&s(Status::Error), true), 3);
    assert_eq!(exit_code(&s(Status::TimedOut), true), 124);
    assert_eq!(exit_code(&s(Status::TimedOut), false), 0);
    assert_eq!(exit_code(&s(Status::Interrupted), false), 130);
}

#[test]
fn github_masks_first_annotates_failures_and_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, sum_path) = (dir.path().join("out"), dir.path().join("sum"));
    let buf = Buf::default();
    let redactor = crate::secret::Redactor::default();
    redactor.add("s3cret-value");
    let mut gh = Github::new(
        Box::new(buf.clone()),
        redactor,
        Some(out_path.clone()),
        Some(sum_path.clone()),
        false,
    );
    gh.event(&crate::wait::Event::Started {
        provider: "azure-china-cdn",
        ids: &["a".to_string()],
        timeout: Duration::from_secs(60),
    });
    let mut failed = op(
        "b",
        Outcome::Failed,
        "Failed",
        Some("origin said s3cret-value\n::error::x"),
    );
    failed
        .last
        .as_mut()
        .unwrap()
        .details
        .push(("ObjectPath".into(), "/a|b".into()));
    let mut unreadable = op("c", Outcome::Error, "", None);
    unreadable.last = None;
    let mut e = ProviderError::new(ErrorKind::Auth, "Wrong signature.").code("WrongSignature");
    e.request_id = Some(("X-Correlation-Id", "corr-1".into()));
    unreadable.error = Some(e);
    let s = summary(
        Status::Failed,
        vec![
            op("a", Outcome::Succeeded, "Succeeded", None),
            failed,
            unreadable,
        ],
    );
    gh.finish(&s, true).unwrap();

    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "::add-mask::s3cret-value",
        "mask before anything else"
    );
    assert!(lines[1].starts_with("::group::Waiting for 1 operation"));
    assert!(lines.contains(&"::endgroup::"));
    let error = lines
        .iter()
        .find(|l| l.starts_with("::error title=CDN purge operation failed::"))
        .unwrap();
    let data = unescape_data(
        error
            .split_once("::")
            .unwrap()
            .1
            .split_once("::")
            .unwrap()
            .1,
    );
    assert!(data.contains("origin said ***"), "{data}");
    assert!(data.contains("ObjectPath: /a|b"));
    assert!(
        !lines.iter().any(|l| l.starts_with("::error::x")),
        "provider text cannot start a workflow command"
    );
    let auth = lines
        .iter()
        .find(|l| l.starts_with("::error title=Could not read the CDN operation status::"))
        .unwrap();
    assert!(auth.contains("WrongSignature") && auth.contains("corr-1"));
    assert!(lines.iter().skip(1).all(|l| !l.contains("s3cret-value")));

    let outputs = parse_github_file(&std::fs::read_to_string(&out_path).unwrap());
    assert_eq!(outputs["status"], "failed");
    assert_eq!(outputs["failed"], "1");
    assert_eq!(outputs["errors"], "1");
    assert!(!outputs["result"].contains("s3cret-value"));
    let md = std::fs::read_to_string(&sum_path).unwrap();
    assert!(
        md.starts_with("### ❌ CDN purge: 1 of 3 operations failed"),
        "{md}"
    );
    assert!(md.contains("| `b` | failed | Failed |"));
    assert!(md.contains("ObjectPath: /a\\|b"));
    assert!(!md.contains("s3cret-value"));
}

#[test]
fn github_timeout_is_a_warning_and_debug_lines_only_in_debug() {
    let buf = Buf::default();
    let mut gh = Github::new(Box::new(buf.clone()), Default::default(), None, None, true);
    let obs = Observation::new("a", State::Pending, "Processing");
    gh.event(&crate::wait::Event::Observed {
        observation: &obs,
        changed: false,
        elapsed: Duration::from_secs(5),
        next_in: Some(Duration::from_secs(7)),
    });
    let s = summary(
        Status::TimedOut,
        vec![op("a", Outcome::Pending, "Processing", None)],
    );
    gh.finish(&s, false).unwrap();
    let text = buf.text();
    assert!(
        text.contains("::debug::[    5s] a: Processing (unchanged; next poll in 7s)"),
        "{text}"
    );
    assert!(text.contains("::warning title=CDN purge wait timed out::timed out after 15m00s"));
    assert!(text.contains("fail-on-timeout is false"));
    assert!(!text.contains("::error"));

    let quiet = Buf::default();
    let mut gh = Github::new(
        Box::new(quiet.clone()),
        Default::default(),
        None,
        None,
        false,
    );
    gh.event(&crate::wait::Event::Observed {
        observation: &obs,
        changed: false,
        elapsed: Duration::from_secs(5),
        next_in: None,
    });
    assert_eq!(quiet.text(), "");
}

#[test]
fn github_config_error_writes_status_error_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out");
    let buf = Buf::default();
    let mut gh = Github::new(
        Box::new(buf.clone()),
        Default::default(),
        Some(out_path.clone()),
        None,
        false,
    );
    let err = crate::config::ConfigError {
        input: Some("timeout"),
        message: "input `timeout` (from INPUT_TIMEOUT): \"5x\" is not a duration.".into(),
    };
    gh.config_error(&err, &["a".into()]).unwrap();
    assert!(
        buf.text()
            .starts_with("::error title=purge-wait%3A invalid input::input `timeout`")
    );
    let outputs = parse_github_file(&std::fs::read_to_string(&out_path).unwrap());
    assert_eq!(outputs["status"], "error");
    assert_eq!(outputs["polls"], "0");
    let result: serde_json::Value = serde_json::from_str(&outputs["result"]).unwrap();
    assert_eq!(result["error"]["input"], "timeout");
}

#[test]
fn plain_lines_say_what_changed_and_the_verdict() {
    let (log, result) = (Buf::default(), Buf::default());
    let mut p = plain::Plain::with_writers(
        Box::new(log.clone()),
        Box::new(result.clone()),
        Default::default(),
    );
    let mut obs = Observation::new("a", State::Unrecognized, "Weird\nword");
    obs.progress = Some(40.0);
    p.event(&crate::wait::Event::Observed {
        observation: &obs,
        changed: true,
        elapsed: Duration::from_secs(65),
        next_in: Some(Duration::from_secs(30)),
    });
    let s = summary(
        Status::Succeeded,
        vec![op("a", Outcome::Succeeded, "Succeeded", None)],
    );
    p.finish(&s, true).unwrap();
    assert_eq!(
        log.text(),
        "[ 1m05s] a: Weird\\nword 40% (a status word purge-wait does not know; still waiting) (next poll in 30s)\n"
    );
    assert_eq!(
        result.text(),
        "succeeded a - Succeeded\n1 of 1 operation succeeded in 12s (7 requests)\n"
    );
}

#[test]
fn github_module_is_reachable() {
    // The markdown builder is public for the JSON/summary docs; keep it exercised.
    let md = github::markdown(&summary(Status::Succeeded, vec![]));
    assert!(md.contains("azure-china-cdn · 12s elapsed · 7 status requests · timeout 15m00s"));
}

#[test]
fn github_masks_a_secret_learnt_mid_wait_before_the_next_line() {
    let buf = Buf::default();
    let redactor = crate::secret::Redactor::default();
    redactor.add("input-secret");
    let mut gh = Github::new(Box::new(buf.clone()), redactor.clone(), None, None, false);
    gh.event(&crate::wait::Event::Started {
        provider: "azure-arm",
        ids: &["a".to_string()],
        timeout: Duration::from_secs(60),
    });
    // A provider fetches an access token and registers it through its handle.
    redactor.add("eyJ0eXAi.access-token-fetched-later");
    gh.event(&crate::wait::Event::Heartbeat {
        pending: 1,
        total: 1,
        elapsed: Duration::from_secs(30),
    });
    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "::add-mask::input-secret");
    assert!(lines[1].starts_with("::group::"));
    assert_eq!(lines[2], "::add-mask::eyJ0eXAi.access-token-fetched-later");
    assert!(lines[3].contains("still waiting"), "{text}");
    assert_eq!(text.matches("::add-mask::").count(), 2, "each secret once");
}
