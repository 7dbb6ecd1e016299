//! CloudFront's REST-XML wire format: the request paths, the `InvalidationBatch` body, the
//! `Invalidation`, `InvalidationList` and `ErrorResponse` answers, the status words and the
//! error codes, and how invalidation paths are encoded.
//!
//! Answers are read strictly: not well-formed, another root element, a namespace that is not
//! CloudFront's, a required element missing or given twice — each is
//! [`ErrorKind::Malformed`], never a status. Only `Completed` is success; `InProgress` is
//! pending; any other word keeps the wait polling and is reported.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::http::{self, Response};
use crate::provider::{ErrorKind, Observation, ProviderError, State};

/// The API version in every path.
pub const API_VERSION: &str = "2020-05-31";
/// The XML namespace of requests and answers (`http://cloudfront.amazonaws.com/doc/<version>/`).
pub const XMLNS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
/// The header that carries the request id of every answer.
pub const REQUEST_ID: &str = "x-amz-request-id";
/// File paths CloudFront lets one distribution have in progress (and one call carry).
pub const MAX_FILE_PATHS: usize = 3000;
/// Wildcard paths CloudFront lets one distribution have in progress (and one call carry).
pub const MAX_WILDCARD_PATHS: usize = 15;
/// The longest invalidation path CloudFront takes, in characters.
pub const MAX_PATH_CHARS: usize = 4000;
/// Invalidation paths free each month per account; each one beyond is billed.
pub const FREE_PATHS_PER_MONTH: usize = 1000;

/// What a call is, for its URL and the IAM action it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `GetInvalidation` (tenant: `GetInvalidationForDistributionTenant`).
    Get,
    /// `ListInvalidations` (tenant: `ListInvalidationsForDistributionTenant`).
    List,
    /// `CreateInvalidation` (tenant: `CreateInvalidationForDistributionTenant`).
    Create,
}

/// Whose invalidations: a distribution, or a tenant of a multi-tenant distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `distribution-id`, e.g. `EDFDVBD6EXAMPLE`.
    Distribution(String),
    /// `distribution-tenant-id`, e.g. `dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB`.
    Tenant(String),
}

impl Target {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            Target::Distribution(id) | Target::Tenant(id) => id,
        }
    }

    /// The input that names it.
    pub fn input(&self) -> &'static str {
        match self {
            Target::Distribution(_) => "distribution-id",
            Target::Tenant(_) => "distribution-tenant-id",
        }
    }

    /// The path segments of its invalidations: `2020-05-31/distribution/{id}/invalidation`
    /// (tenant: `…/distribution-tenant/{id}/invalidation`).
    pub fn segments(&self) -> [&str; 4] {
        let kind = match self {
            Target::Distribution(_) => "distribution",
            Target::Tenant(_) => "distribution-tenant",
        };
        [API_VERSION, kind, self.id(), "invalidation"]
    }

    /// The API operation (and IAM action, without the `cloudfront:` prefix) of `call`.
    pub fn operation(&self, call: Call) -> &'static str {
        match (self, call) {
            (Target::Distribution(_), Call::Get) => "GetInvalidation",
            (Target::Distribution(_), Call::List) => "ListInvalidations",
            (Target::Distribution(_), Call::Create) => "CreateInvalidation",
            (Target::Tenant(_), Call::Get) => "GetInvalidationForDistributionTenant",
            (Target::Tenant(_), Call::List) => "ListInvalidationsForDistributionTenant",
            (Target::Tenant(_), Call::Create) => "CreateInvalidationForDistributionTenant",
        }
    }

    /// The resource ARN the IAM policy must name (account id unknown here: `*`).
    pub fn arn(&self) -> String {
        match self {
            Target::Distribution(id) => format!("arn:aws:cloudfront::*:distribution/{id}"),
            Target::Tenant(id) => format!("arn:aws:cloudfront::*:distribution-tenant/{id}"),
        }
    }
}

/// `InProgress` is pending, `Completed` succeeded (exactly these spellings, as the API
/// reference and the SDK waiter compare them); any other word is not known.
pub fn map_status(word: &str) -> State {
    match word {
        "InProgress" => State::Pending,
        "Completed" => State::Succeeded,
        _ => State::Unrecognized,
    }
}

// ---------------------------------------------------------------------------------------
// Paths

