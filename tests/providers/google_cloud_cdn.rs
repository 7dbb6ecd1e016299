//! Google Cloud CDN through the binary, against the simulator that verifies the service
//! account's JWT, serves the operations `wait` long-poll and Google's error envelope, with its
//! OAuth token endpoint, STS, IAM Credentials, GitHub OIDC token service and metadata server.

use std::time::Duration;

use purge_wait::provider::google_cloud_cdn::sim::{
    self, Endpoint, GoogleCloudCdnSim, Setup, count,
};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

/// Starts the simulator with scripted operations (`NAME:key=value,…`); unscripted ones
/// complete 300 ms after their first poll, created ones after 600 ms.
pub async fn gc_sim_with(ops: &[&str], mut setup: Setup) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    if setup.purge == Setup::default().purge {
        setup.purge = Scenario::succeeds_after(Duration::from_millis(600));
    }
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    Simulator::start(
        GoogleCloudCdnSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

async fn gc_sim(ops: &[&str]) -> Simulator {
    gc_sim_with(ops, Setup::default()).await
}

/// A GitHub step environment pointed at `sim` with the demo service account's key file (as
/// google-github-actions/auth exports GOOGLE_APPLICATION_CREDENTIALS), waiting on `ids`.
pub fn gc_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = TestEnv::github();
    let key = t.path("key.json");
    let base = sim.url().trim_end_matches('/').to_string();
    std::fs::write(
        &key,
        sim::service_account_key_json(&format!("{base}{}", sim::TOKEN_PATH)),
    )
    .unwrap();
    t.set("INPUT_PROVIDER", "google-cloud-cdn")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("GOOGLE_APPLICATION_CREDENTIALS", &key)
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    if !ids.is_empty() {
        t.set("INPUT_OPERATION-IDS", &ids.join("\n"));
    }
    t
}

fn base(sim: &Simulator) -> String {
    sim.url().trim_end_matches('/').to_string()
}

/// Every line of the demo key's base64, each of which must stay out of every output.
fn key_lines() -> Vec<&'static str> {
    sim::DEMO_PRIVATE_KEY_PEM
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .collect()
}

/// No key material and no bearer token anywhere in what the run wrote.
fn assert_no_credentials(run: &Run, requests: &[Record]) {
    for line in key_lines() {
        run.assert_no_secret(line);
    }
    for r in requests {
        if let Some(auth) = r.header("authorization") {
            if let Some(token) = auth.strip_prefix("Bearer ") {
                run.assert_no_secret(token);
            }
        }
    }
    let all = format!(
        "{}{}{}{}",
        run.stdout, run.stderr, run.output_file, run.summary
    );
    assert!(!all.contains("PRIVATE KEY"), "{all}");
}

fn compute(requests: &[Record]) -> Vec<&Record> {
    requests
        .iter()
        .filter(|r| r.target.starts_with(sim::COMPUTE_PREFIX))
        .collect()
}

#[tokio::test]
async fn a_service_account_waits_with_the_long_poll_one_request_per_operation() {
    let sim = gc_sim(&["operation-a:after=1s", "operation-b:after=500ms"]).await;
    let mut env = gc_env(&sim, &["operation-a", "operation-b"]);
    env.set("INPUT_INTERVAL", "5s")
        .set("INPUT_MAX-INTERVAL", "10s");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "succeeded");
    let requests = sim.requests();
    assert_eq!(count(&requests, Endpoint::OAuthToken), 1, "{requests:#?}");
    assert_eq!(
        count(&requests, Endpoint::Wait),
        2,
        "one wait per operation: {requests:#?}"
    );
    assert_eq!(count(&requests, Endpoint::Get), 0);
    for r in compute(&requests) {
        assert_eq!(r.method, "POST");
        assert!(
            r.target == "/compute/v1/projects/example-project/global/operations/operation-a/wait"
                || r.target
                    == "/compute/v1/projects/example-project/global/operations/operation-b/wait",
            "{}",
            r.target
        );
        assert!(r.header("authorization").unwrap().starts_with("Bearer "));
    }
    assert_eq!(run.outputs["polls"], "2");
    assert!(
        run.summary.contains("operation-a") && run.summary.contains("DONE"),
        "{}",
        run.summary
    );
    assert_no_credentials(&run, &requests);
}

