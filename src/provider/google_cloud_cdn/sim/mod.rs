//! Simulated Compute Engine global operations and `urlMaps.invalidateCache`, Google's OAuth 2.0
//! token endpoint, STS, IAM Credentials and the metadata server: an independent check of the
//! client, as the real service is.
//!
//! Nothing here uses the client's requests or wire code: every request is parsed here, and
//! the JWT bearer assertion is verified with ring (through `webpki`'s RS256 verifier) against
//! the public half of [`Setup::private_key_pem`]. Everything is served on one port:
//!
//! - Compute ([`COMPUTE_PREFIX`]), every call with `Authorization: Bearer <token>` checked
//!   (a token this simulator issued and not expired, or one of [`Setup::access_tokens`]; its
//!   scopes must allow the call), answering Google's error envelope
//!   (`{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`):
//!   - `GET …/projects/{p}/global/operations/{name}`: the operation as its [`Scenario`] says
//!     (`PENDING`, `RUNNING`, then `DONE`, with `error.errors[]` and `httpErrorStatusCode`
//!     for `failed`); also found by its numeric `id`.
//!   - `POST …/operations/{name}/wait`: the same, held until the operation is done or
//!     [`Setup::hold`] has passed (Google: 2 minutes). A POST without `Content-Length`
//!     is answered 411, as Google's front end does; [`Setup::refuse_wait`] refuses it.
//!   - `POST …/projects/{p}/global/urlMaps/{m}/invalidateCache?requestId=<uuid>` with a
//!     `CacheInvalidationRule` body, checked as Compute checks it (`path` starts with `/`,
//!     no `?`/`#`/spaces, `*` only as a final `/*`; `host` a host name or `*.` one; no
//!     unknown fields; `requestId` a non-zero UUID); the same `requestId` answers the
//!     operation it created before (even after [`Setup::reset_creates`]), with another rule
//!     409 `ALREADY_EXISTS`. Knobs: [`Setup::throttle_creates`] (429 `RESOURCE_EXHAUSTED`),
//!     [`Setup::rate_limit_creates`] (403 `rateLimitExceeded`), [`Setup::error_creates`]
//!     (503), [`Setup::invalidations_per_minute`], [`Setup::deny`] (403 naming the
//!     permission), [`Setup::unauthorized_calls`] (401 for a valid token).
//! - `POST` [`TOKEN_PATH`]: the OAuth 2.0 JWT bearer grant (`invalid_grant` and friends).
//! - `POST` [`STS_PATH`]: STS token exchange, form or JSON encoded.
//! - `POST` [`IAM_CREDENTIALS_PREFIX`]`{email}:generateAccessToken`: impersonation.
//! - `GET` [`GITHUB_TOKEN_PATH`]`?audience=`: the GitHub Actions OIDC token service.
//! - `GET` [`SUBJECT_TOKEN_PATH`] (`?format=json` for `{"id_token": …}`): a URL
//!   `credential_source`, checking [`Setup::subject_token_headers`].
//! - `GET` [`METADATA_PREFIX`]`…`: the metadata server (`Metadata-Flavor: Google` required).
//!
//! The request log labels every answer with its endpoint first (see [`Endpoint`] and
//! [`count`]), so tests can count calls per endpoint.

mod auth;
mod compute;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sim::{Answer, Api, Record, Scenario, SimRequest};

