//! Hostile text and awkward secrets in every format: server text that tries to write
//! commands, markup or characters XML forbids; secrets with every character some format
//! escapes, or equal to a name the formats use; huge waits; files that cannot be written.

use std::collections::HashMap;
use std::time::Duration;

use super::azure_pipelines::{self, AzurePipelines};
use super::ci_tests::parsers::*;
use super::github::{self, Github, MAX_SUMMARY_BYTES, md_cell};
use super::gitlab::Gitlab;
use super::tests::{Buf, op, summary};
use super::*;
use crate::provider::{ErrorKind, Observation, ProviderError, State};
use crate::secret::{Redactor, json_escaped};
use crate::wait::{OperationResult, Outcome, Status, Summary};

/// Every character some format escapes: JSON (`"` `\`), XML (`<` `&` `>` `'` `"`),
/// Markdown (`|` `_` `*` `[` `]` `` ` `` `@`), GitHub data (`%`), Azure (`;` `]` `%`).
const SECRET: &str = "p\"a\\ss<&>|%;]_w*rd'`[x]@y";

/// Every form [`SECRET`] could take in something written.
fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_string(),
        json_escaped(secret),
        junit::escape(secret),
        md_cell(secret),
        github::escape_data(secret),
        azure_pipelines::escape(secret),
        clean(secret),
        github::escape_data(&clean(secret)),
        azure_pipelines::escape(&clean(secret)),
    ]
}

fn assert_no_form(what: &str, text: &str, secret: &str) {
    for f in forms(secret) {
        assert!(!text.contains(&f), "{what} holds {f:?}:\n{text}");
    }
}

/// A failed wait whose provider echoed `secret` everywhere it could.
fn echoing(secret: &str) -> Summary {
    let mut failed = op(
        "b",
        Outcome::Failed,
        "Failed",
        Some(&format!("origin said {secret}")),
    );
    failed
        .last
        .as_mut()
        .unwrap()
        .details
        .push(("ObjectPath".into(), format!("/{secret}")));
    let mut unreadable = op("c", Outcome::Error, "", None);
    unreadable.last = None;
    let mut e = ProviderError::new(ErrorKind::Auth, format!("refused {secret}")).code("Nope");
    e.request_id = Some(("x-request-id", format!("id-{secret}")));
    unreadable.error = Some(e);
    let mut s = summary(
        Status::Failed,
        vec![
            op("a", Outcome::Succeeded, "Succeeded", None),
            failed,
            unreadable,
        ],
    );
    s.warnings.push(format!("purged twice ({secret})"));
    s
}

fn started_and_observed(r: &mut dyn Reporter, secret: &str) {
    let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    r.event(&Event::Started {
        provider: "azure-china-cdn",
        ids: &ids,
        timeout: Duration::from_secs(60),
    });
    let mut obs = Observation::new("b", State::Pending, "Processing");
    obs.message = Some(format!("echo {secret}"));
    r.event(&Event::Observed {
        observation: &obs,
        changed: true,
        elapsed: Duration::from_secs(1),
        next_in: None,
    });
}

fn redactor_with(secret: &str) -> Redactor {
    let r = Redactor::default();
    r.add(secret);
    r
}

