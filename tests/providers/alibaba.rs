//! Alibaba Cloud DCDN/CDN through the binary, against the simulator that verifies ACS3
//! signatures, dates and nonces like the service, with its mock STS and GitHub token service.

use std::time::Duration;

use purge_wait::provider::alibaba::sim::{self as alibaba, AlibabaSim, Setup};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

const AK_SECRET: &str = alibaba::DEMO_ACCESS_KEY_SECRET;

/// Starts the Alibaba simulator with scripted tasks (`ID:key=value,…`); unscripted tasks
/// complete 300 ms after their first poll.
pub async fn ali_sim_with(ops: &[&str], mut setup: Setup) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    Simulator::start(
        AlibabaSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

async fn ali_sim(ops: &[&str]) -> Simulator {
    ali_sim_with(ops, Setup::default()).await
}

/// A GitHub step environment pointed at `sim` with the demo AccessKey, waiting on `ids`.
pub fn ali_env(sim: &Simulator, ids: &[String]) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "alibaba-dcdn")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("ALIBABA_CLOUD_ACCESS_KEY_ID", alibaba::DEMO_ACCESS_KEY_ID)
        .set("INPUT_ACCESS-KEY-SECRET", AK_SECRET)
        .set("INPUT_OPERATION-IDS", &ids.join("\n"))
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    t
}

/// The same, with OIDC role assumption against the sim's STS instead of an AccessKey.
pub fn oidc_env(sim: &Simulator, ids: &[String]) -> TestEnv {
    let mut t = ali_env(sim, ids);
    t.unset("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .unset("INPUT_ACCESS-KEY-SECRET")
        .set("ALIBABA_CLOUD_ROLE_ARN", alibaba::DEMO_ROLE_ARN)
        .set(
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            alibaba::DEMO_OIDC_PROVIDER_ARN,
        )
        .set("INPUT_STS-ENDPOINT", &sim.url());
    t
}

/// Refresh-task-shaped ids.
fn task_ids(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("{}", 900_000_000 + i)).collect()
}

