//! Purge, then wait on Azure Resource Manager: classic CDN and Front Door endpoints, through
//! the binary, against the simulator that plays Entra ID and ARM (it checks every token and
//! every purge body).

use std::time::Duration;

use purge_wait::sim::azure_arm::{
    ArmAuth, AzureArmSim, DEMO_CLIENT, DEMO_CLIENT_SECRET, DEMO_SUBSCRIPTION, DEMO_TENANT, Setup,
};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

/// The ARM simulator; purges succeed after `purge_after`, with `Retry-After: 1`.
pub(crate) async fn arm_sim_with(purge_after: Duration, setup: Setup) -> Simulator {
    Simulator::start(
        AzureArmSim::new(Setup {
            purge: Scenario::succeeds_after(purge_after),
            ..setup
        }),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

async fn arm_sim(purge_after: Duration) -> Simulator {
    arm_sim_with(purge_after, Setup::default()).await
}

/// A GitHub step purging `paths` on CDN endpoint `web` of profile `cdn-prof` in `web-rg`.
pub(crate) fn purge_env(sim: &Simulator, paths: &str) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "azure-arm")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_AUTHORITY-HOST", &sim.url())
        .set("INPUT_TENANT-ID", DEMO_TENANT)
        .set("AZURE_CLIENT_ID", DEMO_CLIENT)
        .set("INPUT_CLIENT-SECRET", DEMO_CLIENT_SECRET)
        .set("INPUT_SUBSCRIPTION-ID", DEMO_SUBSCRIPTION)
        .set("INPUT_RESOURCE-GROUP", "web-rg")
        .set("INPUT_PROFILE", "cdn-prof")
        .set("INPUT_CDN-ENDPOINT", "web")
        .set("INPUT_PATHS", paths)
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    t
}

fn arm_requests(sim: &Simulator) -> Vec<Record> {
    sim.requests()
        .into_iter()
        .filter(|r| r.target.starts_with("/subscriptions/"))
        .collect()
}

fn posts(sim: &Simulator) -> Vec<Record> {
    arm_requests(sim)
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

#[tokio::test]
async fn cdn_purge_accepted_then_waited_to_success_after_retry_after() {
    let sim = arm_sim(Duration::from_millis(300)).await;
    let run = purge_env(&sim, "/a.png\n/img/*\n/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(DEMO_CLIENT_SECRET);
    let r = arm_requests(&sim);
    assert_eq!(r[0].method, "POST");
    assert_eq!(r[0].status, 202);
    assert_eq!(
        r[0].target,
        format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Cdn/profiles/cdn-prof/endpoints/web/purge?api-version=2024-02-01"
        )
    );
    assert!(
        r[0].header("authorization")
            .unwrap()
            .starts_with("Bearer sim-at.")
    );
    let body: serde_json::Value = serde_json::from_str(&r[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"contentPaths": ["/a.png", "/img/*"]}),
        "duplicates dropped, no domains for a classic endpoint"
    );
    assert_eq!(posts(&sim).len(), 1);
    let id = run.outputs["operation-ids"].clone();
    assert!(purge_wait::config::is_guid(&id), "readable id: {id}");
    // Waited on the Azure-AsyncOperation URL, never sooner than its Retry-After: 1.
    assert!(r.len() >= 2);
    for get in &r[1..] {
        assert_eq!(get.method, "GET");
        assert!(
            get.target.contains(&format!(
                "/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01"
            )),
            "{}",
            get.target
        );
    }
    assert!(
        r[1].at - r[0].at >= Duration::from_millis(990),
        "first poll after Retry-After: {:?}",
        r[1].at - r[0].at
    );
    assert!(
        run.stdout.contains("Purging 2 paths on azure-arm"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("purge accepted: operation {id}"))
    );
    assert_eq!(run.result()["purge"]["calls"], 1);
    assert_eq!(run.outputs["status"], "succeeded");
    // The monitor URL, for a later step's operation-url.
    assert_eq!(
        run.result()["operations"][0]["details"]["monitor-url"],
        format!(
            "{}/subscriptions/{DEMO_SUBSCRIPTION}/resourcegroups/web-rg/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01",
            sim.url()
        )
    );
}

