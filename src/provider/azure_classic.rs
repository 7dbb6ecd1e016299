//! Azure classic (Service Management) CDN operation status:
//! `GET {endpoint}/{subscription-id}/services/cdn/operations/{request-id}`.
//!
//! Wire format (seed 002, "Get CDN Operation Status", and the Service Management
//! conventions it refers to):
//! - request: `Content-Type: application/xml` and `x-ms-version` (2011-06-30 or later);
//!   authenticated by the subscription's management certificate as the TLS client
//!   certificate (see [`crate::tls`]);
//! - 200: `<CdnOperation xmlns="http://schemas.microsoft.com/windowsazure">` with `Id`,
//!   `Name`, `SubscriberId`, `Status` (`InProgress | Succeeded | Failed`) and, once finished,
//!   `HttpStatusCode`; a failure adds `CdnErrorCode` and `Message`;
//! - error: `<Error xmlns="…"><Code>…</Code><Message>…</Message></Error>` with the
//!   `x-ms-request-id` header. Errors are classified by `Code` first and by HTTP status only
//!   when the code is unknown.
//!
//! Bodies are read with a real XML parser: a UTF-8 or UTF-16 byte-order mark, namespace
//! prefixes, entity and character references, CDATA, comments and unknown elements are all
//! fine; anything that is not well-formed is [`ErrorKind::Malformed`] (retried, never
//! success).

use std::borrow::Cow;

use futures_util::future::LocalBoxFuture;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use url::Url;

use super::{ErrorKind, Observation, PollResult, Provider, ProviderError, State};
use crate::http::{self, Response};
use crate::tls::ClientCert;

/// The provider's input name.
pub const NAME: &str = "azure-classic";
/// The Service Management endpoint of the global cloud (`environment: AzureCloud`).
pub const DEFAULT_ENDPOINT: &str = "https://management.core.windows.net";
/// The Service Management endpoint of Azure China (`environment: AzureChinaCloud`).
pub const CHINA_ENDPOINT: &str = "https://management.core.chinacloudapi.cn";
/// The oldest `x-ms-version` the operation accepts, and the default.
pub const DEFAULT_API_VERSION: &str = "2011-06-30";
/// The response header that identifies a request.
pub const REQUEST_ID_HEADER: &str = "x-ms-request-id";
/// The namespace of Service Management bodies.
pub const XMLNS: &str = "http://schemas.microsoft.com/windowsazure";

/// The US Government cloud's Service Management endpoint.
pub const US_GOVERNMENT_ENDPOINT: &str = "https://management.core.usgovcloudapi.net";

/// The Service Management endpoint of an `environment` value (case-insensitive), if known.
pub fn environment_endpoint(environment: &str) -> Option<&'static str> {
    match environment.to_ascii_lowercase().as_str() {
        "azurecloud" | "azureglobalcloud" => Some(DEFAULT_ENDPOINT),
        "azurechinacloud" => Some(CHINA_ENDPOINT),
        "azureusgovernment" => Some(US_GOVERNMENT_ENDPOINT),
        _ => None,
    }
}

/// Everything needed to call the API, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL (`https://management.core.windows.net`, a private endpoint, a simulator).
    pub endpoint: Url,
    /// Subscription GUID, lower case.
    pub subscription_id: String,
    /// The `x-ms-version` header.
    pub api_version: String,
    /// The management certificate, checked (readable, with its key, not expired).
    pub certificate: ClientCert,
}

/// The classic CDN operation-status client. Its HTTP client is the OpenSSL one (Service
/// Management asks for the certificate by TLS renegotiation, see [`crate::tls::ossl`]) and
/// must carry the management certificate as its TLS identity
/// ([`crate::config::Config::tls`] arranges that).
pub struct AzureClassic {
    settings: Settings,
    http: http::openssl_client::Client,
}

impl AzureClassic {
    /// A client for `settings`, over `http`.
    pub fn new(settings: Settings, http: http::openssl_client::Client) -> Self {
        AzureClassic { settings, http }
    }

    /// `{endpoint}/{subscription-id}/services/cdn/operations/{request-id}`.
    pub fn operation_url(&self, id: &str) -> Url {
        let s = &self.settings;
        let mut url = s.endpoint.clone();
        url.path_segments_mut()
            .expect("endpoint is an http(s) URL")
            .pop_if_empty()
            .extend([&s.subscription_id, "services", "cdn", "operations", id]);
        url
    }

