//! Azure Resource Manager asynchronous operations: CDN and Front Door purges, or any
//! long-running ARM operation, read from its monitor URL with an Entra ID bearer token.
//!
//! Wire format (seed 003, `shared/docs/azure-arm.md` §1):
//! - **Azure-AsyncOperation** style (and the seed's
//!   `…/providers/{rp}/locations/{loc}/operationStatuses/{id}?api-version=…`): `200` with an
//!   `OperationStatusResult` body, `{"status","percentComplete","startTime","endTime","error"}`;
//!   `status` is compared case-insensitively: `Succeeded`; `Failed`; `Canceled`/`Cancelled`;
//!   every other word means still running. `error` counts only on a failed or cancelled status
//!   (Microsoft.Cdn sends `{"code":"None"}` while in progress and on success).
//! - **Location** style: `202` (no body) while running, possibly with a new `Location` to
//!   follow; `200`/`204` when done.
//! - errors: `{"error":{"code","message","target","details"}}` with `x-ms-request-id` and
//!   `x-ms-correlation-request-id`. A 4xx/5xx on a monitor URL is a failure to *read* the
//!   status, not a failure of the operation: 408/429/5xx are retried (never sooner than
//!   `Retry-After`, `retry-after-ms` or `x-ms-retry-after-ms`, at least 1 s), 401 gets one
//!   fresh token and then ends the wait, 403/404/other 4xx end it with the code.
//!
//! Purges (`paths`, `shared/docs/azure-arm.md` §3): one `POST …/profiles/{p}/endpoints/{e}/purge`
//! (classic CDN) or `…/afdEndpoints/{e}/purge` (Front Door, with `domains`) per call, body
//! `{"contentPaths":[…]}`, with the same token (and the same one refresh after a 401) as the
//! status reads. The answer is `202` with `Azure-AsyncOperation` (preferred) and/or `Location`
//! and `Retry-After`: the monitor URL becomes a wait target under its readable id, and the
//! first poll waits for the `Retry-After` ([`Provider::not_before`]). A `200` means the purge
//! finished at once.
//!
//! A bearer token is only ever sent to the configured ARM origin: the config refuses monitor
//! URLs elsewhere, and a `Location` (or a purge's monitor URL) that points elsewhere is refused
//! here.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::{
    ErrorKind, Observation, PollResult, Provider, ProviderError, PurgeKind, PurgeRequest, State,
    SubmitResult,
};
use crate::auth::entra::{Cloud, TokenSource};
use crate::http::{self, Response};
use crate::secret::{Redactor, Secret};

/// The provider's input name.
pub const NAME: &str = "azure-arm";
/// The resource provider of URLs built from `operation-ids` (the seed's).
pub const DEFAULT_RESOURCE_PROVIDER: &str = "Microsoft.ApiManagement";
/// The api-version of URLs built from `operation-ids` (the seed's).
pub const DEFAULT_API_VERSION: &str = "2024-05-01";
/// The least wait a `Retry-After` (of any dialect) can ask for.
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The api-version of purge calls: the newest stable `cdn.json` the notes read
/// (`stable/2024-02-01`, `shared/docs/azure-arm.md` §3.1; the Front Door example is in the
/// same folder, §3.2).
pub const PURGE_API_VERSION: &str = "2024-02-01";
/// Paths per purge call. Neither the swagger nor the Learn pages the notes read give a per-call
/// limit (§3.1, §3.4); 100 is a conservative choice of ours, so a long list becomes several
/// calls, each its own operation.
pub const MAX_PURGE_PATHS: usize = 100;
/// Purge calls one run may make: "Azure CDN has a limit of 50 concurrent purge requests at any
/// given time at the profile level" (§3.4), and every call is an operation still running when
/// the next is sent.
pub const MAX_PURGE_CALLS: usize = 50;
/// The longest first `Retry-After` honoured before the first poll: ARM's maximum (§1.1,
/// "a maximum of 10 minutes").
pub const MAX_FIRST_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Which kind of endpoint a purge goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// Classic Azure CDN (`Microsoft.Cdn/profiles/{p}/endpoints/{e}`).
    Cdn,
    /// Front Door Standard/Premium (`Microsoft.Cdn/profiles/{p}/afdEndpoints/{e}`).
    FrontDoor,
}

/// Where purges go, validated by [`crate::config`].
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeTarget {
    /// Classic CDN or Front Door.
    pub kind: EndpointKind,
    /// The purge URL, `…/purge?api-version=…`.
    pub url: Url,
    /// Front Door: the domains to purge (empty: all of the endpoint's).
    pub domains: Vec<String>,
}

impl PurgeTarget {
    /// `{arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/{profile}/
    /// endpoints|afdEndpoints/{endpoint}/purge?api-version={api_version}`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        arm: &Url,
        subscription: &str,
        resource_group: &str,
        profile: &str,
        kind: EndpointKind,
        endpoint: &str,
        api_version: &str,
        domains: Vec<String>,
    ) -> Self {
        let mut url = arm.clone();
        url.path_segments_mut()
            .expect("an http(s) base")
            .pop_if_empty()
            .extend([
                "subscriptions",
                subscription,
                "resourceGroups",
                resource_group,
                "providers",
                "Microsoft.Cdn",
                "profiles",
                profile,
                match kind {
                    EndpointKind::Cdn => "endpoints",
                    EndpointKind::FrontDoor => "afdEndpoints",
                },
                endpoint,
                "purge",
            ]);
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        PurgeTarget { kind, url, domains }
    }

    /// The request body: `{"contentPaths":[…]}`, plus `"domains"` for Front Door when given.
    pub fn body(&self, paths: &[String]) -> String {
        let mut body = serde_json::json!({ "contentPaths": paths });
        if self.kind == EndpointKind::FrontDoor && !self.domains.is_empty() {
            body["domains"] = serde_json::json!(self.domains);
        }
        body.to_string()
    }
}