#[tokio::test]
async fn front_door_purge_with_domains_is_waited_to_success() {
    let sim = arm_sim(Duration::from_millis(200)).await;
    let mut env = purge_env(&sim, "/*");
    env.unset("INPUT_CDN-ENDPOINT")
        .set("INPUT_AFD-ENDPOINT", "web-afd")
        .set("INPUT_DOMAINS", "www.example.com, WWW.Example.com");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let p = posts(&sim);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].target
            .contains("/profiles/cdn-prof/afdEndpoints/web-afd/purge?api-version=2024-02-01"),
        "{}",
        p[0].target
    );
    let body: serde_json::Value = serde_json::from_str(&p[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"contentPaths": ["/*"], "domains": ["www.example.com"]})
    );
    assert_eq!(run.outputs["succeeded"], "1");
}

#[tokio::test]
async fn a_refused_purge_exits_3_with_the_arm_code_before_any_wait() {
    let sim = arm_sim(Duration::from_millis(200)).await;
    let run = purge_env(&sim, "/../etc/passwd").run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error");
    let errors = run.commands("error");
    assert!(
        errors[0].starts_with("::error title=CDN purge refused::BadRequest: Invalid content path"),
        "{errors:?}"
    );
    assert!(errors[0].contains("x-ms-request-id: "), "{errors:?}");
    assert!(errors[0].contains("x-ms-correlation-request-id: "));
    assert_eq!(arm_requests(&sim).len(), 1, "no wait after a refused purge");
    assert!(run.summary.contains("the purge was refused"));
    assert_eq!(run.result()["purge"]["error"]["code"], "BadRequest");

    // A Front Door domain the endpoint does not have: refused the same way.
    let sim = arm_sim(Duration::from_millis(200)).await;
    let mut env = purge_env(&sim, "/a.png");
    env.unset("INPUT_CDN-ENDPOINT")
        .set("INPUT_AFD-ENDPOINT", "web-afd")
        .set("INPUT_DOMAINS", "other.example.org");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.commands("error")[0].contains("is not associated with this endpoint"));
    assert_eq!(arm_requests(&sim).len(), 1);
}

