//! Ids injected by a purge answer (Alibaba `RefreshTaskId`, Azure China `TaskTrackId`, an
//! ARM monitor URL, percent-decoded) that try to write workflow commands, logging commands,
//! GitLab section markers and table rows: refused as malformed (exit 3) at once, in GitHub,
//! GitLab and Azure Pipelines mode, with no injected command line and the summary intact.

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::ci_parsers::*;
use crate::util::*;

/// What the hostile server puts in an id (after JSON decoding or percent-decoding).
pub const INJECTED: &str = "704\n::error title=x::injected\n::add-mask::Succeeded\n##[error]injected\n##[endgroup]\n##vso[task.complete result=Succeeded;]injected\n\u{1b}[0Ksection_end:1:purge_wait_polls\r\u{1b}[0K\n| injected | row |\n\u{202e}detcejni";

/// The providers whose purge answers name the ids.
#[derive(Clone, Copy, Debug)]
pub enum Hostile {
    AzureChina,
    Alibaba,
    AzureArm,
    AwsCloudFront,
    GoogleCloudCdn,
    TencentCdn,
}

pub const ALL: [Hostile; 6] = [
    Hostile::AzureChina,
    Hostile::Alibaba,
    Hostile::AzureArm,
    Hostile::AwsCloudFront,
    Hostile::GoogleCloudCdn,
    Hostile::TencentCdn,
];

/// Whether a refusal names the code of the check that refused the id: the shared one (any
/// provider) or the provider's own id format check, whichever refuses first.
pub(crate) fn says_why(log: &str) -> bool {
    const CODES: &[&str] = &[
        "MalformedOperationId",
        "MalformedTaskTrackId",
        "MalformedRefreshTaskId",
        "MalformedMonitorUrl",
        "MalformedInvalidationId",
        "MalformedTaskId",
    ];
    CODES.iter().any(|code| log.contains(code))
}

