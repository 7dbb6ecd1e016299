//! The Compute Engine wire format purge-wait reads and writes: the `Operation` resource, the
//! `CacheInvalidationRule` body, Google's error envelope (`{"error": {"code", "message",
//! "status", "errors": [{"reason", …}], "details": […]}}`) and how its refusals map to
//! [`ErrorKind`]s, and the OAuth-style errors of the token endpoints.
//!
//! Answers are read strictly ([`crate::provider::json_object`]: a key given twice, a body that
//! is not an object, each is malformed). `PENDING` and `RUNNING` are pending; `DONE` succeeded
//! only without `error` and without an `httpErrorStatusCode` other than 200 (as gcloud's
//! waiter decides); `DONE` with either failed; any other word, or no `status`, is not known.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::http::{self, Response};
use crate::provider::{ErrorKind, Observation, ProviderError, State, quoted};

/// The longest purge path purge-wait sends (Google's URL length limit is larger; a path this
/// long is a mistake).
pub const MAX_PATH_CHARS: usize = 2048;

/// `urlMaps.invalidateCache`'s IAM permission.
pub const PERMISSION_INVALIDATE: &str = "compute.urlMaps.invalidateCache";
/// `globalOperations.get` and `wait`'s IAM permission.
pub const PERMISSION_OPERATIONS: &str = "compute.globalOperations.get";

/// What a call is, for the permission it needs and its name in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `globalOperations.get`.
    Get,
    /// `globalOperations.wait`, the long-poll.
    Wait,
    /// `urlMaps.invalidateCache`.
    Invalidate,
}

impl Call {
    /// The API method.
    pub fn method(self) -> &'static str {
        match self {
            Call::Get => "globalOperations.get",
            Call::Wait => "globalOperations.wait",
            Call::Invalidate => "urlMaps.invalidateCache",
        }
    }

    /// The IAM permission it needs.
    pub fn permission(self) -> &'static str {
        match self {
            Call::Get | Call::Wait => PERMISSION_OPERATIONS,
            Call::Invalidate => PERMISSION_INVALIDATE,
        }
    }
}

/// The body of `invalidateCache`: one path, and the host when given.
#[derive(Debug, Serialize)]
pub struct CacheInvalidationRule<'a> {
    pub path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
}

/// The parts of a Compute Engine `Operation` purge-wait reads.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub kind: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub operation_type: Option<String>,
    pub status: Option<String>,
    pub status_message: Option<String>,
    pub target_link: Option<String>,
    pub self_link: Option<String>,
    pub client_operation_id: Option<String>,
    pub description: Option<String>,
    pub insert_time: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub error: Option<OperationError>,
    pub http_error_status_code: Option<i64>,
    pub http_error_message: Option<String>,
    pub warnings: Option<Vec<Warning>>,
}

/// `Operation.error`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct OperationError {
    #[serde(default)]
    pub errors: Vec<OperationErrorItem>,
}

/// One of `Operation.error.errors[]`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct OperationErrorItem {
    pub code: Option<String>,
    pub message: Option<String>,
    pub location: Option<String>,
}

/// One of `Operation.warnings[]`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Warning {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Parses an `Operation`, refusing one without a name and a status.
pub fn parse_operation(body: &[u8]) -> Result<Operation, String> {
    let op: Operation = crate::provider::json_object(body)?;
    if op.name.as_deref().is_none_or(str::is_empty) {
        return Err("the operation has no name".into());
    }
    if let Some(kind) = &op.kind {
        if kind != "compute#operation" {
            return Err(format!("kind {} is not compute#operation", quoted(kind)));
        }
    }
    Ok(op)
}

/// Whether the answer is about the operation asked for: its `name`, or its numeric `id` when
/// the id asked for is a number (Compute takes either).
pub fn is_about(op: &Operation, asked: &str) -> bool {
    op.name.as_deref() == Some(asked)
        || (asked.bytes().all(|b| b.is_ascii_digit()) && op.id.as_deref() == Some(asked))
}