    async fn get(&self, id: &str) -> Result<Observation, ProviderError> {
        let headers = [
            ("content-type", "application/xml"),
            ("accept", "application/xml"),
            ("x-ms-version", self.settings.api_version.as_str()),
        ];
        let resp = self.http.get(&self.operation_url(id), &headers).await?;
        interpret(id, &resp).map_err(|e| with_response(e, &resp, &self.settings.certificate))
    }
}

impl Provider for AzureClassic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        super::one_by_one(ids, move |id| self.get(id))
    }
}

/// A `CdnOperation` body, every element optional so that a missing one is reported rather
/// than failing to parse.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CdnOperation {
    /// `Id`: the request id.
    pub id: Option<String>,
    /// `Name`: the operation, e.g. `UpdateCdnEndpointConfiguration`.
    pub name: Option<String>,
    /// `SubscriberId`: the caller's subscription.
    pub subscriber_id: Option<String>,
    /// `Status`: `InProgress`, `Succeeded` or `Failed`.
    pub status: Option<String>,
    /// `HttpStatusCode` of the finished asynchronous request.
    pub http_status_code: Option<String>,
    /// `CdnErrorCode` of a failure.
    pub cdn_error_code: Option<String>,
    /// `Message` of a failure.
    pub message: Option<String>,
}

/// What a Service Management body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A `CdnOperation`.
    Operation(CdnOperation),
    /// An `Error` with its `Code` and `Message`.
    Error {
        /// `Code`, e.g. `ForbiddenError`.
        code: Option<String>,
        /// `Message`.
        message: Option<String>,
    },
    /// Well-formed XML with another root element (its local name).
    Other(String),
    /// A `CdnOperation` with one of its elements more than once (its name): two `<Status>`
    /// elements make the status ambiguous, so the body is malformed, never read.
    Duplicate(String),
}

/// One element of a parsed document: its local name, attributes and direct children.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    /// Local name (prefix dropped).
    pub name: String,
    /// Whether it is in the Service Management namespace (or in none).
    pub ours: bool,
    /// Attributes by local name, unescaped.
    pub attributes: Vec<(String, String)>,
    /// Text content, unescaped (references resolved, CDATA included).
    pub text: String,
    /// Child elements, in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name` in our namespace.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.ours && c.name == name)
    }

    /// The trimmed text of the first child called `name`, unless empty.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// An attribute's value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a body to text: a UTF-8 BOM is dropped, UTF-16 with a BOM is decoded.
fn decode(body: &[u8]) -> Result<Cow<'_, str>, String> {
    let utf16 = |bytes: &[u8], le: bool| {
        if bytes.len() % 2 != 0 {
            return Err("odd number of bytes in UTF-16".to_string());
        }
        let units = bytes.chunks(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| "invalid UTF-16".to_string())
    };
    match body {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| "invalid UTF-8".into()),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => std::str::from_utf8(body)
            .map(Cow::Borrowed)
            .map_err(|_| "invalid UTF-8".into()),
    }
}

/// How deep elements may nest: a status answer is three levels deep.
const MAX_DEPTH: usize = 32;

/// Parses a whole XML document into its root [`Element`]. Fails on anything that is not
/// well-formed: truncation, mismatched tags, unknown entities, a second root, no root.
pub fn parse_xml(body: &[u8]) -> Result<Element, String> {
    let text = decode(body)?;
    let mut reader = quick_xml::NsReader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let err = |e: quick_xml::Error| e.to_string();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(err)?;
        let ours = matches!(ns, ResolveResult::Unbound)
            || matches!(ns, ResolveResult::Bound(n) if n.as_ref() == XMLNS);
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err("more than one root element".into());
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if let ResolveResult::Unknown(p) = ns {
                    return Err(format!("undeclared namespace prefix {p:?}"));
                }
                let mut el = Element {
                    name: e.local_name().as_ref().to_string(),
                    ours,
                    ..Element::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(err)?
                        .into_owned();
                    let name = a.key.local_name().as_ref().to_string();
                    el.attributes.push((name, value));
                }
                if matches!(event, Event::Empty(_)) {
                    close(el, &mut stack, &mut root);
                } else if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("an end tag without a start tag")?;
                close(el, &mut stack, &mut root);
            }
            Event::Text(t) => {
                let t = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&t),
                    None if t.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(t) => {
                let t: &str = &t;
                let el = stack.last_mut().ok_or("CDATA outside the root element")?;
                el.text.push_str(t);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(err)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name: &str = &r;
                        quick_xml::escape::resolve_predefined_entity(name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_string()
                    }
                };
                let el = stack
                    .last_mut()
                    .ok_or("a reference outside the root element")?;
                el.text.push_str(&resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document is cut short (unclosed elements)".into());
    }
    root.ok_or_else(|| "no XML element".into())
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Reads a Service Management body: a `CdnOperation`, an `Error`, or something else.
pub fn parse_body(body: &[u8]) -> Result<Body, String> {
    let root = parse_xml(body)?;
    if !root.ours {
        return Ok(Body::Other(root.name));
    }
    const FIELDS: [&str; 7] = [
        "Id",
        "Name",
        "SubscriberId",
        "Status",
        "HttpStatusCode",
        "CdnErrorCode",
        "Message",
    ];
    if root.name == "CdnOperation" {
        let twice = FIELDS.into_iter().find(|f| {
            root.children
                .iter()
                .filter(|c| c.ours && c.name == *f)
                .count()
                > 1
        });
        if let Some(name) = twice {
            return Ok(Body::Duplicate(name.to_string()));
        }
    }
    Ok(match root.name.as_str() {
        "CdnOperation" => Body::Operation(CdnOperation {
            id: root.child_text("Id"),
            name: root.child_text("Name"),
            subscriber_id: root.child_text("SubscriberId"),
            status: root.child_text("Status"),
            http_status_code: root.child_text("HttpStatusCode"),
            cdn_error_code: root.child_text("CdnErrorCode"),
            message: root.child_text("Message"),
        }),
        "Error" => Body::Error {
            code: root.child_text("Code"),
            message: root.child_text("Message"),
        },
        other => Body::Other(other.to_string()),
    })
}