/// The ids a describe call asked about.
fn asked(r: &Record) -> Vec<String> {
    let query = r.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "TaskId")
        .map(|(_, v)| v.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn twenty_five_ids_are_three_signed_calls_per_sweep_and_finished_tasks_are_dropped() {
    let ids = task_ids(25);
    // The first five are complete at the first poll; the rest take 700 ms.
    let specs: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{id}:after={}ms", if i < 5 { 0 } else { 700 }))
        .collect();
    let sim = ali_sim(&specs.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(AK_SECRET);
    assert_eq!(run.outputs["succeeded"], "25");
    let r = sim.requests();
    assert!(r.iter().all(|r| r.status == 200), "{r:?}");
    // First sweep: every id, in three calls of at most ten.
    let mut first: Vec<String> = r[..3].iter().flat_map(asked).collect();
    let mut sizes: Vec<usize> = r[..3].iter().map(|r| asked(r).len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![5, 10, 10]);
    first.sort();
    let mut all = ids.clone();
    all.sort();
    assert_eq!(first, all, "the first sweep covers every id once");
    // Later sweeps: the finished five are never asked again, and calls stay batched.
    for later in &r[3..] {
        let a = asked(later);
        assert!(a.len() <= 10);
        assert!(
            !a.iter().any(|id| ids[..5].contains(id)),
            "finished task asked again: {a:?}"
        );
    }
    let later: Vec<String> = r[3..].iter().flat_map(asked).collect();
    for id in &ids[5..] {
        assert!(later.contains(id), "{id} was asked again until complete");
    }
    // Every request is signed afresh with ACS3.
    let mut nonces = std::collections::HashSet::new();
    for req in &r {
        assert_eq!(req.method, "POST");
        let auth = req.header("authorization").unwrap();
        assert!(
            auth.starts_with(&format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=",
                alibaba::DEMO_ACCESS_KEY_ID
            )),
            "{auth}"
        );
        assert_eq!(
            req.header("x-acs-action"),
            Some("DescribeDcdnRefreshTaskById")
        );
        assert_eq!(req.header("x-acs-version"), Some("2018-01-15"));
        assert!(nonces.insert(req.header("x-acs-signature-nonce").unwrap().to_string()));
    }
    assert_eq!(run.outputs["polls"], r.len().to_string());
    assert!(
        run.stdout
            .contains("::group::Waiting for 25 operations on alibaba-dcdn")
    );
}

#[tokio::test]
async fn cdn_uses_its_own_action_and_version() {
    let ids = task_ids(2);
    let sim = ali_sim(&[]).await;
    let mut env = ali_env(&sim, &ids);
    env.set("INPUT_PROVIDER", "alibaba-cdn");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    for r in sim.requests() {
        assert_eq!(r.header("x-acs-action"), Some("DescribeRefreshTaskById"));
        assert_eq!(r.header("x-acs-version"), Some("2018-05-10"));
    }
}

#[tokio::test]
async fn mixed_complete_and_failed_exits_1_with_each_description() {
    let ids = task_ids(3);
    let specs = [
        format!("{}:after=200ms", ids[0]),
        format!(
            "{}:after=200ms,outcome=failed,message=Origin Timeout",
            ids[1]
        ),
        format!(
            "{}:after=400ms,outcome=failed,message=Origin Return StatusCode 5XX",
            ids[2]
        ),
    ];
    let sim = ali_sim(&specs.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_all_outputs();
    run.assert_no_secret(AK_SECRET);
    assert_eq!(run.outputs["status"], "failed");
    assert_eq!(run.outputs["failed"], "2");
    assert_eq!(run.outputs["succeeded"], "1");
    let errors = run.commands("error");
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (id, description) in [
        (&ids[1], "Origin Timeout"),
        (&ids[2], "Origin Return StatusCode 5XX"),
    ] {
        let e = errors.iter().find(|e| e.contains(id.as_str())).unwrap();
        assert!(e.contains(description), "{e}");
        assert!(
            e.contains(&format!(
                "ObjectPath%3A https://www.example.com/static/{id}.js"
            )) || e.contains(&format!(
                "ObjectPath: https://www.example.com/static/{id}.js"
            )),
            "{e}"
        );
        assert!(run.summary.contains(description), "{}", run.summary);
    }
    assert_eq!(run.result()["operations"][1]["message"], "Origin Timeout");
}

#[tokio::test]
async fn throttling_then_success_honours_x_acs_retry_after() {
    let ids = task_ids(1);
    let sim = ali_sim(&[&format!("{}:after=0s,throttle=2,retry-after=1", ids[0])]).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(
        r.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![400, 400, 200],
        "Throttling.User arrives as HTTP 400 and is still retried"
    );
    assert_eq!(r[0].answer, "Throttling.User");
    for w in r.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_millis(990),
            "x-acs-retry-after: 1000 not honoured: {gap:?}"
        );
    }
    assert!(run.stdout.contains("Throttling.User"));
    assert_eq!(run.outputs["polls"], "3");
}

#[tokio::test]
async fn a_5xx_burst_is_retried() {
    let ids = task_ids(1);
    let sim = ali_sim(&[&format!("{}:after=0s,errors=2", ids[0])]).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);
}

#[tokio::test]
async fn rate_limit_keeps_every_second_under_the_limit_with_200_ids() {
    let ids = task_ids(200);
    let setup = Setup {
        rate_limit: 10,
        ..Setup::default()
    };
    let sim = ali_sim_with(&[], setup).await;
    let mut env = ali_env(&sim, &ids);
    env.set("INPUT_RATE-LIMIT", "10")
        .set("INPUT_CONCURRENCY", "64")
        .set("INPUT_TIMEOUT", "30s");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    assert!(r.len() >= 40, "two sweeps of 20 calls: {}", r.len());
    assert!(
        r.iter().all(|r| r.status == 200),
        "the server never had to throttle"
    );
    for (i, a) in r.iter().enumerate() {
        let in_window = r[i..]
            .iter()
            .filter(|b| b.at - a.at < Duration::from_secs(1))
            .count();
        assert!(in_window <= 10, "{in_window} calls within 1 s of call {i}");
    }
}