/// Checks paths before any request (`shared/docs/azure-arm.md` §3.1, §3.4): each one a path
/// starting with `/` (a file `/pictures/city.png`, the root `/`), a wildcard only as a trailing
/// `/*` (`/pictures/*`, `/*`), no fragment; at most [`MAX_PURGE_PATHS`] × [`MAX_PURGE_CALLS`]
/// paths; purge-type `auto` (ARM has no purge types: the path says what it is).
pub fn check_purge(purge: &PurgeRequest) -> Result<(), String> {
    if purge.kind != PurgeKind::Auto {
        return Err("Azure Resource Manager purges have no purge type (a path ending in /* is a directory): leave purge-type at auto".into());
    }
    for path in &purge.paths {
        if !path.starts_with('/') {
            let fix = match Url::parse(path) {
                Ok(url) if url.host_str().is_some() => format!(
                    "give the path alone ({}), and for Front Door the host name as domains",
                    url.path()
                ),
                _ => "start it with /, e.g. /images/logo.png or /images/*".into(),
            };
            return Err(format!(
                "{path:?} is not a path; Azure CDN and Front Door purges take paths relative to the endpoint: {fix}"
            ));
        }
        if path.contains('*') && (path.matches('*').count() > 1 || !path.ends_with("/*")) {
            return Err(format!(
                "{path:?} has a wildcard other than a trailing /*; Azure CDN and Front Door take only directory wildcards such as /images/* (or /* for everything)"
            ));
        }
        if path.contains('#') {
            return Err(format!(
                "{path:?} has a #fragment, which is never sent to a CDN"
            ));
        }
    }
    let most = MAX_PURGE_PATHS * MAX_PURGE_CALLS;
    if purge.paths.len() > most {
        return Err(format!(
            "{} paths would take more than {MAX_PURGE_CALLS} purge calls of {MAX_PURGE_PATHS} paths, and Azure CDN allows {MAX_PURGE_CALLS} concurrent purges per profile; purge a directory (/images/*) instead",
            purge.paths.len()
        ));
    }
    Ok(())
}

/// How a monitor URL answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `200` + a status body (`Azure-AsyncOperation`, `operationStatuses`).
    AsyncOperation,
    /// `202` while running, `200`/`204` when done (`Location`).
    Location,
    /// A URL given by the user: learnt from the first answer, and until then never taken
    /// for done without a status.
    Unknown,
}

impl Style {
    /// The `operation-url-kind` input: `auto` (learn it), `location`, `async-operation`
    /// (any case; `azure-asyncoperation` too).
    pub fn from_kind(text: &str) -> Option<Style> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Style::Unknown,
            "location" => Style::Location,
            "async-operation" | "azure-asyncoperation" | "azure-async-operation" => {
                Style::AsyncOperation
            }
            _ => return None,
        })
    }
}

/// One operation to wait on.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The id the engine and the reports use.
    pub id: String,
    /// The monitor URL.
    pub url: Url,
    /// How it answers, if known.
    pub style: Style,
}

/// Everything needed to call ARM, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cloud (for messages).
    pub cloud: Cloud,
    /// The ARM base URL: the cloud's, or the `endpoint` override. Tokens go nowhere else.
    pub arm: Url,
    /// The operations.
    pub targets: Vec<Target>,
    /// How to get tokens.
    pub auth: crate::auth::entra::Settings,
    /// Where purges go, when `paths` are given.
    pub purge: Option<PurgeTarget>,
}

/// Whether `url` is under `base`: same scheme, host and port, and path below the base's.
pub fn is_under(base: &Url, url: &Url) -> bool {
    let prefix = base.path().trim_end_matches('/');
    base.scheme() == url.scheme()
        && base.host_str().map(str::to_ascii_lowercase)
            == url.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == url.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && (prefix.is_empty()
            || url.path() == prefix
            || url.path().starts_with(&format!("{prefix}/")))
}

/// The longest monitor URL accepted. ARM's clients "must accept a minimum URL size of 4 KB"
/// (Learn, "Track asynchronous Azure operations"); four times that is plenty.
pub const MAX_MONITOR_URL: usize = 16 * 1024;

/// Checks a monitor URL before a token goes to it or it becomes an operation id: under the
/// ARM base `arm` ([`is_under`]: same scheme, host and port, no user name or password), no
/// fragment, at most [`MAX_MONITOR_URL`] long, and no control character (nor a Unicode line
/// separator) once percent-decoded, since its decoded segments become the id that reports
/// show. `Err` says what is wrong, with the URL quoted and escaped, never raw.
pub fn check_monitor_url(arm: &Url, url: &Url) -> Result<(), String> {
    if !is_under(arm, url) {
        return Err(format!("is on {}, outside {}", origin(url), origin(arm)));
    }
    if url.as_str().len() > MAX_MONITOR_URL {
        return Err(format!(
            "is {} bytes long, more than the {MAX_MONITOR_URL} a monitor URL may be",
            url.as_str().len()
        ));
    }
    if url.fragment().is_some() {
        return Err("has a #fragment, which no monitor URL has".into());
    }
    let decoded = percent_decode(url.as_str());
    if decoded
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(format!(
            "holds control characters once percent-decoded ({})",
            super::quoted(&decoded)
        ));
    }
    Ok(())
}

/// A readable id for a monitor URL: the segment after `operationStatuses`,
/// `operationResults`, `operations`, `asyncoperations` … (case-insensitive), else the last
/// segment.
pub fn readable_id(url: &Url) -> String {
    const MARKERS: &[&str] = &[
        "operationstatuses",
        "operationresults",
        "operations",
        "asyncoperations",
        "azureasyncoperations",
        "operationsstatus",
        "frontdooroperationresults",
    ];
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let after_marker = segments
        .windows(2)
        .find(|w| MARKERS.contains(&w[0].to_ascii_lowercase().as_str()))
        .map(|w| w[1]);
    after_marker
        .or(segments.last().copied())
        .map(percent_decode)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| url.as_str().to_string())
}

