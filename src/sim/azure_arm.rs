//! Simulated Azure Resource Manager operation status, with its Entra ID token endpoint and
//! the GitHub Actions OIDC token endpoint, on one port.
//!
//! - `POST /{tenant}/oauth2/v2.0/token` checks the form like Entra ID: `grant_type`, the
//!   tenant, `client_id`, `scope` (the cloud's ARM scope), and either `client_secret` or
//!   `client_assertion_type` + `client_assertion` (the federated token); refuses with Entra's
//!   `{"error","error_description":"AADSTS…","error_codes",…}`; issues tokens that expire after
//!   [`Setup::token_lifetime`].
//! - `GET /github/idtoken?api-version=2.0&audience=…` is a mock `ACTIONS_ID_TOKEN_REQUEST_URL`:
//!   it checks the bearer request token and hands out the federated token for the expected
//!   audience (another audience gets a token Entra will refuse).
//! - ARM checks `Authorization: Bearer` (issued, not expired; `ExpiredAuthenticationToken`,
//!   `InvalidAuthenticationToken`), the subscription and `api-version`, and answers:
//!   - Azure-AsyncOperation style, `…/providers/{rp}/locations/{loc}/operationStatuses/{id}` and
//!     Microsoft.Cdn's `…/resourceGroups/{rg}/providers/{rp}/operationresults/{id}` (which sends
//!     `"error":{"code":"None"}` on every answer, like the real one): `200` with `status`,
//!     `percentComplete`, times, and on failure `error` with `code`, `message`, `target`,
//!     `details`;
//!   - Location style, `…/providers/{rp}/locations/{loc}/operationResults/{id}`: `202` with a
//!     new `Location` (`&step=N`) while running, `204` when done.
//!
//!   - purges, `POST …/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/{p}/endpoints/{e}/purge`
//!     and `…/afdEndpoints/{e}/purge`: checks `{"contentPaths":[…]}` (each a path starting
//!     with `/`, no `..`, a wildcard only as a trailing `/*`) and Front Door's `domains`
//!     (those of [`Setup::afd_domains`]), refusing with `400 {"error":{"code":"BadRequest"}}`;
//!     creates an operation ([`Setup::purge`]) and answers `202` with `Azure-AsyncOperation`
//!     (`…/providers/Microsoft.Cdn/operationresults/{id}`), `Location`
//!     (`…/operationresults/{id}/profileresults/{profile}`) and `Retry-After`. Fault knobs:
//!     [`Setup::throttle_purges`] (`429` + `Retry-After: 1`, nothing created) and
//!     [`Setup::reset_purges`] (the operation is created, then the connection is reset).
//!
//!   Every ARM answer carries `x-ms-request-id` and `x-ms-correlation-request-id`.
//!
//!   Malformed answers, scripted by [`Setup::done_answer`]: an Azure-AsyncOperation URL that
//!   answers an empty `200` or a `204` once done, or a body with `status` twice; by
//!   [`Setup::purge_status`], [`Setup::purge_monitors`] and [`Setup::purge_monitor_id`]: a
//!   purge answered `200` with its monitor URL, with only one of the two headers, or naming a
//!   hostile monitor URL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use super::{Answer, Api, Ending, Scenario, SimRequest, random_guid};
use crate::auth::entra::{ASSERTION_TYPE, Cloud};

/// The demo tenant.
pub const DEMO_TENANT: &str = "72f988bf-0000-4000-8000-000000000001";
/// The demo application (client) id.
pub const DEMO_CLIENT: &str = "0a1b2c3d-0000-4000-8000-000000000002";
/// The demo client secret (not real).
pub const DEMO_CLIENT_SECRET: &str = "demo~client~secret~not~real";
/// The demo subscription.
pub const DEMO_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
/// The federated token (a JWT in real life) the demo app trusts.
pub const DEMO_FEDERATED_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.demo-federated-token.sig";
/// The demo `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub const DEMO_GITHUB_REQUEST_TOKEN: &str = "demo-actions-id-token-request-token";
/// The default domain of the simulated Front Door endpoints.
pub const DEMO_AFD_DOMAIN: &str = "demo-endpoint-abcdefgh.z01.azurefd.net";
/// The path of the mock `ACTIONS_ID_TOKEN_REQUEST_URL`.
pub const GITHUB_PATH: &str = "/github/idtoken";

/// How ARM treats tokens, beyond checking them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmAuth {
    /// Accept valid tokens.
    Normal,
    /// Refuse every token with 401 (a token for the wrong tenant, say).
    RejectAll,
    /// Accept tokens but refuse reading with 403 `AuthorizationFailed` (no role).
    Forbidden,
}