#[tokio::test]
async fn a_malformed_id_exits_3_with_the_provider_code_and_request_id() {
    let ids = vec!["900000001".to_string(), "not-a-task".to_string()];
    let sim = ali_sim(&[]).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    assert_eq!(sim.requests().len(), 1, "an invalid request is not retried");
    let errors = run.commands("error");
    assert!(!errors.is_empty());
    let e = errors.iter().find(|e| e.contains("not-a-task")).unwrap();
    assert!(e.contains("InvalidTaskId.Malformed"), "{e}");
    assert!(e.contains("RequestId"), "{e}");
    assert!(e.contains("operation-ids"), "names the fix: {e}");
    assert!(e.contains("https://api.aliyun.com/troubleshoot"), "{e}");
    assert_eq!(
        run.result()["operations"][1]["error"]["code"],
        "InvalidTaskId.Malformed"
    );
}

#[tokio::test]
async fn wrong_secret_exits_3_with_signature_does_not_match() {
    let ids = task_ids(12);
    let sim = ali_sim(&[]).await;
    let wrong = "WrongAccessKeySecretForTests99";
    let mut env = ali_env(&sim, &ids);
    env.set("INPUT_ACCESS-KEY-SECRET", wrong);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    run.assert_no_secret(wrong);
    assert_eq!(run.outputs["status"], "error");
    assert_eq!(run.outputs["errors"], "12");
    let errors = run.commands("error");
    assert!(errors[0].contains("SignatureDoesNotMatch"), "{errors:?}");
    assert!(errors[0].contains("access-key-secret"), "{errors:?}");
    assert!(sim.requests().len() <= 2, "fails fast");
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.answer == "SignatureDoesNotMatch")
    );
}

#[tokio::test]
async fn an_unknown_access_key_and_a_skewed_clock_are_refused() {
    let ids = task_ids(1);
    let sim = ali_sim(&[]).await;
    let mut env = ali_env(&sim, &ids);
    env.set("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIUnknownKeyId");
    let run = env.run().await;
    assert_eq!(run.code, 3);
    assert!(run.commands("error")[0].contains("InvalidAccessKeyId.NotFound"));

    let setup = Setup {
        clock_offset: chrono::Duration::hours(1),
        ..Setup::default()
    };
    let sim = ali_sim_with(&[], setup).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 3);
    assert_eq!(sim.requests().len(), 2, "re-signed exactly once");
    let e = run.commands("error")[0];
    assert!(
        e.contains("InvalidTimeStamp.Expired") && e.contains("clock"),
        "{e}"
    );
}

#[tokio::test]
async fn an_expired_task_is_reported_not_found_at_once() {
    let ids = task_ids(2);
    let sim = ali_sim(&[&format!("{}:outcome=missing", ids[1])]).await;
    let run = ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.outputs["succeeded"], "1");
    let e = run.commands("error")[0];
    assert!(
        e.contains(&ids[1]) && e.contains("returned no status"),
        "{e}"
    );
    let asked_missing = sim
        .requests()
        .iter()
        .filter(|r| asked(r).contains(&ids[1]))
        .count();
    assert_eq!(asked_missing, 1, "not waited on");
}

#[tokio::test]
async fn an_unknown_status_word_is_never_success() {
    let ids = task_ids(1);
    let sim = ali_sim(&[&format!("{}:after=0s,outcome=Completed", ids[0])]).await;
    let mut env = ali_env(&sim, &ids);
    env.set("INPUT_TIMEOUT", "1s");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert_eq!(run.outputs["succeeded"], "0");
    assert!(run.stdout.contains("is not one purge-wait knows"));
}

