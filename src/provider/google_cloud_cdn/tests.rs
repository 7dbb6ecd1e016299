//! Unit tests of the Google Cloud CDN provider: the inputs and the credential order, the
//! credentials files (service account keys and every external_account variant), and the
//! token flows against a mock (the JWT bearer grant with its assertion verified, STS with
//! file and URL subject tokens in text and JSON, impersonation, the metadata server).

use std::collections::HashMap;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::credentials::{Credentials, Format, Source, Subject};
use super::*;
use crate::cli::Action;
use crate::config::{ConfigError, Table};
use crate::provider::{PurgeKind, PurgeRequest};
use crate::secret::Redactor;

/// The RSA key of RFC 7515 Appendix A.2 (PKCS#8), as a service account's `private_key`.
fn test_key() -> String {
    sign::TEST_KEY.to_string()
}

static TABLE: LazyLock<Table> =
    LazyLock::new(|| Table::new(vec![NAME], inputs::INPUTS.iter().copied()));

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn configure(
    args: &[&str],
    env: &HashMap<String, String>,
    purge: Option<&PurgeRequest>,
) -> Result<(Settings, Vec<String>), ConfigError> {
    let mut all = vec!["purge-wait", "--provider", NAME];
    all.extend_from_slice(args);
    let Action::Wait(raw) = crate::cli::parse(all, env, &TABLE).unwrap() else {
        panic!("not a wait")
    };
    inputs::settings(&raw, env, purge)
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn key_file(dir: &tempfile::TempDir, token_uri: &str) -> String {
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "key-project",
        "private_key_id": "0123456789abcdef",
        "private_key": test_key(),
        "client_email": "purge-wait@key-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    });
    write(dir, "key.json", &json.to_string())
}

const TOKEN: &[(&str, &str)] = &[("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.env-token-value")];

#[test]
fn ids_project_and_endpoint() {
    let e = env(TOKEN);
    let (s, ids) = configure(
        &[
            "--project",
            "my-project",
            "--operation-ids",
            "operation-1700000000000-5f0c, 123456789\nhttps://compute.googleapis.com/compute/v1/projects/my-project/global/operations/operation-2",
        ],
        &e,
        None,
    )
    .unwrap();
    assert_eq!(
        ids,
        ["operation-1700000000000-5f0c", "123456789", "operation-2"]
    );
    assert_eq!(s.project, "my-project");
    assert_eq!(s.endpoint.as_str(), "https://compute.googleapis.com/");
    assert!(
        matches!(&s.credentials, Source::Token { from, .. } if from == "GOOGLE_OAUTH_ACCESS_TOKEN")
    );
    // The project from the environment, in google-auth's order.
    let e = env(&[
        ("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.env-token-value"),
        ("CLOUDSDK_CORE_PROJECT", "second"),
        ("GOOGLE_CLOUD_PROJECT", "first-one"),
    ]);
    let (s, _) = configure(&["--operation-ids", "op-1"], &e, None).unwrap();
    assert_eq!(s.project, "first-one");
    // Purging: the URL map and host; no ids.
    let purge = PurgeRequest {
        paths: vec!["/index.html".into(), "/img/*".into()],
        kind: PurgeKind::Auto,
    };
    let (s, ids) = configure(
        &[
            "--project",
            "p-1",
            "--url-map",
            "web-map",
            "--host",
            "WWW.example.com",
        ],
        &e,
        Some(&purge),
    )
    .unwrap();
    assert!(ids.is_empty());
    assert_eq!(s.url_map.as_deref(), Some("web-map"));
    assert_eq!(s.host.as_deref(), Some("www.example.com"));
}

#[test]
fn bad_inputs_name_the_input() {
    let e = env(TOKEN);
    let purge = |paths: &[&str]| PurgeRequest {
        paths: paths.iter().map(|p| p.to_string()).collect(),
        kind: PurgeKind::Auto,
    };
    let wait = |args: &[&str]| configure(args, &e, None).unwrap_err();
    assert_eq!(wait(&["--operation-ids", "op-1"]).input, Some("project"));
    assert_eq!(
        wait(&["--project", "My Project", "--operation-ids", "op-1"]).input,
        Some("project")
    );
    assert_eq!(wait(&["--project", "p-1"]).input, Some("operation-ids"));
    for bad in [
        "Operation-1",
        "op/1",
        "https://compute.googleapis.com/compute/v1/projects/other/global/operations/op-1",
        "https://compute.googleapis.com/compute/v1/projects/p-1/regions/us-east1/operations/op-1",
    ] {
        let err = wait(&["--project", "p-1", "--operation-ids", bad]);
        assert_eq!(err.input, Some("operation-ids"), "{bad}");
    }
    let e2 = e.clone();
    let purging = |args: &[&str], p: PurgeRequest| configure(args, &e2, Some(&p)).unwrap_err();
    assert_eq!(
        purging(&["--project", "p-1"], purge(&["/a"])).input,
        Some("url-map")
    );
    assert_eq!(
        purging(
            &["--project", "p-1", "--url-map", "Web_Map"],
            purge(&["/a"])
        )
        .input,
        Some("url-map")
    );
    for bad in ["a", "/a?x=1", "/a*", "https://www.example.com/a"] {
        assert_eq!(
            purging(&["--project", "p-1", "--url-map", "m"], purge(&[bad])).input,
            Some("paths"),
            "{bad}"
        );
    }
    assert_eq!(
        purging(
            &[
                "--project",
                "p-1",
                "--url-map",
                "m",
                "--host",
                "https://x.com"
            ],
            purge(&["/a"])
        )
        .input,
        Some("host")
    );
    assert_eq!(
        purging(
            &[
                "--project",
                "p-1",
                "--url-map",
                "m",
                "--operation-ids",
                "op-1"
            ],
            purge(&["/a"])
        )
        .input,
        Some("operation-ids")
    );
    let mut p = purge(&["/a"]);
    p.kind = PurgeKind::Regex;
    assert_eq!(
        purging(
            &[
                "--project",
                "p-1",
                "--url-map",
                "m",
                "--purge-type",
                "regex"
            ],
            p
        )
        .input,
        Some("purge-type")
    );
    let many: Vec<String> = (0..=inputs::MAX_PATHS).map(|i| format!("/{i}")).collect();
    let p = PurgeRequest {
        paths: many,
        kind: PurgeKind::Auto,
    };
    assert_eq!(
        purging(&["--project", "p-1", "--url-map", "m"], p).input,
        Some("paths")
    );
    // An access token with white space, an endpoint with a query.
    let err = configure(
        &[
            "--project",
            "p-1",
            "--operation-ids",
            "o",
            "--access-token",
            "a b c d e f",
        ],
        &env(&[]),
        None,
    )
    .unwrap_err();
    assert_eq!(err.input, Some("access-token"));
    assert!(
        !err.message.contains("a b c"),
        "the token is not echoed: {}",
        err.message
    );
    let err = wait(&[
        "--project",
        "p-1",
        "--operation-ids",
        "o",
        "--endpoint",
        "https://x.example/?a=1",
    ]);
    assert_eq!(err.input, Some("endpoint"));
}

#[test]
fn the_credential_order() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "https://oauth2.googleapis.com/token");
    let base = ["--operation-ids", "op-1"];
    let with = |extra: &[&str], pairs: &[(&str, &str)]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        configure(&args, &env(pairs), None)
    };
    let gh = [
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://token.actions.example/x?api-version=2.0",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token-value"),
    ];
    // The key file from GOOGLE_APPLICATION_CREDENTIALS, and its project.
    let (s, _) = with(&[], &[("GOOGLE_APPLICATION_CREDENTIALS", &key)]).unwrap();
    assert!(
        matches!(&s.credentials, Source::ServiceAccount(sa) if sa.email == "purge-wait@key-project.iam.gserviceaccount.com" && sa.key_id.as_deref() == Some("0123456789abcdef"))
    );
    assert_eq!(s.project, "key-project");
    // What google-github-actions/auth exports works the same.
    let (s, _) = with(&[], &[("GOOGLE_GHA_CREDS_PATH", &key)]).unwrap();
    assert!(matches!(&s.credentials, Source::ServiceAccount(_)));
    // GOOGLE_OAUTH_ACCESS_TOKEN comes before a file from the environment…
    let (s, _) = with(
        &["--project", "p-1"],
        &[("GOOGLE_APPLICATION_CREDENTIALS", &key), TOKEN[0]],
    )
    .unwrap();
    assert!(matches!(&s.credentials, Source::Token { .. }));
    // …but not before an explicit credentials-file, and an explicit access-token wins over all.
    let (s, _) = with(&["--credentials-file", &key], &[TOKEN[0]]).unwrap();
    assert!(matches!(&s.credentials, Source::ServiceAccount(_)));
    let (s, _) = with(
        &[
            "--credentials-file",
            &key,
            "--access-token",
            "ya29.given-token",
            "--project",
            "p",
        ],
        &[],
    )
    .unwrap();
    assert!(
        matches!(&s.credentials, Source::Token { token, .. } if token.expose() == "ya29.given-token")
    );
    // Native workload identity: the STS audience, the OIDC audience, the impersonation URL, and
    // the project of the service account.
    let wip =
        "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github";
    let mut pairs = gh.to_vec();
    pairs.push(("GOOGLE_APPLICATION_CREDENTIALS", key.as_str()));
    let (s, _) = with(
        &[
            "--workload-identity-provider",
            wip,
            "--service-account",
            "deployer@sa-project.iam.gserviceaccount.com",
        ],
        &pairs,
    )
    .unwrap();
    let Source::External(x) = &s.credentials else {
        panic!("{:?}", s.credentials)
    };
    assert_eq!(x.audience, format!("//iam.googleapis.com/{wip}"));
    assert_eq!(x.token_url.as_str(), "https://sts.googleapis.com/v1/token");
    assert_eq!(x.subject_token_type, credentials::JWT_TOKEN_TYPE);
    assert!(
        matches!(&x.subject, Subject::GithubActions { audience, .. } if *audience == format!("https://iam.googleapis.com/{wip}"))
    );
    let imp = x.impersonation.as_ref().unwrap();
    assert_eq!(
        imp.url.as_str(),
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@sa-project.iam.gserviceaccount.com:generateAccessToken"
    );
    assert_eq!(imp.email(), "deployer@sa-project.iam.gserviceaccount.com");
    assert_eq!(s.project, "sa-project");
    // Endpoints for a private STS and IAM Credentials (and the simulator).
    let (s, _) = with(
        &[
            "--workload-identity-provider",
            wip,
            "--service-account",
            "d@p-2.iam.gserviceaccount.com",
            "--sts-endpoint",
            "http://127.0.0.1:9/sts",
            "--iam-credentials-endpoint",
            "http://127.0.0.1:9",
        ],
        &gh,
    )
    .unwrap();
    let Source::External(x) = &s.credentials else {
        panic!()
    };
    assert_eq!(x.token_url.as_str(), "http://127.0.0.1:9/sts/v1/token");
    assert!(
        x.impersonation
            .as_ref()
            .unwrap()
            .url
            .as_str()
            .starts_with("http://127.0.0.1:9/v1/projects/-/serviceAccounts/d@p-2")
    );
    // Refusals, before any request.
    let err = with(
        &["--workload-identity-provider", wip, "--project", "p"],
        &[],
    )
    .unwrap_err();
    assert_eq!(err.input, Some("workload-identity-provider"));
    let err = with(
        &[
            "--workload-identity-provider",
            "pool/github",
            "--project",
            "p",
        ],
        &gh,
    )
    .unwrap_err();
    assert_eq!(err.input, Some("workload-identity-provider"));
    let err = with(
        &[
            "--workload-identity-provider",
            wip,
            "--service-account",
            "not an email",
        ],
        &gh,
    )
    .unwrap_err();
    assert_eq!(err.input, Some("service-account"));
    let err = with(
        &[
            "--service-account",
            "d@p.iam.gserviceaccount.com",
            "--project",
            "p",
        ],
        &gh,
    )
    .unwrap_err();
    assert_eq!(err.input, Some("workload-identity-provider"));
    let err = with(
        &["--project", "p"],
        &[
            ("RUNNER_ENVIRONMENT", "github-hosted"),
            ("GITHUB_ACTIONS", "true"),
        ],
    )
    .unwrap_err();
    assert_eq!(err.input, Some("credentials-file"));
    assert!(
        err.message.contains("workload-identity-provider"),
        "{}",
        err.message
    );
    // Nothing else: the metadata server (GCE_METADATA_HOST for the simulator).
    let (s, _) = with(
        &["--project", "p"],
        &[("GCE_METADATA_HOST", "127.0.0.1:8080")],
    )
    .unwrap();
    assert!(
        matches!(&s.credentials, Source::Metadata { root } if root.as_str() == "http://127.0.0.1:8080/computeMetadata/v1/")
    );
    let (s, _) = with(&["--project", "p"], &[]).unwrap();
    assert!(
        matches!(&s.credentials, Source::Metadata { root } if root.host_str() == Some("metadata.google.internal"))
    );
}

