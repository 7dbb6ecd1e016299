//! Azure China CDN through the binary, against the simulator that verifies signatures,
//! dates, key ids, subscription and endpoint like the service.

use std::time::Duration;

use purge_wait::provider::azure_china::sim::Setup;

use crate::util::*;

fn ids(n: u32) -> Vec<String> {
    (1..=n).map(guid).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn several_ids_succeed_with_signed_requests_and_full_outputs() {
    let ids = ids(3);
    let specs: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{id}:after={}ms", 300 * (i + 1)))
        .collect();
    let sim = china_sim(&refs(&specs)).await;
    let run = china_env(&sim, &refs(&ids)).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    run.assert_no_secret(SECRET);
    assert_eq!(run.outputs["status"], "succeeded");
    assert_eq!(run.outputs["operation-ids"], ids.join(","));
    assert_eq!(run.outputs["succeeded"], "3");
    assert_eq!(run.outputs["failed"], "0");
    assert_eq!(run.outputs["pending"], "0");
    assert_eq!(run.outputs["timed-out"], "false");
    let requests = sim.requests();
    assert_eq!(run.outputs["polls"], requests.len().to_string());
    for r in &requests {
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            r.header("authorization")
                .unwrap()
                .starts_with("AzureCDN 00000000-1111-2222-3333-444444444444:")
        );
        assert!(r.header("x-azurecdn-request-date").is_some());
        assert!(r.target.ends_with("?apiVersion=1.0"));
    }
    // Every request is signed afresh: no two Authorization headers alike unless same path and second.
    let result = run.result();
    assert_eq!(result["status"], "succeeded");
    assert_eq!(result["operations"].as_array().unwrap().len(), 3);
    assert!(
        run.stdout
            .contains("::group::Waiting for 3 operations on azure-china-cdn")
    );
    assert!(run.stdout.contains("::endgroup::"));
    assert!(run.commands("error").is_empty(), "{}", run.stdout);
    assert!(
        run.summary
            .contains("### ✅ CDN purge: 3 of 3 operations succeeded"),
        "{}",
        run.summary
    );
    for id in &ids {
        assert!(
            run.summary
                .contains(&format!("| `{id}` | succeeded | Succeeded |"))
        );
    }
}

#[tokio::test]
async fn one_failed_id_exits_1_with_an_annotation() {
    let ids = ids(2);
    let spec = format!(
        "{}:after=200ms,outcome=failed,message=Origin unreachable",
        ids[1]
    );
    let sim = china_sim(&[&spec]).await;
    let run = china_env(&sim, &refs(&ids)).run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_all_outputs();
    run.assert_no_secret(SECRET);
    assert_eq!(run.outputs["status"], "failed");
    assert_eq!(run.outputs["failed"], "1");
    assert_eq!(run.outputs["succeeded"], "1");
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("::error title=CDN purge operation failed::"));
    assert!(errors[0].contains(&ids[1]) && errors[0].contains("Origin unreachable"));
    assert!(run.summary.contains("Origin unreachable"));
    assert_eq!(
        run.result()["operations"][1]["message"],
        "Origin unreachable"
    );
}

#[tokio::test]
async fn timeout_exits_124_and_writes_outputs() {
    let id = guid(7);
    let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_TIMEOUT", "1s");
    let started = std::time::Instant::now();
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stops at the deadline"
    );
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "timed-out");
    assert_eq!(run.outputs["timed-out"], "true");
    assert_eq!(run.outputs["pending"], "1");
    let warnings = run.commands("warning");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("timed out after 1s"), "{warnings:?}");
    assert!(run.summary.contains("⏱️"));
    // No request after the deadline.
    let last = sim.requests().last().unwrap().at;
    let first = sim.requests()[0].at;
    assert!(
        last - first <= Duration::from_millis(1300),
        "{:?}",
        last - first
    );
}

#[tokio::test]
async fn timeout_with_fail_on_timeout_false_exits_0_and_says_so() {
    let id = guid(8);
    let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_TIMEOUT", "700ms")
        .set("INPUT_FAIL-ON-TIMEOUT", "false");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert_eq!(run.outputs["timed-out"], "true");
    assert_eq!(run.outputs["status"], "timed-out");
    assert!(run.commands("warning")[0].contains("fail-on-timeout is false"));
}

#[tokio::test]
async fn throttling_then_success_honours_retry_after() {
    let id = guid(9);
    let sim = china_sim(&[&format!("{id}:after=0s,throttle=2,retry-after=1")]).await;
    let run = china_env(&sim, &[&id]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!((r[0].status, r[1].status, r[2].status), (429, 429, 200));
    assert_eq!(r[0].answer, "RequestThrottled");
    for w in r.windows(2).take(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= Duration::from_millis(990),
            "Retry-After: 1 not honoured: {gap:?}"
        );
    }
    assert!(run.stdout.contains("RequestThrottled"));
    assert_eq!(run.outputs["polls"], "3");
}

