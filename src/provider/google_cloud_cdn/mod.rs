//! Google Cloud CDN (`google-cloud-cdn`): `urlMaps.invalidateCache` and the Compute Engine
//! global operations it returns, waited on with the operations `wait` long-poll.
//!
//! - **Status**: `POST {endpoint}/compute/v1/projects/{project}/global/operations/{name}/wait`
//!   (`https://compute.googleapis.com`, JSON, `Authorization: Bearer <OAuth 2.0 token>`),
//!   which Google holds until the operation is `DONE` or about two minutes pass, then
//!   answers the `Operation` as it stands: the end of an operation is seen within one round
//!   trip, at about one request per two minutes. The engine lets the call hold that long
//!   ([`Provider::hold`]) and re-issues it at once when it answered not done after holding.
//!   When `wait` is refused (405, 501, or a 404 that is not Google's "not found" for the
//!   operation: a private endpoint or proxy without it), or cut without an answer twice in a
//!   row after holding 30 s or more (a proxy or NAT dropping idle connections), plain
//!   `GET …/operations/{name}` is used from then on. `PENDING`/`RUNNING` are pending; `DONE` without `error` (and without
//!   an `httpErrorStatusCode` other than 200) succeeded; `DONE` with `error.errors[]` failed,
//!   each error's code and message and the `httpErrorStatusCode` reported; any other word
//!   keeps the wait polling and is reported. An answer about another operation (its `name`,
//!   or a `selfLink` naming another project, region or operation) is malformed.
//! - **Purge**: one `POST …/global/urlMaps/{url-map}/invalidateCache?requestId={uuid}` per
//!   path, body `{"path": "/img/*", "host": "www.example.com"}` (`host` only when given),
//!   paced at most [`SUBMITS_PER_SECOND`] a second (below Google's 500 invalidations a
//!   minute). Each path's `requestId` is a random UUID kept for every retry of that call, so
//!   a call sent again after a reset is answered with the operation it created the first
//!   time, never a second one.
//! - **Errors**: Google's envelope (`error.code`, `status`, `errors[].reason`, `message`). A
//!   401 gets a fresh token once, then ends the wait (exit 3); a 403 names the permission
//!   the call needs (`compute.urlMaps.invalidateCache`, `compute.globalOperations.get`) and
//!   fails fast — except a rate-limit 403 (`rateLimitExceeded`, `userRateLimitExceeded`) and
//!   429 `RESOURCE_EXHAUSTED`, which are throttling, retried with backoff and `Retry-After`;
//!   404 fails fast; 5xx are retried.
//! - **Credentials**: [`credentials`] (service account key, workload identity federation,
//!   native GitHub OIDC, metadata server, a token as is), chosen by [`inputs`].
//!
//! Sources: the Compute Engine v1 discovery document (`globalOperations.get` / `wait`,
//! `urlMaps.invalidateCache`, `Operation`), Cloud SDK's `api_lib/compute/waiters.py` (how
//! gcloud reads `DONE` and errors), google-auth 2.63 (credentials), google-github-actions/auth
//! (what it exports); see docs/research/google-cloud-cdn.md.

mod cloud;
pub mod credentials;
pub mod demo;
pub mod inputs;
pub mod sign;
pub mod sim;
pub mod wire;

#[cfg(test)]
mod tests;

pub use cloud::GoogleCloudCdnCloud;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use tokio::time::Instant;
use url::Url;

use self::credentials::Credentials;
use self::wire::Call;
use crate::http::{self, Response};
use crate::provider::{
    ErrorKind, Observation, PollResult, Provider, ProviderError, PurgeRequest, SubmitResult,
    one_by_one,
};
use crate::secret::{Redactor, Secret};

/// The provider's input name.
pub const NAME: &str = "google-cloud-cdn";

/// How long Compute Engine holds a `wait` call ("the 2 minute deadline").
pub const HOLD: Duration = Duration::from_secs(120);

/// Status calls per second at most: the operation read quota is 1,500 a minute per project.
pub const MAX_RATE: f64 = 20.0;

/// A `wait` that ends without an answer (a reset, a timeout) after holding at least this long
/// was most likely cut by a proxy or NAT that drops idle connections; after
/// [`CUT_WAITS`] such in a row, the client reads with `get` instead.
pub const CUT_AFTER: Duration = Duration::from_secs(30);
/// How many cut `wait` calls in a row make the client fall back to `get`.
pub const CUT_WAITS: u32 = 2;

/// `invalidateCache` calls per second at most (300 a minute, below the 500 Google allows).
pub const SUBMITS_PER_SECOND: u32 = 5;

/// What the inputs say, validated by [`inputs::settings`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The project of the URL map and its operations.
    pub project: String,
    /// Compute Engine's base URL (`https://compute.googleapis.com`, or `endpoint`).
    pub endpoint: Url,
    /// Where the access tokens come from.
    pub credentials: credentials::Source,
    /// With paths: the URL map to invalidate.
    pub url_map: Option<String>,
    /// With paths: the host to invalidate for.
    pub host: Option<String>,
}