#[test]
fn service_account_files_refused_in_words_that_never_show_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, json: serde_json::Value, fragment: &str| {
        let file = write(&dir, name, &json.to_string());
        let err = configure(
            &[
                "--operation-ids",
                "o",
                "--project",
                "p",
                "--credentials-file",
                &file,
            ],
            &env(&[]),
            None,
        )
        .unwrap_err();
        assert_eq!(err.input, Some("credentials-file"), "{name}");
        assert!(err.message.contains(fragment), "{name}: {}", err.message);
        assert!(!err.message.contains("MIIE"), "{name}: {}", err.message);
    };
    let sa = |f: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut m = serde_json::json!({
            "type": "service_account",
            "private_key": test_key(),
            "client_email": "a@p.iam.gserviceaccount.com",
        })
        .as_object()
        .unwrap()
        .clone();
        f(&mut m);
        serde_json::Value::Object(m)
    };
    check(
        "no-email.json",
        sa(&|m| {
            m.remove("client_email");
        }),
        "client_email",
    );
    check(
        "no-key.json",
        sa(&|m| {
            m.remove("private_key");
        }),
        "private_key",
    );
    check(
        "bad-key.json",
        sa(&|m| {
            m.insert(
                "private_key".into(),
                "-----BEGIN PRIVATE KEY-----\nMIIEAAAA\n-----END PRIVATE KEY-----\n".into(),
            );
        }),
        "private_key is not an RSA key",
    );
    check(
        "remote-http.json",
        sa(&|m| {
            m.insert("token_uri".into(), "http://oauth2.example.com/token".into());
        }),
        "token_uri is plain http",
    );
    check(
        "user.json",
        serde_json::json!({"type": "authorized_user"}),
        "authorized_user",
    );
    check(
        "other.json",
        serde_json::json!({"type": "x"}),
        "not service_account or external_account",
    );
    let file = write(&dir, "text.txt", "MIIE not json");
    let err = configure(
        &[
            "--operation-ids",
            "o",
            "--project",
            "p",
            "--credentials-file",
            &file,
        ],
        &env(&[]),
        None,
    )
    .unwrap_err();
    assert!(!err.message.contains("MIIE"), "{}", err.message);
    // A key given twice is refused (exit 2), never the last one: here a second token_uri.
    let json = sa(&|_| {}).to_string();
    let twice = format!(
        "{},\"token_uri\":\"https://oauth2.googleapis.com/token\",\"token_uri\":\"https://attacker.example/token\"}}",
        json.trim_end_matches('}')
    );
    let nested = r#"{"type":"external_account","audience":"//iam.googleapis.com/x","subject_token_type":"urn:ietf:params:oauth:token-type:jwt","credential_source":{"file":"/etc/hostname","file":"/etc/passwd"}}"#;
    for (name, text, key) in [
        ("twice.json", twice.as_str(), "token_uri"),
        ("nested.json", nested, "file"),
    ] {
        let file = write(&dir, name, text);
        let err = configure(
            &[
                "--operation-ids",
                "o",
                "--project",
                "p",
                "--credentials-file",
                &file,
            ],
            &env(&[]),
            None,
        )
        .unwrap_err();
        assert_eq!(err.input, Some("credentials-file"), "{name}");
        assert!(
            err.message
                .contains(&format!("key \"{key}\" is given twice")),
            "{name}: {}",
            err.message
        );
        assert!(!err.message.contains("MIIE"), "{}", err.message);
        assert!(!err.message.contains("attacker"), "{}", err.message);
    }
    let err = configure(
        &[
            "--operation-ids",
            "o",
            "--project",
            "p",
            "--credentials-file",
            "/nonexistent/key.json",
        ],
        &env(&[]),
        None,
    )
    .unwrap_err();
    assert_eq!(err.input, Some("credentials-file"));
}

