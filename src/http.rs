//! The one HTTP client every provider shares, and the header rules they all follow.
//!
//! Providers build and sign their own requests; this module owns what is the same for all of
//! them: TLS (rustls with the bundled Mozilla roots, so a `FROM scratch` image works; OpenSSL
//! for azure-classic, see [`openssl_client`]), the user agent, connect and request timeouts,
//! no redirects (a 3xx answer is an error, never followed), the cap on response bodies,
//! turning transport failures into [`ErrorKind::Transient`] errors and certificate
//! verification failures into permanent ones, and reading `Retry-After` in every dialect.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use url::Url;

pub mod openssl_client;

use crate::provider::{ErrorKind, ProviderError};
use crate::secret::Secret;

/// `purge-wait/<version>`, sent on every request.
pub const USER_AGENT: &str = concat!("purge-wait/", env!("CARGO_PKG_VERSION"));

/// Bodies larger than this are cut off and treated as malformed: a status answer is tiny.
pub const MAX_BODY: usize = 1 << 20;

/// TLS beyond the bundled roots, for every provider.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// Extra trusted CA certificates, DER (`ca-file`, `SSL_CERT_FILE`): private endpoints,
    /// TLS-inspecting proxies, the simulator.
    pub extra_roots: Vec<Vec<u8>>,
    /// A client certificate chain and its key as PEM (azure-classic's management
    /// certificate), already checked by [`crate::tls::ClientCert`].
    pub identity_pem: Option<Secret>,
}

/// Builds the shared client. `request_timeout` bounds each request as a safety net; the wait
/// engine also bounds each status call, clipped to the deadline.
pub fn client(request_timeout: Duration) -> reqwest::Result<reqwest::Client> {
    client_with(request_timeout, &Tls::default())
}

/// [`client`] with extra trusted CAs and a client certificate. Redirects are never followed:
/// [`send`] turns a 3xx answer into an error.
pub fn client_with(request_timeout: Duration, tls: &Tls) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(request_timeout.min(Duration::from_secs(10)))
        .timeout(request_timeout)
        .pool_idle_timeout(Duration::from_secs(90));
    for der in &tls.extra_roots {
        builder = builder.add_root_certificate(reqwest::Certificate::from_der(der)?);
    }
    if let Some(pem) = &tls.identity_pem {
        builder = builder.identity(reqwest::Identity::from_pem(pem.expose().as_bytes())?);
    }
    builder.build()
}

/// A response read whole: status, headers and (capped) body.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.headers, name)
    }
}

/// Sends a request and reads the whole response. Transport failures (connect, reset,
/// timeout, a body cut short) become [`ErrorKind::Transient`] errors without the URL; a
/// refused server certificate and a redirect become permanent ones (see [`transport_error`]
/// and [`check_redirect`]).
pub async fn send(request: reqwest::RequestBuilder) -> Result<Response, ProviderError> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    check_redirect(Some(response.url()), status, response.headers())?;
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        append_capped(&mut body, &chunk, status)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Appends `chunk` to `body`, or fails (malformed) when the body would pass [`MAX_BODY`].
pub(crate) fn append_capped(
    body: &mut Vec<u8>,
    chunk: &[u8],
    status: u16,
) -> Result<(), ProviderError> {
    if body.len().saturating_add(chunk.len()) > MAX_BODY {
        let mut e = ProviderError::new(
            ErrorKind::Malformed,
            format!("response body larger than {MAX_BODY} bytes"),
        );
        e.http_status = Some(status);
        return Err(e);
    }
    body.extend_from_slice(chunk);
    Ok(())
}

