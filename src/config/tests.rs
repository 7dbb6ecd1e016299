//! Input tests through the pure parser: flags and an injected environment, never `std::env`.

use std::collections::HashMap;
use std::time::Duration;

use super::*;

const SUB: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const EP: &str = "11111111-2222-3333-4444-555555555555";
const OP: &str = "b520c544-ec34-4ac4-86f5-5394363919c3";

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn base_env() -> HashMap<String, String> {
    env(&[
        ("PURGE_WAIT_PROVIDER", "azure-china-cdn"),
        ("PURGE_WAIT_SUBSCRIPTION_ID", SUB),
        ("PURGE_WAIT_ENDPOINT_ID", EP),
        ("AZURE_CDN_API_KEY_ID", "key-id"),
        ("AZURE_CDN_API_KEY_SECRET", "key-secret"),
        ("PURGE_WAIT_OPERATION_IDS", OP),
    ])
}

fn config(args: &[&str], env: &HashMap<String, String>) -> Result<Config, ConfigError> {
    let mut argv = vec!["purge-wait"];
    argv.extend_from_slice(args);
    match parse(argv, env).expect("command line parses") {
        Action::Wait(raw) => Config::from_raw(&raw, env),
        other => panic!("not a wait: {other:?}"),
    }
}

fn err(args: &[&str], env: &HashMap<String, String>) -> ConfigError {
    config(args, env).expect_err("should be refused")
}

#[test]
fn defaults_apply() {
    let c = config(&[], &base_env()).unwrap();
    assert_eq!(c.wait.timeout, Duration::from_secs(900));
    assert_eq!(c.wait.interval, Duration::from_secs(5));
    assert_eq!(c.wait.max_interval, Duration::from_secs(30));
    assert_eq!(c.wait.request_timeout, Duration::from_secs(30));
    assert_eq!(c.wait.concurrency, 8);
    assert_eq!(c.wait.retries, 10);
    assert!(c.fail_on_timeout);
    assert_eq!(c.report, ReportKind::Plain);
    assert_eq!(c.ids, vec![OP.to_string()]);
    let ProviderConfig::AzureChina(s) = &c.provider;
    assert_eq!(s.endpoint.as_str(), "https://restapi.cdn.azure.cn/");
    assert_eq!(s.api_key_secret.expose(), "key-secret");
}

#[test]
fn flag_beats_input_beats_purge_wait_beats_cloud_env() {
    let mut e = base_env();
    e.insert("INPUT_TIMEOUT".into(), "2m".into());
    e.insert("PURGE_WAIT_TIMEOUT".into(), "3m".into());
    assert_eq!(
        config(&[], &e).unwrap().wait.timeout,
        Duration::from_secs(120)
    );
    assert_eq!(
        config(&["--timeout", "90s"], &e).unwrap().wait.timeout,
        Duration::from_secs(90)
    );
    e.insert("INPUT_API-KEY-SECRET".into(), "from-input".into());
    e.insert("PURGE_WAIT_API_KEY_SECRET".into(), "from-pw".into());
    let c = config(&[], &e).unwrap();
    let ProviderConfig::AzureChina(s) = &c.provider;
    assert_eq!(s.api_key_secret.expose(), "from-input");
}

#[test]
fn empty_values_count_as_unset() {
    let mut e = base_env();
    e.insert("INPUT_TIMEOUT".into(), "".into());
    e.insert("INPUT_API-KEY-SECRET".into(), "  ".into());
    let c = config(&[], &e).unwrap();
    assert_eq!(c.wait.timeout, Duration::from_secs(900));
    let ProviderConfig::AzureChina(s) = &c.provider;
    assert_eq!(s.api_key_secret.expose(), "key-secret");
}

#[test]
fn flags_work_after_the_wait_subcommand() {
    let c = config(&["wait", "--timeout", "1h"], &base_env()).unwrap();
    assert_eq!(c.wait.timeout, Duration::from_secs(3600));
}

#[test]
fn ids_split_on_commas_spaces_and_newlines_and_deduplicate() {
    let other = "a97459bf-e4c4-4d4f-94e4-b775f0f09f31";
    let mut e = base_env();
    e.insert(
        "INPUT_OPERATION-IDS".into(),
        format!("{OP}, {other}\n{OP}\r\n"),
    );
    assert_eq!(
        config(&[], &e).unwrap().ids,
        vec![OP.to_string(), other.to_string()]
    );
}

#[test]
fn github_actions_selects_the_github_reporter() {
    let mut e = base_env();
    e.insert("GITHUB_ACTIONS".into(), "true".into());
    assert_eq!(config(&[], &e).unwrap().report, ReportKind::Github);
    assert_eq!(
        config(&["--report", "json"], &e).unwrap().report,
        ReportKind::Json
    );
}