/// Turns one response into an observation or an error (request id and hints are added by
/// the caller).
fn interpret(id: &str, resp: &Response) -> Result<Observation, ProviderError> {
    let ok = (200..300).contains(&resp.status);
    match parse_body(&resp.body) {
        Ok(Body::Error { code, message }) => Err(api_error(resp.status, code, message)),
        Ok(Body::Operation(op)) if ok => observation(id, op),
        Ok(Body::Duplicate(name)) if ok => Err(ProviderError::new(
            ErrorKind::Malformed,
            format!("the <CdnOperation> answer has <{name}> more than once, so it is ambiguous"),
        )
        .hint(format!("body starts: {}", http::snippet(&resp.body)))),
        Ok(Body::Other(root)) if ok => Err(ProviderError::new(
            ErrorKind::Malformed,
            format!("the status answer is <{root}>, not the <CdnOperation> expected"),
        )
        .hint(format!("body starts: {}", http::snippet(&resp.body)))),
        Err(why) if ok => Err(ProviderError::new(
            ErrorKind::Malformed,
            format!("the status answer is not well-formed XML ({why})"),
        )
        .hint(format!("body starts: {}", http::snippet(&resp.body)))),
        _ => Err(status_error(resp)),
    }
}

fn observation(id: &str, op: CdnOperation) -> Result<Observation, ProviderError> {
    let raw = op.status.ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Malformed,
            "the <CdnOperation> answer has no <Status>",
        )
    })?;
    super::check_same_operation(id, op.id.as_deref())?;
    let mut obs = Observation::new(id, map_status(&raw), raw);
    obs.message = op.message;
    if let Some(code) = op.cdn_error_code {
        obs.details.push(("CdnErrorCode".into(), code));
    }
    if let Some(status) = op.http_status_code {
        obs.details.push(("HttpStatusCode".into(), status));
    }
    if let Some(name) = op.name {
        obs.details.push(("Name".into(), name));
    }
    Ok(obs)
}

/// `InProgress` pending, `Succeeded` succeeded, `Failed` failed; any other word is
/// unrecognised (never success).
pub fn map_status(raw: &str) -> State {
    match raw.trim().to_ascii_lowercase().as_str() {
        "inprogress" => State::Pending,
        "succeeded" => State::Succeeded,
        "failed" => State::Failed,
        _ => State::Unrecognized,
    }
}