/// The Cloud CDN invalidation and operations client.
pub struct GoogleCloudCdn {
    settings: Settings,
    http: reqwest::Client,
    credentials: Credentials,
    request_timeout: Duration,
    /// Set once `wait` was refused (or cut [`CUT_WAITS`] times in a row): plain `get` from
    /// then on.
    wait_refused: Cell<bool>,
    /// `wait` calls cut in a row after holding [`CUT_AFTER`] or more.
    cut_waits: Cell<u32>,
    /// [`HOLD`] and [`CUT_AFTER`] (tests shorten them).
    hold: Duration,
    cut_after: Duration,
    /// Each path's `requestId`, kept for every retry of its call.
    request_ids: RefCell<HashMap<String, String>>,
    /// When the next `invalidateCache` call may start.
    next_submit: Cell<Option<Instant>>,
}

impl GoogleCloudCdn {
    /// A client; secrets met on the way (tokens, assertions) are registered with `redactor`.
    pub fn new(
        settings: Settings,
        http: reqwest::Client,
        request_timeout: Duration,
        redactor: Redactor,
    ) -> Self {
        let credentials = Credentials::new(settings.credentials.clone(), http.clone(), redactor);
        GoogleCloudCdn {
            settings,
            http,
            credentials,
            request_timeout,
            wait_refused: Cell::new(false),
            cut_waits: Cell::new(0),
            hold: HOLD,
            cut_after: CUT_AFTER,
            request_ids: RefCell::new(HashMap::new()),
            next_submit: Cell::new(None),
        }
    }

    /// `{endpoint}/compute/v1/projects/{project}/global/{segments…}`.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.settings.endpoint.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend([
                    "compute",
                    "v1",
                    "projects",
                    &self.settings.project,
                    "global",
                ])
                .extend(segments);
        }
        url
    }

    /// The `requestId` of `path`'s call: the same for every retry.
    pub fn request_id(&self, path: &str) -> String {
        self.request_ids
            .borrow_mut()
            .entry(path.to_string())
            .or_insert_with(uuid_v4)
            .clone()
    }

    /// One authorised call, its unsuccessful answers made errors. A 401 gets a fresh token
    /// once (when it can be renewed), then ends in an auth error.
    async fn call(
        &self,
        call: Call,
        method: reqwest::Method,
        url: Url,
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Response, ProviderError> {
        let mut token = self.credentials.get().await?;
        let mut refreshed = false;
        loop {
            let resp = self
                .send_once(&method, &url, body.as_deref(), timeout, &token)
                .await?;
            if (200..300).contains(&resp.status) {
                return Ok(resp);
            }
            if resp.status == 401 && !refreshed && self.credentials.can_refresh() {
                refreshed = true;
                token = self.credentials.refresh(&token).await?;
                continue;
            }
            let mut e = wire::api_error(&resp, call);
            if resp.status == 401 {
                let how = if refreshed {
                    "a fresh one was refused too"
                } else {
                    "it cannot be renewed"
                };
                e.kind = ErrorKind::Auth;
                let hint = e.hint.take().unwrap_or_default();
                e.hint = Some(format!(
                    "{hint}. The token came from {}; {how}",
                    self.credentials.source().describe()
                ));
            }
            return Err(e);
        }
    }

    async fn send_once(
        &self,
        method: &reqwest::Method,
        url: &Url,
        body: Option<&str>,
        timeout: Option<Duration>,
        token: &Secret,
    ) -> Result<Response, ProviderError> {
        let mut builder = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        } else if method == reqwest::Method::POST {
            // Google's front ends answer 411 to a POST without a length.
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        http::send(builder).await
    }

    /// One reading of operation `id`: the `wait` long-poll, or `get` once it was refused.
    async fn get(&self, id: &str) -> Result<Observation, ProviderError> {
        if !self.wait_refused.get() {
            let url = self.url(&["operations", id, "wait"]);
            // A little inside the engine's own bound (hold + request-timeout), so that a wait
            // that never answers ends here, where it counts as cut.
            let hold = self.hold.saturating_add(self.request_timeout / 10 * 9);
            let asked = Instant::now();
            match self
                .call(Call::Wait, reqwest::Method::POST, url, None, Some(hold))
                .await
            {
                Ok(resp) => {
                    self.cut_waits.set(0);
                    return read(id, &self.settings.project, &resp, Call::Wait);
                }
                Err(e) if wait_is_refused(&e) => self.wait_refused.set(true),
                Err(e) if is_cut(&e) && asked.elapsed() >= self.cut_after => {
                    let cut = self.cut_waits.get().saturating_add(1);
                    self.cut_waits.set(cut);
                    if cut < CUT_WAITS {
                        return Err(e);
                    }
                    self.wait_refused.set(true);
                    let hint = format!(
                        "{} wait calls in a row ended without an answer after holding {} or more: something between here and Google (a proxy, a NAT) drops idle connections, so operations are read with get from now on",
                        cut,
                        crate::duration::format(self.cut_after)
                    );
                    return Err(e.hint(hint));
                }
                Err(e) => {
                    self.cut_waits.set(0);
                    return Err(e);
                }
            }
        }
        let url = self.url(&["operations", id]);
        let resp = self
            .call(Call::Get, reqwest::Method::GET, url, None, None)
            .await?;
        read(id, &self.settings.project, &resp, Call::Get)
    }

    /// Waits for the next `invalidateCache` slot.
    async fn pace(&self) {
        let gap = Duration::from_secs(1) / SUBMITS_PER_SECOND;
        let now = Instant::now();
        let at = self.next_submit.get().map_or(now, |n| n.max(now));
        self.next_submit.set(Some(crate::duration::after(at, gap)));
        tokio::time::sleep_until(at).await;
    }

    /// One `invalidateCache` call for the one path of `purge`.
    async fn invalidate(&self, purge: &PurgeRequest) -> SubmitResult {
        let (Some(path), Some(url_map)) = (purge.paths.first(), &self.settings.url_map) else {
            let mut e = ProviderError::new(ErrorKind::Invalid, "nothing to invalidate");
            e.may_have_reached = false;
            return Err(e);
        };
        let request_id = self.request_id(path);
        self.pace().await;
        let mut url = self.url(&["urlMaps", url_map, "invalidateCache"]);
        url.query_pairs_mut().append_pair("requestId", &request_id);
        let rule = wire::CacheInvalidationRule {
            path,
            host: self.settings.host.as_deref(),
        };
        let body = serde_json::to_string(&rule).unwrap_or_default();
        let resp = self
            .call(
                Call::Invalidate,
                reqwest::Method::POST,
                url,
                Some(body),
                None,
            )
            .await?;
        let op = wire::parse_operation(&resp.body)
            .map_err(|why| wire::malformed(&resp, Call::Invalidate, why))?;
        if let Some(why) = wire::self_link_problem(&op, &self.settings.project) {
            return Err(wire::malformed(&resp, Call::Invalidate, why));
        }
        if op
            .client_operation_id
            .as_deref()
            .is_some_and(|c| c != request_id)
        {
            return Err(wire::malformed(
                &resp,
                Call::Invalidate,
                "the operation answers another requestId".into(),
            ));
        }
        if op
            .operation_type
            .as_deref()
            .is_some_and(|t| t != "invalidateCache")
        {
            return Err(wire::malformed(
                &resp,
                Call::Invalidate,
                format!(
                    "the operation is a {}, not an invalidateCache",
                    crate::provider::quoted(op.operation_type.as_deref().unwrap_or_default())
                ),
            ));
        }
        let name = op.name.unwrap_or_default();
        // Not re-sent: the invalidation was accepted.
        if !inputs::is_resource_name(&name, 128, true) {
            let mut e = ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "the invalidation was accepted but its answer is malformed: name {} is not an operation name",
                    crate::provider::quoted(&name)
                ),
            )
            .code("MalformedOperationId");
            e.http_status = Some(resp.status);
            return Err(e);
        }
        Ok(vec![name])
    }
}