/// `%XX` sequences decoded (a `+` stays a `+`); invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes
            .get(i + 1..i + 3)
            .and_then(|p| Some(hex(p[0])? * 16 + hex(p[1])?));
        match (bytes[i], pair) {
            (b'%', Some(v)) => {
                out.push(v as u8);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Monitor {
    url: Url,
    style: Style,
    /// Not to be polled before (a purge answer's `Retry-After`).
    not_before: Option<tokio::time::Instant>,
    /// Finished when created (a purge answered `200`): nothing to read.
    done: bool,
    /// The monitor URL a purge returned, shown as the `monitor-url` detail so that a later
    /// step can wait on it again (`operation-url`).
    created: Option<Url>,
}

/// The ARM operation-status client.
pub struct AzureArm {
    arm: Url,
    monitors: RefCell<HashMap<String, Monitor>>,
    purge: Option<PurgeTarget>,
    tokens: TokenSource,
    http: reqwest::Client,
}

impl AzureArm {
    /// A client for `settings`; every secret it holds or learns goes to `redactor`.
    pub fn new(settings: Settings, http: reqwest::Client, redactor: Redactor) -> Self {
        let monitors = settings
            .targets
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    Monitor {
                        url: t.url.clone(),
                        style: t.style,
                        not_before: None,
                        done: false,
                        created: None,
                    },
                )
            })
            .collect();
        AzureArm {
            arm: settings.arm,
            monitors: RefCell::new(monitors),
            purge: settings.purge,
            tokens: TokenSource::new(settings.auth, http.clone(), redactor),
            http,
        }
    }

    async fn send(&self, url: &Url, token: &Secret) -> Result<Response, ProviderError> {
        let request = self
            .http
            .get(url.clone())
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        http::send(request).await
    }

    async fn post(&self, url: &Url, token: &Secret, body: &str) -> Result<Response, ProviderError> {
        let request = self
            .http
            .post(url.clone())
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        http::send(request).await
    }

    /// One purge POST (and after a 401, which ARM answers before acting, one more with a fresh
    /// token); registers the operation it created as a wait target.
    async fn purge_once(&self, purge: &PurgeRequest) -> SubmitResult {
        let target = self.purge.as_ref().ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Invalid,
                "no CDN or Front Door endpoint to purge was configured",
            )
        })?;
        let body = target.body(&purge.paths);
        let token = self.tokens.token().await?;
        let mut resp = self.post(&target.url, &token, &body).await?;
        if resp.status == 401 && self.tokens.can_refresh() {
            let fresh = self.tokens.refresh(&token).await?;
            resp = self.post(&target.url, &fresh, &body).await?;
        }
        let accepted = interpret_submit(&target.url, &resp)?;
        let (url, style, done) = match accepted {
            Accepted::Running { monitor, style } => {
                if !is_under(&self.arm, &monitor) {
                    return Err(with_response(
                        ProviderError::new(
                            ErrorKind::Invalid,
                            format!(
                                "the purge was accepted but its monitor URL is on {}, outside {}; purge-wait sends the token nowhere else, so it cannot wait on it",
                                origin(&monitor),
                                origin(&self.arm)
                            ),
                        )
                        .code("MonitorElsewhere"),
                        &resp,
                    ));
                }
                // Not re-sent (it would purge again): the answer is malformed, not the call.
                check_monitor_url(&self.arm, &monitor).map_err(|why| {
                    with_response(
                        ProviderError::new(
                            ErrorKind::Invalid,
                            format!("the purge was accepted but its answer is malformed: the monitor URL {why}"),
                        )
                        .code("MalformedMonitorUrl"),
                        &resp,
                    )
                })?;
                (monitor, style, false)
            }
            Accepted::Done => (target.url.clone(), Style::Location, true),
        };
        let not_before = (!done)
            .then(|| http::retry_after(&resp.headers, SystemTime::now()))
            .flatten()
            .map(|d| tokio::time::Instant::now() + d.clamp(MIN_RETRY_AFTER, MAX_FIRST_RETRY_AFTER));
        let mut monitors = self.monitors.borrow_mut();
        let mut id = if done {
            resp.header("x-ms-request-id")
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| format!("purge-{}", monitors.len() + 1))
        } else {
            readable_id(&url)
        };
        if monitors.get(&id).is_some_and(|m| m.url != url || done) {
            let mut plain = url.clone();
            plain.set_query(None);
            id = if done {
                format!("{id}-{}", monitors.len() + 1)
            } else {
                plain.to_string()
            };
        }
        monitors.insert(
            id.clone(),
            Monitor {
                created: (!done).then(|| url.clone()),
                url,
                style,
                not_before,
                done,
            },
        );
        Ok(vec![id])
    }

    /// Reads one operation: one GET, and after a 401 one more with a fresh token.
    async fn get(&self, id: &str) -> Result<Observation, ProviderError> {
        let (url, style, created) = {
            let monitors = self.monitors.borrow();
            let m = monitors.get(id).ok_or_else(|| {
                ProviderError::new(ErrorKind::Invalid, format!("no monitor URL for {id}"))
            })?;
            if m.done {
                return Ok(Observation::new(id, State::Succeeded, "Succeeded"));
            }
            (m.url.clone(), m.style, m.created.clone())
        };
        let token = self.tokens.token().await?;
        let mut resp = self.send(&url, &token).await?;
        if resp.status == 401 && self.tokens.can_refresh() {
            let fresh = self.tokens.refresh(&token).await?;
            resp = self.send(&url, &fresh).await?;
        }
        let read = interpret(id, style, &url, &resp).map_err(|e| {
            if e.kind == ErrorKind::Auth && !self.tokens.can_refresh() {
                e.hint("access-token was refused and a token given as is cannot be refreshed: it may have expired (they last about an hour) or be for another cloud. Give tenant-id and client-id with client-secret or OIDC instead, so purge-wait can refresh it")
            } else {
                e
            }
        })?;
        if read.style != style || read.next.is_some() {
            let next = match read.next {
                Some(next) if !is_under(&self.arm, &next) => {
                    return Err(with_response(
                        ProviderError::new(
                            ErrorKind::Invalid,
                            format!(
                                "the service moved the monitor to {}, outside {}; purge-wait sends the token nowhere else",
                                origin(&next),
                                origin(&self.arm)
                            ),
                        )
                        .code("LocationElsewhere"),
                        &resp,
                    ));
                }
                Some(next) => {
                    check_monitor_url(&self.arm, &next).map_err(|why| {
                        with_response(
                            ProviderError::new(
                                ErrorKind::Malformed,
                                format!("the 202 answer's Location header is malformed: it {why}"),
                            ),
                            &resp,
                        )
                    })?;
                    next
                }
                None => url,
            };
            if let Some(m) = self.monitors.borrow_mut().get_mut(id) {
                m.url = next;
                m.style = read.style;
            }
        }
        let mut observation = read.observation;
        if let Some(created) = created {
            observation
                .details
                .push(("monitor-url".into(), created.to_string()));
        }
        Ok(observation)
    }
}

impl Provider for AzureArm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        super::one_by_one(ids, move |id| self.get(id))
    }

    fn max_purge_paths(&self) -> usize {
        MAX_PURGE_PATHS
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        self.purge_once(purge).boxed_local()
    }

    fn not_before(&self, id: &str) -> Option<tokio::time::Instant> {
        self.monitors.borrow().get(id).and_then(|m| m.not_before)
    }
}

/// What a purge answer says.
#[derive(Debug, PartialEq)]
pub enum Accepted {
    /// `202`: running, to be read at `monitor`.
    Running {
        /// `Azure-AsyncOperation`, else `Location`.
        monitor: Url,
        /// How it answers.
        style: Style,
    },
    /// `200`: the purge finished at once.
    Done,
}