fn percent_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A server that accepts any purge and names [`INJECTED`] as the operation created.
pub async fn hostile_server(p: Hostile) -> MockServer {
    let server = MockServer::start().await;
    let answer = match p {
        Hostile::AzureChina => ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "Succeeded": true,
            "IsAsync": true,
            "AsyncInfo": {"TaskTrackId": INJECTED, "TaskStatus": "Processing"},
        })),
        Hostile::Alibaba => ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "RefreshTaskId": INJECTED,
            "RequestId": "5C0A3A7A-0000-4000-8000-000000000001",
        })),
        Hostile::AzureArm => ResponseTemplate::new(202).insert_header(
            "Azure-AsyncOperation",
            format!(
                "{}/subscriptions/{}/providers/Microsoft.Cdn/locations/westeurope/operationStatuses/{}?api-version=2024-02-01",
                server.uri(),
                purge_wait::provider::azure_arm::sim::DEMO_SUBSCRIPTION,
                percent_encoded(INJECTED)
            ),
        ),
        Hostile::AwsCloudFront => ResponseTemplate::new(201)
            .insert_header("x-amz-request-id", "hostile-ids-request")
            .set_body_raw(
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Invalidation xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Id>{}</Id><Status>InProgress</Status></Invalidation>",
                    quick_xml::escape::escape(INJECTED)
                ),
                "text/xml",
            ),
        Hostile::GoogleCloudCdn => ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "kind": "compute#operation",
            "name": INJECTED,
            "operationType": "invalidateCache",
            "status": "RUNNING",
        })),
        Hostile::TencentCdn => ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "Response": {"TaskId": INJECTED, "RequestId": "hostile-ids-request"},
        })),
    };
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The inputs of a GitHub step purging on `url` (the hostile server).
pub fn purge_inputs(p: Hostile, url: &str) -> Vec<(&'static str, String)> {
    let mut inputs = vec![
        ("INPUT_ENDPOINT", url.to_string()),
        ("INPUT_PATHS", "https://www.example.com/a.png".to_string()),
        ("INPUT_TIMEOUT", "20s".into()),
        ("INPUT_INTERVAL", "200ms".into()),
        ("INPUT_MAX-INTERVAL", "400ms".into()),
        ("INPUT_REPORT", "auto".into()),
    ];
    match p {
        Hostile::AzureChina => {
            use purge_wait::provider::azure_china::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "azure-china-cdn".into()),
                ("INPUT_SUBSCRIPTION-ID", DEMO_SUBSCRIPTION.into()),
                ("INPUT_ENDPOINT-ID", DEMO_ENDPOINT.into()),
                ("INPUT_API-KEY-ID", DEMO_KEY_ID.into()),
                ("INPUT_API-KEY-SECRET", SECRET.into()),
            ]);
        }
        Hostile::Alibaba => {
            use purge_wait::provider::alibaba::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "alibaba-dcdn".into()),
                ("INPUT_ACCESS-KEY-ID", DEMO_ACCESS_KEY_ID.into()),
                ("INPUT_ACCESS-KEY-SECRET", DEMO_ACCESS_KEY_SECRET.into()),
            ]);
        }
        Hostile::AzureArm => {
            use purge_wait::provider::azure_arm::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "azure-arm".into()),
                (
                    "INPUT_ACCESS-TOKEN",
                    "hostile-ids.static.access-token".into(),
                ),
                ("INPUT_SUBSCRIPTION-ID", DEMO_SUBSCRIPTION.into()),
                ("INPUT_RESOURCE-GROUP", "web-rg".into()),
                ("INPUT_PROFILE", "cdn-prof".into()),
                ("INPUT_CDN-ENDPOINT", "web".into()),
                ("INPUT_PATHS", "/a.png".into()),
            ]);
        }
        Hostile::AwsCloudFront => {
            use purge_wait::provider::aws_cloudfront::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "aws-cloudfront".into()),
                ("INPUT_DISTRIBUTION-ID", DEMO_DISTRIBUTION.into()),
                ("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID.into()),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    crate::providers::aws_cloudfront::AWS_SECRET.into(),
                ),
                ("HOME", "/nonexistent-purge-wait-home".into()),
                ("INPUT_PATHS", "/a.png".into()),
            ]);
        }
        Hostile::GoogleCloudCdn => {
            use purge_wait::provider::google_cloud_cdn::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "google-cloud-cdn".into()),
                ("INPUT_PROJECT", DEMO_PROJECT.into()),
                ("INPUT_URL-MAP", DEMO_URL_MAP.into()),
                ("GOOGLE_OAUTH_ACCESS_TOKEN", DEMO_ACCESS_TOKEN.into()),
                ("INPUT_PATHS", "/a.png".into()),
            ]);
        }
        Hostile::TencentCdn => {
            use purge_wait::provider::tencent::sim::*;
            inputs.extend([
                ("INPUT_PROVIDER", "tencent-cdn".into()),
                ("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID.into()),
                ("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY.into()),
            ]);
        }
    }
    inputs
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Github,
    Gitlab,
    AzurePipelines,
}

fn env_for(p: Hostile, url: &str, mode: Mode) -> TestEnv {
    let mut t = TestEnv::github();
    for (k, v) in purge_inputs(p, url) {
        t.set(k, &v);
    }
    if mode == Mode::Github {
        return t;
    }
    for k in ["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
        t.unset(k);
    }
    t.env = t
        .env
        .into_iter()
        .map(|(k, v)| match k.strip_prefix("INPUT_") {
            Some(name) => (format!("PURGE_WAIT_{}", name.replace('-', "_")), v),
            None => (k, v),
        })
        .collect();
    match mode {
        Mode::Gitlab => t.set("GITLAB_CI", "true"),
        _ => t.set("TF_BUILD", "True"),
    };
    t.set("PURGE_WAIT_JUNIT_FILE", &t.path("junit.xml"));
    t.set("PURGE_WAIT_DOTENV_FILE", &t.path("purge-wait.env"));
    t
}