fn external(
    dir: &tempfile::TempDir,
    name: &str,
    json: serde_json::Value,
) -> Result<Source, ConfigError> {
    let file = write(dir, name, &json.to_string());
    configure(
        &[
            "--operation-ids",
            "o",
            "--project",
            "p",
            "--credentials-file",
            &file,
        ],
        &env(&[]),
        None,
    )
    .map(|(s, _)| s.credentials)
}

const AUDIENCE: &str = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/gitlab";

#[test]
fn external_account_variants() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = write(
        &dir,
        "token.jwt",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\n",
    );
    // File source, text (the default).
    let Source::External(x) = external(
        &dir,
        "file-text.json",
        serde_json::json!({
            "type": "external_account",
            "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "credential_source": {"file": token_file},
        }),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(x.audience, AUDIENCE);
    assert!(matches!(
        &x.subject,
        Subject::File {
            format: Format::Text,
            ..
        }
    ));
    assert!(x.impersonation.is_none());
    // File source, JSON, with impersonation and its lifetime.
    let Source::External(x) = external(&dir, "file-json.json", serde_json::json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "credential_source": {"file": token_file, "format": {"type": "json", "subject_token_field_name": "id_token"}},
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/cdn@p.iam.gserviceaccount.com:generateAccessToken",
        "service_account_impersonation": {"token_lifetime_seconds": 1800},
    })).unwrap() else { panic!() };
    assert_eq!(
        x.token_url.as_str(),
        "https://sts.googleapis.com/v1/token",
        "the default token_url"
    );
    assert!(matches!(&x.subject, Subject::File { format: Format::Json(f), .. } if f == "id_token"));
    let imp = x.impersonation.as_ref().unwrap();
    assert_eq!(
        (imp.email().as_str(), imp.lifetime_secs),
        ("cdn@p.iam.gserviceaccount.com", 1800)
    );
    // URL source with headers (what google-github-actions/auth writes), JSON format.
    let Source::External(x) = external(&dir, "url-json.json", serde_json::json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {
            "url": "https://pipelines.actions.githubusercontent.com/x/idtoken?api-version=2.0&audience=https%3A%2F%2Fiam.googleapis.com%2Fprojects%2F1",
            "headers": {"Authorization": "Bearer runner-request-token"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        },
    })).unwrap() else { panic!() };
    let Subject::Url {
        url,
        headers,
        format,
    } = &x.subject
    else {
        panic!()
    };
    assert_eq!(
        url.host_str(),
        Some("pipelines.actions.githubusercontent.com")
    );
    assert_eq!(headers[0].0, "Authorization");
    assert_eq!(headers[0].1.expose(), "Bearer runner-request-token");
    assert_eq!(*format, Format::Json("value".into()));
    let secrets = Source::External(x.clone()).secrets();
    assert!(
        secrets.contains(&"runner-request-token".to_string()),
        "the request token is masked: {secrets:?}"
    );
    // URL source, text, with client credentials.
    let Source::External(x) = external(
        &dir,
        "url-text.json",
        serde_json::json!({
            "type": "external_account",
            "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "credential_source": {"url": "http://127.0.0.1:1/token"},
            "client_id": "client", "client_secret": "client-secret-value",
        }),
    )
    .unwrap() else {
        panic!()
    };
    assert!(matches!(
        &x.subject,
        Subject::Url {
            format: Format::Text,
            ..
        }
    ));
    assert!(
        Source::External(x)
            .secrets()
            .contains(&"client-secret-value".to_string())
    );
}

