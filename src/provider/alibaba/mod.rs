//! Alibaba Cloud DCDN and CDN refresh/prefetch task status:
//! `DescribeDcdnRefreshTaskById` (`dcdn.aliyuncs.com`, `2018-01-15`) and
//! `DescribeRefreshTaskById` (`cdn.aliyuncs.com`, `2018-05-10`).
//!
//! Wire format (seed 004, `shared/docs/alibaba-signing.md` §1, §3.3, §5):
//! - request: RPC style, `POST /?TaskId=1%2C2` with an empty body, up to 10 ids comma
//!   separated, signed with ACS3-HMAC-SHA256 by [`crate::provider::alibaba::acs3`] afresh for every
//!   request (new `x-acs-date` and `x-acs-signature-nonce`); credentials from
//!   [`crate::auth`];
//! - 200: `{"TotalCount","RequestId","Tasks":[{"TaskId","Status","Process","Description",
//!   "ObjectPath","ObjectType","CreationTime"}]}` with `Status` one of
//!   `Pending | Refreshing | Complete | Failed`. An id the answer leaves out (older than the
//!   3-day window, another account) is reported by the engine as not found;
//! - error: `{"RequestId","HostId","Code","Message","Recommend"}` with HTTP 4xx/5xx. Errors
//!   are classified by `Code` first (throttling codes arrive as 400 too), by HTTP status when
//!   the code is unknown.
//!
//! A refresh of several URLs may come back as several entries with the same `TaskId`; they
//! are folded into one observation that is terminal only when every entry is.
//!
//! Purge, then wait: `RefreshDcdnObjectCaches` / `RefreshObjectCaches` (notes §3.2), signed
//! the same way, with `ObjectPath` (newline separated) and `ObjectType` as a form body (the
//! API pages: "parameters are sent as a form"; the V3 doc's form example) so that 1,000 URLs
//! never make an over-long URL. One call carries one `ObjectType`, so
//! [`Provider::split_purge`] splits by type first, then by the per-call limits below. The
//! answer's `RefreshTaskId` may hold several ids, comma separated.

pub mod acs3;
mod cloud;
pub mod credentials;
pub mod demo;
pub mod inputs;
pub mod sim;

pub use cloud::AlibabaCloud;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use url::Url;

use super::{
    ErrorKind, Observation, PollResult, Provider, ProviderError, PurgeKind, PurgeRequest, State,
    SubmitResult,
};
use crate::http::{self, Response};
use crate::provider::alibaba::credentials::{self as auth, Credentials};
use crate::secret::Redactor;

/// Input name of the DCDN provider.
pub const DCDN: &str = "alibaba-dcdn";
/// Input name of the CDN provider.
pub const CDN: &str = "alibaba-cdn";
/// Ids one `Describe…RefreshTaskById` call may carry.
pub const MAX_BATCH: usize = 10;
/// Calls per second per account the API allows.
pub const DOCUMENTED_RATE: f64 = 30.0;
/// The name the API gives its request id (body field; also `x-acs-request-id`).
pub const REQUEST_ID: &str = "RequestId";
/// The default region.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Which of the two APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Dynamic Route for CDN / Edge Security Acceleration.
    Dcdn,
    /// Alibaba Cloud CDN.
    Cdn,
}

/// Regions the CDN SDK sends to the Singapore endpoint rather than the central one.
const CDN_INTERNATIONAL: &[&str] = &[
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
    "us-east-1",
    "us-west-1",
];

impl Product {
    /// The product for a provider input name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            DCDN => Some(Product::Dcdn),
            CDN => Some(Product::Cdn),
            _ => None,
        }
    }

    /// The provider input name.
    pub fn name(self) -> &'static str {
        match self {
            Product::Dcdn => DCDN,
            Product::Cdn => CDN,
        }
    }

    /// The status action.
    pub fn action(self) -> &'static str {
        match self {
            Product::Dcdn => "DescribeDcdnRefreshTaskById",
            Product::Cdn => "DescribeRefreshTaskById",
        }
    }

    /// The refresh (purge) action.
    pub fn refresh_action(self) -> &'static str {
        match self {
            Product::Dcdn => "RefreshDcdnObjectCaches",
            Product::Cdn => "RefreshObjectCaches",
        }
    }

    /// The API version.
    pub fn version(self) -> &'static str {
        match self {
            Product::Dcdn => "2018-01-15",
            Product::Cdn => "2018-05-10",
        }
    }

    /// The endpoint the official SDK uses for `region`: DCDN is central for every region;
    /// CDN is central except for the international regions, served from Singapore.
    pub fn default_endpoint(self, region: &str) -> String {
        match self {
            Product::Dcdn => "https://dcdn.aliyuncs.com".into(),
            Product::Cdn if CDN_INTERNATIONAL.contains(&region) => {
                "https://cdn.ap-southeast-1.aliyuncs.com".into()
            }
            Product::Cdn => "https://cdn.aliyuncs.com".into(),
        }
    }
}

/// Everything needed to call the API, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// DCDN or CDN.
    pub product: Product,
    /// Base URL (the SDK's endpoint for the region, the international one, a simulator).
    pub endpoint: Url,
    /// Where the credentials come from.
    pub credentials: auth::Source,
}

/// The DCDN/CDN refresh-task status client.
pub struct Alibaba {
    settings: Settings,
    http: reqwest::Client,
    credentials: Credentials,
    clock: fn() -> DateTime<Utc>,
}

impl Alibaba {
    /// A client that signs with the system clock. Secrets met on the way (temporary
    /// credentials) are registered with `redactor`.
    pub fn new(settings: Settings, http: reqwest::Client, redactor: Redactor) -> Self {
        let credentials = Credentials::new(settings.credentials.clone(), http.clone(), redactor);
        Alibaba {
            settings,
            http,
            credentials,
            clock: Utc::now,
        }
    }

    /// The request URL for `ids`: the endpoint with `?TaskId=<ids, comma separated>`,
    /// encoded exactly as the canonical query string that is signed.
    pub fn request_url(&self, ids: &[String]) -> Url {
        let mut url = self.settings.endpoint.clone();
        let joined = ids.join(",");
        url.set_query(Some(&acs3::canonical_query_string(&[(
            "TaskId",
            joined.as_str(),
        )])));
        url
    }

