//! Purge, then wait (Alibaba Cloud DCDN/CDN): refresh calls split by ObjectType and the
//! per-call limits, signed like the status calls, refused or retried, and only then waited on.

use std::sync::Arc;
use std::time::Duration;

use purge_wait::provider::alibaba::sim::{AlibabaSim, RefreshQuota, Setup};
use purge_wait::sim::{Answer, Api, Record, Scenario, SimRequest, Simulator};

use crate::providers::alibaba::ali_env;
use crate::util::*;

/// The simulator, shared with the test so that it can count the tasks created.
struct Shared(Arc<AlibabaSim>);

impl Api for Shared {
    fn answer(&self, request: &SimRequest) -> Answer {
        self.0.answer(request)
    }
}

/// A running simulator and the tasks its refresh calls created.
struct Sim {
    server: Simulator,
    api: Arc<AlibabaSim>,
}

impl std::ops::Deref for Sim {
    type Target = Simulator;
    fn deref(&self) -> &Simulator {
        &self.server
    }
}

impl Sim {
    fn purges_created(&self) -> Vec<String> {
        self.api.purges_created()
    }
}

fn purge_env(sim: &Simulator, paths: &str) -> TestEnv {
    let mut env = ali_env(sim, &[]);
    env.unset("INPUT_OPERATION-IDS").set("INPUT_PATHS", paths);
    env
}

fn setup(purge_after: Duration) -> Setup {
    Setup {
        purge: Scenario::succeeds_after(purge_after),
        ..Setup::default()
    }
}