#[test]
fn external_account_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = write(&dir, "token.jwt", "a.b.c");
    let base = |source: serde_json::Value| {
        serde_json::json!({
            "type": "external_account",
            "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "credential_source": source,
        })
    };
    for (name, json, fragment) in [
        (
            "both",
            base(serde_json::json!({"file": token_file, "url": "https://x.example/t"})),
            "both file and url",
        ),
        (
            "neither",
            base(serde_json::json!({})),
            "neither file nor url",
        ),
        (
            "missing-file",
            base(serde_json::json!({"file": "/nonexistent/token"})),
            "no such file",
        ),
        (
            "format",
            base(serde_json::json!({"file": token_file, "format": {"type": "xml"}})),
            "neither text nor json",
        ),
        (
            "json-field",
            base(serde_json::json!({"file": token_file, "format": {"type": "json"}})),
            "subject_token_field_name",
        ),
        (
            "remote-http",
            base(serde_json::json!({"url": "http://metadata.example/token"})),
            "plain http",
        ),
        (
            "executable",
            base(serde_json::json!({"executable": {"command": "x"}})),
            "executable",
        ),
        (
            "aws",
            base(serde_json::json!({"environment_id": "aws1"})),
            "AWS",
        ),
        (
            "no-source",
            serde_json::json!({"type": "external_account", "audience": AUDIENCE, "subject_token_type": "x"}),
            "credential_source",
        ),
        (
            "no-audience",
            serde_json::json!({"type": "external_account", "subject_token_type": "x", "credential_source": {"file": token_file}}),
            "audience",
        ),
    ] {
        let err = external(&dir, &format!("{name}.json"), json).unwrap_err();
        assert_eq!(err.input, Some("credentials-file"), "{name}");
        assert!(err.message.contains(fragment), "{name}: {}", err.message);
    }
    let mut json = base(serde_json::json!({"file": token_file}));
    json["service_account_impersonation_url"] = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/x@p.iam.gserviceaccount.com:signJwt".into();
    let err = external(&dir, "imp.json", json).unwrap_err();
    assert!(
        err.message.contains("generateAccessToken"),
        "{}",
        err.message
    );
}

