//! Azure China CDN (21Vianet) operation status: `GET …/operations/{id}?apiVersion=1.0`.
//!
//! Wire format (seeds 000/001, `shared/docs/azure-china-signing.md`):
//! - request: `x-azurecdn-request-date` + `Authorization: AzureCDN {KeyID}:{sig}`, signed
//!   afresh for every request by [`crate::provider::azure_china::sign`];
//! - 200: `{"Id","Type","Status","Message","Start","End","EndpointId","SubscriptionId"}` with
//!   `Status` one of `NotSet | Processing | Succeeded | Failed` (the swagger spells it
//!   `Succeed`: both are accepted);
//! - error: `{"Succeeded":false,"ErrorInfo":{"Type","Message"}}` and an `X-Correlation-Id`
//!   header. HTTP statuses for errors are not documented, so errors are classified by
//!   `ErrorInfo.Type` first and by HTTP status only when the type is unknown.
//!
//! GUIDs go into the path in lower case: the C# sample lower-cases the path before signing
//! and the service is probably .NET, so lower-case GUIDs make both variants agree.

mod cloud;
pub mod demo;
pub mod inputs;
pub mod sign;
pub mod sim;

pub use cloud::AzureChinaCloud;

use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use url::Url;

use super::{
    ErrorKind, Observation, PollResult, Provider, ProviderError, PurgeKind, PurgeRequest, State,
    SubmitResult,
};
use crate::http::{self, Response};
use crate::secret::Secret;

/// The provider's input name.
pub const NAME: &str = "azure-china-cdn";
/// The documented API host.
pub const DEFAULT_ENDPOINT: &str = "https://restapi.cdn.azure.cn";
/// The only API version there is.
pub const API_VERSION: &str = "1.0";
/// The response header that identifies a request.
pub const CORRELATION_HEADER: &str = "X-Correlation-Id";

/// Everything needed to call the API, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL (`https://restapi.cdn.azure.cn`, a private endpoint, a simulator).
    pub endpoint: Url,
    /// Subscription GUID, lower case.
    pub subscription_id: String,
    /// CDN endpoint GUID, lower case.
    pub endpoint_id: String,
    /// Key ID from the portal's key management page.
    pub api_key_id: String,
    /// Key value from the same page, used as its literal bytes.
    pub api_key_secret: Secret,
}

/// The Azure China CDN operation-status client.
pub struct AzureChina {
    settings: Settings,
    http: reqwest::Client,
    clock: fn() -> DateTime<Utc>,
}

impl AzureChina {
    /// A client that signs with the system clock.
    pub fn new(settings: Settings, http: reqwest::Client) -> Self {
        AzureChina {
            settings,
            http,
            clock: Utc::now,
        }
    }

    /// `{endpoint}/subscriptions/{sub}/endpoints/{ep}/operations/{id}?apiVersion=1.0`.
    pub fn operation_url(&self, id: &str) -> Url {
        self.url(&["operations", &id.to_ascii_lowercase()])
    }

    /// `{endpoint}/subscriptions/{sub}/endpoints/{ep}/purges?apiVersion=1.0`.
    pub fn purges_url(&self) -> Url {
        self.url(&["purges"])
    }

    /// `{endpoint}/subscriptions/{sub}/endpoints/{ep}/{tail…}?apiVersion=1.0`.
    fn url(&self, tail: &[&str]) -> Url {
        let s = &self.settings;
        let mut url = s.endpoint.clone();
        url.path_segments_mut()
            .expect("endpoint is an http(s) URL")
            .pop_if_empty()
            .extend([
                "subscriptions",
                &s.subscription_id,
                "endpoints",
                &s.endpoint_id,
            ])
            .extend(tail);
        url.set_query(Some(&format!("apiVersion={API_VERSION}")));
        url
    }