/// The demo project.
pub const DEMO_PROJECT: &str = "example-project";
/// The demo project's number.
pub const DEMO_PROJECT_NUMBER: &str = "123456789012";
/// The demo URL map.
pub const DEMO_URL_MAP: &str = "web-map";
/// The demo service account.
pub const DEMO_SERVICE_ACCOUNT: &str = "purge-wait@example-project.iam.gserviceaccount.com";
/// The demo key's id (`private_key_id`, the assertion's `kid`).
pub const DEMO_PRIVATE_KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";
/// The demo service account's key: the published RSA test key of RFC 7515 Appendix A.2
/// as PKCS#8. A TEST key, public knowledge, never a real one.
pub const DEMO_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh+BYK4uPJtGXO\n\
jS1lYmM2K5J9vinh8CR3/BYlzJChNuOL2TSXxbbqY913EeZ8dCn5VrD7io8ImtxL\n\
aYk8wTM/U+3QGbh3hCUv7JFP5IV3aVlL6kKA0ywPVb9ilE8TA5a8bpvfbr3SvaNn\n\
juygxmj3AbONv/s4yDQs4v5tJ/reSlpIdJed1LnPmt7Ex1sFhSwsD174pcF1A5L5\n\
ROjtZMEQxrZHYJqkeDrrnGya11UxMFBji4NmXG9veoKjlnAqH2QbgtPr8jkiGUkf\n\
toaHLFcW9Qr4NY2ai50Xw0Byj3+H2JoY2PyrZ62EWQwuz3WTOTY8BwNNb2BvniHg\n\
VFbK5emhAgMBAAECggEAEq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyW\n\
PEAeP88vLNO97IjlA7/GQ5sLKMgvfTeXZx9SE+7YwVol2NXOoAJe46sui395IW/G\n\
O+pWJ1O0BkTGoVEn2bKVRUCgu+GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj\n\
kn439X0M/V51gfpRLI9JYanrC4D4qAdGcopV/0ZHHzQlBjudU2QvXt4ehNYTCBr6\n\
XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl/x/jTj3ccPDVZFD9pIuhLhBOneufuBiB\n\
4cS98l2SR/RQyGWSeWjnczT0QU91p1DhOVRuOopznQKBgQDgHMQQ60imZV1URk0K\n\
pLttoLhyt3SmqdEf/kgHePDdtzEafpAu+cS191R2JiuoF2yzWXnwFDcqGigp5BNr\n\
0AHQfD8/Lk8l1Mk09jxxCfui5nYooNyac8YFjm3vItzVCVDnEd3BbVWG8qf6deqE\n\
lMGAg+C2V0L4oNXnP7LZcPAZRwKBgQC5A8R+CZW2MvRTLLHzwZkUXV866cff7tx6\n\
kqa0finGG0KgeqlaZPxgCZnFp7AeAcCMtiynVlJ7vMVgePsLq6XtON4tB5kP9jAP\n\
rq3rbAOal78eUH5OcED6eNuCV8ixEu1eWcPNCS/l1OW1EnXUEoEHKl54Xrrz2uNw\n\
kgMTP1FZ1wKBgAcCn1dwJKufzBWQxWQp1vsM5fggqPN1qGb5y0MAk3g7/Ls5bkUp\n\
5u9SN0Ai3Ya6hNnvWJMb7sXQX6U/zyO2M/hTip7tUeh7CXgwo59dkpN75gJLVds2\n\
9+DAncu3KXU4f2Fa+7bLNrur53k8KwPOq2bbuTG69QtV7Jr5MR0AHWKNAoGBAIf/\n\
evpitUf+4JYbLpvNXWcY052Mpz22aR84mY3nh3F2LF2mjMJDpTg7FmuyPcVw6EcG\n\
yoAe9fa65iNqCq+jdw6PVNGo2hxfjSiZ8IIzHdsPXI89//pMjZcQK9r+CCoRjaZj\n\
OYiIDktVWZzmevJuv6WywUqd57LE3Zar3dLSIkx1AoGAIYd7DHOhrWvxkwPQsRM2\n\
tOgrjbcrfvtQJipd+DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd/QJQ3\n\
ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp/gh6A56\n\
03k2+ZQwVK0JKSHuLFkuQ3U=\n\
-----END PRIVATE KEY-----\n\
";
/// The demo service account key file (`token_uri` Google's; see [`service_account_key_json`]
/// for one pointing at the simulator). Holds [`DEMO_PRIVATE_KEY_PEM`].
pub const DEMO_SERVICE_ACCOUNT_KEY_JSON: &str = r#"{
  "type": "service_account",
  "project_id": "example-project",
  "private_key_id": "0123456789abcdef0123456789abcdef01234567",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh+BYK4uPJtGXO\njS1lYmM2K5J9vinh8CR3/BYlzJChNuOL2TSXxbbqY913EeZ8dCn5VrD7io8ImtxL\naYk8wTM/U+3QGbh3hCUv7JFP5IV3aVlL6kKA0ywPVb9ilE8TA5a8bpvfbr3SvaNn\njuygxmj3AbONv/s4yDQs4v5tJ/reSlpIdJed1LnPmt7Ex1sFhSwsD174pcF1A5L5\nROjtZMEQxrZHYJqkeDrrnGya11UxMFBji4NmXG9veoKjlnAqH2QbgtPr8jkiGUkf\ntoaHLFcW9Qr4NY2ai50Xw0Byj3+H2JoY2PyrZ62EWQwuz3WTOTY8BwNNb2BvniHg\nVFbK5emhAgMBAAECggEAEq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyW\nPEAeP88vLNO97IjlA7/GQ5sLKMgvfTeXZx9SE+7YwVol2NXOoAJe46sui395IW/G\nO+pWJ1O0BkTGoVEn2bKVRUCgu+GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj\nkn439X0M/V51gfpRLI9JYanrC4D4qAdGcopV/0ZHHzQlBjudU2QvXt4ehNYTCBr6\nXCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl/x/jTj3ccPDVZFD9pIuhLhBOneufuBiB\n4cS98l2SR/RQyGWSeWjnczT0QU91p1DhOVRuOopznQKBgQDgHMQQ60imZV1URk0K\npLttoLhyt3SmqdEf/kgHePDdtzEafpAu+cS191R2JiuoF2yzWXnwFDcqGigp5BNr\n0AHQfD8/Lk8l1Mk09jxxCfui5nYooNyac8YFjm3vItzVCVDnEd3BbVWG8qf6deqE\nlMGAg+C2V0L4oNXnP7LZcPAZRwKBgQC5A8R+CZW2MvRTLLHzwZkUXV866cff7tx6\nkqa0finGG0KgeqlaZPxgCZnFp7AeAcCMtiynVlJ7vMVgePsLq6XtON4tB5kP9jAP\nrq3rbAOal78eUH5OcED6eNuCV8ixEu1eWcPNCS/l1OW1EnXUEoEHKl54Xrrz2uNw\nkgMTP1FZ1wKBgAcCn1dwJKufzBWQxWQp1vsM5fggqPN1qGb5y0MAk3g7/Ls5bkUp\n5u9SN0Ai3Ya6hNnvWJMb7sXQX6U/zyO2M/hTip7tUeh7CXgwo59dkpN75gJLVds2\n9+DAncu3KXU4f2Fa+7bLNrur53k8KwPOq2bbuTG69QtV7Jr5MR0AHWKNAoGBAIf/\nevpitUf+4JYbLpvNXWcY052Mpz22aR84mY3nh3F2LF2mjMJDpTg7FmuyPcVw6EcG\nyoAe9fa65iNqCq+jdw6PVNGo2hxfjSiZ8IIzHdsPXI89//pMjZcQK9r+CCoRjaZj\nOYiIDktVWZzmevJuv6WywUqd57LE3Zar3dLSIkx1AoGAIYd7DHOhrWvxkwPQsRM2\ntOgrjbcrfvtQJipd+DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd/QJQ3\nydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp/gh6A56\n03k2+ZQwVK0JKSHuLFkuQ3U=\n-----END PRIVATE KEY-----\n",
  "client_email": "purge-wait@example-project.iam.gserviceaccount.com",
  "client_id": "100000000000000000001",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/purge-wait%40example-project.iam.gserviceaccount.com",
  "universe_domain": "googleapis.com"
}
"#;
/// An access token Compute accepts as is (the `access-token` input), never expiring.
pub const DEMO_ACCESS_TOKEN: &str = "ya29.demo-static-access-token-not-real-0001";
/// The demo workload identity pool.
pub const DEMO_POOL: &str = "ci-pool";
/// The demo workload identity pool provider.
pub const DEMO_POOL_PROVIDER: &str = "github";
/// The demo workload identity provider's resource name (the `workload-identity-provider`
/// input, as google-github-actions/auth takes it).
pub const DEMO_WORKLOAD_IDENTITY_PROVIDER: &str =
    "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github";