#[test]
fn subject_tokens_in_text_and_json() {
    use credentials::subject_from;
    assert_eq!(subject_from("  a.b.c\n", &Format::Text).unwrap(), "a.b.c");
    assert_eq!(
        subject_from(
            r#"{"value":"a.b.c","count":1}"#,
            &Format::Json("value".into())
        )
        .unwrap(),
        "a.b.c"
    );
    assert!(subject_from("", &Format::Text).is_err());
    assert!(subject_from(r#"{"value":""}"#, &Format::Json("value".into())).is_err());
    assert!(subject_from(r#"{"other":"x"}"#, &Format::Json("value".into())).is_err());
    assert!(subject_from(r#"{"value":1}"#, &Format::Json("value".into())).is_err());
    assert!(subject_from("a.b.c", &Format::Json("value".into())).is_err());
    // A field given twice is neither token.
    let e = subject_from(
        r#"{"value":"a.b.c","value":"d.e.f"}"#,
        &Format::Json("value".into()),
    )
    .unwrap_err();
    assert!(e.contains("given twice"), "{e}");
}

#[test]
fn request_ids_are_uuids_kept_per_path() {
    let settings = Settings {
        project: "p".into(),
        endpoint: url::Url::parse("https://compute.googleapis.com").unwrap(),
        credentials: Source::Token {
            token: crate::secret::Secret::new("t"),
            from: "test".into(),
        },
        url_map: Some("m".into()),
        host: None,
    };
    let client = GoogleCloudCdn::new(
        settings,
        reqwest::Client::new(),
        std::time::Duration::from_secs(30),
        Redactor::default(),
    );
    let a = client.request_id("/a");
    assert_eq!(a, client.request_id("/a"), "kept across retries");
    assert_ne!(a, client.request_id("/b"));
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4", "version 4: {a}");
    assert!("89ab".contains(&a[19..20]), "the RFC 4122 variant: {a}");
    assert_ne!(uuid_v4(), "00000000-0000-0000-0000-000000000000");
    assert_eq!(
        client.url(&["operations", "op-1", "wait"]).as_str(),
        "https://compute.googleapis.com/compute/v1/projects/p/global/operations/op-1/wait"
    );
}

// ---------------------------------------------------------------------------------------
// Token flows against a mock

fn form(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn the_jwt_bearer_grant_posts_a_verifiable_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"access_token":"ya29.from-the-grant","expires_in":3599,"token_type":"Bearer"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, &format!("{}/token", server.uri()));
    let (s, _) = configure(
        &["--operation-ids", "o", "--credentials-file", &key],
        &env(&[]),
        None,
    )
    .unwrap();
    let redactor = Redactor::default();
    let creds = Credentials::new(s.credentials, reqwest::Client::new(), redactor.clone());
    assert_eq!(creds.get().await.unwrap().expose(), "ya29.from-the-grant");
    assert_eq!(
        creds.get().await.unwrap().expose(),
        "ya29.from-the-grant",
        "cached"
    );
    let requests = server.received_requests().await.unwrap();
    let sent = form(&requests[0]);
    let assertion = &sent["assertion"];
    let parts: Vec<&str> = assertion.split('.').collect();
    let decode = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    };
    assert_eq!(
        decode(parts[0]),
        serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"})
    );
    let claims = decode(parts[1]);
    assert_eq!(
        claims["iss"],
        "purge-wait@key-project.iam.gserviceaccount.com"
    );
    assert_eq!(
        claims["aud"], "https://oauth2.googleapis.com/token",
        "the constant, not token_uri"
    );
    assert_eq!(claims["scope"], credentials::SCOPE);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let now = chrono::Utc::now().timestamp();
    assert!((claims["iat"].as_i64().unwrap() - now).abs() < 60);
    let key = sign::signing_key(&test_key()).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref())
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .unwrap();
    // Everything secret is known to the redactor: the key, the assertion, the token.
    let text = format!("{} {} {}", test_key(), assertion, "ya29.from-the-grant");
    let cleaned = redactor.clean(&text);
    assert!(
        !cleaned.contains("MIIE")
            && !cleaned.contains(assertion.as_str())
            && !cleaned.contains("ya29"),
        "{cleaned}"
    );
}

#[tokio::test]
async fn a_refused_grant_is_an_auth_error_with_google_words() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, &format!("{}/token", server.uri()));
    let (s, _) = configure(
        &["--operation-ids", "o", "--credentials-file", &key],
        &env(&[]),
        None,
    )
    .unwrap();
    let creds = Credentials::new(s.credentials, reqwest::Client::new(), Redactor::default());
    let e = creds.get().await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Auth);
    assert_eq!(e.code.as_deref(), Some("invalid_grant"));
    assert!(e.to_string().contains("Invalid JWT Signature."), "{e}");
}