#[tokio::test]
async fn a_wait_that_holds_past_the_request_timeout_is_not_cut_and_is_followed_at_once() {
    // The operation ends 5 s after the first wait; wait holds up to 2 s, longer than
    // request-timeout (1 s) and than the interval (1.5 s): three waits, each asked as soon as
    // the one before answered, none cut.
    let setup = Setup {
        hold: Duration::from_secs(2),
        ..Setup::default()
    };
    let sim = gc_sim_with(&["operation-long:after=5s"], setup).await;
    let mut env = gc_env(&sim, &["operation-long"]);
    env.set("INPUT_REQUEST-TIMEOUT", "1s")
        .set("INPUT_INTERVAL", "1500ms")
        .set("INPUT_MAX-INTERVAL", "1500ms");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let waits: Vec<&Record> = requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == Endpoint::Wait)
        .collect();
    assert_eq!(waits.len(), 3, "{requests:#?}");
    assert!(waits.iter().all(|w| w.status == 200), "{waits:#?}");
    for pair in waits.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap < Duration::from_millis(2600),
            "the next wait came {gap:?} after the one before (the hold is 2 s; no interval slept after it)"
        );
    }
    assert_eq!(run.outputs["polls"], "3");
}

#[tokio::test]
async fn purge_then_wait_one_invalidation_per_path_with_its_request_id() {
    let sim = gc_sim(&[]).await;
    let mut env = gc_env(&sim, &[]);
    env.set("INPUT_PATHS", "/index.html\n/img/*")
        .set("INPUT_URL-MAP", sim::DEMO_URL_MAP)
        .set("INPUT_HOST", "www.example.com")
        .set("INPUT_INTERVAL", "5s")
        .set("INPUT_MAX-INTERVAL", "10s");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let creates: Vec<&Record> = requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == Endpoint::InvalidateCache)
        .collect();
    assert_eq!(creates.len(), 2, "{requests:#?}");
    let bodies: Vec<serde_json::Value> = creates
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        serde_json::json!({"path": "/index.html", "host": "www.example.com"})
    );
    assert_eq!(
        bodies[1],
        serde_json::json!({"path": "/img/*", "host": "www.example.com"})
    );
    let ids: Vec<String> = creates
        .iter()
        .map(|r| r.target.split("requestId=").nth(1).unwrap().to_string())
        .collect();
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| id.len() == 36), "{ids:?}");
    assert_eq!(
        count(&requests, Endpoint::Wait),
        2,
        "one wait per invalidation: {requests:#?}"
    );
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 2);
    assert!(run.commands("warning").is_empty(), "{}", run.stdout);
    assert_no_credentials(&run, &requests);
}

#[tokio::test]
async fn a_retried_invalidate_cache_after_a_reset_creates_one_operation() {
    let setup = Setup {
        reset_creates: 1,
        ..Setup::default()
    };
    let sim = gc_sim_with(&[], setup).await;
    let mut env = gc_env(&sim, &[]);
    env.set("INPUT_PATHS", "/index.html")
        .set("INPUT_URL-MAP", sim::DEMO_URL_MAP);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let creates: Vec<&Record> = requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == Endpoint::InvalidateCache)
        .collect();
    assert_eq!(creates.len(), 2, "sent twice: {requests:#?}");
    assert_eq!(creates[0].status, 0, "the first was reset after creating");
    assert_eq!(creates[1].status, 200);
    assert_eq!(creates[0].target, creates[1].target, "the same requestId");
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 1);
    assert!(!run.stdout.contains("purged twice"), "{}", run.stdout);
}

#[tokio::test]
async fn rate_limits_on_invalidate_cache_are_waited_out() {
    let setup = Setup {
        throttle_creates: 1,
        rate_limit_creates: 1,
        retry_after: Some(1),
        ..Setup::default()
    };
    let sim = gc_sim_with(&[], setup).await;
    let mut env = gc_env(&sim, &[]);
    env.set("INPUT_PATHS", "/a.html")
        .set("INPUT_URL-MAP", sim::DEMO_URL_MAP);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let statuses: Vec<u16> = requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == Endpoint::InvalidateCache)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 403, 200], "{requests:#?}");
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_throttled_operation_read_is_waited_out_in_words_about_reads_not_invalidations() {
    let sim = gc_sim(&["operation-t:after=300ms,throttle=1"]).await;
    let run = gc_env(&sim, &["operation-t"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let waits: Vec<u16> = requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == Endpoint::Wait)
        .map(|r| r.status)
        .collect();
    assert_eq!(waits.first(), Some(&429), "{requests:#?}");
    let all = format!("{}{}{}", run.stdout, run.stderr, run.summary);
    assert!(all.contains("operation reads"), "{all}");
    assert!(!all.contains("invalidations a minute"), "{all}");
    assert!(!all.contains("requestId"), "{all}");
}

#[tokio::test]
async fn a_failed_operation_exits_1_with_each_error_and_the_http_status() {
    let sim =
        gc_sim(&["operation-bad:after=200ms,outcome=failed,message=The resource was not found"])
            .await;
    let run = gc_env(&sim, &["operation-bad"]).run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["status"], "failed");
    let errors = run.commands("error");
    assert!(!errors.is_empty(), "{}", run.stdout);
    let text = format!("{}\n{}", run.stdout, run.summary);
    assert!(text.contains("httpErrorStatusCode"), "{text}");
    assert!(text.contains("The resource was not found"), "{text}");
}