/// Turns a purge answer into the operation to wait on: `Azure-AsyncOperation` if present
/// (the Learn page: "use this value only when Azure-AsyncOperation isn't returned" of
/// `Location`), else `Location`, whether the answer is `202` or `200`; a `200` or `204`
/// with neither finished at once. A refusal keeps ARM's code and request ids.
pub fn interpret_submit(url: &Url, resp: &Response) -> Result<Accepted, ProviderError> {
    let header = |name: &str, style: Style| {
        resp.header(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (url.join(v.trim()), style))
    };
    let monitor = header("azure-asyncoperation", Style::AsyncOperation)
        .or_else(|| header("location", Style::Location));
    match resp.status {
        // A 200 that still names a monitor URL is polled like a 202 (as the Go and Python
        // SDKs do): only a 200 without one finished at once.
        200 | 204 if monitor.is_none() => Ok(Accepted::Done),
        200..=202 | 204 => {
            let Some((monitor, style)) = monitor else {
                // Accepted but nothing to wait on: not re-sent (it would purge again).
                return Err(with_response(
                    ProviderError::new(
                        ErrorKind::Invalid,
                        format!(
                            "the purge was accepted (HTTP {}) but the answer has neither an Azure-AsyncOperation nor a Location header to wait on",
                            resp.status
                        ),
                    )
                    .code("NoMonitorUrl"),
                    resp,
                ));
            };
            let monitor = monitor.map_err(|_| {
                with_response(
                    ProviderError::new(
                        ErrorKind::Invalid,
                        "the purge was accepted but its monitor URL does not parse",
                    )
                    .code("NoMonitorUrl"),
                    resp,
                )
            })?;
            Ok(Accepted::Running { monitor, style })
        }
        _ => {
            let mut e = status_error(resp);
            let hint = match e.kind {
                ErrorKind::Permission => Some(
                    "The identity may not purge this endpoint: give it CDN Endpoint Contributor (or CDN Profile Contributor) on the profile, and wait a few minutes for the assignment to apply",
                ),
                ErrorKind::NotFound => Some(
                    "Check subscription-id, resource-group, profile and cdn-endpoint / afd-endpoint (a Front Door endpoint is an afd-endpoint)",
                ),
                ErrorKind::Invalid => Some(
                    "ARM refused the purge request: check paths (/file, /dir/*), domains and api-version",
                ),
                _ => None,
            };
            if let Some(h) = hint {
                e.hint = Some(h.into());
            }
            Err(e)
        }
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// What one answer says: the observation, the style it proves, and a `Location` to follow.
#[derive(Debug)]
pub struct Read {
    /// The status read.
    pub observation: Observation,
    /// The style, learnt from this answer.
    pub style: Style,
    /// A new monitor URL (`Location` on a 202).
    pub next: Option<Url>,
}

/// `error` of an `OperationStatusResult` or an `ErrorResponse`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorDetail {
    /// e.g. `AuthorizationFailed`.
    pub code: Option<String>,
    /// Human-readable.
    pub message: Option<String>,
    /// What the error is about.
    pub target: Option<String>,
    /// Nested errors.
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
}

impl ErrorDetail {
    fn one_line(&self) -> String {
        let mut s = String::new();
        if let Some(c) = self.code.as_deref().filter(|c| !c.is_empty()) {
            s.push_str(c);
        }
        if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
            if !s.is_empty() {
                s.push_str(": ");
            }
            s.push_str(m);
        }
        if let Some(t) = self.target.as_deref().filter(|t| !t.is_empty()) {
            s.push_str(&format!(" (target: {t})"));
        }
        s
    }
}

/// Maps a status word: `Succeeded`, `Failed`, `Canceled`/`Cancelled` (any case) are terminal;
/// any other non-empty word is still running.
pub fn map_status(raw: &str) -> State {
    match raw.trim().to_ascii_lowercase().as_str() {
        "succeeded" => State::Succeeded,
        "failed" => State::Failed,
        "canceled" | "cancelled" => State::Cancelled,
        "" => State::Unrecognized,
        _ => State::Pending,
    }
}

/// The fields of a status body purge-wait reads, parsed with [`super::json_object`]: a key
/// given twice (two `status` keys, say) makes the body malformed, as for every provider.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusBody {
    /// `Some(Value::Null)` for `"status": null`, `None` when absent.
    #[serde(default, deserialize_with = "present")]
    status: Option<Value>,
    percent_complete: Option<Value>,
    start_time: Option<Value>,
    end_time: Option<Value>,
    error: Option<Value>,
}

/// A field that is present, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Turns one answer of a monitor URL into what it says.
///
/// How the URL answers decides what an answer without a status means (the Go SDK's `async`
/// and `loc` pollers, Python's `AzureAsyncOperationPolling` and `LocationPolling`): only a
/// URL known to be a `Location` URL — from a purge's `Location` header, one that answered
/// `202` before, or declared so by `operation-url-kind` — succeeds on a `204` or a `200`
/// without a status. An Azure-AsyncOperation URL (or one not known yet) must answer a
/// status; a `204`, an empty `200` or a `200` without `status` from it is malformed, never
/// success. The path does not tell: Microsoft.Cdn serves both kinds under `operationresults`.
/// A known style never changes; [`Style::Unknown`] is learnt from the first `202` (Location)
/// or the first status (Azure-AsyncOperation).
pub fn interpret(
    id: &str,
    style: Style,
    url: &Url,
    resp: &Response,
) -> Result<Read, ProviderError> {
    let learnt = |seen: Style| if style == Style::Unknown { seen } else { style };
    let malformed = |what: &str| {
        with_response(
            ProviderError::new(ErrorKind::Malformed, what.to_string())
                .hint(format!("body starts: {}", http::snippet(&resp.body))),
            resp,
        )
    };
    let no_status = |what: &str| {
        let hint = match style {
            Style::AsyncOperation => {
                "An Azure-AsyncOperation URL always answers a status; this answer is not taken for success"
            }
            _ => {
                "Only a Location URL may answer without a status when done: if this URL came from a Location header, set operation-url-kind: location"
            }
        };
        with_response(
            ProviderError::new(ErrorKind::Malformed, what.to_string()).hint(hint),
            resp,
        )
    };
    let body = resp.body.trim_ascii();
    match resp.status {
        202 => {
            let next = resp.header("location").map(|l| url.join(&l)).transpose();
            let next = next.map_err(|_| {
                with_response(
                    ProviderError::new(
                        ErrorKind::Malformed,
                        "the 202 answer has an unusable Location header",
                    ),
                    resp,
                )
            })?;
            let mut obs = Observation::new(id, State::Pending, "Accepted");
            // Some services send a status body with the 202; use its progress if so.
            if let Ok(parsed) = super::json_object::<StatusBody>(body) {
                obs.progress = progress(&parsed);
            }
            Ok(Read {
                observation: obs,
                style: learnt(Style::Location),
                next,
            })
        }
        200 | 201 | 204 if body.is_empty() => {
            if style == Style::Location {
                return Ok(Read {
                    observation: Observation::new(id, State::Succeeded, "Succeeded"),
                    style,
                    next: None,
                });
            }
            Err(no_status(&format!(
                "the status answer (HTTP {}) has no body, so no status",
                resp.status
            )))
        }
        200 | 201 | 204 => {
            let parsed: StatusBody = super::json_object(body).map_err(|why| {
                malformed(&format!(
                    "the status answer is not the JSON expected ({why})"
                ))
            })?;
            match &parsed.status {
                Some(Value::String(raw)) if !raw.trim().is_empty() => Ok(Read {
                    observation: observation(id, raw, &parsed),
                    style: learnt(Style::AsyncOperation),
                    next: None,
                }),
                Some(_) => Err(malformed(
                    "the status answer has an empty or non-text status",
                )),
                // A Location URL answers the operation's own result when done: `200 {}`,
                // or the resource.
                None if style == Style::Location => Ok(Read {
                    observation: Observation::new(id, State::Succeeded, "Succeeded"),
                    style,
                    next: None,
                }),
                None => Err(no_status("the status answer has no status field")),
            }
        }
        _ => Err(status_error(resp)),
    }
}