async fn sts_and_iam(server: &MockServer, subject: &'static str, impersonated: bool) {
    let scope = if impersonated {
        "https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fiam"
    } else {
        "https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
    };
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .and(body_string_contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"))
        .and(body_string_contains(format!("subject_token={subject}&")))
        .and(body_string_contains(format!("scope={scope}&")))
        .and(body_string_contains("requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"))
        .and(body_string_contains("audience=%2F%2Fiam.googleapis.com%2Fprojects%2F123456789012"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"access_token":"ya29.federated-token","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}"#,
        ))
        .expect(1)
        .mount(server)
        .await;
    if impersonated {
        Mock::given(method("POST"))
            .and(path(
                "/v1/projects/-/serviceAccounts/cdn@p.iam.gserviceaccount.com:generateAccessToken",
            ))
            .and(header("authorization", "Bearer ya29.federated-token"))
            .and(body_string_contains(r#""lifetime":"3600s""#))
            .and(body_string_contains(credentials::SCOPE))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"accessToken":"ya29.impersonated-token","expireTime":"2099-11-14T23:13:20Z"}"#,
            ))
            .expect(1)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn workload_identity_from_a_url_source_with_impersonation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/idtoken"))
        .and(header("authorization", "Bearer runner-request-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"count":1,"value":"eyJ.subject-from-url.sig"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    sts_and_iam(&server, "eyJ.subject-from-url.sig", true).await;
    let dir = tempfile::tempdir().unwrap();
    let Source::External(x) = external(&dir, "url.json", serde_json::json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", server.uri()),
        "credential_source": {
            "url": format!("{}/idtoken", server.uri()),
            "headers": {"Authorization": "Bearer runner-request-token"},
            "format": {"type": "json", "subject_token_field_name": "value"},
        },
        "service_account_impersonation_url": format!("{}/v1/projects/-/serviceAccounts/cdn@p.iam.gserviceaccount.com:generateAccessToken", server.uri()),
    })).unwrap() else { panic!() };
    let redactor = Redactor::default();
    let creds = Credentials::new(
        Source::External(x),
        reqwest::Client::new(),
        redactor.clone(),
    );
    assert_eq!(
        creds.get().await.unwrap().expose(),
        "ya29.impersonated-token"
    );
    let cleaned = redactor.clean("runner-request-token eyJ.subject-from-url.sig ya29.federated-token ya29.impersonated-token");
    assert_eq!(cleaned, "*** *** *** ***");
}

#[tokio::test]
async fn an_impersonated_token_that_no_header_can_carry_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"access_token":"ya29.federated-token","token_type":"Bearer","expires_in":3600}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/-/serviceAccounts/cdn@p.iam.gserviceaccount.com:generateAccessToken",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"accessToken":"ya29.a\u0007b"}"#),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = write(&dir, "token.jwt", "eyJ.subject.sig\n");
    let Source::External(x) = external(&dir, "file.json", serde_json::json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", server.uri()),
        "credential_source": {"file": token_file},
        "service_account_impersonation_url": format!("{}/v1/projects/-/serviceAccounts/cdn@p.iam.gserviceaccount.com:generateAccessToken", server.uri()),
    })).unwrap() else { panic!() };
    let creds = Credentials::new(
        Source::External(x),
        reqwest::Client::new(),
        Redactor::default(),
    );
    let e = creds.get().await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Malformed, "{e}");
    assert!(e.to_string().contains("not a token"), "{e}");
}