#[tokio::test]
async fn a_refused_token_exits_3() {
    // A token given as is that Compute refuses: it cannot be renewed.
    let sim = gc_sim(&["operation-1"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    env.unset("GOOGLE_APPLICATION_CREDENTIALS")
        .set(
            "GOOGLE_OAUTH_ACCESS_TOKEN",
            "ya29.a-token-google-never-issued",
        )
        .set("INPUT_PROJECT", sim::DEMO_PROJECT);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("UNAUTHENTICATED"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot be renewed"), "{}", run.stdout);
    run.assert_no_secret("ya29.a-token-google-never-issued");
    assert_eq!(count(&sim.requests(), Endpoint::Wait), 1);

    // A key the token endpoint refuses (another key id).
    let sim = gc_sim(&["operation-1"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    let key = env.path("other-key.json");
    let mut json: serde_json::Value = serde_json::from_str(&sim::service_account_key_json(
        &format!("{}{}", base(&sim), sim::TOKEN_PATH),
    ))
    .unwrap();
    json["private_key_id"] = "ffffffffffffffffffffffffffffffffffffffff".into();
    std::fs::write(&key, json.to_string()).unwrap();
    env.set("GOOGLE_APPLICATION_CREDENTIALS", &key);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("invalid_grant"), "{}", run.stdout);
    assert_eq!(count(&sim.requests(), Endpoint::Wait), 0);
    assert_no_credentials(&run, &sim.requests());

    // A token revoked early: refreshed once, then fine.
    let setup = Setup {
        unauthorized_calls: 1,
        ..Setup::default()
    };
    let sim = gc_sim_with(&["operation-1"], setup).await;
    let run = gc_env(&sim, &["operation-1"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        count(&sim.requests(), Endpoint::OAuthToken),
        2,
        "refreshed once"
    );
}

#[tokio::test]
async fn a_denied_permission_exits_3_naming_it() {
    let setup = Setup {
        deny: vec!["compute.globalOperations.get".into()],
        ..Setup::default()
    };
    let sim = gc_sim_with(&["operation-1"], setup).await;
    let run = gc_env(&sim, &["operation-1"]).run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("compute.globalOperations.get"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("PERMISSION_DENIED"), "{}", run.stdout);
    assert_eq!(count(&sim.requests(), Endpoint::Wait), 1, "not retried");

    let setup = Setup {
        deny: vec!["compute.urlMaps.invalidateCache".into()],
        ..Setup::default()
    };
    let sim = gc_sim_with(&[], setup).await;
    let mut env = gc_env(&sim, &[]);
    env.set("INPUT_PATHS", "/a.html")
        .set("INPUT_URL-MAP", sim::DEMO_URL_MAP);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("compute.urlMaps.invalidateCache"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn an_unknown_operation_exits_3() {
    let sim = gc_sim(&["operation-gone:outcome=missing"]).await;
    let run = gc_env(&sim, &["operation-gone"]).run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("NOT_FOUND") || run.stdout.contains("notFound"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn a_refused_wait_falls_back_to_get() {
    let setup = Setup {
        refuse_wait: Some(405),
        ..Setup::default()
    };
    let sim = gc_sim_with(&["operation-1:after=600ms"], setup).await;
    let run = gc_env(&sim, &["operation-1"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert_eq!(
        count(&requests, Endpoint::Wait),
        1,
        "asked once: {requests:#?}"
    );
    assert!(count(&requests, Endpoint::Get) >= 2, "{requests:#?}");
}

#[tokio::test]
async fn workload_identity_natively_in_github_actions_with_impersonation() {
    let sim = gc_sim(&["operation-1:after=300ms"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    env.unset("GOOGLE_APPLICATION_CREDENTIALS")
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", base(&sim), sim::GITHUB_TOKEN_PATH),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            sim::DEMO_GITHUB_REQUEST_TOKEN,
        )
        .set(
            "INPUT_WORKLOAD-IDENTITY-PROVIDER",
            sim::DEMO_WORKLOAD_IDENTITY_PROVIDER,
        )
        .set("INPUT_SERVICE-ACCOUNT", sim::DEMO_SERVICE_ACCOUNT)
        .set("INPUT_STS-ENDPOINT", &sim.url())
        .set("INPUT_IAM-CREDENTIALS-ENDPOINT", &sim.url());
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert_eq!(count(&requests, Endpoint::GithubToken), 1, "{requests:#?}");
    assert_eq!(count(&requests, Endpoint::Sts), 1);
    assert_eq!(count(&requests, Endpoint::GenerateAccessToken), 1);
    assert_eq!(count(&requests, Endpoint::OAuthToken), 0);
    let github = requests
        .iter()
        .find(|r| Endpoint::of(&r.method, &r.target) == Endpoint::GithubToken)
        .unwrap();
    assert!(
        github
            .target
            .contains("audience=https%3A%2F%2Fiam.googleapis.com%2Fprojects%2F123456789012"),
        "{}",
        github.target
    );
    run.assert_no_secret(sim::DEMO_GITHUB_REQUEST_TOKEN);
    run.assert_no_secret(sim::DEMO_OIDC_TOKEN);
    assert_no_credentials(&run, &requests);
}

#[tokio::test]
async fn an_external_account_file_from_gitlab_id_tokens_and_from_a_url() {
    // GitLab: the id_tokens variable written to a file, a file credential_source (text).
    let sim = gc_sim(&["operation-1:after=300ms"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    let token = env.path("gitlab-oidc.jwt");
    std::fs::write(&token, format!("{}\n", sim::DEMO_OIDC_TOKEN)).unwrap();
    let config = env.path("wif.json");
    std::fs::write(
        &config,
        sim::external_account_json(&base(&sim), serde_json::json!({"file": token}), true),
    )
    .unwrap();
    env.set("GOOGLE_APPLICATION_CREDENTIALS", &config)
        .set("INPUT_PROJECT", sim::DEMO_PROJECT);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert_eq!(count(&requests, Endpoint::Sts), 1, "{requests:#?}");
    assert_eq!(count(&requests, Endpoint::GenerateAccessToken), 1);
    run.assert_no_secret(sim::DEMO_OIDC_TOKEN);
    assert_no_credentials(&run, &requests);

    // A URL credential_source with its header, JSON format, no impersonation.
    let sim = gc_sim(&["operation-1:after=300ms"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    let config = env.path("wif-url.json");
    let source = serde_json::json!({
        "url": format!("{}{}?format=json", base(&sim), sim::SUBJECT_TOKEN_PATH),
        "headers": {sim::DEMO_SUBJECT_HEADER.0: sim::DEMO_SUBJECT_HEADER.1},
        "format": {"type": "json", "subject_token_field_name": sim::SUBJECT_TOKEN_FIELD},
    });
    std::fs::write(
        &config,
        sim::external_account_json(&base(&sim), source, false),
    )
    .unwrap();
    env.set("INPUT_CREDENTIALS-FILE", &config)
        .set("INPUT_PROJECT", sim::DEMO_PROJECT);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert_eq!(count(&requests, Endpoint::SubjectToken), 1, "{requests:#?}");
    assert_eq!(count(&requests, Endpoint::Sts), 1);
    assert_eq!(count(&requests, Endpoint::GenerateAccessToken), 0);
    run.assert_no_secret(sim::DEMO_SUBJECT_HEADER.1);
    assert_no_credentials(&run, &requests);
}

#[tokio::test]
async fn the_metadata_server_on_a_self_hosted_runner() {
    let sim = gc_sim(&["operation-1:after=300ms"]).await;
    let mut env = gc_env(&sim, &["operation-1"]);
    env.unset("GOOGLE_APPLICATION_CREDENTIALS")
        .set("GCE_METADATA_HOST", &sim.addr().to_string())
        .set("INPUT_PROJECT", sim::DEMO_PROJECT);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert!(count(&requests, Endpoint::Metadata) >= 1, "{requests:#?}");
    let metadata = requests
        .iter()
        .find(|r| Endpoint::of(&r.method, &r.target) == Endpoint::Metadata)
        .unwrap();
    assert_eq!(metadata.header("metadata-flavor"), Some("Google"));
}

#[tokio::test]
async fn bad_inputs_exit_2_before_any_request() {
    let sim = gc_sim(&[]).await;
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_OPERATION-IDS", "", "operation-ids"),
        ("INPUT_OPERATION-IDS", "Operation_1", "operation-ids"),
        ("INPUT_PROJECT", "My Project", "project"),
        ("INPUT_PATHS", "index.html", "paths"),
        ("INPUT_PATHS", "/a?b=1", "paths"),
        ("INPUT_PATHS", "/a*", "paths"),
        ("INPUT_URL-MAP", "Web_Map", "url-map"),
        ("INPUT_HOST", "https://www.example.com", "host"),
        ("INPUT_PURGE-TYPE", "regex", "purge-type"),
        (
            "INPUT_CREDENTIALS-FILE",
            "/nonexistent/key.json",
            "credentials-file",
        ),
        (
            "INPUT_WORKLOAD-IDENTITY-PROVIDER",
            "my-pool",
            "workload-identity-provider",
        ),
        (
            "INPUT_SERVICE-ACCOUNT",
            "deployer",
            "workload-identity-provider",
        ),
        ("INPUT_ACCESS-TOKEN", "not a token", "access-token"),
        ("INPUT_ENDPOINT", "http://compute.example.com", "endpoint"),
    ];
    for (var, value, input) in cases {
        let mut env = gc_env(&sim, &["operation-1"]);
        match *var {
            "INPUT_OPERATION-IDS" if value.is_empty() => {
                env.unset(var);
            }
            "INPUT_PATHS" | "INPUT_URL-MAP" | "INPUT_HOST" | "INPUT_PURGE-TYPE" => {
                env.unset("INPUT_OPERATION-IDS")
                    .set("INPUT_PATHS", "/a")
                    .set("INPUT_URL-MAP", "web-map")
                    .set(var, value);
            }
            _ => {
                env.set(var, value);
            }
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
        assert_eq!(run.outputs["status"], "error");
        run.assert_no_secret("not a token");
        for line in key_lines() {
            run.assert_no_secret(line);
        }
    }
    // A key file that is no key: refused without showing it.
    let mut env = gc_env(&sim, &["operation-1"]);
    let bad = env.path("bad.json");
    std::fs::write(&bad, r#"{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nMIIBOGUS\n-----END PRIVATE KEY-----\n"}"#).unwrap();
    env.set("GOOGLE_APPLICATION_CREDENTIALS", &bad);
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(!run.stdout.contains("MIIBOGUS"), "{}", run.stdout);
    // A key file that gives token_uri twice: refused (neither is used), without showing the key.
    let mut env = gc_env(&sim, &["operation-1"]);
    let twice = env.path("twice.json");
    let key = sim::service_account_key_json(&format!("{}{}", base(&sim), sim::TOKEN_PATH));
    let text = format!(
        "{},\"token_uri\":\"https://attacker.example/token\"}}",
        key.trim_end().trim_end_matches('}')
    );
    std::fs::write(&twice, text).unwrap();
    env.set("GOOGLE_APPLICATION_CREDENTIALS", &twice);
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("given twice"), "{}", run.stdout);
    for line in key_lines() {
        run.assert_no_secret(line);
    }
    // No credentials at all on a GitHub-hosted runner: the workload identity hint.
    let mut env = gc_env(&sim, &["operation-1"]);
    env.unset("GOOGLE_APPLICATION_CREDENTIALS")
        .set("INPUT_PROJECT", "p-1")
        .set("RUNNER_ENVIRONMENT", "github-hosted");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("id-token: write"), "{}", run.stdout);
    assert!(sim.requests().is_empty(), "{:#?}", sim.requests());
}

#[tokio::test]
async fn the_demo_waits_and_purges() {
    for extra in [&[][..], &["--paths", "/index.html /img/*"][..]] {
        let mut env = TestEnv::new();
        env.args(&[
            "demo",
            "--provider",
            "google-cloud-cdn",
            "--report",
            "plain",
        ])
        .args(extra);
        let run = env.run().await;
        assert_eq!(run.code, 0, "{extra:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("JWT verified"), "{}", run.stderr);
    }
}

#[tokio::test]
async fn a_skewed_clock_is_refused_at_the_token_endpoint_with_the_clock_hint() {
    let setup = Setup {
        // The client's clock an hour ahead of the server's.
        clock_offset: -3600,
        ..Setup::default()
    };
    let sim = gc_sim_with(&["operation-1"], setup).await;
    let run = gc_env(&sim, &["operation-1"]).run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("reasonable timeframe"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("check this machine's clock"),
        "{}",
        run.stdout
    );
    let requests = sim.requests();
    assert_eq!(count(&requests, Endpoint::OAuthToken), 1, "{requests:#?}");
    assert_eq!(compute(&requests).len(), 0);
}