/// Whether `wait` itself is refused (the endpoint does not serve it), rather than the
/// operation being unknown: 405, 501, or a 404 without Google's "not found" envelope.
fn wait_is_refused(e: &ProviderError) -> bool {
    match e.http_status {
        Some(405 | 501) => true,
        Some(404) => e.code.is_none(),
        _ => false,
    }
}

/// A call that ended without an answer: a transport error (reset, timeout), no HTTP status.
fn is_cut(e: &ProviderError) -> bool {
    e.kind == ErrorKind::Transient && e.http_status.is_none()
}

/// The operation of an answer, checked to be the one asked for.
fn read(
    id: &str,
    project: &str,
    resp: &Response,
    call: Call,
) -> Result<Observation, ProviderError> {
    let op = wire::parse_operation(&resp.body).map_err(|why| wire::malformed(resp, call, why))?;
    if let Some(why) = wire::self_link_problem(&op, project) {
        return Err(wire::malformed(resp, call, why));
    }
    if !wire::is_about(&op, id) {
        return Err(wire::malformed(
            resp,
            call,
            format!(
                "asked for operation {id} but the answer is about {}",
                crate::provider::quoted(op.name.as_deref().unwrap_or_default())
            ),
        ));
    }
    Ok(wire::observation(id, &op))
}

/// A random (version 4) UUID, never the zero one Compute refuses.
pub fn uuid_v4() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut b).is_err() {
        b = fastrand::u128(..).to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl Provider for GoogleCloudCdn {
    fn name(&self) -> &'static str {
        NAME
    }

    fn max_rate(&self) -> Option<f64> {
        Some(MAX_RATE)
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        one_by_one(ids, move |id| self.get(id).boxed_local())
    }

    fn hold(&self) -> Option<Duration> {
        (!self.wait_refused.get()).then_some(self.hold)
    }

    fn max_purge_paths(&self) -> usize {
        1
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        self.invalidate(purge).boxed_local()
    }

    fn submit_is_idempotent(&self) -> bool {
        true
    }
}