/// A 3xx answer is an error, never followed and never a success: none of the APIs purge-wait
/// calls (status, purge, token, OIDC) redirects, and following one would send signed headers,
/// tokens or a client secret to whatever origin the `Location` names, and trust its answer.
/// Permanent ([`ErrorKind::Invalid`]): asking again gets the same redirect. The message names
/// only the target's origin (scheme, host, port), resolved against `request_url`.
pub fn check_redirect(
    request_url: Option<&Url>,
    status: u16,
    headers: &HeaderMap,
) -> Result<(), ProviderError> {
    if !(300..=399).contains(&status) {
        return Ok(());
    }
    let target = header(headers, "location").map(|location| match request_url {
        Some(base) => base.join(&location),
        None => Url::parse(&location),
    });
    let to = match target {
        Some(Ok(url)) => match url.origin() {
            origin @ url::Origin::Tuple(..) => format!(" to {}", origin.ascii_serialization()),
            url::Origin::Opaque(_) => format!(" to a {}: URL", url.scheme()),
        },
        Some(Err(_)) => " to an unreadable Location".to_string(),
        None => " without a Location".to_string(),
    };
    let mut e = ProviderError::new(
        ErrorKind::Invalid,
        format!("unexpected redirect (HTTP {status}){to}; purge-wait follows no redirects"),
    )
    .hint(
        "None of the APIs purge-wait calls redirects: check `endpoint` (and `authority-host`); a moved endpoint or a proxy may answer with one. Nothing was sent to the redirect's target",
    );
    e.http_status = Some(status);
    Err(e)
}

/// Maps a transport failure to a retryable error that names the failure, not the URL; a
/// server certificate that failed verification is a permanent error instead (see
/// [`certificate_error`]).
pub fn transport_error(err: reqwest::Error) -> ProviderError {
    let what = if err.is_timeout() {
        "request timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "response cut short"
    } else {
        "request failed"
    };
    let host = err.url().and_then(|u| u.host_str()).map(str::to_string);
    chain_error(&err, what, host.as_deref(), !err.is_connect())
}

/// [`transport_error`] for any error: `what` failed, with the deepest cause as detail.
pub(crate) fn chain_error(
    err: &(dyn StdError + 'static),
    what: &str,
    host: Option<&str>,
    may_have_reached: bool,
) -> ProviderError {
    if let Some(e) = certificate_error(err, host) {
        return e;
    }
    let mut detail = String::new();
    let mut source = err.source();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let message = if detail.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {detail}")
    };
    let mut e = ProviderError::new(ErrorKind::Transient, message);
    e.may_have_reached = may_have_reached;
    e
}

/// Why a server certificate failed verification, in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Issued for another host name or IP address.
    NameMismatch,
    /// Issued by a CA that is not trusted (or self-signed).
    UnknownIssuer,
    /// Past its notAfter date.
    Expired,
    /// Before its notBefore date.
    NotYetValid,
    /// A CA certificate presented as the server's own.
    CaAsServerCertificate,
    /// Anything else verification refused (revoked, bad signature, wrong purpose…).
    Other(String),
}

impl CertProblem {
    /// The plain words and the fix.
    fn words(&self) -> (String, &'static str) {
        match self {
            CertProblem::NameMismatch => (
                "it is issued for another name".into(),
                "Check the host in `endpoint` (or `authority-host`, the region, the environment): the certificate must name the host connected to. A DNS entry or proxy that sends the request to another server gives this error too",
            ),
            CertProblem::UnknownIssuer => (
                "it is issued by a certificate authority that is not trusted".into(),
                "For a private endpoint, a TLS-inspecting proxy or a simulator, give its CA certificate (PEM) in `ca-file` (or SSL_CERT_FILE). The public cloud endpoints need no `ca-file`: check that `endpoint` names the real host",
            ),
            CertProblem::Expired => (
                "it has expired".into(),
                "The server must renew its certificate; if the dates look wrong, check this machine's clock. Check that `endpoint` names the right host",
            ),
            CertProblem::NotYetValid => (
                "it is not valid yet".into(),
                "Check this machine's clock, and that `endpoint` names the right host",
            ),
            CertProblem::CaAsServerCertificate => (
                "the server presented a CA certificate as its own".into(),
                "The server must present a certificate issued for its host name (by that CA), not the CA certificate itself; give the CA certificate to purge-wait in `ca-file`",
            ),
            CertProblem::Other(why) => (
                format!("verification failed ({why})"),
                "Check that `endpoint` names the right host, and `ca-file`",
            ),
        }
    }
}

