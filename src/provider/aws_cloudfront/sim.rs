//! Simulated CloudFront invalidation API, STS `AssumeRoleWithWebIdentity`, a GitHub Actions
//! OIDC token service, IMDSv2 and a container credentials endpoint, on one port.
//!
//! An independent check of the client, as the real service is: nothing here uses the
//! client's requests or wire code. It parses requests itself and verifies SigV4 with its
//! own canonicalisation, sharing only the signing primitives of `aws-sigv4` (the signing key
//! and the HMAC of the string to sign).
//!
//! - Every `/2020-05-31/…` request is checked as the service checks it, answering its error
//!   codes in its `ErrorResponse` body with an `x-amz-request-id` header:
//!   `Authorization` present (`MissingAuthenticationToken`) and well formed
//!   (`IncompleteSignature`), `x-amz-date` well formed, the access key known
//!   (`InvalidClientTokenId`) and, for temporary keys, its session token sent and not
//!   expired (`ExpiredToken`), the date within 15 minutes of the server clock
//!   (`RequestTimeTooSkewed`), the scope (`cloudfront`, the partition's region), then the
//!   signature (`SignatureDoesNotMatch`).
//! - `GET …/distribution/{id}/invalidation/{Id}` (and the `distribution-tenant` form): the
//!   invalidation follows its [`Scenario`] — `InProgress`, then `Completed` (or the scripted
//!   word); `missing` is `NoSuchInvalidation`, as is an `{Id}` that, percent-decoded, is not
//!   letters and digits; another distribution `NoSuchDistribution`
//!   (tenant: `EntityNotFound`); `throttle=N` answers `Throttling`, `errors=N` 503
//!   `ServiceUnavailable`.
//! - `GET …/invalidation?Marker=&MaxItems=`: every invalidation of the distribution, newest
//!   first — created ones, the scripted ones, then [`Setup::history`] completed ones — in
//!   pages of at most [`Setup::page_size`], `NextMarker` the first id of the next page.
//! - `POST …/invalidation`: an `InvalidationBatch` checked as CloudFront checks it
//!   (`MissingBody`, `MalformedXML`, `InconsistentQuantities`, `InvalidArgument` for a path
//!   that does not start with `/`, has a `*` before its end, an unencoded character or more
//!   than 4,000 characters, `BatchTooLarge`), the in-progress limits of 3,000 file paths and
//!   15 wildcard paths per distribution (`TooManyInvalidationsInProgress`), and the
//!   CallerReference: the same reference and paths answer the invalidation created before,
//!   other paths `InvalidationBatchAlreadyExists`. Fault knobs: [`Setup::busy_creates`],
//!   [`Setup::throttle_creates`], [`Setup::reset_creates`] (the invalidation is created,
//!   then the connection reset); [`Setup::deny`] answers `AccessDenied` for the operations
//!   it names.
//! - `POST /` with `Action=AssumeRoleWithWebIdentity` (unsigned): checks the role, the token
//!   and the session name, then issues keys that expire after [`Setup::sts_lifetime`].
//! - `GET /github-oidc-token?audience=…` with `Authorization: bearer <request token>`:
//!   `{"value": <token>}`, the token STS accepts only for audience `sts.amazonaws.com`.
//! - `PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/[role]`: IMDSv2;
//!   `GET /container-credentials`: the container endpoint (its `Authorization` checked).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::sim::{Answer, Api, Ending, Scenario, SimRequest, random_guid};

/// The demo access key id (not real).
pub const DEMO_ACCESS_KEY_ID: &str = "AKIAPURGEWAITDEMO0001";
/// The demo secret access key (not real).
pub const DEMO_SECRET_ACCESS_KEY: &str = "pUrGeWaIt/DemoSecretAccessKey+NotReal0001";
/// The demo distribution.
pub const DEMO_DISTRIBUTION: &str = "EDFDVBD6EXAMPLE";
/// The demo distribution tenant.
pub const DEMO_TENANT: &str = "dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB";
/// The role STS lets the demo token assume.
pub const DEMO_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/purge-wait-demo";
/// The web identity token STS accepts.
pub const DEMO_WEB_IDENTITY_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.cHVyZ2Utd2FpdC1kZW1v";
/// The bearer token the mock GitHub token service accepts.
pub const DEMO_GITHUB_REQUEST_TOKEN: &str = "demo-actions-id-token-request-token-aws";
/// The path of the mock GitHub token service.
pub const GITHUB_TOKEN_PATH: &str = "/github-oidc-token";
/// The path of the container credentials endpoint.
pub const CONTAINER_PATH: &str = "/container-credentials";
/// The authorization token the container endpoint wants.
pub const DEMO_CONTAINER_TOKEN: &str = "demo-container-authorization-token";
/// The instance role IMDS serves.
pub const DEMO_INSTANCE_ROLE: &str = "purge-wait-demo-instance";
/// How far `x-amz-date` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

