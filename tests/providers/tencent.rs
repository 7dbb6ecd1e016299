//! Tencent Cloud CDN and EdgeOne through the binary, against the simulator that verifies TC3
//! signatures, timestamps and tokens like the gateway, with its mock STS and GitHub token
//! service.

use std::time::Duration;

use purge_wait::provider::tencent::sim::{self as tencent, Setup, TencentSim, calls};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

/// The simulator's SecretKey, which must appear nowhere.
pub const TC_SECRET: &str = tencent::DEMO_SECRET_KEY;

/// Starts the Tencent simulator with scripted CDN tasks (`ID:key=value,…`; EdgeOne jobs
/// with `edgeone`); unscripted ones and purges complete 300 ms after their first poll.
pub async fn tc_sim_with(ops: &[&str], edgeone: bool, mut setup: Setup) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    setup.purge = default.clone();
    for spec in ops {
        let op = Scenario::parse(spec, &default).unwrap();
        if edgeone {
            setup.jobs.push(op);
        } else {
            setup.tasks.push(op);
        }
    }
    Simulator::start(
        TencentSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

async fn tc_sim(ops: &[&str]) -> Simulator {
    tc_sim_with(ops, false, Setup::default()).await
}

/// A GitHub step environment pointed at `sim` with the demo key, waiting on CDN `ids`.
pub fn tc_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "tencent-cdn")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("TENCENTCLOUD_SECRET_ID", tencent::DEMO_SECRET_ID)
        .set("INPUT_SECRET-KEY", TC_SECRET)
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    if !ids.is_empty() {
        t.set("INPUT_OPERATION-IDS", &ids.join("\n"));
    }
    t
}

/// The same for EdgeOne, with the simulator's zone.
pub fn teo_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = tc_env(sim, ids);
    t.set("INPUT_PROVIDER", "tencent-edgeone")
        .set("INPUT_ZONE-ID", tencent::DEMO_ZONE_ID);
    t
}

/// The same with OIDC role assumption through the GitHub token service and STS.
pub fn oidc_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = tc_env(sim, ids);
    t.unset("TENCENTCLOUD_SECRET_ID")
        .unset("INPUT_SECRET-KEY")
        .set("INPUT_ROLE-ARN", tencent::DEMO_ROLE_ARN)
        .set("INPUT_OIDC-PROVIDER-ID", tencent::DEMO_OIDC_PROVIDER_ID)
        .set("INPUT_STS-ENDPOINT", &sim.url())
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!(
                "{}{}?api-version=2.0",
                sim.url(),
                tencent::GITHUB_TOKEN_PATH
            ),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            tencent::DEMO_GITHUB_REQUEST_TOKEN,
        );
    t
}

/// The JSON body of a request.
fn body(r: &Record) -> serde_json::Value {
    serde_json::from_slice(r.body.as_bytes()).unwrap_or_default()
}

fn action(r: &Record) -> &str {
    r.header("x-tc-action").unwrap_or_default()
}

