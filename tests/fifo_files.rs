//! Files that are not regular files: a FIFO named by `GITHUB_OUTPUT`, `oidc-token-file`,
//! `junit-file` or `dotenv-file` is refused at once (exit 2, the input named), and one
//! swapped in after the inputs were checked neither blocks the process past its deadline nor
//! keeps SIGTERM from ending it.

use std::time::{Duration, Instant};

use purge_wait::sim::alibaba::{self, Setup};

use crate::util::*;

/// Makes a FIFO named `name` in the test's directory.
pub fn mkfifo(env: &TestEnv, name: &str) -> String {
    let path = env.path(name);
    let c = std::ffi::CString::new(path.clone()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {path}"
    );
    path
}

async fn timed(env: &TestEnv) -> (Run, Duration) {
    let started = Instant::now();
    let run = env.run().await;
    (run, started.elapsed())
}

#[tokio::test]
async fn a_fifo_as_github_output_is_refused_at_once() {
    let sim = china_sim(&[&format!("{}:after=0s", guid(1))]).await;
    let mut env = china_env(&sim, &[&guid(1)]);
    let fifo = mkfifo(&env, "output");
    env.set("GITHUB_OUTPUT", &fifo);
    let (run, took) = timed(&env).await;
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let errors = run.commands("error");
    assert!(
        errors[0].contains("`GITHUB_OUTPUT`") && errors[0].contains("FIFO (named pipe)"),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("could not write step outputs") && e.contains("FIFO")),
        "{errors:?}"
    );
    assert!(
        run.summary.contains("invalid input"),
        "the summary is written"
    );
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn a_fifo_as_the_step_summary_junit_or_dotenv_file_is_refused_at_once() {
    let sim = china_sim(&[&format!("{}:after=0s", guid(2))]).await;
    for (var, input) in [
        ("GITHUB_STEP_SUMMARY", "`GITHUB_STEP_SUMMARY`"),
        ("INPUT_JUNIT-FILE", "`junit-file`"),
    ] {
        let mut env = china_env(&sim, &[&guid(2)]);
        let fifo = mkfifo(&env, "fifo");
        env.set(var, &fifo);
        let (run, took) = timed(&env).await;
        assert_eq!(run.code, 2, "{var}: {}", run.stdout);
        assert!(took < Duration::from_secs(5), "{var} took {took:?}");
        assert!(
            run.commands("error")[0].contains(input),
            "{var}: {:?}",
            run.commands("error")
        );
        assert_eq!(run.outputs["status"], "error");
    }
    // GitLab: the dotenv report.
    let mut env = china_env(&sim, &[&guid(2)]);
    let fifo = mkfifo(&env, "dotenv");
    env.unset("GITHUB_ACTIONS")
        .set("GITLAB_CI", "true")
        .set("INPUT_DOTENV-FILE", &fifo);
    let (run, took) = timed(&env).await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(run.stdout.contains("`dotenv-file`"), "{}", run.stdout);
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn a_fifo_or_a_directory_as_oidc_token_file_is_refused_at_once() {
    let sim = crate::alibaba::ali_sim_with(&[], Setup::default()).await;
    for what in ["fifo", "directory"] {
        let mut env = crate::alibaba::oidc_env(&sim, &["704224242".to_string()]);
        let path = if what == "fifo" {
            mkfifo(&env, "token")
        } else {
            let p = env.path("token-dir");
            std::fs::create_dir(&p).unwrap();
            p
        };
        env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &path);
        let (run, took) = timed(&env).await;
        assert_eq!(run.code, 2, "{what}: {}\n{}", run.stdout, run.stderr);
        assert!(took < Duration::from_secs(5), "{what} took {took:?}");
        let e = run.commands("error")[0].to_string();
        assert!(e.contains("`oidc-token-file`"), "{e}");
        assert!(
            e.contains(if what == "fifo" {
                "is a FIFO (named pipe), not a regular file"
            } else {
                "is a directory, not a regular file"
            }),
            "{e}"
        );
        run.assert_all_outputs();
    }
    assert!(sim.requests().is_empty());
}

/// Waits until the simulator has seen a request.
async fn first_request(sim: &purge_wait::sim::Simulator) {
    for _ in 0..250 {
        if !sim.requests().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no request");
}

#[tokio::test]
async fn a_fifo_swapped_in_for_github_output_mid_wait_does_not_block() {
    let id = guid(3);
    let sim = china_sim(&[&format!("{id}:after=1s")]).await;
    let mut env = china_env(&sim, &[&id]);
    // Absent when the inputs are checked (the harness reads `github_output` afterwards, so
    // another name).
    let output = env.path("late-output");
    env.set("GITHUB_OUTPUT", &output);
    let started = Instant::now();
    let child = env.command().spawn().unwrap();
    first_request(&sim).await;
    // After the inputs were checked: GITHUB_OUTPUT becomes a FIFO nobody reads.
    let c = std::ffi::CString::new(output.clone()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let run = env.collect(child).await;
    let took = started.elapsed();
    assert_eq!(run.code, 0, "the wait itself succeeded: {}", run.stdout);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        run.commands("error")
            .iter()
            .any(|e| e.contains("could not write step outputs") && e.contains("FIFO")),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("succeeded"),
        "the summary is still written"
    );
}

#[tokio::test]
async fn a_token_file_swapped_for_a_fifo_mid_wait_neither_hangs_nor_ignores_sigterm() {
    // STS credentials that expire during the wait: the token file is read again.
    let id = "704224243".to_string();
    let sim = crate::alibaba::ali_sim_with(
        &[&format!("{id}:outcome=stuck")],
        Setup {
            sts_lifetime: Duration::from_millis(1500),
            ..Setup::default()
        },
    )
    .await;
    for signal in [None, Some("TERM")] {
        let mut env = crate::alibaba::oidc_env(&sim, std::slice::from_ref(&id));
        let token = env.path("oidc-token");
        std::fs::write(&token, alibaba::DEMO_OIDC_TOKEN).unwrap();
        env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token)
            .set("INPUT_TIMEOUT", "6s");
        let before = sim.requests().len();
        let started = Instant::now();
        let child = env.command().spawn().unwrap();
        for _ in 0..250 {
            if sim.requests().len() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        std::fs::remove_file(&token).unwrap();
        let c = std::ffi::CString::new(token.clone()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        if let Some(signal) = signal {
            tokio::time::sleep(Duration::from_millis(2000)).await;
            std::process::Command::new("kill")
                .args([&format!("-{signal}"), &child.id().unwrap().to_string()])
                .status()
                .unwrap();
        }
        let run = env.collect(child).await;
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(6 + 2),
            "{signal:?}: took {took:?}, past the deadline"
        );
        assert_ne!(run.code, 0, "{signal:?}: never a success");
        assert!(
            [3, 124, 130].contains(&run.code),
            "{signal:?}: exit {}\n{}",
            run.code,
            run.stdout
        );
        run.assert_all_outputs();
        if signal.is_none() {
            assert!(
                run.stdout.contains("FIFO (named pipe), not a regular file"),
                "the re-read says why: {}",
                run.stdout
            );
        }
    }
}