const VERSION: &str = "2020-05-31";
const NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// What the simulated account accepts and how its invalidations behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Accepted static access key id.
    pub access_key_id: String,
    /// Its secret.
    pub secret_access_key: String,
    /// The account's distribution.
    pub distribution_id: String,
    /// The account's distribution tenant.
    pub tenant_id: String,
    /// The region requests must be signed for (`cn-northwest-1` for the China partition).
    pub region: String,
    /// The role STS lets the token assume.
    pub role_arn: String,
    /// The web identity token STS accepts.
    pub web_identity_token: String,
    /// The bearer token of the GitHub token service.
    pub github_request_token: String,
    /// The audience for which the GitHub token service issues the accepted token.
    pub audience: String,
    /// Lifetime of keys from STS, IMDS and the container endpoint.
    pub sts_lifetime: Duration,
    /// The container endpoint's `Authorization`, if it wants one.
    pub container_token: Option<String>,
    /// Scripted invalidations (listed, and found by id).
    pub ops: Vec<(String, Scenario)>,
    /// How invalidations that were not scripted behave when asked for by id.
    pub default: Scenario,
    /// How invalidations created through the API behave.
    pub purge: Scenario,
    /// Completed invalidations listed after the scripted ones (to page through).
    pub history: usize,
    /// Invalidations per list page at most.
    pub page_size: usize,
    /// The server clock minus the real clock (to simulate a skewed client).
    pub clock_offset: chrono::Duration,
    /// Create calls answered `TooManyInvalidationsInProgress` before any is looked at.
    pub busy_creates: u32,
    /// Create calls answered `Throttling` before any is looked at.
    pub throttle_creates: u32,
    /// Accepted create calls whose connection is reset after the invalidation was created.
    pub reset_creates: u32,
    /// Operations (`CreateInvalidation`, `GetInvalidation`, …) answered `AccessDenied`.
    pub deny: Vec<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            access_key_id: DEMO_ACCESS_KEY_ID.into(),
            secret_access_key: DEMO_SECRET_ACCESS_KEY.into(),
            distribution_id: DEMO_DISTRIBUTION.into(),
            tenant_id: DEMO_TENANT.into(),
            region: "us-east-1".into(),
            role_arn: DEMO_ROLE_ARN.into(),
            web_identity_token: DEMO_WEB_IDENTITY_TOKEN.into(),
            github_request_token: DEMO_GITHUB_REQUEST_TOKEN.into(),
            audience: "sts.amazonaws.com".into(),
            sts_lifetime: Duration::from_secs(3600),
            container_token: Some(DEMO_CONTAINER_TOKEN.into()),
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            history: 0,
            page_size: 100,
            clock_offset: chrono::Duration::zero(),
            busy_creates: 0,
            throttle_creates: 0,
            reset_creates: 0,
            deny: Vec::new(),
        }
    }
}

/// One invalidation the service knows.
struct Inv {
    scenario: Scenario,
    first_seen: Option<Instant>,
    create_time: DateTime<Utc>,
    answers: u32,
    finished_answers: u32,
    /// Paths and CallerReference, for those created through the API.
    paths: Vec<String>,
    caller_reference: String,
    /// `distribution` or `distribution-tenant`.
    kind: &'static str,
    /// Creation order (newest is listed first).
    seq: u64,
}

struct Issued {
    id: String,
    secret: String,
    token: String,
    expires: DateTime<Utc>,
}

/// What the service has done, and its fault counters.
#[derive(Default)]
struct Book {
    invalidations: HashMap<String, Inv>,
    issued: Vec<Issued>,
    imds_tokens: Vec<String>,
    busy: u32,
    throttled: u32,
    resets: u32,
    seq: u64,
}

/// The simulated APIs.
pub struct AwsCloudFrontSim {
    setup: Setup,
    book: Mutex<Book>,
}

fn random_alnum(n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| SET[fastrand::usize(..SET.len())] as char)
        .collect()
}

fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A CloudFront error answer.
fn cf_error(status: u16, code: &str, message: &str) -> Answer {
    let request_id = random_guid();
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    Answer {
        status,
        headers: vec![
            ("content-type", "text/xml".into()),
            ("x-amz-request-id", request_id.clone()),
        ],
        body: format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
        label: code.to_string(),
        reset: false,
    }
}

/// An STS error answer.
fn sts_error(status: u16, code: &str, message: &str) -> Answer {
    let request_id = random_guid();
    Answer {
        status,
        headers: vec![
            ("content-type", "text/xml".into()),
            ("x-amzn-requestid", request_id.clone()),
        ],
        body: format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
        label: format!("sts: {code}"),
        reset: false,
    }
}

fn plain(status: u16, content_type: &str, body: String, label: &str) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", content_type.to_string())],
        body,
        label: label.to_string(),
        reset: false,
    }
}

// ---------------------------------------------------------------------------------------
// SigV4, checked independently of the client