/// The STS `audience` for the demo provider (an external_account file's `audience`).
pub const DEMO_STS_AUDIENCE: &str = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github";
/// The OIDC audience the GitHub token service is asked for (google-github-actions/auth's
/// default: `https://iam.googleapis.com/` + the provider's resource name).
pub const DEMO_OIDC_AUDIENCE: &str = "https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github";
/// The OIDC token (subject token) STS accepts for the demo provider (not a real JWT).
pub const DEMO_OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2lhbS5nb29nbGVhcGlzLmNvbS9wcm9qZWN0cy8xMjM0NTY3ODkwMTIvbG9jYXRpb25zL2dsb2JhbC93b3JrbG9hZElkZW50aXR5UG9vbHMvY2ktcG9vbC9wcm92aWRlcnMvZ2l0aHViIiwic3ViIjoicmVwbzpwdXJnZS13YWl0L2RlbW86cmVmOnJlZnMvaGVhZHMvbWFpbiJ9.cHVyZ2Utd2FpdC1nb29nbGUtZGVtbw";
/// The bearer token the mock GitHub token service accepts (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
pub const DEMO_GITHUB_REQUEST_TOKEN: &str = "demo-actions-id-token-request-token-google";
/// The header a URL `credential_source` must send to [`SUBJECT_TOKEN_PATH`] (by default).
pub const DEMO_SUBJECT_HEADER: (&str, &str) = ("x-demo-subject-key", "demo-subject-key-value");
/// The JSON field [`SUBJECT_TOKEN_PATH`]`?format=json` answers the token in.
pub const SUBJECT_TOKEN_FIELD: &str = "id_token";