#[tokio::test]
async fn a_5xx_burst_is_retried_with_backoff() {
    let id = guid(10);
    let sim = china_sim(&[&format!("{id}:after=0s,errors=3")]).await;
    let run = china_env(&sim, &[&id]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(
        r.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 503, 503, 200]
    );
    let gaps: Vec<Duration> = r.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[2] > gaps[0] / 2, "backoff does not shrink: {gaps:?}");
    assert!(run.stdout.contains("HTTP 503"));
}

#[tokio::test]
async fn wrong_secret_exits_3_with_the_error_type_and_correlation_id() {
    let ids = ids(2);
    let sim = china_sim(&[]).await;
    let wrong = "d3JvbmctdmFsdWUtZm9yLXRlc3Rz";
    let mut env = china_env(&sim, &refs(&ids));
    env.set("INPUT_API-KEY-SECRET", wrong);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    run.assert_no_secret(wrong);
    assert_eq!(run.outputs["status"], "error");
    assert_eq!(run.outputs["errors"], "2");
    let errors = run.commands("error");
    assert!(!errors.is_empty());
    assert!(errors[0].contains("WrongSignature"), "{errors:?}");
    assert!(
        errors[0].contains("X-Correlation-Id%3A ") || errors[0].contains("X-Correlation-Id: "),
        "{errors:?}"
    );
    assert!(
        errors[0].contains("api-key-secret"),
        "names the fix: {errors:?}"
    );
    assert!(
        sim.requests().len() <= 2,
        "fails fast: {}",
        sim.requests().len()
    );
    assert_eq!(
        run.result()["operations"][0]["error"]["code"],
        "WrongSignature"
    );
    assert!(run.result()["operations"][0]["error"]["request_id"].is_string());
}

