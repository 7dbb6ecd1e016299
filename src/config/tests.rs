//! Input tests through the pure parser: flags and an injected environment, never `std::env`.

use std::collections::HashMap;
use std::time::Duration;

use super::*;
use crate::cli::{Action, command as command_for};
use crate::config::env_names;
use crate::provider::alibaba::{self, credentials as auth};
use crate::provider::{azure_china, registry};
use crate::step::Config;

/// The command line over the registry's table.
fn parse<I, T>(args: I, env: &HashMap<String, String>) -> Result<Action, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    crate::cli::parse(args, env, crate::provider::registry::table())
}

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
    let Some(s) = c.provider.downcast_ref::<azure_china::Settings>() else {
        panic!("azure-china-cdn settings")
    };
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
    let Some(s) = c.provider.downcast_ref::<azure_china::Settings>() else {
        panic!("azure-china-cdn settings")
    };
    assert_eq!(s.api_key_secret.expose(), "from-input");
}

#[test]
fn empty_values_count_as_unset() {
    let mut e = base_env();
    e.insert("INPUT_TIMEOUT".into(), "".into());
    e.insert("INPUT_API-KEY-SECRET".into(), "  ".into());
    let c = config(&[], &e).unwrap();
    assert_eq!(c.wait.timeout, Duration::from_secs(900));
    let Some(s) = c.provider.downcast_ref::<azure_china::Settings>() else {
        panic!("azure-china-cdn settings")
    };
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
            "Use one of: azure-china-cdn, azure-classic, azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront, google-cloud-cdn, tencent-cdn, tencent-edgeone",
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
    let mut raw = Raw::new(registry::table());
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
    let Some(s) = c.provider.downcast_ref::<azure_china::Settings>() else {
        panic!("azure-china-cdn settings")
    };
    assert_eq!(s.subscription_id, SUB);
}