/// The Compute API's path prefix (`{endpoint}/compute/v1/projects/{project}/global/…`).
pub const COMPUTE_PREFIX: &str = "/compute/v1/projects/";
/// The OAuth 2.0 token endpoint (a service account file's `token_uri`).
pub const TOKEN_PATH: &str = "/token";
/// STS token exchange (an external_account file's `token_url`).
pub const STS_PATH: &str = "/v1/token";
/// IAM Credentials: `{prefix}{email}:generateAccessToken` (the
/// `service_account_impersonation_url`).
pub const IAM_CREDENTIALS_PREFIX: &str = "/v1/projects/-/serviceAccounts/";
/// The mock GitHub Actions OIDC token service (`ACTIONS_ID_TOKEN_REQUEST_URL`).
pub const GITHUB_TOKEN_PATH: &str = "/github-oidc-token";
/// A URL `credential_source`: the subject token as text, or JSON with `?format=json`.
pub const SUBJECT_TOKEN_PATH: &str = "/subject-token";
/// The metadata server's root (`GCE_METADATA_HOST` = the simulator's `host:port`).
pub const METADATA_PREFIX: &str = "/computeMetadata/v1/";
/// The audience every JWT bearer assertion must name, whatever the file's `token_uri`
/// (google-auth's `_GOOGLE_OAUTH2_TOKEN_ENDPOINT`).
pub const ASSERTION_AUDIENCE: &str = "https://oauth2.googleapis.com/token";
/// The scope purge-wait asks for.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The scope of a federated token that only impersonates.
pub const IAM_SCOPE: &str = "https://www.googleapis.com/auth/iam";

/// How throttled operation reads (a scenario's `throttle=N`) are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// `429` with `status: RESOURCE_EXHAUSTED`, `reason: rateLimitExceeded`.
    TooManyRequests,
    /// `403` with `status: PERMISSION_DENIED`, `reason: rateLimitExceeded` (Compute's
    /// documented rate-quota answer: not a permission error).
    RateLimitExceeded,
}