#[tokio::test]
async fn oidc_token_file_is_exchanged_with_sts_and_every_secret_is_masked() {
    let ids = task_ids(3);
    let sim = ali_sim(&[]).await;
    let mut env = oidc_env(&sim, &ids);
    let token_file = env.path("oidc-token");
    std::fs::write(&token_file, format!("{}\n", alibaba::DEMO_OIDC_TOKEN)).unwrap();
    env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token_file);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    let r = sim.requests();
    assert_eq!(r[0].answer, "AssumeRoleWithOIDC");
    assert!(r[0].target.contains("Action=AssumeRoleWithOIDC"));
    assert!(
        !r[0].target.contains(alibaba::DEMO_OIDC_TOKEN),
        "the token travels in the body, not the URL"
    );
    assert_eq!(
        r.iter()
            .filter(|r| r.answer == "AssumeRoleWithOIDC")
            .count(),
        1,
        "credentials are cached"
    );
    let sts_token = r[1].header("x-acs-security-token").unwrap().to_string();
    assert!(
        r[1].header("authorization")
            .unwrap()
            .contains("Credential=STS.")
    );
    for req in &r[1..] {
        assert_eq!(req.status, 200, "{req:?}");
        assert_eq!(req.header("x-acs-security-token"), Some(sts_token.as_str()));
    }
    run.assert_no_secret(alibaba::DEMO_OIDC_TOKEN);
    run.assert_no_secret(&sts_token);
    assert!(
        run.stdout
            .contains(&format!("::add-mask::{}", alibaba::DEMO_OIDC_TOKEN)),
        "the OIDC token is masked"
    );
    assert!(
        run.stdout.contains(&format!("::add-mask::{sts_token}")),
        "the STS token is masked"
    );
}

#[tokio::test]
async fn github_actions_oidc_token_is_requested_with_the_sts_audience() {
    let ids = task_ids(1);
    let sim = ali_sim(&[]).await;
    let mut env = oidc_env(&sim, &ids);
    env.set(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{}/github-oidc-token?api-version=2.0", sim.url()),
    )
    .set(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        alibaba::DEMO_GITHUB_REQUEST_TOKEN,
    );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    assert_eq!(r[0].answer, "github-token");
    assert_eq!(r[0].method, "GET");
    assert!(
        r[0].target
            .contains("api-version=2.0&audience=sts.aliyuncs.com"),
        "{}",
        r[0].target
    );
    assert_eq!(r[1].answer, "AssumeRoleWithOIDC");
    assert_eq!(r[2].status, 200);
    run.assert_no_secret(alibaba::DEMO_GITHUB_REQUEST_TOKEN);
    run.assert_no_secret(alibaba::DEMO_OIDC_TOKEN);
}