/// Why the operation's `selfLink`, when it has one, is not `project`'s global operation of its
/// `name`: an answer about another project's (or a regional, or another) operation is not
/// this one. A project given by number is not compared (Compute's links name the project
/// id).
pub fn self_link_problem(op: &Operation, project: &str) -> Option<String> {
    let link = op.self_link.as_deref()?;
    let name = op.name.as_deref().unwrap_or_default();
    let refused = || {
        Some(format!(
            "its selfLink {} is not this project's global operation {}",
            quoted(link),
            quoted(name)
        ))
    };
    let Ok(url) = url::Url::parse(link) else {
        return refused();
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let numeric = project.bytes().all(|b| b.is_ascii_digit());
    match segments.as_slice() {
        [.., "projects", p, "global", "operations", n]
            if *n == name && (numeric || *p == project) =>
        {
            None
        }
        _ => refused(),
    }
}

/// Whether the operation's `DONE` is a failure: `error` present, or an
/// `httpErrorStatusCode` other than 200.
fn failed(op: &Operation) -> bool {
    op.error.is_some() || op.http_error_status_code.is_some_and(|c| c != 200)
}

/// `PENDING` and `RUNNING` pending; `DONE` succeeded or failed (see [`failed`]); anything
/// else not known (exactly these spellings: the API's enum).
pub fn map_status(op: &Operation) -> State {
    match op.status.as_deref() {
        Some("PENDING" | "RUNNING") => State::Pending,
        Some("DONE") if failed(op) => State::Failed,
        Some("DONE") => State::Succeeded,
        _ => State::Unrecognized,
    }
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// What one reading of an operation says, as `id` was given.
pub fn observation(id: &str, op: &Operation) -> Observation {
    let state = map_status(op);
    let raw = op.status.clone().unwrap_or_else(|| "(no status)".into());
    let mut o = Observation::new(id, state.clone(), raw);
    o.started_at = time(op.start_time.as_deref()).or(time(op.insert_time.as_deref()));
    o.finished_at = time(op.end_time.as_deref());
    if let Some(t) = &op.operation_type {
        o.details.push(("operationType".into(), t.clone()));
    }
    if let Some(d) = &op.description {
        o.details.push(("description".into(), d.clone()));
    }
    if state == State::Failed {
        let errors: Vec<&OperationErrorItem> = op
            .error
            .as_ref()
            .map(|e| e.errors.iter().collect())
            .unwrap_or_default();
        let mut parts: Vec<String> = errors
            .iter()
            .map(|e| {
                let code = e.code.as_deref().unwrap_or("(no code)");
                match e.message.as_deref() {
                    Some(m) => format!("{code}: {m}"),
                    None => code.to_string(),
                }
            })
            .collect();
        if let Some(status) = op.http_error_status_code {
            let text = op.http_error_message.as_deref().unwrap_or("");
            parts.push(
                format!("httpErrorStatusCode {status} {text}")
                    .trim()
                    .to_string(),
            );
            o.details
                .push(("httpErrorStatusCode".into(), status.to_string()));
        }
        if let Some(m) = &op.http_error_message {
            o.details.push(("httpErrorMessage".into(), m.clone()));
        }
        for e in &errors {
            if let Some(code) = &e.code {
                o.details.push(("error.code".into(), code.clone()));
            }
            if let Some(location) = &e.location {
                o.details.push(("error.location".into(), location.clone()));
            }
        }
        if parts.is_empty() {
            parts.push("the operation ended with an error and no detail".into());
        }
        o.message = Some(parts.join("; "));
    } else if let Some(m) = op.status_message.as_ref().filter(|m| !m.is_empty()) {
        o.message = Some(m.clone());
    }
    o
}

// ---------------------------------------------------------------------------------------
// Errors

/// Google's error envelope.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Envelope {
    pub error: Option<EnvelopeError>,
}

/// `error` of the envelope (every field optional: older APIs omit `status` and `details`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct EnvelopeError {
    pub code: Option<i64>,
    pub message: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub errors: Vec<EnvelopeItem>,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

/// One of `error.errors[]`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct EnvelopeItem {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub domain: Option<String>,
}