fn progress(body: &StatusBody) -> Option<f64> {
    let p = match body.percent_complete.as_ref()? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    p.is_finite().then(|| p.clamp(0.0, 100.0))
}

fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = value?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
}

fn observation(id: &str, raw: &str, body: &StatusBody) -> Observation {
    let state = map_status(raw);
    let mut obs = Observation::new(id, state.clone(), raw.trim());
    obs.progress = progress(body);
    obs.started_at = time(body.start_time.as_ref());
    obs.finished_at = time(body.end_time.as_ref());
    if matches!(state, State::Failed | State::Cancelled) {
        let error: ErrorDetail = body
            .error
            .as_ref()
            .and_then(|e| serde_json::from_value(e.clone()).ok())
            .unwrap_or_default();
        let line = error.one_line();
        obs.message = Some(if line.is_empty() {
            format!("the operation ended {raw} without an error object")
        } else {
            line
        });
        // Code, message and target are in the message; nested errors go in one detail (the
        // JSON report keeps details as an object, one value per name).
        let nested: Vec<String> = error
            .details
            .iter()
            .map(ErrorDetail::one_line)
            .filter(|l| !l.is_empty())
            .collect();
        if !nested.is_empty() {
            obs.details.push(("details".into(), nested.join("; ")));
        }
    }
    obs
}

/// An answer that is not a status: classified by HTTP status, with ARM's error code.
fn status_error(resp: &Response) -> ProviderError {
    #[derive(Deserialize)]
    struct Envelope {
        error: Option<ErrorDetail>,
    }
    let detail = serde_json::from_slice::<Envelope>(&resp.body)
        .ok()
        .and_then(|e| e.error);
    let kind = http::status_kind(resp.status);
    let message = match &detail {
        Some(d) => {
            let mut m = d.message.clone().unwrap_or_default();
            if let Some(t) = d.target.as_deref().filter(|t| !t.is_empty()) {
                m.push_str(&format!(" (target: {t})"));
            }
            if m.is_empty() {
                format!("HTTP {}", resp.status)
            } else {
                m
            }
        }
        None if resp.body.is_empty() => format!("HTTP {}", resp.status),
        None => format!("HTTP {}: {}", resp.status, http::snippet(&resp.body)),
    };
    let mut e = ProviderError::new(kind, message);
    if let Some(code) = detail.and_then(|d| d.code).filter(|c| !c.is_empty()) {
        e.code = Some(code);
    }
    let hint = match kind {
        ErrorKind::Auth => Some(
            "ARM refused the token twice (a fresh one included): check tenant-id and client-id, and that environment matches the cloud of the subscription",
        ),
        ErrorKind::Permission => Some(
            "The identity may read tokens but not this operation: give it a role on the subscription or resource group that allows reading it, e.g. Reader (or CDN Profile Contributor / API Management Service Contributor), and wait a few minutes for the assignment to apply",
        ),
        ErrorKind::NotFound => Some(
            "Check the monitor URL (operation-url), or subscription-id, location, resource-provider and operation-ids; monitor URLs expire some time after the operation ends",
        ),
        ErrorKind::Invalid if resp.status == 400 => Some(
            "Check api-version and the URL: give operation-url exactly as the Azure-AsyncOperation or Location header returned it",
        ),
        _ => None,
    };
    if let Some(h) = hint {
        e = e.hint(h);
    }
    with_response(e, resp)
}