#[tokio::test]
async fn sts_credentials_are_refreshed_before_they_expire() {
    let ids = task_ids(1);
    let setup = Setup {
        sts_lifetime: Duration::from_secs(2),
        ..Setup::default()
    };
    let sim = ali_sim_with(&[&format!("{}:after=3500ms", ids[0])], setup).await;
    let mut env = oidc_env(&sim, &ids);
    let token_file = env.path("oidc-token");
    std::fs::write(&token_file, alibaba::DEMO_OIDC_TOKEN).unwrap();
    env.set("INPUT_OIDC-TOKEN-FILE", &token_file);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    let exchanges = r
        .iter()
        .filter(|r| r.answer == "AssumeRoleWithOIDC")
        .count();
    assert!(exchanges >= 2, "refreshed: {exchanges} exchanges");
    assert!(
        r.iter().all(|r| r.status == 200),
        "never used expired credentials: {:?}",
        r.iter().map(|r| &r.answer).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_refused_oidc_token_exits_3_with_the_sts_code() {
    let ids = task_ids(2);
    let sim = ali_sim(&[]).await;
    let mut env = oidc_env(&sim, &ids);
    let token_file = env.path("oidc-token");
    let wrong = "eyJ3cm9uZyI6dHJ1ZX0.eyJzdWIiOiJub2JvZHkifQ.d3Jvbmc";
    std::fs::write(&token_file, wrong).unwrap();
    env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token_file);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_no_secret(wrong);
    let e = run.commands("error")[0];
    assert!(e.contains("AuthenticationFail.OIDCToken.Invalid"), "{e}");
    assert!(e.contains("role-arn"), "names the fix: {e}");
    assert_eq!(
        sim.requests().len(),
        1,
        "no describe call without credentials"
    );
}

#[tokio::test]
async fn alibaba_inputs_are_checked_before_any_request() {
    let sim = ali_sim(&[]).await;
    let ids = task_ids(1);
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_ACCESS-KEY-SECRET", "", "access-key-secret"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "", "access-key-id"),
        ("INPUT_REGION", "Hangzhou!", "region"),
        ("INPUT_RATE-LIMIT", "0", "rate-limit"),
        ("INPUT_RATE-LIMIT", "fast", "rate-limit"),
        ("INPUT_ENDPOINT", "http://dcdn.aliyuncs.com", "endpoint"),
    ];
    for (var, value, input) in cases {
        let mut env = ali_env(&sim, &ids);
        if value.is_empty() {
            env.unset(var);
        } else {
            env.set(var, value);
        }
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}", run.stdout);
        let e = run.commands("error")[0];
        assert!(e.contains(&format!("`{input}`")), "{var}={value}: {e}");
        run.assert_no_secret(AK_SECRET);
    }
    // No credentials at all: both ways are named.
    let mut env = ali_env(&sim, &ids);
    env.unset("INPUT_ACCESS-KEY-SECRET")
        .unset("ALIBABA_CLOUD_ACCESS_KEY_ID");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    let e = run.commands("error")[0];
    assert!(
        e.contains("`access-key-id`") && e.contains("`role-arn`"),
        "{e}"
    );
    // OIDC halves.
    let mut env = oidc_env(&sim, &ids);
    env.unset("ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("`oidc-provider-arn`"));
    let mut env = oidc_env(&sim, &ids);
    let run = env.set("INPUT_ROLE-SESSION-NAME", "x").run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("`role-session-name`"));
    let run = oidc_env(&sim, &ids).run().await;
    assert_eq!(run.code, 2, "no token source");
    let e = run.commands("error")[0];
    assert!(
        e.contains("oidc-token-file") && e.contains("id-token: write"),
        "{e}"
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test]
async fn demo_waits_on_25_tasks_in_3_batches_and_exits_0() {
    let mut env = TestEnv::new();
    env.arg("demo")
        .arg("--provider")
        .arg("alibaba-dcdn")
        .arg("--report")
        .arg("plain");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Refreshing"), "{}", run.stderr);
    assert!(run.stdout.contains("25 of 25 operations succeeded"));
    assert!(!run.stderr.contains(AK_SECRET) && !run.stdout.contains(AK_SECRET));
}

#[tokio::test]
async fn secrets_are_absent_from_plain_and_json_reports_too() {
    for report in ["plain", "json"] {
        let ids = task_ids(2);
        let sim = ali_sim(&[&format!("{}:after=0s,outcome=failed", ids[1])]).await;
        let mut env = oidc_env(&sim, &ids);
        let token_file = env.path("oidc-token");
        std::fs::write(&token_file, alibaba::DEMO_OIDC_TOKEN).unwrap();
        env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token_file)
            .set("INPUT_REPORT", report)
            .set("RUNNER_DEBUG", "1");
        let run = env.run().await;
        assert_eq!(run.code, 1, "{report}: {}\n{}", run.stdout, run.stderr);
        let sts_token = sim.requests()[1]
            .header("x-acs-security-token")
            .unwrap()
            .to_string();
        for secret in [alibaba::DEMO_OIDC_TOKEN, sts_token.as_str()] {
            assert!(!run.stdout.contains(secret), "{report}: secret on stdout");
            assert!(!run.stderr.contains(secret), "{report}: secret on stderr");
            assert!(!run.output_file.contains(secret));
            assert!(!run.summary.contains(secret));
        }
    }
}