/// The decision for the Service Management error codes ("Service Management Status and
/// Error Codes"). `None` for a code it does not list, which is then classified by HTTP
/// status.
pub fn classify(code: &str) -> Option<(ErrorKind, &'static str)> {
    use ErrorKind::*;
    Some(match code {
        "ForbiddenError" | "AuthenticationFailed" => (
            Auth,
            "The management certificate was refused: check that it is uploaded to this subscription (Azure portal: Subscriptions > Management certificates) and that subscription-id is right",
        ),
        "SubscriptionDisabled" => (
            Permission,
            "The subscription is disabled; re-enable it in the Azure portal",
        ),
        "ResourceNotFound" | "NotFound" => (
            NotFound,
            "Check operation-ids (each must be the x-ms-request-id of a classic CDN call), subscription-id and environment",
        ),
        "MissingOrIncorrectVersionHeader" => (
            Invalid,
            "The service refused the x-ms-version header: set api-version to a version it supports (2011-06-30 or later)",
        ),
        "BadRequest"
        | "InvalidHeader"
        | "InvalidInput"
        | "InvalidUri"
        | "InvalidXmlRequest"
        | "MissingOrInvalidRequiredQueryParameter"
        | "UnsupportedHttpVerb"
        | "ConflictError" => (Invalid, "The service refused the request as invalid"),
        "TooManyRequests" | "ServerBusy" => (Throttled, "The service throttled the request"),
        "InternalError" | "ServiceUnavailable" | "OperationTimedOut" | "TemporaryRedirect" => {
            (Transient, "A transient fault of the service")
        }
        _ => return None,
    })
}

/// [`http::status_kind`], except that Service Management answers 403 when the client
/// certificate is not one of the subscription's: the credentials were refused.
fn status_kind(status: u16) -> ErrorKind {
    match status {
        403 => ErrorKind::Auth,
        _ => http::status_kind(status),
    }
}

fn api_error(status: u16, code: Option<String>, message: Option<String>) -> ProviderError {
    let message = message.unwrap_or_else(|| format!("HTTP {status}"));
    let mut e = match code.as_deref().and_then(classify) {
        Some((kind, hint)) => {
            let e = ProviderError::new(kind, message);
            if kind.is_retryable() { e } else { e.hint(hint) }
        }
        None => {
            let mut e = ProviderError::new(status_kind(status), message);
            if status == 403 {
                e = e.hint(classify("ForbiddenError").expect("listed").1);
            }
            e
        }
    };
    e.code = code;
    e
}

/// An error answer without an `<Error>` body, classified by HTTP status.
fn status_error(resp: &Response) -> ProviderError {
    let mut e = http::status_error(resp);
    e.kind = status_kind(resp.status);
    match e.kind {
        ErrorKind::NotFound => {
            e.hint("Check endpoint, environment, subscription-id and operation-ids")
        }
        ErrorKind::Auth => e.hint(classify("ForbiddenError").expect("listed").1),
        _ => e,
    }
}

fn with_response(mut e: ProviderError, resp: &Response, cert: &ClientCert) -> ProviderError {
    e.http_status = Some(resp.status);
    e.request_id = resp
        .header(REQUEST_ID_HEADER)
        .map(|v| (REQUEST_ID_HEADER, v));
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if e.kind == ErrorKind::Auth {
        let hint = e.hint.take().unwrap_or_default();
        e.hint = Some(format!(
            "{hint} (certificate sent: {}, thumbprint {})",
            cert.subject, cert.thumbprint
        ));
    }
    e
}

/// One subscription of a `.publishsettings` file.
#[derive(Clone, PartialEq, Eq)]
pub struct PublishSubscription {
    /// Subscription GUID.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Service Management URL (schema 2.0 per subscription, schema 1.0 per profile).
    pub url: Option<String>,
    /// Base64 PKCS#12 with an empty password (per subscription, or the profile's).
    pub certificate: Option<String>,
}

impl std::fmt::Debug for PublishSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishSubscription")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("certificate", &self.certificate.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Reads the subscriptions of a `.publishsettings` file (schema 1.0 or 2.0):
/// `<PublishData><PublishProfile [Url] [ManagementCertificate]><Subscription Id Name
/// [ServiceManagementUrl] [ManagementCertificate]/>…`.
pub fn parse_publish_settings(body: &[u8]) -> Result<Vec<PublishSubscription>, String> {
    let root = parse_xml(body)?;
    if root.name != "PublishData" {
        return Err(format!(
            "the root element is <{}>, not <PublishData>",
            root.name
        ));
    }
    let mut out = Vec::new();
    for profile in root.children.iter().filter(|c| c.name == "PublishProfile") {
        for sub in profile.children.iter().filter(|c| c.name == "Subscription") {
            let Some(id) = sub.attribute("Id") else {
                continue;
            };
            let pick = |own: &str, inherited: &str| {
                sub.attribute(own)
                    .or_else(|| profile.attribute(inherited))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            out.push(PublishSubscription {
                id: id.trim().to_string(),
                name: sub.attribute("Name").map(str::to_string),
                url: pick("ServiceManagementUrl", "Url"),
                certificate: pick("ManagementCertificate", "ManagementCertificate"),
            });
        }
    }
    if out.is_empty() {
        return Err("it lists no <Subscription Id=…>".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
