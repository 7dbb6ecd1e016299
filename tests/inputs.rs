//! Every bad input: exit 2, an annotation naming the input and the fix, outputs with
//! `status=error`, and not one request made.

use crate::util::*;

#[tokio::test]
async fn every_bad_input_exits_2_before_any_request() {
    let sim = china_sim(&[]).await;
    let id = guid(1);
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_PROVIDER", "cloudfront", "provider"),
        ("INPUT_PROVIDER", "", "provider"),
        ("INPUT_OPERATION-IDS", "", "operation-ids"),
        ("INPUT_OPERATION-IDS", "not-a-guid", "operation-ids"),
        ("INPUT_TIMEOUT", "forever", "timeout"),
        ("INPUT_TIMEOUT", "-5", "timeout"),
        ("INPUT_INTERVAL", "0", "interval"),
        ("INPUT_MAX-INTERVAL", "100ms", "max-interval"),
        ("INPUT_FAIL-ON-TIMEOUT", "perhaps", "fail-on-timeout"),
        ("INPUT_ENDPOINT", "restapi.cdn.azure.cn", "endpoint"),
        ("INPUT_ENDPOINT", "http://restapi.cdn.azure.cn", "endpoint"),
        ("INPUT_REPORT", "teamcity", "report"),
        ("INPUT_REQUEST-TIMEOUT", "1 fortnight", "request-timeout"),
        ("INPUT_RETRIES", "-1", "retries"),
        ("INPUT_CONCURRENCY", "1000", "concurrency"),
        (
            "INPUT_SUBSCRIPTION-ID",
            "my-subscription",
            "subscription-id",
        ),
        ("INPUT_ENDPOINT-ID", "", "endpoint-id"),
        ("AZURE_CDN_API_KEY_ID", "", "api-key-id"),
        ("INPUT_API-KEY-SECRET", "", "api-key-secret"),
    ];
    for (var, value, input) in cases {
        let mut env = china_env(&sim, &[&id]);
        if value.is_empty() {
            env.unset(var);
            if *var == "INPUT_PROVIDER" {
                env.set(var, "");
            }
        } else {
            env.set(var, value);
        }
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}\n{}", run.stdout, run.stderr);
        let errors = run.commands("error");
        assert_eq!(errors.len(), 1, "{var}={value}: {}", run.stdout);
        assert!(
            errors[0].contains(&format!("`{input}`")),
            "{var}={value}: {}",
            errors[0]
        );
        assert_eq!(run.outputs["status"], "error", "{var}={value}");
        assert_eq!(run.outputs["polls"], "0");
        assert_eq!(run.result()["error"]["input"], *input);
        run.assert_no_secret(SECRET);
        assert!(run.summary.contains("invalid input"));
    }
    assert!(
        sim.requests().is_empty(),
        "no request for bad input: {:?}",
        sim.requests()
    );
}

#[tokio::test]
async fn bad_flags_exit_2_with_usage_and_plain_errors_name_the_input() {
    let mut env = TestEnv::new();
    env.arg("--no-such-flag");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--no-such-flag"));

    let mut env = TestEnv::new();
    env.set("PURGE_WAIT_PROVIDER", "azure-china-cdn")
        .arg("--timeout")
        .arg("soon");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: input `timeout` (from the command line): \"soon\" is not a duration."
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}
