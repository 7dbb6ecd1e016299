//! GitLab CI and Azure Pipelines through the binary: detection from `GITLAB_CI` / `TF_BUILD`,
//! the dotenv report, `##vso` commands and the JUnit report, read back with each system's
//! own rules, for success, failure, timeout, interruption and bad inputs.

use std::time::Duration;

use crate::util::ci_parsers::*;
use crate::util::*;

/// A GitLab job environment pointed at `sim`: `GITLAB_CI=true`, inputs as `PURGE_WAIT_*`
/// CI/CD variables, the binary run in the test's own directory (where the dotenv report
/// lands by default).
fn gitlab_env(sim: &purge_wait::sim::Simulator, ids: &[&str]) -> TestEnv {
    let mut t = as_variables(china_env(sim, ids));
    t.set("GITLAB_CI", "true").set("CI", "true");
    t
}

/// An Azure Pipelines step environment: `TF_BUILD=True`, inputs as `PURGE_WAIT_*`.
fn azure_env(sim: &purge_wait::sim::Simulator, ids: &[&str]) -> TestEnv {
    let mut t = as_variables(china_env(sim, ids));
    t.set("TF_BUILD", "True");
    t
}

/// Drops the GitHub runner's variables and turns `INPUT_X-Y` into `PURGE_WAIT_X_Y`.
fn as_variables(mut t: TestEnv) -> TestEnv {
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
    t
}

/// Runs in the test directory, so relative report paths land there.
async fn run_in_dir(env: &TestEnv) -> Run {
    let mut c = env.command();
    c.current_dir(env.dir.path());
    let child = c.spawn().expect("binary starts");
    env.collect(child).await
}

fn dotenv(env: &TestEnv, name: &str) -> std::collections::HashMap<String, String> {
    let bytes = std::fs::read(env.path(name)).expect("dotenv report written");
    parse_gitlab_dotenv(&bytes).expect("GitLab accepts the dotenv report")
}

fn junit(env: &TestEnv) -> Vec<JunitCase> {
    parse_junit(&std::fs::read_to_string(env.path("junit.xml")).expect("junit written"))
}

fn no_secret_anywhere(env: &TestEnv, run: &Run) {
    assert!(
        !run.stdout.contains(SECRET)
            || run
                .stdout
                .lines()
                .all(|l| !l.contains(SECRET) || l.starts_with("##vso[task.setsecret]"))
    );
    assert!(!run.stderr.contains(SECRET));
    for f in ["purge-wait.env", "junit.xml"] {
        let text = std::fs::read_to_string(env.path(f)).unwrap_or_default();
        assert!(!text.contains(SECRET), "secret in {f}");
    }
}

#[tokio::test]
async fn gitlab_success_writes_the_dotenv_report_sections_and_junit() {
    let ids = [guid(101), guid(102)];
    let sim = china_sim(&[&format!("{}:after=300ms", ids[0])]).await;
    let mut env = gitlab_env(&sim, &[&ids[0], &ids[1]]);
    env.set("PURGE_WAIT_JUNIT_FILE", "junit.xml");
    let run = run_in_dir(&env).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    no_secret_anywhere(&env, &run);
    assert!(run.stdout.contains("\x1b[0Ksection_start:"));
    assert!(
        run.stdout
            .contains(":purge_wait_polls[collapsed=true]\r\x1b[0K")
    );
    assert!(run.stdout.contains("\x1b[0Ksection_end:"));
    assert!(!run.stdout.contains("::group::"), "not GitHub's commands");
    let vars = dotenv(&env, "purge-wait.env");
    assert_eq!(vars["PURGE_WAIT_STATUS"], "succeeded");
    assert_eq!(vars["PURGE_WAIT_SUCCEEDED"], "2");
    assert_eq!(vars["PURGE_WAIT_OPERATION_IDS"], ids.join(","));
    assert_eq!(vars["PURGE_WAIT_TIMED_OUT"], "false");
    assert_eq!(vars["PURGE_WAIT_POLLS"], sim.requests().len().to_string());
    let cases = junit(&env);
    assert_eq!(cases.len(), 2);
    assert!(cases.iter().all(|c| c.verdict == "pass"));
}

#[tokio::test]
async fn gitlab_failure_timeout_and_bad_input_still_write_the_reports() {
    let ids = [guid(111), guid(112)];
    let sim = china_sim(&[
        &format!(
            "{}:after=200ms,outcome=failed,message=Origin unreachable",
            ids[0]
        ),
        &format!("{}:outcome=stuck", ids[1]),
    ])
    .await;

    let mut env = gitlab_env(&sim, &[&ids[0]]);
    let (junit_path, dotenv_path) = (env.path("junit.xml"), env.path("deploy.env"));
    env.set("PURGE_WAIT_JUNIT_FILE", &junit_path)
        .set("PURGE_WAIT_DOTENV_FILE", &dotenv_path);
    let run = env.run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(dotenv(&env, "deploy.env")["PURGE_WAIT_STATUS"], "failed");
    let cases = junit(&env);
    assert_eq!(cases[0].verdict, "failure");
    assert!(cases[0].message.contains("Origin unreachable"));

    let mut env = gitlab_env(&sim, &[&ids[1]]);
    env.set("PURGE_WAIT_TIMEOUT", "1s")
        .set("PURGE_WAIT_JUNIT_FILE", "junit.xml");
    let run = run_in_dir(&env).await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    let vars = dotenv(&env, "purge-wait.env");
    assert_eq!(vars["PURGE_WAIT_STATUS"], "timed-out");
    assert_eq!(vars["PURGE_WAIT_TIMED_OUT"], "true");
    assert_eq!(vars["PURGE_WAIT_PENDING"], "1");
    assert_eq!(junit(&env)[0].kind, "TimedOut");

    let mut env = gitlab_env(&sim, &[&ids[1]]);
    env.set("PURGE_WAIT_TIMEOUT", "soon")
        .set("PURGE_WAIT_JUNIT_FILE", "junit.xml");
    let run = run_in_dir(&env).await;
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("input `timeout`"), "{}", run.stdout);
    assert_eq!(dotenv(&env, "purge-wait.env")["PURGE_WAIT_STATUS"], "error");
    assert_eq!(junit(&env)[0].kind, "ConfigError");
}