/// What the simulated tenant and subscription accept and how operations behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The tenant.
    pub tenant_id: String,
    /// The app registration.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// The federated token its federated credential trusts.
    pub federated_token: String,
    /// The GitHub request token the mock OIDC endpoint accepts.
    pub github_request_token: String,
    /// The OIDC audience the federated credential expects.
    pub audience: String,
    /// The scope the token endpoint accepts.
    pub scope: String,
    /// An access token ARM accepts as is (for `access-token`).
    pub static_token: Option<String>,
    /// Lifetime of issued tokens (the `expires_in` the token endpoint answers).
    pub token_lifetime: Duration,
    /// How long before its advertised expiry ARM already refuses a token (clock skew, time in
    /// transit): a client that uses a token to its last second is refused.
    pub expiry_slack: Duration,
    /// The subscription.
    pub subscription_id: String,
    /// Scripted operations (ids compared case-insensitively).
    pub ops: Vec<(String, Scenario)>,
    /// How operations that were not scripted behave.
    pub default: Scenario,
    /// `Retry-After` seconds sent with pending answers.
    pub pending_retry_after: Option<u64>,
    /// `retry-after-ms` sent with 503 answers.
    pub error_retry_after_ms: Option<u64>,
    /// How ARM treats valid tokens.
    pub arm_auth: ArmAuth,
    /// How operations created by purges behave.
    pub purge: Scenario,
    /// `Retry-After` seconds of a purge's `202`.
    pub purge_retry_after: Option<u64>,
    /// The domains of every Front Door endpoint.
    pub afd_domains: Vec<String>,
    /// Purge calls whose connection is reset after the operation was created.
    pub reset_purges: u32,
    /// Purge calls answered `429 TooManyRequests` (nothing created) before any is accepted.
    pub throttle_purges: u32,
    /// How an Azure-AsyncOperation URL answers once its operation has succeeded.
    pub done_answer: DoneAnswer,
    /// The HTTP status of an accepted purge: `202`, or `200` (still with its monitor URLs,
    /// which must then be polled, not taken as done).
    pub purge_status: u16,
    /// Which monitor URLs an accepted purge names.
    pub purge_monitors: PurgeMonitors,
    /// Put in the monitor URLs of purges in place of the operation id, as is (percent-encoded
    /// text such as `x%0A::error::forged` makes a hostile URL).
    pub purge_monitor_id: Option<String>,
}

/// How an Azure-AsyncOperation URL answers once its operation has succeeded. All but
/// [`DoneAnswer::Status`] are malformed answers that a client must never take for success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneAnswer {
    /// `200` with `"status":"Succeeded"` (the real service).
    Status,
    /// `200` with an empty body.
    EmptyOk,
    /// `204 No Content`.
    NoContent,
    /// `200` with `"status"` twice, `InProgress` then `Succeeded`, on every answer (running
    /// or not): a parser that keeps the last key reports success at once.
    DuplicateStatus,
}

/// The monitor URL headers of an accepted purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeMonitors {
    /// `Azure-AsyncOperation` and `Location`, as Microsoft.Cdn sends.
    Both,
    /// `Azure-AsyncOperation` only.
    AsyncOperation,
    /// `Location` only.
    Location,
}

impl Setup {
    /// The demo tenant in `cloud` (scope and audience are the cloud's).
    pub fn for_cloud(cloud: Cloud) -> Self {
        Setup {
            tenant_id: DEMO_TENANT.into(),
            client_id: DEMO_CLIENT.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            federated_token: DEMO_FEDERATED_TOKEN.into(),
            github_request_token: DEMO_GITHUB_REQUEST_TOKEN.into(),
            audience: cloud.token_exchange_audience().into(),
            scope: cloud.scope(),
            static_token: None,
            token_lifetime: Duration::from_secs(3599),
            expiry_slack: Duration::ZERO,
            subscription_id: DEMO_SUBSCRIPTION.into(),
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            pending_retry_after: None,
            error_retry_after_ms: None,
            arm_auth: ArmAuth::Normal,
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            purge_retry_after: Some(1),
            afd_domains: vec![DEMO_AFD_DOMAIN.into(), "www.example.com".into()],
            reset_purges: 0,
            throttle_purges: 0,
            done_answer: DoneAnswer::Status,
            purge_status: 202,
            purge_monitors: PurgeMonitors::Both,
            purge_monitor_id: None,
        }
    }
}

impl Default for Setup {
    fn default() -> Self {
        Setup::for_cloud(Cloud::Public)
    }
}

struct OpState {
    scenario: Scenario,
    first_seen: Instant,
    first_seen_wall: chrono::DateTime<Utc>,
    answers: u32,
    /// Answers given after the operation ended (for `Ending::Regress`).
    terminal_answers: u32,
}