async fn sim_with(mut setup: Setup) -> Sim {
    setup.default = Scenario::succeeds_after(Duration::from_millis(300));
    let api = Arc::new(AlibabaSim::new(setup));
    let server = Simulator::start(Shared(api.clone()), "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    Sim { server, api }
}

/// The form parameters of a refresh call.
fn form(r: &Record) -> Vec<(String, String)> {
    url::form_urlencoded::parse(r.body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(r: &Record, name: &str) -> String {
    form(r)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn action(r: &Record) -> &str {
    r.header("x-acs-action").unwrap_or_default()
}

fn refreshes(sim: &Sim) -> Vec<Record> {
    sim.requests()
        .into_iter()
        .filter(|r| action(r).starts_with("Refresh"))
        .collect()
}

fn split(ids: &str) -> Vec<String> {
    ids.split([',', '\n', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn refresh_accepted_then_waited_to_success() {
    let sim = sim_with(setup(Duration::from_millis(300))).await;
    let run = purge_env(
        &sim,
        "https://www.example.com/a.png\nhttps://www.example.com/img/\nhttps://static.example.com/b.js\nhttps://www.example.com/a.png",
    )
    .run()
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(purge_wait::provider::alibaba::sim::DEMO_ACCESS_KEY_SECRET);
    let r = sim.requests();
    assert!(r.iter().all(|r| r.status == 200), "{r:?}");
    // Two calls, one ObjectType each, before any status call.
    assert_eq!(action(&r[0]), "RefreshDcdnObjectCaches");
    assert_eq!(action(&r[1]), "RefreshDcdnObjectCaches");
    assert!(
        r[2..]
            .iter()
            .all(|r| action(r) == "DescribeDcdnRefreshTaskById")
    );
    assert_eq!(param(&r[0], "ObjectType"), "File");
    assert_eq!(
        param(&r[0], "ObjectPath"),
        "https://www.example.com/a.png\nhttps://static.example.com/b.js",
        "newline separated, duplicates dropped"
    );
    assert_eq!(param(&r[1], "ObjectType"), "Directory");
    assert_eq!(param(&r[1], "ObjectPath"), "https://www.example.com/img/");
    for call in &r[..2] {
        assert_eq!(call.method, "POST");
        assert!(!call.target.contains('?'), "parameters in the form body");
        assert_eq!(
            call.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let auth = call.header("authorization").unwrap();
        assert!(auth.contains("content-type;host;"), "{auth}");
    }
    // The sim makes one task per domain: RefreshTaskId "a,b" then "c"; all are output and
    // waited on.
    let ids = split(&run.outputs["operation-ids"]);
    assert_eq!(ids, sim.purges_created());
    assert_eq!(ids.len(), 3);
    let asked: Vec<String> = r[2..]
        .iter()
        .flat_map(|r| {
            let q = r.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == "TaskId")
                .flat_map(|(_, v)| split(&v))
                .collect::<Vec<_>>()
        })
        .collect();
    for id in &ids {
        assert!(asked.contains(id), "{id} waited on");
    }
    assert_eq!(run.outputs["succeeded"], "3");
    assert!(
        run.stdout
            .contains("Purging 3 paths on alibaba-dcdn (2 calls)")
    );
    assert_eq!(run.result()["purge"]["calls"], 2);
}

#[tokio::test]
async fn cdn_regex_refreshes_go_one_per_call() {
    let sim = sim_with(setup(Duration::from_millis(100))).await;
    let mut env = purge_env(
        &sim,
        "https://www.example.com/img/[a-z]{1,3}\\.png\nhttps://www.example.com/js/.*\\.js",
    );
    env.set("INPUT_PROVIDER", "alibaba-cdn")
        .set("INPUT_PURGE-TYPE", "regex");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let calls = refreshes(&sim);
    assert_eq!(calls.len(), 2, "at most one regex per call");
    for call in &calls {
        assert_eq!(action(call), "RefreshObjectCaches");
        assert_eq!(call.header("x-acs-version"), Some("2018-05-10"));
        assert_eq!(param(call, "ObjectType"), "Regex");
    }
    assert_eq!(
        param(&calls[0], "ObjectPath"),
        "https://www.example.com/img/[a-z]{1,3}\\.png",
        "a regex keeps its comma: regex paths are one per line"
    );
}

#[tokio::test]
async fn refresh_refused_for_quota_exits_3_before_any_wait() {
    let sim = sim_with(Setup {
        quota: RefreshQuota {
            urls: 1,
            ..RefreshQuota::default()
        },
        ..Setup::default()
    })
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
            "::error title=CDN purge refused::QuotaExceeded.Refresh: Your refresh attempts have exceeded the daily limit. (HTTP 400, RequestId: "
        ),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("daily refresh quota is used up"),
        "{errors:?}"
    );
    assert_eq!(sim.requests().len(), 1, "no wait after a refused refresh");
    assert!(sim.purges_created().is_empty());
    assert!(run.summary.contains("the purge was refused"));
}

#[tokio::test]
async fn a_later_call_refused_stops_with_the_tasks_already_created() {
    // Files fit today's quota, directories do not: the File call creates a task, the
    // Directory call is refused, and nothing is waited on.
    let sim = sim_with(Setup {
        quota: RefreshQuota {
            directories: 0,
            ..RefreshQuota::default()
        },
        ..Setup::default()
    })
    .await;
    let run = purge_env(
        &sim,
        "https://www.example.com/a.png\nhttps://www.example.com/img/",
    )
    .run()
    .await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.commands("error")[0].contains("QuotaExceeded.Refresh"));
    let r = sim.requests();
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|r| action(r).starts_with("Refresh")));
    assert_eq!(sim.purges_created().len(), 1);
    assert_eq!(split(&run.outputs["operation-ids"]), sim.purges_created());
}

#[tokio::test]
async fn a_path_the_api_refuses_exits_3_with_its_code() {
    let sim = sim_with(Setup {
        domains: vec!["www.example.com".into()],
        ..Setup::default()
    })
    .await;
    let run = purge_env(&sim, "https://not-mine.example.org/a.png")
        .run()
        .await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let error = run.commands("error")[0];
    assert!(error.contains("InvalidDomain.NotFound"), "{error}");
    assert!(error.contains("RequestId: "), "{error}");
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn a_retried_refresh_after_a_reset_is_reported_not_hidden() {
    let sim = sim_with(Setup {
        reset_purges: 1,
        ..setup(Duration::from_millis(200))
    })
    .await;
    let run = purge_env(&sim, "https://www.example.com/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let calls = refreshes(&sim);
    assert_eq!(calls.len(), 2, "sent again after the reset");
    assert_eq!((calls[0].status, calls[1].status), (0, 200));
    // The first call did create a task: the service now has two, and the run says so.
    assert_eq!(sim.purges_created().len(), 2);
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
async fn a_throttled_refresh_is_retried_silently_after_x_acs_retry_after() {
    let sim = sim_with(Setup {
        throttle_purges: 1,
        ..setup(Duration::from_millis(100))
    })
    .await;
    let run = purge_env(&sim, "https://www.example.com/a.png").run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let calls = refreshes(&sim);
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].status, calls[1].status), (400, 200));
    assert_eq!(calls[0].answer, "Throttling.User");
    assert!(
        calls[1].at - calls[0].at >= Duration::from_millis(990),
        "x-acs-retry-after: 1000 honoured"
    );
    assert!(run.commands("warning").is_empty(), "{}", run.stdout);
    assert_eq!(sim.purges_created().len(), 1);
}

#[tokio::test]
async fn refresh_paths_are_checked_before_any_request() {
    let sim = sim_with(Setup::default()).await;
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_PATHS", "/images/logo.png", "not a full URL"),
        (
            "INPUT_PATHS",
            "www.example.com/a.png",
            "http:// or https://",
        ),
        (
            "INPUT_PATHS",
            "https://*.example.com/a.png",
            "wildcard domain",
        ),
        (
            "INPUT_PATHS",
            "https://www.example.com/img/*.png",
            "purge-type regex",
        ),
        ("INPUT_PATHS", "https://www.example.com/a#top", "fragment"),
        ("INPUT_PURGE-TYPE", "everything", "is not a purge type"),
        ("INPUT_OPERATION-IDS", "704222904", "not both"),
    ];
    for (var, value, needle) in cases {
        let mut env = purge_env(&sim, "https://www.example.com/a.png");
        env.set(var, value);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}", run.stdout);
        let error = run.commands("error")[0];
        assert!(error.contains(needle), "{var}={value}: {error}");
    }
    let mut env = purge_env(&sim, "https://www.example.com/img");
    env.set("INPUT_PURGE-TYPE", "directory");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("paths"));
    // The 10,000-path cap is a unit test: that many URLs exceed what one environment
    // variable may hold.
    let long = format!("https://www.example.com/{}", "x".repeat(1024));
    let run = purge_env(&sim, &long).run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("1024"));
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn demo_with_paths_refreshes_then_waits() {
    for provider in ["alibaba-dcdn", "alibaba-cdn"] {
        let mut env = TestEnv::new();
        env.args(&[
            "demo",
            "--provider",
            provider,
            "--report",
            "plain",
            "--paths",
            "https://example.com/a.png",
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
}
