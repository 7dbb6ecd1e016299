//! Tencent Cloud CDN (`tencent-cdn`) and EdgeOne (`tencent-edgeone`): TC3-HMAC-SHA256 signed
//! purges and purge-task queries (`docs/research/tencent.md`).
//!
//! Both APIs are Tencent Cloud API 3.0: `POST /` with a JSON body, the action and version in
//! `X-TC-Action` / `X-TC-Version`, `X-TC-Timestamp`, `X-TC-Token` with temporary
//! credentials, signed by [`sign`] (`content-type;host`, `Content-Type: application/json`, as
//! the SDKs sign). Every answer is HTTP 200 with `{"Response":{…,"RequestId"}}`; an error is
//! `{"Response":{"Error":{"Code","Message"},"RequestId"}}`, classified by its code
//! ([`classify`]): `RequestLimitExceeded*` and `UnauthorizedOperation.OperationTooOften`
//! (CDN's frequency limit) are throttling, `InternalError*` and non-200 answers are retried,
//! `AuthFailure.SignatureExpire` is signed afresh once and then the clock-skew hint,
//! `AuthFailure.TokenFailure` refreshes STS credentials once, other `AuthFailure*` and
//! `UnauthorizedOperation*` end the wait (exit 3) with the code, message and `RequestId`.
//! Bodies are read strictly: not an object, a key twice, no `Response`: malformed, never
//! success.
//!
//! - `tencent-cdn` ([`cdn`], `cdn.tencentcloudapi.com`, `2018-06-06`): `PurgeUrlsCache` and
//!   `PurgePathCache` create a `TaskId`; `DescribePurgeTasks` by `TaskId` lists one
//!   `PurgeLogs[]` entry per URL: all `done` succeeded, any `fail` failed naming the URL,
//!   `process` pending.
//! - `tencent-edgeone` ([`edgeone`], `teo.tencentcloudapi.com`, `2022-09-01`):
//!   `CreatePurgeTask` creates a `JobId` (`FailedList` targets are failures of that job);
//!   `DescribePurgeTasks` filtered by `job-id` lists one `Tasks[]` entry per target:
//!   `success`, `failed` / `timeout` (with `FailType` / `FailMessage`), `canceled`,
//!   `processing`.

pub mod cdn;
mod cloud;
pub mod credentials;
pub mod demo;
pub mod edgeone;
pub mod inputs;
pub mod sign;
pub mod sim;

#[cfg(test)]
mod tests;

pub use cloud::TencentCloud;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use self::credentials::{Credentials, Keys};
use crate::http::{self, Response};
use crate::provider::{
    ErrorKind, PollResult, Provider, ProviderError, PurgeRequest, State, SubmitResult, one_by_one,
};
use crate::secret::Redactor;

/// Input name of the CDN provider.
pub const CDN: &str = "tencent-cdn";
/// Input name of the EdgeOne provider.
pub const EDGEONE: &str = "tencent-edgeone";
/// The name Tencent gives its request id.
pub const REQUEST_ID: &str = "RequestId";
/// Calls per second each action allows (PurgeUrlsCache, DescribePurgeTasks, CreatePurgeTask).
pub const DOCUMENTED_RATE: f64 = 20.0;
/// Entries asked for per `DescribePurgeTasks` page.
pub const PAGE_SIZE: usize = 100;
/// Pages one poll follows at most (10,000 entries).
pub const MAX_PAGES: usize = 100;

/// Which of the two APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Tencent Cloud CDN.
    Cdn,
    /// EdgeOne.
    EdgeOne,
}

impl Product {
    /// The product for a provider input name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            CDN => Some(Product::Cdn),
            EDGEONE => Some(Product::EdgeOne),
            _ => None,
        }
    }

    /// The provider input name.
    pub fn name(self) -> &'static str {
        match self {
            Product::Cdn => CDN,
            Product::EdgeOne => EDGEONE,
        }
    }

    /// The service of the credential scope (the endpoint's first label).
    pub fn service(self) -> &'static str {
        match self {
            Product::Cdn => "cdn",
            Product::EdgeOne => "teo",
        }
    }

    /// The API version.
    pub fn version(self) -> &'static str {
        match self {
            Product::Cdn => cdn::VERSION,
            Product::EdgeOne => edgeone::VERSION,
        }
    }

    /// The default endpoint.
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Product::Cdn => "https://cdn.tencentcloudapi.com",
            Product::EdgeOne => "https://teo.tencentcloudapi.com",
        }
    }

    /// The operation ids' name.
    pub fn id_name(self) -> &'static str {
        match self {
            Product::Cdn => "TaskId",
            Product::EdgeOne => "JobId",
        }
    }
}