fn with_response(mut e: ProviderError, resp: &Response) -> ProviderError {
    e.http_status = Some(resp.status);
    e.request_id = resp
        .header("x-ms-request-id")
        .map(|v| ("x-ms-request-id", v));
    e.correlation_id = resp
        .header("x-ms-correlation-request-id")
        .map(|v| ("x-ms-correlation-request-id", v));
    e.retry_after =
        http::retry_after(&resp.headers, SystemTime::now()).map(|d| d.max(MIN_RETRY_AFTER));
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    fn resp(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        Response {
            status,
            headers: h,
            body: body.as_bytes().to_vec(),
        }
    }

    const SEED_URL: &str = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ApiManagement/locations/testLocation/operationStatuses/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx?api-version=2024-05-01";
    const CDN_ASYNC: &str = "https://management.azure.com/subscriptions/s/resourcegroups/rg/providers/Microsoft.Cdn/operationresults/693a9993-0000-0000-0000-000000000000?api-version=2020-09-01";
    const CDN_LOCATION: &str = "https://management.azure.com/subscriptions/s/resourcegroups/rg/providers/Microsoft.Cdn/operationresults/693a9993-0000-0000-0000-000000000000/profileresults/myprofile?api-version=2020-09-01";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn read(style: Style, u: &str, r: Response) -> Result<Read, ProviderError> {
        interpret("op", style, &url(u), &r)
    }

    #[test]
    fn seed_example_is_pending() {
        let r = read(
            Style::AsyncOperation,
            SEED_URL,
            resp(200, r#"{"status": "InProgress"}"#, &[]),
        )
        .unwrap();
        assert_eq!(r.observation.state, State::Pending);
        assert_eq!(r.observation.raw_status, "InProgress");
        assert_eq!(r.style, Style::AsyncOperation);
    }

    #[test]
    fn status_words_are_case_insensitive_and_others_pending() {
        assert_eq!(map_status("Succeeded"), State::Succeeded);
        assert_eq!(map_status("SUCCEEDED"), State::Succeeded);
        assert_eq!(map_status("failed"), State::Failed);
        assert_eq!(map_status("Canceled"), State::Cancelled);
        assert_eq!(map_status("Cancelled"), State::Cancelled);
        for w in [
            "InProgress",
            "Running",
            "Accepted",
            "NotStarted",
            "Deleting",
            "Whatever",
        ] {
            assert_eq!(map_status(w), State::Pending, "{w}");
        }
        assert_eq!(map_status(" "), State::Unrecognized);
    }

    #[test]
    fn cdn_error_none_is_ignored_while_running_and_on_success() {
        for (body, state) in [
            (
                r#"{"status":"InProgress","error":{"code":"None","message":null}}"#,
                State::Pending,
            ),
            (
                r#"{"status":"Succeeded","error":{"code":"None","message":null}}"#,
                State::Succeeded,
            ),
        ] {
            let r = read(Style::Unknown, CDN_ASYNC, resp(200, body, &[])).unwrap();
            assert_eq!(r.observation.state, state);
            assert_eq!(r.observation.message, None);
            assert!(r.observation.details.is_empty());
            assert_eq!(r.style, Style::AsyncOperation);
        }
    }

    #[test]
    fn failure_carries_code_message_target_and_details() {
        let body = r#"{"id":"/x","name":"op","status":"Failed","percentComplete":40,
            "startTime":"2026-11-23T10:00:00Z","endTime":"2026-11-23T10:01:00.5Z",
            "error":{"code":"PurgeFailed","message":"Purge did not complete","target":"contentPaths",
              "details":[{"code":"OriginUnreachable","message":"origin timed out","target":"/img/*"},
                {"code":"Quota","message":"too many"}]}}"#;
        let r = read(Style::AsyncOperation, SEED_URL, resp(200, body, &[])).unwrap();
        let o = r.observation;
        assert_eq!(o.state, State::Failed);
        assert_eq!(
            o.message.as_deref(),
            Some("PurgeFailed: Purge did not complete (target: contentPaths)")
        );
        assert_eq!(
            o.details,
            vec![(
                "details".to_string(),
                "OriginUnreachable: origin timed out (target: /img/*); Quota: too many".to_string()
            )]
        );
        assert_eq!(o.progress, Some(40.0));
        assert_eq!(
            o.started_at.unwrap().to_rfc3339(),
            "2026-11-23T10:00:00+00:00"
        );
        assert!(o.finished_at.is_some());
    }

    #[test]
    fn cancelled_in_either_spelling() {
        let body = r#"{"status":"Canceled","error":{"code":"OperationCanceled","message":"Canceled by user"}}"#;
        let o = read(Style::Unknown, SEED_URL, resp(200, body, &[]))
            .unwrap()
            .observation;
        assert_eq!(o.state, State::Cancelled);
        assert_eq!(
            o.message.as_deref(),
            Some("OperationCanceled: Canceled by user")
        );
        let o = read(
            Style::Unknown,
            SEED_URL,
            resp(200, r#"{"status":"cancelled"}"#, &[]),
        )
        .unwrap()
        .observation;
        assert_eq!(o.state, State::Cancelled);
        assert!(o.message.unwrap().contains("without an error object"));
    }

    #[test]
    fn progress_is_read_and_clamped() {
        let o = |b: &str| {
            read(Style::AsyncOperation, SEED_URL, resp(200, b, &[]))
                .unwrap()
                .observation
                .progress
        };
        assert_eq!(
            o(r#"{"status":"InProgress","percentComplete":37.5}"#),
            Some(37.5)
        );
        assert_eq!(
            o(r#"{"status":"InProgress","percentComplete":"12"}"#),
            Some(12.0)
        );
        assert_eq!(
            o(r#"{"status":"InProgress","percentComplete":140}"#),
            Some(100.0)
        );
        assert_eq!(o(r#"{"status":"InProgress","percentComplete":null}"#), None);
    }

    #[test]
    fn location_style_202_follows_and_200_204_succeed() {
        let r = read(
            Style::Unknown,
            CDN_LOCATION,
            resp(
                202,
                "",
                &[
                    (
                        "location",
                        "https://management.azure.com/next?api-version=1",
                    ),
                    ("retry-after", "10"),
                ],
            ),
        )
        .unwrap();
        assert_eq!(r.observation.state, State::Pending);
        assert_eq!(r.style, Style::Location);
        assert_eq!(
            r.next.unwrap().as_str(),
            "https://management.azure.com/next?api-version=1"
        );
        let r = read(Style::Unknown, CDN_LOCATION, resp(202, "", &[])).unwrap();
        assert!(r.next.is_none());
        for (status, body) in [
            (204, ""),
            (200, ""),
            (200, "{}"),
            (200, r#"{"name":"myprofile"}"#),
        ] {
            let r = read(
                Style::Location,
                "https://management.azure.com/anything?api-version=1",
                resp(status, body, &[]),
            )
            .unwrap();
            assert_eq!(r.observation.state, State::Succeeded, "{status} {body}");
        }
        // First answer already 200 {} from a URL not known to be a Location URL: the path
        // does not tell (Microsoft.Cdn serves both kinds under operationresults), so it is
        // malformed, never success.
        let e = read(Style::Unknown, CDN_LOCATION, resp(200, "{}", &[])).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        assert!(e.hint.unwrap().contains("operation-url-kind: location"));
    }

    #[test]
    fn only_a_known_location_url_succeeds_without_a_status() {
        for (status, body) in [(204, ""), (200, ""), (200, "  \n"), (201, ""), (200, "{}")] {
            for u in [CDN_ASYNC, SEED_URL, CDN_LOCATION] {
                for style in [Style::AsyncOperation, Style::Unknown] {
                    let e = read(style, u, resp(status, body, &[])).unwrap_err();
                    assert_eq!(
                        e.kind,
                        ErrorKind::Malformed,
                        "{style:?} {u} {status} {body:?}"
                    );
                    assert_eq!(e.http_status, Some(status));
                }
                let r = read(Style::Location, u, resp(status, body, &[])).unwrap();
                assert_eq!(r.observation.state, State::Succeeded, "{u} {status}");
                assert_eq!(r.style, Style::Location);
            }
        }
        // A 202 teaches an unknown URL that it is a Location URL; a declared style stays.
        let r = read(Style::Unknown, CDN_ASYNC, resp(202, "", &[])).unwrap();
        assert_eq!(r.style, Style::Location);
        let r = read(Style::AsyncOperation, CDN_ASYNC, resp(202, "", &[])).unwrap();
        assert_eq!(
            (r.observation.state, r.style),
            (State::Pending, Style::AsyncOperation)
        );
        let r = read(
            Style::Location,
            CDN_ASYNC,
            resp(200, r#"{"status":"InProgress"}"#, &[]),
        )
        .unwrap();
        assert_eq!(
            r.style,
            Style::Location,
            "a status does not turn a Location URL"
        );
        assert_eq!(Style::from_kind("auto"), Some(Style::Unknown));
        assert_eq!(Style::from_kind("Location"), Some(Style::Location));
        assert_eq!(
            Style::from_kind("async-operation"),
            Some(Style::AsyncOperation)
        );
        assert_eq!(Style::from_kind("operationStatuses"), None);
    }

    #[test]
    fn duplicate_status_keys_are_malformed_in_every_style() {
        for body in [
            r#"{"status":"InProgress","status":"Succeeded"}"#,
            r#"{"status":"Succeeded","percentComplete":100,"status":"Succeeded"}"#,
            r#"{"status":"Failed","error":{"code":"x"},"status":"Succeeded"}"#,
            r#"{"status":null,"status":"Succeeded"}"#,
        ] {
            for style in [Style::AsyncOperation, Style::Unknown, Style::Location] {
                let e = read(style, CDN_ASYNC, resp(200, body, &[])).unwrap_err();
                assert_eq!(e.kind, ErrorKind::Malformed, "{style:?} {body}");
                assert!(e.message.contains("duplicate field"), "{}", e.message);
            }
        }
        // Other duplicated keys the status is read with are refused too.
        let e = read(
            Style::AsyncOperation,
            CDN_ASYNC,
            resp(200, r#"{"status":"Succeeded","error":{},"error":{}}"#, &[]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        // A null status is no status: malformed even on a Location URL.
        let e = read(
            Style::Location,
            CDN_LOCATION,
            resp(200, r#"{"status":null}"#, &[]),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
    }

    #[test]
    fn monitor_urls_are_checked_decoded() {
        let arm = url("https://management.azure.com");
        assert_eq!(check_monitor_url(&arm, &url(CDN_ASYNC)), Ok(()));
        assert_eq!(check_monitor_url(&arm, &url(SEED_URL)), Ok(()));
        for (bad, why) in [
            ("https://evil.example/x?api-version=1", "outside"),
            ("https://u@management.azure.com/x?api-version=1", "outside"),
            (
                "https://:pw@management.azure.com/x?api-version=1",
                "outside",
            ),
            ("http://management.azure.com/x?api-version=1", "outside"),
            (
                "https://management.azure.com/op%0A::error::x?api-version=1",
                "control",
            ),
            (
                "https://management.azure.com/op?api-version=1%0D%0A",
                "control",
            ),
            (
                "https://management.azure.com/op%E2%80%A8x?api-version=1",
                "control",
            ),
            (
                "https://management.azure.com/op%C2%85x?api-version=1",
                "control",
            ),
            (
                "https://management.azure.com/op?api-version=1#frag",
                "fragment",
            ),
        ] {
            let e = check_monitor_url(&arm, &url(bad)).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains('\n') && !e.contains('\r'), "escaped: {e}");
        }
        let long = format!(
            "https://management.azure.com/{}?api-version=1",
            "a".repeat(MAX_MONITOR_URL)
        );
        assert!(
            check_monitor_url(&arm, &url(&long))
                .unwrap_err()
                .contains("long")
        );
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn malformed_and_statusless_answers_are_never_success() {
        for (style, u, body) in [
            (Style::AsyncOperation, SEED_URL, "{}"),
            (Style::AsyncOperation, SEED_URL, ""),
            (Style::Unknown, SEED_URL, "{}"),
            (Style::Unknown, CDN_LOCATION, r#"{"status":"Succ"#),
            (Style::Location, CDN_LOCATION, "<html>ok</html>"),
            (Style::Unknown, SEED_URL, r#"{"status":""}"#),
            (Style::Unknown, SEED_URL, r#"{"status":1}"#),
            (Style::Unknown, SEED_URL, r#"["Succeeded"]"#),
        ] {
            let e = read(style, u, resp(200, body, &[])).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{style:?} {body}");
        }
    }

    #[test]
    fn errors_by_status_with_both_request_ids_and_retry_after_floor() {
        let ids = [
            ("x-ms-request-id", "req-1"),
            ("x-ms-correlation-request-id", "corr-1"),
        ];
        let body = r#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' does not have authorization to perform action 'Microsoft.Cdn/operationresults/read'"}}"#;
        let e = read(Style::Unknown, SEED_URL, resp(403, body, &ids)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permission);
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        assert!(e.hint.as_deref().unwrap().contains("role"));
        let text = e.to_string();
        assert!(
            text.contains("x-ms-request-id: req-1, x-ms-correlation-request-id: corr-1"),
            "{text}"
        );

        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(
                401,
                r#"{"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}"#,
                &ids,
            ),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Auth, Some("ExpiredAuthenticationToken"))
        );
        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
                &ids,
            ),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.request_id, Some(("x-ms-request-id", "req-1".into())));

        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(429, "", &[("retry-after", "7")]),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.retry_after),
            (ErrorKind::Throttled, Some(Duration::from_secs(7)))
        );
        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(503, "<html>", &[("retry-after-ms", "1500")]),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.retry_after),
            (ErrorKind::Transient, Some(Duration::from_millis(1500)))
        );
        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(500, "", &[("x-ms-retry-after-ms", "20")]),
        )
        .unwrap_err();
        assert_eq!(e.retry_after, Some(MIN_RETRY_AFTER), "floor of 1 s");
        let e = read(Style::Unknown, SEED_URL, resp(408, "", &[])).unwrap_err();
        assert_eq!((e.kind, e.retry_after), (ErrorKind::Transient, None));
        let e = read(
            Style::Unknown,
            SEED_URL,
            resp(
                400,
                r#"{"error":{"code":"InvalidApiVersionParameter","message":"bad"}}"#,
                &[],
            ),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
    }

    #[test]
    fn readable_ids_and_origin_checks() {
        assert_eq!(
            readable_id(&url(SEED_URL)),
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        );
        assert_eq!(
            readable_id(&url(CDN_ASYNC)),
            "693a9993-0000-0000-0000-000000000000"
        );
        assert_eq!(
            readable_id(&url(CDN_LOCATION)),
            "693a9993-0000-0000-0000-000000000000"
        );
        assert_eq!(readable_id(&url("https://h/a/b%20c?x=1")), "b c");
        let arm = url("https://management.azure.com");
        assert!(is_under(&arm, &url(SEED_URL)));
        assert!(is_under(&arm, &url("https://MANAGEMENT.azure.com:443/x")));
        assert!(!is_under(
            &arm,
            &url("https://management.azure.com.evil.example/x")
        ));
        assert!(!is_under(&arm, &url("http://management.azure.com/x")));
        assert!(!is_under(&arm, &url("https://management.azure.com:8443/x")));
        assert!(!is_under(&arm, &url("https://user@management.azure.com/x")));
        let proxy = url("http://127.0.0.1:9/arm/");
        assert!(is_under(
            &proxy,
            &url("http://127.0.0.1:9/arm/subscriptions/x")
        ));
        assert!(!is_under(
            &proxy,
            &url("http://127.0.0.1:9/armx/subscriptions/x")
        ));
        assert!(!is_under(&proxy, &url("http://127.0.0.1:9/other")));
    }

    fn paths(p: &[&str]) -> PurgeRequest {
        PurgeRequest {
            paths: p.iter().map(|s| s.to_string()).collect(),
            kind: PurgeKind::Auto,
        }
    }

    #[test]
    fn purge_urls_and_bodies_for_cdn_and_front_door() {
        let arm = url("https://management.azure.com");
        let cdn = PurgeTarget::new(
            &arm,
            "sub",
            "web-rg",
            "prof",
            EndpointKind::Cdn,
            "ep",
            PURGE_API_VERSION,
            vec![],
        );
        assert_eq!(
            cdn.url.as_str(),
            "https://management.azure.com/subscriptions/sub/resourceGroups/web-rg/providers/Microsoft.Cdn/profiles/prof/endpoints/ep/purge?api-version=2024-02-01"
        );
        let p = vec!["/a.png".to_string(), "/img/*".to_string()];
        assert_eq!(cdn.body(&p), r#"{"contentPaths":["/a.png","/img/*"]}"#);
        let afd = PurgeTarget::new(
            &url("http://127.0.0.1:9/arm/"),
            "sub",
            "rg",
            "prof",
            EndpointKind::FrontDoor,
            "ep",
            "2025-04-15",
            vec!["www.contoso.com".into()],
        );
        assert_eq!(
            afd.url.as_str(),
            "http://127.0.0.1:9/arm/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Cdn/profiles/prof/afdEndpoints/ep/purge?api-version=2025-04-15"
        );
        assert_eq!(
            afd.body(&p),
            r#"{"contentPaths":["/a.png","/img/*"],"domains":["www.contoso.com"]}"#
        );
        let all = PurgeTarget {
            domains: vec![],
            ..afd
        };
        assert_eq!(all.body(&p), r#"{"contentPaths":["/a.png","/img/*"]}"#);
    }

    #[test]
    fn purge_paths_are_checked() {
        for ok in [&["/"][..], &["/*"], &["/img/*", "/a.png", "/a b.png?v=1"]] {
            assert_eq!(check_purge(&paths(ok)), Ok(()), "{ok:?}");
        }
        for (bad, needle) in [
            ("a.png", "start it with /"),
            (
                "https://www.contoso.com/a.png",
                "give the path alone (/a.png)",
            ),
            ("/img/*.png", "trailing /*"),
            ("/*/a", "trailing /*"),
            ("/img/**", "trailing /*"),
            ("/img*", "trailing /*"),
            ("/a#top", "fragment"),
        ] {
            let e = check_purge(&paths(&[bad])).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
        let mut p = paths(&["/a"]);
        p.kind = PurgeKind::Directory;
        assert!(check_purge(&p).unwrap_err().contains("purge-type"));
        let many: Vec<String> = (0..=MAX_PURGE_PATHS * MAX_PURGE_CALLS)
            .map(|i| format!("/{i}.png"))
            .collect();
        let e = check_purge(&PurgeRequest {
            paths: many,
            kind: PurgeKind::Auto,
        })
        .unwrap_err();
        assert!(e.contains("50 concurrent purges"), "{e}");
    }

    #[test]
    fn purge_answers_name_the_monitor_or_the_refusal() {
        let purge = url(
            "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Cdn/profiles/p/endpoints/e/purge?api-version=2024-02-01",
        );
        let both = resp(
            202,
            "",
            &[
                ("azure-asyncoperation", CDN_ASYNC),
                ("location", CDN_LOCATION),
                ("retry-after", "10"),
            ],
        );
        assert_eq!(
            interpret_submit(&purge, &both).unwrap(),
            Accepted::Running {
                monitor: url(CDN_ASYNC),
                style: Style::AsyncOperation
            }
        );
        let location_only = resp(202, "", &[("location", CDN_LOCATION)]);
        assert_eq!(
            interpret_submit(&purge, &location_only).unwrap(),
            Accepted::Running {
                monitor: url(CDN_LOCATION),
                style: Style::Location
            }
        );
        assert_eq!(
            interpret_submit(&purge, &resp(200, "{}", &[])).unwrap(),
            Accepted::Done
        );
        // A 200 that carries a monitor URL is polled, not taken as done.
        assert_eq!(
            interpret_submit(
                &purge,
                &resp(200, "{}", &[("azure-asyncoperation", CDN_ASYNC)])
            )
            .unwrap(),
            Accepted::Running {
                monitor: url(CDN_ASYNC),
                style: Style::AsyncOperation
            }
        );
        assert_eq!(
            interpret_submit(&purge, &resp(204, "", &[("location", CDN_LOCATION)])).unwrap(),
            Accepted::Running {
                monitor: url(CDN_LOCATION),
                style: Style::Location
            }
        );
        let e = interpret_submit(&purge, &resp(202, "", &[])).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Invalid, Some("NoMonitorUrl"))
        );
        assert!(!e.kind.is_retryable(), "never re-sent: it was accepted");
        let e = interpret_submit(
            &purge,
            &resp(
                400,
                r#"{"error":{"code":"BadRequest","message":"Invalid content path: '/../x'."}}"#,
                &[("x-ms-request-id", "req-9")],
            ),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Invalid, Some("BadRequest"))
        );
        assert!(e.to_string().contains("x-ms-request-id: req-9"), "{e}");
        assert!(e.hint.unwrap().contains("paths"));
        let e = interpret_submit(&purge, &resp(429, "", &[("retry-after", "3")])).unwrap_err();
        assert_eq!(
            (e.kind, e.retry_after, e.ambiguous()),
            (ErrorKind::Throttled, Some(Duration::from_secs(3)), false)
        );
        let e = interpret_submit(&purge, &resp(404, "", &[])).unwrap_err();
        assert!(e.hint.unwrap().contains("afd-endpoint"));
    }
}
