//! Purge, then wait (Azure China CDN): the purge is submitted, refused or retried, and only
//! then waited on.

use std::time::Duration;

use purge_wait::provider::azure_china::sim::Setup;
use purge_wait::sim::Scenario;

use crate::util::*;

fn purge_env(sim: &purge_wait::sim::Simulator, paths: &str) -> TestEnv {
    let mut env = china_env(sim, &[]);
    env.unset("INPUT_OPERATION-IDS").set("INPUT_PATHS", paths);
    env
}

fn setup(purge_after: Duration) -> Setup {
    Setup {
        purge: Scenario::succeeds_after(purge_after),
        ..Setup::default()
    }
}

#[tokio::test]
async fn purge_accepted_then_waited_to_success() {
    let sim = china_sim_with(&[], setup(Duration::from_millis(400))).await;
    let run = purge_env(&sim, "https://www.example.com/a.png\nhttps://www.example.com/img/\nhttps://www.example.com/a.png")
        .run()
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(SECRET);
    let r = sim.requests();
    assert_eq!(r[0].method, "POST");
    assert_eq!(r[0].status, 202);
    assert!(r[0].target.ends_with("/purges?apiVersion=1.0"));
    let body: serde_json::Value = serde_json::from_str(&r[0].body).unwrap();
    assert_eq!(
        body["Files"],
        serde_json::json!(["https://www.example.com/a.png"]),
        "duplicates dropped"
    );
    assert_eq!(
        body["Directories"],
        serde_json::json!(["https://www.example.com/img/"])
    );
    assert_eq!(r.iter().filter(|r| r.method == "POST").count(), 1);
    let id = run.outputs["operation-ids"].clone();
    assert!(
        purge_wait::config::is_guid(&id),
        "the TaskTrackId is output: {id}"
    );
    assert!(
        r[1..]
            .iter()
            .all(|r| r.method == "GET" && r.target.contains(&format!("/operations/{id}?")))
    );
    assert!(run.stdout.contains("Purging 2 paths on azure-china-cdn"));
    assert!(
        run.stdout
            .contains(&format!("purge accepted: operation {id}"))
    );
    assert_eq!(run.result()["purge"]["calls"], 1);
}

#[tokio::test]
async fn purge_refused_for_quota_exits_3_before_any_wait() {
    let sim = china_sim_with(
        &[],
        Setup {
            quota: (1, 500),
            ..Setup::default()
        },
    )
    .await;
    let run = purge_env(
        &sim,
        "https://www.example.com/a.png,https://www.example.com/b.png",
    )
    .run()
    .await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error");
    let errors = run.commands("error");
    assert!(
        errors[0].starts_with(
            "::error title=CDN purge refused::ParameterInvalid: Daily purge quota exceeded"
        ),
        "{errors:?}"
    );
    assert!(errors[0].contains("X-Correlation-Id"));
    assert_eq!(sim.requests().len(), 1, "no wait after a refused purge");
    assert!(run.summary.contains("the purge was refused"));
}

#[tokio::test]
async fn a_path_the_api_refuses_exits_3_with_its_code() {
    let sim = china_sim(&[]).await;
    let run = purge_env(&sim, "https://www.example.com/../etc/passwd")
        .run()
        .await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.commands("error")[0].contains("MaliciousItemPathDetected"));
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn a_retried_submit_after_a_reset_is_reported_not_hidden() {
    let sim = china_sim_with(
        &[],
        Setup {
            reset_purges: 1,
            ..setup(Duration::from_millis(200))
        },
    )
    .await;
    let run = purge_env(&sim, "https://www.example.com/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2, "sent again after the reset");
    assert_eq!((posts[0].status, posts[1].status), (0, 202));
    let warnings = run.commands("warning");
    assert_eq!(warnings.len(), 1, "{}", run.stdout);
    assert!(
        warnings[0].contains("may have been purged twice"),
        "{warnings:?}"
    );
    assert!(run.summary.contains("purged twice"));
    assert_eq!(run.result()["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(run.result()["purge"]["calls"], 2);
}

#[tokio::test]
async fn a_throttled_submit_is_retried_silently_after_retry_after() {
    // RequestThrottled means the API did nothing: re-sending is safe and needs no warning.
    let sim = china_sim_with(
        &[],
        Setup {
            throttle_purges: 1,
            ..setup(Duration::from_millis(100))
        },
    )
    .await;
    let run = purge_env(&sim, "https://www.example.com/a.png").run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!((posts[0].status, posts[1].status), (429, 202));
    assert!(
        posts[1].at - posts[0].at >= Duration::from_millis(990),
        "Retry-After: 1 honoured"
    );
    assert!(run.commands("warning").is_empty(), "{}", run.stdout);
}

#[tokio::test]
async fn a_connection_never_made_is_retried_without_a_warning() {
    let sim = china_sim(&[]).await;
    let mut env = purge_env(&sim, "https://www.example.com/a.png");
    env.set("INPUT_ENDPOINT", "http://127.0.0.1:9")
        .set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_eq!(run.code, 3, "connection refused twice: {}", run.stdout);
    assert!(
        run.stdout
            .contains("purge call failed (attempt 1): could not connect"),
        "{}",
        run.stdout
    );
    assert!(
        run.commands("warning").is_empty(),
        "a refused connection never purged anything"
    );
}

#[tokio::test]
async fn paths_are_checked_before_any_request() {
    let sim = china_sim(&[]).await;
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_PATHS", "/images/logo.png", "not an absolute URL"),
        (
            "INPUT_PATHS",
            "https://www.example.com/img/*.png",
            "wildcard",
        ),
        ("INPUT_PATHS", "ftp://www.example.com/a", "http(s)"),
        ("INPUT_PURGE-TYPE", "regex", "files and directories only"),
        ("INPUT_PURGE-TYPE", "everything", "is not a purge type"),
        (
            "INPUT_OPERATION-IDS",
            "b520c544-ec34-4ac4-86f5-5394363919c3",
            "not both",
        ),
    ];
    for (var, value, needle) in cases {
        let mut env = purge_env(&sim, "https://www.example.com/a.png");
        env.set(var, value);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}", run.stdout);
        assert!(
            run.commands("error")[0].contains(needle),
            "{var}={value}: {}",
            run.stdout
        );
    }
    let many: Vec<String> = (0..2001)
        .map(|i| format!("https://www.example.com/{i}.png"))
        .collect();
    let run = purge_env(&sim, &many.join("\n")).run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("daily quota"));
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn demo_with_paths_purges_then_waits() {
    let mut env = TestEnv::new();
    env.args(&[
        "demo",
        "--report",
        "plain",
        "--paths",
        "https://www.example.com/index.html",
    ]);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("purge accepted"));
    assert!(run.stdout.contains("1 of 1 operation succeeded"));
}
