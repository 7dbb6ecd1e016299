//! Operations this run just created (purge, then wait) that the status API does not list yet
//! are pending for `not-found-grace` (default 60 s, cut to the deadline), as the aliyun CLI
//! waiter treats them; after it, not found. Ids given as `operation-ids` get no grace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use purge_wait::sim::alibaba::{AlibabaSim, Setup};
use purge_wait::sim::{Answer, Api, Scenario, SimRequest, Simulator};

use crate::alibaba::ali_env;
use crate::util::*;

struct Shared(Arc<AlibabaSim>);

impl Api for Shared {
    fn answer(&self, request: &SimRequest) -> Answer {
        self.0.answer(request)
    }
}

/// An Alibaba simulator whose refresh tasks follow `purge` (`key=value,…`).
async fn ali_purge_sim(purge: &str) -> (Simulator, Arc<AlibabaSim>) {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    let (_, purge) = Scenario::parse(&format!("x:{purge}"), &default).unwrap();
    let api = Arc::new(AlibabaSim::new(Setup {
        purge,
        default,
        ..Setup::default()
    }));
    let sim = Simulator::start(Shared(api.clone()), "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    (sim, api)
}

fn purge_env(sim: &Simulator) -> TestEnv {
    let mut env = ali_env(sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    env
}

fn describes(sim: &Simulator) -> Vec<purge_wait::sim::Record> {
    sim.requests()
        .into_iter()
        .filter(|r| r.header("x-acs-action") == Some("DescribeDcdnRefreshTaskById"))
        .collect()
}

#[tokio::test]
async fn an_alibaba_task_not_listed_for_its_first_seconds_is_waited_to_success() {
    let (sim, api) = ali_purge_sim("unlisted=1500ms,after=2s").await;
    let run = purge_env(&sim).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    let id = api.purges_created()[0].clone();
    assert!(
        run.stdout
            .contains(&format!("{id}: not listed yet - created by this run")),
        "reported as pending while not listed: {}",
        run.stdout
    );
    let r = describes(&sim);
    assert_eq!(r[0].answer, "none", "the first poll found nothing");
    assert!(r.iter().any(|r| r.answer == "Complete"));
    assert_eq!(run.outputs["succeeded"], "1");
    assert!(run.commands("error").is_empty());
}

#[tokio::test]
async fn an_alibaba_task_never_listed_is_not_found_after_the_grace() {
    let (sim, _) = ali_purge_sim("outcome=missing").await;
    let mut env = purge_env(&sim);
    env.set("INPUT_NOT-FOUND-GRACE", "2s");
    let started = Instant::now();
    let run = env.run().await;
    let wall = started.elapsed();
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error");
    assert!(
        wall >= Duration::from_secs(2) && wall < Duration::from_secs(6),
        "not found once the 2 s grace is over: {wall:?}"
    );
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains("returned no status for operation")
            && errors.contains("still not listed 2s after its creation"),
        "{errors}"
    );
    assert!(describes(&sim).len() >= 2, "asked again within the grace");
}

#[tokio::test]
async fn the_grace_is_cut_to_the_deadline() {
    let (sim, _) = ali_purge_sim("outcome=missing").await;
    let mut env = purge_env(&sim);
    env.set("INPUT_TIMEOUT", "2s");
    let run = env.run().await;
    assert_eq!(run.code, 124, "pending at the deadline: {}", run.stdout);
    assert_eq!(run.outputs["pending"], "1");
}

#[tokio::test]
async fn every_provider_purge_gets_the_grace_azure_china_too() {
    let sim = china_sim_with(
        &[],
        purge_wait::sim::azure_china::Setup {
            purge: Scenario::parse(
                "x:unlisted=1s,after=1200ms",
                &Scenario::succeeds_after(Duration::ZERO),
            )
            .unwrap()
            .1,
            ..purge_wait::sim::azure_china::Setup::default()
        },
    )
    .await;
    let mut env = china_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let gets: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets[0].status, 404, "not known at first");
    assert!(run.stdout.contains("not listed yet"), "{}", run.stdout);
}

#[tokio::test]
async fn ids_given_by_the_user_get_no_grace() {
    let sim = crate::alibaba::ali_sim_with(&["704220001:outcome=missing"], Setup::default()).await;
    let run = ali_env(&sim, &["704220001".into()]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(describes(&sim).len(), 1, "not found at once");
}