/// SigV4's URI encoding: unreserved characters kept, every other byte `%XX` (upper case).
/// `slash` keeps `/` (paths).
pub fn uri_encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical request of a received request, for the signed headers listed (lower case,
/// in `SignedHeaders` order): the path encoded once more (non-S3 services sign the encoded
/// path encoded again), the query decoded, re-encoded and sorted, header values trimmed with
/// inner runs of spaces folded, the body's SHA-256.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    signed: &[&str],
    body: &[u8],
) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut lines = format!(
        "{method}\n{}\n{}\n",
        uri_encode(if path.is_empty() { "/" } else { path }, true),
        query.join("&")
    );
    for name in signed {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        lines.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    lines.push_str(&format!(
        "\n{}\n{}",
        signed.join(";"),
        hex::encode(Sha256::digest(body))
    ));
    lines
}

/// The string to sign for `canonical` at `amz_date` (`20150830T123600Z`) in `scope`
/// (`20150830/us-east-1/service/aws4_request`).
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// The signature of `string_to_sign` with `secret` at `time` in `region` for `service`
/// (`aws-sigv4`'s key derivation and HMAC).
pub fn signature(secret: &str, time: SystemTime, region: &str, service: &str, sts: &str) -> String {
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, time, region, service);
    aws_sigv4::sign::v4::calculate_signature(key, sts.as_bytes())
}

/// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, parsed.
struct Authorization {
    key_id: String,
    date: String,
    region: String,
    service: String,
    terminator: String,
    signed: Vec<String>,
    signature: String,
}

fn parse_authorization(value: &str) -> Option<Authorization> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [key_id, date, region, service, terminator] = scope[..] else {
        return None;
    };
    Some(Authorization {
        key_id: key_id.into(),
        date: date.into(),
        region: region.into(),
        service: service.into(),
        terminator: terminator.into(),
        signed: signed?.split(';').map(str::to_string).collect(),
        signature: signature?.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// The batch a create call sends, read with quick-xml directly

struct Batch {
    caller_reference: String,
    quantity: String,
    paths: Vec<String>,
}

fn parse_batch(body: &[u8]) -> Result<Batch, String> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_string())?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut batch = Batch {
        caller_reference: String::new(),
        quantity: String::new(),
        paths: Vec::new(),
    };
    let mut text_buf = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                stack.push(e.local_name().as_ref().to_string());
                text_buf.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "Path" {
                    batch.paths.push(String::new());
                }
            }
            Event::Text(t) => {
                text_buf.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let name: String = (*r).to_string();
                match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => text_buf.push(c),
                    None => text_buf.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?,
                    ),
                }
            }
            Event::End(_) => {
                let name = stack.pop().ok_or("an end tag without a start tag")?;
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                match (path.as_slice(), name.as_str()) {
                    (["InvalidationBatch"], "CallerReference") => {
                        batch.caller_reference = text_buf.trim().to_string()
                    }
                    (["InvalidationBatch", "Paths"], "Quantity") => {
                        batch.quantity = text_buf.trim().to_string()
                    }
                    (["InvalidationBatch", "Paths", "Items"], "Path") => {
                        batch.paths.push(text_buf.trim().to_string())
                    }
                    ([], "InvalidationBatch") => {}
                    ([], other) => return Err(format!("root element <{other}>")),
                    _ => {}
                }
                text_buf.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("cut short".into());
    }
    Ok(batch)
}

/// Why CloudFront refuses `path`, if it does.
fn path_refused(path: &str) -> bool {
    !path.starts_with('/')
        || path.chars().count() > 4000
        || path.trim_end_matches('*').contains('*')
        || path
            .chars()
            .any(|c| !c.is_ascii() || c.is_ascii_control() || " \"<>#{}|\\^[]`".contains(c))
}