/// The simulated services.
pub struct AzureArmSim {
    setup: Setup,
    ops: Mutex<HashMap<String, OpState>>,
    tokens: Mutex<HashMap<String, Instant>>,
    purges: Mutex<PurgeBook>,
}

/// What the purge API has done.
#[derive(Default)]
struct PurgeBook {
    created: Vec<Purge>,
    resets: u32,
    throttled: u32,
}

/// A purge the simulator accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purge {
    /// The operation id.
    pub id: String,
    /// `afdEndpoints` (true) or `endpoints`.
    pub front_door: bool,
    /// `contentPaths`.
    pub paths: Vec<String>,
    /// `domains` (Front Door).
    pub domains: Vec<String>,
}

/// Where an ARM path points.
enum Route<'a> {
    Status { id: &'a str, cdn: bool },
    Location { id: &'a str },
    Purge { front_door: bool },
}

impl AzureArmSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        AzureArmSim {
            setup,
            ops: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            purges: Mutex::new(PurgeBook::default()),
        }
    }

    /// Every purge accepted so far (a reset one included).
    pub fn purges_created(&self) -> Vec<Purge> {
        self.purges.lock().expect("purge lock").created.clone()
    }

    /// `POST …/purge`: checks the body, creates an operation, answers 202 with its monitor
    /// URLs.
    fn purge(&self, req: &SimRequest, front_door: bool) -> Answer {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            content_paths: Option<Vec<String>>,
            #[serde(default)]
            domains: Vec<String>,
        }
        let bad = |message: String| Self::arm_error(400, "BadRequest", &message);
        let Ok(body) = serde_json::from_slice::<Body>(&req.body) else {
            return Self::arm_error(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized.",
            );
        };
        let paths = body.content_paths.unwrap_or_default();
        if paths.is_empty() {
            return bad("ContentPaths is required.".into());
        }
        for path in &paths {
            let wildcard_ok =
                !path.contains('*') || (path.ends_with("/*") && path.matches('*').count() == 1);
            if !path.starts_with('/') || path.contains("..") || !wildcard_ok {
                return bad(format!("Invalid content path: '{path}'."));
            }
        }
        for domain in &body.domains {
            if !front_door {
                return bad("Domains can only be specified for AFD endpoints.".into());
            }
            if !self
                .setup
                .afd_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
            {
                return bad(format!(
                    "The domain '{domain}' is not associated with this endpoint."
                ));
            }
        }
        let mut book = self.purges.lock().expect("purge lock");
        if book.throttled < self.setup.throttle_purges {
            book.throttled += 1;
            let mut a = Self::arm_error(
                429,
                "TooManyRequests",
                "Too many purge requests. Please retry after 1 seconds.",
            );
            a.headers.push(("retry-after", "1".into()));
            return a;
        }
        let id = random_guid();
        book.created.push(Purge {
            id: id.clone(),
            front_door,
            paths,
            domains: body.domains,
        });
        self.ops.lock().expect("ops lock").insert(
            id.clone(),
            OpState {
                scenario: self.setup.purge.clone(),
                first_seen: Instant::now(),
                first_seen_wall: Utc::now(),
                answers: 0,
                terminal_answers: 0,
            },
        );
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let (sub, rg, profile) = (segments[1], segments[3], segments[7]);
        let host = req.header("host").unwrap_or("127.0.0.1");
        let version = query_value(req, "api-version").unwrap_or_default();
        let shown_id = self.setup.purge_monitor_id.as_deref().unwrap_or(&id);
        let base = format!(
            "http://{host}/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Cdn/operationresults/{shown_id}"
        );
        let mut headers = Vec::new();
        if self.setup.purge_monitors != PurgeMonitors::Location {
            headers.push((
                "azure-asyncoperation",
                format!("{base}?api-version={version}"),
            ));
        }
        if self.setup.purge_monitors != PurgeMonitors::AsyncOperation {
            headers.push((
                "location",
                format!("{base}/profileresults/{profile}?api-version={version}"),
            ));
        }
        let mut a = Self::arm_headers(Answer {
            status: self.setup.purge_status,
            headers,
            body: if self.setup.purge_status == 200 {
                "{}".into()
            } else {
                String::new()
            },
            label: "purge accepted".into(),
            reset: false,
        });
        if let Some(secs) = self.setup.purge_retry_after {
            a.headers.push(("retry-after", secs.to_string()));
        }
        if book.resets < self.setup.reset_purges {
            book.resets += 1;
            a.reset = true;
            a.label = "purge accepted, connection reset".into();
        }
        a
    }

    fn json(status: u16, body: Value, label: &str) -> Answer {
        Answer {
            status,
            headers: vec![("content-type", "application/json; charset=utf-8".into())],
            body: body.to_string(),
            label: label.to_string(),
            reset: false,
        }
    }

    fn entra_error(status: u16, error: &str, code: u64, text: &str) -> Answer {
        let trace = random_guid();
        let corr = random_guid();
        Self::json(
            status,
            json!({
                "error": error,
                "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {}", Utc::now().format("%Y-%m-%d %H:%M:%SZ")),
                "error_codes": [code],
                "timestamp": Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
                "trace_id": trace,
                "correlation_id": corr,
            }),
            &format!("AADSTS{code}"),
        )
    }

    fn token(&self, req: &SimRequest, tenant: &str) -> Answer {
        if req.method != "POST" {
            return Self::entra_error(
                405,
                "invalid_request",
                900561,
                "The endpoint only accepts POST requests.",
            );
        }
        let form_type = req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Self::entra_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            );
        }
        let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let field = |k: &str| form.get(k).map(String::as_str);
        let s = &self.setup;
        if field("grant_type") != Some("client_credentials") {
            return Self::entra_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            );
        }
        if !tenant.eq_ignore_ascii_case(&s.tenant_id) {
            return Self::entra_error(
                400,
                "invalid_request",
                90002,
                &format!("Tenant '{tenant}' not found."),
            );
        }
        if field("client_id") != Some(s.client_id.as_str()) {
            return Self::entra_error(
                400,
                "unauthorized_client",
                700016,
                "Application was not found in the directory.",
            );
        }
        if field("scope") != Some(s.scope.as_str()) {
            return Self::entra_error(
                400,
                "invalid_scope",
                70011,
                &format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {} is not valid.",
                    field("scope").unwrap_or_default()
                ),
            );
        }
        let flow = match (
            field("client_secret"),
            field("client_assertion_type"),
            field("client_assertion"),
        ) {
            (Some(secret), None, None) => {
                if secret != s.client_secret {
                    return Self::entra_error(
                        401,
                        "invalid_client",
                        7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                    );
                }
                "client_secret"
            }
            (None, Some(kind), Some(assertion)) => {
                if kind != ASSERTION_TYPE {
                    return Self::entra_error(
                        400,
                        "invalid_request",
                        50027,
                        "Invalid client_assertion_type.",
                    );
                }
                if assertion != s.federated_token {
                    return Self::entra_error(
                        400,
                        "invalid_client",
                        700213,
                        "No matching federated identity record found for presented assertion subject or audience.",
                    );
                }
                "client_assertion"
            }
            _ => {
                return Self::entra_error(
                    400,
                    "invalid_client",
                    7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                );
            }
        };
        let token = format!("sim-at.{}.{}", random_guid(), random_guid());
        self.tokens.lock().expect("tokens lock").insert(
            token.clone(),
            Instant::now() + s.token_lifetime.saturating_sub(s.expiry_slack),
        );
        Self::json(
            200,
            json!({
                "token_type": "Bearer",
                "expires_in": s.token_lifetime.as_secs_f64().ceil() as u64,
                "ext_expires_in": s.token_lifetime.as_secs_f64().ceil() as u64,
                "access_token": token,
            }),
            &format!("token {flow}"),
        )
    }

    fn github(&self, req: &SimRequest) -> Answer {
        let expected = format!("Bearer {}", self.setup.github_request_token);
        if req.header("authorization") != Some(expected.as_str()) {
            return Answer {
                status: 401,
                headers: vec![],
                body: String::new(),
                label: "github-oidc unauthorized".into(),
                reset: false,
            };
        }
        let audience = req
            .query
            .as_deref()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "audience")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let value = if audience == self.setup.audience {
            self.setup.federated_token.clone()
        } else {
            format!("eyJhbGciOiJSUzI1NiJ9.aud-{}.sig", audience.len())
        };
        Self::json(
            200,
            json!({ "count": 1, "value": value }),
            &format!("github-oidc {audience}"),
        )
    }

    fn arm_headers(mut a: Answer) -> Answer {
        a.headers.push(("x-ms-request-id", random_guid()));
        a.headers
            .push(("x-ms-correlation-request-id", random_guid()));
        a
    }

    fn arm_error(status: u16, code: &str, message: &str) -> Answer {
        Self::arm_headers(Self::json(
            status,
            json!({"error": {"code": code, "message": message}}),
            code,
        ))
    }

    fn check_token(&self, req: &SimRequest) -> Option<Answer> {
        let Some(token) = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
        else {
            return Some(Self::arm_error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ));
        };
        let valid = if self.setup.static_token.as_deref() == Some(token) {
            true
        } else {
            match self.tokens.lock().expect("tokens lock").get(token) {
                None => false,
                Some(expiry) if Instant::now() >= *expiry => {
                    return Some(Self::arm_error(
                        401,
                        "ExpiredAuthenticationToken",
                        "The access token expiry UTC time is earlier than current UTC time.",
                    ));
                }
                Some(_) => true,
            }
        };
        if !valid || self.setup.arm_auth == ArmAuth::RejectAll {
            return Some(Self::arm_error(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ));
        }
        None
    }

    fn route<'a>(segments: &[&'a str]) -> Option<Route<'a>> {
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        match l[..] {
            [
                "subscriptions",
                _,
                "providers",
                _,
                "locations",
                _,
                "operationstatuses",
                _,
            ] => Some(Route::Status {
                id: segments[7],
                cdn: false,
            }),
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                _,
                "operationresults",
                _,
            ] => Some(Route::Status {
                id: segments[7],
                cdn: true,
            }),
            [
                "subscriptions",
                _,
                "providers",
                _,
                "locations",
                _,
                "operationresults",
                _,
            ] => Some(Route::Location { id: segments[7] }),
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                _,
                "operationresults",
                _,
                "profileresults",
                _,
            ] => Some(Route::Location { id: segments[7] }),
            [
                "subscriptions",
                _,
                "resourcegroups",
                _,
                "providers",
                "microsoft.cdn",
                "profiles",
                _,
                kind @ ("endpoints" | "afdendpoints"),
                _,
                "purge",
            ] => Some(Route::Purge {
                front_door: kind == "afdendpoints",
            }),
            _ => None,
        }
    }

    fn operation(&self, req: &SimRequest, route: Route<'_>) -> Answer {
        let id = match route {
            Route::Status { id, .. } | Route::Location { id } => id,
            Route::Purge { .. } => unreachable!("purges are answered by purge()"),
        };
        let mut ops = self.ops.lock().expect("ops lock");
        let state = ops
            .entry(id.to_ascii_lowercase())
            .or_insert_with(|| OpState {
                scenario: Scenario::for_id(&self.setup.ops, &self.setup.default, id),
                first_seen: Instant::now(),
                first_seen_wall: Utc::now(),
                answers: 0,
                terminal_answers: 0,
            });
        state.answers += 1;
        let s = &state.scenario.clone();
        if state.answers <= s.throttle {
            let mut a = Self::arm_error(429, "TooManyRequests", "The request is being throttled.");
            if let Some(secs) = s.retry_after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            return a;
        }
        if state.answers <= s.throttle + s.errors {
            let mut a = Self::arm_error(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
            );
            if let Some(ms) = self.setup.error_retry_after_ms {
                a.headers.push(("retry-after-ms", ms.to_string()));
            }
            a.label = "503".into();
            return a;
        }
        if s.unknown(state.first_seen.elapsed()) {
            return Self::arm_error(
                404,
                "ResourceNotFound",
                &format!("The operation '{id}' could not be found."),
            );
        }
        let elapsed = state.first_seen.elapsed();
        let done = s.finished(elapsed, &mut state.terminal_answers);
        let pending_retry = |mut a: Answer| {
            if let Some(secs) = self.setup.pending_retry_after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            a
        };
        if let Route::Location { .. } = route {
            if !done {
                let step = state.answers;
                let api = req
                    .query
                    .as_deref()
                    .and_then(|q| {
                        url::form_urlencoded::parse(q.as_bytes())
                            .find(|(k, _)| k == "api-version")
                            .map(|(_, v)| v.into_owned())
                    })
                    .unwrap_or_default();
                let host = req.header("host").unwrap_or("127.0.0.1");
                let next = format!("http://{host}{}?api-version={api}&step={step}", req.path);
                let mut a = Self::arm_headers(Answer {
                    status: 202,
                    headers: vec![("location", next)],
                    body: String::new(),
                    label: "202".into(),
                    reset: false,
                });
                a = pending_retry(a);
                return a;
            }
            if matches!(s.ending, Ending::Succeeded | Ending::Regress) {
                return Self::arm_headers(Answer {
                    status: 204,
                    headers: vec![],
                    body: String::new(),
                    label: "204".into(),
                    reset: false,
                });
            }
        }
        if self.setup.done_answer == DoneAnswer::DuplicateStatus {
            return Self::arm_headers(Answer {
                status: 200,
                headers: vec![("content-type", "application/json".into())],
                body: r#"{"status":"InProgress","percentComplete":50,"status":"Succeeded"}"#.into(),
                label: "duplicate status".into(),
                reset: false,
            });
        }
        if done && matches!(s.ending, Ending::Succeeded | Ending::Regress) {
            let (status, label) = match self.setup.done_answer {
                DoneAnswer::EmptyOk => (200, "200 empty"),
                DoneAnswer::NoContent => (204, "204"),
                DoneAnswer::Status | DoneAnswer::DuplicateStatus => (0, ""),
            };
            if status != 0 {
                return Self::arm_headers(Answer {
                    status,
                    headers: vec![],
                    body: String::new(),
                    label: label.into(),
                    reset: false,
                });
            }
        }
        let cdn = matches!(route, Route::Status { cdn: true, .. });
        let percent = if s.after.is_zero() {
            100.0
        } else {
            (elapsed.as_secs_f64() / s.after.as_secs_f64() * 100.0)
                .min(99.0)
                .floor()
        };
        let status = match (&s.ending, done) {
            (_, false) => "InProgress".to_string(),
            (Ending::Succeeded | Ending::Regress, true) => "Succeeded".into(),
            (Ending::Failed, true) => "Failed".into(),
            (Ending::Word(w), true) => w.clone(),
            (Ending::Malformed, true) => {
                return Self::arm_headers(Answer {
                    status: 200,
                    headers: vec![("content-type", "application/json".into())],
                    body: "{\"status\":\"Succ".into(),
                    label: "malformed".into(),
                    reset: false,
                });
            }
            (Ending::Stuck | Ending::Missing, true) => unreachable!("handled above"),
        };
        let mut body = json!({
            "id": format!("/subscriptions/{}/providers/Microsoft.Sim/locations/sim/operationStatuses/{id}", self.setup.subscription_id),
            "name": id,
            "status": status,
            "startTime": state.first_seen_wall.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        if done {
            body["endTime"] = json!(
                (state.first_seen_wall + chrono::Duration::from_std(s.after).unwrap_or_default())
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
            body["percentComplete"] = json!(100.0);
        } else {
            body["percentComplete"] = json!(percent);
        }
        let lower = status.to_ascii_lowercase();
        if done && s.ending == Ending::Failed {
            body["error"] = json!({
                "code": "PurgeFailed",
                "message": s.message.clone().unwrap_or_else(|| "The purge did not complete on every edge node.".into()),
                "target": "contentPaths",
                "details": [
                    {"code": "OriginUnreachable", "message": "The origin did not answer within 30 s.", "target": "/images/*"}
                ],
            });
        } else if done && (lower == "canceled" || lower == "cancelled") {
            body["error"] = json!({
                "code": "OperationCanceled",
                "message": s.message.clone().unwrap_or_else(|| "The operation was canceled.".into()),
            });
        } else if cdn {
            body["error"] = json!({"code": "None", "message": null});
        }
        let mut a = Self::arm_headers(Self::json(200, body, &status));
        if !done {
            a = pending_retry(a);
        }
        a
    }
}

impl Api for AzureArmSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        if let [tenant, "oauth2", "v2.0", "token"] = segments[..] {
            return self.token(req, tenant);
        }
        if req.path == GITHUB_PATH {
            return self.github(req);
        }
        if let Some(refusal) = self.check_token(req) {
            return refusal;
        }
        let Some(route) = Self::route(&segments) else {
            return Self::arm_error(
                404,
                "InvalidResourceType",
                "The resource type could not be found.",
            );
        };
        let wants = if matches!(route, Route::Purge { .. }) {
            "POST"
        } else {
            "GET"
        };
        if req.method != wants {
            return Self::arm_error(405, "MethodNotAllowed", "Method not allowed.");
        }
        if !segments[1].eq_ignore_ascii_case(&self.setup.subscription_id) {
            return Self::arm_error(
                404,
                "SubscriptionNotFound",
                &format!("The subscription '{}' could not be found.", segments[1]),
            );
        }
        let has_version = req.query.as_deref().is_some_and(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .any(|(k, v)| k == "api-version" && !v.is_empty())
        });
        if !has_version {
            return Self::arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            );
        }
        if self.setup.arm_auth == ArmAuth::Forbidden {
            let action = match route {
                Route::Purge { front_door: true } => {
                    "Microsoft.Cdn/profiles/afdEndpoints/Purge/action"
                }
                Route::Purge { front_door: false } => {
                    "Microsoft.Cdn/profiles/endpoints/Purge/action"
                }
                _ => "Microsoft.Cdn/operationresults/read",
            };
            return Self::arm_error(
                403,
                "AuthorizationFailed",
                &format!(
                    "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '/subscriptions/{}' or the scope is invalid.",
                    self.setup.client_id, self.setup.client_id, self.setup.subscription_id
                ),
            );
        }
        match route {
            Route::Purge { front_door } => self.purge(req, front_door),
            route => self.operation(req, route),
        }
    }
}

