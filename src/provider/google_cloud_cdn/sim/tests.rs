//! The simulator's own checks: the assertion checks, Compute's validation and idempotency,
//! the operations' scripts, the long-poll, the token services.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json as j};

use super::auth::{BAD_SIGNATURE, BAD_TIMES, rs256_verifies};
use super::*;
use crate::sim::{Ending, Simulator};

fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> SimRequest {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    if method == "POST" {
        headers.push(("content-length".into(), body.len().to_string()));
    }
    SimRequest {
        method: method.into(),
        path,
        query,
        headers,
        body: body.as_bytes().to_vec().into(),
    }
}

fn body(a: &Answer) -> Value {
    serde_json::from_str(&a.body).unwrap_or(Value::Null)
}

/// Signs `header.claims` with an RSA PKCS#8 PEM key (ring, through rustls).
fn sign(pem: &str, message: &[u8]) -> Vec<u8> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap();
    let key = rustls::crypto::ring::sign::any_supported_type(&der).unwrap();
    let signer = key
        .choose_scheme(&[rustls::SignatureScheme::RSA_PKCS1_SHA256])
        .unwrap();
    signer.sign(message).unwrap()
}

fn jwt(header: &Value, claims: &Value, pem: &str) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = sign(pem, message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn demo_header() -> Value {
    j!({"alg": "RS256", "typ": "JWT", "kid": DEMO_PRIVATE_KEY_ID})
}

fn demo_claims() -> Value {
    let t = now();
    j!({
        "iss": DEMO_SERVICE_ACCOUNT,
        "scope": CLOUD_PLATFORM_SCOPE,
        "aud": ASSERTION_AUDIENCE,
        "iat": t,
        "exp": t + 3600,
    })
}

fn grant(sim: &GoogleCloudCdnSim, assertion: &str) -> Answer {
    let form = format!(
        "assertion={assertion}&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    );
    sim.answer(&request(
        "POST",
        TOKEN_PATH,
        &[("content-type", "application/x-www-form-urlencoded")],
        &form,
    ))
}

fn another_key_pem() -> String {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let key = openssl::pkey::PKey::from_rsa(rsa).unwrap();
    String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
}

fn op_path(name: &str) -> String {
    format!("{COMPUTE_PREFIX}{DEMO_PROJECT}/global/operations/{name}")
}

fn invalidate_path(request_id: &str) -> String {
    format!(
        "{COMPUTE_PREFIX}{DEMO_PROJECT}/global/urlMaps/{DEMO_URL_MAP}/invalidateCache?requestId={request_id}"
    )
}

const BEARER: (&str, &str) = (
    "authorization",
    "Bearer ya29.demo-static-access-token-not-real-0001",
);

fn get(sim: &GoogleCloudCdnSim, name: &str) -> Answer {
    sim.answer(&request("GET", &op_path(name), &[BEARER], ""))
}

fn wait(sim: &GoogleCloudCdnSim, name: &str) -> Answer {
    sim.answer(&request(
        "POST",
        &format!("{}/wait", op_path(name)),
        &[BEARER],
        "",
    ))
}

fn invalidate(sim: &GoogleCloudCdnSim, request_id: &str, rule: &str) -> Answer {
    sim.answer(&request(
        "POST",
        &invalidate_path(request_id),
        &[BEARER, ("content-type", "application/json")],
        rule,
    ))
}

const RID: &str = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

#[test]
fn the_demo_key_file_holds_the_demo_key() {
    let v: Value = serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap();
    assert_eq!(v["private_key"], DEMO_PRIVATE_KEY_PEM);
    assert_eq!(v["private_key_id"], DEMO_PRIVATE_KEY_ID);
    assert_eq!(v["client_email"], DEMO_SERVICE_ACCOUNT);
    assert_eq!(v["project_id"], DEMO_PROJECT);
    assert_eq!(
        DEMO_STS_AUDIENCE,
        format!("//iam.googleapis.com/{DEMO_WORKLOAD_IDENTITY_PROVIDER}")
    );
    assert_eq!(
        DEMO_OIDC_AUDIENCE,
        format!("https://iam.googleapis.com/{DEMO_WORKLOAD_IDENTITY_PROVIDER}")
    );
    let v: Value =
        serde_json::from_str(&service_account_key_json("http://127.0.0.1:1/token")).unwrap();
    assert_eq!(v["token_uri"], "http://127.0.0.1:1/token");
    assert_eq!(v["private_key"], DEMO_PRIVATE_KEY_PEM);
    let v: Value = serde_json::from_str(&external_account_json(
        "http://127.0.0.1:1",
        j!({"file": "/tmp/t"}),
        true,
    ))
    .unwrap();
    assert_eq!(v["audience"], DEMO_STS_AUDIENCE);
    assert_eq!(
        v["service_account_impersonation_url"],
        format!(
            "http://127.0.0.1:1{IAM_CREDENTIALS_PREFIX}{DEMO_SERVICE_ACCOUNT}:generateAccessToken"
        )
    );
}

/// The notes' vector 2 (docs/research/google-cloud-cdn.md §5.3): ring's RS256 signature of
/// the project-shaped assertion with the demo key, and its verification here.
#[test]
fn rs256_known_answer_with_the_demo_key() {
    let input = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1NjcifQ.eyJpc3MiOiJwdXJnZS13YWl0QGV4YW1wbGUtcHJvamVjdC5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIsInNjb3BlIjoiaHR0cHM6Ly93d3cuZ29vZ2xlYXBpcy5jb20vYXV0aC9jbG91ZC1wbGF0Zm9ybSIsImF1ZCI6Imh0dHBzOi8vb2F1dGgyLmdvb2dsZWFwaXMuY29tL3Rva2VuIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9";
    let expected = "NBKvB3Izo-Lzzci-FRj_cNXw9HDi2NbvXjpFi4uQq9-9fNBnZpyr_Fn2TuVgkZ2_n7RM3G9P43Q41kc3yeNQoRi2KS1R9rpHI3FoVHP1-hFO4fjr39U9CTPQbt0lS9mDW_5HNYz5mEuy7Khjgk8W4RJneV78pb1hZFzgeOLgZy8sZMNu9v4h8cmCjPyYzCo0IzT3RWfCq1PuKGaHvdZiDl1j8jUOe-m5UJv87pv9N92w9FedhVhVtHLPahDAnFAprszagFnx10b-OainTAWIlzhY8qM_62p6Ritu09caDwvkek_ERjSVIGXhxwu1PY9gtaVmoROAuNks_6_deP_vzw";
    let signature = sign(DEMO_PRIVATE_KEY_PEM, input.as_bytes());
    assert_eq!(URL_SAFE_NO_PAD.encode(&signature), expected);
    let pk = auth::public_key(DEMO_PRIVATE_KEY_PEM).expect("the demo key parses");
    assert!(rs256_verifies(&pk, input.as_bytes(), &signature));
    assert!(!rs256_verifies(&pk, b"another message", &signature));
    assert!(auth::public_key("not a key").is_none());
}

#[test]
fn a_good_assertion_gets_a_token_that_compute_accepts() {
    let sim = GoogleCloudCdnSim::new(Setup {
        access_tokens: Vec::new(),
        token_lifetime: Duration::from_secs(1234),
        ..Setup::default()
    });
    let a = grant(
        &sim,
        &jwt(&demo_header(), &demo_claims(), DEMO_PRIVATE_KEY_PEM),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v = body(&a);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 1234);
    let token = v["access_token"].as_str().unwrap();
    let auth = format!("Bearer {token}");
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &auth)],
        "",
    ));
    assert_eq!(a.status, 200, "{}", a.body);
    // google-auth's own key order and spacing, and no `typ`, are fine too.
    let t = now();
    let claims = j!({"iat": t, "exp": t + 3600, "iss": DEMO_SERVICE_ACCOUNT, "aud": ASSERTION_AUDIENCE, "scope": "https://www.googleapis.com/auth/compute"});
    let a = grant(
        &sim,
        &jwt(
            &j!({"alg": "RS256", "kid": DEMO_PRIVATE_KEY_ID}),
            &claims,
            DEMO_PRIVATE_KEY_PEM,
        ),
    );
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn assertions_are_refused_as_google_refuses_them() {
    let sim = GoogleCloudCdnSim::new(Setup::default());
    let refused = |assertion: &str, error: &str, description: &str| {
        let a = grant(&sim, assertion);
        assert_eq!(a.status, 400, "{}", a.body);
        let v = body(&a);
        assert_eq!(v["error"], error, "{}", a.body);
        assert_eq!(v["error_description"], description, "{}", a.body);
    };
    let other = another_key_pem();
    refused(
        &jwt(&demo_header(), &demo_claims(), &other),
        "invalid_grant",
        BAD_SIGNATURE,
    );
    let good = jwt(&demo_header(), &demo_claims(), DEMO_PRIVATE_KEY_PEM);
    let (message, signature) = good.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[7] ^= 1;
    refused(
        &format!("{message}.{}", URL_SAFE_NO_PAD.encode(&bytes)),
        "invalid_grant",
        BAD_SIGNATURE,
    );
    let wrong_kid = j!({"alg": "RS256", "typ": "JWT", "kid": "ffff"});
    refused(
        &jwt(&wrong_kid, &demo_claims(), DEMO_PRIVATE_KEY_PEM),
        "invalid_grant",
        BAD_SIGNATURE,
    );
    let hs = j!({"alg": "HS256", "typ": "JWT", "kid": DEMO_PRIVATE_KEY_ID});
    refused(
        &jwt(&hs, &demo_claims(), DEMO_PRIVATE_KEY_PEM),
        "invalid_grant",
        BAD_SIGNATURE,
    );
    let with = |key: &str, value: Value| {
        let mut c = demo_claims();
        c[key] = value;
        jwt(&demo_header(), &c, DEMO_PRIVATE_KEY_PEM)
    };
    // The audience is Google's constant, not the file's token_uri (nor the simulator's URL).
    let a = grant(&sim, &with("aud", "http://127.0.0.1:8080/token".into()));
    assert_eq!(body(&a)["error"], "invalid_grant");
    assert!(
        body(&a)["error_description"]
            .as_str()
            .unwrap()
            .contains("audience")
    );
    let a = grant(
        &sim,
        &with("iss", "someone@else.iam.gserviceaccount.com".into()),
    );
    assert_eq!(
        body(&a)["error_description"],
        "Invalid grant: account not found"
    );
    let t = now();
    refused(&with("exp", (t - 3600).into()), "invalid_grant", BAD_TIMES);
    let mut expired = demo_claims();
    expired["iat"] = (t - 7200).into();
    expired["exp"] = (t - 3600).into();
    refused(
        &jwt(&demo_header(), &expired, DEMO_PRIVATE_KEY_PEM),
        "invalid_grant",
        BAD_TIMES,
    );
    refused(&with("exp", (t + 3601).into()), "invalid_grant", BAD_TIMES);
    let mut future = demo_claims();
    future["iat"] = (t + 900).into();
    future["exp"] = (t + 1800).into();
    refused(
        &jwt(&demo_header(), &future, DEMO_PRIVATE_KEY_PEM),
        "invalid_grant",
        BAD_TIMES,
    );
    refused(&with("iat", "now".into()), "invalid_grant", BAD_TIMES);
    // Within the clock skew: fine.
    let mut skewed = demo_claims();
    skewed["iat"] = (t + 120).into();
    skewed["exp"] = (t + 120 + 3600).into();
    assert_eq!(
        grant(&sim, &jwt(&demo_header(), &skewed, DEMO_PRIVATE_KEY_PEM)).status,
        200
    );
    refused(
        &with("scope", "".into()),
        "invalid_scope",
        "Invalid OAuth scope or ID token audience provided.",
    );
    refused(
        "a.b",
        "invalid_grant",
        "Invalid JWT: the assertion is not a well formed JWT.",
    );
    // The form itself.
    let a = sim.answer(&request(
        "POST",
        TOKEN_PATH,
        &[("content-type", "application/x-www-form-urlencoded")],
        &format!("assertion={good}&grant_type=client_credentials"),
    ));
    assert_eq!(body(&a)["error"], "unsupported_grant_type");
    let a = sim.answer(&request(
        "POST",
        TOKEN_PATH,
        &[("content-type", "application/json")],
        "{}",
    ));
    assert_eq!(body(&a)["error"], "invalid_request");
}