#[tokio::test]
async fn cdn_purges_files_and_a_directory_then_waits() {
    let sim = tc_sim(&[]).await;
    let mut env = tc_env(&sim, &[]);
    env.set(
        "INPUT_PATHS",
        "https://www.example.com/index.html\nhttps://www.example.com/img/\nhttps://www.example.com/app.js",
    );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(TC_SECRET);
    let r = sim.requests();
    assert!(r.iter().all(|r| r.status == 200), "{r:?}");
    assert!(r.iter().all(|r| !r.answer.contains("Error")), "{r:?}");
    let urls = r.iter().find(|r| action(r) == "PurgeUrlsCache").unwrap();
    assert_eq!(
        body(urls),
        serde_json::json!({"Urls": ["https://www.example.com/index.html", "https://www.example.com/app.js"]})
    );
    let paths = r.iter().find(|r| action(r) == "PurgePathCache").unwrap();
    assert_eq!(
        body(paths),
        serde_json::json!({"Paths": ["https://www.example.com/img/"], "FlushType": "flush"})
    );
    let log = sim.requests();
    assert_eq!(calls(&log, Some("cdn"), "PurgeUrlsCache"), 1);
    assert_eq!(calls(&log, Some("cdn"), "PurgePathCache"), 1);
    assert!(calls(&log, Some("cdn"), "DescribePurgeTasks") >= 2);
    for req in &r {
        assert_eq!(req.method, "POST");
        assert_eq!(req.header("x-tc-version"), Some("2018-06-06"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert!(
            req.header("x-tc-token").is_none(),
            "no token with a long-term key"
        );
        let auth = req.header("authorization").unwrap();
        assert!(
            auth.starts_with(&format!(
                "TC3-HMAC-SHA256 Credential={}/",
                tencent::DEMO_SECRET_ID
            )) && auth.contains("/cdn/tc3_request, SignedHeaders=content-type;host, Signature="),
            "{auth}"
        );
    }
    let ids = &run.outputs["operation-ids"];
    assert_eq!(ids.split(',').count(), 2, "one TaskId per call: {ids}");
    assert_eq!(run.outputs["succeeded"], "2");
    for id in ids.split(',') {
        assert!(
            r.iter()
                .any(|q| action(q) == "DescribePurgeTasks" && body(q)["TaskId"] == id),
            "{id} waited on by TaskId"
        );
    }
}

#[tokio::test]
async fn cdn_waits_on_given_task_ids_with_delete_directories() {
    let sim = tc_sim(&["1700000001-abc:after=500ms", "1700000002-def:after=0s"]).await;
    let run = tc_env(&sim, &["1700000001-abc", "1700000002-def"])
        .run()
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["succeeded"], "2");
    let log = sim.requests();
    assert_eq!(calls(&log, None, "PurgeUrlsCache"), 0, "waiting only");

    let sim = tc_sim(&[]).await;
    let mut env = tc_env(&sim, &[]);
    env.set("INPUT_PATHS", "https://www.example.com/img/")
        .set("INPUT_FLUSH-TYPE", "delete");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(body(&r[0])["FlushType"], "delete");
}

#[tokio::test]
async fn edgeone_purges_by_prefix_then_waits() {
    let sim = tc_sim_with(&[], true, Setup::default()).await;
    let mut env = teo_env(&sim, &[]);
    env.set("INPUT_PATHS", "https://www.example.com/img/");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(TC_SECRET);
    let r = sim.requests();
    assert!(r.iter().all(|r| r.status == 200), "{r:?}");
    assert_eq!(action(&r[0]), "CreatePurgeTask");
    assert_eq!(
        body(&r[0]),
        serde_json::json!({"ZoneId": tencent::DEMO_ZONE_ID, "Type": "purge_prefix", "Targets": ["https://www.example.com/img/"]})
    );
    let job = &run.outputs["operation-ids"];
    let describes: Vec<&Record> = r[1..].iter().collect();
    assert!(!describes.is_empty());
    for d in describes {
        assert_eq!(action(d), "DescribePurgeTasks");
        assert_eq!(d.header("x-tc-version"), Some("2022-09-01"));
        assert!(
            d.header("authorization")
                .unwrap()
                .contains("/teo/tc3_request")
        );
        let b = body(d);
        assert_eq!(b["ZoneId"], tencent::DEMO_ZONE_ID);
        assert_eq!(
            b["Filters"],
            serde_json::json!([{"Name": "job-id", "Values": [job]}])
        );
    }
    assert_eq!(run.outputs["succeeded"], "1");
}

#[tokio::test]
async fn edgeone_auto_sends_one_call_per_type_and_waits_on_given_jobs() {
    let sim = tc_sim_with(&[], true, Setup::default()).await;
    let mut env = teo_env(&sim, &[]);
    env.set(
        "INPUT_PATHS",
        "https://www.example.com/a.png https://www.example.com/img/ https://www.example.com/b.png",
    );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let types: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| action(r) == "CreatePurgeTask")
        .map(|r| body(r)["Type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(types, ["purge_url", "purge_prefix"]);

    let sim = tc_sim_with(&["20jobdone01:after=300ms"], true, Setup::default()).await;
    let run = teo_env(&sim, &["20jobdone01"]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.outputs["succeeded"], "1");
}

#[tokio::test]
async fn a_failed_cdn_task_exits_1_naming_the_url() {
    let failing = "https://www.example.com/broken.js";
    let setup = Setup {
        failing_urls: vec![failing.into()],
        ..Setup::default()
    };
    let sim = tc_sim_with(&[], false, setup).await;
    let mut env = tc_env(&sim, &[]);
    env.set(
        "INPUT_PATHS",
        &format!("https://www.example.com/ok.js\n{failing}"),
    );
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "failed");
    let errors = run.commands("error");
    assert!(
        errors.iter().any(|e| e.contains(failing)),
        "the URL is named: {errors:?}"
    );
    assert!(run.summary.contains("broken.js"), "{}", run.summary);
}

#[tokio::test]
async fn a_failed_edgeone_target_exits_1_with_its_fail_type_and_failed_list_targets_too() {
    let failing = "https://www.example.com/broken/";
    let refused = "https://other.example.net/x/";
    let setup = Setup {
        failing_urls: vec![failing.into()],
        failed_targets: vec![refused.into()],
        ..Setup::default()
    };
    let sim = tc_sim_with(&[], true, setup).await;
    let mut env = teo_env(&sim, &[]);
    env.set("INPUT_PATHS", &format!("{failing}\n{refused}"));
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let errors = run.commands("error").join("\n");
    assert!(errors.contains(failing), "{errors}");
    assert!(errors.contains(refused), "FailedList is reported: {errors}");
    assert!(errors.contains("refused by CreatePurgeTask"), "{errors}");
}

#[tokio::test]
async fn throttling_then_success() {
    let setup = Setup {
        throttle: 2,
        too_often: 1,
        ..Setup::default()
    };
    let sim = tc_sim_with(&["1700000009-thr:after=0s"], false, setup).await;
    let run = tc_env(&sim, &["1700000009-thr"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    let answers: Vec<&str> = r.iter().map(|r| r.answer.as_str()).collect();
    assert!(answers[0].contains("RequestLimitExceeded"), "{answers:?}");
    assert!(answers[1].contains("RequestLimitExceeded"), "{answers:?}");
    assert!(
        answers[2].contains("UnauthorizedOperation.OperationTooOften"),
        "CDN's frequency limit is throttling, not a refusal: {answers:?}"
    );
    assert_eq!(r.len(), 4, "{answers:?}");
    assert_eq!(run.outputs["succeeded"], "1");
}

#[tokio::test]
async fn a_wrong_key_exits_3_with_signature_failure_and_the_request_id() {
    let sim = tc_sim(&[]).await;
    let wrong = "WrongTencentSecretKeyForTests000";
    let mut env = tc_env(&sim, &["1700000001-abc", "1700000002-def"]);
    env.set("INPUT_SECRET-KEY", wrong);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    run.assert_no_secret(wrong);
    assert_eq!(run.outputs["status"], "error");
    let errors = run.commands("error");
    let e = errors[0];
    assert!(e.contains("AuthFailure.SignatureFailure"), "{errors:?}");
    assert!(e.contains("RequestId"), "{e}");
    assert!(e.contains("secret-key"), "names the fix: {e}");
    assert!(sim.requests().len() <= 2, "fails fast");

    let mut env = tc_env(&sim, &["1700000001-abc"]);
    env.set(
        "TENCENTCLOUD_SECRET_ID",
        "AKIDunknownunknownunknownunknown0000",
    );
    let run = env.run().await;
    assert_eq!(run.code, 3);
    assert!(run.commands("error")[0].contains("AuthFailure.SecretIdNotFound"));
}

#[tokio::test]
async fn a_skewed_clock_is_signed_afresh_once_then_named() {
    let setup = Setup {
        clock_offset: chrono::Duration::minutes(30),
        ..Setup::default()
    };
    let sim = tc_sim_with(&[], false, setup).await;
    let run = tc_env(&sim, &["1700000001-abc"]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(sim.requests().len(), 2, "re-signed exactly once");
    let e = run.commands("error")[0];
    assert!(
        e.contains("AuthFailure.SignatureExpire") && e.contains("clock"),
        "{e}"
    );
}

#[tokio::test]
async fn a_missing_permission_exits_3_and_a_used_up_quota_before_any_wait() {
    let setup = Setup {
        deny: vec!["DescribePurgeTasks".into()],
        ..Setup::default()
    };
    let sim = tc_sim_with(&[], false, setup).await;
    let run = tc_env(&sim, &["1700000001-abc"]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let e = run.commands("error")[0];
    assert!(
        e.contains("UnauthorizedOperation.CdnCamUnauthorized"),
        "{e}"
    );
    assert!(e.contains("cdn:DescribePurgeTasks"), "{e}");
    assert_eq!(sim.requests().len(), 1, "not retried");

    let mut setup = Setup::default();
    setup.quota.url_daily = 1;
    let sim = tc_sim_with(&[], false, setup).await;
    let mut env = tc_env(&sim, &[]);
    env.set(
        "INPUT_PATHS",
        "https://www.example.com/a.js\nhttps://www.example.com/b.js",
    );
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    let e = run.commands("error").join("\n");
    assert!(e.contains("LimitExceeded.CdnPurgeUrlExceedDayLimit"), "{e}");
    assert_eq!(
        calls(&sim.requests(), None, "DescribePurgeTasks"),
        0,
        "no wait after a refused purge"
    );
}

#[tokio::test]
async fn oidc_through_github_and_sts_with_credentials_expiring_mid_wait() {
    let setup = Setup {
        sts_lifetime: Duration::from_secs(2),
        ..Setup::default()
    };
    let sim = tc_sim_with(&["1700000007-oidc:after=4500ms"], false, setup).await;
    let mut env = oidc_env(&sim, &["1700000007-oidc"]);
    // Another cloud's variable of the shared input is not Tencent's.
    env.set("INPUT_TIMEOUT", "30s")
        .set("ALIBABA_CLOUD_ROLE_SESSION_NAME", "alibaba-session");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    assert!(r.iter().all(|r| r.status == 200), "{r:?}");
    let github: Vec<&Record> = r
        .iter()
        .filter(|q| q.target.starts_with(tencent::GITHUB_TOKEN_PATH))
        .collect();
    assert!(
        github[0]
            .target
            .contains("api-version=2.0&audience=sts.tencentcloudapi.com"),
        "{}",
        github[0].target
    );
    let sts: Vec<&Record> = r
        .iter()
        .filter(|q| action(q) == "AssumeRoleWithWebIdentity")
        .collect();
    assert!(sts.len() >= 2, "renewed mid-wait: {} exchanges", sts.len());
    for s in &sts {
        assert_eq!(s.header("authorization"), Some("SKIP"));
        assert_eq!(s.header("x-tc-version"), Some("2018-08-13"));
        assert_eq!(s.header("x-tc-region"), Some("ap-guangzhou"));
        let b = body(s);
        assert_eq!(b["RoleArn"], tencent::DEMO_ROLE_ARN);
        assert_eq!(b["ProviderId"], tencent::DEMO_OIDC_PROVIDER_ID);
        assert_eq!(b["WebIdentityToken"], tencent::DEMO_OIDC_TOKEN);
        assert_eq!(b["RoleSessionName"], "purge-wait");
    }
    let describes: Vec<&Record> = r
        .iter()
        .filter(|q| action(q) == "DescribePurgeTasks")
        .collect();
    let tokens: std::collections::BTreeSet<&str> = describes
        .iter()
        .map(|q| {
            q.header("x-tc-token")
                .expect("temporary keys send X-TC-Token")
        })
        .collect();
    assert!(tokens.len() >= 2, "a fresh token after renewal: {tokens:?}");
    assert!(
        !r.iter().any(|q| q.answer.contains("TokenFailure")),
        "never an expired token"
    );
    run.assert_no_secret(tencent::DEMO_OIDC_TOKEN);
    run.assert_no_secret(tencent::DEMO_GITHUB_REQUEST_TOKEN);
    for t in &tokens {
        run.assert_no_secret(t);
        assert!(
            run.stdout.contains(&format!("::add-mask::{t}")),
            "the session token is masked"
        );
    }
}

#[tokio::test]
async fn oidc_from_a_token_file_as_tke_sets_it_with_sts_throttled_once() {
    let setup = Setup {
        sts_throttle: 1,
        ..Setup::default()
    };
    let sim = tc_sim_with(&["1700000008-file:after=0s"], false, setup).await;
    let mut env = tc_env(&sim, &["1700000008-file"]);
    let file = env.path("web-identity-token");
    std::fs::write(&file, format!("{}\n", tencent::DEMO_OIDC_TOKEN)).unwrap();
    env.unset("TENCENTCLOUD_SECRET_ID")
        .unset("INPUT_SECRET-KEY")
        .set("TKE_ROLE_ARN", tencent::DEMO_ROLE_ARN)
        .set("TKE_PROVIDER_ID", tencent::DEMO_OIDC_PROVIDER_ID)
        .set("TKE_WEB_IDENTITY_TOKEN_FILE", &file)
        .set("TKE_REGION", "ap-shanghai")
        .set("INPUT_STS-ENDPOINT", &sim.url());
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = sim.requests();
    assert_eq!(action(&r[0]), "AssumeRoleWithWebIdentity");
    assert!(
        r[0].answer.contains("RequestLimitExceeded"),
        "{}",
        r[0].answer
    );
    assert_eq!(action(&r[1]), "AssumeRoleWithWebIdentity", "retried");
    assert_eq!(r[0].header("x-tc-region"), Some("ap-shanghai"));
    run.assert_no_secret(tencent::DEMO_OIDC_TOKEN);
}

#[tokio::test]
async fn a_session_token_from_tccli_variables_is_sent() {
    let setup = Setup {
        session_token: Some("tccli-session-token-for-tests".into()),
        ..Setup::default()
    };
    let sim = tc_sim_with(&["1700000001-tok:after=0s"], false, setup).await;
    let mut env = tc_env(&sim, &["1700000001-tok"]);
    env.set("TENCENTCLOUD_TOKEN", "tccli-session-token-for-tests");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.header("x-tc-token") == Some("tccli-session-token-for-tests"))
    );
    run.assert_no_secret("tccli-session-token-for-tests");
}

/// A case of bad input: its name, the variables set and unset, the input named.
type BadInput = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
    &'static str,
);

#[tokio::test]
async fn bad_inputs_exit_2_before_any_request() {
    let sim = tc_sim(&[]).await;
    let cases: &[BadInput] = &[
        (
            "no credentials",
            &[],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "secret-id",
        ),
        ("id without key", &[], &["INPUT_SECRET-KEY"], "secret-key"),
        (
            "lone token",
            &[("TENCENTCLOUD_SESSION_TOKEN", "tok")],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "session-token",
        ),
        (
            "task id",
            &[("INPUT_OPERATION-IDS", "a/b")],
            &[],
            "operation-ids",
        ),
        (
            "flush type",
            &[("INPUT_FLUSH-TYPE", "soft")],
            &[],
            "flush-type",
        ),
        (
            "zone on cdn",
            &[("INPUT_ZONE-ID", "zone-1")],
            &[],
            "zone-id",
        ),
        (
            "no zone",
            &[("INPUT_PROVIDER", "tencent-edgeone")],
            &[],
            "zone-id",
        ),
        (
            "bad zone",
            &[
                ("INPUT_PROVIDER", "tencent-edgeone"),
                ("INPUT_ZONE-ID", "z 1"),
            ],
            &[],
            "zone-id",
        ),
        (
            "relative path",
            &[("INPUT_PATHS", "/index.html")],
            &["INPUT_OPERATION-IDS"],
            "paths",
        ),
        (
            "cdn regex",
            &[
                ("INPUT_PATHS", "https://a.example/.*"),
                ("INPUT_PURGE-TYPE", "regex"),
            ],
            &["INPUT_OPERATION-IDS"],
            "paths",
        ),
        (
            "edgeone all",
            &[
                ("INPUT_PROVIDER", "tencent-edgeone"),
                ("INPUT_ZONE-ID", "zone-1"),
                ("INPUT_PATHS", "https://a.example/"),
                ("INPUT_PURGE-TYPE", "all"),
            ],
            &["INPUT_OPERATION-IDS"],
            "paths",
        ),
        (
            "cache tag without domains",
            &[
                ("INPUT_PROVIDER", "tencent-edgeone"),
                ("INPUT_ZONE-ID", "zone-1"),
                ("INPUT_PATHS", "tag-a"),
                ("INPUT_PURGE-TYPE", "cache-tag"),
            ],
            &["INPUT_OPERATION-IDS"],
            "cache-tag-domains",
        ),
        (
            "role without provider",
            &[("INPUT_ROLE-ARN", tencent::DEMO_ROLE_ARN)],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "oidc-provider-id",
        ),
        (
            "bad role",
            &[
                ("INPUT_ROLE-ARN", "acs:ram::1:role/r"),
                ("INPUT_OIDC-PROVIDER-ID", "p"),
            ],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "role-arn",
        ),
        (
            "no oidc token",
            &[
                ("INPUT_ROLE-ARN", tencent::DEMO_ROLE_ARN),
                ("INPUT_OIDC-PROVIDER-ID", "p"),
            ],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "oidc-token-file",
        ),
        (
            "remote http sts",
            &[
                ("INPUT_ROLE-ARN", tencent::DEMO_ROLE_ARN),
                ("INPUT_OIDC-PROVIDER-ID", "p"),
                ("INPUT_OIDC-TOKEN-FILE", "/nonexistent"),
                ("INPUT_STS-ENDPOINT", "http://sts.example.com"),
            ],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "sts-endpoint",
        ),
        (
            "session name",
            &[
                ("INPUT_ROLE-ARN", tencent::DEMO_ROLE_ARN),
                ("INPUT_OIDC-PROVIDER-ID", "p"),
                ("INPUT_ROLE-SESSION-NAME", "a b"),
            ],
            &["TENCENTCLOUD_SECRET_ID", "INPUT_SECRET-KEY"],
            "role-session-name",
        ),
        ("rate", &[("INPUT_RATE-LIMIT", "0")], &[], "rate-limit"),
    ];
    for (name, set, unset, input) in cases {
        let mut env = tc_env(&sim, &["1700000001-abc"]);
        for k in *unset {
            env.unset(k);
        }
        for (k, v) in *set {
            env.set(k, v);
        }
        let run = env.run().await;
        assert_eq!(run.code, 2, "{name}: {}\n{}", run.stdout, run.stderr);
        run.assert_all_outputs();
        let errors = run.commands("error").join("\n");
        assert!(errors.contains(input), "{name}: {errors}");
        run.assert_no_secret(TC_SECRET);
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test]
async fn another_clouds_variable_never_configures_tencent() {
    let sim = tc_sim(&["1700000001-var:after=0s"]).await;
    let mut env = tc_env(&sim, &["1700000001-var"]);
    env.unset("TENCENTCLOUD_SECRET_ID")
        .unset("INPUT_SECRET-KEY")
        .set("ALIBABA_CLOUD_ROLE_ARN", tencent::DEMO_ROLE_ARN)
        .set("INPUT_OIDC-PROVIDER-ID", tencent::DEMO_OIDC_PROVIDER_ID)
        .set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/nonexistent");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.commands("error")[0].contains("role-arn"));
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn no_secret_in_plain_json_or_junit_reports() {
    for report in ["plain", "json"] {
        let setup = Setup {
            sts_lifetime: Duration::from_secs(60),
            failing_urls: vec!["https://www.example.com/x.js".into()],
            ..Setup::default()
        };
        let sim = tc_sim_with(&[], false, setup).await;
        let mut env = oidc_env(&sim, &[]);
        let junit_file = env.path("junit.xml");
        env.set("INPUT_PATHS", "https://www.example.com/x.js")
            .set("INPUT_REPORT", report)
            .set("INPUT_JUNIT-FILE", &junit_file)
            .set("RUNNER_DEBUG", "1");
        let run = env.run().await;
        assert_eq!(run.code, 1, "{report}: {}\n{}", run.stdout, run.stderr);
        let r = sim.requests();
        let token = r
            .iter()
            .find_map(|q| q.header("x-tc-token"))
            .unwrap()
            .to_string();
        let junit = std::fs::read_to_string(&junit_file).unwrap_or_default();
        for secret in [
            tencent::DEMO_OIDC_TOKEN,
            tencent::DEMO_GITHUB_REQUEST_TOKEN,
            token.as_str(),
        ] {
            assert!(!run.stdout.contains(secret), "{report}: secret on stdout");
            assert!(!run.stderr.contains(secret), "{report}: secret on stderr");
            assert!(!run.output_file.contains(secret));
            assert!(!run.summary.contains(secret));
            assert!(!junit.contains(secret));
        }
    }
}

#[tokio::test]
async fn edgeone_purge_types_are_refused_by_providers_without_them() {
    use purge_wait::provider::PurgeKind;
    for (word, kind) in [
        ("host", PurgeKind::Host),
        ("all", PurgeKind::All),
        ("cache-tag", PurgeKind::CacheTag),
        ("purge_url", PurgeKind::File),
        ("purge_prefix", PurgeKind::Directory),
        ("purge_host", PurgeKind::Host),
        ("purge_all", PurgeKind::All),
        ("purge_cache_tag", PurgeKind::CacheTag),
    ] {
        assert_eq!(PurgeKind::parse(word), Some(kind), "{word}");
    }
    let china = china_sim(&[]).await;
    let ali = crate::providers::alibaba::ali_sim_with(
        &[],
        purge_wait::provider::alibaba::sim::Setup::default(),
    )
    .await;
    let tc = tc_sim(&[]).await;
    for kind in ["host", "all", "cache-tag"] {
        for mut env in [
            china_env(&china, &[]),
            crate::providers::alibaba::ali_env(&ali, &[]),
            tc_env(&tc, &[]),
        ] {
            env.unset("INPUT_OPERATION-IDS")
                .set("INPUT_PATHS", "www.example.com")
                .set("INPUT_PURGE-TYPE", kind);
            let run = env.run().await;
            assert_eq!(run.code, 2, "{kind}: {}", run.stdout);
            assert!(run.commands("error")[0].contains("paths"), "{}", run.stdout);
        }
    }
    assert!(china.requests().is_empty() && ali.requests().is_empty() && tc.requests().is_empty());
}

#[tokio::test]
async fn a_purge_of_several_calls_is_refused_whole_when_the_quota_left_cannot_take_it() {
    let paths: Vec<String> = (0..1500)
        .map(|i| format!("https://www.example.com/f{i}.js"))
        .collect();
    let mut setup = Setup::default();
    setup.quota.url_daily = 600;
    let sim = tc_sim_with(&[], false, setup).await;
    let mut env = tc_env(&sim, &[]);
    env.set("INPUT_PATHS", &paths.join("\n"));
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    let e = run.commands("error").join("\n");
    assert!(e.contains("LimitExceeded.CdnPurgeUrlExceedDayLimit"), "{e}");
    assert!(
        e.contains("leaves 1200 URLs"),
        "summed over mainland and overseas: {e}"
    );
    assert!(e.contains("nothing was purged"), "{e}");
    let log = sim.requests();
    assert_eq!(calls(&log, None, "DescribePurgeQuota"), 1);
    assert_eq!(calls(&log, None, "PurgeUrlsCache"), 0, "no URL purged");

    // Without the permission to read the quota, the purge is tried as it is.
    let setup = Setup {
        deny: vec!["DescribePurgeQuota".into()],
        ..Setup::default()
    };
    let sim = tc_sim_with(&[], false, setup).await;
    let mut env = tc_env(&sim, &[]);
    env.set("INPUT_PATHS", &paths.join("\n"));
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let log = sim.requests();
    assert_eq!(calls(&log, None, "PurgeUrlsCache"), 2);
}