#[test]
fn clean_escapes_line_separators_bidi_marks_and_noncharacters() {
    assert_eq!(clean("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
    assert_eq!(clean("x\u{202e}gnp"), "x\\u{202e}gnp");
    assert_eq!(clean("x\u{2066}y\u{200f}"), "x\\u{2066}y\\u{200f}");
    assert_eq!(clean("\u{85}\u{7f}\u{0}"), "\\u{85}\\u{7f}\\u{0}");
    assert_eq!(
        clean("\u{fffe}\u{ffff}\u{feff}"),
        "\\u{fffe}\\u{ffff}\\u{feff}"
    );
    assert_eq!(
        clean("Ünïcode 数字 ✅"),
        "Ünïcode 数字 ✅",
        "ordinary text is kept"
    );
}

#[test]
fn defuse_breaks_commands_on_every_line_not_only_the_first() {
    for hostile in [
        "ok\n##[endgroup]",
        "ok\r##[error]x",
        "a ##vso[task.complete result=Succeeded;]",
        "a\n##VSO[task.setvariable variable=status]x",
        "x ##[add-mask]Succeeded",
        "x ###[group]y",
        "::error::x",
        "ok\n  ::add-mask::Succeeded",
        "ok\r\n::endgroup::",
    ] {
        let d = defuse(hostile);
        for line in d.split(['\n', '\r']) {
            assert!(
                parse_vso_line(line).is_none(),
                "{hostile:?} → {d:?} holds a ##vso command"
            );
            assert!(!line.contains("##["), "{hostile:?} → {d:?}");
            assert!(
                !line.trim_start().starts_with("::"),
                "{hostile:?} → {d:?} starts a workflow command"
            );
        }
    }
    assert_eq!(defuse("plain # text ## here"), "plain # text ## here");
}

#[test]
fn azure_defuses_every_line_of_every_ordinary_text() {
    let buf = Buf::default();
    let mut a = AzurePipelines::new(Box::new(buf.clone()), Redactor::default());
    let s = summary(
        Status::Failed,
        vec![op(
            "b",
            Outcome::Failed,
            "Failed\r##[endgroup]",
            Some("x\n##[error]y\r##vso[task.complete result=Succeeded;]"),
        )],
    );
    a.finish(&s, true).unwrap();
    let log = buf.text();
    for line in log.split(['\n', '\r']) {
        if !line.starts_with("##vso[") {
            assert!(!line.contains("##["), "{line:?} in\n{log}");
        }
        // The agent reads the first `##vso[` of a line (ours); an output value keeps the
        // provider's text as is, escaped.
        if !line.starts_with("##vso[task.setvariable") {
            assert!(line.matches("##vso[").count() <= 1, "{line:?}");
        }
    }
    let commands = vso_commands(&log);
    assert!(
        commands.iter().all(|c| c.command != "task.complete"),
        "{log}"
    );
}

#[test]
fn summary_cells_show_server_markup_as_text() {
    for hostile in [
        "[click here](http://evil.example/x)",
        "![pixel](https://evil.example/p.png)",
        "<img src=x onerror=alert(1)>",
        "<https://evil.example>",
        "see https://evil.example/fix now",
        "or www.evil.example",
        "mail admin@evil.example",
        "[ref]: http://evil.example",
        "**bold** _it_ ~~gone~~ `code`",
        "\u{1b}[31mred\u{7}\u{202e}txt",
        "a|b\nc",
    ] {
        let c = md_cell(hostile).replace("<br>", " ");
        let unescaped = |ch: char| {
            c.char_indices()
                .any(|(i, x)| x == ch && !c[..i].ends_with('\\'))
        };
        for ch in ['[', ']', '`', '*', '_', '~', '|', '<', '>', '@'] {
            assert!(!unescaped(ch), "{hostile:?} → {c:?} keeps {ch}");
        }
        assert!(!c.contains("://"), "{hostile:?} → {c:?} keeps a bare URL");
        assert!(!c.to_lowercase().contains("www."), "{hostile:?} → {c:?}");
        assert!(!c.chars().any(crate::provider::is_hostile_char), "{c:?}");
        assert!(!c.contains('\n'), "{c:?}");
    }
    assert_eq!(
        md_cell("CdnErrorCode: BadRequest"),
        "CdnErrorCode: BadRequest"
    );
}

#[test]
fn summary_table_keeps_its_shape_with_hostile_ids_and_text() {
    let mut s = summary(
        Status::Failed,
        vec![
            op(
                "a|b\n| x | y |",
                Outcome::Failed,
                "F|a\nil",
                Some("m|\r\n|"),
            ),
            op("c`d", Outcome::Succeeded, "Succeeded", None),
        ],
    );
    s.warnings.push("w\n| injected | row |".into());
    let md = github::markdown(&s);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(
        rows.len(),
        4,
        "header, rule and one row per operation:\n{md}"
    );
    for row in &rows {
        let cells = row
            .char_indices()
            .filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\'))
            .count();
        assert_eq!(cells, 8, "{row}");
    }
}

#[test]
fn summary_stays_under_githubs_limit_for_huge_waits() {
    let ops: Vec<OperationResult> = (0..20_000)
        .map(|i| {
            op(
                &format!("{i:08}-0000-4000-8000-000000000000"),
                Outcome::Failed,
                "Failed",
                Some(&"origin unreachable; ".repeat(10)),
            )
        })
        .collect();
    let mut s = summary(Status::Failed, ops);
    s.warnings = vec!["w".repeat(5000); 50];
    let md = github::markdown(&s);
    assert!(md.len() <= MAX_SUMMARY_BYTES, "{} bytes", md.len());
    assert!(md.len() < 1024 * 1024);
    let listed = md.lines().filter(|l| l.starts_with("| `")).count();
    assert!(listed > 1000, "as many rows as fit: {listed}");
    assert!(
        md.contains(&format!("{} more operations", 20_000 - listed)),
        "a note says how many are left out"
    );
    assert!(md.contains("The `result` output lists every operation"));
    assert!(
        md.trim_end().ends_with("timeout 15m00s"),
        "the footer stays"
    );

    let one = summary(
        Status::Failed,
        vec![op(
            "a",
            Outcome::Failed,
            "Failed",
            Some(&"x".repeat(5 << 20)),
        )],
    );
    let md = github::markdown(&one);
    assert!(md.len() < 10_000, "one huge message is cut: {}", md.len());
    assert!(md.contains("(cut;"));
}

/// Whether `c` is a `Char` of XML 1.0.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[test]
fn junit_is_well_formed_xml_for_any_text() {
    let nasty = "\u{0}\u{8}\u{b}\u{c}\u{1b}\u{7f}\u{85}\u{fffe}\u{ffff}\u{1fffe}\u{d7ff}\u{e000}]]><!--&#0;\u{2028}";
    let mut r = op(&format!("id{nasty}"), Outcome::Failed, nasty, Some(nasty));
    r.last
        .as_mut()
        .unwrap()
        .details
        .push((nasty.into(), nasty.into()));
    let mut e = op("e", Outcome::Error, "", None);
    e.last = None;
    e.error = Some(ProviderError::new(ErrorKind::Malformed, nasty).code(nasty));
    let mut s = summary(Status::Failed, vec![r, e]);
    s.warnings.push(nasty.into());
    for xml in [
        junit::xml(&s, true),
        junit::config_error_xml(
            &crate::config::ConfigError {
                input: None,
                message: nasty.into(),
            },
            &[nasty.to_string()],
        ),
    ] {
        assert!(xml.chars().all(xml_char), "a character XML forbids");
        let cases = parse_junit(&xml);
        assert!(!cases.is_empty());
        assert!(cases[0].name.contains("\\u{fffe}"), "{}", cases[0].name);
    }
}

#[test]
fn no_escaped_form_of_a_secret_is_written_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let s = echoing(SECRET);

    // GitHub: commands, outputs, summary; and a JUnit file beside it.
    let (out, sum, xml) = (
        dir.path().join("out"),
        dir.path().join("sum"),
        dir.path().join("junit.xml"),
    );
    let buf = Buf::default();
    let gh = Github::new(
        Box::new(buf.clone()),
        redactor_with(SECRET),
        Some(out.clone()),
        Some(sum.clone()),
        true,
    );
    let mut r = junit::WithJunit::new(Box::new(gh), xml.clone(), redactor_with(SECRET));
    started_and_observed(&mut r, SECRET);
    r.finish(&s, true).unwrap();
    let stdout: String = buf
        .text()
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_no_form("GitHub commands", &stdout, SECRET);
    assert!(stdout.contains("origin said ***"), "{stdout}");
    let file = std::fs::read_to_string(&out).unwrap();
    assert_no_form("GITHUB_OUTPUT", &file, SECRET);
    let outputs = github::parse_output_file(&file).unwrap();
    let result: serde_json::Value = serde_json::from_str(&outputs["result"]).unwrap();
    assert_eq!(result["operations"][1]["message"], "origin said ***");
    assert_no_form("summary", &std::fs::read_to_string(&sum).unwrap(), SECRET);
    let junit = std::fs::read_to_string(&xml).unwrap();
    assert_no_form("JUnit", &junit, SECRET);
    assert!(parse_junit(&junit)[1].message.contains("origin said ***"));

    // GitLab: log and dotenv.
    let dotenv = dir.path().join("purge-wait.env");
    let buf = Buf::default();
    let mut g = Gitlab::new(
        Box::new(buf.clone()),
        redactor_with(SECRET),
        Some(dotenv.clone()),
        false,
    );
    started_and_observed(&mut g, SECRET);
    g.finish(&s, true).unwrap();
    assert_no_form("GitLab log", &buf.text(), SECRET);
    assert_no_form("dotenv", &std::fs::read_to_string(&dotenv).unwrap(), SECRET);

    // Azure Pipelines.
    let buf = Buf::default();
    let mut a = AzurePipelines::new(Box::new(buf.clone()), redactor_with(SECRET));
    started_and_observed(&mut a, SECRET);
    a.finish(&s, true).unwrap();
    let log: String = buf
        .text()
        .lines()
        .filter(|l| !l.starts_with("##vso[task.setsecret]"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_no_form("Azure Pipelines log", &log, SECRET);
    let outputs = vso_outputs(&log);
    let result: serde_json::Value = serde_json::from_str(&outputs["result"]).unwrap();
    assert_eq!(result["operations"][2]["error"]["message"], "refused ***");

    // JSON (the `report: json` line).
    let buf = Buf::default();
    let mut o = Out::new(Box::new(buf.clone()), redactor_with(SECRET));
    o.json(&json::result(&s));
    assert_no_form("JSON", &buf.text(), SECRET);
    let v: serde_json::Value = serde_json::from_str(buf.text().trim()).unwrap();
    assert_eq!(v["warnings"][0], "purged twice (***)");
}

#[test]
fn a_secret_equal_to_a_name_the_formats_use_leaves_their_structure_alone() {
    for secret in [
        "status",
        "result",
        "error",
        "testcase",
        "isOutput",
        "ghadelimiter_",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = echoing(secret);
        let (out, sum, xml) = (
            dir.path().join("out"),
            dir.path().join("sum"),
            dir.path().join("junit.xml"),
        );
        let buf = Buf::default();
        let gh = Github::new(
            Box::new(buf.clone()),
            redactor_with(secret),
            Some(out.clone()),
            Some(sum.clone()),
            false,
        );
        let mut r = junit::WithJunit::new(Box::new(gh), xml.clone(), redactor_with(secret));
        started_and_observed(&mut r, secret);
        r.finish(&s, true).unwrap();
        let outputs = github::parse_output_file(&std::fs::read_to_string(&out).unwrap())
            .unwrap_or_else(|e| panic!("{secret}: the runner refuses GITHUB_OUTPUT: {e}"));
        for name in Outputs::NAMES {
            assert!(outputs.contains_key(name), "{secret}: output {name} lost");
        }
        assert_eq!(outputs["status"], "failed", "{secret}");
        let result: serde_json::Value = serde_json::from_str(&outputs["result"]).unwrap();
        assert_eq!(
            result["status"], "failed",
            "{secret}: a JSON key was redacted"
        );
        assert_eq!(result["operations"][1]["message"], "origin said ***");
        let text = buf.text();
        assert!(
            text.lines()
                .any(|l| l.starts_with("::error title=CDN purge operation failed::")),
            "{secret}: an annotation was rewritten:\n{text}"
        );
        assert!(text.lines().any(|l| l == "::endgroup::"), "{secret}");
        let cases = parse_junit(&std::fs::read_to_string(&xml).unwrap());
        assert_eq!(cases.len(), 3, "{secret}");

        let buf = Buf::default();
        let mut a = AzurePipelines::new(Box::new(buf.clone()), redactor_with(secret));
        a.finish(&s, true).unwrap();
        let vso: HashMap<String, String> = vso_outputs(&buf.text());
        assert_eq!(
            vso.get("status").map(String::as_str),
            Some("failed"),
            "{secret}"
        );
        assert_eq!(vso.len(), Outputs::NAMES.len(), "{secret}");

        let dotenv = dir.path().join("purge-wait.env");
        let mut g = Gitlab::new(
            Box::new(Buf::default()),
            redactor_with(secret),
            Some(dotenv.clone()),
            false,
        );
        g.finish(&s, true).unwrap();
        let vars = parse_gitlab_dotenv(&std::fs::read(&dotenv).unwrap()).unwrap();
        assert_eq!(vars["PURGE_WAIT_STATUS"], "failed", "{secret}");
    }
}

#[test]
fn when_dotenv_and_junit_both_fail_both_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let dotenv = dir.path().join("dotenv-is-a-directory");
    let xml = dir.path().join("junit-is-a-directory");
    std::fs::create_dir(&dotenv).unwrap();
    std::fs::create_dir(&xml).unwrap();
    let buf = Buf::default();
    let g = Gitlab::new(
        Box::new(buf.clone()),
        Redactor::default(),
        Some(dotenv.clone()),
        false,
    );
    let mut r = junit::WithJunit::new(Box::new(g), xml.clone(), Redactor::default());
    let s = summary(
        Status::Succeeded,
        vec![op("a", Outcome::Succeeded, "Succeeded", None)],
    );
    let e = r.finish(&s, true).unwrap_err().to_string();
    assert!(e.contains("dotenv-is-a-directory"), "{e}");
    assert!(e.contains("junit-is-a-directory"), "{e}");
    let e = r
        .config_error(
            &crate::config::ConfigError {
                input: None,
                message: "bad".into(),
            },
            &[],
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dotenv-is-a-directory") && e.contains("junit-is-a-directory"),
        "{e}"
    );
}