#[test]
fn help_lists_every_input_with_its_env_names_and_default() {
    let help = command_for(registry::table())
        .render_long_help()
        .to_string();
    for input in registry::table().inputs.iter().copied() {
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
fn guid_shape() {
    assert!(is_guid(SUB));
    assert!(is_guid(&SUB.to_ascii_uppercase()));
    assert!(!is_guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee"));
    assert!(!is_guid("gaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    assert!(!is_guid("aaaaaaaabbbbccccddddeeeeeeeeeeee"));
}

mod azure_arm_inputs {
    use super::*;
    use crate::provider::azure_arm::Style;
    use crate::provider::azure_arm::entra::{Cloud, Credential};

    const URL: &str = "https://management.azure.com/subscriptions/s/resourcegroups/rg/providers/Microsoft.Cdn/operationresults/693a9993-aaaa-bbbb-cccc-000000000000?api-version=2024-02-01";
    const CLIENT: &str = "22222222-3333-4444-5555-666666666666";

    fn arm_env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut e = env(&[
            ("PURGE_WAIT_PROVIDER", "azure-arm"),
            ("AZURE_TENANT_ID", "contoso.onmicrosoft.com"),
            ("AZURE_CLIENT_ID", CLIENT),
            ("AZURE_CLIENT_SECRET", "client-secret-value"),
            ("INPUT_OPERATION-URL", URL),
        ]);
        for (k, v) in extra {
            if v.is_empty() {
                e.remove(*k);
            } else {
                e.insert(k.to_string(), v.to_string());
            }
        }
        e
    }

    fn arm(c: &Config) -> &crate::provider::azure_arm::Settings {
        match c
            .provider
            .downcast_ref::<crate::provider::azure_arm::Settings>()
        {
            Some(s) => s,
            None => panic!("not azure-arm: {:?}", c.provider),
        }
    }

    #[test]
    fn a_monitor_url_with_a_client_secret_in_the_public_cloud() {
        let c = config(&[], &arm_env(&[])).unwrap();
        assert_eq!(c.provider_name(), "azure-arm");
        assert_eq!(
            c.ids,
            vec!["693a9993-aaaa-bbbb-cccc-000000000000".to_string()]
        );
        let s = arm(&c);
        assert_eq!(s.cloud, Cloud::Public);
        assert_eq!(s.targets[0].url.as_str(), URL);
        assert_eq!(s.targets[0].style, Style::Unknown);
        assert_eq!(
            s.auth.authority.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(s.auth.scope, "https://management.azure.com/.default");
        assert!(
            matches!(&s.auth.credential, Credential::ClientSecret { tenant_id, client_id, secret }
            if tenant_id == "contoso.onmicrosoft.com" && client_id == CLIENT && secret.expose() == "client-secret-value")
        );
        let raw = match parse(["purge-wait"], &arm_env(&[])).unwrap() {
            Action::Wait(raw) => raw,
            _ => unreachable!(),
        };
        assert_eq!(
            raw.redactor().secrets(),
            vec!["client-secret-value".to_string()]
        );
    }

    #[test]
    fn operation_ids_build_the_seed_url() {
        let e = arm_env(&[
            ("INPUT_OPERATION-URL", ""),
            ("INPUT_OPERATION-IDS", "op-1, op-2"),
            (
                "AZURE_SUBSCRIPTION_ID",
                "00000000-0000-0000-0000-000000000000",
            ),
            ("INPUT_LOCATION", "testLocation"),
        ]);
        let c = config(&[], &e).unwrap();
        assert_eq!(c.ids, vec!["op-1".to_string(), "op-2".to_string()]);
        let t = &arm(&c).targets[0];
        assert_eq!(
            t.url.as_str(),
            "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ApiManagement/locations/testLocation/operationStatuses/op-1?api-version=2024-05-01"
        );
        assert_eq!(t.style, Style::AsyncOperation);
        let c = config(
            &[
                "--resource-provider",
                "Microsoft.Cdn",
                "--api-version",
                "2024-02-01",
                "--endpoint",
                "http://127.0.0.1:9/arm",
            ],
            &e,
        )
        .unwrap();
        assert_eq!(
            arm(&c).targets[1].url.as_str(),
            "http://127.0.0.1:9/arm/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Cdn/locations/testLocation/operationStatuses/op-2?api-version=2024-02-01"
        );
        // Both sources together, duplicates dropped.
        let mut both = e.clone();
        both.insert("INPUT_OPERATION-URL".into(), format!("{URL}\n{URL}"));
        assert_eq!(config(&[], &both).unwrap().ids.len(), 3);
    }

    #[test]
    fn each_cloud_selects_its_hosts_scope_and_audience() {
        for (name, login, arm_host, aud) in [
            (
                "AzureChinaCloud",
                "https://login.chinacloudapi.cn/",
                "https://management.chinacloudapi.cn",
                "api://AzureADTokenExchangeChina",
            ),
            (
                "azureusgovernment",
                "https://login.microsoftonline.us/",
                "https://management.usgovcloudapi.net",
                "api://AzureADTokenExchangeUSGov",
            ),
            (
                "AzureCloud",
                "https://login.microsoftonline.com/",
                "https://management.azure.com",
                "api://AzureADTokenExchange",
            ),
        ] {
            let url = format!(
                "{arm_host}/subscriptions/s/providers/Microsoft.Cdn/operationresults/x?api-version=1"
            );
            let e = arm_env(&[
                ("INPUT_ENVIRONMENT", name),
                ("INPUT_OPERATION-URL", &url),
                ("AZURE_CLIENT_SECRET", ""),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
                ),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
            ]);
            let c = config(&[], &e).unwrap();
            let s = arm(&c);
            assert_eq!(s.auth.authority.as_str(), login, "{name}");
            assert_eq!(s.auth.scope, format!("{arm_host}/.default"));
            let Credential::GithubOidc {
                audience,
                request_url,
                ..
            } = &s.auth.credential
            else {
                panic!("OIDC expected")
            };
            assert_eq!(audience, aud);
            assert!(request_url.as_str().starts_with("https://pipelines."));
            // The public cloud's URL is refused in the other clouds, naming the right host.
            if name != "AzureCloud" {
                let mut wrong = e.clone();
                wrong.insert("INPUT_OPERATION-URL".into(), URL.into());
                let err = config(&[], &wrong).unwrap_err();
                assert_eq!(err.input, Some("operation-url"));
                assert!(err.message.contains(arm_host), "{}", err.message);
            }
        }
        let err = config(&["--environment", "AzureGermanCloud"], &arm_env(&[])).unwrap_err();
        assert_eq!(err.input, Some("environment"));
    }

    #[test]
    fn authority_host_and_audience_overrides() {
        let e = arm_env(&[("AZURE_AUTHORITY_HOST", "https://login.example.test/")]);
        let c = config(&[], &e).unwrap();
        assert_eq!(
            arm(&c).auth.authority.as_str(),
            "https://login.example.test/"
        );
        let err = config(&["--authority-host", "http://login.example.test"], &e).unwrap_err();
        assert_eq!(err.input, Some("authority-host"));
        let e = arm_env(&[
            ("AZURE_CLIENT_SECRET", ""),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://x.test/idtoken?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
            ("INPUT_AUDIENCE", "api://custom"),
        ]);
        let c = config(&[], &e).unwrap();
        assert!(
            matches!(&arm(&c).auth.credential, Credential::GithubOidc { audience, .. } if audience == "api://custom")
        );
    }

    #[test]
    fn credential_flows_in_order_and_their_errors() {
        // A token given as is wins over everything.
        let c = config(&[], &arm_env(&[("AZURE_ACCESS_TOKEN", "given-token")])).unwrap();
        assert!(
            matches!(&arm(&c).auth.credential, Credential::AccessToken(t) if t.expose() == "given-token")
        );
        let c = config(
            &[],
            &arm_env(&[
                ("AZURE_TENANT_ID", ""),
                ("AZURE_CLIENT_ID", ""),
                ("AZURE_CLIENT_SECRET", ""),
                ("AZURE_ACCESS_TOKEN", "given-token"),
            ]),
        )
        .unwrap();
        assert!(matches!(
            &arm(&c).auth.credential,
            Credential::AccessToken(_)
        ));
        // Token file.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "federated.jwt.value").unwrap();
        let path = file.to_string_lossy().into_owned();
        let c = config(
            &[],
            &arm_env(&[
                ("AZURE_CLIENT_SECRET", ""),
                ("AZURE_FEDERATED_TOKEN_FILE", &path),
            ]),
        )
        .unwrap();
        assert!(matches!(
            &arm(&c).auth.credential,
            Credential::FederatedTokenFile { .. }
        ));
        let err = config(
            &[],
            &arm_env(&[
                ("AZURE_CLIENT_SECRET", ""),
                ("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/token"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.input, Some("federated-token-file"));
        // Nothing at all.
        let err = config(
            &[],
            &arm_env(&[
                ("AZURE_TENANT_ID", ""),
                ("AZURE_CLIENT_ID", ""),
                ("AZURE_CLIENT_SECRET", ""),
            ]),
        )
        .unwrap_err();
        assert!(
            err.message.contains("needs Entra ID credentials"),
            "{}",
            err.message
        );
        // Tenant and client but no secret, file or OIDC.
        let err = config(&[], &arm_env(&[("AZURE_CLIENT_SECRET", "")])).unwrap_err();
        assert_eq!(err.input, Some("client-secret"));
        assert!(err.message.contains("id-token: write"));
        // Missing or bad tenant / client ids.
        let err = config(&[], &arm_env(&[("AZURE_TENANT_ID", "")])).unwrap_err();
        assert_eq!(err.input, Some("tenant-id"));
        let err = config(&[], &arm_env(&[("AZURE_TENANT_ID", "a/b")])).unwrap_err();
        assert_eq!(err.input, Some("tenant-id"));
        let err = config(&[], &arm_env(&[("AZURE_CLIENT_ID", "my-app")])).unwrap_err();
        assert_eq!(err.input, Some("client-id"));
    }

    fn purge_env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut base = vec![
            ("INPUT_OPERATION-URL", ""),
            ("INPUT_PATHS", "/a.png\n/img/*"),
            ("AZURE_SUBSCRIPTION_ID", SUB),
            ("INPUT_RESOURCE-GROUP", "web-rg"),
            ("INPUT_PROFILE", "web"),
            ("INPUT_CDN-ENDPOINT", "www"),
        ];
        base.extend_from_slice(extra);
        arm_env(&base)
    }

    #[test]
    fn a_purge_target_for_cdn_and_front_door() {
        use crate::provider::azure_arm::EndpointKind;
        let c = config(&[], &purge_env(&[])).unwrap();
        assert!(c.ids.is_empty());
        let s = arm(&c);
        assert!(s.targets.is_empty());
        let p = s.purge.as_ref().unwrap();
        assert_eq!(p.kind, EndpointKind::Cdn);
        assert_eq!(
            p.url.as_str(),
            format!(
                "https://management.azure.com/subscriptions/{SUB}/resourceGroups/web-rg/providers/Microsoft.Cdn/profiles/web/endpoints/www/purge?api-version=2024-02-01"
            )
        );
        let c = config(
            &[],
            &purge_env(&[
                ("INPUT_CDN-ENDPOINT", ""),
                ("INPUT_AFD-ENDPOINT", "www"),
                ("INPUT_DOMAINS", "WWW.contoso.com, cdn.contoso.com."),
                ("INPUT_API-VERSION", "2025-04-15"),
                ("INPUT_ENVIRONMENT", "AzureChinaCloud"),
            ]),
        )
        .unwrap();
        let p = arm(&c).purge.clone().unwrap();
        assert_eq!(p.kind, EndpointKind::FrontDoor);
        assert!(
            p.url
                .as_str()
                .starts_with("https://management.chinacloudapi.cn/subscriptions/"),
            "{}",
            p.url
        );
        assert!(
            p.url
                .as_str()
                .ends_with("/profiles/web/afdEndpoints/www/purge?api-version=2025-04-15")
        );
        assert_eq!(p.domains, vec!["www.contoso.com", "cdn.contoso.com"]);
        for (extra, input) in [
            (("INPUT_DOMAINS", "*.contoso.com"), "domains"),
            (("INPUT_DOMAINS", "https://www.contoso.com/"), "domains"),
            (("INPUT_PATHS", "/a/*/b"), "paths"),
            (("INPUT_OPERATION-URL", URL), "operation-url"),
            (("INPUT_PROFILE", "my profile"), "profile"),
            (("INPUT_RESOURCE-GROUP", "rg."), "resource-group"),
            (("INPUT_API-VERSION", "2024/02"), "api-version"),
        ] {
            let e = config(
                &[],
                &purge_env(&[
                    extra,
                    ("INPUT_AFD-ENDPOINT", "www"),
                    ("INPUT_CDN-ENDPOINT", ""),
                ]),
            )
            .unwrap_err();
            assert_eq!(e.input, Some(input), "{extra:?}: {}", e.message);
        }
        let e = config(&[], &purge_env(&[("INPUT_CDN-ENDPOINT", "")])).unwrap_err();
        assert_eq!(e.input, Some("cdn-endpoint"));
        assert!(e.message.contains("afd-endpoint"), "{}", e.message);
    }

    #[test]
    fn bad_operation_urls_and_ids_are_refused_before_any_request() {
        for (url, needle) in [
            ("not a url", "is not a URL"),
            (
                "https://evil.example/subscriptions/s/x?api-version=1",
                "is not on https://management.azure.com",
            ),
            ("http://management.azure.com/x?api-version=1", "is not on"),
            (
                "https://management.azure.com.evil.example/x?api-version=1",
                "is not on",
            ),
            (
                "https://management.azure.com/subscriptions/s/x",
                "has no api-version",
            ),
            (
                "https://management.azure.com/x?api-version=1#frag",
                "fragment",
            ),
        ] {
            let err = config(&[], &arm_env(&[("INPUT_OPERATION-URL", url)])).unwrap_err();
            assert_eq!(err.input, Some("operation-url"), "{url}");
            assert!(err.message.contains(needle), "{url}: {}", err.message);
        }
        let err = config(&[], &arm_env(&[("INPUT_OPERATION-URL", "")])).unwrap_err();
        assert_eq!(err.input, Some("operation-url"));
        // With an endpoint override, URLs must be under it.
        let err = config(&["--endpoint", "http://127.0.0.1:9"], &arm_env(&[])).unwrap_err();
        assert!(
            err.message
                .contains("the endpoint input (http://127.0.0.1:9)"),
            "{}",
            err.message
        );
        let ids = arm_env(&[
            ("INPUT_OPERATION-URL", ""),
            ("INPUT_OPERATION-IDS", "op-1"),
            ("AZURE_SUBSCRIPTION_ID", SUB),
            ("INPUT_LOCATION", "westus"),
        ]);
        assert!(config(&[], &ids).is_ok());
        for (args, input) in [
            (&["--location", "West US"][..], "location"),
            (
                &["--resource-provider", "ApiManagement"][..],
                "resource-provider",
            ),
            (&["--api-version", "2024/05"][..], "api-version"),
            (&["--subscription-id", "sub"][..], "subscription-id"),
            (&["--operation-ids", "a/b"][..], "operation-ids"),
        ] {
            assert_eq!(err_input(args, &ids), Some(input), "{args:?}");
        }
        let mut no_loc = ids.clone();
        no_loc.remove("INPUT_LOCATION");
        assert_eq!(config(&[], &no_loc).unwrap_err().input, Some("location"));
    }

    fn err_input(args: &[&str], e: &HashMap<String, String>) -> Option<&'static str> {
        config(args, e).unwrap_err().input
    }
}
fn alibaba_env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut e = env(&[
        ("PURGE_WAIT_PROVIDER", "alibaba-dcdn"),
        ("PURGE_WAIT_OPERATION_IDS", "704222904,704222905"),
    ]);
    e.extend(env(pairs));
    e
}

fn alibaba(c: &Config) -> &alibaba::Settings {
    match c.provider.downcast_ref::<alibaba::Settings>() {
        Some(s) => s,
        None => panic!("not alibaba: {:?}", c.provider),
    }
}

#[test]
fn alibaba_access_key_from_the_official_variables_wins_over_oidc() {
    let e = alibaba_env(&[
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIid"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token"),
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/p",
        ),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/tmp/token"),
    ]);
    let c = config(&[], &e).unwrap();
    let s = alibaba(&c);
    assert_eq!(s.product, alibaba::Product::Dcdn);
    assert_eq!(s.endpoint.as_str(), "https://dcdn.aliyuncs.com/");
    let auth::Source::Static(key) = &s.credentials else {
        panic!("static key expected")
    };
    assert_eq!(key.id, "LTAIid");
    assert_eq!(key.secret.expose(), "ak-secret");
    assert_eq!(key.token.as_ref().unwrap().expose(), "sts-token");
    assert_eq!(c.ids, vec!["704222904", "704222905"]);
    assert_eq!(c.wait.rate_limit, None);
    // The secrets are registered for redaction.
    let argv = ["purge-wait"];
    let Action::Wait(raw) = parse(argv, &e).unwrap() else {
        panic!()
    };
    assert_eq!(raw.redactor().clean("ak-secret sts-token"), "*** ***");
}

#[test]
fn alibaba_oidc_with_a_token_file_or_the_github_job_token() {
    let oidc = [
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/p",
        ),
    ];
    let mut e = alibaba_env(&oidc);
    e.insert(
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE".into(),
        "/var/run/token".into(),
    );
    e.insert("ALIBABA_CLOUD_STS_REGION".into(), "cn-shanghai".into());
    let c = config(&[], &e).unwrap();
    let auth::Source::Oidc(role) = &alibaba(&c).credentials else {
        panic!("oidc expected")
    };
    assert_eq!(role.role_arn, "acs:ram::1:role/r");
    assert_eq!(role.session_name, "purge-wait");
    assert_eq!(
        role.sts_endpoint.as_str(),
        "https://sts.cn-shanghai.aliyuncs.com/"
    );
    assert!(
        matches!(&role.token, auth::TokenSource::File(p) if p.to_str() == Some("/var/run/token"))
    );

    let mut e = alibaba_env(&oidc);
    e.insert(
        "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
        "https://pipelines.actions.githubusercontent.com/x?api-version=2.0".into(),
    );
    e.insert("ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(), "req-token".into());
    let c = config(&["--provider", "alibaba-cdn", "--region", "eu-west-1"], &e).unwrap();
    let s = alibaba(&c);
    assert_eq!(
        s.endpoint.as_str(),
        "https://cdn.ap-southeast-1.aliyuncs.com/"
    );
    let auth::Source::Oidc(role) = &s.credentials else {
        panic!("oidc expected")
    };
    assert_eq!(role.sts_endpoint.as_str(), "https://sts.aliyuncs.com/");
    let auth::TokenSource::GithubActions { audience, .. } = &role.token else {
        panic!("github token expected")
    };
    assert_eq!(audience, "sts.aliyuncs.com");
    assert_eq!(role.session_name, "purge-wait");

    // Alibaba's own session-name variable, read by the Alibaba folder (the shared input
    // has none).
    e.insert("ALIBABA_CLOUD_ROLE_SESSION_NAME".into(), "ali-42".into());
    let c = config(&["--provider", "alibaba-cdn", "--region", "eu-west-1"], &e).unwrap();
    let auth::Source::Oidc(role) = &alibaba(&c).credentials else {
        panic!("oidc expected")
    };
    assert_eq!(role.session_name, "ali-42");
}

#[test]
fn alibaba_inputs_are_validated() {
    let key = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIid"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret"),
    ];
    let c = config(&["--rate-limit", "12.5"], &alibaba_env(&key)).unwrap();
    assert_eq!(c.wait.rate_limit, Some(12.5));
    for (args, input) in [
        (&["--rate-limit", "0"][..], "rate-limit"),
        (&["--rate-limit", "5000"][..], "rate-limit"),
        (&["--region", "CN HZ"][..], "region"),
        (
            &["--sts-endpoint", "http://sts.example.com"][..],
            "sts-endpoint",
        ),
    ] {
        let mut e = alibaba_env(&key);
        if input == "sts-endpoint" {
            e = alibaba_env(&[
                ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
                (
                    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                    "acs:ram::1:oidc-provider/p",
                ),
                ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
            ]);
        }
        let got = err(args, &e);
        assert_eq!(got.input, Some(input), "{args:?}: {got}");
    }
    let e = alibaba_env(&[("ALIBABA_CLOUD_SECURITY_TOKEN", "t0ken")]);
    assert_eq!(err(&[], &e).input, Some("security-token"));
    let e = alibaba_env(&[
        ("ALIBABA_CLOUD_ROLE_ARN", "arn:aws:iam::1:role/r"),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/p",
        ),
        ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/t"),
    ]);
    assert_eq!(err(&[], &e).input, Some("role-arn"));
}