    /// A request with the date and `Authorization` headers, signed now.
    fn signed(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        let s = &self.settings;
        let signed = sign::sign(
            method.as_str(),
            &url,
            &s.api_key_id,
            s.api_key_secret.expose(),
            (self.clock)(),
        );
        self.http
            .request(method, url)
            .header(sign::DATE_HEADER, signed.date)
            .header(reqwest::header::AUTHORIZATION, signed.authorization)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// One signed GET, interpreted.
    async fn get_once(&self, id: &str) -> Result<Observation, ProviderError> {
        let request = self.signed(reqwest::Method::GET, self.operation_url(id));
        interpret(id, http::send(request).await?)
    }

    /// One signed purge POST; the id is `AsyncInfo.TaskTrackId`.
    async fn purge_once(&self, purge: &PurgeRequest) -> SubmitResult {
        let (directories, files): (Vec<&String>, Vec<&String>) =
            purge.paths.iter().partition(|p| purge.kind.is_directory(p));
        let body = serde_json::json!({ "Files": files, "Directories": directories });
        let request = self
            .signed(reqwest::Method::POST, self.purges_url())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        interpret_submit(http::send(request).await?)
    }

    /// Reads one operation. A refused request date is re-signed once at once (the clock may
    /// have ticked over a boundary); refused twice, it is reported as probable clock skew.
    async fn get(&self, id: &str) -> Result<Observation, ProviderError> {
        match self.get_once(id).await {
            Err(e) if e.kind == ErrorKind::ClockSkew => self.get_once(id).await,
            other => other,
        }
    }
}

impl Provider for AzureChina {
    fn name(&self) -> &'static str {
        NAME
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        super::one_by_one(ids, move |id| self.get(id))
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        self.purge_once(purge).boxed_local()
    }
}

/// The daily quota of the purge API: files and directories per subscription.
pub const DAILY_FILES: usize = 2000;
/// See [`DAILY_FILES`].
pub const DAILY_DIRECTORIES: usize = 500;

/// Checks paths before any request: absolute http(s) URLs without wildcards (the API takes
/// none), files and directories within the daily quota, a purge type the API has.
pub fn check_purge(purge: &PurgeRequest) -> Result<(), String> {
    if matches!(
        purge.kind,
        PurgeKind::Regex
            | PurgeKind::IgnoreParams
            | PurgeKind::Host
            | PurgeKind::All
            | PurgeKind::CacheTag
    ) {
        return Err("Azure China CDN purges files and directories only: use purge-type auto, file or directory".into());
    }
    let mut dirs = 0;
    for path in &purge.paths {
        let url = Url::parse(path).map_err(|_| {
            format!("{path:?} is not an absolute URL; Azure China CDN purges take full URLs such as https://www.example.com/images/logo.png")
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("{path:?} is not an http(s) URL with a host"));
        }
        if path.contains('*') {
            return Err(format!(
                "{path:?} has a wildcard; Azure China CDN takes none: purge its directory (a URL ending in /) instead"
            ));
        }
        if url.fragment().is_some() {
            return Err(format!(
                "{path:?} has a #fragment, which is never sent to a CDN"
            ));
        }
        if purge.kind.is_directory(path) {
            dirs += 1;
        }
    }
    let files = purge.paths.len() - dirs;
    if files > DAILY_FILES || dirs > DAILY_DIRECTORIES {
        return Err(format!(
            "{files} files and {dirs} directories exceed the daily quota of {DAILY_FILES} files and {DAILY_DIRECTORIES} directories per subscription"
        ));
    }
    Ok(())
}