impl AwsCloudFrontSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        let now = Utc::now();
        let mut book = Book::default();
        for (id, scenario) in &setup.ops {
            book.seq += 1;
            for kind in ["distribution", "distribution-tenant"] {
                book.invalidations.insert(
                    format!("{kind}/{id}"),
                    Inv {
                        scenario: scenario.clone(),
                        first_seen: None,
                        create_time: now - chrono::Duration::seconds(30),
                        answers: 0,
                        finished_answers: 0,
                        paths: Vec::new(),
                        caller_reference: format!("scripted-{id}"),
                        kind,
                        seq: book.seq,
                    },
                );
            }
        }
        AwsCloudFrontSim {
            setup,
            book: Mutex::new(book),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.setup.clock_offset
    }

    fn issue(&self, book: &mut Book) -> (String, String, String, DateTime<Utc>) {
        let id = format!("ASIA{}", random_alnum(16));
        let secret = format!("{}/{}", random_alnum(20), random_alnum(19));
        let token = format!("IQoJb3JpZ2luX2VjE{}", random_alnum(120));
        let lifetime = chrono::Duration::from_std(self.setup.sts_lifetime)
            .unwrap_or(chrono::Duration::hours(1));
        let expires = Utc::now() + lifetime;
        book.issued.push(Issued {
            id: id.clone(),
            secret: secret.clone(),
            token: token.clone(),
            expires,
        });
        (id, secret, token, expires)
    }

    /// Checks the SigV4 signature of a CloudFront request.
    fn verify(&self, req: &SimRequest) -> Result<(), Answer> {
        let Some(auth) = req.header("authorization") else {
            return Err(cf_error(
                403,
                "MissingAuthenticationToken",
                "Missing Authentication Token",
            ));
        };
        let Some(auth) = parse_authorization(auth) else {
            return Err(cf_error(
                403,
                "IncompleteSignature",
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
            ));
        };
        let Some(amz_date) = req.header("x-amz-date") else {
            return Err(cf_error(
                403,
                "IncompleteSignature",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            ));
        };
        let Ok(date) = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ") else {
            return Err(cf_error(
                403,
                "IncompleteSignature",
                "X-Amz-Date is not an ISO 8601 basic date.",
            ));
        };
        let date = date.and_utc();
        let secret = {
            let book = self.book.lock().expect("book lock");
            if auth.key_id == self.setup.access_key_id {
                self.setup.secret_access_key.clone()
            } else if let Some(issued) = book.issued.iter().find(|i| i.id == auth.key_id) {
                if req.header("x-amz-security-token") != Some(issued.token.as_str()) {
                    return Err(cf_error(
                        403,
                        "InvalidClientTokenId",
                        "The security token included in the request is invalid.",
                    ));
                }
                if Utc::now() >= issued.expires {
                    return Err(cf_error(
                        403,
                        "ExpiredToken",
                        "The security token included in the request is expired",
                    ));
                }
                issued.secret.clone()
            } else {
                return Err(cf_error(
                    403,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                ));
            }
        };
        let skew = (self.now() - date).num_seconds().unsigned_abs();
        if skew > MAX_SKEW.as_secs() {
            return Err(cf_error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            ));
        }
        if auth.region != self.setup.region
            || auth.service != "cloudfront"
            || auth.terminator != "aws4_request"
            || auth.date != amz_date[..8]
        {
            return Err(cf_error(
                403,
                "SignatureDoesNotMatch",
                &format!(
                    "Credential should be scoped to a valid region and service: {}/{}/{}, not {}/{}/{}.",
                    &amz_date[..8],
                    self.setup.region,
                    "cloudfront",
                    auth.date,
                    auth.region,
                    auth.service
                ),
            ));
        }
        let signed: Vec<&str> = auth.signed.iter().map(String::as_str).collect();
        if !signed.contains(&"host") || !signed.contains(&"x-amz-date") {
            return Err(cf_error(
                403,
                "SignatureDoesNotMatch",
                "The request must sign the host and x-amz-date headers.",
            ));
        }
        let canonical = canonical_request(
            &req.method,
            &req.path,
            req.query.as_deref(),
            &req.headers,
            &signed,
            &req.body,
        );
        let scope = format!("{}/{}/cloudfront/aws4_request", &amz_date[..8], auth.region);
        let sts = string_to_sign(amz_date, &scope, &canonical);
        let expected = signature(
            &secret,
            SystemTime::from(date),
            &auth.region,
            "cloudfront",
            &sts,
        );
        if expected != auth.signature {
            return Err(cf_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        Ok(())
    }

    fn with_date(&self, mut a: Answer) -> Answer {
        a.headers.push((
            "date",
            self.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ));
        a
    }

    /// The status word of an invalidation at this answer, or its fault.
    fn status_of(inv: &mut Inv) -> Result<String, Answer> {
        let first = *inv.first_seen.get_or_insert_with(Instant::now);
        inv.answers += 1;
        let s = &inv.scenario;
        if inv.answers <= s.throttle {
            let mut a = cf_error(400, "Throttling", "Rate exceeded");
            if let Some(secs) = s.retry_after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            return Err(a);
        }
        if inv.answers <= s.throttle + s.errors {
            return Err(cf_error(
                503,
                "ServiceUnavailable",
                "CloudFront is unavailable; try again",
            ));
        }
        let finished = s.finished(first.elapsed(), &mut inv.finished_answers);
        Ok(match (&s.ending, finished) {
            (_, false) => "InProgress".into(),
            (Ending::Succeeded | Ending::Regress | Ending::Stuck, true) => "Completed".into(),
            (Ending::Failed, true) => "Failed".into(),
            (Ending::Word(w), true) => w.clone(),
            (Ending::Missing, true) => "missing".into(),
            (Ending::Malformed, true) => "malformed".into(),
        })
    }

    fn invalidation_xml(id: &str, status: &str, inv: &Inv) -> String {
        let items: String = inv
            .paths
            .iter()
            .map(|p| format!("<Path>{}</Path>", xml_escape(p)))
            .collect();
        format!(
            "<?xml version=\"1.0\"?>\n<Invalidation xmlns=\"{NS}\"><Id>{id}</Id><Status>{status}</Status><CreateTime>{}</CreateTime><InvalidationBatch><Paths><Quantity>{}</Quantity><Items>{items}</Items></Paths><CallerReference>{}</CallerReference></InvalidationBatch></Invalidation>",
            rfc3339(inv.create_time),
            inv.paths.len(),
            xml_escape(&inv.caller_reference)
        )
    }

    fn ok_xml(status: u16, body: String, label: String) -> Answer {
        Answer {
            status,
            headers: vec![
                ("content-type", "text/xml".into()),
                ("x-amz-request-id", random_guid()),
            ],
            body,
            label,
            reset: false,
        }
    }

    fn denied(&self, op: &str, kind: &str, target: &str) -> Option<Answer> {
        self.setup.deny.iter().any(|d| d == op).then(|| {
            cf_error(
                403,
                "AccessDenied",
                &format!(
                    "User: arn:aws:sts::123456789012:assumed-role/purge-wait-demo/purge-wait is not authorized to perform: cloudfront:{op} on resource: arn:aws:cloudfront::123456789012:{kind}/{target} because no identity-based policy allows the cloudfront:{op} action"
                ),
            )
        })
    }

    /// `GetInvalidation` for the path segment `sent` (percent-encoded as sent: botocore
    /// encodes the `Id` it is given). CloudFront decodes it; an id that is not letters and
    /// digits names no invalidation.
    fn get(&self, kind: &'static str, sent: &str) -> Answer {
        let id = &percent_decode(sent);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return cf_error(
                404,
                "NoSuchInvalidation",
                "The specified invalidation does not exist.",
            );
        }
        let mut book = self.book.lock().expect("book lock");
        let key = format!("{kind}/{id}");
        let inv = book.invalidations.entry(key).or_insert_with(|| Inv {
            scenario: self.setup.default.clone(),
            first_seen: None,
            create_time: Utc::now(),
            answers: 0,
            finished_answers: 0,
            paths: Vec::new(),
            caller_reference: format!("elsewhere-{id}"),
            kind,
            seq: 0,
        });
        match Self::status_of(inv) {
            Err(a) => a,
            Ok(word) if word == "missing" => cf_error(
                404,
                "NoSuchInvalidation",
                "The specified invalidation does not exist.",
            ),
            Ok(word) if word == "malformed" => {
                let body = Self::invalidation_xml(id, "Completed", inv);
                let cut = body.len() / 2;
                Self::ok_xml(200, body[..cut].to_string(), "malformed".into())
            }
            Ok(word) => Self::ok_xml(200, Self::invalidation_xml(id, &word, inv), word),
        }
    }

    fn list(&self, kind: &'static str, query: Option<&str>) -> Answer {
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let max_items = match params.get("MaxItems").map(|m| m.parse::<usize>()) {
            None => 100,
            Some(Ok(n)) if (1..=1000).contains(&n) => n,
            Some(_) => return cf_error(400, "InvalidArgument", "MaxItems must be 1 to 1000."),
        };
        let mut book = self.book.lock().expect("book lock");
        let mut listed: Vec<(u64, String)> = book
            .invalidations
            .iter()
            .filter(|(_, inv)| inv.kind == kind && inv.seq > 0)
            .map(|(key, inv)| {
                (
                    inv.seq,
                    key.split('/').nth(1).unwrap_or_default().to_string(),
                )
            })
            .collect();
        listed.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        let mut ids: Vec<String> = listed.into_iter().map(|(_, id)| id).collect();
        ids.extend((0..self.setup.history).map(|n| format!("HIST{n:010}")));
        let start = match params.get("Marker") {
            None => 0,
            Some(m) => match ids.iter().position(|id| id == m) {
                Some(i) => i,
                None => return cf_error(400, "InvalidArgument", "The marker is not valid."),
            },
        };
        let len = max_items.min(self.setup.page_size.max(1));
        let page: Vec<String> = ids.iter().skip(start).take(len).cloned().collect();
        let next = ids.get(start + page.len()).cloned();
        let mut items = String::new();
        for id in &page {
            let (status, created) = match book.invalidations.get_mut(&format!("{kind}/{id}")) {
                Some(inv) => match Self::status_of(inv) {
                    Err(a) => return a,
                    Ok(w) if w == "missing" || w == "malformed" => continue,
                    Ok(w) => (w, inv.create_time),
                },
                None => (
                    "Completed".to_string(),
                    Utc::now() - chrono::Duration::days(3),
                ),
            };
            items.push_str(&format!(
                "<InvalidationSummary><Id>{id}</Id><CreateTime>{}</CreateTime><Status>{status}</Status></InvalidationSummary>",
                rfc3339(created)
            ));
        }
        let marker = params.get("Marker").cloned().unwrap_or_default();
        let next_xml = next
            .as_ref()
            .map(|n| format!("<NextMarker>{n}</NextMarker>"))
            .unwrap_or_default();
        let body = format!(
            "<?xml version=\"1.0\"?>\n<InvalidationList xmlns=\"{NS}\"><Marker>{}</Marker>{next_xml}<MaxItems>{max_items}</MaxItems><IsTruncated>{}</IsTruncated><Quantity>{}</Quantity><Items>{items}</Items></InvalidationList>",
            xml_escape(&marker),
            next.is_some(),
            page.len()
        );
        Self::ok_xml(200, body, format!("list page of {}", page.len()))
    }

    fn create(&self, kind: &'static str, target: &str, req: &SimRequest) -> Answer {
        let mut book = self.book.lock().expect("book lock");
        if book.throttled < self.setup.throttle_creates {
            book.throttled += 1;
            return cf_error(400, "Throttling", "Rate exceeded");
        }
        if book.busy < self.setup.busy_creates {
            book.busy += 1;
            return cf_error(
                400,
                "TooManyInvalidationsInProgress",
                "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.",
            );
        }
        if req.body.is_empty() {
            return cf_error(
                400,
                "MissingBody",
                "This operation requires a body. Ensure that the body is present and the Content-Type header is set.",
            );
        }
        let batch = match parse_batch(&req.body) {
            Ok(b) => b,
            Err(why) => {
                return cf_error(
                    400,
                    "MalformedXML",
                    &format!("The XML document is not well formed: {why}"),
                );
            }
        };
        if batch.quantity.parse::<usize>().ok() != Some(batch.paths.len()) {
            return cf_error(
                400,
                "InconsistentQuantities",
                "The value of Quantity and the size of Items don't match.",
            );
        }
        if batch.paths.is_empty() || batch.caller_reference.is_empty() {
            return cf_error(
                400,
                "InvalidArgument",
                "An invalidation batch needs paths and a CallerReference.",
            );
        }
        if batch.paths.iter().any(|p| path_refused(p)) {
            return cf_error(
                400,
                "InvalidArgument",
                "Your request contains one or more invalid invalidation paths.",
            );
        }
        if let Some((id, inv)) = book
            .invalidations
            .iter()
            .find(|(_, inv)| inv.kind == kind && inv.caller_reference == batch.caller_reference)
        {
            if inv.paths != batch.paths {
                return cf_error(
                    409,
                    "InvalidationBatchAlreadyExists",
                    "Invalidation batch with this CallerReference already exists with other paths.",
                );
            }
            let id = id.split('/').nth(1).unwrap_or_default().to_string();
            let status = if inv
                .first_seen
                .is_some_and(|f| f.elapsed() >= inv.scenario.after)
            {
                "Completed"
            } else {
                "InProgress"
            };
            let body = Self::invalidation_xml(&id, status, inv);
            return self.created(req, kind, target, &id, body, "existing invalidation");
        }
        let wild = |p: &String| p.ends_with('*');
        let files = batch.paths.iter().filter(|p| !wild(p)).count();
        let wildcards = batch.paths.len() - files;
        if files > 3000 {
            return cf_error(
                413,
                "BatchTooLarge",
                "Invalidation batch specified is too large.",
            );
        }
        let (mut busy_files, mut busy_wild) = (0usize, 0usize);
        for inv in book
            .invalidations
            .values()
            .filter(|i| i.kind == kind && !i.paths.is_empty())
        {
            let running = inv
                .first_seen
                .is_none_or(|f| f.elapsed() < inv.scenario.after)
                || inv.scenario.ending == Ending::Stuck;
            if running {
                busy_wild += inv.paths.iter().filter(|p| wild(p)).count();
                busy_files += inv.paths.iter().filter(|p| !wild(p)).count();
            }
        }
        if busy_files + files > 3000 || busy_wild + wildcards > 15 {
            return cf_error(
                400,
                "TooManyInvalidationsInProgress",
                "Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.",
            );
        }
        book.seq += 1;
        let id = format!("I{}", random_alnum(13));
        let inv = Inv {
            scenario: self.setup.purge.clone(),
            first_seen: Some(Instant::now()),
            create_time: Utc::now(),
            answers: 0,
            finished_answers: 0,
            paths: batch.paths,
            caller_reference: batch.caller_reference,
            kind,
            seq: book.seq,
        };
        let body = Self::invalidation_xml(&id, "InProgress", &inv);
        book.invalidations.insert(format!("{kind}/{id}"), inv);
        let mut answer = self.created(req, kind, target, &id, body, "created");
        if book.resets < self.setup.reset_creates {
            book.resets += 1;
            answer.reset = true;
            answer.label = format!("created {id}, then reset");
        }
        answer
    }

    fn created(
        &self,
        req: &SimRequest,
        kind: &str,
        target: &str,
        id: &str,
        body: String,
        what: &str,
    ) -> Answer {
        let host = req.header("host").unwrap_or("cloudfront.amazonaws.com");
        let mut a = Self::ok_xml(201, body, format!("{what} {id}"));
        a.headers.push((
            "location",
            format!("http://{host}/{VERSION}/{kind}/{target}/invalidation/{id}"),
        ));
        a
    }

    fn cloudfront(&self, req: &SimRequest) -> Answer {
        if let Err(a) = self.verify(req) {
            return a;
        }
        let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        let (kind, target, rest) = match segments.as_slice() {
            [VERSION, "distribution", target, rest @ ..] => ("distribution", *target, rest),
            [VERSION, "distribution-tenant", target, rest @ ..] => {
                ("distribution-tenant", *target, rest)
            }
            _ => return cf_error(404, "NotFound", "There is no such resource."),
        };
        let (exists, missing_code) = match kind {
            "distribution" => (target == self.setup.distribution_id, "NoSuchDistribution"),
            _ => (target == self.setup.tenant_id, "EntityNotFound"),
        };
        let suffix = if kind == "distribution" {
            ""
        } else {
            "ForDistributionTenant"
        };
        let (op, answer): (&str, Box<dyn FnOnce() -> Answer + '_>) =
            match (req.method.as_str(), rest) {
                ("GET", ["invalidation"]) => (
                    if suffix.is_empty() {
                        "ListInvalidations"
                    } else {
                        "ListInvalidationsForDistributionTenant"
                    },
                    Box::new(move || self.list(kind, req.query.as_deref())),
                ),
                ("POST", ["invalidation"]) => (
                    if suffix.is_empty() {
                        "CreateInvalidation"
                    } else {
                        "CreateInvalidationForDistributionTenant"
                    },
                    Box::new(move || self.create(kind, target, req)),
                ),
                ("GET", ["invalidation", id]) => (
                    if suffix.is_empty() {
                        "GetInvalidation"
                    } else {
                        "GetInvalidationForDistributionTenant"
                    },
                    Box::new(move || self.get(kind, id)),
                ),
                _ => return cf_error(405, "InvalidAction", "The action is not supported."),
            };
        if let Some(a) = self.denied(op, kind, target) {
            return a;
        }
        if !exists {
            let message = if kind == "distribution" {
                "The specified distribution does not exist."
            } else {
                "The entity was not found."
            };
            return cf_error(404, missing_code, message);
        }
        answer()
    }

    fn sts(&self, req: &SimRequest) -> Answer {
        let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        if get("Action") != "AssumeRoleWithWebIdentity" || get("Version") != "2011-06-15" {
            return sts_error(
                400,
                "InvalidAction",
                "Could not find operation for this Action and Version.",
            );
        }
        let session = get("RoleSessionName");
        let session_ok = (2..=64).contains(&session.len())
            && session
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
        if !session_ok {
            return sts_error(
                400,
                "ValidationError",
                "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
            );
        }
        let duration = get("DurationSeconds").parse::<u64>().unwrap_or(3600);
        if !(900..=43_200).contains(&duration) {
            return sts_error(
                400,
                "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            );
        }
        let token = get("WebIdentityToken");
        if token != self.setup.web_identity_token {
            let message = if token.starts_with("token-for-audience-") {
                "Incorrect token audience"
            } else {
                "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
            };
            return sts_error(400, "InvalidIdentityToken", message);
        }
        if get("RoleArn") != self.setup.role_arn {
            return sts_error(
                403,
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            );
        }
        let mut book = self.book.lock().expect("book lock");
        let (id, secret, session_token, expires) = self.issue(&mut book);
        let body = format!(
            "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>repo:purge-wait/demo:ref:refs/heads/main</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/purge-wait-demo/{session}</Arn><AssumedRoleId>AROA{}:{session}</AssumedRoleId></AssumedRoleUser><Credentials><SessionToken>{}</SessionToken><SecretAccessKey>{}</SecretAccessKey><Expiration>{}</Expiration><AccessKeyId>{id}</AccessKeyId></Credentials><Provider>token.actions.githubusercontent.com</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
            random_alnum(17),
            xml_escape(&session_token),
            xml_escape(&secret),
            expires.format("%Y-%m-%dT%H:%M:%SZ"),
            random_guid()
        );
        plain(200, "text/xml", body, "sts: issued")
    }

    fn github(&self, req: &SimRequest) -> Answer {
        let bearer = req
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t);
        if bearer != Some(self.setup.github_request_token.as_str()) {
            return plain(
                401,
                "application/json",
                r#"{"message":"Bad credentials"}"#.into(),
                "github: refused",
            );
        }
        let audience: String =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "audience")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
        let token = if audience == self.setup.audience {
            self.setup.web_identity_token.clone()
        } else {
            format!("token-for-audience-{}", uri_encode(&audience, false))
        };
        plain(
            200,
            "application/json",
            serde_json::json!({ "value": token }).to_string(),
            "github: token",
        )
    }

    fn json_credentials(&self, imds: bool) -> String {
        let mut book = self.book.lock().expect("book lock");
        let (id, secret, token, expires) = self.issue(&mut book);
        let mut v = serde_json::json!({
            "AccessKeyId": id,
            "SecretAccessKey": secret,
            "Token": token,
            "Expiration": expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        });
        if imds {
            v["Code"] = "Success".into();
            v["Type"] = "AWS-HMAC".into();
            v["LastUpdated"] = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string().into();
        }
        v.to_string()
    }

    fn imds(&self, req: &SimRequest) -> Answer {
        if req.method == "PUT" && req.path == "/latest/api/token" {
            let ttl = req
                .header("x-aws-ec2-metadata-token-ttl-seconds")
                .and_then(|t| t.parse::<u32>().ok());
            if !ttl.is_some_and(|t| (1..=21_600).contains(&t)) {
                return plain(400, "text/plain", String::new(), "imds: no ttl");
            }
            let token = format!("AQAEA{}", random_alnum(40));
            self.book
                .lock()
                .expect("book lock")
                .imds_tokens
                .push(token.clone());
            return plain(200, "text/plain", token, "imds: token");
        }
        let valid = req.header("x-aws-ec2-metadata-token").is_some_and(|t| {
            self.book
                .lock()
                .expect("book lock")
                .imds_tokens
                .iter()
                .any(|x| x == t)
        });
        if !valid {
            return plain(401, "text/plain", String::new(), "imds: unauthorized");
        }
        let base = "/latest/meta-data/iam/security-credentials/";
        match req.path.strip_prefix(base) {
            Some("") => plain(
                200,
                "text/plain",
                format!("{DEMO_INSTANCE_ROLE}\n"),
                "imds: role",
            ),
            Some(DEMO_INSTANCE_ROLE) => plain(
                200,
                "text/plain",
                self.json_credentials(true),
                "imds: credentials",
            ),
            _ => plain(404, "text/plain", String::new(), "imds: not found"),
        }
    }

    fn container(&self, req: &SimRequest) -> Answer {
        if let Some(want) = &self.setup.container_token {
            if req.header("authorization") != Some(want.as_str()) {
                return plain(
                    403,
                    "application/json",
                    r#"{"code":"AccessDeniedException"}"#.into(),
                    "container: refused",
                );
            }
        }
        plain(
            200,
            "application/json",
            self.json_credentials(false),
            "container: credentials",
        )
    }
}