/// Characters CloudFront wants percent-encoded in a path: RFC 1738's unsafe characters (less
/// `~`, which RFC 3986 made unreserved and browsers send as is) and controls. Nothing else is
/// encoded, "or CloudFront will not invalidate the old version" (Developer Guide, "What you
/// need to know when invalidating paths").
fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        ' ' | '"' | '<' | '>' | '#' | '{' | '}' | '|' | '\\' | '^' | '[' | ']' | '`'
    ) || c.is_ascii_control()
}

/// `path` as CloudFront takes it: non-ASCII and unsafe characters percent-encoded (UTF-8), a
/// `%` that starts an escape kept, a stray `%` encoded; nothing else changed.
pub fn encode_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    for (i, c) in path.char_indices() {
        let escape = c == '%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if escape || (c.is_ascii() && c != '%' && !is_unsafe(c)) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Whether `path` is a wildcard path (ends in `*`), which CloudFront counts apart.
pub fn is_wildcard(path: &str) -> bool {
    path.ends_with('*')
}

/// Why `path` is not an invalidation path CloudFront takes, if it is not.
pub fn path_problem(path: &str) -> Option<String> {
    if path.contains("://") {
        return Some(format!(
            "{path:?} is a URL; give the path only, starting with / (for https://d111111abcdef8.cloudfront.net/img/a.png: /img/a.png)"
        ));
    }
    if !path.starts_with('/') {
        return Some(format!("{path:?} does not start with /"));
    }
    if path.trim_end_matches('*').contains('*') {
        return Some(format!(
            "{path:?} has a * before its end; CloudFront takes the wildcard only as the last character (/img/*)"
        ));
    }
    let encoded = encode_path(path).chars().count();
    if encoded > MAX_PATH_CHARS {
        return Some(format!(
            "{:?}… is {encoded} characters long (encoded); CloudFront takes at most {MAX_PATH_CHARS}",
            path.chars().take(40).collect::<String>()
        ));
    }
    None
}

/// The `CreateInvalidation` body: an `InvalidationBatch` of `paths` (already encoded) with
/// `caller_reference`.
pub fn batch_xml(caller_reference: &str, paths: &[String]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InvalidationBatch xmlns=\"{XMLNS}\"><Paths><Quantity>{}</Quantity><Items>",
        paths.len()
    );
    for p in paths {
        xml.push_str("<Path>");
        xml.push_str(&quick_xml::escape::escape(p.as_str()));
        xml.push_str("</Path>");
    }
    xml.push_str("</Items></Paths><CallerReference>");
    xml.push_str(&quick_xml::escape::escape(caller_reference));
    xml.push_str("</CallerReference></InvalidationBatch>");
    xml
}

// ---------------------------------------------------------------------------------------
// XML

/// An element of an answer: local name, text (trimmed) and children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// The text directly inside it.
    pub text: String,
    /// Child elements, in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The child named `name`; `Err` when there are several (an answer that says two things).
    pub fn child(&self, name: &str) -> Result<Option<&Element>, String> {
        let mut found = self.children.iter().filter(|c| c.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("<{}> holds more than one <{name}>", self.name));
        }
        Ok(first)
    }

    /// The trimmed text of the child named `name`, when present and not empty.
    pub fn text_of(&self, name: &str) -> Result<Option<&str>, String> {
        Ok(self
            .child(name)?
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty()))
    }

    /// The text of a child that must be there.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.text_of(name)?
            .ok_or_else(|| format!("<{}> has no <{name}>", self.name))
    }
}

/// How deep elements may nest: an answer is four levels deep.
const MAX_DEPTH: usize = 16;

/// Whether a namespace is CloudFront's (any API version) or STS's.
fn known_namespace(ns: &str) -> bool {
    ns.starts_with("http://cloudfront.amazonaws.com/doc/")
        || ns.starts_with("https://sts.amazonaws.com/doc/")
}