#[tokio::test]
async fn clock_skew_is_re_signed_once_then_reported() {
    let id = guid(11);
    let setup = Setup {
        clock_offset: chrono::Duration::hours(1),
        ..Setup::default()
    };
    let sim = china_sim_with(&[], setup).await;
    let run = china_env(&sim, &[&id]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(r.len(), 2, "re-signed exactly once");
    assert_ne!(r[0].header("x-azurecdn-request-date"), None);
    assert!(r.iter().all(|r| r.answer == "AuthorizationHeaderExpired"));
    let errors = run.commands("error");
    assert!(errors[0].contains("AuthorizationHeaderExpired"));
    assert!(errors[0].contains("clock"), "{errors:?}");
    assert!(
        errors[0].contains("about -3600 s") || errors[0].contains("about -3599 s"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn upper_case_ids_are_sent_lower_case_and_verify() {
    let id = guid(12)
        .to_ascii_uppercase()
        .replace("0000-4000", "ABCD-4000");
    let sim = china_sim(&[]).await;
    let run = china_env(&sim, &[&id]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(sim.requests().iter().all(|r| {
        r.target
            == r.target
                .to_ascii_lowercase()
                .replace("apiversion", "apiVersion")
    }));
    assert_eq!(
        run.outputs["operation-ids"], id,
        "outputs keep the id as given"
    );
}

#[tokio::test]
async fn an_unknown_status_word_is_never_success() {
    let id = guid(13);
    let sim = china_sim(&[&format!("{id}:after=0s,outcome=Completed")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_TIMEOUT", "1s");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert_eq!(run.outputs["succeeded"], "0");
    assert!(run.commands("warning")[0].contains("Completed"));
    assert!(run.stdout.contains("is not one purge-wait knows"));
}

#[tokio::test]
async fn a_malformed_body_is_retried_then_exit_3_never_success() {
    let id = guid(14);
    let sim = china_sim(&[&format!("{id}:after=0s,outcome=malformed")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_RETRIES", "2");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(sim.requests().len(), 3, "one try and two retries");
    assert_eq!(run.outputs["status"], "error");
    assert!(run.commands("error")[0].contains("not the JSON expected"));
}

#[tokio::test]
async fn an_unknown_operation_and_a_wrong_endpoint_exit_3() {
    let id = guid(15);
    let sim = china_sim(&[&format!("{id}:outcome=missing")]).await;
    let run = china_env(&sim, &[&id]).run().await;
    assert_eq!(run.code, 3);
    assert!(run.commands("error")[0].contains("ParameterInvalid"));
    assert_eq!(sim.requests().len(), 1, "not found is not retried");

    let sim = china_sim(&[]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_ENDPOINT-ID", "99999999-2222-3333-4444-555555555555");
    let run = env.run().await;
    assert_eq!(run.code, 3);
    let e = run.commands("error")[0];
    assert!(
        e.contains("EndpointNotFound") && e.contains("endpoint-id"),
        "{e}"
    );
}

async fn interrupt(signal: &str) {
    let id = guid(16);
    let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
    let env = china_env(&sim, &[&id]);
    let child = env.command().spawn().unwrap();
    let pid = child.id().unwrap();
    for _ in 0..100 {
        if !sim.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!sim.requests().is_empty(), "the wait started");
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let run = env.collect(child).await;
    assert!(started.elapsed() < Duration::from_secs(3), "exits promptly");
    assert_eq!(run.code, 130, "{signal}: {}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "interrupted");
    assert_eq!(run.outputs["pending"], "1");
    assert!(run.summary.contains("interrupted"), "{}", run.summary);
    assert!(run.commands("warning")[0].contains("interrupted"));
}

#[tokio::test]
async fn sigterm_mid_wait_writes_outputs_and_exits_130() {
    interrupt("TERM").await;
}

#[tokio::test]
async fn sigint_mid_wait_writes_outputs_and_exits_130() {
    interrupt("INT").await;
}

#[tokio::test]
async fn json_report_prints_one_result_object() {
    let id = guid(17);
    let sim = china_sim(&[]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_REPORT", "json");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    let v: serde_json::Value =
        serde_json::from_str(run.stdout.trim()).expect("stdout is one JSON object");
    assert_eq!(v["status"], "succeeded");
    assert_eq!(v["operations"][0]["id"], id.as_str());
    assert_eq!(v["operations"][0]["status"], "Succeeded");
    assert!(run.stderr.contains("Waiting for 1 operation"));
    assert!(
        run.output_file.is_empty(),
        "json does not write GitHub outputs"
    );
}

#[tokio::test]
async fn plain_report_off_a_terminal_is_one_line_per_change() {
    let id = guid(18);
    let sim = china_sim(&[&format!("{id}:after=500ms")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.unset("GITHUB_ACTIONS").set("INPUT_REPORT", "auto");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert!(
        !run.stderr.contains("::"),
        "no workflow commands outside GitHub:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no escape sequences off a terminal"
    );
    assert!(
        run.stderr.contains(&format!("{id}: Processing")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!("{id}: Succeeded")));
    assert_eq!(
        run.stderr.matches("Processing").count(),
        1,
        "one line per change:\n{}",
        run.stderr
    );
    assert!(
        run.stdout.ends_with("1 of 1 operation succeeded in ")
            || run.stdout.contains("1 of 1 operation succeeded")
    );
}

#[tokio::test]
async fn flags_win_over_the_environment() {
    let id = guid(19);
    let sim = china_sim(&[]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_ENDPOINT", "http://127.0.0.1:9");
    env.arg("--endpoint").arg(&sim.url());
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[tokio::test]
async fn demo_runs_a_real_wait_and_exits_0() {
    let mut env = TestEnv::new();
    env.arg("demo").arg("--report").arg("plain");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("Processing"));
    assert!(run.stderr.contains("Succeeded"));
    assert!(run.stdout.contains("3 of 3 operations succeeded"));
}

#[tokio::test]
async fn simulate_serves_the_api_for_a_separate_wait() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let id = guid(20);
    let mut sim_env = TestEnv::new();
    sim_env
        .arg("simulate")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--op")
        .arg(&format!(
            "{id}:after=300ms,outcome=failed,message=Origin down"
        ));
    let mut sim = sim_env.command().spawn().unwrap();
    let mut lines = BufReader::new(sim.stderr.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let addr = first
        .rsplit("http://")
        .next()
        .expect("the first line names the address")
        .to_string();
    let mut env = TestEnv::github();
    env.set("PURGE_WAIT_PROVIDER", "azure-china-cdn")
        .set("PURGE_WAIT_ENDPOINT", &format!("http://{addr}"))
        .set(
            "PURGE_WAIT_SUBSCRIPTION_ID",
            purge_wait::provider::azure_china::sim::DEMO_SUBSCRIPTION,
        )
        .set(
            "PURGE_WAIT_ENDPOINT_ID",
            purge_wait::provider::azure_china::sim::DEMO_ENDPOINT,
        )
        .set(
            "AZURE_CDN_API_KEY_ID",
            purge_wait::provider::azure_china::sim::DEMO_KEY_ID,
        )
        .set("AZURE_CDN_API_KEY_SECRET", SECRET)
        .set("PURGE_WAIT_OPERATION_IDS", &id)
        .set("PURGE_WAIT_INTERVAL", "200ms");
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.commands("error")[0].contains("Origin down"));
    let logged = lines.next_line().await.unwrap().unwrap();
    assert!(
        logged.contains("Point purge-wait at it") || logged.contains("GET /subscriptions/"),
        "{logged}"
    );
    sim.start_kill().unwrap();
}