/// Everything needed to call the API, validated by [`inputs`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// CDN or EdgeOne.
    pub product: Product,
    /// Base URL (the product's, the international one, a simulator).
    pub endpoint: Url,
    /// Where the credentials come from.
    pub credentials: credentials::Source,
    /// EdgeOne: the zone.
    pub zone_id: Option<String>,
    /// CDN `FlushType` of directory purges (`flush` or `delete`); EdgeOne: `delete` sends
    /// `Method: delete` for prefix, host and zone purges.
    pub flush_type: cdn::FlushType,
    /// EdgeOne `CacheTag.Domains` of a cache-tag purge.
    pub cache_tag_domains: Vec<String>,
}

/// The CDN / EdgeOne client.
pub struct Tencent {
    settings: Settings,
    http: reqwest::Client,
    credentials: Credentials,
    clock: fn() -> i64,
    /// EdgeOne: the targets `CreatePurgeTask` refused in `FailedList`, by JobId, reported as
    /// failures of that job.
    refused: RefCell<HashMap<String, Vec<edgeone::Refused>>>,
    /// How many entries (URLs, targets) each TaskId / JobId this client created must list
    /// before it can succeed: an answer that lists fewer is never success.
    expected: RefCell<HashMap<String, usize>>,
    /// CDN: the purge [`Provider::split_purge`] planned (calls, URLs, directories), and
    /// whether its quota was read before the first call.
    plan: Cell<Option<cdn::Plan>>,
    quota_read: Cell<bool>,
}

