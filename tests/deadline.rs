//! The deadline is never overrun, through the binary with `timeout: 3s`: servers that accept
//! but never answer (many ids, a purge call), a rate limit slower than the deadline, 3,000
//! Alibaba ids, a refresh split into slow calls. Each run ends within the timeout plus 2 s
//! (the engine's 1 s grace for a call in flight at the deadline, plus process start and
//! output writing) with exit 124 and every output written. And throttling: waited out within
//! the deadline, a timeout (not "purge refused") beyond it, with the reason.

use std::time::{Duration, Instant};

use purge_wait::sim::azure_china::Setup;
use purge_wait::sim::{Fault, Scenario, Simulator};

use crate::alibaba::{ali_env, ali_sim_with};
use crate::util::*;

const TIMEOUT: Duration = Duration::from_secs(3);
/// What a run may take beyond `timeout`.
const SLACK: Duration = Duration::from_secs(2);

/// Runs `env` with `timeout: 3s` and checks the deadline guarantee: within the timeout plus
/// 2 s, `code`, every output written, `status` as `code` says.
async fn within_deadline(env: &mut TestEnv, code: i32) -> Run {
    env.set("INPUT_TIMEOUT", "3s");
    let started = Instant::now();
    let run = env.run().await;
    let wall = started.elapsed();
    assert!(
        wall <= TIMEOUT + SLACK,
        "ran {wall:?} for a 3 s timeout\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    if code == 124 {
        assert_eq!(run.outputs["status"], "timed-out");
        assert_eq!(run.outputs["timed-out"], "true");
    }
    assert!(!run.summary.trim().is_empty(), "no job summary");
    run
}

fn guids(n: u32) -> Vec<String> {
    (0..n).map(|i| guid(1000 + i)).collect()
}

fn refs(ids: &[String]) -> Vec<&str> {
    ids.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn forty_ids_on_a_server_that_never_answers() {
    let sim = china_sim(&[]).await;
    sim.inject(vec![Fault::Hang; 200]);
    let ids = guids(40);
    let mut env = china_env(&sim, &refs(&ids));
    let run = within_deadline(&mut env, 124).await;
    assert_eq!(run.outputs["pending"], "40");
    let polls: u32 = run.outputs["polls"].parse().unwrap();
    assert!(
        polls <= 8,
        "only calls started before the deadline: {polls}"
    );
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("timed out after 3s: 40 of 40 still pending"),
        "{warning}"
    );
    run.assert_no_secret(SECRET);
}

#[tokio::test]
async fn a_rate_limit_slower_than_the_deadline() {
    let ids = guids(40);
    let specs: Vec<String> = ids.iter().map(|id| format!("{id}:outcome=stuck")).collect();
    let sim = china_sim(&refs(&specs)).await;
    let mut env = china_env(&sim, &refs(&ids));
    env.set("INPUT_RATE-LIMIT", "0.1");
    let run = within_deadline(&mut env, 124).await;
    assert_eq!(sim.requests().len(), 1, "the second call is 10.5 s away");
    let warning = run.commands("warning").join("\n");
    assert!(
        warning
            .contains("the deadline came before the rate limit (0.1 calls/s) allowed another call"),
        "{warning}"
    );
}

#[tokio::test]
async fn three_thousand_alibaba_ids() {
    let sim = ali_sim_with(&[], purge_wait::sim::alibaba::Setup::default()).await;
    let ids: Vec<String> = (0..3000u64)
        .map(|i| (70_400_000_000 + i).to_string())
        .collect();
    let mut env = ali_env(&sim, &ids);
    env.set("INPUT_FAIL-ON-TIMEOUT", "true");
    let run = within_deadline(&mut env, 124).await;
    let calls = sim.requests();
    assert!(
        calls.len() < 100,
        "{} calls: 30/s at most, none after the deadline",
        calls.len()
    );
    assert!(calls.iter().all(|r| r.status == 200), "none throttled");
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 3000);
}

