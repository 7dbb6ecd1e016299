//! Compute Engine: global operations (`get`, the `wait` long-poll) and
//! `urlMaps.invalidateCache`, checked as Compute checks them.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json as j};

use super::{
    Book, CLOUD_PLATFORM_SCOPE, Endpoint, GoogleCloudCdnSim, Kind, Op, Throttle, google_error,
    json, not_found_page, text,
};
use crate::sim::{Answer, Ending, Scenario, SimRequest};

/// The scopes a Compute call is allowed with.
const WRITE_SCOPES: &[&str] = &[
    CLOUD_PLATFORM_SCOPE,
    "https://www.googleapis.com/auth/compute",
];
const READ_SCOPES: &[&str] = &[
    CLOUD_PLATFORM_SCOPE,
    "https://www.googleapis.com/auth/compute",
    "https://www.googleapis.com/auth/compute.readonly",
];

/// Where self links point (Compute answers with its legacy host, whatever the endpoint).
const LINK_BASE: &str = "https://www.googleapis.com/compute/v1/projects";

/// The permission each Compute call needs.
const GET_PERMISSION: &str = "compute.globalOperations.get";
const INVALIDATE_PERMISSION: &str = "compute.urlMaps.invalidateCache";

/// Query parameters every Google API accepts.
const SYSTEM_PARAMETERS: &[&str] = &[
    "alt",
    "fields",
    "key",
    "prettyPrint",
    "quotaUser",
    "userIp",
    "$.xgafv",
];

/// Whether `s` is a resource name as Compute's path patterns allow (`[a-z](?:[-a-z0-9]{0,61}
/// [a-z0-9])?`, or a numeric id `[1-9][0-9]{0,19}`).
pub(super) fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    let lettered = (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-';
    let numeric = (1..=20).contains(&b.len()) && b[0] != b'0' && b.iter().all(u8::is_ascii_digit);
    lettered || numeric
}

/// Whether `s` is a UUID Compute takes as `requestId` (8-4-4-4-12 hex digits, not all zero).
pub(super) fn valid_request_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let shaped = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    shaped && s.bytes().any(|b| b.is_ascii_hexdigit() && b != b'0')
}

/// Why Compute refuses an invalidation path, if it does: it must start with `/`, may not
/// hold `?`, `#`, spaces or control characters, and `*` only as its last character, after
/// a `/`.
pub(super) fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("path must begin with /");
    }
    if path.contains(['?', '#']) {
        return Some("path must not contain ? or #");
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("path must not contain whitespace or control characters");
    }
    if let Some(star) = path.find('*') {
        if star != path.len() - 1 || !path.ends_with("/*") {
            return Some("* is only allowed as the last character, after a /");
        }
    }
    if path.len() > 2048 {
        return Some("path is too long");
    }
    None
}