impl Tencent {
    /// A client that signs with the system clock; secrets met on the way (STS credentials,
    /// OIDC tokens) are registered with `redactor`.
    pub fn new(settings: Settings, http: reqwest::Client, redactor: Redactor) -> Self {
        let credentials = Credentials::new(settings.credentials.clone(), http.clone(), redactor);
        Tencent {
            settings,
            http,
            credentials,
            clock: credentials::unix_now,
            refused: RefCell::new(HashMap::new()),
            expected: RefCell::new(HashMap::new()),
            plan: Cell::new(None),
            quota_read: Cell::new(false),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Remembers that operation `id` (created here) covers `entries` more URLs or targets.
    fn expect(&self, id: &str, entries: usize) {
        let mut expected = self.expected.borrow_mut();
        let n = expected.entry(id.to_string()).or_default();
        *n = n.saturating_add(entries);
    }

    /// How many entries operation `id` must list: known for the ones created here.
    fn expected(&self, id: &str) -> Option<usize> {
        self.expected.borrow().get(id).copied()
    }

    /// `Host` as sent: the endpoint's host, with its port when not the default.
    fn host(&self) -> String {
        let url = &self.settings.endpoint;
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    /// One signed POST of `action` with `body`.
    async fn send_once(
        &self,
        action: &str,
        body: &str,
        keys: &Keys,
    ) -> Result<Response, ProviderError> {
        let timestamp = (self.clock)();
        let host = self.host();
        let signable = sign::Signable {
            host: &host,
            content_type: sign::CONTENT_TYPE,
            extra: &[],
            body: body.as_bytes(),
        };
        let authorization = sign::authorization(
            sign::Key {
                secret_id: &keys.secret_id,
                secret_key: keys.secret_key.expose(),
            },
            self.settings.product.service(),
            timestamp,
            &signable,
        );
        let mut request = self
            .http
            .post(self.settings.endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(reqwest::header::CONTENT_TYPE, sign::CONTENT_TYPE)
            .header("X-TC-Action", action)
            .header("X-TC-Version", self.settings.product.version())
            .header("X-TC-Timestamp", timestamp.to_string());
        if let Some(token) = &keys.token {
            request = request.header("X-TC-Token", token.expose());
        }
        http::send(request.body(body.to_string())).await
    }

    /// One call of `action`, read into `T`: a refused timestamp is signed afresh and sent
    /// once more (then the clock-skew hint); refused STS credentials
    /// (`AuthFailure.TokenFailure`) are replaced once by fresh ones.
    pub async fn call<T: DeserializeOwned>(
        &self,
        action: &'static str,
        body: &serde_json::Value,
    ) -> Result<(T, Option<String>), ProviderError> {
        let body = body.to_string();
        let mut keys = self.credentials.get().await?;
        let (mut resigned, mut refreshed) = (false, false);
        loop {
            let resp = self.send_once(action, &body, &keys).await?;
            let mut e = match read::<T>(&resp, action) {
                Ok(ok) => return Ok(ok),
                Err(e) => e,
            };
            match e.code.as_deref() {
                Some("AuthFailure.SignatureExpire") if !resigned => {
                    resigned = true;
                    continue;
                }
                Some("AuthFailure.SignatureExpire") => e.kind = ErrorKind::ClockSkew,
                Some("AuthFailure.TokenFailure")
                    if !refreshed && self.credentials.can_refresh() =>
                {
                    refreshed = true;
                    keys = self.credentials.refresh(&keys).await?;
                    continue;
                }
                _ => {}
            }
            if e.kind == ErrorKind::Auth {
                let how = if refreshed {
                    "; fresh ones were refused too"
                } else {
                    ""
                };
                let hint = e.hint.take().unwrap_or_default();
                e.hint = Some(format!(
                    "{hint}. The credentials came from {}{how}",
                    self.credentials.source().describe()
                ));
            }
            return Err(e);
        }
    }
}

impl Provider for Tencent {
    fn name(&self) -> &'static str {
        self.settings.product.name()
    }

    fn max_batch(&self) -> usize {
        1
    }

    fn max_rate(&self) -> Option<f64> {
        Some(DOCUMENTED_RATE)
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        one_by_one(ids, move |id| async move {
            match self.settings.product {
                Product::Cdn => cdn::status(self, id).await,
                Product::EdgeOne => edgeone::status(self, id).await,
            }
        })
    }

    fn max_purge_paths(&self) -> usize {
        match self.settings.product {
            Product::Cdn => cdn::MAX_URLS_PER_CALL,
            Product::EdgeOne => edgeone::MAX_TARGETS_PER_CALL,
        }
    }

    fn split_purge(&self, purge: &PurgeRequest) -> Vec<PurgeRequest> {
        match self.settings.product {
            Product::Cdn => {
                let calls = cdn::split_purge(purge);
                self.plan.set(Some(cdn::Plan::of(&calls)));
                calls
            }
            Product::EdgeOne => edgeone::split_purge(purge),
        }
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        async move {
            match self.settings.product {
                Product::Cdn => cdn::submit(self, purge).await,
                Product::EdgeOne => edgeone::submit(self, purge).await,
            }
        }
        .boxed_local()
    }
}

/// `Response.Error`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: Option<T>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorPart {
    error: Option<ApiError>,
    request_id: Option<String>,
}

/// Sets the request id (when there is one).
pub fn with_request_id(mut e: ProviderError, request_id: Option<String>) -> ProviderError {
    if let Some(id) = request_id.filter(|i| !i.is_empty()) {
        e.request_id = Some((REQUEST_ID, id));
    }
    e
}

/// The `RequestId` every answer of the API carries: a status answer without one is not the
/// API's (a proxy, a stub, another service), so it is malformed and never success.
pub fn request_id_of(
    what: &str,
    request_id: Option<String>,
) -> Result<Option<String>, ProviderError> {
    match request_id.filter(|r| !r.trim().is_empty()) {
        Some(r) => Ok(Some(r)),
        None => Err(ProviderError::new(
            ErrorKind::Malformed,
            format!("the DescribePurgeTasks answer for {what} has no RequestId"),
        )),
    }
}

/// A body that is not what `action` answers: malformed (retried, never success).
pub fn malformed(
    resp: &Response,
    action: &str,
    why: &str,
    request_id: Option<String>,
) -> ProviderError {
    let mut e = ProviderError::new(ErrorKind::Malformed, format!("the {action} answer {why}"))
        .hint(format!("body starts: {}", http::snippet(&resp.body)));
    if resp.status != 200 {
        e.http_status = Some(resp.status);
    }
    with_request_id(e, request_id)
}

/// Reads `{"Response": T}` strictly, or the error it holds: an `Error` (whatever the HTTP
/// status) is the API's refusal, classified by its code; a non-200 answer without one is
/// classified by its status; a body that is not a JSON object, holds a key twice or has no
/// `Response` is malformed.
pub fn read<T: DeserializeOwned>(
    resp: &Response,
    action: &str,
) -> Result<(T, Option<String>), ProviderError> {
    let head = crate::provider::json_object::<Envelope<ErrorPart>>(&resp.body);
    let retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if let Ok(Envelope {
        response:
            Some(ErrorPart {
                error: Some(error),
                request_id,
            }),
    }) = head
    {
        let mut e = api_error(resp, error, request_id);
        e.retry_after = retry_after;
        return Err(e);
    }
    if resp.status != 200 {
        let mut e = http::status_error(resp);
        e.retry_after = retry_after;
        if let Ok(Envelope {
            response: Some(part),
        }) = head
        {
            e = with_request_id(e, part.request_id);
        }
        return Err(e);
    }
    let request_id = match head {
        Ok(Envelope {
            response: Some(part),
        }) => part.request_id,
        Ok(_) => return Err(malformed(resp, action, "has no Response object", None)),
        Err(why) => {
            return Err(malformed(
                resp,
                action,
                &format!("is not the JSON expected ({why})"),
                None,
            ));
        }
    };
    let parsed: Envelope<T> = crate::provider::json_object(&resp.body).map_err(|why| {
        malformed(
            resp,
            action,
            &format!("is not the JSON expected ({why})"),
            request_id.clone(),
        )
    })?;
    match parsed.response {
        Some(t) => Ok((t, request_id)),
        None => Err(malformed(
            resp,
            action,
            "has no Response object",
            request_id,
        )),
    }
}

/// The API's refusal as an error: code, message, request id, and what to do.
pub fn api_error(resp: &Response, error: ApiError, request_id: Option<String>) -> ProviderError {
    let code = error.code.unwrap_or_default();
    let (kind, hint) = classify(&code);
    let message = error
        .message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "(no message)".into());
    let mut e = ProviderError::new(kind, message).hint(hint);
    if !code.is_empty() {
        e.code = Some(code);
    }
    if resp.status != 200 {
        e.http_status = Some(resp.status);
    }
    with_request_id(e, request_id)
}

const KEYS: &str = "Check secret-id and secret-key (TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY): the key must exist, be enabled and belong together, with no spaces around them";

/// What each error code means for the wait (`docs/research/tencent.md` §2, §3.5, §4).
pub fn classify(code: &str) -> (ErrorKind, &'static str) {
    use ErrorKind::*;
    if code.starts_with("RequestLimitExceeded") || code == "UnauthorizedOperation.OperationTooOften"
    {
        return (
            Throttled,
            "The API throttled the call (20 calls/s per action); it is retried with backoff. Lower rate-limit if other jobs share the account",
        );
    }
    if code.starts_with("InternalError") || code == "ServiceUnavailable" {
        return (Transient, "The service had a fault; the call is retried");
    }
    match code {
        "AuthFailure.SignatureExpire" => {
            return (
                ClockSkew,
                "X-TC-Timestamp was more than 5 minutes off the server's clock even when signed afresh: the local clock is probably wrong; sync it (NTP)",
            );
        }
        "AuthFailure.TokenFailure" => {
            return (
                Auth,
                "The session token is invalid or expired: give a fresh session-token with its temporary keys, or use OIDC role assumption (role-arn, oidc-provider-id), which renews it",
            );
        }
        "AuthFailure.SignatureFailure"
        | "AuthFailure.SecretIdNotFound"
        | "AuthFailure.InvalidSecretId"
        | "AuthFailure.InvalidAuthorization"
        | "AuthFailure.MFAFailure" => return (Auth, KEYS),
        "AuthFailure.UnauthorizedOperation" => {
            return (
                Permission,
                "The credentials are valid but CAM does not allow this call: grant the user or role the action (cdn:PurgeUrlsCache, cdn:PurgePathCache, cdn:DescribePurgeTasks; teo:CreatePurgeTask, teo:DescribePurgeTasks)",
            );
        }
        _ => {}
    }
    if code.starts_with("AuthFailure") {
        return (Auth, KEYS);
    }
    if code.starts_with("UnauthorizedOperation") || code == "OperationDenied" {
        return (
            Permission,
            "The credentials are valid but may not do this: the CAM policy must allow the action (cdn:PurgeUrlsCache, cdn:PurgePathCache, cdn:DescribePurgeTasks; teo:CreatePurgeTask, teo:DescribePurgeTasks), and the service must be active",
        );
    }
    if code.starts_with("LimitExceeded") {
        return (
            Invalid,
            "A purge quota or per-call limit is used up: by default 10,000 URLs and 100 directories a day for CDN (each for mainland and overseas), the plan's quota for EdgeOne; it resets at 00:00 UTC+8, or ask for more",
        );
    }
    if code.starts_with("ResourceNotFound") || code == "InvalidParameter.DomainNotFound" {
        return (
            NotFound,
            "A domain, zone or account is not known to the API: check paths (domains of this account), zone-id and provider",
        );
    }
    if code.starts_with("InvalidParameter")
        || code.starts_with("MissingParameter")
        || code.starts_with("UnknownParameter")
        || code.starts_with("UnsupportedOperation")
        || code.starts_with("ResourceUnavailable")
        || code.starts_with("FailedOperation")
        || matches!(code, "InvalidAction" | "NoSuchVersion" | "ActionOffline")
    {
        return (
            Invalid,
            "The API refused the request's parameters: check paths, purge-type, zone-id and operation-ids",
        );
    }
    (
        Invalid,
        "An error code purge-wait does not know; it is not retried",
    )
}

/// Folds the entries of one operation: unknown beats pending beats failed beats cancelled
/// beats succeeded, so it is terminal only when every entry is and never succeeds on a word
/// purge-wait does not know. `None` for no entries.
pub fn fold(states: &[State]) -> Option<State> {
    [
        State::Unrecognized,
        State::Pending,
        State::Failed,
        State::Cancelled,
        State::Succeeded,
    ]
    .into_iter()
    .find(|s| states.contains(s))
}

/// Failures named in one message at most; the rest are counted (each is in the details).
pub const SHOWN_FAILURES: usize = 10;
/// Characters of one server-sent URL or reason shown in a message at most.
pub const SHOWN_CHARS: usize = 300;

/// `items` for a message: the first [`SHOWN_FAILURES`], each cut to [`SHOWN_CHARS`]
/// characters, joined by `sep`, then how many more; a hostile answer cannot flood the log.
pub fn listing(items: &[String], sep: &str) -> String {
    let cut = |s: &String| match s.char_indices().nth(SHOWN_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.clone(),
    };
    let shown: Vec<String> = items.iter().take(SHOWN_FAILURES).map(cut).collect();
    let mut text = shown.join(sep);
    if items.len() > SHOWN_FAILURES {
        text.push_str(&format!("{sep}… and {} more", items.len() - SHOWN_FAILURES));
    }
    text
}

/// The raw status of an operation pending only on entries its answer does not list yet.
pub const NOT_LISTED: &str = "(not listed yet)";

/// How many different entries `keys` (each entry's URL or target, when it has one) name:
/// an entry listed twice counts once, so a repeated page never stands in for a missing one.
pub fn distinct<'a>(keys: impl Iterator<Item = Option<&'a str>>) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut unnamed = 0usize;
    for key in keys {
        match key {
            Some(k) => {
                seen.insert(k.trim());
            }
            None => unnamed = unnamed.saturating_add(1),
        }
    }
    seen.len().saturating_add(unnamed)
}

/// Whether `id` has the shape of a TaskId or JobId: 1 to 128 letters, digits, `-`, `_`, `.`.
pub fn is_operation_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