fn china_purge_env(sim: &Simulator) -> TestEnv {
    let mut env = china_env(sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    env
}

#[tokio::test]
async fn a_purge_call_that_never_answers() {
    let sim = china_sim(&[]).await;
    sim.inject(vec![Fault::Hang]);
    let mut env = china_purge_env(&sim);
    let run = within_deadline(&mut env, 124).await;
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("purge call 1 of 1 was not answered before the deadline"),
        "{warning}"
    );
    assert!(
        warning.contains("its 1 path may have been purged, but nothing was waited on"),
        "the purge may have been accepted: {warning}"
    );
    assert!(run.commands("error").is_empty(), "not a refusal");
}

#[tokio::test]
async fn an_alibaba_refresh_split_into_four_slow_calls() {
    let sim = ali_sim_with(&[], purge_wait::sim::alibaba::Setup::default()).await;
    sim.inject(vec![Fault::Slow(Duration::from_secs(2)); 4]);
    let mut env = ali_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PROVIDER", "alibaba-cdn")
        .set("INPUT_PURGE-TYPE", "regex")
        .set(
            "INPUT_PATHS",
            "https://www.example.com/a/.*\nhttps://www.example.com/b/.*\nhttps://www.example.com/c/.*\nhttps://www.example.com/d/.*",
        )
        .set("INPUT_FAIL-ON-TIMEOUT", "true");
    let run = within_deadline(&mut env, 124).await;
    assert!(
        run.stdout.contains("(4 calls)"),
        "four calls planned: {}",
        run.stdout
    );
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("purge call 2 of 4 was not answered before the deadline"),
        "{warning}"
    );
}

// Throttling (item 11).

#[tokio::test]
async fn a_purge_throttled_beyond_the_deadline_is_a_timeout_with_the_reason() {
    let sim = china_sim(&[]).await;
    sim.inject([Fault::TooManyRequests(Some(600))]);
    let mut env = china_purge_env(&sim);
    let run = within_deadline(&mut env, 124).await;
    assert!(run.commands("error").is_empty(), "not 'purge refused'");
    assert!(!run.stdout.contains("purge refused"), "{}", run.stdout);
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("purge call 1 of 1 was throttled by the provider")
            && warning.contains("Retry-After 10m00s is beyond the deadline"),
        "{warning}"
    );
    assert!(
        run.summary
            .contains("Retry-After 10m00s is beyond the deadline")
    );
    assert_eq!(sim.requests().len(), 1, "not sent again");

    // fail-on-timeout: false softens it like any timeout.
    let sim = china_sim(&[]).await;
    sim.inject([Fault::TooManyRequests(Some(600))]);
    let mut env = china_purge_env(&sim);
    env.set("INPUT_FAIL-ON-TIMEOUT", "false");
    let run = within_deadline(&mut env, 0).await;
    assert_eq!(run.outputs["status"], "timed-out");
    assert_eq!(run.outputs["timed-out"], "true");
}

#[tokio::test]
async fn a_purge_throttled_within_the_deadline_is_waited_out() {
    let sim = china_sim_with(
        &[],
        Setup {
            purge: Scenario::succeeds_after(Duration::from_millis(200)),
            ..Setup::default()
        },
    )
    .await;
    sim.inject([Fault::TooManyRequests(Some(2))]);
    let mut env = china_purge_env(&sim);
    env.set("INPUT_TIMEOUT", "20s");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    let gap = posts[1].at - posts[0].at;
    assert!(
        gap >= Duration::from_millis(1990),
        "Retry-After: 2 honoured: {gap:?}"
    );
    assert!(run.commands("warning").is_empty(), "throttling is silent");
}

#[tokio::test]
async fn a_status_call_throttled_beyond_the_deadline_says_so() {
    let id = guid(7);
    let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
    sim.inject([Fault::TooManyRequests(Some(600))]);
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_TIMEOUT", "10m");
    let started = Instant::now();
    let run = env.run().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no sleep for nothing"
    );
    assert_eq!(run.code, 124, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    let warning = run.commands("warning").join("\n");
    assert!(
        warning.contains("throttled by the provider; Retry-After 10m00s is beyond the deadline"),
        "{warning}"
    );
    assert!(!warning.contains("timed out after 10m"), "{warning}");
    assert!(
        run.summary
            .contains("Retry-After 10m00s is beyond the deadline")
    );
}
