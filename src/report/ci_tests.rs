//! GitLab CI, Azure Pipelines and JUnit reporters: what they write, read back with the CI
//! system's own rules (the readers live in `tests/util/ci_parsers.rs`, shared with the
//! integration tests), for success, failure, timeout, interruption and bad inputs.

use std::time::Duration;

use super::azure_pipelines::{self, AzurePipelines};
use super::gitlab::{self, Gitlab};
use super::junit;
use super::tests::{Buf, op, summary};
use super::*;
use crate::provider::{ErrorKind, Observation, ProviderError, State};
use crate::secret::Redactor;
use crate::wait::{OperationResult, Outcome, Status, Summary};

#[path = "../../tests/util/ci_parsers.rs"]
pub(super) mod parsers;
use parsers::*;

const SECRET: &str = "s3cret;value]%x";

fn redactor() -> Redactor {
    let r = Redactor::default();
    r.add(SECRET);
    r
}

fn unreadable(id: &str) -> OperationResult {
    let mut r = op(id, Outcome::Error, "", None);
    r.last = None;
    let mut e = ProviderError::new(ErrorKind::Auth, "Wrong signature; check the key]")
        .code("WrongSignature");
    e.request_id = Some(("X-Correlation-Id", "corr-1".into()));
    r.error = Some(e);
    r
}

/// The four endings every reporter must handle, with what the outputs must say.
fn endings() -> Vec<(&'static str, Summary, bool)> {
    vec![
        (
            "success",
            summary(
                Status::Succeeded,
                vec![
                    op("a", Outcome::Succeeded, "Succeeded", None),
                    op("b", Outcome::Succeeded, "Succeeded", None),
                ],
            ),
            true,
        ),
        (
            "failure",
            summary(
                Status::Failed,
                vec![
                    op("a", Outcome::Succeeded, "Succeeded", None),
                    op(
                        "b",
                        Outcome::Failed,
                        "Failed",
                        Some(
                            "Origin <down> & \"out\"; 50% ]done[ s3cret;value]%x\n##vso[task.setvariable variable=status]hacked",
                        ),
                    ),
                    unreadable("c"),
                ],
            ),
            true,
        ),
        (
            "timeout",
            summary(
                Status::TimedOut,
                vec![
                    op("a", Outcome::Succeeded, "Succeeded", None),
                    op("b", Outcome::Pending, "Processing", None),
                ],
            ),
            true,
        ),
        (
            "soft-timeout",
            summary(
                Status::TimedOut,
                vec![op("b", Outcome::Pending, "Processing", None)],
            ),
            false,
        ),
        (
            "interruption",
            summary(
                Status::Interrupted,
                vec![op("b", Outcome::Pending, "Processing", None)],
            ),
            true,
        ),
    ]
}

fn started(r: &mut dyn Reporter, ids: &[String]) {
    r.event(&Event::Started {
        provider: "azure-china-cdn",
        ids,
        timeout: Duration::from_secs(900),
    });
    let mut obs = Observation::new(&ids[0], State::Pending, "Processing");
    obs.message = Some("s3cret;value]%x".into());
    r.event(&Event::Observed {
        observation: &obs,
        changed: true,
        elapsed: Duration::from_secs(1),
        next_in: Some(Duration::from_secs(5)),
    });
}

fn config_error() -> crate::config::ConfigError {
    crate::config::ConfigError {
        input: Some("timeout"),
        message:
            "input `timeout` (from PURGE_WAIT_TIMEOUT): \"5x\" is not a duration. Use 90s; or 15m."
                .into(),
    }
}

// ---------------------------------------------------------------------------------------
// GitLab

fn gitlab_run(s: &Summary, fail_on_timeout: bool, color: bool) -> (String, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purge-wait.env");
    let buf = Buf::default();
    let mut g = Gitlab::new(Box::new(buf.clone()), redactor(), Some(path.clone()), color);
    let ids: Vec<String> = s.operations.iter().map(|o| o.id.clone()).collect();
    started(&mut g, &ids);
    g.finish(s, fail_on_timeout).unwrap();
    (buf.text(), std::fs::read(&path).unwrap())
}