#[test]
fn the_server_clock_decides_what_is_expired() {
    let ahead = GoogleCloudCdnSim::new(Setup {
        clock_offset: 7200,
        ..Setup::default()
    });
    let a = grant(
        &ahead,
        &jwt(&demo_header(), &demo_claims(), DEMO_PRIVATE_KEY_PEM),
    );
    assert_eq!(body(&a)["error_description"], BAD_TIMES);
    let mut claims = demo_claims();
    claims["iat"] = (now() + 7200).into();
    claims["exp"] = (now() + 7200 + 3600).into();
    assert_eq!(
        grant(&ahead, &jwt(&demo_header(), &claims, DEMO_PRIVATE_KEY_PEM)).status,
        200
    );
}

#[test]
fn compute_checks_the_bearer_token() {
    let sim = GoogleCloudCdnSim::new(Setup {
        token_lifetime: Duration::ZERO,
        ..Setup::default()
    });
    let a = sim.answer(&request("GET", &op_path("operation-1"), &[], ""));
    assert_eq!(a.status, 401);
    assert_eq!(body(&a)["error"]["errors"][0]["reason"], "required");
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", "Bearer ya29.made-up")],
        "",
    ));
    assert_eq!(a.status, 401);
    let v = body(&a);
    assert_eq!(v["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(v["error"]["errors"][0]["reason"], "authError");
    // A token that has expired (lifetime 0).
    let a = grant(
        &sim,
        &jwt(&demo_header(), &demo_claims(), DEMO_PRIVATE_KEY_PEM),
    );
    let token = body(&a)["access_token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {token}");
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &auth)],
        "",
    ));
    assert_eq!(a.status, 401);
    assert_eq!(get(&sim, "operation-1").status, 200);
    // A token revoked early: 401 once, then accepted.
    let sim = GoogleCloudCdnSim::new(Setup {
        unauthorized_calls: 1,
        ..Setup::default()
    });
    assert_eq!(get(&sim, "operation-1").status, 401);
    assert_eq!(get(&sim, "operation-1").status, 200);
}