    /// One signed `POST` of `action` to `url` (whose query is `query`, encoded as
    /// [`acs3::canonical_query_string`] encodes it), with `form` as an
    /// `application/x-www-form-urlencoded` body when given.
    async fn send_signed(
        &self,
        action: &str,
        url: Url,
        query: &[(&str, &str)],
        form: Option<String>,
    ) -> Result<Response, ProviderError> {
        let key = self.credentials.get().await?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        const FORM: &str = "application/x-www-form-urlencoded";
        let extra: &[(&str, &str)] = if form.is_some() {
            &[(acs3::CONTENT_TYPE, FORM)]
        } else {
            &[]
        };
        let body = form.unwrap_or_default();
        let signable = acs3::SignableRequest {
            method: "POST",
            host: &host,
            path: url.path(),
            query,
            headers: extra,
            body: body.as_bytes(),
        };
        let nonce = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let headers = acs3::sign(
            &signable,
            &key.as_acs3(),
            action,
            self.settings.product.version(),
            (self.clock)(),
            &nonce,
        );
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.body(body);
        }
        http::send(request).await
    }

    /// One signed call, interpreted.
    async fn call_once(&self, ids: &[String]) -> PollResult {
        let url = self.request_url(ids);
        let joined = ids.join(",");
        let query = [("TaskId", joined.as_str())];
        let resp = self
            .send_signed(self.settings.product.action(), url, &query, None)
            .await?;
        interpret(ids, resp)
    }

    /// The refresh call's form body: `ObjectPath` (newline separated) and `ObjectType`.
    pub fn refresh_form(purge: &PurgeRequest) -> Result<String, ProviderError> {
        let object_type = ObjectType::of_request(purge).ok_or_else(|| {
            let mut e = ProviderError::new(
                ErrorKind::Invalid,
                "one refresh call carries one ObjectType, but these paths need several",
            )
            .hint("split the request with split_purge first; this is a bug worth reporting");
            e.may_have_reached = false;
            e
        })?;
        let paths = purge.paths.join("\n");
        Ok(acs3::canonical_query_string(&[
            ("ObjectPath", paths.as_str()),
            ("ObjectType", object_type.as_str()),
        ]))
    }

    /// One signed refresh call, interpreted; the ids are its `RefreshTaskId`s.
    async fn refresh_once(&self, purge: &PurgeRequest) -> SubmitResult {
        let form = Self::refresh_form(purge)?;
        let mut url = self.settings.endpoint.clone();
        url.set_query(None);
        let resp = self
            .send_signed(self.settings.product.refresh_action(), url, &[], Some(form))
            .await?;
        interpret_submit(resp)
    }

    /// A refused timestamp or reused nonce means the API did nothing: signed afresh and sent
    /// once more at once, as for the status calls.
    async fn refresh(&self, purge: &PurgeRequest) -> SubmitResult {
        match self.refresh_once(purge).await {
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some("InvalidTimeStamp.Expired" | "SignatureNonceUsed")
                ) =>
            {
                self.refresh_once(purge).await
            }
            other => other,
        }
    }

    /// A refused timestamp or a reused nonce is re-signed once at once (fresh date and
    /// nonce); refused twice, the error stands (for the timestamp: probable clock skew).
    async fn call(&self, ids: &[String]) -> PollResult {
        match self.call_once(ids).await {
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some("InvalidTimeStamp.Expired" | "SignatureNonceUsed")
                ) =>
            {
                self.call_once(ids).await
            }
            other => other,
        }
    }
}

impl Provider for Alibaba {
    fn name(&self) -> &'static str {
        self.settings.product.name()
    }

    fn max_batch(&self) -> usize {
        MAX_BATCH
    }

    fn max_rate(&self) -> Option<f64> {
        Some(DOCUMENTED_RATE)
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        self.call(ids).boxed_local()
    }

    fn max_purge_paths(&self) -> usize {
        MAX_URLS_PER_CALL
    }

    fn split_purge(&self, purge: &PurgeRequest) -> Vec<PurgeRequest> {
        split_purge(purge)
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        self.refresh(purge).boxed_local()
    }
}

/// URLs (`File`, `IgnoreParams`) one refresh call may carry: "Each request can contain up to
/// 1,000 URLs or 100 directories" (RefreshDcdnObjectCaches and RefreshObjectCaches pages;
/// notes §3.2).
pub const MAX_URLS_PER_CALL: usize = 1000;
/// Directories one refresh call may carry (same sentence).
pub const MAX_DIRECTORIES_PER_CALL: usize = 100;
/// Regular expressions one refresh call may carry: "1,000 URLs or 100 directories or 1
/// regex per request" (RefreshObjectCaches, help.aliyun.com/document_detail/91164.html; the
/// DCDN page says nothing, so the same is assumed).
pub const MAX_REGEX_PER_CALL: usize = 1;
/// Domains the URLs of one call may belong to: "the total number of domain names in all
/// URLs of a submitted task cannot exceed 10" (RefreshObjectCaches; applied to DCDN too).
pub const MAX_DOMAINS_PER_CALL: usize = 10;
/// Characters in one path (RefreshErObjectCaches page; notes §3.2).
pub const MAX_PATH_CHARS: usize = 1024;
/// Paths one step may refresh: the default daily quota of URLs (10,000 a day; directories
/// 100, and for CDN regex 20 and ignore-params 100). Quotas can be raised per account, so
/// only the total is checked before any request; the API's `QuotaExceeded.Refresh` stops
/// the step when the account's own quota is used up.
pub const MAX_PATHS: usize = 10_000;

/// The `ObjectType` of one refresh call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// URLs of files (the API's default).
    File,
    /// Directories: URLs ending in `/`.
    Directory,
    /// Regular expressions over the URL.
    Regex,
    /// URLs of files, ignoring the query string. The DCDN SDK and both APIs' current pages
    /// spell it `IgnoreParams`; the CDN SDK's doc comment says `ExQuery` (notes §7).
    IgnoreParams,
}

impl ObjectType {
    /// The type `path` is refreshed as under `kind`: for `auto`, a path ending in `/` is a
    /// directory, any other a file.
    pub fn of(kind: PurgeKind, path: &str) -> Self {
        match kind {
            PurgeKind::Auto if path.ends_with('/') => ObjectType::Directory,
            // Refused by check_purge before any split.
            PurgeKind::Auto
            | PurgeKind::File
            | PurgeKind::Host
            | PurgeKind::All
            | PurgeKind::CacheTag => ObjectType::File,
            PurgeKind::Directory => ObjectType::Directory,
            PurgeKind::Regex => ObjectType::Regex,
            PurgeKind::IgnoreParams => ObjectType::IgnoreParams,
        }
    }

    /// The one type every path of `purge` has, if they share one.
    pub fn of_request(purge: &PurgeRequest) -> Option<Self> {
        let first = ObjectType::of(purge.kind, purge.paths.first()?);
        purge
            .paths
            .iter()
            .all(|p| ObjectType::of(purge.kind, p) == first)
            .then_some(first)
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::File => "File",
            ObjectType::Directory => "Directory",
            ObjectType::Regex => "Regex",
            ObjectType::IgnoreParams => "IgnoreParams",
        }
    }

    /// How many paths of this type one call may carry.
    pub fn max_per_call(self) -> usize {
        match self {
            ObjectType::File | ObjectType::IgnoreParams => MAX_URLS_PER_CALL,
            ObjectType::Directory => MAX_DIRECTORIES_PER_CALL,
            ObjectType::Regex => MAX_REGEX_PER_CALL,
        }
    }

    /// The purge kind that sends exactly this type.
    fn kind(self) -> PurgeKind {
        match self {
            ObjectType::File => PurgeKind::File,
            ObjectType::Directory => PurgeKind::Directory,
            ObjectType::Regex => PurgeKind::Regex,
            ObjectType::IgnoreParams => PurgeKind::IgnoreParams,
        }
    }
}

/// The host of a path, lower case, as written between `://` and the first `/` (a regex
/// path may not parse as a URL, so this does not parse it).
pub fn path_host(path: &str) -> String {
    let rest = path.split_once("://").map_or(path, |(_, r)| r);
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    rest[..end].to_ascii_lowercase()
}