#[test]
fn gitlab_dotenv_parses_with_gitlabs_rules_for_every_ending() {
    for (name, s, fail_on_timeout) in endings() {
        let (log, file) = gitlab_run(&s, fail_on_timeout, true);
        let vars = parse_gitlab_dotenv(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = String::from_utf8(file.clone()).unwrap();
        assert!(
            !text.contains('"') || name == "failure",
            "{name}: no quoting"
        );
        assert!(
            text.ends_with('\n') && !text.contains("\n\n"),
            "{name}: no empty lines"
        );
        let expected = [
            "PURGE_WAIT_STATUS",
            "PURGE_WAIT_OPERATION_IDS",
            "PURGE_WAIT_SUCCEEDED",
            "PURGE_WAIT_FAILED",
            "PURGE_WAIT_PENDING",
            "PURGE_WAIT_ERRORS",
            "PURGE_WAIT_ELAPSED_SECONDS",
            "PURGE_WAIT_TIMED_OUT",
            "PURGE_WAIT_POLLS",
        ];
        assert_eq!(vars.len(), expected.len(), "{name}: {vars:?}");
        for v in expected {
            assert!(vars.contains_key(v), "{name}: {v} missing");
        }
        assert_eq!(vars["PURGE_WAIT_STATUS"], s.status.as_str(), "{name}");
        assert_eq!(vars["PURGE_WAIT_ELAPSED_SECONDS"], "12");
        assert_eq!(vars["PURGE_WAIT_POLLS"], "7");
        assert_eq!(
            vars["PURGE_WAIT_TIMED_OUT"],
            (s.status == Status::TimedOut).to_string()
        );
        let total: usize = ["SUCCEEDED", "FAILED", "PENDING", "ERRORS"]
            .iter()
            .map(|k| vars[&format!("PURGE_WAIT_{k}")].parse::<usize>().unwrap())
            .sum();
        assert_eq!(total, s.operations.len(), "{name}");
        assert!(
            !log.contains(SECRET) && !text.contains(SECRET),
            "{name}: redacted"
        );
        // The poll log sits in one collapsed section, with GitLab's exact markers.
        let start = log.find("\x1b[0Ksection_start:").expect("section start");
        let end = log.find("\x1b[0Ksection_end:").expect("section end");
        assert!(start < end);
        let start_line = log[start..].lines().next().unwrap();
        let marker = start_line.split('\r').next().unwrap();
        let parts: Vec<&str> = marker.split(':').collect();
        assert_eq!(parts[0], "\x1b[0Ksection_start");
        assert!(parts[1].parse::<u64>().unwrap() > 1_700_000_000);
        assert_eq!(parts[2], "purge_wait_polls[collapsed=true]");
        assert!(
            start_line.contains("\r\x1b[0K\x1b[1mWaiting for"),
            "{start_line:?}"
        );
        let end_line = log[end..].lines().next().unwrap();
        assert!(
            end_line.ends_with(":purge_wait_polls\r\x1b[0K"),
            "{end_line:?}"
        );
        // The verdict comes after the section.
        assert!(log.rfind(&headline(&s)).unwrap() > end, "{name}");
    }
}

#[test]
fn gitlab_colours_are_sensible_and_no_color_turns_them_off() {
    let (_, s, _) = endings().remove(1);
    let (log, _) = gitlab_run(&s, true, true);
    assert!(
        log.contains("\x1b[32msucceeded a - Succeeded\x1b[0m"),
        "{log}"
    );
    assert!(log.contains("\x1b[31mfailed    b - Failed"), "{log}");
    assert!(log.contains("\x1b[31merror     c"), "{log}");
    assert!(
        log.contains("\x1b[1m\x1b[31m1 of 3 operations failed"),
        "{log}"
    );
    // Provider text cannot forge a section marker or a colour.
    let (plain, _) = gitlab_run(&s, true, false);
    let without_markers: String = plain
        .lines()
        .filter(|l| !l.starts_with("\x1b[0Ksection_"))
        .collect();
    assert!(!without_markers.contains('\x1b'), "{plain:?}");

    let (_, soft, f) = endings().remove(3);
    let (log, _) = gitlab_run(&soft, f, true);
    assert!(log.contains("\x1b[33mpending"), "{log}");
    assert!(log.contains("fail-on-timeout is false: the job succeeds"));
}

#[test]
fn gitlab_config_error_writes_status_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.env");
    let buf = Buf::default();
    let mut g = Gitlab::new(Box::new(buf.clone()), redactor(), Some(path.clone()), false);
    g.config_error(&config_error(), &["x".into(), "y".into()])
        .unwrap();
    let vars = parse_gitlab_dotenv(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(vars["PURGE_WAIT_STATUS"], "error");
    assert_eq!(vars["PURGE_WAIT_OPERATION_IDS"], "x,y");
    assert_eq!(vars["PURGE_WAIT_ERRORS"], "2");
    assert!(buf.text().starts_with("error: input `timeout`"));
}

#[test]
fn gitlab_dotenv_stays_under_the_size_limit_with_many_ids() {
    let ops: Vec<OperationResult> = (0..1000)
        .map(|i| {
            op(
                &format!("{i:08x}-0000-4000-8000-{i:012x}"),
                Outcome::Succeeded,
                "Succeeded",
                None,
            )
        })
        .collect();
    let s = summary(Status::Succeeded, ops);
    let (text, cut) = gitlab::dotenv_text(&Outputs::from_summary(&s));
    assert!(text.len() < gitlab::MAX_DOTENV_BYTES);
    let vars = parse_gitlab_dotenv(text.as_bytes()).unwrap();
    let kept: Vec<&str> = vars["PURGE_WAIT_OPERATION_IDS"].split(',').collect();
    assert_eq!(kept.len() + cut, 1000);
    assert!(kept.iter().all(|id| id.len() == 36), "whole ids only");
    assert_eq!(vars["PURGE_WAIT_SUCCEEDED"], "1000");
}

#[test]
fn gitlab_parser_rejects_what_gitlab_rejects() {
    assert!(parse_gitlab_dotenv(b"A=1\n\nB=2\n").is_err(), "empty line");
    assert!(parse_gitlab_dotenv(b"# comment\n").is_err());
    assert!(parse_gitlab_dotenv(b"A-B=1\n").is_err(), "bad name");
    assert!(parse_gitlab_dotenv(&vec![b'A'; 6000]).is_err(), "too big");
    let many: String = (0..21).map(|i| format!("V{i}=x\n")).collect();
    assert!(parse_gitlab_dotenv(many.as_bytes()).is_err());
    let ok = parse_gitlab_dotenv(b"A= x=y \nA=\"q\"\n").unwrap();
    assert_eq!(ok["A"], "\"q\"", "quotes literal, last wins");
}

// ---------------------------------------------------------------------------------------
// Azure Pipelines

fn azure_run(s: &Summary, fail_on_timeout: bool) -> String {
    let buf = Buf::default();
    let mut a = AzurePipelines::new(Box::new(buf.clone()), redactor());
    let ids: Vec<String> = s.operations.iter().map(|o| o.id.clone()).collect();
    started(&mut a, &ids);
    a.finish(s, fail_on_timeout).unwrap();
    buf.text()
}

#[test]
fn azure_escaping_round_trips_through_the_agents_unescape() {
    for s in [
        "plain",
        "a;b",
        "x]y",
        "50%",
        "%3B literal",
        "%AZP25",
        "l1\nl2\r\n",
        "]]%;;",
    ] {
        assert_eq!(vso_unescape(&azure_pipelines::escape(s)), s, "{s:?}");
        let e = azure_pipelines::escape(s);
        assert!(!e.contains([';', ']', '\n', '\r']), "{e}");
    }
}

#[test]
fn azure_commands_parse_with_the_agents_grammar_for_every_ending() {
    for (name, s, fail_on_timeout) in endings() {
        let log = azure_run(&s, fail_on_timeout);
        let lines: Vec<&str> = log.lines().collect();
        let first = parse_vso_line(lines[0]).unwrap();
        assert_eq!(
            first.command, "task.setsecret",
            "{name}: secret registered first"
        );
        assert_eq!(
            first.data, SECRET,
            "{name}: the agent decodes the real value"
        );
        assert!(
            lines[1..].iter().all(|l| !l.contains("s3cret")),
            "{name}: redacted after registration"
        );
        let group = lines
            .iter()
            .position(|l| l.starts_with("##[group]Waiting for"))
            .unwrap();
        let end = lines.iter().position(|l| *l == "##[endgroup]").unwrap();
        assert!(group < end, "{name}");

        let commands = vso_commands(&log);
        let outputs = vso_outputs(&log);
        let expected = [
            "status",
            "operation_ids",
            "succeeded",
            "failed",
            "pending",
            "errors",
            "elapsed_seconds",
            "timed_out",
            "polls",
            "result",
        ];
        assert_eq!(outputs.len(), expected.len(), "{name}: {outputs:?}");
        for v in expected {
            assert!(
                v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "a valid Azure variable name"
            );
            assert!(outputs.contains_key(v), "{name}: {v}");
        }
        assert_eq!(outputs["status"], s.status.as_str(), "{name}");
        let result: serde_json::Value = serde_json::from_str(&outputs["result"]).unwrap();
        assert_eq!(result["status"], s.status.as_str());
        let setvars = commands
            .iter()
            .filter(|c| c.command == "task.setvariable")
            .count();
        assert_eq!(
            setvars,
            expected.len(),
            "{name}: provider text set no variable"
        );

        let issues = |t: &str| {
            commands
                .iter()
                .filter(|c| c.command == "task.logissue" && c.properties["type"] == t)
                .map(|c| c.data.clone())
                .collect::<Vec<_>>()
        };
        let completes: Vec<&Vso> = commands
            .iter()
            .filter(|c| c.command == "task.complete")
            .collect();
        match name {
            "success" => {
                assert!(issues("error").is_empty() && issues("warning").is_empty());
                assert!(completes.is_empty());
            }
            "failure" => {
                let errors = issues("error");
                assert_eq!(errors.len(), 2, "{errors:?}");
                assert!(errors[0].starts_with("CDN purge operation failed: b - Failed - Origin <down> & \"out\"; 50% ]done[ ***"), "{}", errors[0]);
                assert!(errors[1].contains("WrongSignature") && errors[1].contains("corr-1"));
                assert!(
                    errors[1].contains("check the key]"),
                    "] survives: {}",
                    errors[1]
                );
                assert!(completes.is_empty());
            }
            "timeout" => {
                assert_eq!(issues("warning").len(), 1);
                assert!(issues("warning")[0].starts_with("CDN purge wait timed out"));
                assert!(
                    issues("warning")[0].contains("\nb - Processing"),
                    "multi-line message"
                );
                assert!(completes.is_empty(), "a hard timeout fails by exit code");
            }
            "soft-timeout" => {
                assert_eq!(issues("warning").len(), 1);
                assert_eq!(completes.len(), 1);
                assert_eq!(completes[0].properties["result"], "SucceededWithIssues");
                assert!(completes[0].data.starts_with("timed out after 15m00s"));
            }
            "interruption" => {
                assert!(issues("warning")[0].contains("interrupted"));
                assert!(completes.is_empty());
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn azure_provider_text_cannot_start_a_command() {
    let buf = Buf::default();
    let mut a = AzurePipelines::new(Box::new(buf.clone()), Redactor::default());
    let ids = vec!["a".to_string()];
    a.event(&Event::Started {
        provider: "azure-china-cdn",
        ids: &ids,
        timeout: Duration::from_secs(9),
    });
    let mut obs = Observation::new(
        "a",
        State::Pending,
        "##vso[task.complete result=Succeeded;]",
    );
    obs.message = Some("##[error]fake".into());
    a.event(&Event::Observed {
        observation: &obs,
        changed: true,
        elapsed: Duration::from_secs(1),
        next_in: None,
    });
    let log = buf.text();
    assert!(vso_commands(&log).is_empty(), "{log}");
    assert!(azure_pipelines::defuse("##[error]x").starts_with("# #[error]"));
}

#[test]
fn azure_config_error_is_an_error_issue_and_status_error() {
    let buf = Buf::default();
    let mut a = AzurePipelines::new(Box::new(buf.clone()), Redactor::default());
    a.config_error(&config_error(), &["x".into()]).unwrap();
    let log = buf.text();
    let commands = vso_commands(&log);
    assert_eq!(commands[0].command, "task.logissue");
    assert_eq!(commands[0].properties["type"], "error");
    assert!(
        commands[0].data.ends_with("Use 90s; or 15m."),
        "{}",
        commands[0].data
    );
    let outputs = vso_outputs(&log);
    assert_eq!(outputs["status"], "error");
    assert_eq!(outputs["operation_ids"], "x");
}

// ---------------------------------------------------------------------------------------
// JUnit

#[test]
fn junit_follows_the_schema_for_every_ending() {
    for (name, s, fail_on_timeout) in endings() {
        let xml = junit::xml(&s, fail_on_timeout);
        let cases = parse_junit(&xml);
        assert_eq!(cases.len(), s.operations.len(), "{name}");
        for (case, r) in cases.iter().zip(&s.operations) {
            assert_eq!(case.name, r.id);
            assert_eq!(case.classname, "purge-wait.azure-china-cdn");
            let expected = match (r.outcome, name) {
                (Outcome::Succeeded, _) => "pass",
                (Outcome::Failed | Outcome::Cancelled, _) => "failure",
                (Outcome::Error, _) => "error",
                (Outcome::Pending, "timeout") => "error",
                (Outcome::Pending, _) => "skipped",
            };
            assert_eq!(case.verdict, expected, "{name} {}", r.id);
        }
        if name == "failure" {
            assert_eq!(cases[1].kind, "Failed");
            assert!(
                cases[1]
                    .message
                    .contains("Origin <down> & \"out\"; 50% ]done[ s3cret"),
                "escaped and read back: {}",
                cases[1].message
            );
            assert!(cases[1].message.contains("\\n##vso"), "no raw line break");
            assert_eq!(cases[2].kind, "WrongSignature");
        }
        if name == "timeout" {
            assert_eq!(cases[1].kind, "TimedOut");
        }
    }
}

#[test]
fn junit_is_written_through_the_redactor_also_on_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let inner = Box::new(plain::Plain::with_writers(
        Box::new(Buf::default()),
        Box::new(Buf::default()),
        redactor(),
    ));
    let mut r = junit::WithJunit::new(inner, path.clone(), redactor());
    let (_, s, f) = endings().remove(1);
    r.finish(&s, f).unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(!xml.contains("s3cret"), "{xml}");
    assert_eq!(parse_junit(&xml)[1].verdict, "failure");

    r.config_error(&config_error(), &[]).unwrap();
    let cases = parse_junit(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].name, "configuration");
    assert_eq!(cases[0].kind, "ConfigError");
}

#[test]
fn detection_follows_the_ci_variables() {
    let env = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(ReportKind::detect(&env(&[])), ReportKind::Plain);
    assert_eq!(
        ReportKind::detect(&env(&[("GITLAB_CI", "true")])),
        ReportKind::Gitlab
    );
    assert_eq!(
        ReportKind::detect(&env(&[("TF_BUILD", "True")])),
        ReportKind::AzurePipelines
    );
    assert_eq!(
        ReportKind::detect(&env(&[("TF_BUILD", "False")])),
        ReportKind::Plain
    );
    assert_eq!(
        ReportKind::detect(&env(&[("GITHUB_ACTIONS", "true"), ("TF_BUILD", "True")])),
        ReportKind::Github
    );
}

#[test]
fn report_kinds_and_files_come_from_the_inputs() {
    let env: HashMap<String, String> = [("GITLAB_CI".to_string(), "true".to_string())].into();
    let raw = |args: &[&str]| match crate::config::parse(
        std::iter::once("purge-wait").chain(args.iter().copied()),
        &env,
    )
    .unwrap()
    {
        crate::config::Action::Wait(raw) => raw,
        other => panic!("{other:?}"),
    };
    let kind = |args: &[&str]| crate::config::report_kind(&raw(args), &env).unwrap();
    assert_eq!(kind(&[]), ReportKind::Gitlab, "auto");
    assert_eq!(
        kind(&["--report", "azure-pipelines"]),
        ReportKind::AzurePipelines
    );
    assert_eq!(kind(&["--report", "GitLab"]), ReportKind::Gitlab);
    let opts = crate::config::report_options(&raw(&[]));
    assert_eq!(opts.dotenv_file, Some("purge-wait.env".into()));
    assert_eq!(opts.junit_file, None);
    let opts =
        crate::config::report_options(&raw(&["--junit-file", "j.xml", "--dotenv-file", "d.env"]));
    assert_eq!(opts.junit_file, Some("j.xml".into()));
    assert_eq!(opts.dotenv_file, Some("d.env".into()));
}

#[test]
fn a_refused_purge_and_warnings_reach_every_ci_system() {
    // A task created by an earlier call, then a later call refused.
    let mut s = summary(Status::Error, vec![op("t1", Outcome::Pending, "", None)]);
    s.warnings = vec!["the paths may have been purged twice".into()];
    let refused = ProviderError::new(ErrorKind::Invalid, "Daily purge quota exceeded.")
        .code("QuotaExceeded.Refresh");
    s.purge = Some(crate::wait::PurgeInfo {
        paths: 2,
        calls: 1,
        error: Some(refused),
    });
    let azure = azure_run(&s, true);
    assert!(
        azure.contains("##vso[task.logissue type=error]CDN purge refused: QuotaExceeded.Refresh: Daily purge quota exceeded."),
        "{azure}"
    );
    assert!(azure.contains(
        "##vso[task.logissue type=warning]purge-wait: the paths may have been purged twice"
    ));
    let (log, _) = gitlab_run(&s, true, false);
    assert!(
        log.contains("the purge was refused, nothing was waited on: QuotaExceeded.Refresh"),
        "{log}"
    );
    assert!(
        log.contains("warning: the paths may have been purged twice"),
        "{log}"
    );
}

#[test]
fn azure_registers_a_secret_learnt_mid_wait_before_the_next_line() {
    let buf = Buf::default();
    let r = Redactor::default();
    r.add("input;secret");
    let mut az = AzurePipelines::new(Box::new(buf.clone()), r.clone());
    started(&mut az, &["a".to_string()]);
    // A provider fetches a token and registers it through its handle.
    r.add("token;learnt]later");
    az.event(&Event::Heartbeat {
        pending: 1,
        total: 1,
        elapsed: Duration::from_secs(30),
    });
    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "##vso[task.setsecret]input%3Bsecret");
    let late = lines
        .iter()
        .position(|l| *l == "##vso[task.setsecret]token%3Blearnt%5Dlater")
        .expect("the late secret is registered");
    assert!(lines[late + 1].contains("still waiting"), "{text}");
    assert_eq!(
        text.matches("task.setsecret").count(),
        2,
        "escaped forms are not announced: {text}"
    );
    for (i, line) in lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != late)
    {
        assert!(
            !line.contains("learnt") && !line.contains("input"),
            "line {i} shows a secret: {line}"
        );
    }
}