/// The purge answer: `{"Succeeded":true,"IsAsync":true,"AsyncInfo":{"TaskTrackId","TaskStatus"}}`.
fn interpret_submit(resp: Response) -> SubmitResult {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Submitted {
        succeeded: Option<bool>,
        async_info: Option<AsyncInfo>,
        error_info: Option<ErrorInfo>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct AsyncInfo {
        task_track_id: Option<String>,
    }
    let ok = (200..300).contains(&resp.status);
    match serde_json::from_slice::<Submitted>(&resp.body) {
        Ok(Submitted {
            error_info: Some(info),
            ..
        }) => Err(api_error(&resp, info)),
        Ok(Submitted {
            succeeded: Some(true) | None,
            async_info: Some(AsyncInfo {
                task_track_id: Some(id),
            }),
            ..
        }) if ok && !id.trim().is_empty() => {
            // The TaskTrackId is a GUID (notes: `b520c544-ec34-…`; operation-ids takes
            // nothing else): anything else is a malformed answer, refused without echoing it
            // raw. Not re-sent: the purge was accepted, and would be purged again.
            let id = id.trim();
            if crate::config::is_guid(id) {
                Ok(vec![id.to_string()])
            } else {
                Err(with_response(
                    ProviderError::new(
                        ErrorKind::Invalid,
                        format!(
                            "the purge was accepted but its answer is malformed: AsyncInfo.TaskTrackId {} is not a GUID",
                            super::quoted(id)
                        ),
                    )
                    .code("MalformedTaskTrackId"),
                    &resp,
                ))
            }
        }
        _ if ok => Err(with_response(
            ProviderError::new(
                ErrorKind::Malformed,
                "the purge answer has no AsyncInfo.TaskTrackId",
            )
            .hint(format!("body starts: {}", http::snippet(&resp.body))),
            &resp,
        )),
        _ => Err(status_error(&resp)),
    }
}

/// Both the success body and the error envelope; every field optional so that a missing one
/// is reported as malformed rather than failing to parse.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    id: Option<String>,
    status: Option<String>,
    message: Option<String>,
    start: Option<String>,
    end: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    error_info: Option<ErrorInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorInfo {
    #[serde(rename = "Type")]
    kind: Option<String>,
    message: Option<String>,
}

/// Turns one response into an observation or an error.
fn interpret(id: &str, resp: Response) -> Result<Observation, ProviderError> {
    let parsed: Result<Wire, _> = super::json_object(&resp.body);
    let ok = (200..300).contains(&resp.status);
    match parsed {
        Ok(Wire {
            error_info: Some(info),
            ..
        }) => Err(api_error(&resp, info)),
        Ok(wire) if ok => observation(id, wire).map_err(|e| with_response(e, &resp)),
        Ok(_) | Err(_) if ok => Err(with_response(
            ProviderError::new(
                ErrorKind::Malformed,
                "the status answer is not the JSON expected",
            )
            .hint(format!("body starts: {}", http::snippet(&resp.body))),
            &resp,
        )),
        _ => Err(status_error(&resp)),
    }
}

fn observation(id: &str, wire: Wire) -> Result<Observation, ProviderError> {
    let raw = wire.status.ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Malformed,
            "the status answer has no Status field",
        )
    })?;
    super::check_same_operation(id, wire.id.as_deref())?;
    let mut obs = Observation::new(id, map_status(&raw), raw);
    obs.message = wire.message.filter(|m| !m.trim().is_empty());
    obs.started_at = wire.start.as_deref().and_then(parse_time);
    obs.finished_at = wire.end.as_deref().and_then(parse_time);
    if let Some(kind) = wire.kind {
        obs.details.push(("Type".into(), kind));
    }
    Ok(obs)
}

/// `NotSet`/`Processing` pending, `Succeeded`/`Succeed` succeeded, `Failed` failed; any other
/// word is unrecognised (never success).
pub fn map_status(raw: &str) -> State {
    match raw.trim().to_ascii_lowercase().as_str() {
        "notset" | "processing" => State::Pending,
        "succeeded" | "succeed" => State::Succeeded,
        "failed" => State::Failed,
        _ => State::Unrecognized,
    }
}

/// The decision for every `ErrorInfo.Type` the API documents. `None` for a type it does not
/// document, which is then classified by HTTP status.
pub fn classify(error_type: &str) -> Option<(ErrorKind, &'static str)> {
    use ErrorKind::*;
    const KEYS: &str = "Check api-key-id and api-key-secret against the Key management page of the Azure China CDN portal";
    const IDS: &str = "Check subscription-id and endpoint-id (list endpoints with GET /subscriptions/{id}/endpoints)";
    Some(match error_type {
        "RequestThrottled" => (Throttled, "The API throttled the request"),
        "AuthorizationHeaderExpired" | "InvalidRequestDateHeader" => (
            ClockSkew,
            "The request date was refused twice although it was signed afresh: the clock of this machine is probably wrong; sync it (NTP)",
        ),
        "CredentialInvalid" | "ApiKeyNotFound" | "InvalidApiKey" | "WrongSignature" => (Auth, KEYS),
        "MissingAuthorizationHeader"
        | "MissingRequestDateHeader"
        | "InvalidAuthorizationHeader" => (
            Auth,
            "The signed headers did not reach the API intact: a proxy between here and the API may strip or rewrite them",
        ),
        "SubscriptionNotFound" | "EndpointNotFound" | "EndpointDoesNotBelongToSubscription" => {
            (NotFound, IDS)
        }
        "EndpointNotInActiveState" => (
            Invalid,
            "The CDN endpoint is not active (stopped or disabled); enable it in the portal",
        ),
        "PermissionDenied" => (
            Permission,
            "The API key lacks permission on this subscription or endpoint",
        ),
        "ParameterMissing" | "ParameterInvalid" => (
            Invalid,
            "Check operation-ids: each must be a TaskTrackId returned by a purge or preload call",
        ),
        "MaliciousItemPathDetected" => (Invalid, "The API refused a path as malicious"),
        _ => return None,
    })
}