fn query_value(req: &SimRequest, key: &str) -> Option<String> {
    req.query.as_deref().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str, form: &[(&str, &str)]) -> SimRequest {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        SimRequest {
            method: "POST".into(),
            path: path.into(),
            query: None,
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: body.into(),
        }
    }

    fn get(path: &str, query: &str, token: Option<&str>) -> SimRequest {
        SimRequest {
            method: "GET".into(),
            path: path.into(),
            query: Some(query.into()),
            headers: token
                .map(|t| vec![("authorization".into(), format!("Bearer {t}"))])
                .unwrap_or_default(),
            body: Default::default(),
        }
    }

    const TOKEN_PATH: &str = "/72f988bf-0000-4000-8000-000000000001/oauth2/v2.0/token";

    fn secret_form<'a>(secret: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_CLIENT),
            ("scope", scope),
            ("client_secret", secret),
        ]
    }

    #[test]
    fn token_endpoint_checks_every_form_field() {
        let sim = AzureArmSim::new(Setup::default());
        let scope = Cloud::Public.scope();
        let ok = sim.answer(&post(TOKEN_PATH, &secret_form(DEMO_CLIENT_SECRET, &scope)));
        assert_eq!((ok.status, ok.label.as_str()), (200, "token client_secret"));
        let v: Value = serde_json::from_str(&ok.body).unwrap();
        assert_eq!(v["expires_in"], 3599);
        type Form<'a> = Vec<(&'a str, &'a str)>;
        let cases: Vec<(Form, &str, &str)> = vec![
            (secret_form("wrong", &scope), TOKEN_PATH, "AADSTS7000215"),
            (
                secret_form(
                    DEMO_CLIENT_SECRET,
                    "https://management.chinacloudapi.cn/.default",
                ),
                TOKEN_PATH,
                "AADSTS70011",
            ),
            (
                secret_form(DEMO_CLIENT_SECRET, &scope),
                "/other-tenant/oauth2/v2.0/token",
                "AADSTS90002",
            ),
            (
                vec![("grant_type", "password"), ("client_id", DEMO_CLIENT)],
                TOKEN_PATH,
                "AADSTS70003",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", "someone"),
                    ("scope", &scope),
                ],
                TOKEN_PATH,
                "AADSTS700016",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", DEMO_CLIENT),
                    ("scope", &scope),
                ],
                TOKEN_PATH,
                "AADSTS7000216",
            ),
            (
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", DEMO_CLIENT),
                    ("scope", &scope),
                    ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", "not-the-trusted-token"),
                ],
                TOKEN_PATH,
                "AADSTS700213",
            ),
        ];
        for (form, path, code) in cases {
            let a = sim.answer(&post(path, &form));
            assert!(a.status >= 400, "{code}");
            assert_eq!(a.label, code);
            assert!(
                a.body
                    .contains(&format!("\"error_codes\":[{}]", &code[6..])),
                "{}",
                a.body
            );
        }
        let assertion = sim.answer(&post(
            TOKEN_PATH,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEMO_CLIENT),
                ("scope", &scope),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", DEMO_FEDERATED_TOKEN),
            ],
        ));
        assert_eq!(assertion.label, "token client_assertion");
        // Not a form: refused.
        let mut not_form = post(TOKEN_PATH, &secret_form(DEMO_CLIENT_SECRET, &scope));
        not_form.headers.clear();
        assert_eq!(sim.answer(&not_form).status, 400);
    }

    #[test]
    fn arm_checks_tokens_and_answers_both_styles() {
        let sim = AzureArmSim::new(Setup {
            default: Scenario::succeeds_after(Duration::from_secs(60)),
            ..Setup::default()
        });
        let ok = sim.answer(&post(
            TOKEN_PATH,
            &secret_form(DEMO_CLIENT_SECRET, &Cloud::Public.scope()),
        ));
        let token: Value = serde_json::from_str(&ok.body).unwrap();
        let token = token["access_token"].as_str().unwrap().to_string();
        let status = format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.ApiManagement/locations/westus/operationStatuses/op1"
        );
        let q = "api-version=2024-05-01";
        assert_eq!(
            sim.answer(&get(&status, q, None)).label,
            "AuthenticationFailed"
        );
        assert_eq!(
            sim.answer(&get(&status, q, Some("forged"))).label,
            "InvalidAuthenticationToken"
        );
        assert_eq!(
            sim.answer(&get(&status, "", Some(&token))).label,
            "MissingApiVersionParameter"
        );
        let a = sim.answer(&get(&status, q, Some(&token)));
        assert_eq!((a.status, a.label.as_str()), (200, "InProgress"));
        assert!(a.headers.iter().any(|(k, _)| *k == "x-ms-request-id"));
        assert!(
            a.headers
                .iter()
                .any(|(k, _)| *k == "x-ms-correlation-request-id")
        );
        let cdn = format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Cdn/operationresults/op2"
        );
        let a = sim.answer(&get(&cdn, q, Some(&token)));
        assert!(a.body.contains(r#""code":"None""#), "{}", a.body);
        let loc = format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.Cdn/locations/global/operationResults/op3"
        );
        let a = sim.answer(&get(&loc, q, Some(&token)));
        assert_eq!(a.status, 202);
        let location = &a.headers.iter().find(|(k, _)| *k == "location").unwrap().1;
        assert!(
            location.ends_with(&format!("{loc}?api-version=2024-05-01&step=1")),
            "{location}"
        );
        let other_sub = status.replace(DEMO_SUBSCRIPTION, "11111111-0000-0000-0000-000000000000");
        assert_eq!(
            sim.answer(&get(&other_sub, q, Some(&token))).label,
            "SubscriptionNotFound"
        );
    }

    fn purge_req(path: &str, body: &str, token: &str) -> SimRequest {
        SimRequest {
            method: "POST".into(),
            path: path.into(),
            query: Some("api-version=2024-02-01".into()),
            headers: vec![
                ("authorization".into(), format!("Bearer {token}")),
                ("host".into(), "127.0.0.1:9".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: body.as_bytes().to_vec().into(),
        }
    }

    #[test]
    fn purges_create_operations_and_refuse_bad_paths() {
        let sim = AzureArmSim::new(Setup {
            reset_purges: 1,
            throttle_purges: 1,
            ..Setup::default()
        });
        let ok = sim.answer(&post(
            TOKEN_PATH,
            &secret_form(DEMO_CLIENT_SECRET, &Cloud::Public.scope()),
        ));
        let token: Value = serde_json::from_str(&ok.body).unwrap();
        let token = token["access_token"].as_str().unwrap().to_string();
        let cdn = format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Cdn/profiles/p/endpoints/e/purge"
        );
        let afd = cdn.replace("/endpoints/", "/afdEndpoints/");
        let body = r#"{"contentPaths":["/a.png","/img/*"]}"#;
        assert_eq!(
            sim.answer(&purge_req(&cdn, body, "forged")).label,
            "InvalidAuthenticationToken"
        );
        for bad in [
            r#"{"contentPaths":["a.png"]}"#,
            r#"{"contentPaths":["/img/*.png"]}"#,
            r#"{"contentPaths":["/../etc/passwd"]}"#,
            r#"{"contentPaths":[]}"#,
            r#"{"contentPaths":["/a"],"domains":["www.example.com"]}"#,
        ] {
            let a = sim.answer(&purge_req(&cdn, bad, &token));
            assert_eq!((a.status, a.label.as_str()), (400, "BadRequest"), "{bad}");
        }
        let a = sim.answer(&purge_req(
            &afd,
            r#"{"contentPaths":["/a"],"domains":["other.example.org"]}"#,
            &token,
        ));
        assert!(a.body.contains("not associated"), "{}", a.body);
        assert!(sim.purges_created().is_empty(), "refusals create nothing");
        let a = sim.answer(&purge_req(&cdn, body, &token));
        assert_eq!((a.status, a.label.as_str()), (429, "TooManyRequests"));
        assert!(
            sim.purges_created().is_empty(),
            "throttled: nothing created"
        );
        let a = sim.answer(&purge_req(&cdn, body, &token));
        assert!(a.reset, "the first accepted purge is reset");
        let a = sim.answer(&purge_req(
            &afd,
            r#"{"contentPaths":["/*"],"domains":["www.example.com"]}"#,
            &token,
        ));
        assert_eq!((a.status, a.reset), (202, false));
        let created = sim.purges_created();
        assert_eq!(created.len(), 2);
        assert!(created[1].front_door);
        assert_eq!(created[1].domains, vec!["www.example.com".to_string()]);
        let header = |k: &str| a.headers.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        let id = &created[1].id;
        assert_eq!(
            header("azure-asyncoperation"),
            format!(
                "http://127.0.0.1:9/subscriptions/{DEMO_SUBSCRIPTION}/resourcegroups/rg/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01"
            )
        );
        assert!(header("location").contains(&format!("/operationresults/{id}/profileresults/p?")));
        assert_eq!(header("retry-after"), "1");
        // The operation is served by both monitor URLs.
        let status = format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/resourcegroups/rg/providers/Microsoft.Cdn/operationresults/{id}"
        );
        let a = sim.answer(&get(&status, "api-version=2024-02-01", Some(&token)));
        assert_eq!((a.status, a.label.as_str()), (200, "InProgress"));
        let a = sim.answer(&get(
            &format!("{status}/profileresults/p"),
            "api-version=2024-02-01",
            Some(&token),
        ));
        assert_eq!(a.status, 202);
        let mut get_purge = get(&cdn, "api-version=2024-02-01", Some(&token));
        get_purge.method = "GET".into();
        assert_eq!(sim.answer(&get_purge).status, 405);
    }
}