/// Parses a whole answer into its root element. Fails on anything that is not well-formed
/// (truncation, mismatched tags, unknown entities, a second root, text outside the root) and
/// on elements in a namespace that is neither CloudFront's nor STS's.
pub fn parse_xml(body: &[u8]) -> Result<Element, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let mut reader = quick_xml::NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let err = |e: quick_xml::Error| e.to_string();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(err)?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err("more than one root element".into());
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                match ns {
                    ResolveResult::Unbound => {}
                    ResolveResult::Bound(n) if known_namespace(n.as_ref()) => {}
                    ResolveResult::Bound(n) => {
                        return Err(format!(
                            "an element in namespace {:?}, not CloudFront's",
                            n.as_ref()
                        ));
                    }
                    ResolveResult::Unknown(p) => {
                        return Err(format!("undeclared namespace prefix {:?}", p));
                    }
                }
                let el = Element {
                    name: e.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                if matches!(event, Event::Empty(_)) {
                    close(el, &mut stack, &mut root);
                } else if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or("an end tag without a start tag")?;
                el.text = el.text.trim().to_string();
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
                let resolved: Cow<'_, str> = match r.resolve_char_ref().map_err(err)? {
                    Some(c) => Cow::Owned(c.to_string()),
                    None => {
                        let name: &str = &r;
                        Cow::Borrowed(
                            quick_xml::escape::resolve_predefined_entity(name)
                                .ok_or_else(|| format!("unknown entity &{name};"))?,
                        )
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

/// `2019-12-05T18:40:49.413Z` (RFC 3339, as CloudFront and STS write timestamps).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

// ---------------------------------------------------------------------------------------
// Answers

/// An `Invalidation` (the answer of GetInvalidation and CreateInvalidation).
#[derive(Debug, Clone, PartialEq)]
pub struct Invalidation {
    /// `Id`, e.g. `IDFDVBD632BHDS5`.
    pub id: String,
    /// `Status`: `InProgress` or `Completed`.
    pub status: String,
    /// `CreateTime`.
    pub create_time: Option<DateTime<Utc>>,
    /// `InvalidationBatch/CallerReference`.
    pub caller_reference: Option<String>,
    /// `InvalidationBatch/Paths/Items/Path`.
    pub paths: Vec<String>,
}

/// Whether `id` has the form of an invalidation id: 1 to 64 uppercase ASCII letters and
/// digits (`I2J0I21PCUYOIK`).
pub fn is_invalidation_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Reads an `Invalidation` document.
pub fn parse_invalidation(body: &[u8]) -> Result<Invalidation, String> {
    let root = parse_xml(body)?;
    if root.name != "Invalidation" {
        return Err(format!("<{}> where <Invalidation> was expected", root.name));
    }
    let mut inv = Invalidation {
        id: root.required("Id")?.to_string(),
        status: root.required("Status")?.to_string(),
        create_time: root.text_of("CreateTime")?.and_then(parse_time),
        caller_reference: None,
        paths: Vec::new(),
    };
    if let Some(batch) = root.child("InvalidationBatch")? {
        inv.caller_reference = batch.text_of("CallerReference")?.map(str::to_string);
        if let Some(paths) = batch.child("Paths")? {
            if let Some(items) = paths.child("Items")? {
                inv.paths = items
                    .children
                    .iter()
                    .filter(|c| c.name == "Path")
                    .map(|c| c.text.clone())
                    .collect();
            }
        }
    }
    Ok(inv)
}

/// One `InvalidationSummary` of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `Id`.
    pub id: String,
    /// `Status`.
    pub status: String,
    /// `CreateTime`.
    pub create_time: Option<DateTime<Utc>>,
}

/// One page of `ListInvalidations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// `Items/InvalidationSummary`, in the order listed.
    pub items: Vec<Summary>,
    /// `NextMarker` when `IsTruncated` is true.
    pub next_marker: Option<String>,
}

/// Reads an `InvalidationList` document. `IsTruncated` must be `true` or `false`, and a
/// truncated page must say where to go on (`NextMarker`).
pub fn parse_list(body: &[u8]) -> Result<Page, String> {
    let root = parse_xml(body)?;
    if root.name != "InvalidationList" {
        return Err(format!(
            "<{}> where <InvalidationList> was expected",
            root.name
        ));
    }
    let truncated = match root.required("IsTruncated")? {
        "true" => true,
        "false" => false,
        other => return Err(format!("IsTruncated is {other:?}, not true or false")),
    };
    let mut items = Vec::new();
    if let Some(list) = root.child("Items")? {
        for s in list
            .children
            .iter()
            .filter(|c| c.name == "InvalidationSummary")
        {
            items.push(Summary {
                id: s.required("Id")?.to_string(),
                status: s.required("Status")?.to_string(),
                create_time: s.text_of("CreateTime")?.and_then(parse_time),
            });
        }
    }
    let next_marker = match (truncated, root.text_of("NextMarker")?) {
        (true, Some(m)) => Some(m.to_string()),
        (true, None) => return Err("IsTruncated is true but there is no NextMarker".into()),
        (false, _) => None,
    };
    Ok(Page { items, next_marker })
}