impl EnvelopeError {
    /// The first `errors[].reason`, else the `ErrorInfo` reason of `details`.
    pub fn reason(&self) -> Option<String> {
        self.errors
            .iter()
            .find_map(|e| e.reason.clone())
            .or_else(|| {
                self.details
                    .iter()
                    .find_map(|d| d.get("reason").and_then(|r| r.as_str()).map(str::to_string))
            })
    }

    fn has_reason(&self, words: &[&str]) -> bool {
        self.errors
            .iter()
            .filter_map(|e| e.reason.as_deref())
            .chain(
                self.details
                    .iter()
                    .filter_map(|d| d.get("reason").and_then(|r| r.as_str())),
            )
            .any(|r| words.contains(&r))
    }
}

/// The envelope of an error answer, when it is one.
pub fn parse_envelope(body: &[u8]) -> Option<EnvelopeError> {
    crate::provider::json_object::<Envelope>(body)
        .ok()
        .and_then(|e| e.error)
}

/// Rate-limit reasons: the Compute rate quotas answer 403 with these.
pub const RATE_LIMIT_REASONS: &[&str] = &[
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "RATE_LIMIT_EXCEEDED",
];

/// Whether an error answer is Google's "not found" for the resource (not a path the server
/// does not route): the envelope says `NOT_FOUND` or `notFound`.
pub fn is_resource_not_found(resp: &Response) -> bool {
    resp.status == 404
        && parse_envelope(&resp.body).is_some_and(|e| {
            e.status.as_deref() == Some("NOT_FOUND") || e.has_reason(&["notFound"])
        })
}

/// The error for an unsuccessful Compute answer to `call`: throttling (429, a
/// `RESOURCE_EXHAUSTED` status, a 403 with a rate-limit reason) and 5xx retried; 401
/// credentials refused; another 403 the permission `call` needs; 404 not found; the rest an
/// invalid request. The envelope's `status` and reason are the code, its message the message.
pub fn api_error(resp: &Response, call: Call) -> ProviderError {
    let envelope = parse_envelope(&resp.body);
    let mut e = match &envelope {
        Some(env) => {
            let message = env
                .message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("HTTP {}", resp.status));
            let mut e = ProviderError::new(
                http::status_kind(resp.status),
                format!("{} refused: {message}", call.method()),
            );
            let code = match (env.status.as_deref(), env.reason()) {
                (Some(s), Some(r)) => Some(format!("{s}/{r}")),
                (Some(s), None) => Some(s.to_string()),
                (None, Some(r)) => Some(r),
                (None, None) => None,
            };
            e.code = code;
            e
        }
        None => {
            let mut e = http::status_error(resp);
            e.message = format!("{}: {}", call.method(), e.message);
            e
        }
    };
    e.http_status = Some(resp.status);
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    let status = envelope.as_ref().and_then(|e| e.status.clone());
    let rate_limited = resp.status == 429
        || status.as_deref() == Some("RESOURCE_EXHAUSTED")
        || envelope
            .as_ref()
            .is_some_and(|env| env.has_reason(RATE_LIMIT_REASONS));
    if rate_limited {
        e.kind = ErrorKind::Throttled;
        return e.hint(match call {
            Call::Invalidate => "Google's rate limit (Compute API rate quotas, 500 invalidations a minute): waited out and sent again with the same requestId",
            Call::Get | Call::Wait => "Google's rate limit (Compute API rate quotas, 1,500 operation reads a minute per project): waited out with backoff",
        });
    }
    match resp.status {
        401 => e.hint("The access token was refused (expired, revoked, or for another project)"),
        403 => {
            let disabled = envelope.as_ref().is_some_and(|env| {
                env.has_reason(&["accessNotConfigured", "SERVICE_DISABLED"])
            });
            if disabled {
                e.hint("The Compute Engine API is not enabled for this project: enable compute.googleapis.com (gcloud services enable compute.googleapis.com)")
            } else {
                let hint = format!(
                    "The caller lacks {}: grant a role that holds it on the project (roles/compute.loadBalancerAdmin has both compute.urlMaps.invalidateCache and compute.globalOperations.get)",
                    call.permission()
                );
                e.hint(hint)
            }
        }
        404 => match call {
            Call::Invalidate => e.hint("Check project and url-map: the URL map must be a global one in this project"),
            _ => e.hint("Check the operation name and project: operations are kept for a limited time, and a regional operation is not a global one"),
        },
        _ => e,
    }
}