/// Whether `host` is a host name (lower or upper case labels, `*.` allowed first).
pub(super) fn valid_host(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            let b = l.as_bytes();
            (1..=63).contains(&b.len())
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Google's timestamp format (RFC 3339 in Pacific time, milliseconds).
fn timestamp(t: DateTime<Utc>) -> String {
    let Some(pacific) = FixedOffset::west_opt(8 * 3600) else {
        return t.to_rfc3339();
    };
    t.with_timezone(&pacific)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// A stable numeric id for a URL map.
fn url_map_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (1_000_000_000_000_000_000 + h % 8_000_000_000_000_000_000).to_string()
}

/// A new operation name, as Compute makes them.
fn operation_name() -> String {
    let millis = Utc::now().timestamp_millis();
    format!(
        "operation-{millis}-{:013x}-{:08x}-{:08x}",
        fastrand::u64(..) >> 12,
        fastrand::u32(..),
        fastrand::u32(..)
    )
}

/// A new operation id.
fn operation_id() -> u64 {
    fastrand::u64(1_000_000_000_000_000_000..9_000_000_000_000_000_000)
}

/// Whether the client sent a body length (`Content-Length` or chunked).
fn has_length(req: &SimRequest) -> bool {
    req.header("content-length").is_some() || req.header("transfer-encoding").is_some()
}

/// Google's front end's answer to a POST without `Content-Length`.
fn length_required(ep: Endpoint) -> Answer {
    text(
        411,
        "text/html; charset=UTF-8",
        "<!DOCTYPE html>\n<html lang=en><title>Error 411 (Length Required)!!1</title><p><b>411.</b> <ins>That’s an error.</ins><p>POST requests require a <code>Content-length</code> header.  <ins>That’s all we know.</ins>".into(),
        format!("{}: 411 length required", ep.label()),
    )
}

/// The state an operation is answered in.
enum State {
    Pending,
    Running,
    Done,
    Failed,
    Word(String),
    Malformed,
}

impl GoogleCloudCdnSim {
    /// The server's clock.
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.setup.clock_offset)
    }

    /// The token check every Compute call passes first: `Authorization: Bearer <token>`, a
    /// token Compute knows, not expired, with a scope among `scopes`.
    fn compute_bearer(
        &self,
        ep: Endpoint,
        req: &SimRequest,
        scopes: &[&str],
    ) -> Result<(), Answer> {
        let mut book = self.book();
        let verdict = self.bearer_verdict(&book, req, scopes);
        if verdict.is_ok() && book.unauthorized < self.setup.unauthorized_calls {
            book.unauthorized += 1;
            return Err(unauthenticated(ep));
        }
        verdict.map_err(|why| match why {
            Refusal::Missing => missing_credentials(ep),
            Refusal::Invalid => unauthenticated(ep),
            Refusal::Scope => insufficient_scopes(ep),
        })
    }

    /// Whether the request's bearer token may make a call with one of `scopes`.
    pub(super) fn bearer_verdict(
        &self,
        book: &Book,
        req: &SimRequest,
        scopes: &[&str],
    ) -> Result<(), Refusal> {
        let token = req
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or(Refusal::Missing)?;
        if self.setup.access_tokens.iter().any(|t| t == token) {
            return Ok(());
        }
        let issued = book.tokens.get(token).ok_or(Refusal::Invalid)?;
        if Instant::now() >= issued.expires {
            return Err(Refusal::Invalid);
        }
        let compute = scopes.contains(&CLOUD_PLATFORM_SCOPE);
        if compute && issued.kind == Kind::Federated && !self.setup.federated_access {
            return Err(Refusal::Invalid);
        }
        if !issued.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
            return Err(Refusal::Scope);
        }
        Ok(())
    }

    /// A Compute call (`/compute/v1/projects/…`).
    pub(super) fn compute(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::of(&req.method, &req.path);
        let rest = req
            .path
            .strip_prefix(super::COMPUTE_PREFIX)
            .unwrap_or_default();
        let parts: Vec<&str> = rest.split('/').collect();
        if ep == Endpoint::Other {
            return not_found_page(&req.path);
        }
        if req.method == "POST" && !has_length(req) {
            return length_required(ep);
        }
        let scopes = if ep == Endpoint::InvalidateCache {
            WRITE_SCOPES
        } else {
            READ_SCOPES
        };
        if let Err(a) = self.compute_bearer(ep, req, scopes) {
            return a;
        }
        if let Some(a) = self.unknown_query(ep, req) {
            return a;
        }
        let project = parts[0];
        if project != self.setup.project && project != self.setup.project_number {
            return google_error(
                ep,
                404,
                "NOT_FOUND",
                &format!("The resource 'projects/{project}' was not found"),
                "notFound",
            );
        }
        match ep {
            Endpoint::Get => self.operation(ep, project, parts[3], req),
            Endpoint::Wait if req.method != "POST" => not_found_page(&req.path),
            Endpoint::Wait => match self.setup.refuse_wait {
                Some(status) => refused_wait(status),
                None => self.operation(ep, project, parts[3], req),
            },
            _ if req.method != "POST" => not_found_page(&req.path),
            _ => self.invalidate(project, parts[3], req),
        }
    }

    /// 400 for a query parameter Compute does not take.
    fn unknown_query(&self, ep: Endpoint, req: &SimRequest) -> Option<Answer> {
        let query = req.query.as_deref().unwrap_or_default();
        let unknown = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, _)| k.into_owned())
            .find(|k| {
                !(SYSTEM_PARAMETERS.contains(&k.as_str())
                    || (ep == Endpoint::InvalidateCache && k == "requestId"))
            })?;
        Some(google_error(
            ep,
            400,
            "INVALID_ARGUMENT",
            &format!(
                "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot bind query parameter. Field '{unknown}' could not be found in request message."
            ),
            "invalid",
        ))
    }

    /// 403 `PERMISSION_DENIED` when `permission` is denied on `resource`.
    fn denied(&self, ep: Endpoint, permission: &str, resource: &str) -> Option<Answer> {
        self.setup.deny.iter().any(|d| d == permission).then(|| {
            google_error(
                ep,
                403,
                "PERMISSION_DENIED",
                &format!("Required '{permission}' permission for '{resource}'"),
                "forbidden",
            )
        })
    }

    /// The operation `name` (or numeric id) as the book holds it, added on first sight
    /// (scripted, or the default scenario).
    fn find<'b>(&self, book: &'b mut Book, name: &str) -> (String, &'b mut Op) {
        let known = if book.ops.contains_key(name) {
            Some(name.to_string())
        } else {
            book.ops
                .iter()
                .find(|(_, op)| op.id.to_string() == name)
                .map(|(n, _)| n.clone())
        };
        let key = known.unwrap_or_else(|| name.to_string());
        let url_map = self.setup.url_maps.first().cloned().unwrap_or_default();
        let op = book.ops.entry(key.clone()).or_insert_with(|| Op {
            scenario: Scenario::for_id(&self.setup.ops, &self.setup.default, name),
            first_seen: None,
            insert_time: self.now(),
            id: operation_id(),
            answers: 0,
            finished_answers: 0,
            url_map,
            description: "/*".into(),
            request_id: None,
            rule: None,
        });
        (key, op)
    }

    /// How long a `wait` is held: until its operation ends, at most [`super::Setup::hold`];
    /// not at all when the answer would be an error or the operation is already done.
    pub(super) fn wait_hold(&self, req: &SimRequest) -> Duration {
        let rest = req
            .path
            .strip_prefix(super::COMPUTE_PREFIX)
            .unwrap_or_default();
        let parts: Vec<&str> = rest.split('/').collect();
        let [project, _, _, name, _] = parts.as_slice() else {
            return Duration::ZERO;
        };
        let mut book = self.book();
        let answerable = req.method == "POST"
            && self.setup.refuse_wait.is_none()
            && has_length(req)
            && book.unauthorized >= self.setup.unauthorized_calls
            && self.bearer_verdict(&book, req, READ_SCOPES).is_ok()
            && (*project == self.setup.project || *project == self.setup.project_number)
            && !self.setup.deny.iter().any(|d| d == GET_PERMISSION)
            && self.unknown_query(Endpoint::Wait, req).is_none()
            && valid_name(name);
        if !answerable {
            return Duration::ZERO;
        }
        let (_, op) = self.find(&mut book, name);
        let first_seen = *op.first_seen.get_or_insert_with(Instant::now);
        let elapsed = first_seen.elapsed();
        let s = &op.scenario;
        if op.answers < s.throttle.saturating_add(s.errors) || s.unknown(elapsed) {
            return Duration::ZERO;
        }
        let done_at = match s.ending {
            Ending::Stuck => None,
            Ending::Regress if op.finished_answers > 0 => None,
            _ => Some(s.after),
        };
        let wait = match done_at {
            None => self.setup.hold,
            Some(after) if elapsed >= after => Duration::ZERO,
            Some(after) => (after - elapsed + Duration::from_millis(5)).min(self.setup.hold),
        };
        wait.min(self.setup.hold)
    }

    /// `get` or `wait` (after its hold): the operation's current state.
    fn operation(&self, ep: Endpoint, project: &str, name: &str, req: &SimRequest) -> Answer {
        let resource = format!("projects/{project}/global/operations/{name}");
        if let Some(a) = self.denied(ep, GET_PERMISSION, &resource) {
            return a;
        }
        if !valid_name(name) {
            return google_error(
                ep,
                400,
                "INVALID_ARGUMENT",
                &format!(
                    "Invalid value for field 'operation': '{name}'. Must be a match of regex '[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?|[1-9][0-9]{{0,19}}'"
                ),
                "invalid",
            );
        }
        let _ = req;
        let mut book = self.book();
        let (key, op) = self.find(&mut book, name);
        let first_seen = *op.first_seen.get_or_insert_with(Instant::now);
        let elapsed = first_seen.elapsed();
        let answer_no = op.answers;
        op.answers = op.answers.saturating_add(1);
        let s = op.scenario.clone();
        if s.unknown(elapsed) {
            return google_error(
                ep,
                404,
                "NOT_FOUND",
                &format!("The resource '{resource}' was not found"),
                "notFound",
            );
        }
        if answer_no < s.throttle {
            return self.throttled(ep, self.setup.throttle, s.retry_after);
        }
        if answer_no < s.throttle.saturating_add(s.errors) {
            return backend_error(ep);
        }
        let finished = s.finished(elapsed, &mut op.finished_answers);
        let state = state_of(&s, elapsed, finished);
        let body = self.op_json(project, &key, op, &state);
        self.op_answer(ep, body, &state, "")
    }

    /// The answer carrying an operation.
    fn op_answer(&self, ep: Endpoint, body: Value, state: &State, what: &str) -> Answer {
        let word = body["status"].as_str().unwrap_or_default().to_string();
        let mut text = body.to_string();
        let mut label = format!("{}: {what}{word}", ep.label());
        if let State::Malformed = state {
            let cut = text.len() / 2;
            text = text.chars().take(cut).collect();
            label = format!("{}: {what}malformed", ep.label());
        }
        if let State::Failed = state {
            label.push_str(" (error)");
        }
        json(200, text, label)
    }

    /// The Operation resource.
    fn op_json(&self, project: &str, name: &str, op: &Op, state: &State) -> Value {
        let status = match state {
            State::Pending => "PENDING".to_string(),
            State::Running => "RUNNING".to_string(),
            State::Done | State::Failed | State::Malformed => "DONE".to_string(),
            State::Word(w) => w.clone(),
        };
        let insert = op.insert_time;
        let mut v = j!({
            "kind": "compute#operation",
            "id": op.id.to_string(),
            "name": name,
            "operationType": "invalidateCache",
            "targetLink": format!("{LINK_BASE}/{project}/global/urlMaps/{}", op.url_map),
            "targetId": url_map_id(&op.url_map),
            "status": status,
            "user": self.setup.service_account,
            "progress": 0,
            "insertTime": timestamp(insert),
            "selfLink": format!("{LINK_BASE}/{project}/global/operations/{name}"),
            "selfLinkWithId": format!("{LINK_BASE}/{project}/global/operations/{}", op.id),
            "description": op.description,
        });
        if let Some(id) = &op.request_id {
            v["clientOperationId"] = id.as_str().into();
        }
        if !matches!(state, State::Pending) {
            v["startTime"] = timestamp(insert).into();
        }
        if matches!(state, State::Done | State::Failed | State::Malformed) {
            let after = chrono::Duration::from_std(op.scenario.after).unwrap_or_default();
            v["endTime"] = timestamp(insert + after).into();
            v["progress"] = 100.into();
        }
        if let State::Failed = state {
            let message = op.scenario.message.clone().unwrap_or_else(|| {
                "Internal error. Please try again or contact Google Support.".into()
            });
            v["error"] = j!({"errors": [{"code": "INTERNAL_ERROR", "message": message}]});
            v["httpErrorStatusCode"] = 500.into();
            v["httpErrorMessage"] = "INTERNAL SERVER ERROR".into();
        }
        v
    }

    /// A throttling answer, as `how` says.
    fn throttled(&self, ep: Endpoint, how: Throttle, retry_after: Option<u64>) -> Answer {
        let number = &self.setup.project_number;
        let mut a = match how {
            Throttle::TooManyRequests => {
                let message = format!(
                    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:{number}'."
                );
                let body = j!({"error": {
                    "code": 429,
                    "message": message,
                    "errors": [{"message": message, "domain": "global", "reason": "rateLimitExceeded"}],
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [{
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "RATE_LIMIT_EXCEEDED",
                        "domain": "googleapis.com",
                        "metadata": {"service": "compute.googleapis.com", "consumer": format!("projects/{number}")},
                    }],
                }});
                json(
                    429,
                    body.to_string(),
                    format!("{}: 429 RESOURCE_EXHAUSTED", ep.label()),
                )
            }
            Throttle::RateLimitExceeded => {
                let message = "Rate Limit Exceeded";
                let body = j!({"error": {
                    "code": 403,
                    "message": message,
                    "errors": [{"message": message, "domain": "usageLimits", "reason": "rateLimitExceeded"}],
                    "status": "PERMISSION_DENIED",
                }});
                json(
                    403,
                    body.to_string(),
                    format!("{}: 403 rateLimitExceeded", ep.label()),
                )
            }
        };
        if let Some(secs) = retry_after {
            a.headers.push(("retry-after", secs.to_string()));
        }
        a
    }

    /// `urlMaps.invalidateCache`.
    fn invalidate(&self, project: &str, url_map: &str, req: &SimRequest) -> Answer {
        let ep = Endpoint::InvalidateCache;
        let resource = format!("projects/{project}/global/urlMaps/{url_map}");
        if let Some(a) = self.denied(ep, INVALIDATE_PERMISSION, &resource) {
            return a;
        }
        if !self.setup.url_maps.iter().any(|m| m == url_map) {
            return google_error(
                ep,
                404,
                "NOT_FOUND",
                &format!("The resource '{resource}' was not found"),
                "notFound",
            );
        }
        let mut book = self.book();
        if book.throttled < self.setup.throttle_creates {
            book.throttled += 1;
            return self.throttled(ep, Throttle::TooManyRequests, self.setup.retry_after);
        }
        if book.rate_limited < self.setup.rate_limit_creates {
            book.rate_limited += 1;
            return self.throttled(ep, Throttle::RateLimitExceeded, self.setup.retry_after);
        }
        if book.errored < self.setup.error_creates {
            book.errored += 1;
            return backend_error(ep);
        }
        let rule = match parse_rule(&req.body) {
            Ok(rule) => rule,
            Err(message) => return google_error(ep, 400, "INVALID_ARGUMENT", &message, "invalid"),
        };
        let request_id =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "requestId")
                .map(|(_, v)| v.into_owned());
        if let Some(id) = &request_id {
            if !valid_request_id(id) {
                return google_error(
                    ep,
                    400,
                    "INVALID_ARGUMENT",
                    &format!(
                        "Invalid value for field 'requestId': '{id}'. The request ID must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000)."
                    ),
                    "invalid",
                );
            }
            let seen = book
                .ops
                .iter()
                .find(|(_, op)| {
                    op.request_id
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(id))
                })
                .map(|(n, _)| n.clone());
            if let Some(name) = seen {
                let Some(op) = book.ops.get_mut(&name) else {
                    return backend_error(ep);
                };
                if op.rule.as_ref() != Some(&rule) || op.url_map != url_map {
                    return google_error(
                        ep,
                        409,
                        "ALREADY_EXISTS",
                        &format!("The request ID '{id}' was already used for a different request."),
                        "alreadyExists",
                    );
                }
                let elapsed = op.first_seen.map(|f| f.elapsed()).unwrap_or_default();
                let finished = op.scenario.finished(elapsed, &mut 0);
                let state = state_of(&op.scenario, elapsed, finished);
                let body = self.op_json(project, &name, op, &state);
                return self.op_answer(ep, body, &state, "existing, ");
            }
        }
        let now = Instant::now();
        book.creates
            .retain(|t| now.duration_since(*t) < Duration::from_secs(60));
        if let Some(limit) = self.setup.invalidations_per_minute {
            if book.creates.len() >= limit as usize {
                let number = &self.setup.project_number;
                let message = format!(
                    "Quota exceeded for quota metric 'Invalidations' and limit 'Invalidations per minute' of service 'compute.googleapis.com' for consumer 'project_number:{number}'."
                );
                let body = j!({"error": {
                    "code": 429,
                    "message": message,
                    "errors": [{"message": message, "domain": "global", "reason": "rateLimitExceeded"}],
                    "status": "RESOURCE_EXHAUSTED",
                }});
                let mut a = json(
                    429,
                    body.to_string(),
                    format!("{}: 429 invalidations per minute", ep.label()),
                );
                if let Some(secs) = self.setup.retry_after {
                    a.headers.push(("retry-after", secs.to_string()));
                }
                return a;
            }
        }
        book.creates.push(now);
        let name = operation_name();
        let description = rule["path"].as_str().unwrap_or_default().to_string();
        let op = Op {
            scenario: self.setup.purge.clone(),
            first_seen: Some(now),
            insert_time: self.now(),
            id: operation_id(),
            answers: 0,
            finished_answers: 0,
            url_map: url_map.to_string(),
            description,
            request_id,
            rule: Some(rule),
        };
        let finished = op.scenario.finished(Duration::ZERO, &mut 0);
        let state = state_of(&op.scenario, Duration::ZERO, finished);
        let body = self.op_json(project, &name, &op, &state);
        book.ops.insert(name.clone(), op);
        let mut answer = self.op_answer(ep, body, &state, &format!("created {name}, "));
        if book.resets < self.setup.reset_creates {
            book.resets += 1;
            answer.reset = true;
            answer.label = format!("{}: created {name}, then reset", ep.label());
        }
        answer
    }
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No `Authorization: Bearer`.
    Missing,
    /// Unknown or expired.
    Invalid,
    /// Valid, without a scope the call takes.
    Scope,
}

