//! Output formats through the binary, with a provider that echoes hostile text: well-formed
//! JUnit for characters XML forbids, no escaped form of a secret in any format, a secret
//! equal to an output name leaving `GITHUB_OUTPUT` intact, server Markdown shown as text in
//! the job summary, and a summary under GitHub's 1 MiB for a very large wait.

use std::time::Duration;

use purge_wait::sim::azure_china::{AzureChinaSim, DEMO_KEY_ID, Setup};
use purge_wait::sim::{Ending, Scenario, Simulator};

use crate::util::ci_parsers::*;
use crate::util::*;

/// A failure after `after` whose message is `message`.
fn failing(message: &str) -> Scenario {
    Scenario {
        ending: Ending::Failed,
        message: Some(message.to_string()),
        ..Scenario::succeeds_after(Duration::from_millis(100))
    }
}

/// The Azure China simulator accepting `key_secret`, every operation failing with `message`.
async fn echo_sim(key_secret: &str, message: &str) -> Simulator {
    let setup = Setup {
        key_secret: key_secret.into(),
        default: failing(message),
        ..Setup::default()
    };
    Simulator::start(
        AzureChinaSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

fn env_with(sim: &Simulator, secret: &str, ids: &[&str]) -> TestEnv {
    let mut env = china_env(sim, ids);
    let junit = env.path("junit.xml");
    env.set("INPUT_API-KEY-SECRET", secret)
        .set("AZURE_CDN_API_KEY_ID", DEMO_KEY_ID)
        .set("INPUT_JUNIT-FILE", &junit);
    env
}

/// Whether `c` is a `Char` of XML 1.0.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[tokio::test]
async fn junit_is_well_formed_whatever_characters_the_server_sends() {
    let nasty = "bad \u{fffe}\u{ffff}\u{1b}[31m\u{7}\u{85}\u{2028} ]]> <!-- &#0; end";
    let sim = echo_sim(purge_wait::sim::azure_china::DEMO_KEY_SECRET, nasty).await;
    let id = guid(31);
    let env = env_with(&sim, SECRET, &[&id]);
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let xml = std::fs::read_to_string(env.path("junit.xml")).unwrap();
    assert!(
        xml.chars().all(xml_char),
        "a character XML 1.0 forbids:\n{xml:?}"
    );
    let cases = parse_junit(&xml);
    assert_eq!(cases[0].verdict, "failure");
    assert!(
        cases[0].message.contains("\\u{fffe}\\u{ffff}"),
        "{}",
        cases[0].message
    );
    assert!(
        cases[0].message.contains("]]> <!-- &#0; end"),
        "{}",
        cases[0].message
    );
}

/// A key value with every character some format escapes. (The simulator signs with it as
/// is, like the service.)
const AWKWARD: &str = "k\"e\\y<&>'|_*[x]`%;]@v~al";

/// Every form the secret could take in something written.
fn forms() -> Vec<String> {
    use purge_wait::report::{azure_pipelines, clean, github, junit};
    let json = serde_json::Value::String(AWKWARD.into()).to_string();
    vec![
        AWKWARD.to_string(),
        json[1..json.len() - 1].to_string(),
        junit::escape(AWKWARD),
        github::md_cell(AWKWARD),
        github::escape_data(AWKWARD),
        azure_pipelines::escape(AWKWARD),
        clean(AWKWARD),
    ]
}

#[tokio::test]
async fn no_escaped_form_of_a_secret_is_written_in_any_format() {
    let sim = echo_sim(AWKWARD, &format!("the origin echoed {AWKWARD} back")).await;
    let id = guid(32);

    // GitHub: commands, outputs, summary, JUnit.
    let env = env_with(&sim, AWKWARD, &[&id]);
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let junit = std::fs::read_to_string(env.path("junit.xml")).unwrap();
    let stdout: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for f in forms() {
        for (what, text) in [
            ("stdout", &stdout),
            ("stderr", &run.stderr),
            ("GITHUB_OUTPUT", &run.output_file),
            ("summary", &run.summary),
            ("JUnit", &junit),
        ] {
            assert!(!text.contains(&f), "{f:?} in {what}:\n{text}");
        }
    }
    assert_eq!(
        run.result()["operations"][0]["message"],
        "the origin echoed *** back"
    );
    assert!(parse_junit(&junit)[0].message.contains("echoed *** back"));

    // Azure Pipelines and GitLab, and `report: json`.
    for (var, value) in [
        ("TF_BUILD", "True"),
        ("GITLAB_CI", "true"),
        ("INPUT_REPORT", "json"),
    ] {
        let mut env = env_with(&sim, AWKWARD, &[&id]);
        let dotenv = env.path("purge-wait.env");
        env.unset("GITHUB_ACTIONS")
            .set(var, value)
            .set("INPUT_DOTENV-FILE", &dotenv);
        let run = env.run().await;
        assert_eq!(run.code, 1, "{var}: {}", run.stdout);
        let stdout: String = run
            .stdout
            .lines()
            .filter(|l| !l.starts_with("##vso[task.setsecret]"))
            .collect::<Vec<_>>()
            .join("\n");
        let dotenv = std::fs::read_to_string(env.path("purge-wait.env")).unwrap_or_default();
        let junit = std::fs::read_to_string(env.path("junit.xml")).unwrap();
        for f in forms() {
            for (what, text) in [
                ("stdout", &stdout),
                ("stderr", &run.stderr),
                ("dotenv", &dotenv),
                ("JUnit", &junit),
            ] {
                assert!(!text.contains(&f), "{var}: {f:?} in {what}:\n{text}");
            }
        }
        if var == "INPUT_REPORT" {
            let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
            assert_eq!(v["operations"][0]["message"], "the origin echoed *** back");
        }
    }
}

#[tokio::test]
async fn a_secret_equal_to_an_output_name_leaves_github_output_intact() {
    for secret in ["status", "result", "operation-ids"] {
        let sim = echo_sim(secret, "origin down").await;
        let id = guid(33);
        let env = env_with(&sim, secret, &[&id]);
        let run = env.run().await;
        assert_eq!(run.code, 1, "{secret}: {}\n{}", run.stdout, run.stderr);
        // `Run` parsed GITHUB_OUTPUT with the runner's rules.
        run.assert_all_outputs();
        assert_eq!(run.outputs["status"], "failed", "{secret}");
        assert_eq!(run.outputs["operation-ids"], id, "{secret}");
        let result = run.result();
        assert_eq!(
            result["status"], "failed",
            "{secret}: a JSON key was redacted"
        );
        assert_eq!(result["operations"][0]["id"], id.as_str());
        assert!(
            run.commands("error")
                .iter()
                .any(|e| e.starts_with("::error title=CDN purge operation failed::")),
            "{secret}: {}",
            run.stdout
        );
        assert!(run.stdout.lines().any(|l| l == "::endgroup::"), "{secret}");
    }
}

#[tokio::test]
async fn summary_cells_show_server_markdown_links_and_html_as_text() {
    let message = "click [here](http://evil.example/fix) ![px](https://evil.example/p.png) <img src=x onerror=alert(1)> <https://evil.example> www.evil.example \u{1b}[31m | injected |";
    let sim = echo_sim(purge_wait::sim::azure_china::DEMO_KEY_SECRET, message).await;
    let id = guid(34);
    let run = env_with(&sim, SECRET, &[&id]).run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    let md = &run.summary;
    let unescaped = |pat: &str| md.match_indices(pat).any(|(i, _)| !md[..i].ends_with('\\'));
    assert!(!unescaped("]("), "a link in the summary:\n{md}");
    for bad in [
        "![",
        "<img",
        "<https",
        "://",
        "www.evil",
        "\u{1b}",
        "| injected |",
    ] {
        assert!(!md.contains(bad), "{bad:?} in the summary:\n{md}");
    }
    assert!(md.contains("click \\[here\\]"), "{md}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 3, "{md}");
}

#[tokio::test]
async fn a_very_large_wait_keeps_the_summary_under_githubs_limit() {
    let message = "Origin unreachable from every edge node; ".repeat(12);
    let sim = echo_sim(purge_wait::sim::azure_china::DEMO_KEY_SECRET, &message).await;
    let ids: Vec<String> = (0..2500).map(|n| guid(100_000 + n)).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut env = env_with(&sim, SECRET, &refs);
    env.set("INPUT_CONCURRENCY", "64")
        .set("INPUT_TIMEOUT", "60s")
        .unset("INPUT_JUNIT-FILE");
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.outputs["failed"], "2500");
    let size = run.summary.len();
    assert!(size < 1024 * 1024, "the summary is {size} bytes");
    assert!(size > 900 * 1024, "as much as fits is shown: {size} bytes");
    assert!(
        run.summary.contains("more operations") && run.summary.contains("1 MiB"),
        "a note says operations were left out"
    );
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 2500);
}