/// Splits a purge into refresh calls: by `ObjectType` (one per call; types in the order
/// they first appear, paths in the order given), then into calls within the type's per-call
/// limit and [`MAX_DOMAINS_PER_CALL`] domains.
pub fn split_purge(purge: &PurgeRequest) -> Vec<PurgeRequest> {
    let mut groups: Vec<(ObjectType, Vec<String>)> = Vec::new();
    for path in &purge.paths {
        let t = ObjectType::of(purge.kind, path);
        match groups.iter_mut().find(|(g, _)| *g == t) {
            Some((_, paths)) => paths.push(path.clone()),
            None => groups.push((t, vec![path.clone()])),
        }
    }
    let mut calls = Vec::new();
    for (t, paths) in groups {
        let mut current: Vec<String> = Vec::new();
        let mut hosts: Vec<String> = Vec::new();
        for path in paths {
            let host = path_host(&path);
            let new_host = !hosts.contains(&host);
            if current.len() >= t.max_per_call()
                || (new_host && hosts.len() >= MAX_DOMAINS_PER_CALL)
            {
                calls.push(PurgeRequest {
                    paths: std::mem::take(&mut current),
                    kind: t.kind(),
                });
                hosts.clear();
            }
            if !hosts.contains(&host) {
                hosts.push(host);
            }
            current.push(path);
        }
        if !current.is_empty() {
            calls.push(PurgeRequest {
                paths: current,
                kind: t.kind(),
            });
        }
    }
    calls
}

/// Checks paths before any request: full http(s) URLs of a literal domain (the API refuses
/// wildcard domains: `InvalidExtensiveDomain.ValueNotSupported`), at most 1,024 characters,
/// no `*` unless the purge type is `regex` (a file or directory refresh takes none), a
/// directory ending in `/`, and no more than [`MAX_PATHS`] in all.
pub fn check_purge(purge: &PurgeRequest) -> Result<(), String> {
    if matches!(
        purge.kind,
        PurgeKind::Host | PurgeKind::All | PurgeKind::CacheTag
    ) {
        return Err("Alibaba Cloud refreshes URLs, directories and regular expressions: use purge-type auto, file, directory, regex or ignore-params".into());
    }
    if purge.paths.len() > MAX_PATHS {
        return Err(format!(
            "{} paths exceed the {MAX_PATHS} URLs an account may refresh a day by default; split the purge over several steps (or days)",
            purge.paths.len()
        ));
    }
    let regex = purge.kind == PurgeKind::Regex;
    for path in &purge.paths {
        if path.chars().count() > MAX_PATH_CHARS {
            return Err(format!(
                "a path of {} characters is longer than the {MAX_PATH_CHARS} the API takes",
                path.chars().count()
            ));
        }
        let lower = path.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(format!(
                "{path:?} is not a full URL; Alibaba Cloud refreshes take URLs with http:// or https://, such as https://www.example.com/images/logo.png"
            ));
        }
        let host = path_host(path);
        if host.is_empty() {
            return Err(format!("{path:?} has no domain"));
        }
        if host.contains('*') {
            return Err(format!(
                "{path:?} has a wildcard domain, which the API refuses (InvalidExtensiveDomain.ValueNotSupported); give each accelerated domain"
            ));
        }
        if regex {
            if path_has_no_path(path) {
                return Err(format!(
                    "{path:?} has no expression after the domain; a regex refresh takes a URL such as https://www.example.com/img/.*\\.png"
                ));
            }
            continue;
        }
        let url = Url::parse(path)
            .ok()
            .filter(|u| u.host_str().is_some())
            .ok_or_else(|| format!("{path:?} is not a valid URL"))?;
        if path.contains('*') {
            return Err(format!(
                "{path:?} has a wildcard; a file or directory refresh takes none: refresh its directory (a URL ending in /) or use purge-type regex"
            ));
        }
        if url.fragment().is_some() {
            return Err(format!(
                "{path:?} has a #fragment, which is never sent to a CDN"
            ));
        }
        if purge.kind == PurgeKind::Directory && !path.ends_with('/') {
            return Err(format!(
                "{path:?} does not end in /; a directory refresh takes the directory's URL, such as https://www.example.com/images/"
            ));
        }
    }
    Ok(())
}

/// Whether a URL-like path stops at its domain (`https://example.com` or `…com/`).
fn path_has_no_path(path: &str) -> bool {
    let rest = path.split_once("://").map_or(path, |(_, r)| r);
    rest.find('/').is_none_or(|i| rest[i..].len() <= 1)
}