#[test]
fn operations_follow_their_scripts() {
    let d = Scenario::succeeds_after(Duration::from_secs(10));
    let ops = vec![
        Scenario::parse("operation-ok:after=0s", &d).unwrap(),
        Scenario::parse(
            "operation-bad:after=0s,outcome=failed,message=Origin unreachable",
            &d,
        )
        .unwrap(),
        Scenario::parse("operation-slow:after=1h", &d).unwrap(),
        Scenario::parse("operation-gone:outcome=missing", &d).unwrap(),
        Scenario::parse("operation-odd:after=0s,outcome=Finished", &d).unwrap(),
        Scenario::parse(
            "operation-busy:after=0s,throttle=1,errors=1,retry-after=2",
            &d,
        )
        .unwrap(),
    ];
    let sim = GoogleCloudCdnSim::new(Setup {
        ops,
        ..Setup::default()
    });
    let v = body(&get(&sim, "operation-ok"));
    assert_eq!(v["status"], "DONE");
    assert_eq!(v["name"], "operation-ok");
    assert_eq!(v["kind"], "compute#operation");
    assert_eq!(v["operationType"], "invalidateCache");
    assert!(v.get("error").is_none());
    assert_eq!(
        v["selfLink"],
        format!(
            "https://www.googleapis.com/compute/v1/projects/{DEMO_PROJECT}/global/operations/operation-ok"
        )
    );
    // Found by its numeric id too.
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(body(&get(&sim, &id))["name"], "operation-ok");
    let v = body(&get(&sim, "operation-bad"));
    assert_eq!(v["status"], "DONE");
    assert_eq!(v["error"]["errors"][0]["message"], "Origin unreachable");
    assert_eq!(v["error"]["errors"][0]["code"], "INTERNAL_ERROR");
    assert_eq!(v["httpErrorStatusCode"], 500);
    assert_eq!(body(&get(&sim, "operation-slow"))["status"], "PENDING");
    let a = get(&sim, "operation-gone");
    assert_eq!(a.status, 404);
    assert_eq!(body(&a)["error"]["errors"][0]["reason"], "notFound");
    assert_eq!(body(&get(&sim, "operation-odd"))["status"], "Finished");
    let a = get(&sim, "operation-busy");
    assert_eq!(a.status, 429);
    assert_eq!(body(&a)["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(a.headers.contains(&("retry-after", "2".into())));
    let a = get(&sim, "operation-busy");
    assert_eq!(a.status, 503);
    assert_eq!(body(&a)["error"]["errors"][0]["reason"], "backendError");
    assert_eq!(get(&sim, "operation-busy").status, 200);
    // Names Compute's pattern refuses, and other projects.
    assert_eq!(get(&sim, "Operation-X").status, 400);
    let a = sim.answer(&request(
        "GET",
        &format!("{COMPUTE_PREFIX}other-project/global/operations/operation-ok"),
        &[BEARER],
        "",
    ));
    assert_eq!(a.status, 404);
    // Unknown query parameters.
    let a = sim.answer(&request(
        "GET",
        &format!("{}?colour=red", op_path("operation-ok")),
        &[BEARER],
        "",
    ));
    assert_eq!(a.status, 400);
}

#[test]
fn pending_then_running_then_done() {
    let d = Scenario::succeeds_after(Duration::from_millis(400));
    let sim = GoogleCloudCdnSim::new(Setup {
        default: d,
        ..Setup::default()
    });
    assert_eq!(body(&get(&sim, "operation-a"))["status"], "PENDING");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(body(&get(&sim, "operation-a"))["status"], "RUNNING");
    std::thread::sleep(Duration::from_millis(300));
    let v = body(&get(&sim, "operation-a"));
    assert_eq!(v["status"], "DONE");
    assert_eq!(v["progress"], 100);
    assert!(v["endTime"].is_string());
}

#[test]
fn throttling_and_denial_knobs() {
    let sim = GoogleCloudCdnSim::new(Setup {
        throttle: Throttle::RateLimitExceeded,
        default: Scenario {
            throttle: 1,
            ..Scenario::succeeds_after(Duration::ZERO)
        },
        throttle_creates: 1,
        rate_limit_creates: 1,
        error_creates: 1,
        ..Setup::default()
    });
    let a = get(&sim, "operation-t");
    assert_eq!(a.status, 403);
    let v = body(&a);
    assert_eq!(v["error"]["errors"][0]["reason"], "rateLimitExceeded");
    assert_eq!(get(&sim, "operation-t").status, 200);
    let rule = r#"{"path":"/index.html"}"#;
    assert_eq!(invalidate(&sim, RID, rule).status, 429);
    let a = invalidate(&sim, RID, rule);
    assert_eq!(a.status, 403);
    assert_eq!(
        body(&a)["error"]["errors"][0]["reason"],
        "rateLimitExceeded"
    );
    assert_eq!(invalidate(&sim, RID, rule).status, 503);
    assert_eq!(invalidate(&sim, RID, rule).status, 200);

    let sim = GoogleCloudCdnSim::new(Setup {
        deny: vec![
            "compute.urlMaps.invalidateCache".into(),
            "compute.globalOperations.get".into(),
        ],
        ..Setup::default()
    });
    let a = invalidate(&sim, RID, rule);
    assert_eq!(a.status, 403);
    let v = body(&a);
    assert_eq!(v["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(v["error"]["errors"][0]["reason"], "forbidden");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'compute.urlMaps.invalidateCache'")
    );
    let a = get(&sim, "operation-1");
    assert_eq!(a.status, 403);
    assert!(
        body(&a)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'compute.globalOperations.get'")
    );
    let a = wait(&sim, "operation-1");
    assert_eq!(a.status, 403);

    let sim = GoogleCloudCdnSim::new(Setup {
        invalidations_per_minute: Some(1),
        ..Setup::default()
    });
    assert_eq!(invalidate(&sim, RID, rule).status, 200);
    assert_eq!(
        invalidate(&sim, RID, rule).status,
        200,
        "a replay is not another invalidation"
    );
    let a = invalidate(
        &sim,
        "1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
        r#"{"path":"/b"}"#,
    );
    assert_eq!(a.status, 429);
    assert_eq!(body(&a)["error"]["status"], "RESOURCE_EXHAUSTED");
}

#[test]
fn invalidation_rules_are_checked_as_compute_checks_them() {
    let sim = GoogleCloudCdnSim::new(Setup::default());
    let bad = [
        r#"{"path":"index.html"}"#,
        r#"{"path":"http://bogus/path"}"#,
        r#"{"path":"/a?b=c"}"#,
        r#"{"path":"/a#frag"}"#,
        r#"{"path":"/img/*.png"}"#,
        r#"{"path":"/img*"}"#,
        r#"{"path":"/a b"}"#,
        r#"{"path":"/*/x"}"#,
        r#"{"path":"/x","host":"bad host"}"#,
        r#"{"path":"/x","host":"a.*.example.com"}"#,
        r#"{"path":"/x","paths":["/y"]}"#,
        r#"{"path":7}"#,
        r#"{"host":"www.example.com"}"#,
        r#"["/x"]"#,
        r#"{"path":"/x""#,
        "",
    ];
    for (n, rule) in bad.iter().enumerate() {
        let rid = format!("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e{n:03x}");
        let a = invalidate(&sim, &rid, rule);
        assert_eq!(a.status, 400, "{rule}: {}", a.body);
        assert_eq!(body(&a)["error"]["status"], "INVALID_ARGUMENT", "{rule}");
    }
    let a = invalidate(&sim, RID, r#"{"path":"http://bogus/path"}"#);
    assert!(
        body(&a)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("path must begin with /")
    );
    let good = [
        r#"{"path":"/index.html"}"#,
        r#"{"path":"/img/*"}"#,
        r#"{"path":"/*"}"#,
        r#"{"path":"/","host":"www.example.com"}"#,
        r#"{"path":"/x","host":"*.example.com"}"#,
    ];
    for (n, rule) in good.iter().enumerate() {
        let rid = format!("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e{n:03x}");
        let a = invalidate(&sim, &rid, rule);
        assert_eq!(a.status, 200, "{rule}: {}", a.body);
        let v = body(&a);
        assert!(v["name"].as_str().unwrap().starts_with("operation-"));
        assert_eq!(v["clientOperationId"], rid);
        assert_eq!(v["operationType"], "invalidateCache");
        assert_eq!(
            v["targetLink"],
            format!(
                "https://www.googleapis.com/compute/v1/projects/{DEMO_PROJECT}/global/urlMaps/{DEMO_URL_MAP}"
            )
        );
    }
    // requestId must be a non-zero UUID; none at all is accepted (gcloud sends none).
    for rid in [
        "x",
        "00000000-0000-0000-0000-000000000000",
        "0f1e2d3c4b5a497886950a4b3c2d1e0f9",
    ] {
        let a = invalidate(&sim, rid, r#"{"path":"/x"}"#);
        assert_eq!(a.status, 400, "{rid}");
        assert!(
            body(&a)["error"]["message"]
                .as_str()
                .unwrap()
                .contains("requestId")
        );
    }
    let a = sim.answer(&request(
        "POST",
        &format!("{COMPUTE_PREFIX}{DEMO_PROJECT}/global/urlMaps/{DEMO_URL_MAP}/invalidateCache"),
        &[BEARER],
        r#"{"path":"/x"}"#,
    ));
    assert_eq!(a.status, 200);
    // Unknown URL map.
    let a = sim.answer(&request(
        "POST",
        &format!("{COMPUTE_PREFIX}{DEMO_PROJECT}/global/urlMaps/other-map/invalidateCache?requestId={RID}"),
        &[BEARER],
        r#"{"path":"/x"}"#,
    ));
    assert_eq!(a.status, 404);
    // A read-only token may wait, not invalidate.
    let sim = GoogleCloudCdnSim::new(Setup::default());
    let t = now();
    let claims = j!({"iss": DEMO_SERVICE_ACCOUNT, "aud": ASSERTION_AUDIENCE, "iat": t, "exp": t + 3600, "scope": "https://www.googleapis.com/auth/compute.readonly"});
    let token = body(&grant(
        &sim,
        &jwt(&demo_header(), &claims, DEMO_PRIVATE_KEY_PEM),
    ))["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {token}");
    let a = sim.answer(&request(
        "POST",
        &invalidate_path(RID),
        &[("authorization", &auth)],
        r#"{"path":"/x"}"#,
    ));
    assert_eq!(a.status, 403);
    assert_eq!(
        body(&a)["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &auth)],
        "",
    ));
    assert_eq!(a.status, 200);
}

#[test]
fn a_replayed_request_id_answers_the_same_operation() {
    let sim = GoogleCloudCdnSim::new(Setup {
        reset_creates: 1,
        purge: Scenario::succeeds_after(Duration::from_secs(60)),
        ..Setup::default()
    });
    let rule = r#"{"path":"/img/*","host":"www.example.com"}"#;
    let first = invalidate(&sim, RID, rule);
    assert!(
        first.reset,
        "the connection is reset after the operation was created"
    );
    let name = body(&first)["name"].as_str().unwrap().to_string();
    let again = invalidate(&sim, RID, rule);
    assert!(!again.reset);
    assert_eq!(again.status, 200);
    assert_eq!(body(&again)["name"], name.as_str());
    assert_eq!(body(&again)["clientOperationId"], RID);
    // Same id, different rule: refused, not silently dropped.
    let a = invalidate(&sim, RID, r#"{"path":"/other"}"#);
    assert_eq!(a.status, 409);
    // The upper-case spelling of the same id is the same id.
    assert_eq!(
        body(&invalidate(&sim, &RID.to_ascii_uppercase(), rule))["name"],
        name.as_str()
    );
    // Another id: another operation.
    let other = invalidate(&sim, "1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", rule);
    assert_ne!(body(&other)["name"], name.as_str());
    let created = sim
        .book()
        .ops
        .values()
        .filter(|op| op.rule.is_some())
        .count();
    assert_eq!(created, 2);
    assert_eq!(body(&get(&sim, &name))["status"], "PENDING");
}

#[test]
fn wait_can_be_refused_and_needs_a_length() {
    for status in [404, 405, 403, 501] {
        let sim = GoogleCloudCdnSim::new(Setup {
            refuse_wait: Some(status),
            ..Setup::default()
        });
        assert_eq!(wait(&sim, "operation-1").status, status);
        assert_eq!(
            sim.hold(&request(
                "POST",
                &format!("{}/wait", op_path("operation-1")),
                &[BEARER],
                ""
            )),
            Duration::ZERO
        );
        assert_eq!(get(&sim, "operation-1").status, 200, "get still works");
    }
    let sim = GoogleCloudCdnSim::new(Setup::default());
    let mut r = request(
        "POST",
        &format!("{}/wait", op_path("operation-1")),
        &[BEARER],
        "",
    );
    r.headers.retain(|(k, _)| k != "content-length");
    let a = sim.answer(&r);
    assert_eq!(a.status, 411);
    assert_eq!(sim.hold(&r), Duration::ZERO);
    assert_eq!(wait(&sim, "operation-1").status, 200);
}

#[test]
fn the_hold_lasts_until_the_operation_ends_at_most_the_limit() {
    let d = Scenario::succeeds_after(Duration::from_secs(10));
    let sim = GoogleCloudCdnSim::new(Setup {
        ops: vec![
            Scenario::parse("operation-stuck:outcome=stuck", &d).unwrap(),
            Scenario::parse("operation-done:after=0s", &d).unwrap(),
            Scenario::parse("operation-busy:after=5s,throttle=1", &d).unwrap(),
        ],
        hold: Duration::from_secs(2),
        ..Setup::default()
    });
    let w = |name: &str| request("POST", &format!("{}/wait", op_path(name)), &[BEARER], "");
    assert_eq!(sim.hold(&w("operation-stuck")), Duration::from_secs(2));
    assert_eq!(sim.hold(&w("operation-done")), Duration::ZERO);
    assert_eq!(
        sim.hold(&w("operation-busy")),
        Duration::ZERO,
        "its answer is an error"
    );
    let long = Setup {
        hold: Duration::from_secs(120),
        ..Setup::default()
    };
    let sim = GoogleCloudCdnSim::new(long);
    let h = sim.hold(&w("operation-x"));
    assert!(
        h > Duration::from_secs(9) && h <= Duration::from_secs(11),
        "{h:?}"
    );
    let unauthenticated = request("POST", &format!("{}/wait", op_path("operation-x")), &[], "");
    assert_eq!(sim.hold(&unauthenticated), Duration::ZERO);
}

/// Through the server: a `wait` answers when its operation ends, or at the hold limit with
/// the operation still running; a `get` is never held.
#[tokio::test]
async fn the_long_poll_is_served_without_blocking_other_requests() {
    let d = Scenario::succeeds_after(Duration::from_millis(600));
    let sim = Simulator::start(
        GoogleCloudCdnSim::new(Setup {
            default: d.clone(),
            ops: vec![Scenario::parse("operation-stuck:outcome=stuck", &d).unwrap()],
            hold: Duration::from_millis(900),
            ..Setup::default()
        }),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = |name: &str, suffix: &str| format!("{}{}{suffix}", sim.url(), op_path(name));
    let post = |u: String| {
        client
            .post(u)
            .bearer_auth(DEMO_ACCESS_TOKEN)
            .header("content-length", "0")
            .send()
    };
    let started = Instant::now();
    let (done, stuck, quick) = tokio::join!(
        post(url("operation-a", "/wait")),
        post(url("operation-stuck", "/wait")),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let r = client
                .get(url("operation-b", ""))
                .bearer_auth(DEMO_ACCESS_TOKEN)
                .send()
                .await;
            (r, started.elapsed())
        }
    );
    let (quick, quick_at) = quick;
    assert!(
        quick_at < Duration::from_millis(500),
        "a get is not held: {quick_at:?}"
    );
    let v: Value = quick
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(v["status"], "PENDING");
    let v: Value = done
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(v["status"], "DONE");
    let v: Value = stuck
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(v["status"], "RUNNING");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(880), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    let log = sim.requests();
    assert_eq!(count(&log, Endpoint::Wait), 2);
    assert_eq!(count(&log, Endpoint::Get), 1);
    let done_record = log
        .iter()
        .find(|r| r.target.contains("operation-a"))
        .unwrap();
    assert_eq!(done_record.answer, "wait: DONE");
}

fn sts_form(subject: &str, audience: &str, scope: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        )
        .append_pair("audience", audience)
        .append_pair("scope", scope)
        .append_pair(
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        )
        .append_pair("subject_token", subject)
        .append_pair("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")
        .finish()
}

fn sts(sim: &GoogleCloudCdnSim, form: &str) -> Answer {
    sim.answer(&request(
        "POST",
        STS_PATH,
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    ))
}

#[test]
fn workload_identity_federation_then_impersonation() {
    let sim = GoogleCloudCdnSim::new(Setup {
        access_tokens: Vec::new(),
        ..Setup::default()
    });
    // The GitHub token service: the accepted token only for the provider's audience.
    let gh = |audience: &str, bearer: &str| {
        let target = format!(
            "{GITHUB_TOKEN_PATH}?audience={}",
            url::form_urlencoded::byte_serialize(audience.as_bytes()).collect::<String>()
        );
        sim.answer(&request("GET", &target, &[("authorization", bearer)], ""))
    };
    let a = gh(
        DEMO_OIDC_AUDIENCE,
        &format!("bearer {DEMO_GITHUB_REQUEST_TOKEN}"),
    );
    assert_eq!(body(&a)["value"], DEMO_OIDC_TOKEN);
    assert_eq!(gh(DEMO_OIDC_AUDIENCE, "bearer wrong").status, 401);
    let other = body(&gh(
        "sts.amazonaws.com",
        &format!("Bearer {DEMO_GITHUB_REQUEST_TOKEN}"),
    ))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let a = sts(&sim, &sts_form(&other, DEMO_STS_AUDIENCE, IAM_SCOPE));
    assert_eq!(body(&a)["error"], "invalid_grant");
    assert!(
        body(&a)["error_description"]
            .as_str()
            .unwrap()
            .contains("audience")
    );
    let a = sts(
        &sim,
        &sts_form(
            DEMO_OIDC_TOKEN,
            "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/x/providers/y",
            IAM_SCOPE,
        ),
    );
    assert_eq!(body(&a)["error"], "invalid_target");
    let a = sts(&sim, &sts_form("not-a-token", DEMO_STS_AUDIENCE, IAM_SCOPE));
    assert_eq!(body(&a)["error"], "invalid_grant");
    // The exchange, scoped for impersonation only.
    let a = sts(
        &sim,
        &sts_form(DEMO_OIDC_TOKEN, DEMO_STS_AUDIENCE, IAM_SCOPE),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v = body(&a);
    assert_eq!(
        v["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let federated = format!("Bearer {}", v["access_token"].as_str().unwrap());
    // Not enough for Compute.
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &federated)],
        "",
    ));
    assert_eq!(a.status, 403);
    assert_eq!(
        body(&a)["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
    // Impersonation.
    let impersonate = |email: &str, auth: &str, body: &str| {
        sim.answer(&request(
            "POST",
            &format!("{IAM_CREDENTIALS_PREFIX}{email}:generateAccessToken"),
            &[
                ("authorization", auth),
                ("content-type", "application/json"),
            ],
            body,
        ))
    };
    let ask = r#"{"delegates": null, "scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "3600s"}"#;
    let a = impersonate(
        "other@example-project.iam.gserviceaccount.com",
        &federated,
        ask,
    );
    assert_eq!(a.status, 403);
    assert!(
        body(&a)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("iam.serviceAccounts.getAccessToken")
    );
    assert_eq!(
        impersonate(DEMO_SERVICE_ACCOUNT, "Bearer nope", ask).status,
        401
    );
    let a = impersonate(
        DEMO_SERVICE_ACCOUNT,
        &federated,
        r#"{"scope": [], "lifetime": "3600s"}"#,
    );
    assert_eq!(a.status, 400);
    let a = impersonate(
        DEMO_SERVICE_ACCOUNT,
        &federated,
        r#"{"scope": ["https://www.googleapis.com/auth/cloud-platform"], "lifetime": "7200s"}"#,
    );
    assert_eq!(a.status, 400);
    let a = impersonate(DEMO_SERVICE_ACCOUNT, &federated, ask);
    assert_eq!(a.status, 200, "{}", a.body);
    let v = body(&a);
    let expire = chrono::DateTime::parse_from_rfc3339(v["expireTime"].as_str().unwrap()).unwrap();
    let left = expire.timestamp() - now();
    assert!((3590..=3600).contains(&left), "{left}");
    let token = format!("Bearer {}", v["accessToken"].as_str().unwrap());
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &token)],
        "",
    ));
    assert_eq!(a.status, 200, "{}", a.body);
    // The percent-encoded email is the same account.
    let a = impersonate(
        "purge-wait%40example-project.iam.gserviceaccount.com",
        &federated,
        ask,
    );
    assert_eq!(a.status, 200, "{}", a.body);

    // google-github-actions/auth's JSON, camelCase, cloud-platform scope: direct access.
    let json_body = j!({
        "audience": DEMO_STS_AUDIENCE,
        "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
        "requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
        "scope": CLOUD_PLATFORM_SCOPE,
        "subjectTokenType": "urn:ietf:params:oauth:token-type:jwt",
        "subjectToken": DEMO_OIDC_TOKEN,
    });
    let a = sim.answer(&request(
        "POST",
        STS_PATH,
        &[("content-type", "application/json")],
        &json_body.to_string(),
    ));
    assert_eq!(a.status, 200, "{}", a.body);
    let direct = format!("Bearer {}", body(&a)["access_token"].as_str().unwrap());
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &direct)],
        "",
    ));
    assert_eq!(a.status, 200, "{}", a.body);
    let sim = GoogleCloudCdnSim::new(Setup {
        federated_access: false,
        ..Setup::default()
    });
    let a = sim.answer(&request(
        "POST",
        STS_PATH,
        &[("content-type", "application/json")],
        &json_body.to_string(),
    ));
    let direct = format!("Bearer {}", body(&a)["access_token"].as_str().unwrap());
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &direct)],
        "",
    ));
    assert_eq!(a.status, 401, "direct access is off");
}