fn api_error(resp: &Response, info: ErrorInfo) -> ProviderError {
    let code = info.kind.unwrap_or_default();
    let message = info
        .message
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let mut e = match classify(&code) {
        Some((kind, hint)) => ProviderError::new(kind, message).hint(hint),
        None => {
            let mut e = status_error(resp);
            e.message = message;
            e
        }
    };
    if !code.is_empty() {
        e.code = Some(code);
    }
    with_response(e, resp)
}

/// An error answer without a recognisable envelope, classified by HTTP status.
fn status_error(resp: &Response) -> ProviderError {
    let mut e = http::status_error(resp);
    if e.kind == ErrorKind::NotFound {
        e = e.hint("Check endpoint, subscription-id, endpoint-id and operation-ids");
    }
    with_response(e, resp)
}

fn with_response(mut e: ProviderError, resp: &Response) -> ProviderError {
    e.http_status = Some(resp.status);
    e.request_id = resp
        .header(CORRELATION_HEADER)
        .map(|v| (CORRELATION_HEADER, v));
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if e.kind == ErrorKind::ClockSkew {
        if let Some(server) = resp.header("date") {
            let skew = chrono::DateTime::parse_from_rfc2822(&server)
                .map(|d| (Utc::now() - d.with_timezone(&Utc)).num_seconds());
            if let Ok(skew) = skew {
                let hint = e.hint.take().unwrap_or_default();
                e.hint = Some(format!(
                    "{hint} (this machine's clock differs from the server's Date header by about {skew} s)"
                ));
            }
        }
    }
    e
}