/// A permanent error for a server certificate that failed verification, found anywhere in
/// `err`'s source chain: rustls' `CertificateError` (webpki's verdicts) or OpenSSL's verify
/// code ([`crate::tls::ossl::VerifyFailed`]). `None` for any other failure.
pub fn certificate_error(
    err: &(dyn StdError + 'static),
    host: Option<&str>,
) -> Option<ProviderError> {
    let mut node = Some(err);
    while let Some(n) = node {
        if let Some((problem, detail)) = certificate_problem(n) {
            let (words, hint) = problem.words();
            let host = match (&detail, host) {
                (Some(_), _) | (None, None) => String::new(),
                (None, Some(h)) => format!(" (host {h})"),
            };
            let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
            let mut e = ProviderError::new(
                ErrorKind::Invalid,
                format!("the server's TLS certificate was refused: {words}{detail}{host}"),
            )
            .hint(hint);
            e.may_have_reached = false;
            return Some(e);
        }
        node = n.source();
    }
    None
}

/// The problem one error of a chain names, with a detail (names, dates) when known. An
/// `io::Error` is looked into: it hides what it wraps from `source()`.
fn certificate_problem(err: &(dyn StdError + 'static)) -> Option<(CertProblem, Option<String>)> {
    if let Some(v) = err.downcast_ref::<crate::tls::ossl::VerifyFailed>() {
        return Some(openssl_problem(v));
    }
    if let Some(rustls::Error::InvalidCertificate(c)) = err.downcast_ref::<rustls::Error>() {
        return Some(rustls_problem(c));
    }
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        return certificate_problem(inner);
    }
    None
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "an unreadable date".into())
}

fn unix(t: rustls_pki_types::UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

fn rustls_problem(c: &rustls::CertificateError) -> (CertProblem, Option<String>) {
    use rustls::CertificateError as C;
    match c {
        C::NotValidForName => (CertProblem::NameMismatch, None),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let presented: Vec<String> = presented.iter().map(|n| unwrap_debug(n)).collect();
            (
                CertProblem::NameMismatch,
                Some(names_detail(&expected.to_str(), &presented)),
            )
        }
        C::UnknownIssuer => (CertProblem::UnknownIssuer, None),
        C::Expired => (CertProblem::Expired, None),
        C::ExpiredContext { not_after, .. } => (
            CertProblem::Expired,
            Some(format!("on {}", rfc3339(unix(*not_after)))),
        ),
        C::NotValidYet => (CertProblem::NotYetValid, None),
        C::NotValidYetContext { not_before, .. } => (
            CertProblem::NotYetValid,
            Some(format!("valid from {}", rfc3339(unix(*not_before)))),
        ),
        C::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            (CertProblem::CaAsServerCertificate, None)
        }
        C::Revoked => (CertProblem::Other("revoked".into()), None),
        C::BadSignature => (CertProblem::Other("bad signature".into()), None),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => (
            CertProblem::Other("not issued for TLS server authentication".into()),
            None,
        ),
        C::BadEncoding => (CertProblem::Other("unreadable certificate".into()), None),
        other => (CertProblem::Other(format!("{other:?}")), None),
    }
}

/// webpki writes presented names as `DnsName("a.example")` or `IpAddress(…)`: the name alone.
fn unwrap_debug(name: &str) -> String {
    match name.split_once('(') {
        Some((kind, rest))
            if kind.chars().all(|c| c.is_ascii_alphanumeric()) && rest.ends_with(')') =>
        {
            rest[..rest.len() - 1].trim_matches('"').to_string()
        }
        _ => name.to_string(),
    }
}

/// "it names a, b; the host is h".
fn names_detail(host: &str, presented: &[String]) -> String {
    if presented.is_empty() {
        format!("it names no host; the host is {host}")
    } else {
        let mut names: Vec<&str> = presented.iter().map(String::as_str).take(5).collect();
        if presented.len() > 5 {
            names.push("…");
        }
        format!("it names {}; the host is {host}", names.join(", "))
    }
}

