//! The one HTTP client every provider shares, and the header rules they all follow.
//!
//! Providers build and sign their own requests; this module owns what is the same for all of
//! them: TLS (rustls with the bundled Mozilla roots, so a `FROM scratch` image works), the
//! user agent, connect and request timeouts, the cap on response bodies, turning transport
//! failures into [`ErrorKind::Transient`] errors, and reading `Retry-After` in every dialect.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::error::{ErrorKind, ProviderError};
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

/// [`client`] with extra trusted CAs and a client certificate.
pub fn client_with(request_timeout: Duration, tls: &Tls) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
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
/// timeout, a body cut short) become [`ErrorKind::Transient`] errors without the URL.
pub async fn send(request: reqwest::RequestBuilder) -> Result<Response, ProviderError> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_BODY {
            let mut e = ProviderError::new(
                ErrorKind::Malformed,
                format!("response body larger than {MAX_BODY} bytes"),
            );
            e.http_status = Some(status);
            return Err(e);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Maps a transport failure to a retryable error that names the failure, not the URL.
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
    let mut detail = String::new();
    let mut source = std::error::Error::source(&err);
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
    e.may_have_reached = !err.is_connect();
    e
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

/// How long the server asked us to wait, from the first of these that parses:
/// `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds), `Retry-After` (seconds or an
/// HTTP date, relative to `now`), `x-acs-retry-after` (milliseconds, Alibaba). This is the
/// azure-core order, with Alibaba's header last.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let millis = |name: &str| {
        header(headers, name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
    };
    millis("retry-after-ms")
        .or_else(|| millis("x-ms-retry-after-ms"))
        .or_else(|| header(headers, "retry-after").and_then(|v| parse_retry_after(&v, now)))
        .or_else(|| millis("x-acs-retry-after"))
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (a date in the past is zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether `url` is the local machine: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
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
}