/// An answer that could not be read (an `Operation` expected).
pub fn malformed(resp: &Response, call: Call, why: String) -> ProviderError {
    let mut e = ProviderError::new(
        ErrorKind::Malformed,
        format!("the {} answer could not be read ({why})", call.method()),
    );
    e.http_status = Some(resp.status);
    e
}

/// An OAuth-style error answer (`{"error": "invalid_grant", "error_description": "…"}`) of a
/// token endpoint, STS or IAM Credentials (which answers Google's envelope): throttling and
/// 5xx (and `temporarily_unavailable`, `server_error`, `internal_failure`) retried, anything
/// else a credentials problem, named `what`.
pub fn token_error(resp: &Response, what: &str, hint: &str) -> ProviderError {
    #[derive(Deserialize)]
    struct OAuth {
        error: Option<serde_json::Value>,
        error_description: Option<String>,
    }
    let parsed: Option<OAuth> = crate::provider::json_object(&resp.body).ok();
    let (code, description) = match &parsed {
        Some(OAuth {
            error: Some(serde_json::Value::String(code)),
            error_description,
        }) => (Some(code.clone()), error_description.clone()),
        Some(OAuth {
            error: Some(serde_json::Value::Object(_)),
            ..
        }) => match parse_envelope(&resp.body) {
            Some(env) => (env.status.clone(), env.message.clone()),
            None => (None, None),
        },
        _ => (None, None),
    };
    let retried = [
        "temporarily_unavailable",
        "server_error",
        "internal_failure",
    ];
    let kind = match resp.status {
        429 => ErrorKind::Throttled,
        408 | 500..=599 => ErrorKind::Transient,
        _ if code.as_deref().is_some_and(|c| retried.contains(&c)) => ErrorKind::Transient,
        _ => ErrorKind::Auth,
    };
    let detail = description.filter(|d| !d.trim().is_empty());
    let message = match &detail {
        Some(d) => format!("{what} refused: {d}"),
        None => format!("{what} refused the request"),
    };
    let detail = detail.unwrap_or_default();
    let mut e = ProviderError::new(kind, message);
    e.code = code;
    e.http_status = Some(resp.status);
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if kind == ErrorKind::Auth && !hint.is_empty() {
        let mut hint = hint.to_string();
        if detail.contains("iat and exp") || detail.contains("reasonable timeframe") {
            hint.push_str("; Google refused the assertion's times: check this machine's clock");
        }
        e = e.hint(hint);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn op(body: &str) -> Operation {
        parse_operation(body.as_bytes()).unwrap()
    }

    #[test]
    fn only_done_without_error_succeeds() {
        let pending = op(r#"{"kind":"compute#operation","name":"operation-1","status":"RUNNING"}"#);
        assert_eq!(map_status(&pending), State::Pending);
        assert_eq!(
            map_status(&op(r#"{"name":"o","status":"PENDING"}"#)),
            State::Pending
        );
        assert_eq!(
            map_status(&op(r#"{"name":"o","status":"DONE"}"#)),
            State::Succeeded
        );
        assert_eq!(
            map_status(&op(
                r#"{"name":"o","status":"DONE","httpErrorStatusCode":200}"#
            )),
            State::Succeeded
        );
        for failed in [
            r#"{"name":"o","status":"DONE","error":{"errors":[{"code":"X"}]}}"#,
            r#"{"name":"o","status":"DONE","error":{}}"#,
            r#"{"name":"o","status":"DONE","httpErrorStatusCode":404}"#,
        ] {
            assert_eq!(map_status(&op(failed)), State::Failed, "{failed}");
        }
        for unknown in [
            r#"{"name":"o","status":"done"}"#,
            r#"{"name":"o","status":"SUCCEEDED"}"#,
            r#"{"name":"o"}"#,
            r#"{"name":"o","status":""}"#,
        ] {
            assert_eq!(map_status(&op(unknown)), State::Unrecognized, "{unknown}");
        }
        for malformed in [
            "",
            "[]",
            r#"{"status":"DONE"}"#,
            r#"{"name":"o","status":"RUNNING","status":"DONE"}"#,
            r#"{"name":"o","kind":"compute#urlMap","status":"DONE"}"#,
            r#"{"name":"o","status":"DONE""#,
        ] {
            assert!(
                parse_operation(malformed.as_bytes()).is_err(),
                "{malformed}"
            );
        }
    }

    #[test]
    fn a_failed_operation_names_each_error_and_the_http_status() {
        let o = op(
            r#"{"name":"operation-1","status":"DONE","operationType":"invalidateCache","description":"/img/*",
            "error":{"errors":[{"code":"RESOURCE_NOT_FOUND","message":"The resource 'projects/p/global/urlMaps/m' was not found"},{"code":"INTERNAL_ERROR"}]},
            "httpErrorStatusCode":404,"httpErrorMessage":"NOT FOUND"}"#,
        );
        let obs = observation("operation-1", &o);
        assert_eq!(obs.state, State::Failed);
        let m = obs.message.unwrap();
        assert!(
            m.contains(
                "RESOURCE_NOT_FOUND: The resource 'projects/p/global/urlMaps/m' was not found"
            ),
            "{m}"
        );
        assert!(m.contains("INTERNAL_ERROR"), "{m}");
        assert!(m.contains("httpErrorStatusCode 404 NOT FOUND"), "{m}");
        assert!(
            obs.details
                .contains(&("httpErrorStatusCode".into(), "404".into()))
        );
        assert!(
            obs.details
                .contains(&("description".into(), "/img/*".into()))
        );
    }

    #[test]
    fn a_self_link_names_this_projects_global_operation() {
        let link = |project: &str, l: &str| {
            let o = op(&format!(
                r#"{{"name":"op-1","status":"DONE","selfLink":"{l}"}}"#
            ));
            self_link_problem(&o, project)
        };
        let base = "https://www.googleapis.com/compute/v1/projects";
        // A project named like the path's own words is still compared at its place.
        assert_eq!(
            link(
                "projects",
                &format!("{base}/projects/global/operations/op-1")
            ),
            None
        );
        assert!(link("p-1", &format!("{base}/projects/global/operations/op-1")).is_some());
        assert_eq!(
            link(
                "example.com:p-1",
                &format!("{base}/example.com:p-1/global/operations/op-1")
            ),
            None
        );
        // A project given by number: Compute's links name the id.
        assert_eq!(
            link("123456", &format!("{base}/p-1/global/operations/op-1")),
            None
        );
        assert!(link("123456", &format!("{base}/p-1/global/operations/op-2")).is_some());
        assert!(link("p-1", &format!("{base}/p-1/zones/z/operations/op-1")).is_some());
        let o = op(r#"{"name":"op-1","status":"DONE"}"#);
        assert_eq!(self_link_problem(&o, "p-1"), None);
    }

    #[test]
    fn an_answer_about_another_operation_is_not_this_one() {
        let o = op(r#"{"name":"operation-1","id":"123","status":"DONE"}"#);
        assert!(is_about(&o, "operation-1"));
        assert!(is_about(&o, "123"));
        assert!(!is_about(&o, "operation-2"));
        assert!(!is_about(&o, "124"));
    }

    #[test]
    fn errors_map_to_kinds() {
        let body = |code: u16, status: &str, reason: &str| {
            format!(
                r#"{{"error":{{"code":{code},"message":"m","errors":[{{"message":"m","domain":"global","reason":"{reason}"}}],"status":"{status}"}}}}"#
            )
        };
        let kind = |status: u16, b: &str, call: Call| api_error(&resp(status, b), call);
        let e = kind(
            403,
            &body(403, "PERMISSION_DENIED", "forbidden"),
            Call::Invalidate,
        );
        assert_eq!(e.kind, ErrorKind::Permission);
        assert!(e.to_string().contains(PERMISSION_INVALIDATE), "{e}");
        assert_eq!(e.code.as_deref(), Some("PERMISSION_DENIED/forbidden"));
        let e = kind(
            403,
            &body(403, "PERMISSION_DENIED", "forbidden"),
            Call::Wait,
        );
        assert!(e.to_string().contains(PERMISSION_OPERATIONS), "{e}");
        for (status, word, reason) in [
            (403, "PERMISSION_DENIED", "rateLimitExceeded"),
            (403, "", "userRateLimitExceeded"),
            (429, "RESOURCE_EXHAUSTED", "rateLimitExceeded"),
            (429, "", ""),
        ] {
            let e = kind(status, &body(status, word, reason), Call::Invalidate);
            assert_eq!(e.kind, ErrorKind::Throttled, "{status} {reason}");
        }
        assert_eq!(kind(429, "", Call::Get).kind, ErrorKind::Throttled);
        // A throttled read talks of operation reads, never of invalidations or requestIds.
        for call in [Call::Get, Call::Wait] {
            let e = kind(
                403,
                &body(403, "PERMISSION_DENIED", "rateLimitExceeded"),
                call,
            );
            let text = e.to_string();
            assert!(!text.contains("invalidation"), "{text}");
            assert!(!text.contains("requestId"), "{text}");
            assert!(text.contains("operation reads"), "{text}");
        }
        let e = kind(
            429,
            &body(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded"),
            Call::Invalidate,
        );
        assert!(e.to_string().contains("requestId"), "{e}");
        assert_eq!(
            kind(401, &body(401, "UNAUTHENTICATED", "authError"), Call::Get).kind,
            ErrorKind::Auth
        );
        assert_eq!(
            kind(404, &body(404, "NOT_FOUND", "notFound"), Call::Get).kind,
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(503, "upstream connect error", Call::Get).kind,
            ErrorKind::Transient
        );
        assert_eq!(
            kind(500, &body(500, "INTERNAL", "backendError"), Call::Get).kind,
            ErrorKind::Transient
        );
        assert_eq!(
            kind(
                400,
                &body(400, "INVALID_ARGUMENT", "invalid"),
                Call::Invalidate
            )
            .kind,
            ErrorKind::Invalid
        );
        assert!(is_resource_not_found(&resp(
            404,
            &body(404, "NOT_FOUND", "notFound")
        )));
        assert!(!is_resource_not_found(&resp(404, "Not Found")));
        let e = kind(
            403,
            &body(403, "PERMISSION_DENIED", "accessNotConfigured"),
            Call::Get,
        );
        assert!(e.to_string().contains("not enabled"), "{e}");
    }

    #[test]
    fn token_errors_are_auth_unless_passing() {
        let e = token_error(
            &resp(
                400,
                r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            ),
            "the token endpoint",
            "Check the key",
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some("invalid_grant"));
        assert!(e.to_string().contains("Invalid JWT Signature."));
        assert_eq!(
            token_error(&resp(503, ""), "STS", "").kind,
            ErrorKind::Transient
        );
        assert_eq!(
            token_error(&resp(429, ""), "STS", "").kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            token_error(
                &resp(400, r#"{"error":"temporarily_unavailable"}"#),
                "STS",
                ""
            )
            .kind,
            ErrorKind::Transient
        );
        let e = token_error(
            &resp(
                403,
                r#"{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied","status":"PERMISSION_DENIED"}}"#,
            ),
            "IAM Credentials",
            "grant Service Account Token Creator",
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(
            e.to_string().contains("iam.serviceAccounts.getAccessToken"),
            "{e}"
        );
    }
}