#[test]
fn url_sources_and_the_metadata_server() {
    let sim = GoogleCloudCdnSim::new(Setup::default());
    let header = [DEMO_SUBJECT_HEADER];
    let a = sim.answer(&request("GET", SUBJECT_TOKEN_PATH, &header, ""));
    assert_eq!((a.status, a.body.as_str()), (200, DEMO_OIDC_TOKEN));
    let a = sim.answer(&request(
        "GET",
        &format!("{SUBJECT_TOKEN_PATH}?format=json"),
        &header,
        "",
    ));
    assert_eq!(body(&a)[SUBJECT_TOKEN_FIELD], DEMO_OIDC_TOKEN);
    assert_eq!(
        sim.answer(&request("GET", SUBJECT_TOKEN_PATH, &[], ""))
            .status,
        401
    );

    let flavor = [("metadata-flavor", "Google")];
    let token_path = format!(
        "{METADATA_PREFIX}instance/service-accounts/default/token?scopes={CLOUD_PLATFORM_SCOPE}"
    );
    let a = sim.answer(&request("GET", &token_path, &[], ""));
    assert_eq!(a.status, 403);
    let a = sim.answer(&request("GET", &token_path, &flavor, ""));
    assert_eq!(a.status, 200);
    assert!(a.headers.contains(&("metadata-flavor", "Google".into())));
    let token = format!("Bearer {}", body(&a)["access_token"].as_str().unwrap());
    assert_eq!(body(&a)["token_type"], "Bearer");
    let a = sim.answer(&request(
        "GET",
        &op_path("operation-1"),
        &[("authorization", &token)],
        "",
    ));
    assert_eq!(a.status, 200);
    let a = sim.answer(&request(
        "GET",
        &format!("{METADATA_PREFIX}project/project-id"),
        &flavor,
        "",
    ));
    assert_eq!(a.body, DEMO_PROJECT);
    let a = sim.answer(&request(
        "GET",
        &format!("{METADATA_PREFIX}instance/service-accounts/default/?recursive=true"),
        &flavor,
        "",
    ));
    assert_eq!(body(&a)["email"], DEMO_SERVICE_ACCOUNT);
    assert_eq!(sim.answer(&request("GET", "/", &flavor, "")).status, 200);
    let off = GoogleCloudCdnSim::new(Setup {
        metadata: false,
        ..Setup::default()
    });
    assert_eq!(
        off.answer(&request("GET", &token_path, &flavor, "")).status,
        404
    );
}