/// The refresh answer: `{"RefreshTaskId": "704222904", "RequestId": …}`, several ids comma
/// separated (notes §3.2: split on `,` and trim).
pub fn interpret_submit(resp: Response) -> SubmitResult {
    let error: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
    let ok = (200..300).contains(&resp.status);
    if !ok || error.as_ref().is_some_and(|e| e.code.is_some()) {
        let mut e = api_error_by(&resp, error.unwrap_or_default(), classify_submit_or_status);
        if e.code.as_deref() == Some("QuotaPerMinuteExceeded.Refresh") && e.retry_after.is_none() {
            // The limit is per minute: sooner is refused again.
            e.retry_after = Some(std::time::Duration::from_secs(60));
        }
        return Err(e);
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Refreshed {
        refresh_task_id: Option<serde_json::Value>,
        request_id: Option<String>,
    }
    let parsed: Option<Refreshed> = serde_json::from_slice(&resp.body).ok();
    let request_id = parsed.as_ref().and_then(|p| p.request_id.clone());
    let ids: Vec<String> = match parsed.and_then(|p| p.refresh_task_id) {
        Some(serde_json::Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect(),
        Some(serde_json::Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    };
    if ids.is_empty() {
        let e = ProviderError::new(
            ErrorKind::Malformed,
            "the refresh answer has no RefreshTaskId",
        )
        .hint(format!("body starts: {}", http::snippet(&resp.body)));
        return Err(with_response(e, &resp, None, request_id));
    }
    // A RefreshTaskId is digits (`704222904`; the status API answers
    // InvalidTaskId.Malformed for anything else): another id is a malformed answer, refused
    // without echoing it raw. Not re-sent: the refresh was accepted.
    if let Some(bad) = ids.iter().find(|i| !is_task_id(i)) {
        let e = ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "the refresh was accepted but its answer is malformed: RefreshTaskId {} is not a task id (digits)",
                super::quoted(bad)
            ),
        )
        .code("MalformedRefreshTaskId");
        return Err(with_response(e, &resp, None, request_id));
    }
    Ok(ids)
}

/// Whether `id` has the form of a task id: 1 to 20 ASCII digits.
pub fn is_task_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn classify_submit_or_status(code: &str) -> Option<(ErrorKind, &'static str)> {
    classify_submit(code).or_else(|| classify(code))
}

/// The decision for the refresh calls' own codes (the RefreshDcdnObjectCaches and
/// RefreshObjectCaches error tables); other codes are decided by [`classify`].
pub fn classify_submit(code: &str) -> Option<(ErrorKind, &'static str)> {
    use ErrorKind::*;
    if code.starts_with("Forbidden") || code.starts_with("OperationDenied") {
        return Some((
            Permission,
            "The credentials are valid but may not refresh: the RAM policy must allow dcdn:RefreshDcdnObjectCaches or cdn:RefreshObjectCaches, and the service must be active (not suspended for overdue payment)",
        ));
    }
    Some(match code {
        "QuotaExceeded.Refresh" => (
            Invalid,
            "The account's daily refresh quota is used up (by default 10,000 URLs and 100 directories a day; CDN also 20 regex and 100 ignore-params refreshes). DescribeRefreshQuota / DescribeDcdnRefreshQuota shows what is left; the quota resets the next day, or ask for more in Quota Management",
        ),
        "QuotaPerMinuteExceeded.Refresh" => (
            Throttled,
            "Too many URLs of one domain were refreshed this minute; the call is sent again after a pause",
        ),
        "TooMany.Refresh" => (
            Throttled,
            "The domain's refresh queue is full; the call is sent again after a pause",
        ),
        "SingleRequest.OverLimit" | "InvalidObjectPath.Size.Malformed" => (
            Invalid,
            "The API refused the number of paths in one call; purge-wait sends at most 1,000 URLs, 100 directories or 1 regex per call, so this is worth reporting",
        ),
        "InvalidObjectPath.Malformed" | "ObjectPath.Malformed" => (
            Invalid,
            "Check paths: full URLs of an accelerated domain of this account, directories ending in /",
        ),
        "InvalidObjectType.Malformed" | "InvalidObjectType.ValueNotSupported" => (
            Invalid,
            "The API does not take this ObjectType: check purge-type (file, directory, regex, ignore-params)",
        ),
        "InvalidExtensiveDomain.ValueNotSupported" => (
            Invalid,
            "The API refreshes no wildcard domain: give the URLs of each accelerated domain",
        ),
        "InvalidDomain.NotFound" => (
            NotFound,
            "A domain in paths is not an accelerated domain of this account: check paths and provider (alibaba-dcdn or alibaba-cdn)",
        ),
        "InvalidDomain.Offline" => (
            Invalid,
            "A domain in paths is offline (disabled); enable it before refreshing",
        ),
        "InvalidParameters" => (
            Invalid,
            "The API refused the refresh's parameters; check paths and purge-type",
        ),
        _ => return None,
    })
}

/// The error envelope, every field optional (the SDK also accepts lower-case names).
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// `RequestId`.
    #[serde(rename = "RequestId", alias = "requestId")]
    pub request_id: Option<String>,
    /// `HostId`.
    #[serde(rename = "HostId", alias = "hostId")]
    pub host_id: Option<String>,
    /// `Code`.
    #[serde(rename = "Code", alias = "code")]
    pub code: Option<String>,
    /// `Message`.
    #[serde(rename = "Message", alias = "message")]
    pub message: Option<String>,
    /// `Recommend`: a troubleshooting link.
    #[serde(rename = "Recommend", alias = "recommend")]
    pub recommend: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    request_id: Option<String>,
    tasks: Option<Vec<Task>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Task {
    task_id: Option<serde_json::Value>,
    status: Option<String>,
    process: Option<String>,
    description: Option<String>,
    object_path: Option<String>,
    object_type: Option<String>,
    creation_time: Option<String>,
}

/// Turns one response into observations (one per asked id the answer mentions) or an error.
pub fn interpret(ids: &[String], resp: Response) -> PollResult {
    let error: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
    let ok = (200..300).contains(&resp.status);
    if !ok || error.as_ref().is_some_and(|e| e.code.is_some()) {
        return Err(api_error(&resp, error.unwrap_or_default()));
    }
    let malformed = |what: &str, request_id: Option<String>| {
        let mut e = ProviderError::new(ErrorKind::Malformed, what.to_string())
            .hint(format!("body starts: {}", http::snippet(&resp.body)));
        e = with_response(e, &resp, None, request_id);
        e
    };
    let answer: Answer = super::json_object(&resp.body)
        .map_err(|_| malformed("the status answer is not the JSON expected", None))?;
    let Some(tasks) = answer.tasks else {
        return Err(malformed(
            "the status answer has no Tasks list",
            answer.request_id,
        ));
    };
    let mut out = Vec::new();
    for id in ids {
        let entries: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.task_id.as_ref().and_then(id_text).as_deref() == Some(id.as_str()))
            .collect();
        if entries.is_empty() {
            continue;
        }
        match observation(id, &entries) {
            Some(obs) => out.push(obs),
            None => {
                return Err(malformed(
                    &format!("task {id} has no Status in the answer"),
                    answer.request_id,
                ));
            }
        }
    }
    Ok(out)
}

/// A `TaskId` as text, whether the API sends a string or a number.
fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Folds the entries of one task: unknown beats pending beats failed beats complete, so the
/// task is terminal only when every entry is, and never succeeds on a word not known.
fn observation(id: &str, entries: &[&Task]) -> Option<Observation> {
    let mut read: Vec<(State, &str, &Task)> = Vec::new();
    for t in entries {
        let raw = t.status.as_deref()?;
        read.push((map_status(raw), raw.trim(), t));
    }
    let pick = |state: State| read.iter().find(|(s, _, _)| *s == state);
    let (state, raw) = [
        State::Unrecognized,
        State::Pending,
        State::Failed,
        State::Succeeded,
    ]
    .into_iter()
    .find_map(|s| pick(s.clone()).map(|(_, raw, _)| (s, raw.to_string())))?;
    let mut obs = Observation::new(id, state.clone(), raw);
    let progress: Vec<f64> = read
        .iter()
        .filter_map(|(_, _, t)| t.process.as_deref().and_then(parse_progress))
        .collect();
    if !progress.is_empty() {
        obs.progress = Some(progress.iter().sum::<f64>() / progress.len() as f64);
    }
    obs.started_at = read
        .iter()
        .filter_map(|(_, _, t)| t.creation_time.as_deref().and_then(parse_time))
        .min();
    let shown: Vec<&Task> = if state == State::Failed {
        read.iter()
            .filter(|(s, _, _)| *s == State::Failed)
            .map(|(_, _, t)| *t)
            .collect()
    } else {
        read.iter().map(|(_, _, t)| *t).collect()
    };
    if state == State::Failed {
        let mut messages: Vec<&str> = Vec::new();
        for t in &shown {
            if let Some(d) = t.description.as_deref().map(str::trim) {
                if !d.is_empty() && !messages.contains(&d) {
                    messages.push(d);
                }
            }
        }
        if !messages.is_empty() {
            obs.message = Some(messages.join("; "));
        }
    }
    for t in shown {
        if let Some(p) = &t.object_path {
            obs.details.push(("ObjectPath".into(), p.clone()));
        }
        if let Some(k) = &t.object_type {
            obs.details.push(("ObjectType".into(), k.clone()));
        }
    }
    Some(obs)
}

/// `Pending`/`Refreshing` pending, `Complete` succeeded, `Failed` failed; any other word is
/// unrecognised (never success).
pub fn map_status(raw: &str) -> State {
    match raw.trim().to_ascii_lowercase().as_str() {
        "pending" | "refreshing" => State::Pending,
        "complete" => State::Succeeded,
        "failed" => State::Failed,
        _ => State::Unrecognized,
    }
}

/// `"40%"` (or `"40"`) as 40.0; `None` unless it is a number from 0 to 100.
pub fn parse_progress(text: &str) -> Option<f64> {
    let n: f64 = text.trim().trim_end_matches('%').trim().parse().ok()?;
    (0.0..=100.0).contains(&n).then_some(n)
}

const KEYS: &str = "Check access-key-id and access-key-secret (or the STS credentials): the AccessKey must exist, be enabled and match its secret";