#[tokio::test]
async fn workload_identity_from_a_file_in_text_without_impersonation() {
    let server = MockServer::start().await;
    sts_and_iam(&server, "eyJ.subject-from-file.sig", false).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = write(&dir, "token.jwt", "eyJ.subject-from-file.sig\n");
    let Source::External(x) = external(
        &dir,
        "file.json",
        serde_json::json!({
            "type": "external_account",
            "audience": AUDIENCE,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": format!("{}/v1/token", server.uri()),
            "credential_source": {"file": token_file},
        }),
    )
    .unwrap() else {
        panic!()
    };
    let creds = Credentials::new(
        Source::External(x),
        reqwest::Client::new(),
        Redactor::default(),
    );
    assert_eq!(creds.get().await.unwrap().expose(), "ya29.federated-token");
}

#[tokio::test]
async fn the_metadata_server_must_say_it_is_google() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/computeMetadata/v1/instance/service-accounts/default/token"))
        .and(header("metadata-flavor", "Google"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Metadata-Flavor", "Google")
                .set_body_string(r#"{"access_token":"ya29.metadata-token","expires_in":3599,"token_type":"Bearer"}"#),
        )
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let (s, _) = configure(
        &["--operation-ids", "o", "--project", "p"],
        &env(&[("GCE_METADATA_HOST", &host)]),
        None,
    )
    .unwrap();
    let creds = Credentials::new(s.credentials, reqwest::Client::new(), Redactor::default());
    assert_eq!(creds.get().await.unwrap().expose(), "ya29.metadata-token");

    // Something else answering there is no metadata server: no credentials.
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token":"x-token-value","expires_in":3599}"#),
        )
        .mount(&other)
        .await;
    let host = other.address().to_string();
    let (s, _) = configure(
        &["--operation-ids", "o", "--project", "p"],
        &env(&[("GCE_METADATA_HOST", &host)]),
        None,
    )
    .unwrap();
    let creds = Credentials::new(s.credentials, reqwest::Client::new(), Redactor::default());
    let e = creds.get().await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Auth);
    assert!(e.to_string().contains("no Google credentials"), "{e}");
}

fn client_for(server: &MockServer, credentials: Source) -> GoogleCloudCdn {
    let settings = Settings {
        project: "p-1".into(),
        endpoint: url::Url::parse(&server.uri()).unwrap(),
        credentials,
        url_map: Some("web-map".into()),
        host: Some("www.example.com".into()),
    };
    GoogleCloudCdn::new(
        settings,
        reqwest::Client::new(),
        std::time::Duration::from_secs(5),
        Redactor::default(),
    )
}

fn given_token() -> Source {
    Source::Token {
        token: crate::secret::Secret::new("ya29.given-token"),
        from: "test".into(),
    }
}

const OPS: &str = "/compute/v1/projects/p-1/global/operations";

#[tokio::test]
async fn wait_is_the_long_poll_and_get_the_fallback_when_it_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{OPS}/op-1/wait")))
        .and(header("authorization", "Bearer ya29.given-token"))
        .and(header("content-length", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"kind":"compute#operation","name":"op-1","status":"DONE"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    assert_eq!(client.hold(), Some(HOLD));
    let obs = client.poll(&["op-1".to_string()]).await.unwrap();
    assert_eq!(obs[0].state, crate::provider::State::Succeeded);

    // A proxy that does not route wait: get from then on, and no more hold.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{OPS}/op-2/wait")))
        .respond_with(ResponseTemplate::new(405))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{OPS}/op-2")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"name":"op-2","status":"RUNNING"}"#),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let ids = ["op-2".to_string()];
    assert_eq!(
        client.poll(&ids).await.unwrap()[0].state,
        crate::provider::State::Pending
    );
    assert_eq!(client.hold(), None);
    assert_eq!(
        client.poll(&ids).await.unwrap()[0].state,
        crate::provider::State::Pending
    );

    // Google's own 404 for the operation is not found, not a refused wait.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{OPS}/op-3/wait")))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"error":{"code":404,"message":"The resource 'projects/p-1/global/operations/op-3' was not found","errors":[{"message":"x","domain":"global","reason":"notFound"}]}}"#))
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let e = client.poll(&["op-3".to_string()]).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::NotFound);
    assert_eq!(client.hold(), Some(HOLD));

    // An answer about another operation is malformed.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"name":"op-9","status":"DONE"}"#),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let e = client.poll(&["op-4".to_string()]).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Malformed);
}