impl Api for AwsCloudFrontSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        let answer = if req.path.starts_with(&format!("/{VERSION}/")) {
            self.cloudfront(req)
        } else if req.method == "POST" && req.path == "/" {
            self.sts(req)
        } else if req.path == GITHUB_TOKEN_PATH {
            self.github(req)
        } else if req.path.starts_with("/latest/") {
            self.imds(req)
        } else if req.path == CONTAINER_PATH {
            self.container(req)
        } else {
            cf_error(404, "NotFound", "There is no such resource.")
        };
        self.with_date(answer)
    }
}

#[cfg(test)]
mod tests {
    // (Not `super::*`: in this file that reads as the client to tests/layout.rs.)
    use crate::provider::aws_cloudfront::sim::*;
    use crate::sim::{Api, SimRequest};
    use chrono::Utc;
    use std::time::SystemTime;

    /// A `GET` of `path` signed with the demo keys, as an SDK sends it.
    fn signed_get(path: &str) -> SimRequest {
        let now = Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let mut headers = vec![
            ("host".to_string(), "127.0.0.1:1".to_string()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        let signed = ["host", "x-amz-date"];
        let canonical = canonical_request("GET", path, None, &headers, &signed, b"");
        let scope = format!("{}/us-east-1/cloudfront/aws4_request", &amz_date[..8]);
        let sts = string_to_sign(&amz_date, &scope, &canonical);
        let sig = signature(
            DEMO_SECRET_ACCESS_KEY,
            SystemTime::from(now),
            "us-east-1",
            "cloudfront",
            &sts,
        );
        headers.push((
            "authorization".to_string(),
            format!(
                "AWS4-HMAC-SHA256 Credential={DEMO_ACCESS_KEY_ID}/{scope}, SignedHeaders=host;x-amz-date, Signature={sig}"
            ),
        ));
        SimRequest {
            method: "GET".into(),
            path: path.into(),
            query: None,
            headers,
            body: Default::default(),
        }
    }

    /// botocore sends `get_invalidation(Id="I/A")` as `…/invalidation/I%2FA`: CloudFront
    /// knows no such invalidation, where the simulator used to answer one with
    /// `<Id>I%2FA</Id>`. An id that is letters and digits is answered as itself, encoded or
    /// not.
    #[test]
    fn an_invalidation_id_is_the_decoded_path_segment() {
        let sim = AwsCloudFrontSim::new(Setup::default());
        let base = format!("/{VERSION}/distribution/{DEMO_DISTRIBUTION}/invalidation");
        for sent in ["I%2FA", "I%20A", "I%2BA", "in-progress", "%C3%BC"] {
            let a = sim.answer(&signed_get(&format!("{base}/{sent}")));
            assert_eq!(
                (a.status, a.label.as_str()),
                (404, "NoSuchInvalidation"),
                "{sent}"
            );
        }
        for (sent, id) in [("IABC123", "IABC123"), ("I%41BC", "IABC")] {
            let a = sim.answer(&signed_get(&format!("{base}/{sent}")));
            assert_eq!(a.status, 200, "{sent}: {}", a.body);
            assert!(a.body.contains(&format!("<Id>{id}</Id>")), "{}", a.body);
        }
        let tenant = format!("/{VERSION}/distribution-tenant/{DEMO_TENANT}/invalidation/I%2FA");
        assert_eq!(sim.answer(&signed_get(&tenant)).status, 404);
    }
}