/// `2017-05-02T06:34:07.869Z`, or the same without a zone (taken as UTC).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn resp(status: u16, body: &str, correlation: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(c) = correlation {
            headers.insert("x-correlation-id", HeaderValue::from_str(c).unwrap());
        }
        Response {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    const ID: &str = "a97459bf-e4c4-4d4f-94e4-b775f0f09f31";

    #[test]
    fn seed_success_body() {
        let body = r#"{"Id":"a97459bf-e4c4-4d4f-94e4-b775f0f09f31","Type":"Purge","Status":"Succeeded","Message":null,"Start":"2017-05-02T06:34:07.869Z","End":"2017-05-02T06:44:07.869Z","EndpointId":"46fecf3c-e874-49aa-891d-0d4dc93213e0","SubscriptionId":"5dd0413d-a2f9-442a-b836-128d87753fa9"}"#;
        let obs = interpret(ID, resp(200, body, None)).unwrap();
        assert_eq!(obs.state, State::Succeeded);
        assert_eq!(obs.raw_status, "Succeeded");
        assert_eq!(obs.message, None);
        assert_eq!(
            obs.started_at.unwrap().to_rfc3339(),
            "2017-05-02T06:34:07.869+00:00"
        );
        assert_eq!(obs.finished_at.unwrap().timestamp(), 1_493_707_447);
    }

    #[test]
    fn every_documented_status_word() {
        assert_eq!(map_status("NotSet"), State::Pending);
        assert_eq!(map_status("Processing"), State::Pending);
        assert_eq!(map_status("Succeeded"), State::Succeeded);
        assert_eq!(map_status("Succeed"), State::Succeeded);
        assert_eq!(map_status("Failed"), State::Failed);
        assert_eq!(map_status("Completed"), State::Unrecognized);
        assert_eq!(map_status(""), State::Unrecognized);
    }

    #[test]
    fn failed_carries_message() {
        let body = format!(r#"{{"Id":"{ID}","Status":"Failed","Message":"Origin unreachable"}}"#);
        let obs = interpret(ID, resp(200, &body, None)).unwrap();
        assert_eq!(obs.state, State::Failed);
        assert_eq!(obs.message.as_deref(), Some("Origin unreachable"));
    }

    #[test]
    fn malformed_bodies_are_never_success() {
        for body in [
            "",
            "{",
            r#"{"Id":"x"}"#,
            "<html>ok</html>",
            r#"{"Status":"Succeeded","Id":"00000000-0000-0000-0000-000000000000"}"#,
        ] {
            let e = interpret(ID, resp(200, body, None)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
    }

    #[test]
    fn a_key_twice_or_an_array_is_malformed() {
        for body in [
            format!(r#"{{"Id":"{ID}","Status":"Processing","Status":"Succeeded"}}"#),
            format!(r#"["{ID}","Succeeded"]"#),
            r#"[null,"Succeeded"]"#.to_string(),
        ] {
            let e = interpret(ID, resp(200, &body, None)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
    }

    #[test]
    fn a_task_track_id_that_is_not_a_guid_is_refused_escaped() {
        let submit = |id: &str| {
            interpret_submit(resp(
                202,
                &serde_json::json!({"Succeeded": true, "IsAsync": true,
                    "AsyncInfo": {"TaskTrackId": id, "TaskStatus": "Processing"}})
                .to_string(),
                Some("corr-1"),
            ))
        };
        assert_eq!(submit(ID).unwrap(), vec![ID.to_string()]);
        for bad in [
            "b520c544-ec34-4ac4-86f5-5394363919c3\n::error::forged",
            "../../operations",
            "b520c544ec344ac486f55394363919c3",
        ] {
            let e = submit(bad).unwrap_err();
            assert_eq!(
                (e.kind, e.code.as_deref()),
                (ErrorKind::Invalid, Some("MalformedTaskTrackId")),
                "{bad}"
            );
            assert!(!e.message.contains('\n'), "{}", e.message);
            assert_eq!(e.request_id, Some((CORRELATION_HEADER, "corr-1".into())));
        }
    }

    #[test]
    fn every_documented_error_type_has_a_decision() {
        let types = [
            "CredentialInvalid",
            "ParameterMissing",
            "ParameterInvalid",
            "MissingAuthorizationHeader",
            "InvalidRequestDateHeader",
            "MissingRequestDateHeader",
            "AuthorizationHeaderExpired",
            "InvalidAuthorizationHeader",
            "ApiKeyNotFound",
            "InvalidApiKey",
            "WrongSignature",
            "SubscriptionNotFound",
            "EndpointDoesNotBelongToSubscription",
            "EndpointNotInActiveState",
            "EndpointNotFound",
            "MaliciousItemPathDetected",
            "PermissionDenied",
            "RequestThrottled",
        ];
        for t in types {
            assert!(classify(t).is_some(), "{t} has no decision");
        }
        assert_eq!(
            classify("RequestThrottled").unwrap().0,
            ErrorKind::Throttled
        );
        assert_eq!(classify("WrongSignature").unwrap().0, ErrorKind::Auth);
        assert_eq!(
            classify("AuthorizationHeaderExpired").unwrap().0,
            ErrorKind::ClockSkew
        );
        assert_eq!(
            classify("PermissionDenied").unwrap().0,
            ErrorKind::Permission
        );
        assert_eq!(classify("EndpointNotFound").unwrap().0, ErrorKind::NotFound);
        assert!(classify("SomethingNew").is_none());
    }

    #[test]
    fn error_envelope_surfaces_type_message_and_correlation_id() {
        let body = r#"{"Succeeded":false,"ErrorInfo":{"Type":"WrongSignature","Message":"Wrong signature."}}"#;
        let e = interpret(ID, resp(401, body, Some("corr-123"))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some("WrongSignature"));
        assert_eq!(e.request_id, Some((CORRELATION_HEADER, "corr-123".into())));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "WrongSignature: Wrong signature. (HTTP 401, X-Correlation-Id: corr-123)"
            ),
            "{text}"
        );
        // The envelope wins even on a 200.
        let e = interpret(ID, resp(200, body, None)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
    }

    #[test]
    fn unknown_error_type_falls_back_to_http_status() {
        let body = r#"{"Succeeded":false,"ErrorInfo":{"Type":"Brand New","Message":"x"}}"#;
        assert_eq!(
            interpret(ID, resp(503, body, None)).unwrap_err().kind,
            ErrorKind::Transient
        );
        assert_eq!(
            interpret(ID, resp(400, body, None)).unwrap_err().kind,
            ErrorKind::Invalid
        );
        let e = interpret(ID, resp(502, "<html>Bad gateway</html>", None)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("Bad gateway"));
        assert_eq!(
            interpret(ID, resp(429, "", None)).unwrap_err().kind,
            ErrorKind::Throttled
        );
    }

    fn purge(paths: &[&str], kind: PurgeKind) -> PurgeRequest {
        PurgeRequest {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            kind,
        }
    }

    #[test]
    fn purge_paths_are_absolute_urls_without_wildcards_within_quota() {
        assert!(
            check_purge(&purge(
                &["https://a.example/x.png", "http://a.example/d/"],
                PurgeKind::Auto
            ))
            .is_ok()
        );
        for bad in [
            "/x.png",
            "a.example/x",
            "ftp://a.example/x",
            "https://a.example/*.png",
            "https://a.example/x#y",
        ] {
            assert!(
                check_purge(&purge(&[bad], PurgeKind::Auto)).is_err(),
                "{bad}"
            );
        }
        assert!(check_purge(&purge(&["https://a.example/x"], PurgeKind::Regex)).is_err());
        let dirs: Vec<String> = (0..=DAILY_DIRECTORIES)
            .map(|i| format!("https://a.example/{i}/"))
            .collect();
        let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
        let e = check_purge(&purge(&dirs, PurgeKind::Auto)).unwrap_err();
        assert!(e.contains("daily quota"), "{e}");
        assert!(
            check_purge(&purge(&dirs, PurgeKind::File)).is_ok(),
            "as files they fit"
        );
    }

    #[test]
    fn purge_answer_yields_the_task_track_id() {
        let body = r#"{"Succeeded":true,"IsAsync":true,"AsyncInfo":{"TaskTrackId":"b520c544-ec34-4ac4-86f5-5394363919c3","TaskStatus":"Processing"}}"#;
        assert_eq!(
            interpret_submit(resp(202, body, None)).unwrap(),
            vec!["b520c544-ec34-4ac4-86f5-5394363919c3".to_string()]
        );
        let e = interpret_submit(resp(202, r#"{"Succeeded":true}"#, None)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed);
        assert!(
            e.ambiguous(),
            "an unreadable answer to a purge may hide a created purge"
        );
        let refused = r#"{"Succeeded":false,"ErrorInfo":{"Type":"MaliciousItemPathDetected","Message":"Malicious item path detected."}}"#;
        let e = interpret_submit(resp(400, refused, Some("c-1"))).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Invalid, Some("MaliciousItemPathDetected"))
        );
        assert!(!e.ambiguous());
    }

    #[test]
    fn url_lower_cases_ids_and_keeps_endpoint_prefix() {
        let p = AzureChina::new(
            Settings {
                endpoint: Url::parse("http://127.0.0.1:9/proxy/").unwrap(),
                subscription_id: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
                endpoint_id: "11111111-2222-3333-4444-555555555555".into(),
                api_key_id: "k".into(),
                api_key_secret: Secret::new("s"),
            },
            reqwest::Client::new(),
        );
        assert_eq!(
            p.operation_url("B520C544-EC34-4AC4-86F5-5394363919C3")
                .as_str(),
            "http://127.0.0.1:9/proxy/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/endpoints/11111111-2222-3333-4444-555555555555/operations/b520c544-ec34-4ac4-86f5-5394363919c3?apiVersion=1.0"
        );
    }
}