/// The decision for every error code purge-wait knows: the seed's five, the common
/// signature and AccessKey codes, throttling and server faults. `None` for a code it does
/// not know, which is then classified by HTTP status.
pub fn classify(code: &str) -> Option<(ErrorKind, &'static str)> {
    use ErrorKind::*;
    if code.starts_with("Throttling") {
        return Some((
            Throttled,
            "The API throttled the request (30 calls/s per account); it is retried with backoff. Lower rate-limit if other jobs share the account",
        ));
    }
    if code.starts_with("Forbidden") {
        return Some((
            Permission,
            "The credentials are valid but the RAM policy does not allow dcdn:DescribeDcdnRefreshTaskById / cdn:DescribeRefreshTaskById; grant it to the user or role",
        ));
    }
    if code.starts_with("InvalidSecurityToken") {
        return Some((
            Auth,
            "The STS security token is invalid, expired or does not belong to the AccessKey; give a fresh security-token with its AccessKey, or use OIDC role assumption, which refreshes it",
        ));
    }
    Some(match code {
        "Rejected.Throttling" | "TooManyRequests" => (
            Throttled,
            "The API throttled the request; it is retried with backoff",
        ),
        "ServiceUnavailable" | "InternalError" | "UnknownError" | "ServiceTimeout" => {
            (Transient, "The service had a fault; the call is retried")
        }
        "SignatureNonceUsed" => (
            Transient,
            "The service saw this signature nonce before; the call is signed again with a new one",
        ),
        "InvalidTaskId.Malformed" => (
            Invalid,
            "Check operation-ids: each must be a RefreshTaskId or PushTaskId returned by a refresh or prefetch call (one of the ids in this call is not)",
        ),
        "InvalidTaskId" => (
            Invalid,
            "The API takes at most 10 task ids per call; purge-wait sends 10 at most, so this is a bug worth reporting",
        ),
        "InvalidParameters" => (
            Invalid,
            "The API refused the request's parameters; check operation-ids",
        ),
        "InvalidTime" => (
            Invalid,
            "Refresh tasks can be queried for 3 days only; wait on tasks submitted within the last 3 days",
        ),
        "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidAccessKeyId"
        | "InvalidAccessKeyId.NotFound"
        | "InvalidAccessKeyId.Inactive" => (Auth, KEYS),
        "MissingSecurityToken" => (
            Auth,
            "The AccessKey is temporary (STS): give its security-token too",
        ),
        "InvalidTimeStamp.Expired" => (
            ClockSkew,
            "The request date was refused twice although it was signed afresh: the clock of this machine is probably wrong (the service allows 15 minutes); sync it (NTP)",
        ),
        "InvalidTimeStamp.Format" | "InvalidAuthorization" | "MissingParameter" => (
            Auth,
            "The signed headers did not reach the API intact: a proxy between here and the API may strip or rewrite them",
        ),
        "InvalidAction.NotFound" | "InvalidApi.NotFound" | "InvalidVersion" => (
            NotFound,
            "The endpoint does not serve this API: check provider (alibaba-dcdn or alibaba-cdn) and endpoint",
        ),
        _ => return None,
    })
}

fn api_error(resp: &Response, body: ErrorBody) -> ProviderError {
    api_error_by(resp, body, classify)
}