/// The `Error` of an `ErrorResponse` (or a bare `Error`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorBody {
    /// `Type`: `Sender` or `Receiver`.
    pub kind: Option<String>,
    /// `Code`, e.g. `NoSuchInvalidation`.
    pub code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `RequestId`.
    pub request_id: Option<String>,
}

/// Reads an error document; `None` when the body is not one.
pub fn parse_error(body: &[u8]) -> Option<ErrorBody> {
    let root = parse_xml(body).ok()?;
    let error = match root.name.as_str() {
        "ErrorResponse" => root.child("Error").ok()??,
        "Error" => &root,
        _ => return None,
    };
    let text = |el: &Element, name: &str| el.text_of(name).ok().flatten().map(str::to_string);
    Some(ErrorBody {
        kind: text(error, "Type"),
        code: text(error, "Code"),
        message: text(error, "Message"),
        request_id: text(&root, "RequestId").or_else(|| text(error, "RequestId")),
    })
}

/// The observation an `Invalidation` gives.
pub fn observation(inv: &Invalidation) -> Observation {
    let mut o = Observation::new(inv.id.clone(), map_status(&inv.status), inv.status.clone());
    o.started_at = inv.create_time;
    if !inv.paths.is_empty() {
        let shown: Vec<&str> = inv.paths.iter().take(3).map(String::as_str).collect();
        let more = inv.paths.len().saturating_sub(shown.len());
        let mut paths = shown.join(" ");
        if more > 0 {
            paths.push_str(&format!(" and {more} more"));
        }
        o.details.push(("Paths".into(), paths));
    }
    if let Some(r) = &inv.caller_reference {
        o.details.push(("CallerReference".into(), r.clone()));
    }
    o
}

// ---------------------------------------------------------------------------------------
// Errors

/// Codes that say the request date was refused: the clock of this machine is probably off.
pub fn is_clock_skew(code: &str, message: &str) -> bool {
    matches!(
        code,
        "RequestTimeTooSkewed" | "RequestExpired" | "RequestInTheFuture"
    ) || (code == "SignatureDoesNotMatch" && message.contains("Signature expired"))
}

/// Codes that refuse the credentials themselves: fresh ones may be accepted.
pub fn is_credential_refusal(code: &str) -> bool {
    matches!(
        code,
        "SignatureDoesNotMatch"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidAccessKeyId"
    )
}