#[tokio::test]
async fn an_operation_whose_self_link_is_another_projects_is_not_done() {
    const LINK: &str = "https://www.googleapis.com/compute/v1/projects";
    for (link, good) in [
        (format!("{LINK}/p-1/global/operations/op-1"), true),
        (
            format!("{LINK}/other-project/global/operations/op-1"),
            false,
        ),
        (format!("{LINK}/p-1/global/operations/op-2"), false),
        (
            format!("{LINK}/p-1/regions/us-east1/operations/op-1"),
            false,
        ),
        ("not a link".to_string(), false),
        (format!("{LINK}/p-1/global/operations/op-1/"), false),
        (format!("{LINK}/p-1/global/operations"), false),
    ] {
        let server = MockServer::start().await;
        let body = serde_json::json!({"name": "op-1", "status": "DONE", "selfLink": link});
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body.to_string()))
            .mount(&server)
            .await;
        let client = client_for(&server, given_token());
        let got = client.poll(&["op-1".to_string()]).await;
        if good {
            assert_eq!(got.unwrap()[0].state, crate::provider::State::Succeeded);
        } else {
            let e = got.unwrap_err();
            assert_eq!(e.kind, crate::provider::ErrorKind::Malformed, "{link}");
            assert!(e.to_string().contains("selfLink"), "{e}");
        }
    }
    // invalidateCache's answer too: another project's operation is not this purge's.
    let server = MockServer::start().await;
    let body = serde_json::json!({"name": "op-1", "status": "PENDING", "operationType": "invalidateCache",
        "selfLink": format!("{LINK}/other-project/global/operations/op-1")});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body.to_string()))
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let purge = PurgeRequest {
        paths: vec!["/a".into()],
        kind: PurgeKind::Auto,
    };
    let e = client.submit(&purge).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Malformed, "{e}");
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token":"ya29.granted","expires_in":3599}"#),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{OPS}/op-1/wait")))
        .respond_with(ResponseTemplate::new(401).set_body_string(r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError"}],"status":"UNAUTHENTICATED"}}"#))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, &format!("{}/token", server.uri()));
    let (s, _) = configure(
        &["--operation-ids", "o", "--credentials-file", &key],
        &env(&[]),
        None,
    )
    .unwrap();
    let client = client_for(&server, s.credentials);
    let e = client.poll(&["op-1".to_string()]).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Auth);
    assert_eq!(e.code.as_deref(), Some("UNAUTHENTICATED/authError"));
    assert!(e.to_string().contains("a fresh one was refused too"), "{e}");
}

#[tokio::test]
async fn invalidate_cache_sends_one_path_with_its_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/compute/v1/projects/p-1/global/urlMaps/web-map/invalidateCache"))
        .and(header("content-type", "application/json"))
        .and(body_string_contains(r#"{"path":"/img/*","host":"www.example.com"}"#))
        .respond_with(|req: &Request| {
            let id = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "requestId")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_string(format!(
                r#"{{"kind":"compute#operation","name":"operation-1-abc","operationType":"invalidateCache","status":"RUNNING","clientOperationId":"{id}"}}"#
            ))
        })
        .expect(2)
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let purge = PurgeRequest {
        paths: vec!["/img/*".into()],
        kind: PurgeKind::Auto,
    };
    assert_eq!(client.split_purge(&purge).len(), 1);
    assert_eq!(client.submit(&purge).await.unwrap(), ["operation-1-abc"]);
    assert_eq!(client.submit(&purge).await.unwrap(), ["operation-1-abc"]);
    let requests = server.received_requests().await.unwrap();
    let ids: Vec<String> = requests
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "requestId")
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    assert_eq!(ids[0], ids[1], "the same requestId when sent again");
    assert!(client.submit_is_idempotent());

    // Throttled: 429 RESOURCE_EXHAUSTED and a rate-limit 403; another 403 names the permission.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_string(r#"{"error":{"code":403,"message":"Required 'compute.urlMaps.invalidateCache' permission for 'projects/p-1/global/urlMaps/web-map'","errors":[{"message":"x","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}"#))
        .mount(&server)
        .await;
    let client = client_for(&server, given_token());
    let e = client.submit(&purge).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Permission);
    assert!(
        e.to_string().contains("compute.urlMaps.invalidateCache"),
        "{e}"
    );
}

#[tokio::test]
async fn wait_calls_cut_twice_after_holding_fall_back_to_get() {
    // A proxy that drops a held connection: the answer never comes before the client's own
    // bound (hold + request-timeout); twice in a row, and get is used from then on.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{OPS}/op-1/wait")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(std::time::Duration::from_secs(5))
                .set_body_string(r#"{"name":"op-1","status":"DONE"}"#),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{OPS}/op-1")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"name":"op-1","status":"DONE"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut client = client_for(&server, given_token());
    client.hold = std::time::Duration::from_millis(100);
    client.request_timeout = std::time::Duration::from_millis(100);
    client.cut_after = std::time::Duration::from_millis(150);
    let ids = ["op-1".to_string()];
    let e = client.poll(&ids).await.unwrap_err();
    assert_eq!(e.kind, crate::provider::ErrorKind::Transient);
    assert_eq!(
        client.hold(),
        Some(std::time::Duration::from_millis(100)),
        "once is not enough"
    );
    let e = client.poll(&ids).await.unwrap_err();
    assert!(e.to_string().contains("read with get from now on"), "{e}");
    assert_eq!(client.hold(), None);
    assert_eq!(
        client.poll(&ids).await.unwrap()[0].state,
        crate::provider::State::Succeeded
    );
}