/// An error body decided by `classify`, by HTTP status when it does not know the code.
fn api_error_by(
    resp: &Response,
    body: ErrorBody,
    classify: fn(&str) -> Option<(ErrorKind, &'static str)>,
) -> ProviderError {
    let code = body.code.clone().unwrap_or_default();
    let message = body
        .message
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let mut e = match classify(&code) {
        // 429 is throttling whatever the code says.
        _ if resp.status == 429 => ProviderError::new(ErrorKind::Throttled, message)
            .hint("The API throttled the request; it is retried with backoff"),
        Some((kind, hint)) => ProviderError::new(kind, message).hint(hint),
        None => {
            let mut e = status_error(resp);
            if body.message.is_some() || !code.is_empty() {
                e.message = message;
            }
            e
        }
    };
    if !code.is_empty() {
        e.code = Some(code);
    }
    with_response(e, resp, body.recommend.as_deref(), body.request_id)
}

/// An error answer without a known code, classified by HTTP status.
fn status_error(resp: &Response) -> ProviderError {
    let e = http::status_error(resp);
    if e.kind == ErrorKind::NotFound {
        e.hint("Check provider and endpoint")
    } else {
        e
    }
}

/// Adds what the response says: HTTP status, `RequestId` (body, else `x-acs-request-id`),
/// `x-acs-retry-after`, the `Recommend` link and, for a refused date, the clock difference.
pub fn with_response(
    mut e: ProviderError,
    resp: &Response,
    recommend: Option<&str>,
    request_id: Option<String>,
) -> ProviderError {
    e.http_status = Some(resp.status);
    e.request_id = request_id
        .filter(|r| !r.trim().is_empty())
        .or_else(|| resp.header("x-acs-request-id"))
        .map(|r| (REQUEST_ID, r));
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if e.kind == ErrorKind::ClockSkew {
        if let Some(server) = resp.header("date") {
            if let Ok(d) = DateTime::parse_from_rfc2822(&server) {
                let skew = (Utc::now() - d.with_timezone(&Utc)).num_seconds();
                let hint = e.hint.take().unwrap_or_default();
                e.hint = Some(format!(
                    "{hint} (this machine's clock differs from the server's Date header by about {skew} s)"
                ));
            }
        }
    }
    if let Some(link) = recommend.map(str::trim).filter(|l| !l.is_empty()) {
        let hint = match e.hint.take() {
            Some(h) => format!("{h}. See {link}"),
            None => format!("See {link}"),
        };
        e.hint = Some(hint);
    }
    e
}

/// `2021-05-10T08:54:23Z`, or without seconds (`2021-05-10T08:54Z`, as the doc writes it).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%MZ")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The seed's sample success response, verbatim.
    const SEED_BODY: &str = r#"{
  "TotalCount": 2,
  "RequestId": "E0C2EF95-B1EC-4C93-855E-2059A7DA2B7B",
  "Tasks": [
    {
      "Status": "Complete",
      "CreationTime": "2021-05-10T08:54:23Z",
      "ObjectType": "file",
      "Process": "100%",
      "Description": "Internal Error",
      "ObjectPath": "http://example.com/image_01.png",
      "TaskId": "113681**"
    }
  ]
}"#;

    #[test]
    fn seed_sample_body() {
        let out = interpret(&ids(&["113681**"]), resp(200, SEED_BODY)).unwrap();
        assert_eq!(out.len(), 1);
        let obs = &out[0];
        assert_eq!(obs.id, "113681**");
        assert_eq!(obs.state, State::Succeeded);
        assert_eq!(obs.raw_status, "Complete");
        assert_eq!(obs.progress, Some(100.0));
        // A complete task's Description is not a failure message.
        assert_eq!(obs.message, None);
        assert_eq!(
            obs.started_at.unwrap().to_rfc3339(),
            "2021-05-10T08:54:23+00:00"
        );
        assert!(obs.details.contains(&(
            "ObjectPath".into(),
            "http://example.com/image_01.png".into()
        )));
    }

    #[test]
    fn every_documented_status_word() {
        assert_eq!(map_status("Pending"), State::Pending);
        assert_eq!(map_status("Refreshing"), State::Pending);
        assert_eq!(map_status("Complete"), State::Succeeded);
        assert_eq!(map_status("Failed"), State::Failed);
        assert_eq!(map_status("Completed"), State::Unrecognized);
        assert_eq!(map_status("Succeeded"), State::Unrecognized);
        assert_eq!(map_status(""), State::Unrecognized);
    }

    #[test]
    fn process_is_progress() {
        assert_eq!(parse_progress("40%"), Some(40.0));
        assert_eq!(parse_progress(" 12.5 % "), Some(12.5));
        assert_eq!(parse_progress("100"), Some(100.0));
        assert_eq!(parse_progress("140%"), None);
        assert_eq!(parse_progress("-1%"), None);
        assert_eq!(parse_progress("soon"), None);
    }

    #[test]
    fn failed_task_carries_description_path_and_type() {
        let body = r#"{"RequestId":"r","TotalCount":2,"Tasks":[
            {"TaskId":"1","Status":"Refreshing","Process":"40%","ObjectPath":"https://a/x","ObjectType":"file"},
            {"TaskId":"2","Status":"Failed","Process":"100%","Description":"Origin Timeout","ObjectPath":"https://a/dir/","ObjectType":"directory"}]}"#;
        let out = interpret(&ids(&["1", "2", "3"]), resp(200, body)).unwrap();
        assert_eq!(out.len(), 2, "id 3 is left for the engine to report");
        assert_eq!(out[0].state, State::Pending);
        assert_eq!(out[0].raw_status, "Refreshing");
        assert_eq!(out[0].progress, Some(40.0));
        assert_eq!(out[1].state, State::Failed);
        assert_eq!(out[1].message.as_deref(), Some("Origin Timeout"));
        assert_eq!(
            out[1].details,
            vec![
                ("ObjectPath".to_string(), "https://a/dir/".to_string()),
                ("ObjectType".to_string(), "directory".to_string())
            ]
        );
    }

    #[test]
    fn entries_of_one_task_fold_and_numeric_ids_match() {
        let body = r#"{"Tasks":[
            {"TaskId":7,"Status":"Complete","Process":"100%","ObjectPath":"https://a/1"},
            {"TaskId":"7","Status":"Refreshing","Process":"50%","ObjectPath":"https://a/2"}]}"#;
        let out = interpret(&ids(&["7"]), resp(200, body)).unwrap();
        assert_eq!(out[0].state, State::Pending, "terminal only when all are");
        assert_eq!(out[0].progress, Some(75.0));
        let body = r#"{"Tasks":[
            {"TaskId":"7","Status":"Complete"},
            {"TaskId":"7","Status":"Failed","Description":"Internal Error","ObjectPath":"https://a/2"}]}"#;
        let out = interpret(&ids(&["7"]), resp(200, body)).unwrap();
        assert_eq!(out[0].state, State::Failed);
        assert_eq!(out[0].message.as_deref(), Some("Internal Error"));
        let body =
            r#"{"Tasks":[{"TaskId":"7","Status":"Complete"},{"TaskId":"7","Status":"Queued"}]}"#;
        let out = interpret(&ids(&["7"]), resp(200, body)).unwrap();
        assert_eq!(out[0].state, State::Unrecognized);
        assert_eq!(out[0].raw_status, "Queued");
    }

    #[test]
    fn malformed_bodies_are_never_success() {
        for body in [
            "",
            "{",
            "{}",
            r#"{"RequestId":"r"}"#,
            r#"{"Tasks":{"Task":[]}}"#,
            r#"{"Tasks":[{"TaskId":"1"}]}"#,
            "<html>ok</html>",
        ] {
            let e = interpret(&ids(&["1"]), resp(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
        // An empty list is not malformed: every id is missing (the engine says not found).
        let out = interpret(&ids(&["1"]), resp(200, r#"{"TotalCount":0,"Tasks":[]}"#)).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn every_known_code_has_a_decision() {
        use ErrorKind::*;
        let table = [
            // The seed's codes.
            ("InvalidParameters", Invalid),
            ("InvalidTaskId.Malformed", Invalid),
            ("InvalidTaskId", Invalid),
            ("InvalidTime", Invalid),
            ("TooManyRequests", Throttled),
            // Throttling, whatever the suffix.
            ("Throttling", Throttled),
            ("Throttling.User", Throttled),
            ("Throttling.Api", Throttled),
            ("Rejected.Throttling", Throttled),
            // Faults.
            ("ServiceUnavailable", Transient),
            ("InternalError", Transient),
            ("UnknownError", Transient),
            ("ServiceTimeout", Transient),
            ("SignatureNonceUsed", Transient),
            // Signature and AccessKey.
            ("SignatureDoesNotMatch", Auth),
            ("IncompleteSignature", Auth),
            ("InvalidAccessKeyId", Auth),
            ("InvalidAccessKeyId.NotFound", Auth),
            ("InvalidAccessKeyId.Inactive", Auth),
            ("InvalidSecurityToken.Expired", Auth),
            ("InvalidSecurityToken.Malformed", Auth),
            ("InvalidSecurityToken.MismatchWithAccessKey", Auth),
            ("MissingSecurityToken", Auth),
            ("InvalidTimeStamp.Format", Auth),
            ("InvalidAuthorization", Auth),
            ("MissingParameter", Auth),
            ("InvalidTimeStamp.Expired", ClockSkew),
            // Permission.
            ("Forbidden", Permission),
            ("Forbidden.RAM", Permission),
            ("Forbidden.AccessKeyDisabled", Permission),
            ("Forbidden.NoPermission", Permission),
            // Wrong endpoint.
            ("InvalidAction.NotFound", NotFound),
            ("InvalidApi.NotFound", NotFound),
            ("InvalidVersion", NotFound),
        ];
        for (code, kind) in table {
            assert_eq!(classify(code).map(|c| c.0), Some(kind), "{code}");
        }
        assert!(classify("SomethingNew").is_none());
    }

    #[test]
    fn error_body_surfaces_code_message_request_id_and_recommend() {
        let body = r#"{"RequestId":"06DD587E-599A","HostId":"dcdn.aliyuncs.com","Code":"InvalidTaskId.Malformed","Message":"The specified TaskId is invalid.","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidTaskId.Malformed&product=dcdn"}"#;
        let e = interpret(&ids(&["abc"]), resp(400, body)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.code.as_deref(), Some("InvalidTaskId.Malformed"));
        assert_eq!(e.request_id, Some((REQUEST_ID, "06DD587E-599A".into())));
        let text = e.to_string();
        assert!(
            text.starts_with("InvalidTaskId.Malformed: The specified TaskId is invalid. (HTTP 400, RequestId: 06DD587E-599A). Check operation-ids"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "See https://api.aliyun.com/troubleshoot?q=InvalidTaskId.Malformed&product=dcdn"
            ),
            "{text}"
        );
    }

    #[test]
    fn throttling_is_retried_whatever_the_status_and_honours_x_acs_retry_after() {
        let body = r#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#;
        let mut r = resp(400, body);
        r.headers
            .insert("x-acs-retry-after", HeaderValue::from_static("1500"));
        let e = interpret(&ids(&["1"]), r).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(e.retry_after, Some(std::time::Duration::from_millis(1500)));
        let e = interpret(&ids(&["1"]), resp(429, r#"{"Code":"TooManyRequests"}"#)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        // 429 wins over any code.
        let e = interpret(&ids(&["1"]), resp(429, r#"{"Code":"Odd"}"#)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        let e = interpret(&ids(&["1"]), resp(429, "")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
    }

    #[test]
    fn unknown_codes_and_bodies_fall_back_to_http_status() {
        let body = r#"{"Code":"Brand.New","Message":"x"}"#;
        assert_eq!(
            interpret(&ids(&["1"]), resp(503, body)).unwrap_err().kind,
            ErrorKind::Transient
        );
        assert_eq!(
            interpret(&ids(&["1"]), resp(400, body)).unwrap_err().kind,
            ErrorKind::Invalid
        );
        let e = interpret(&ids(&["1"]), resp(502, "<html>Bad gateway</html>")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("Bad gateway"));
        // A code on a 200 is an error, not a status.
        let e = interpret(
            &ids(&["1"]),
            resp(200, r#"{"Code":"SignatureDoesNotMatch","Message":"m"}"#),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
    }

    #[test]
    fn request_id_falls_back_to_the_header() {
        let mut r = resp(500, "");
        r.headers
            .insert("x-acs-request-id", HeaderValue::from_static("hdr-id"));
        let e = interpret(&ids(&["1"]), r).unwrap_err();
        assert_eq!(e.request_id, Some((REQUEST_ID, "hdr-id".into())));
    }

    fn client(endpoint: &str) -> Alibaba {
        Alibaba::new(
            Settings {
                product: Product::Dcdn,
                endpoint: Url::parse(endpoint).unwrap(),
                credentials: auth::Source::Static(auth::AccessKey {
                    id: "testid".into(),
                    secret: crate::secret::Secret::new("testsecret"),
                    token: None,
                }),
            },
            reqwest::Client::new(),
            Redactor::default(),
        )
    }

    #[test]
    fn ids_are_batched_comma_separated_in_the_signed_query() {
        let p = client("https://dcdn.aliyuncs.com");
        assert_eq!(p.max_batch(), 10);
        assert_eq!(p.max_rate(), Some(30.0));
        assert_eq!(p.name(), "alibaba-dcdn");
        assert_eq!(
            p.request_url(&ids(&["123", "456"])).as_str(),
            "https://dcdn.aliyuncs.com/?TaskId=123%2C456"
        );
    }

    #[test]
    fn endpoints_follow_the_sdk_map() {
        assert_eq!(
            Product::Dcdn.default_endpoint("eu-central-1"),
            "https://dcdn.aliyuncs.com"
        );
        assert_eq!(
            Product::Cdn.default_endpoint("cn-hangzhou"),
            "https://cdn.aliyuncs.com"
        );
        assert_eq!(
            Product::Cdn.default_endpoint("ap-southeast-1"),
            "https://cdn.ap-southeast-1.aliyuncs.com"
        );
        assert_eq!(Product::Cdn.action(), "DescribeRefreshTaskById");
        assert_eq!(Product::Cdn.version(), "2018-05-10");
        assert_eq!(Product::Dcdn.action(), "DescribeDcdnRefreshTaskById");
        assert_eq!(Product::Dcdn.version(), "2018-01-15");
    }

    fn purge(paths: &[&str], kind: PurgeKind) -> PurgeRequest {
        PurgeRequest {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            kind,
        }
    }

    fn numbered(n: usize, f: impl Fn(usize) -> String) -> Vec<String> {
        (0..n).map(f).collect()
    }

    #[test]
    fn purge_kinds_map_to_object_types() {
        use ObjectType::*;
        assert_eq!(ObjectType::of(PurgeKind::Auto, "https://a/x.png"), File);
        assert_eq!(ObjectType::of(PurgeKind::Auto, "https://a/img/"), Directory);
        assert_eq!(ObjectType::of(PurgeKind::File, "https://a/img/"), File);
        assert_eq!(
            ObjectType::of(PurgeKind::Directory, "https://a/img/"),
            Directory
        );
        assert_eq!(ObjectType::of(PurgeKind::Regex, "https://a/.*"), Regex);
        assert_eq!(
            ObjectType::of(PurgeKind::IgnoreParams, "https://a/x.js"),
            IgnoreParams
        );
        let wire: Vec<&str> = [File, Directory, Regex, IgnoreParams]
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(wire, ["File", "Directory", "Regex", "IgnoreParams"]);
        assert_eq!(
            ObjectType::of_request(&purge(&["https://a/x", "https://a/d/"], PurgeKind::Auto)),
            None,
            "an auto request mixing files and directories has no single type"
        );
    }

    #[test]
    fn an_auto_purge_is_split_by_type_then_by_the_per_call_limits() {
        let mut paths = numbered(2500, |i| format!("https://a.example/{i}.png"));
        paths.extend(numbered(150, |i| format!("https://a.example/d{i}/")));
        paths.insert(3, "https://a.example/first-dir/".into());
        let calls = split_purge(&PurgeRequest {
            paths: paths.clone(),
            kind: PurgeKind::Auto,
        });
        let shape: Vec<(PurgeKind, usize)> =
            calls.iter().map(|c| (c.kind, c.paths.len())).collect();
        assert_eq!(
            shape,
            vec![
                (PurgeKind::File, 1000),
                (PurgeKind::File, 1000),
                (PurgeKind::File, 500),
                (PurgeKind::Directory, 100),
                (PurgeKind::Directory, 51),
            ]
        );
        assert_eq!(
            calls[3].paths[0], "https://a.example/first-dir/",
            "order kept"
        );
        let mut all: Vec<String> = calls.iter().flat_map(|c| c.paths.clone()).collect();
        all.sort();
        paths.sort();
        assert_eq!(all, paths, "every path exactly once");
        for c in &calls {
            assert!(ObjectType::of_request(c).is_some(), "one type per call");
        }
    }

    #[test]
    fn regexes_go_one_per_call_and_a_call_spans_at_most_ten_domains() {
        let calls = split_purge(&purge(
            &["https://a/x/.*\\.png", "https://a/y/.*"],
            PurgeKind::Regex,
        ));
        assert_eq!(calls.len(), 2);
        assert!(calls.iter().all(|c| c.kind == PurgeKind::Regex));
        let paths = numbered(24, |i| format!("https://h{}.example/{i}.js", i % 12));
        let calls = split_purge(&PurgeRequest {
            paths,
            kind: PurgeKind::File,
        });
        assert_eq!(calls.len(), 3);
        for c in &calls {
            let mut hosts: Vec<String> = c.paths.iter().map(|p| path_host(p)).collect();
            hosts.sort();
            hosts.dedup();
            assert!(hosts.len() <= MAX_DOMAINS_PER_CALL, "{hosts:?}");
        }
        assert_eq!(
            path_host("https://WWW.Example.com:8080/a?b"),
            "www.example.com:8080"
        );
        assert_eq!(path_host("https://a.example\\x"), "a.example");
    }

    #[test]
    fn the_form_body_is_encoded_as_the_signed_canonical_query() {
        // notes §1.3 (a): the same parameters, as the SDK's canonical query string.
        let form = Alibaba::refresh_form(&purge(
            &["https://example.com/a b*~.txt", "https://example.com/dir/"],
            PurgeKind::File,
        ))
        .unwrap();
        assert_eq!(
            form,
            "ObjectPath=https%3A%2F%2Fexample.com%2Fa%20b%2A~.txt%0Ahttps%3A%2F%2Fexample.com%2Fdir%2F&ObjectType=File"
        );
        let form = Alibaba::refresh_form(&purge(&["https://e.com/d/"], PurgeKind::Auto)).unwrap();
        assert!(form.ends_with("&ObjectType=Directory"), "{form}");
        let e = Alibaba::refresh_form(&purge(
            &["https://e.com/x", "https://e.com/d/"],
            PurgeKind::Auto,
        ))
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(!e.ambiguous(), "nothing was sent");
    }

    #[test]
    fn refresh_answers_yield_every_task_id() {
        let ok = |body: &str| interpret_submit(resp(200, body));
        assert_eq!(
            ok(r#"{"RefreshTaskId":"704222904","RequestId":"D61E4801"}"#).unwrap(),
            ids(&["704222904"])
        );
        assert_eq!(
            ok(r#"{"RefreshTaskId":"101, 102,","RequestId":"r"}"#).unwrap(),
            ids(&["101", "102"]),
            "comma separated, spaces trimmed"
        );
        assert_eq!(
            ok(r#"{"RefreshTaskId":95248880}"#).unwrap(),
            ids(&["95248880"])
        );
        for body in [
            "",
            "{",
            r#"{"RequestId":"r"}"#,
            r#"{"RefreshTaskId":" , "}"#,
        ] {
            let e = ok(body).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
            assert!(e.ambiguous(), "an unreadable answer may hide created tasks");
        }
    }

    #[test]
    fn refresh_task_ids_that_are_not_digits_are_refused_escaped() {
        let ok = |body: &str| interpret_submit(resp(200, body));
        for (body, shown) in [
            (
                r#"{"RefreshTaskId":"704222904\n::error::forged"}"#,
                r#""704222904\n::error::forged""#,
            ),
            (r#"{"RefreshTaskId":"101,abc"}"#, r#""abc""#),
            (r#"{"RefreshTaskId":"-5"}"#, r#""-5""#),
            (r#"{"RefreshTaskId":1.5}"#, r#""1.5""#),
            (
                r#"{"RefreshTaskId":"123456789012345678901"}"#,
                "123456789012345678901",
            ),
        ] {
            let e = ok(body).unwrap_err();
            assert_eq!(
                (e.kind, e.code.as_deref()),
                (ErrorKind::Invalid, Some("MalformedRefreshTaskId")),
                "{body}"
            );
            assert!(!e.kind.is_retryable(), "accepted: not sent again");
            assert!(e.message.contains(shown), "{}", e.message);
            assert!(!e.message.contains('\n'), "{}", e.message);
        }
        assert!(is_task_id("704222904"));
        assert!(!is_task_id(""));
    }

    #[test]
    fn status_bodies_with_a_key_twice_or_not_an_object_are_malformed() {
        for body in [
            r#"{"Tasks":[{"TaskId":"1","Status":"Refreshing","Status":"Complete"}]}"#,
            r#"{"Tasks":[{"TaskId":"1","Status":"Complete"}],"Tasks":[]}"#,
            r#"[null,[{"TaskId":"1","Status":"Complete"}]]"#,
        ] {
            let e = interpret(&ids(&["1"]), resp(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
    }

    #[test]
    fn refresh_refusals_carry_code_request_id_and_a_fix() {
        use ErrorKind::*;
        let refused = |status: u16, code: &str| {
            interpret_submit(resp(
                status,
                &format!(r#"{{"RequestId":"REQ-1","HostId":"dcdn.aliyuncs.com","Code":"{code}","Message":"m"}}"#),
            ))
            .unwrap_err()
        };
        let e = refused(400, "QuotaExceeded.Refresh");
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (Invalid, Some("QuotaExceeded.Refresh"))
        );
        assert!(!e.ambiguous(), "a refusal is not re-sent");
        let text = e.to_string();
        assert!(
            text.starts_with("QuotaExceeded.Refresh: m (HTTP 400, RequestId: REQ-1). The account's daily refresh quota is used up"),
            "{text}"
        );
        let table = [
            ("InvalidObjectPath.Malformed", Invalid),
            ("ObjectPath.Malformed", Invalid),
            ("SingleRequest.OverLimit", Invalid),
            ("InvalidObjectPath.Size.Malformed", Invalid),
            ("InvalidObjectType.ValueNotSupported", Invalid),
            ("InvalidObjectType.Malformed", Invalid),
            ("InvalidExtensiveDomain.ValueNotSupported", Invalid),
            ("InvalidDomain.Offline", Invalid),
            ("InvalidDomain.NotFound", NotFound),
            ("InvalidParameters", Invalid),
            ("Forbidden.RAM", Permission),
            ("OperationDenied.Suspended", Permission),
            ("TooMany.Refresh", Throttled),
            ("QuotaPerMinuteExceeded.Refresh", Throttled),
            ("Throttling.User", Throttled),
            ("SignatureDoesNotMatch", Auth),
            ("ServiceUnavailable", Transient),
        ];
        for (code, kind) in table {
            assert_eq!(refused(400, code).kind, kind, "{code}");
        }
        assert!(
            refused(400, "InvalidParameters")
                .to_string()
                .contains("check paths")
        );
        assert!(
            refused(403, "Forbidden.RAM")
                .to_string()
                .contains("dcdn:RefreshDcdnObjectCaches")
        );
        let e = refused(400, "QuotaPerMinuteExceeded.Refresh");
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(60)));
        assert!(!e.ambiguous(), "throttled: the API did nothing");
        let e = refused(503, "ServiceUnavailable");
        assert!(e.ambiguous(), "a 5xx may hide created tasks");
    }

    #[test]
    fn purge_paths_are_full_urls_with_the_wildcard_rules() {
        let good = [
            (
                vec!["https://a.example/x.png", "http://a.example/img/"],
                PurgeKind::Auto,
            ),
            (vec!["https://a.example/img/"], PurgeKind::Directory),
            (vec!["https://a.example/x.js?v=1"], PurgeKind::IgnoreParams),
            (
                vec![
                    "https://a.example/img/.*\\.png",
                    "http://b.example/[a-z]{1,3}",
                ],
                PurgeKind::Regex,
            ),
        ];
        for (paths, kind) in good {
            assert!(check_purge(&purge(&paths, kind)).is_ok(), "{paths:?}");
        }
        let bad = [
            ("/x.png", PurgeKind::Auto, "not a full URL"),
            ("a.example/x.png", PurgeKind::Auto, "not a full URL"),
            ("ftp://a.example/x", PurgeKind::Auto, "not a full URL"),
            ("https:///x", PurgeKind::Auto, "no domain"),
            (
                "https://*.example/x.png",
                PurgeKind::Auto,
                "wildcard domain",
            ),
            ("https://*.example/.*", PurgeKind::Regex, "wildcard domain"),
            (
                "https://a.example/*.png",
                PurgeKind::Auto,
                "purge-type regex",
            ),
            (
                "https://a.example/img/*",
                PurgeKind::File,
                "purge-type regex",
            ),
            ("https://a.example/x#y", PurgeKind::Auto, "fragment"),
            (
                "https://a.example/img",
                PurgeKind::Directory,
                "does not end in /",
            ),
            ("https://a.example/", PurgeKind::Regex, "no expression"),
        ];
        for (path, kind, needle) in bad {
            let e = check_purge(&purge(&[path], kind)).unwrap_err();
            assert!(e.contains(needle), "{path}: {e}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_PATH_CHARS));
        assert!(
            check_purge(&purge(&[&long], PurgeKind::File))
                .unwrap_err()
                .contains("1024")
        );
        let many = numbered(MAX_PATHS + 1, |i| format!("https://a.example/{i}"));
        let e = check_purge(&PurgeRequest {
            paths: many,
            kind: PurgeKind::File,
        })
        .unwrap_err();
        assert!(e.contains("10000"), "{e}");
    }

    #[test]
    fn the_client_splits_with_its_own_rules() {
        let p = client("https://dcdn.aliyuncs.com");
        assert_eq!(p.max_purge_paths(), 1000);
        let calls = p.split_purge(&purge(
            &["https://e.com/a", "https://e.com/d/", "https://e.com/b"],
            PurgeKind::Auto,
        ));
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].paths, ids(&["https://e.com/a", "https://e.com/b"]));
        assert_eq!(Product::Dcdn.refresh_action(), "RefreshDcdnObjectCaches");
        assert_eq!(Product::Cdn.refresh_action(), "RefreshObjectCaches");
    }
}