/// The state of an operation `elapsed` after it started.
fn state_of(s: &Scenario, elapsed: Duration, finished: bool) -> State {
    if !finished {
        return if elapsed < s.after / 4 {
            State::Pending
        } else {
            State::Running
        };
    }
    match &s.ending {
        Ending::Failed => State::Failed,
        Ending::Word(w) => State::Word(w.clone()),
        Ending::Malformed => State::Malformed,
        _ => State::Done,
    }
}

/// A `CacheInvalidationRule`, checked as Compute checks it.
fn parse_rule(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| "Invalid JSON payload received. Invalid UTF-8.".to_string())?;
    if text.trim().is_empty() {
        return Err("Invalid value for field 'resource.path': ''. path must begin with /".into());
    }
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("Invalid JSON payload received. Unexpected token. ({e})"))?;
    let Some(fields) = v.as_object() else {
        return Err("Invalid JSON payload received. Expected an object.".into());
    };
    for (key, value) in fields {
        let string = || {
            value.as_str().map(|_| ()).ok_or_else(|| {
                format!("Invalid JSON payload received. Invalid value at '{key}' (TYPE_STRING)")
            })
        };
        match key.as_str() {
            "path" | "host" | "contentType" | "backendService" => string()?,
            "cacheTags" => {
                let tags = value
                    .as_array()
                    .filter(|t| t.iter().all(Value::is_string))
                    .ok_or_else(|| {
                        "Invalid JSON payload received. Invalid value at 'cache_tags' (TYPE_STRING)"
                            .to_string()
                    })?;
                if tags.len() > 10 {
                    return Err("Invalid value for field 'resource.cacheTags': at most 10 cache tags are allowed.".into());
                }
            }
            "httpStatus" => {
                if !value.as_i64().is_some_and(|s| (200..=599).contains(&s)) {
                    return Err(format!(
                        "Invalid value for field 'resource.httpStatus': '{value}'. Must be between 200 and 599."
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "Invalid JSON payload received. Unknown name \"{key}\": Cannot find field."
                ));
            }
        }
    }
    match fields.get("path").and_then(Value::as_str) {
        Some(path) => {
            if let Some(why) = path_problem(path) {
                return Err(format!(
                    "Invalid value for field 'resource.path': '{path}'. {why}"
                ));
            }
        }
        None if fields.contains_key("cacheTags") => {}
        None => {
            return Err(
                "Invalid value for field 'resource.path': ''. path must begin with /".into(),
            );
        }
    }
    if let Some(host) = fields.get("host").and_then(Value::as_str) {
        if !valid_host(host) {
            return Err(format!(
                "Invalid value for field 'resource.host': '{host}'. Must be a valid host name, optionally starting with '*.'"
            ));
        }
    }
    Ok(v)
}