#[test]
fn any_user_name_or_password_in_a_url_counts_as_userinfo() {
    use super::has_userinfo;
    let u = |s: &str| Url::parse(s).unwrap();
    for with in [
        "http://:pw@127.0.0.1:9",
        "http://user@127.0.0.1:9",
        "http://user:@127.0.0.1:9",
        "https://user:pw@example.com/x",
    ] {
        assert!(has_userinfo(&u(with)), "{with}");
    }
    // An empty userinfo is dropped by the URL parser: nothing to send.
    for without in [
        "http://@127.0.0.1:9",
        "http://:@127.0.0.1:9",
        "https://example.com",
    ] {
        assert!(!has_userinfo(&u(without)), "{without}");
        assert!(!u(without).as_str().contains('@'), "{without}");
    }
}

/// One rule for the runner's OIDC request URL, for Entra ID and Alibaba STS alike: plain
/// http to another host is refused unless allow-http is true.
#[test]
fn the_github_oidc_url_follows_allow_http_for_every_provider() {
    let remote = [
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "http://172.17.0.1:8640/token",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req-token"),
    ];
    let mut ali = alibaba_env(&[
        ("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r"),
        (
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1:oidc-provider/p",
        ),
    ]);
    ali.extend(env(&remote));
    assert_eq!(err(&[], &ali).input, Some("oidc-token-file"));
    let c = config(&["--allow-http", "true"], &ali).unwrap();
    let auth::Source::Oidc(role) = &alibaba(&c).credentials else {
        panic!("oidc expected")
    };
    assert!(
        matches!(&role.token, auth::TokenSource::GithubActions { request_url, .. }
        if request_url.as_str() == "http://172.17.0.1:8640/token")
    );

    let mut arm = env(&[
        ("PURGE_WAIT_PROVIDER", "azure-arm"),
        ("AZURE_TENANT_ID", "11111111-2222-4333-8444-555555555555"),
        ("AZURE_CLIENT_ID", "66666666-7777-4888-8999-000000000000"),
        (
            "PURGE_WAIT_OPERATION_URL",
            "https://management.azure.com/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/providers/Microsoft.Cdn/locations/global/operationResults/x?api-version=2024-02-01",
        ),
    ]);
    arm.extend(env(&remote));
    let e = err(&[], &arm);
    assert!(e.message.contains("ACTIONS_ID_TOKEN_REQUEST_URL"), "{e:?}");
    config(&["--allow-http", "true"], &arm).unwrap();
}