/// What the simulated project accepts and how its operations behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The project (`projects/{project}/…`; its number is accepted too).
    pub project: String,
    /// The project's number (in the workload identity provider's name).
    pub project_number: String,
    /// The project's global URL maps (others: 404 `notFound`).
    pub url_maps: Vec<String>,
    /// Scripted operations, found by name (compared case-insensitively).
    pub ops: Vec<(String, Scenario)>,
    /// How operations that were neither scripted nor created behave when asked for by name.
    pub default: Scenario,
    /// How operations created by `invalidateCache` behave.
    pub purge: Scenario,
    /// The service account (the key's `client_email`, the impersonation target, the
    /// metadata server's default account).
    pub service_account: String,
    /// The id of its key (the assertion's `kid` must be this when non-empty).
    pub private_key_id: String,
    /// Its key, PKCS#8 PEM: assertions must verify with the public half.
    pub private_key_pem: String,
    /// Access tokens Compute accepts as is, never expiring (`access-token`).
    pub access_tokens: Vec<String>,
    /// Lifetime (`expires_in`) of tokens from the OAuth token endpoint.
    pub token_lifetime: Duration,
    /// Lifetime of STS (federated) tokens.
    pub sts_lifetime: Duration,
    /// Lifetime of impersonated tokens; `None`: the `lifetime` asked for.
    pub impersonation_lifetime: Option<Duration>,
    /// The longest `lifetime` generateAccessToken grants (Google: 1 h without the org policy).
    pub max_impersonation_lifetime: Duration,
    /// Lifetime of the metadata server's tokens.
    pub metadata_lifetime: Duration,
    /// How far an assertion's `iat`/`exp` may be from the server clock.
    pub max_skew: Duration,
    /// The server clock minus the real clock, in seconds (a skewed client, seen from here).
    pub clock_offset: i64,
    /// The workload identity provider's resource name (`projects/N/locations/global/…`).
    pub workload_identity_provider: String,
    /// The OIDC token STS accepts as subject token for that provider.
    pub oidc_token: String,
    /// The audience for which the GitHub token service issues [`Setup::oidc_token`]
    /// (others get a token STS refuses as for another audience).
    pub oidc_audience: String,
    /// The bearer token of the GitHub token service.
    pub github_request_token: String,
    /// Headers (lower-case names) [`SUBJECT_TOKEN_PATH`] requires.
    pub subject_token_headers: Vec<(String, String)>,
    /// Whether Compute accepts federated (STS) tokens directly, without impersonation
    /// (direct resource access); their scope must still allow the call.
    pub federated_access: bool,
    /// Whether the metadata server answers (false: 404, not on Google Cloud).
    pub metadata: bool,
    /// How long `wait` holds a request at most (Google: about 2 minutes).
    pub hold: Duration,
    /// `wait` answered with this HTTP status instead (404, 405, 403, 501…), to exercise
    /// the client's `get` fallback.
    pub refuse_wait: Option<u16>,
    /// Permissions refused with 403 `PERMISSION_DENIED` (`compute.urlMaps.invalidateCache`,
    /// `compute.globalOperations.get`, `iam.serviceAccounts.getAccessToken`).
    pub deny: Vec<String>,
    /// How a scenario's `throttle=N` is answered.
    pub throttle: Throttle,
    /// `invalidateCache` calls answered 429 `RESOURCE_EXHAUSTED` first.
    pub throttle_creates: u32,
    /// `invalidateCache` calls answered 403 `rateLimitExceeded` first (after those).
    pub rate_limit_creates: u32,
    /// `invalidateCache` calls answered 503 `backendError` first (after those).
    pub error_creates: u32,
    /// Accepted `invalidateCache` calls whose connection is reset after the operation was
    /// created.
    pub reset_creates: u32,
    /// Invalidations accepted per rolling minute; more are answered 429 (Google: 500).
    pub invalidations_per_minute: Option<u32>,
    /// Compute calls answered 401 first although their token is valid (a token revoked
    /// early: the client should refresh once).
    pub unauthorized_calls: u32,
    /// `Retry-After` seconds sent with the create-call throttling answers.
    pub retry_after: Option<u64>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            project: DEMO_PROJECT.into(),
            project_number: DEMO_PROJECT_NUMBER.into(),
            url_maps: vec![DEMO_URL_MAP.into()],
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            service_account: DEMO_SERVICE_ACCOUNT.into(),
            private_key_id: DEMO_PRIVATE_KEY_ID.into(),
            private_key_pem: DEMO_PRIVATE_KEY_PEM.into(),
            access_tokens: vec![DEMO_ACCESS_TOKEN.into()],
            token_lifetime: Duration::from_secs(3599),
            sts_lifetime: Duration::from_secs(3599),
            impersonation_lifetime: None,
            max_impersonation_lifetime: Duration::from_secs(3600),
            metadata_lifetime: Duration::from_secs(3599),
            max_skew: Duration::from_secs(300),
            clock_offset: 0,
            workload_identity_provider: DEMO_WORKLOAD_IDENTITY_PROVIDER.into(),
            oidc_token: DEMO_OIDC_TOKEN.into(),
            oidc_audience: DEMO_OIDC_AUDIENCE.into(),
            github_request_token: DEMO_GITHUB_REQUEST_TOKEN.into(),
            subject_token_headers: vec![(
                DEMO_SUBJECT_HEADER.0.into(),
                DEMO_SUBJECT_HEADER.1.into(),
            )],
            federated_access: true,
            metadata: true,
            hold: Duration::from_secs(120),
            refuse_wait: None,
            deny: Vec::new(),
            throttle: Throttle::TooManyRequests,
            throttle_creates: 0,
            rate_limit_creates: 0,
            error_creates: 0,
            reset_creates: 0,
            invalidations_per_minute: Some(500),
            unauthorized_calls: 0,
            retry_after: None,
        }
    }
}

