//! The job summary's Mermaid gantt chart, through the binary: one well-formed block beside
//! the table, whatever status words and messages the provider sends.

use std::time::Duration;

use purge_wait::report::gantt;
use purge_wait::sim::azure_china::Setup;
use purge_wait::sim::{Ending, Scenario};

use crate::util::*;

/// The body of the summary's only ```` ```mermaid ```` block.
fn mermaid_block(summary: &str) -> String {
    assert_eq!(summary.matches("```mermaid\n").count(), 1, "{summary}");
    let body = &summary[summary.find("```mermaid\n").unwrap() + 11..];
    let end = body.find("```").expect("the block is closed");
    assert!(body[end..].starts_with("```\n"), "{summary}");
    body[..end].to_string()
}

#[tokio::test]
async fn the_summary_draws_each_operation_whatever_the_provider_says() {
    let hostile = "Done: #1; %%{init}%% ```\n    evil :crit, t9, 2020-01-01, 1d\ntitle x";
    let mut setup = Setup::default();
    let mut fails = Scenario::succeeds_after(Duration::from_millis(200));
    fails.ending = Ending::Failed;
    fails.message = Some(hostile.into());
    let mut odd = Scenario::succeeds_after(Duration::from_millis(100));
    odd.ending = Ending::Word(hostile.into());
    setup.ops.push((guid(2), fails));
    setup.ops.push((guid(3), odd));
    let sim = china_sim_with(&[], setup).await;
    let ids = [guid(1), guid(2), guid(3)];
    let mut env = china_env(&sim, &ids.iter().map(String::as_str).collect::<Vec<_>>());
    env.set("INPUT_TIMEOUT", "2s");
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.summary.contains("| Operation | Result |"),
        "the table stays"
    );
    let chart = mermaid_block(&run.summary);
    gantt::check(&chart).unwrap_or_else(|e| panic!("{e}\n{chart}"));
    let tasks: Vec<&str> = chart.lines().filter(|l| l.contains(" :")).collect();
    assert_eq!(tasks.len(), 3, "{chart}");
    assert!(
        tasks[0].starts_with(&format!("    ✅ {} succeeded :done, t1, ", ids[0])),
        "{}",
        tasks[0]
    );
    assert!(
        tasks[1].starts_with(&format!("    ❌ {} failed :crit, t2, ", ids[1])),
        "{}",
        tasks[1]
    );
    // An unknown status word is never success: the bar runs to the end of the wait.
    assert!(
        tasks[2].starts_with(&format!("    ⏳ {} pending · Done_ _1_ _", ids[2])),
        "{}",
        tasks[2]
    );
    assert!(tasks[2].contains(":active, t3, "), "{}", tasks[2]);
    assert!(!chart.contains("evil :crit"));
    // The chart comes after the table, and the summary stays secret-free.
    assert!(run.summary.find("| Operation |").unwrap() < run.summary.find("```mermaid").unwrap());
    run.assert_no_secret(SECRET);
}