#[tokio::test]
async fn a_refused_token_gets_one_fresh_one_and_no_role_is_named() {
    // 401: ARM did nothing, so the purge is sent once more with a fresh token; refused again,
    // the step ends before any wait.
    let sim = arm_sim_with(
        Duration::from_millis(100),
        Setup {
            arm_auth: ArmAuth::RejectAll,
            ..Setup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let p = posts(&sim);
    assert_eq!(p.len(), 2, "one more try with a fresh token");
    assert_ne!(p[0].header("authorization"), p[1].header("authorization"));
    assert!(run.commands("error")[0].contains("InvalidAuthenticationToken"));
    assert_eq!(arm_requests(&sim).len(), 2, "no wait");
    assert!(run.commands("warning").is_empty());

    let sim = arm_sim_with(
        Duration::from_millis(100),
        Setup {
            arm_auth: ArmAuth::Forbidden,
            ..Setup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let error = run.commands("error")[0];
    assert!(error.contains("AuthorizationFailed"), "{error}");
    assert!(error.contains("endpoints/Purge/action"), "{error}");
    assert!(error.contains("CDN Endpoint Contributor"), "{error}");
    assert_eq!(posts(&sim).len(), 1, "a 403 is not re-sent");
}

#[tokio::test]
async fn a_retried_submit_after_a_reset_is_reported_not_hidden() {
    let sim = arm_sim_with(
        Duration::from_millis(200),
        Setup {
            reset_purges: 1,
            ..Setup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let p = posts(&sim);
    assert_eq!(p.len(), 2, "sent again after the reset");
    assert_eq!((p[0].status, p[1].status), (0, 202));
    assert_eq!(
        p[0].answer, "purge accepted, connection reset",
        "the first call did create an operation"
    );
    let warnings = run.commands("warning");
    assert_eq!(warnings.len(), 1, "{}", run.stdout);
    assert!(
        warnings[0].contains("may have been purged twice"),
        "{warnings:?}"
    );
    assert!(run.summary.contains("purged twice"));
    assert_eq!(run.result()["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(run.result()["purge"]["calls"], 2);
    // The wait is on the operation the second call created.
    let id = run.outputs["operation-ids"].clone();
    assert!(purge_wait::config::is_guid(&id), "{id}");
    assert!(
        arm_requests(&sim)
            .iter()
            .filter(|r| r.method == "GET")
            .all(|r| r.target.contains(&id))
    );
}

#[tokio::test]
async fn a_throttled_submit_is_retried_silently_after_retry_after() {
    let sim = arm_sim_with(
        Duration::from_millis(100),
        Setup {
            throttle_purges: 1,
            ..Setup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let p = posts(&sim);
    assert_eq!((p[0].status, p[1].status), (429, 202));
    assert!(
        p[1].at - p[0].at >= Duration::from_millis(990),
        "Retry-After: 1 honoured"
    );
    assert!(run.commands("warning").is_empty(), "{}", run.stdout);
}

#[tokio::test]
async fn paths_and_the_target_are_checked_before_any_request() {
    let sim = arm_sim(Duration::from_millis(100)).await;
    let cases: &[(&str, &str, &str)] = &[
        (
            "INPUT_PATHS",
            "images/logo.png",
            "input `paths`: \"images/logo.png\" is not a path",
        ),
        (
            "INPUT_PATHS",
            "https://www.example.com/a.png",
            "give the path alone (/a.png)",
        ),
        (
            "INPUT_PATHS",
            "/img/*.png",
            "input `paths`: \"/img/*.png\" has a wildcard",
        ),
        ("INPUT_PURGE-TYPE", "directory", "no purge type"),
        (
            "INPUT_OPERATION-URL",
            "https://management.azure.com/x?api-version=1",
            "not both",
        ),
        ("INPUT_AFD-ENDPOINT", "web-afd", "not both"),
        (
            "INPUT_DOMAINS",
            "www.example.com",
            "Front Door (afd-endpoint) only",
        ),
        ("INPUT_RESOURCE-GROUP", "bad/group", "resource-group"),
        (
            "INPUT_CDN-ENDPOINT",
            "web.azureedge.net",
            "not an endpoint name",
        ),
        ("INPUT_SUBSCRIPTION-ID", "not-a-guid", "subscription-id"),
    ];
    for (var, value, needle) in cases {
        let mut env = purge_env(&sim, "/a.png");
        env.set(var, value);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}", run.stdout);
        assert!(
            run.commands("error")[0].contains(needle),
            "{var}={value}: {}",
            run.stdout
        );
    }
    for missing in [
        "INPUT_CDN-ENDPOINT",
        "INPUT_PROFILE",
        "INPUT_RESOURCE-GROUP",
    ] {
        let mut env = purge_env(&sim, "/a.png");
        env.unset(missing);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{missing}: {}", run.stdout);
        let name = missing.trim_start_matches("INPUT_").to_ascii_lowercase();
        assert!(
            run.commands("error")[0].contains(&name),
            "{missing}: {}",
            run.stdout
        );
    }
    let many: Vec<String> = (0..5001).map(|i| format!("/{i}.png")).collect();
    let run = purge_env(&sim, &many.join("\n")).run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("50 concurrent purges"));
    assert!(sim.requests().is_empty(), "not even a token request");
}

#[tokio::test]
async fn many_paths_are_split_into_calls_of_100() {
    let sim = arm_sim(Duration::from_millis(100)).await;
    let many: Vec<String> = (0..150).map(|i| format!("/{i}.png")).collect();
    let run = purge_env(&sim, &many.join(",")).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let p = posts(&sim);
    assert_eq!(p.len(), 2);
    let sizes: Vec<usize> = p
        .iter()
        .map(|r| {
            let b: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            b["contentPaths"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(sizes, vec![100, 50]);
    assert_eq!(run.outputs["operation-ids"].split(',').count(), 2);
    assert_eq!(run.outputs["succeeded"], "2");
}

#[tokio::test]
async fn demo_with_paths_purges_then_waits() {
    let mut env = TestEnv::new();
    env.args(&[
        "demo",
        "--provider",
        "azure-arm",
        "--report",
        "plain",
        "--paths",
        "/index.html",
    ]);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("purge accepted"), "{}", run.stderr);
    assert!(
        run.stdout.contains("1 of 1 operation succeeded"),
        "{}",
        run.stdout
    );
}