/// A service account key file like [`DEMO_SERVICE_ACCOUNT_KEY_JSON`], its `token_uri`
/// set to `token_uri` (e.g. the simulator's URL + [`TOKEN_PATH`]).
pub fn service_account_key_json(token_uri: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap_or_default();
    v["token_uri"] = token_uri.into();
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// An external_account file for the demo provider, against the simulator at `base`
/// (`http://127.0.0.1:PORT`): STS at [`STS_PATH`], the given `credential_source` (e.g.
/// `{"file": "/path"}`, or `{"url": …, "headers": {…}, "format": {…}}`), and with
/// `impersonate`, `service_account_impersonation_url` for [`DEMO_SERVICE_ACCOUNT`].
pub fn external_account_json(
    base: &str,
    credential_source: serde_json::Value,
    impersonate: bool,
) -> String {
    let mut v = serde_json::json!({
        "type": "external_account",
        "audience": DEMO_STS_AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{base}{STS_PATH}"),
        "credential_source": credential_source,
    });
    if impersonate {
        v["service_account_impersonation_url"] =
            format!("{base}{IAM_CREDENTIALS_PREFIX}{DEMO_SERVICE_ACCOUNT}:generateAccessToken")
                .into();
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The endpoints, as the request log's labels name them (each label starts with
/// [`Endpoint::label`] and `": "`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET …/global/operations/{name}`.
    Get,
    /// `POST …/global/operations/{name}/wait`.
    Wait,
    /// `POST …/global/urlMaps/{m}/invalidateCache`.
    InvalidateCache,
    /// The OAuth token endpoint.
    OAuthToken,
    /// STS.
    Sts,
    /// IAM Credentials generateAccessToken.
    GenerateAccessToken,
    /// The GitHub OIDC token service.
    GithubToken,
    /// The URL credential source.
    SubjectToken,
    /// The metadata server.
    Metadata,
    /// Anything else (404).
    Other,
}

impl Endpoint {
    /// The label prefix in the request log.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Get => "get",
            Endpoint::Wait => "wait",
            Endpoint::InvalidateCache => "invalidateCache",
            Endpoint::OAuthToken => "oauth",
            Endpoint::Sts => "sts",
            Endpoint::GenerateAccessToken => "iamcredentials",
            Endpoint::GithubToken => "github",
            Endpoint::SubjectToken => "subject",
            Endpoint::Metadata => "metadata",
            Endpoint::Other => "other",
        }
    }

    /// The endpoint a request (method, path) is for.
    pub fn of(method: &str, path: &str) -> Endpoint {
        let path = path.split('?').next().unwrap_or_default();
        if let Some(rest) = path.strip_prefix(COMPUTE_PREFIX) {
            let parts: Vec<&str> = rest.split('/').collect();
            return match (method, parts.as_slice()) {
                ("GET", [_, "global", "operations", _]) => Endpoint::Get,
                (_, [_, "global", "operations", _, "wait"]) => Endpoint::Wait,
                (_, [_, "global", "urlMaps", _, "invalidateCache"]) => Endpoint::InvalidateCache,
                _ => Endpoint::Other,
            };
        }
        match path {
            TOKEN_PATH => Endpoint::OAuthToken,
            STS_PATH => Endpoint::Sts,
            GITHUB_TOKEN_PATH => Endpoint::GithubToken,
            SUBJECT_TOKEN_PATH => Endpoint::SubjectToken,
            "/" => Endpoint::Metadata,
            p if p.starts_with(METADATA_PREFIX) => Endpoint::Metadata,
            p if p.starts_with(IAM_CREDENTIALS_PREFIX) => Endpoint::GenerateAccessToken,
            _ => Endpoint::Other,
        }
    }
}