#[test]
fn every_bad_value_names_the_input_its_source_and_the_fix() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--timeout", "5x"], "timeout", "is not a duration"),
        (&["--timeout", "0"], "timeout", "too short"),
        (&["--interval", "soon"], "interval", "is not a duration"),
        (
            &["--max-interval", "1s"],
            "max-interval",
            "shorter than interval",
        ),
        (
            &["--request-timeout", "-1"],
            "request-timeout",
            "is not a duration",
        ),
        (
            &["--fail-on-timeout", "maybe"],
            "fail-on-timeout",
            "Use true or false",
        ),
        (&["--concurrency", "0"], "concurrency", "from 1 to 64"),
        (&["--retries", "x"], "retries", "from 0 to 1000"),
        (
            &["--report", "xml"],
            "report",
            "auto, github, gitlab, azure-pipelines, plain or json",
        ),
        (
            &["--provider", "akamai"],
            "provider",
            "Use one of: azure-china-cdn",
        ),
        (
            &["--provider", "alibaba-dcdn"],
            "provider",
            "not available in this version",
        ),
        (&["--endpoint", "ftp://x"], "endpoint", "http(s)"),
        (
            &["--endpoint", "http://cdn.example.com"],
            "endpoint",
            "plain http",
        ),
        (&["--endpoint", "https://x/?a=1"], "endpoint", "query"),
        (&["--endpoint", "not a url"], "endpoint", "is not a URL"),
        (
            &["--subscription-id", "abc"],
            "subscription-id",
            "is not a GUID",
        ),
        (&["--endpoint-id", "abc"], "endpoint-id", "is not a GUID"),
        (&["--operation-ids", ", ,"], "operation-ids", "holds no id"),
        (
            &["--operation-ids", "https://x/y"],
            "operation-ids",
            "is not a GUID",
        ),
    ];
    for (args, input, needle) in cases {
        let e = err(args, &base_env());
        assert_eq!(e.input, Some(*input), "{args:?}: {e}");
        assert!(e.message.contains(needle), "{args:?}: {e}");
        assert!(e.message.contains(&format!("`{input}`")), "{args:?}: {e}");
    }
    let e = err(&["--timeout", "5x"], &base_env());
    assert!(e.message.contains("(from the command line)"), "{e}");
    let mut env = base_env();
    env.insert("INPUT_TIMEOUT".into(), "5x".into());
    assert!(err(&[], &env).message.contains("(from INPUT_TIMEOUT)"));
}

#[test]
fn missing_inputs_say_how_to_set_them() {
    for (var, input) in [
        ("PURGE_WAIT_PROVIDER", "provider"),
        ("PURGE_WAIT_OPERATION_IDS", "operation-ids"),
        ("PURGE_WAIT_SUBSCRIPTION_ID", "subscription-id"),
        ("PURGE_WAIT_ENDPOINT_ID", "endpoint-id"),
        ("AZURE_CDN_API_KEY_ID", "api-key-id"),
        ("AZURE_CDN_API_KEY_SECRET", "api-key-secret"),
    ] {
        let mut e = base_env();
        e.remove(var);
        let error = err(&[], &e);
        assert_eq!(error.input, Some(input));
        assert!(error.message.contains(&format!("--{input}")), "{error}");
    }
    let mut e = base_env();
    e.remove("AZURE_CDN_API_KEY_SECRET");
    let error = err(&[], &e);
    assert!(
        error.message.contains("AZURE_CDN_API_KEY_SECRET"),
        "{error}"
    );
    assert!(error.message.contains("from a secret"), "{error}");
}

#[test]
fn secret_values_are_never_echoed_in_errors() {
    // A secret can only be wrong by being missing today, but the rule is general.
    let mut raw = Raw::default();
    raw.set("api-key-secret", "hunter2-secret");
    let e = raw.invalid("api-key-secret", "is odd", "Fix it.");
    assert!(!e.message.contains("hunter2"), "{e}");
    assert!(
        raw.redactor()
            .secrets()
            .contains(&"hunter2-secret".to_string())
    );
}

#[test]
fn allow_http_opens_plain_http_to_other_hosts() {
    let args = [
        "--endpoint",
        "http://172.17.0.1:8640",
        "--allow-http",
        "true",
    ];
    assert!(config(&args, &base_env()).is_ok());
    assert_eq!(
        err(&["--allow-http", "sure"], &base_env()).input,
        Some("allow-http")
    );
}

#[test]
fn localhost_http_and_path_prefix_endpoints_are_accepted() {
    for url in [
        "http://127.0.0.1:8640",
        "http://localhost:1/x/",
        "https://api-preview.cdn.azure.cn",
        "http://[::1]:9",
    ] {
        assert!(config(&["--endpoint", url], &base_env()).is_ok(), "{url}");
    }
}

#[test]
fn upper_case_guids_are_accepted_and_lower_cased() {
    let mut e = base_env();
    e.insert(
        "PURGE_WAIT_SUBSCRIPTION_ID".into(),
        SUB.to_ascii_uppercase(),
    );
    let c = config(&[], &e).unwrap();
    let ProviderConfig::AzureChina(s) = &c.provider;
    assert_eq!(s.subscription_id, SUB);
}

#[test]
fn help_lists_every_input_with_its_env_names_and_default() {
    let help = command().render_long_help().to_string();
    for input in INPUTS {
        assert!(
            help.contains(&format!("--{}", input.name)),
            "{}",
            input.name
        );
        for name in env_names(input) {
            assert!(help.contains(&name), "{name} missing from --help");
        }
        if let Some(d) = input.default {
            assert!(help.contains(&format!("[default: {d}]")), "{}", input.name);
        }
    }
    assert!(help.contains("124"), "exit codes documented");
}

#[test]
fn simulate_options_parse() {
    let Action::Simulate(args, _) = parse(
        [
            "purge-wait",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--op",
            "x:after=1s",
            "--default-duration",
            "3s",
        ],
        &HashMap::new(),
    )
    .unwrap() else {
        panic!("not simulate")
    };
    assert_eq!(args.ops, vec!["x:after=1s".to_string()]);
    assert_eq!(args.default_duration, Duration::from_secs(3));
    assert!(
        parse(
            ["purge-wait", "simulate", "--default-duration", "x"],
            &HashMap::new()
        )
        .is_err()
    );
}

#[test]
fn guid_shape() {
    assert!(is_guid(SUB));
    assert!(is_guid(&SUB.to_ascii_uppercase()));
    assert!(!is_guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee"));
    assert!(!is_guid("gaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    assert!(!is_guid("aaaaaaaabbbbccccddddeeeeeeeeeeee"));
}