/// 401 without credentials.
fn missing_credentials(ep: Endpoint) -> Answer {
    let message = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
    let body = j!({"error": {
        "code": 401,
        "message": message,
        "errors": [{"message": "Login Required.", "domain": "global", "reason": "required", "location": "Authorization", "locationType": "header"}],
        "status": "UNAUTHENTICATED",
    }});
    let mut a = json(
        401,
        body.to_string(),
        format!("{}: 401 required", ep.label()),
    );
    a.headers.push((
        "www-authenticate",
        "Bearer realm=\"https://accounts.google.com/\"".into(),
    ));
    a
}

/// 401 for a token Google does not (or no longer) accept.
pub(super) fn unauthenticated(ep: Endpoint) -> Answer {
    let message = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
    let body = j!({"error": {
        "code": 401,
        "message": message,
        "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError", "location": "Authorization", "locationType": "header"}],
        "status": "UNAUTHENTICATED",
    }});
    let mut a = json(
        401,
        body.to_string(),
        format!("{}: 401 authError", ep.label()),
    );
    a.headers.push((
        "www-authenticate",
        "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".into(),
    ));
    a
}

/// 403 for a token without the scope the call takes.
pub(super) fn insufficient_scopes(ep: Endpoint) -> Answer {
    let message = "Request had insufficient authentication scopes.";
    let body = j!({"error": {
        "code": 403,
        "message": message,
        "errors": [{"message": "Insufficient Permission", "domain": "global", "reason": "insufficientPermissions"}],
        "status": "PERMISSION_DENIED",
        "details": [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
        }],
    }});
    json(
        403,
        body.to_string(),
        format!("{}: 403 insufficientPermissions", ep.label()),
    )
}

/// 503 `backendError`.
fn backend_error(ep: Endpoint) -> Answer {
    google_error(
        ep,
        503,
        "UNAVAILABLE",
        "Internal error. Please try again or contact Google Support. (Code: '5F0A1B2C3D4E5')",
        "backendError",
    )
}

/// `wait` refused with `status` (404, 405, 403, 501, …).
fn refused_wait(status: u16) -> Answer {
    let ep = Endpoint::Wait;
    match status {
        404 => {
            let mut a = not_found_page("wait");
            a.label = format!("{}: refused 404", ep.label());
            a
        }
        403 => google_error(
            ep,
            403,
            "PERMISSION_DENIED",
            "Required 'compute.globalOperations.wait' permission",
            "forbidden",
        ),
        405 => google_error(
            ep,
            405,
            "UNIMPLEMENTED",
            "Method not allowed.",
            "methodNotAllowed",
        ),
        501 => google_error(
            ep,
            501,
            "UNIMPLEMENTED",
            "Operation is not implemented, or supported, or enabled.",
            "notImplemented",
        ),
        other => google_error(ep, other, "UNKNOWN", "wait refused", "refused"),
    }
}