/// How many logged requests went to `endpoint`.
pub fn count(requests: &[Record], endpoint: Endpoint) -> usize {
    requests
        .iter()
        .filter(|r| Endpoint::of(&r.method, &r.target) == endpoint)
        .count()
}

/// Which issuer minted a token (what it may be used for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The OAuth token endpoint (a service account).
    OAuth,
    /// STS (a federated principal).
    Federated,
    /// generateAccessToken (the impersonated service account).
    Impersonated,
    /// The metadata server.
    Metadata,
}

/// A token this simulator issued.
struct Issued {
    kind: Kind,
    scopes: Vec<String>,
    expires: Instant,
}

/// One operation the project knows.
struct Op {
    scenario: Scenario,
    /// When it was created, or first asked about (scripted ones).
    first_seen: Option<Instant>,
    insert_time: chrono::DateTime<chrono::Utc>,
    id: u64,
    answers: u32,
    finished_answers: u32,
    /// For created ones: the URL map, the rule and the requestId.
    url_map: String,
    description: String,
    request_id: Option<String>,
    rule: Option<serde_json::Value>,
}

/// What the service has done, and its fault counters.
#[derive(Default)]
struct Book {
    ops: HashMap<String, Op>,
    tokens: HashMap<String, Issued>,
    creates: Vec<Instant>,
    throttled: u32,
    rate_limited: u32,
    errored: u32,
    resets: u32,
    unauthorized: u32,
}

/// The simulated Google APIs.
pub struct GoogleCloudCdnSim {
    setup: Setup,
    /// The RSAPublicKey (DER) of the accepted key, if its PEM parsed.
    public_key: Option<Vec<u8>>,
    book: Mutex<Book>,
}

impl GoogleCloudCdnSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        let public_key = auth::public_key(&setup.private_key_pem);
        GoogleCloudCdnSim {
            setup,
            public_key,
            book: Mutex::new(Book::default()),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A JSON answer.
fn json(status: u16, body: String, label: String) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", "application/json; charset=UTF-8".into())],
        body,
        label,
        reset: false,
    }
}

/// Google's error envelope: `{"error": {"code", "message", "errors": [{"message",
/// "domain", "reason"}], "status"}}`.
fn google_error(ep: Endpoint, status: u16, word: &str, message: &str, reason: &str) -> Answer {
    let domain = if reason == "rateLimitExceeded" {
        "usageLimits"
    } else {
        "global"
    };
    let body = serde_json::json!({"error": {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
        "status": word,
    }});
    json(
        status,
        body.to_string(),
        format!("{}: {status} {reason}", ep.label()),
    )
}

/// A text answer.
fn text(status: u16, content_type: &str, body: String, label: String) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", content_type.to_string())],
        body,
        label,
        reset: false,
    }
}

/// Google's front end's HTML 404 for a URL no API serves.
fn not_found_page(path: &str) -> Answer {
    text(
        404,
        "text/html; charset=UTF-8",
        format!(
            "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>{}</code> was not found on this server. <ins>That’s all we know.</ins>",
            path.replace('<', "&lt;").replace('>', "&gt;")
        ),
        "other: 404".into(),
    )
}

impl Api for GoogleCloudCdnSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        match Endpoint::of(&req.method, &req.path) {
            Endpoint::Get | Endpoint::Wait | Endpoint::InvalidateCache => self.compute(req),
            Endpoint::OAuthToken => self.oauth(req),
            Endpoint::Sts => self.sts(req),
            Endpoint::GenerateAccessToken => self.generate_access_token(req),
            Endpoint::GithubToken => self.github(req),
            Endpoint::SubjectToken => self.subject_token(req),
            Endpoint::Metadata => self.metadata_server(req),
            Endpoint::Other => match req.path.strip_prefix(COMPUTE_PREFIX) {
                Some(_) => self.compute(req),
                None => not_found_page(&req.path),
            },
        }
    }

    fn hold(&self, req: &SimRequest) -> Duration {
        if Endpoint::of(&req.method, &req.path) == Endpoint::Wait {
            self.wait_hold(req)
        } else {
            Duration::ZERO
        }
    }
}