/// What no physical line (a bare `\r` ends one for the runners) of a log may be: a command
/// the server wrote. purge-wait's own command lines (a GitHub `::` command, an Azure
/// `##vso[` at the start) are read as that one command, whatever their escaped data holds.
pub fn assert_no_injected_line(log: &str) -> Result<(), String> {
    for line in log.split(['\n', '\r']) {
        let t = line.trim_start();
        let ours_github = [
            "::error title=CDN",
            "::error title=Could",
            "::error title=purge-wait",
            "::warning title=",
            "::group::",
            "::endgroup::",
            "::debug::",
            "::add-mask::",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        let ours_azure = line.starts_with("##vso[") && !line.starts_with("##vso[task.complete");
        let bad = if t.starts_with("::") {
            !ours_github || t.starts_with("::add-mask::Succeeded")
        } else if ours_azure {
            false
        } else {
            line.contains("##[")
                || line.to_ascii_lowercase().contains("##vso[")
                || line.contains("\u{1b}[0Ksection_end")
                || line.starts_with("| injected")
        } || line.contains('\u{202e}');
        if bad {
            return Err(format!("injected line {line:?} in\n{log}"));
        }
    }
    Ok(())
}

/// Every row of a GitHub job summary's table has its seven cells, and no row was added.
pub fn assert_summary_intact(md: &str) -> Result<(), String> {
    for row in md.lines().filter(|l| l.starts_with('|')) {
        let cells = row
            .char_indices()
            .filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\'))
            .count();
        if cells != 8 || row.contains("| injected") {
            return Err(format!("broken summary row {row:?} in\n{md}"));
        }
    }
    if md.contains('\u{1b}') || md.contains('\u{202e}') {
        return Err(format!("control characters in the summary\n{md}"));
    }
    Ok(())
}

#[tokio::test]
async fn injected_ids_are_malformed_and_never_printed_raw_in_any_ci_system() {
    let mut failures = Vec::new();
    for p in ALL {
        for mode in [Mode::Github, Mode::Gitlab, Mode::AzurePipelines] {
            let server = hostile_server(p).await;
            let env = env_for(p, &server.uri(), mode);
            let mut c = env.command();
            c.current_dir(env.dir.path());
            let run = env.collect(c.spawn().unwrap()).await;
            let mut problems = Vec::new();
            if run.code != 3 {
                problems.push(format!("exit {} (expected 3)", run.code));
            }
            let calls = server.received_requests().await.unwrap_or_default().len();
            if calls != 1 {
                problems.push(format!("{calls} requests: a hostile id is not re-sent for"));
            }
            for log in [&run.stdout, &run.stderr] {
                if let Err(e) = assert_no_injected_line(log) {
                    problems.push(e);
                }
            }
            if !says_why(&run.stdout) {
                problems.push("the refusal does not say why".into());
            }
            match mode {
                Mode::Github => {
                    if run.outputs.get("status").map(String::as_str) != Some("error") {
                        problems.push(format!("status {:?}", run.outputs.get("status")));
                    }
                    if let Err(e) = assert_summary_intact(&run.summary) {
                        problems.push(e);
                    }
                    if !run.summary.contains("the purge was refused") {
                        problems.push("no summary".into());
                    }
                }
                Mode::Gitlab => {
                    let bytes = std::fs::read(env.path("purge-wait.env")).unwrap_or_default();
                    match parse_gitlab_dotenv(&bytes) {
                        Ok(vars)
                            if vars.get("PURGE_WAIT_STATUS").map(String::as_str)
                                == Some("error") => {}
                        other => problems.push(format!("dotenv {other:?}")),
                    }
                }
                Mode::AzurePipelines => {
                    let outputs = vso_outputs(&run.stdout);
                    if outputs.get("status").map(String::as_str) != Some("error") {
                        problems.push(format!("outputs {outputs:?}"));
                    }
                    if vso_commands(&run.stdout).iter().any(|c| {
                        !matches!(
                            c.command.as_str(),
                            "task.setsecret" | "task.logissue" | "task.setvariable"
                        )
                    }) {
                        problems.push(format!("an unexpected command in\n{}", run.stdout));
                    }
                }
            }
            if mode != Mode::Github {
                let xml = std::fs::read_to_string(env.path("junit.xml")).unwrap_or_default();
                let _ = parse_junit(&xml);
            }
            if !problems.is_empty() {
                failures.push(format!("{p:?} in {mode:?}: {}", problems.join("; ")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