#[test]
fn endpoints_are_told_apart() {
    let cases = [
        (
            "GET",
            "/compute/v1/projects/p/global/operations/op",
            Endpoint::Get,
        ),
        (
            "POST",
            "/compute/v1/projects/p/global/operations/op/wait",
            Endpoint::Wait,
        ),
        (
            "POST",
            "/compute/v1/projects/p/global/urlMaps/m/invalidateCache?requestId=x",
            Endpoint::InvalidateCache,
        ),
        ("POST", "/token", Endpoint::OAuthToken),
        ("POST", "/v1/token", Endpoint::Sts),
        (
            "POST",
            "/v1/projects/-/serviceAccounts/a@b:generateAccessToken",
            Endpoint::GenerateAccessToken,
        ),
        (
            "GET",
            "/github-oidc-token?audience=x",
            Endpoint::GithubToken,
        ),
        ("GET", "/subject-token", Endpoint::SubjectToken),
        (
            "GET",
            "/computeMetadata/v1/project/project-id",
            Endpoint::Metadata,
        ),
        ("GET", "/elsewhere", Endpoint::Other),
        (
            "POST",
            "/compute/v1/projects/p/global/operations/op",
            Endpoint::Other,
        ),
    ];
    for (method, target, endpoint) in cases {
        assert_eq!(Endpoint::of(method, target), endpoint, "{method} {target}");
    }
    let sim = GoogleCloudCdnSim::new(Setup::default());
    assert_eq!(
        sim.answer(&request("GET", "/elsewhere", &[], "")).status,
        404
    );
    let a = sim.answer(&request("POST", &op_path("operation-1"), &[BEARER], ""));
    assert_eq!(a.status, 404);
    let a = sim.answer(&request(
        "GET",
        &format!("{}/wait", op_path("operation-1")),
        &[BEARER],
        "",
    ));
    assert_eq!(a.status, 404, "wait is a POST");
    assert!(matches!(
        Scenario::parse("x:outcome=stuck", &Setup::default().default)
            .unwrap()
            .1
            .ending,
        Ending::Stuck
    ));
}
