//! No server-sent delay or user input crashes the process (a panic aborts: exit 134, no
//! outputs). Absurd `Retry-After` values in every dialect are clamped — so beyond the
//! deadline, a timeout at once; absurd inputs are refused with exit 2, naming the input.

use std::time::{Duration, Instant};

use purge_wait::sim::Fault;

use crate::util::*;

#[tokio::test]
async fn absurd_server_delays_are_a_timeout_not_a_crash() {
    let cases: &[(&str, &str)] = &[
        ("retry-after", "1e300"),
        ("retry-after", "10000000000000000000"),
        ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ("retry-after-ms", "1e30"),
        ("x-ms-retry-after-ms", "1e300"),
        ("x-acs-retry-after", "1e300"),
    ];
    for (name, value) in cases {
        let id = guid(11);
        let sim = china_sim(&[&format!("{id}:outcome=stuck")]).await;
        sim.inject([Fault::TooManyRequestsWith(name, value.to_string())]);
        let started = Instant::now();
        let run = china_env(&sim, &[&id]).run().await;
        assert_eq!(
            run.code, 124,
            "{name}: {value}\n{}\n{}",
            run.stdout, run.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: {value}"
        );
        run.assert_all_outputs();
        let warning = run.commands("warning").join("\n");
        assert!(
            warning
                .contains("throttled by the provider; Retry-After 168h00m is beyond the deadline"),
            "{name}: {value}: {warning}"
        );
    }
}

#[tokio::test]
async fn an_absurd_delay_on_an_alibaba_status_call_or_a_purge() {
    let sim = crate::alibaba::ali_sim_with(
        &["704220002:outcome=stuck"],
        purge_wait::sim::alibaba::Setup::default(),
    )
    .await;
    sim.inject([Fault::TooManyRequestsWith(
        "x-acs-retry-after",
        "1e300".into(),
    )]);
    let run = crate::alibaba::ali_env(&sim, &["704220002".into()])
        .run()
        .await;
    assert_eq!(run.code, 124, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();

    let sim = china_sim(&[]).await;
    sim.inject([Fault::TooManyRequestsWith("retry-after", "1e300".into())]);
    let mut env = china_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert!(run.commands("error").is_empty(), "not 'purge refused'");
}

#[tokio::test]
async fn absurd_inputs_exit_2_naming_the_input() {
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_RATE-LIMIT", "1e-300", "rate-limit"),
        ("INPUT_RATE-LIMIT", "0.0001", "rate-limit"),
        ("INPUT_RATE-LIMIT", "inf", "rate-limit"),
        ("INPUT_RATE-LIMIT", "NaN", "rate-limit"),
        ("INPUT_TIMEOUT", "300000000000y", "timeout"),
        ("INPUT_TIMEOUT", "1e300", "timeout"),
        ("INPUT_TIMEOUT", "8d", "timeout"),
        ("INPUT_TIMEOUT", "18446744073709551616", "timeout"),
        ("INPUT_INTERVAL", "1e300", "interval"),
        ("INPUT_INTERVAL", "2h", "interval"),
        ("INPUT_MAX-INTERVAL", "10000000000000000000", "max-interval"),
        ("INPUT_REQUEST-TIMEOUT", "300000000000y", "request-timeout"),
        ("INPUT_CONCURRENCY", "18446744073709551617", "concurrency"),
        ("INPUT_RETRIES", "1e9", "retries"),
        ("INPUT_NOT-FOUND-GRACE", "2h", "not-found-grace"),
        ("INPUT_NOT-FOUND-GRACE", "-1", "not-found-grace"),
    ];
    let sim = china_sim(&[]).await;
    let id = guid(12);
    for (var, value, input) in cases {
        let mut env = china_env(&sim, &[&id]);
        env.set(var, value);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}\n{}", run.stdout, run.stderr);
        run.assert_all_outputs();
        assert_eq!(run.outputs["status"], "error");
        let error = run.commands("error").join("\n");
        assert!(
            error.contains(&format!("`{input}`")),
            "{var}={value}: {error}"
        );
    }
    let long = |var: &str, value: &str| {
        let mut env = china_env(&sim, &[&id]);
        env.set(var, value);
        env
    };
    let run = long("INPUT_TIMEOUT", "300000000000y").run().await;
    assert!(
        run.commands("error")[0].contains("is too long. Use at most 168h00m."),
        "{}",
        run.stdout
    );
    assert!(sim.requests().is_empty(), "nothing requested");
}

#[tokio::test]
async fn the_issue_flags_on_the_command_line() {
    for args in [
        &["--rate-limit", "1e-300"][..],
        &["--timeout", "300000000000y"][..],
    ] {
        let mut env = TestEnv::new();
        env.args(&[
            "--provider",
            "azure-china-cdn",
            "--operation-ids",
            &guid(1),
            "--subscription-id",
            &guid(2),
            "--endpoint-id",
            &guid(3),
            "--api-key-id",
            "k",
            "--report",
            "plain",
        ])
        .set("AZURE_CDN_API_KEY_SECRET", SECRET)
        .args(args);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&format!("input `{}`", &args[0][2..])),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn the_most_extreme_valid_inputs_run() {
    // The bounds themselves are accepted and the arithmetic on them is total.
    let id = guid(13);
    let sim = china_sim(&[&format!("{id}:after=0s")]).await;
    let mut env = china_env(&sim, &[&id]);
    env.set("INPUT_TIMEOUT", "168h")
        .set("INPUT_INTERVAL", "1h")
        .set("INPUT_MAX-INTERVAL", "1h")
        .set("INPUT_REQUEST-TIMEOUT", "1h")
        .set("INPUT_RATE-LIMIT", "0.001")
        .set("INPUT_CONCURRENCY", "64")
        .set("INPUT_RETRIES", "1000")
        .set("INPUT_NOT-FOUND-GRACE", "0s");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
}