#[tokio::test]
async fn gitlab_interruption_writes_the_reports_and_exits_130() {
    let id = guid(121);
    let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
    let mut env = gitlab_env(&sim, &[&id]);
    env.set("PURGE_WAIT_JUNIT_FILE", "junit.xml");
    let mut c = env.command();
    c.current_dir(env.dir.path());
    let child = c.spawn().unwrap();
    let pid = child.id().unwrap();
    for _ in 0..100 {
        if !sim.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = env.collect(child).await;
    assert_eq!(run.code, 130, "{}", run.stdout);
    let vars = dotenv(&env, "purge-wait.env");
    assert_eq!(vars["PURGE_WAIT_STATUS"], "interrupted");
    assert_eq!(junit(&env)[0].verdict, "skipped");
}

#[tokio::test]
async fn azure_success_sets_output_variables_after_registering_the_secret() {
    let ids = [guid(131), guid(132)];
    let sim = china_sim(&[]).await;
    let env = azure_env(&sim, &[&ids[0], &ids[1]]);
    let run = run_in_dir(&env).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    no_secret_anywhere(&env, &run);
    let first = parse_vso_line(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first.command, "task.setsecret");
    assert_eq!(first.data, SECRET);
    assert!(run.stdout.contains("##[group]Waiting for 2 operations"));
    assert!(run.stdout.contains("##[endgroup]"));
    let out = vso_outputs(&run.stdout);
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["succeeded"], "2");
    assert_eq!(out["operation_ids"], ids.join(","));
    assert_eq!(out["timed_out"], "false");
    let result: serde_json::Value = serde_json::from_str(&out["result"]).unwrap();
    assert_eq!(result["operations"].as_array().unwrap().len(), 2);
    assert!(
        !std::path::Path::new(&env.path("purge-wait.env")).exists(),
        "no dotenv outside GitLab"
    );
    assert!(
        !vso_commands(&run.stdout)
            .iter()
            .any(|c| c.command == "task.logissue" || c.command == "task.complete")
    );
}

#[tokio::test]
async fn azure_failure_soft_timeout_and_interruption() {
    let ids = [guid(141), guid(142)];
    let sim = china_sim(&[
        &format!(
            "{}:after=200ms,outcome=failed,message=Origin; unreachable]",
            ids[0]
        ),
        &format!("{}:outcome=stuck", ids[1]),
    ])
    .await;

    let run = azure_env(&sim, &[&ids[0]]).run().await;
    assert_eq!(run.code, 1);
    let issues: Vec<Vso> = vso_commands(&run.stdout)
        .into_iter()
        .filter(|c| c.command == "task.logissue")
        .collect();
    assert_eq!(issues.len(), 1, "{}", run.stdout);
    assert_eq!(issues[0].properties["type"], "error");
    assert!(
        issues[0].data.contains("Origin; unreachable]"),
        "{}",
        issues[0].data
    );
    assert_eq!(vso_outputs(&run.stdout)["status"], "failed");

    let mut env = azure_env(&sim, &[&ids[1]]);
    let junit_path = env.path("junit.xml");
    env.set("PURGE_WAIT_TIMEOUT", "700ms")
        .set("PURGE_WAIT_FAIL_ON_TIMEOUT", "false")
        .set("PURGE_WAIT_JUNIT_FILE", &junit_path);
    let run = env.run().await;
    assert_eq!(run.code, 0);
    let commands = vso_commands(&run.stdout);
    let complete = commands
        .iter()
        .find(|c| c.command == "task.complete")
        .expect("task.complete");
    assert_eq!(complete.properties["result"], "SucceededWithIssues");
    assert!(
        commands
            .iter()
            .any(|c| c.command == "task.logissue" && c.properties["type"] == "warning")
    );
    assert_eq!(vso_outputs(&run.stdout)["timed_out"], "true");
    assert_eq!(junit(&env)[0].verdict, "skipped");

    let env = azure_env(&sim, &[&ids[1]]);
    let before = sim.requests().len();
    let child = env.command().spawn().unwrap();
    let pid = child.id().unwrap();
    for _ in 0..100 {
        if sim.requests().len() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let run = env.collect(child).await;
    assert_eq!(run.code, 130);
    assert_eq!(vso_outputs(&run.stdout)["status"], "interrupted");
}

#[tokio::test]
async fn report_can_be_forced_and_bad_input_reaches_azure() {
    let id = guid(151);
    let sim = china_sim(&[]).await;
    let mut env = as_variables(china_env(&sim, &[&id]));
    env.arg("--report").arg("azure-pipelines");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert_eq!(vso_outputs(&run.stdout)["status"], "succeeded");

    let mut env = azure_env(&sim, &[&id]);
    env.set("PURGE_WAIT_INTERVAL", "often");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    let issue = vso_commands(&run.stdout)
        .into_iter()
        .find(|c| c.command == "task.logissue")
        .unwrap();
    assert!(issue.data.contains("input `interval`"), "{}", issue.data);
    assert_eq!(vso_outputs(&run.stdout)["status"], "error");
}