fn openssl_problem(v: &crate::tls::ossl::VerifyFailed) -> (CertProblem, Option<String>) {
    use openssl_sys as s;
    let leaf = v
        .leaf
        .as_deref()
        .and_then(|der| x509_parser::parse_x509_certificate(der).ok())
        .map(|(_, c)| c);
    match v.code {
        s::X509_V_ERR_HOSTNAME_MISMATCH | s::X509_V_ERR_IP_ADDRESS_MISMATCH => {
            let names: Vec<String> = leaf
                .as_ref()
                .and_then(|c| c.subject_alternative_name().ok().flatten())
                .map(|san| {
                    san.value
                        .general_names
                        .iter()
                        .filter_map(|n| match n {
                            x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                            x509_parser::extensions::GeneralName::IPAddress(b) => ip_text(b),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                CertProblem::NameMismatch,
                Some(names_detail(&v.host, &names)),
            )
        }
        s::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        | s::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | s::X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
        | s::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        | s::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN => (
            CertProblem::UnknownIssuer,
            leaf.map(|c| format!("issued by {}", c.issuer())),
        ),
        s::X509_V_ERR_CERT_HAS_EXPIRED => (
            CertProblem::Expired,
            leaf.map(|c| format!("on {}", rfc3339(c.validity().not_after.timestamp()))),
        ),
        s::X509_V_ERR_CERT_NOT_YET_VALID => (
            CertProblem::NotYetValid,
            leaf.map(|c| {
                format!(
                    "valid from {}",
                    rfc3339(c.validity().not_before.timestamp())
                )
            }),
        ),
        s::X509_V_ERR_INVALID_NON_CA => (CertProblem::CaAsServerCertificate, None),
        _ => (CertProblem::Other(v.reason.clone()), None),
    }
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

/// What an HTTP status says on its own, for an error answer whose body carries no error the
/// provider documents: 429 throttled; 408 and 5xx transient; 401 credentials refused; 403
/// permission; 404 not found; any other status an invalid request.
pub fn status_kind(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttled,
        408 | 500..=599 => ErrorKind::Transient,
        401 => ErrorKind::Auth,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Invalid,
    }
}

/// An error for such an answer: the kind from [`status_kind`], the message
/// `HTTP {status}: {the body's start}`. Providers add their hints and request ids.
pub fn status_error(resp: &Response) -> ProviderError {
    let mut message = format!("HTTP {}", resp.status);
    if !resp.body.is_empty() {
        message = format!("{message}: {}", snippet(&resp.body));
    }
    let mut e = ProviderError::new(status_kind(resp.status), message);
    e.http_status = Some(resp.status);
    e
}

/// The first 200 characters of a body (byte-order mark and white space trimmed), for
/// messages about answers that could not be understood.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_start_matches('\u{feff}').trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A header's value as text.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The longest wait a server may ask for: `Retry-After` values above it (`1e300`,
/// `10000000000000000000`, a date in the year 9999) are taken as this, which is at least
/// the longest `timeout`, so they count as "beyond the deadline" and never overflow.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long the server asked us to wait, from the first of these that parses:
/// `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds), `Retry-After` (seconds or an
/// HTTP date, relative to `now`), `x-acs-retry-after` (milliseconds, Alibaba). This is the
/// azure-core order, with Alibaba's header last. Clamped to [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let millis = |name: &str| {
        header(headers, name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| crate::duration::secs_f64(ms / 1000.0).min(MAX_RETRY_AFTER))
    };
    millis("retry-after-ms")
        .or_else(|| millis("x-ms-retry-after-ms"))
        .or_else(|| header(headers, "retry-after").and_then(|v| parse_retry_after(&v, now)))
        .or_else(|| millis("x-acs-retry-after"))
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (a date in the past is zero),
/// clamped to [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return None;
        }
        crate::duration::secs_f64(secs)
    } else {
        let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let at = SystemTime::from(date.with_timezone(&chrono::Utc));
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn a_3xx_is_an_error_naming_only_the_target_origin() {
        let base =
            Url::parse("https://cdn.aliyuncs.com/?Action=Describe&Signature=s3cr3t").unwrap();
        let h = headers(&[(
            "location",
            "http://user:pw@127.0.0.1:8081/steal?token=abc#frag",
        )]);
        let e = check_redirect(Some(&base), 307, &h).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.http_status, Some(307));
        assert!(
            e.message
                .contains("redirect (HTTP 307) to http://127.0.0.1:8081;"),
            "{e}"
        );
        for hidden in ["user", "pw", "steal", "token", "abc", "frag", "s3cr3t"] {
            assert!(!e.to_string().contains(hidden), "{hidden}: {e}");
        }
        // Relative: resolved against the request.
        let h = headers(&[("location", "/elsewhere")]);
        let e = check_redirect(Some(&base), 302, &h).unwrap_err();
        assert!(e.message.contains("to https://cdn.aliyuncs.com;"), "{e}");
        let e = check_redirect(Some(&base), 301, &HeaderMap::new()).unwrap_err();
        assert!(e.message.contains("without a Location"), "{e}");
        let h = headers(&[("location", "data:text/plain,hi")]);
        assert!(
            check_redirect(Some(&base), 308, &h)
                .unwrap_err()
                .message
                .contains("to a data: URL")
        );
        for ok in [200, 202, 204, 404, 429, 500] {
            assert!(check_redirect(Some(&base), ok, &h).is_ok(), "{ok}");
        }
    }

    #[test]
    fn certificate_errors_are_found_behind_io_errors_and_are_permanent() {
        use rustls::CertificateError as C;
        let wrapped = |c: C| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(c),
            )
        };
        let e = certificate_error(&wrapped(C::UnknownIssuer), Some("example.net")).unwrap();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(!e.may_have_reached);
        assert!(e.message.contains("not trusted (host example.net)"), "{e}");
        assert!(e.to_string().contains("`ca-file`"), "{e}");
        let name = C::NotValidForNameContext {
            expected: rustls_pki_types::ServerName::try_from("cdn.example").unwrap(),
            presented: vec!["DnsName(\"a.example\")".into(), "b.example".into()],
        };
        let e = certificate_error(&wrapped(name), None).unwrap();
        assert!(
            e.message
                .contains("(it names a.example, b.example; the host is cdn.example)"),
            "{e}"
        );
        let ca = C::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        let e = certificate_error(&wrapped(ca), None).unwrap();
        assert!(e.message.contains("CA certificate as its own"), "{e}");
        // Other TLS failures are not certificate errors.
        let alert = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        );
        assert!(certificate_error(&alert, None).is_none());
        let e = chain_error(&alert, "could not connect", None, false);
        assert_eq!(e.kind, ErrorKind::Transient);
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retry_after_header_precedence() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after", "9"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(250)));
        let h = headers(&[("retry-after", "9"), ("x-ms-retry-after-ms", "1200")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1200)));
        let h = headers(&[("retry-after", "9")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(9)));
        let h = headers(&[("x-acs-retry-after", "3000")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn absurd_delays_are_clamped_not_panicked_on() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        for v in [
            "1e300",
            "10000000000000000000",
            "18446744073709551615",
            "1e19",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(v, now), Some(MAX_RETRY_AFTER), "{v}");
        }
        for v in ["inf", "NaN", "-1e300", "99999999999999999999999999"] {
            // Not a number we take (a u64 overflow is read as f64: clamped).
            let got = parse_retry_after(v, now);
            assert!(
                got.is_none() || got == Some(MAX_RETRY_AFTER),
                "{v}: {got:?}"
            );
        }
        for (name, value) in [
            ("retry-after-ms", "1e30"),
            ("x-ms-retry-after-ms", "1e300"),
            ("x-acs-retry-after", "1e300"),
            ("retry-after", "1e300"),
            ("x-acs-retry-after", "18446744073709551615"),
        ] {
            let h = headers(&[(name, value)]);
            assert_eq!(
                retry_after(&h, now),
                Some(MAX_RETRY_AFTER),
                "{name}: {value}"
            );
        }
        // Tiny and ordinary values are untouched.
        let h = headers(&[("retry-after-ms", "1e-300")]);
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        let h = headers(&[("x-acs-retry-after", "1500")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(1500)));
    }
}