/// What a CloudFront error code means for the wait, and how to fix it. `None` for a code
/// this table does not know: the HTTP status decides.
pub fn classify(code: &str, target: &Target, call: Call) -> Option<(ErrorKind, String)> {
    use ErrorKind::*;
    let op = target.operation(call);
    let input = target.input();
    Some(match code {
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded"
        | "TooManyRequestsException" | "RequestThrottled" | "SlowDown" => (
            Throttled,
            "CloudFront throttled the request; it is sent again with backoff".into(),
        ),
        "ServiceUnavailable" | "InternalFailure" | "InternalError" | "InternalServerError"
        | "InternalException" => (
            Transient,
            "CloudFront had a passing fault; the request is sent again with backoff".into(),
        ),
        "TooManyInvalidationsInProgress" => (
            Busy,
            format!(
                "CloudFront allows {MAX_FILE_PATHS} file paths and {MAX_WILDCARD_PATHS} wildcard paths in progress per distribution; the call is sent again with backoff as earlier invalidations complete, until the deadline"
            ),
        ),
        "AccessDenied" | "AccessDeniedException" | "NotAuthorized" | "OptInRequired" => (
            Permission,
            format!(
                "The credentials are valid but may not call {op}: grant the IAM action cloudfront:{op} on {} (see the README's IAM policy)",
                target.arn()
            ),
        ),
        "NoSuchDistribution" | "EntityNotFound" => (
            NotFound,
            format!(
                "Check {input} ({}): it must exist in the account the credentials belong to",
                target.id()
            ),
        ),
        "NoSuchInvalidation" => (
            NotFound,
            format!(
                "Check the invalidation id: it must be an invalidation of {input} {}",
                target.id()
            ),
        ),
        "SignatureDoesNotMatch" => (
            Auth,
            "The signature made with the secret access key was refused: check aws-secret-access-key (AWS_SECRET_ACCESS_KEY) and that it belongs to the access key id".into(),
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "InvalidAccessKeyId" => (
            Auth,
            "AWS does not know the access key id, or its session token is missing or invalid: check aws-access-key-id and aws-session-token (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN)".into(),
        ),
        "ExpiredToken" | "ExpiredTokenException" => (
            Auth,
            "The session token has expired: temporary credentials given as inputs or AWS_SESSION_TOKEN cannot be renewed; use role-to-assume (renewed during the wait) or a longer session".into(),
        ),
        "IncompleteSignature" | "MissingAuthenticationToken" | "InvalidSignatureException" => (
            Auth,
            "The signed headers did not reach CloudFront intact: a proxy between here and the API may strip or rewrite them".into(),
        ),
        "RequestTimeTooSkewed" | "RequestExpired" | "RequestInTheFuture" => (
            ClockSkew,
            "The request date was refused although it was signed afresh: the clock of this machine is probably wrong (AWS allows 5 to 15 minutes); sync it (NTP)".into(),
        ),
        "InvalidationBatchAlreadyExists" => (
            Invalid,
            "CloudFront already has an invalidation with this CallerReference but other paths: set caller-reference to a new value".into(),
        ),
        "InvalidArgument" | "InconsistentQuantities" | "BatchTooLarge" | "MissingBody"
        | "MalformedInput" | "MalformedXML" | "ValidationError" => (
            Invalid,
            "CloudFront refused the invalidation batch: check paths (each starts with /, * only last, at most 4000 characters)".into(),
        ),
        _ => return None,
    })
}

/// The error an unsuccessful answer to `call` carries: the code's meaning (else the HTTP
/// status's), the message, the HTTP status, `x-amz-request-id`, `Retry-After` and, for a
/// refused date, how far this clock is from the server's `Date`.
pub fn api_error(resp: &Response, target: &Target, call: Call) -> ProviderError {
    let body = parse_error(&resp.body).unwrap_or_default();
    let code = body.code.clone().unwrap_or_default();
    let message = body
        .message
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let mut e = match classify(&code, target, call) {
        _ if resp.status == 429 => ProviderError::new(ErrorKind::Throttled, message)
            .hint("CloudFront throttled the request; it is sent again with backoff"),
        Some((kind, hint)) => ProviderError::new(kind, message).hint(hint),
        None => {
            let mut e = http::status_error(resp);
            if body.message.is_some() {
                e.message = message;
            }
            if e.kind == ErrorKind::NotFound {
                e = e.hint(format!(
                    "Check {} and endpoint: CloudFront does not serve this path",
                    target.input()
                ));
            }
            e
        }
    };
    if !code.is_empty() {
        e.code = Some(code);
    }
    with_response(e, resp, body.request_id)
}

/// Adds the HTTP status, the request id (`x-amz-request-id`, else the body's `RequestId`),
/// `Retry-After` and, for a refused date, the clock difference.
pub fn with_response(
    mut e: ProviderError,
    resp: &Response,
    body_request_id: Option<String>,
) -> ProviderError {
    e.http_status = Some(resp.status);
    e.request_id = resp
        .header(REQUEST_ID)
        .or(body_request_id)
        .or_else(|| resp.header("x-amzn-requestid"))
        .map(|id| (REQUEST_ID, id));
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    if e.kind == ErrorKind::ClockSkew {
        if let Some(server) = resp
            .header("date")
            .and_then(|d| DateTime::parse_from_rfc2822(&d).ok())
        {
            let skew = (Utc::now() - server.with_timezone(&Utc)).num_seconds();
            let hint = e.hint.take().unwrap_or_default();
            e.hint = Some(format!(
                "{hint} (this machine's clock differs from the server's Date header by about {skew} s)"
            ));
        }
    }
    e
}

/// An answer that should have been a document of one kind and is not: retried, never
/// success, with the request id when there is one.
pub fn malformed(resp: &Response, what: &str, why: String) -> ProviderError {
    let e = ProviderError::new(
        ErrorKind::Malformed,
        format!(
            "the {what} answer could not be read ({why}): {}",
            http::snippet(&resp.body)
        ),
    );
    with_response(e, resp, None)
}
