//! Alibaba Cloud OpenAPI request signing, signature method V3 (`ACS3-HMAC-SHA256`).
//!
//! ```text
//! CanonicalRequest = HTTPRequestMethod + "\n" + CanonicalURI + "\n" + CanonicalQueryString + "\n"
//!                  + CanonicalHeaders + "\n" + SignedHeaders + "\n" + HashedRequestPayload
//! StringToSign     = "ACS3-HMAC-SHA256" + "\n" + HexEncode(SHA256(CanonicalRequest))
//! Signature        = HexEncode(HMAC-SHA256(AccessKeySecret, StringToSign))
//! Authorization    = "ACS3-HMAC-SHA256 Credential=" + AccessKeyId
//!                  + ",SignedHeaders=" + SignedHeaders + ",Signature=" + Signature
//! ```
//!
//! This module owns the V3 pipeline, split at its stages so that a failing known-answer test
//! names the stage that is wrong: [`percent_encode`], [`canonical_query_string`],
//! [`hashed_payload`], [`canonical_request`], [`string_to_sign`], [`signature`], and on top of
//! them [`sign`], which returns the headers to add to a request. [`verify`] recomputes the same
//! stages from a received request, for the simulator. Everything is pure: it knows no HTTP
//! client, no environment and no clock. The time and the nonce are parameters, so every
//! signature can be reproduced.
//!
//! Sources: Alibaba Cloud, "Request syntax and signature method V3"
//! (<https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature>),
//! whose fixed-value example is the first test below, checked against the official Darabonba
//! OpenAPI utilities (`aliyun/darabonba-openapi-util`: Go `GetAuthorization`, Java
//! `percentEncode`, Python `get_authorization`); see `shared/docs/alibaba-signing.md`. Where the
//! SDKs disagree this module follows the doc and the Go and Java SDKs:
//!
//! * signed headers are `host`, `content-type` and every `x-acs-*` header (Go, Java, TypeScript);
//!   the Python SDK signs every header it sends, which [`verify`] also accepts, since it
//!   recomputes over whatever `SignedHeaders` lists;
//! * a parameter with an empty value is written `name=` (Go, Java); Python and TypeScript write
//!   a bare `name`;
//! * parameter names are percent-encoded like values (doc, Java); Go, Python and TypeScript
//!   leave names as they are, which is the same for the ASCII names OpenAPI uses.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The signature algorithm, first word of `Authorization` and first line of the string to sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// `x-acs-date` format: ISO 8601 UTC, `yyyy-MM-ddTHH:mm:ssZ`.
pub const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// `HashedRequestPayload` of an empty body: `HexEncode(SHA256(""))`.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Header carrying the signature. It is never signed itself.
pub const AUTHORIZATION: &str = "Authorization";
/// The endpoint host; always signed.
pub const HOST: &str = "host";
/// Signed when the request carries it (form bodies).
pub const CONTENT_TYPE: &str = "content-type";
/// API name, e.g. `RefreshDcdnObjectCaches`.
pub const X_ACS_ACTION: &str = "x-acs-action";
/// API version, e.g. `2018-01-15`.
pub const X_ACS_VERSION: &str = "x-acs-version";
/// Request time in [`DATE_FORMAT`].
pub const X_ACS_DATE: &str = "x-acs-date";
/// Unique value per request, against replay.
pub const X_ACS_SIGNATURE_NONCE: &str = "x-acs-signature-nonce";
/// `HashedRequestPayload`, sent as a header too.
pub const X_ACS_CONTENT_SHA256: &str = "x-acs-content-sha256";
/// STS security token, when the credentials are temporary.
pub const X_ACS_SECURITY_TOKEN: &str = "x-acs-security-token";
/// The AccessKey id again, sent (and signed) beside [`X_ACS_SECURITY_TOKEN`] with STS
/// credentials, as the official SDKs do (Darabonba `alibabacloud-tea-openapi` `doRequest`:
/// `if (!empty(securityToken)) { headers["x-acs-accesskey-id"] = accessKeyId;
/// headers["x-acs-security-token"] = securityToken; }`, before the signature).
pub const X_ACS_ACCESSKEY_ID: &str = "x-acs-accesskey-id";

/// Prefix of the Alibaba headers that must all be signed.
const X_ACS_PREFIX: &str = "x-acs-";

/// A view of the request to sign or verify. No HTTP client type appears here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignableRequest<'a> {
    /// HTTP method; upper-cased for signing.
    pub method: &'a str,
    /// Endpoint host, e.g. `dcdn.aliyuncs.com`. It is the value signed as `host`; a `host`
    /// entry in [`headers`](Self::headers) is ignored for signing.
    pub host: &'a str,
    /// `CanonicalURI`: the already-encoded path, `/` for RPC-style APIs (empty means `/`).
    pub path: &'a str,
    /// Query parameters, not yet encoded, in any order.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers the request carries besides the ones [`sign`] adds (any case, any order).
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes; empty for the usual RPC call with parameters in the query.
    pub body: &'a [u8],
}

impl<'a> SignableRequest<'a> {
    /// An RPC-style call as the SDKs send it: `POST /?<query>` with no body and no extra
    /// header.
    pub fn rpc(host: &'a str, query: &'a [(&'a str, &'a str)]) -> Self {
        SignableRequest {
            method: "POST",
            host,
            path: "/",
            query,
            headers: &[],
            body: b"",
        }
    }
}

/// An AccessKey pair, with the STS token when the pair is temporary. `Debug` hides the secret
/// and the token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// `Credential=` in `Authorization`.
    pub access_key_id: &'a str,
    /// HMAC key, used as its raw UTF-8 bytes (no `&` suffix, unlike signature V2).
    pub access_key_secret: &'a str,
    /// Sent and signed as `x-acs-security-token` when present.
    pub security_token: Option<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &self.security_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Formats `now` for `x-acs-date`: `yyyy-MM-ddTHH:mm:ssZ` in UTC.
pub fn format_date(now: DateTime<Utc>) -> String {
    now.format(DATE_FORMAT).to_string()
}

/// Parses an `x-acs-date` value; `None` unless it is exactly in [`DATE_FORMAT`].
pub fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDateTime::parse_from_str(value, DATE_FORMAT)
        .ok()?
        .and_utc();
    (format_date(date) == value).then_some(date)
}

/// RFC 3986 percent-encoding over the UTF-8 bytes of `s`:
///
/// ```text
/// keep A-Z a-z 0-9 - _ . ~ ; every other byte b -> "%" + UPPERHEX(b)
/// ```
///
/// The doc states it as `URLEncoder.encode` followed by `+` -> `%20`, `*` -> `%2A` and
/// `%7E` -> `~`, which gives the same result: space is `%20` (never `+`), `*` is `%2A`,
/// `~` stays, `/` is `%2F`.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// ```text
/// CanonicalQueryString = join("&", for (k, v) in sorted(query): percent_encode(k) + "=" + percent_encode(v))
/// ```
///
/// Sorted by name in byte order (then by value, so repeated names are deterministic); an
/// empty value gives `name=`; no parameter gives `""`. The result is also what the request
/// should send after `?`, so that the wire and the signature cannot disagree.
pub fn canonical_query_string(query: &[(&str, &str)]) -> String {
    let mut pairs = query.to_vec();
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// ```text
/// HashedRequestPayload = HexEncode(SHA256(RequestPayload))
/// ```
///
/// Also the value of `x-acs-content-sha256`. An empty body gives [`EMPTY_PAYLOAD_SHA256`].
pub fn hashed_payload(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// ```text
/// CanonicalRequest = HTTPRequestMethod + "\n" + CanonicalURI + "\n" + CanonicalQueryString + "\n"
///                  + CanonicalHeaders + "\n" + SignedHeaders + "\n" + HashedRequestPayload
/// CanonicalHeaders = concat(for name in SignedHeaders: name + ":" + trim(value) + "\n")
/// SignedHeaders    = join(";", sorted(lowercase(name) for host, content-type and x-acs-* headers))
/// ```
///
/// Returns `(CanonicalRequest, SignedHeaders)`. `host` comes from [`SignableRequest::host`];
/// the other signed headers come from [`SignableRequest::headers`], so the `x-acs-*` headers
/// must already be there ([`sign`] puts them there). A header sent more than once is signed
/// as its trimmed values, sorted and joined with `,`, as the SDKs do. Since
/// `CanonicalHeaders` ends in `"\n"`, the canonical request has an empty line before
/// `SignedHeaders`.
pub fn canonical_request(req: &SignableRequest<'_>) -> (String, String) {
    let mut names = vec![HOST.to_owned()];
    for (name, _) in req.headers {
        let name = name.to_ascii_lowercase();
        if name == CONTENT_TYPE || name.starts_with(X_ACS_PREFIX) {
            names.push(name);
        }
    }
    names.sort_unstable();
    names.dedup();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let canonical = canonical_request_over(req, &names, &hashed_payload(req.body));
    (canonical, names.join(";"))
}

/// ```text
/// StringToSign = "ACS3-HMAC-SHA256" + "\n" + HexEncode(SHA256(CanonicalRequest))
/// ```
pub fn string_to_sign(canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// ```text
/// Signature = HexEncode(HMAC-SHA256(AccessKeySecret, StringToSign))
/// ```
///
/// Lower-case hex. The key is the raw secret, without the `&` that signature V2 appends.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    hex::encode(
        mac(access_key_secret, string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// ```text
/// Authorization = "ACS3-HMAC-SHA256 Credential=" + AccessKeyId
///               + ",SignedHeaders=" + SignedHeaders + ",Signature=" + Signature
/// ```
pub fn authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// Signs one request at `now` with `nonce` and returns every header to add, in this order:
/// `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
/// `x-acs-content-sha256`, `x-acs-accesskey-id` and `x-acs-security-token` (both only with
/// an STS token, as the SDKs send them) and `Authorization`.
///
/// The signed headers are these plus `content-type` and any `x-acs-*` header already in
/// `req.headers`. A caller header with the name of one of the added headers is left out of
/// the signature and must be replaced by the returned value, not sent beside it. `nonce`
/// must be unique per request (the SDKs use 32 random hex characters); `now` must be within
/// 15 minutes of the server's clock.
pub fn sign(
    req: &SignableRequest<'_>,
    creds: &Credentials<'_>,
    action: &str,
    version: &str,
    now: DateTime<Utc>,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut added = vec![
        (HOST.to_owned(), req.host.to_owned()),
        (X_ACS_ACTION.to_owned(), action.to_owned()),
        (X_ACS_VERSION.to_owned(), version.to_owned()),
        (X_ACS_DATE.to_owned(), format_date(now)),
        (X_ACS_SIGNATURE_NONCE.to_owned(), nonce.to_owned()),
        (X_ACS_CONTENT_SHA256.to_owned(), hashed_payload(req.body)),
    ];
    if let Some(token) = creds.security_token {
        added.push((
            X_ACS_ACCESSKEY_ID.to_owned(),
            creds.access_key_id.to_owned(),
        ));
        added.push((X_ACS_SECURITY_TOKEN.to_owned(), token.to_owned()));
    }
    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .copied()
        .filter(|(name, _)| !added.iter().any(|(a, _)| name.eq_ignore_ascii_case(a)))
        .collect();
    headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let signable = SignableRequest {
        headers: &headers,
        ..*req
    };
    let (canonical, signed_headers) = canonical_request(&signable);
    let sig = signature(creds.access_key_secret, &string_to_sign(&canonical));
    let auth = authorization(creds.access_key_id, &signed_headers, &sig);
    added.push((AUTHORIZATION.to_owned(), auth));
    added
}

/// The three fields of a parsed `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// `Credential=`: the AccessKey id.
    pub access_key_id: &'a str,
    /// `SignedHeaders=`: lower-case names, sorted, joined with `;`.
    pub signed_headers: &'a str,
    /// `Signature=`: 64 lower-case hex characters.
    pub signature: &'a str,
}

/// Why [`verify`] refused a request. `Display` names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// A header the request needs, or one that `SignedHeaders` lists, is absent or empty
    /// (lower-case name).
    MissingHeader(String),
    /// `Authorization` is not
    /// `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b;…>,Signature=<64 hex>`.
    BadAuthorization(&'static str),
    /// `x-acs-date` is not `yyyy-MM-ddTHH:mm:ssZ`.
    BadDate,
    /// `Credential=` names another AccessKey id.
    CredentialMismatch,
    /// `x-acs-security-token` is missing, unexpected or different from the credentials'.
    SecurityTokenMismatch,
    /// `x-acs-accesskey-id` names another AccessKey than `Credential=` (or, with an STS
    /// token, is missing).
    AccessKeyIdMismatch,
    /// `x-acs-content-sha256` is not the SHA-256 of the body received.
    PayloadHashMismatch,
    /// `host` or an `x-acs-*` header is sent but not in `SignedHeaders` (lower-case name).
    UnsignedHeader(String),
    /// The signature does not match the one recomputed from the request.
    SignatureMismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingHeader(name) => write!(f, "missing header `{name}`"),
            VerifyError::BadAuthorization(why) => write!(f, "malformed Authorization: {why}"),
            VerifyError::BadDate => write!(f, "`{X_ACS_DATE}` is not yyyy-MM-ddTHH:mm:ssZ"),
            VerifyError::CredentialMismatch => write!(f, "unknown AccessKey id in Credential"),
            VerifyError::SecurityTokenMismatch => {
                write!(f, "`{X_ACS_SECURITY_TOKEN}` does not match the credentials")
            }
            VerifyError::AccessKeyIdMismatch => {
                write!(
                    f,
                    "`{X_ACS_ACCESSKEY_ID}` is missing beside an STS token or names another AccessKey"
                )
            }
            VerifyError::PayloadHashMismatch => {
                write!(f, "`{X_ACS_CONTENT_SHA256}` is not the SHA-256 of the body")
            }
            VerifyError::UnsignedHeader(name) => {
                write!(f, "header `{name}` is sent but not in SignedHeaders")
            }
            VerifyError::SignatureMismatch => write!(f, "signature mismatch"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Splits `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>`, in
/// exactly that form (the one every SDK sends: one space, no space after the commas).
/// `SignedHeaders` must be non-empty lower-case names in strictly ascending order, without
/// `authorization`; the signature must be 64 lower-case hex characters.
///
/// # Errors
///
/// [`VerifyError::BadAuthorization`], with the first rule the value breaks.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, VerifyError> {
    let bad = VerifyError::BadAuthorization;
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(bad("does not start with `ACS3-HMAC-SHA256 `"))?;
    let mut parts = rest.split(',');
    let mut field = |key: &str, missing: &'static str| {
        parts
            .next()
            .and_then(|p| p.strip_prefix(key))
            .filter(|v| !v.is_empty())
            .ok_or(bad(missing))
    };
    let access_key_id = field("Credential=", "no `Credential=` first")?;
    let signed_headers = field("SignedHeaders=", "no `SignedHeaders=` second")?;
    let signature = field("Signature=", "no `Signature=` third")?;
    if parts.next().is_some() {
        return Err(bad("more than three fields"));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    let well_formed = names
        .iter()
        .all(|n| !n.is_empty() && !n.bytes().any(|b| b.is_ascii_uppercase() || b == b' '))
        && names.windows(2).all(|w| w[0] < w[1]);
    if !well_formed {
        return Err(bad("SignedHeaders is not lower-case, sorted and unique"));
    }
    if names.contains(&"authorization") {
        return Err(bad("SignedHeaders lists authorization"));
    }
    let hex_ok = signature.len() == 64
        && signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_ok {
        return Err(bad("Signature is not 64 lower-case hex characters"));
    }
    Ok(Authorization {
        access_key_id,
        signed_headers,
        signature,
    })
}

/// Checks a received request the way the service does, for the simulator. `req.headers`
/// holds every header received, `Authorization` included; `req.host` is the `Host` received;
/// `req.query` is the decoded query. `creds` are the ones the simulator expects.
///
/// ```text
/// Authorization parses; Credential == AccessKeyId
/// host, x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce, x-acs-content-sha256 present
/// x-acs-date is yyyy-MM-ddTHH:mm:ssZ; x-acs-security-token == the credentials' token (absent without one)
/// with a token, x-acs-accesskey-id == AccessKeyId (when sent without one, equal too)
/// x-acs-content-sha256 == HexEncode(SHA256(body))
/// host and every x-acs-* header received are in SignedHeaders; every listed header was received
/// Signature == HMAC-SHA256(AccessKeySecret, StringToSign over the listed headers), in constant time
/// ```
///
/// The canonical request is rebuilt over exactly the headers `SignedHeaders` lists, so a
/// request that also signs `accept` or `user-agent` (as the Python SDK does) verifies too.
/// The freshness of `x-acs-date` is not checked here: compare [`parse_date`] with the
/// simulator's clock.
///
/// # Errors
///
/// The first check above that fails, as the [`VerifyError`] that names it.
pub fn verify(req: &SignableRequest<'_>, creds: &Credentials<'_>) -> Result<(), VerifyError> {
    let missing = |name: &str| VerifyError::MissingHeader(name.to_owned());
    let auth = header(req.headers, "authorization").ok_or_else(|| missing("authorization"))?;
    let auth = parse_authorization(auth)?;
    if auth.access_key_id != creds.access_key_id {
        return Err(VerifyError::CredentialMismatch);
    }

    if req.host.trim().is_empty() {
        return Err(missing(HOST));
    }
    for name in [
        X_ACS_ACTION,
        X_ACS_VERSION,
        X_ACS_DATE,
        X_ACS_SIGNATURE_NONCE,
        X_ACS_CONTENT_SHA256,
    ] {
        header(req.headers, name).ok_or_else(|| missing(name))?;
    }
    let date = header(req.headers, X_ACS_DATE).unwrap_or_default();
    if parse_date(date).is_none() {
        return Err(VerifyError::BadDate);
    }
    if header(req.headers, X_ACS_SECURITY_TOKEN) != creds.security_token {
        return Err(VerifyError::SecurityTokenMismatch);
    }
    match header(req.headers, X_ACS_ACCESSKEY_ID) {
        None if creds.security_token.is_some() => return Err(VerifyError::AccessKeyIdMismatch),
        Some(id) if id != creds.access_key_id => return Err(VerifyError::AccessKeyIdMismatch),
        _ => {}
    }
    let payload_hash = hashed_payload(req.body);
    if header(req.headers, X_ACS_CONTENT_SHA256) != Some(payload_hash.as_str()) {
        return Err(VerifyError::PayloadHashMismatch);
    }

    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed.contains(&HOST) {
        return Err(VerifyError::UnsignedHeader(HOST.to_owned()));
    }
    for (name, _) in req.headers {
        let name = name.to_ascii_lowercase();
        if name.starts_with(X_ACS_PREFIX) && !signed.contains(&name.as_str()) {
            return Err(VerifyError::UnsignedHeader(name));
        }
    }
    for name in signed.iter().filter(|n| **n != HOST) {
        if !req
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Err(missing(name));
        }
    }

    let canonical = canonical_request_over(req, &signed, &payload_hash);
    let sig = hex::decode(auth.signature)
        .map_err(|_| VerifyError::BadAuthorization("Signature is not hex"))?;
    mac(creds.access_key_secret, &string_to_sign(&canonical))
        .verify_slice(&sig)
        .map_err(|_| VerifyError::SignatureMismatch)
}

/// The canonical request over the given signed header names (lower-case, sorted).
fn canonical_request_over(req: &SignableRequest<'_>, names: &[&str], payload_hash: &str) -> String {
    let mut headers = String::new();
    for name in names {
        headers.push_str(name);
        headers.push(':');
        if *name == HOST {
            headers.push_str(req.host.trim());
        } else {
            let mut values: Vec<&str> = req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .collect();
            values.sort_unstable();
            headers.push_str(&values.join(","));
        }
        headers.push('\n');
    }
    let path = if req.path.is_empty() { "/" } else { req.path };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        path,
        canonical_query_string(req.query),
        headers,
        names.join(";"),
        payload_hash
    )
}

/// The first value of header `name` (any case), trimmed; `None` when absent or empty.
fn header<'h>(headers: &[(&str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn mac(access_key_secret: &str, message: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(access_key_secret.as_bytes())
        .expect("HMAC takes a key of any size");
    mac.update(message.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    // --- [V3-doc] "Signature examples" -> "Fixed parameter values" -----------------------

    const DOC_HOST: &str = "ecs.cn-shanghai.aliyuncs.com";
    const DOC_QUERY: &[(&str, &str)] = &[
        (
            "ImageId",
            "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        ),
        ("RegionId", "cn-shanghai"),
    ];
    const DOC_NONCE: &str = "3156853299f313e23d1673dc12e1703d";
    const DOC_CREDS: Credentials<'static> = Credentials {
        access_key_id: "YourAccessKeyId",
        access_key_secret: "YourAccessKeySecret",
        security_token: None,
    };
    const DOC_CANONICAL_REQUEST: &str = concat!(
        "POST\n",
        "/\n",
        "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n",
        "host:ecs.cn-shanghai.aliyuncs.com\n",
        "x-acs-action:RunInstances\n",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        "x-acs-date:2023-10-26T10:22:32Z\n",
        "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n",
        "x-acs-version:2014-05-26\n",
        "\n",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    const DOC_STRING_TO_SIGN: &str =
        "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259";
    const DOC_SIGNATURE: &str = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0";
    const DOC_SIGNED_HEADERS: &str =
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";
    const DOC_AUTHORIZATION: &str = concat!(
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,",
        "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,",
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
    );

    fn doc_now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2023, 10, 26, 10, 22, 32).unwrap()
    }

    #[test]
    fn doc_example_canonical_request() {
        let headers = [
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", DOC_NONCE),
            ("x-acs-content-sha256", EMPTY_PAYLOAD_SHA256),
        ];
        let req = SignableRequest {
            headers: &headers,
            ..SignableRequest::rpc(DOC_HOST, DOC_QUERY)
        };
        let (canonical, signed_headers) = canonical_request(&req);
        assert_eq!(canonical, DOC_CANONICAL_REQUEST);
        assert_eq!(signed_headers, DOC_SIGNED_HEADERS);
    }

    #[test]
    fn doc_example_string_to_sign() {
        assert_eq!(string_to_sign(DOC_CANONICAL_REQUEST), DOC_STRING_TO_SIGN);
    }

    #[test]
    fn doc_example_signature() {
        assert_eq!(
            signature("YourAccessKeySecret", DOC_STRING_TO_SIGN),
            DOC_SIGNATURE
        );
    }

    #[test]
    fn doc_example_authorization() {
        assert_eq!(
            authorization("YourAccessKeyId", DOC_SIGNED_HEADERS, DOC_SIGNATURE),
            DOC_AUTHORIZATION
        );
    }

    #[test]
    fn doc_example_sign_end_to_end() {
        let req = SignableRequest::rpc(DOC_HOST, DOC_QUERY);
        let got = sign(
            &req,
            &DOC_CREDS,
            "RunInstances",
            "2014-05-26",
            doc_now(),
            DOC_NONCE,
        );
        let want = [
            ("host", DOC_HOST),
            ("x-acs-action", "RunInstances"),
            ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", DOC_NONCE),
            ("x-acs-content-sha256", EMPTY_PAYLOAD_SHA256),
            ("Authorization", DOC_AUTHORIZATION),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
    }

    // --- alibaba-signing.md 1.3: DCDN vectors computed with the official SDK code ---------

    const DCDN_HOST: &str = "dcdn.aliyuncs.com";
    const DCDN_VERSION: &str = "2018-01-15";
    const DCDN_NONCE: &str = "0123456789abcdef0123456789abcdef";
    const DCDN_OBJECT_PATH: &str = "https://example.com/a b*~.txt\nhttps://example.com/dir/";
    const DCDN_CREDS: Credentials<'static> = Credentials {
        access_key_id: "testid",
        access_key_secret: "testsecret",
        security_token: None,
    };
    const DCDN_STS_CREDS: Credentials<'static> = Credentials {
        security_token: Some("STS.tokenvalue"),
        ..DCDN_CREDS
    };
    const DCDN_A_CANONICAL_REQUEST: &str = concat!(
        "POST\n",
        "/\n",
        "ObjectPath=https%3A%2F%2Fexample.com%2Fa%20b%2A~.txt%0Ahttps%3A%2F%2Fexample.com%2Fdir%2F",
        "&ObjectType=File\n",
        "host:dcdn.aliyuncs.com\n",
        "x-acs-action:RefreshDcdnObjectCaches\n",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
        "x-acs-date:2024-01-02T03:04:05Z\n",
        "x-acs-signature-nonce:0123456789abcdef0123456789abcdef\n",
        "x-acs-version:2018-01-15\n",
        "\n",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );

    fn dcdn_now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
    }

    fn refresh_query() -> [(&'static str, &'static str); 2] {
        // Deliberately unsorted: ObjectType before ObjectPath.
        [("ObjectType", "File"), ("ObjectPath", DCDN_OBJECT_PATH)]
    }

    /// The signed header values as `sign` put them, for the stage-by-stage asserts.
    fn signed_view(out: &[(String, String)]) -> Vec<(&str, &str)> {
        out.iter()
            .filter(|(n, _)| n != AUTHORIZATION)
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    fn value<'a>(out: &'a [(String, String)], name: &str) -> &'a str {
        out.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no header {name}"))
    }

    #[test]
    fn dcdn_a_refresh_minimal_headers() {
        let query = refresh_query();
        let req = SignableRequest::rpc(DCDN_HOST, &query);
        let out = sign(
            &req,
            &DCDN_CREDS,
            "RefreshDcdnObjectCaches",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        let headers = signed_view(&out);
        let (canonical, _) = canonical_request(&SignableRequest {
            headers: &headers,
            ..req
        });
        assert_eq!(canonical, DCDN_A_CANONICAL_REQUEST);
        let sts = string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\na522279a43600acd1a16bc5a1cac11f27aa6673c46eca771d4891ea761a93480"
        );
        assert_eq!(
            signature("testsecret", &sts),
            "877c5d5209e57b7cc004f2b7886e0404f49f5a6290bcb7e564d22b870de2b027"
        );
        assert_eq!(
            value(&out, AUTHORIZATION),
            concat!(
                "ACS3-HMAC-SHA256 Credential=testid,",
                "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,",
                "Signature=877c5d5209e57b7cc004f2b7886e0404f49f5a6290bcb7e564d22b870de2b027",
            )
        );
    }

    #[test]
    fn dcdn_b_security_token_is_signed() {
        // The stages over the headers of vector (b) (the token, no x-acs-accesskey-id).
        let query = refresh_query();
        let req = SignableRequest::rpc(DCDN_HOST, &query);
        let out = sign(
            &req,
            &DCDN_STS_CREDS,
            "RefreshDcdnObjectCaches",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        assert_eq!(value(&out, X_ACS_SECURITY_TOKEN), "STS.tokenvalue");
        let headers: Vec<(&str, &str)> = signed_view(&out)
            .into_iter()
            .filter(|(n, _)| *n != X_ACS_ACCESSKEY_ID)
            .collect();
        let (canonical, signed_headers) = canonical_request(&SignableRequest {
            headers: &headers,
            ..req
        });
        let want_canonical = DCDN_A_CANONICAL_REQUEST
            .replace(
                "x-acs-date:2024-01-02T03:04:05Z\n",
                "x-acs-date:2024-01-02T03:04:05Z\nx-acs-security-token:STS.tokenvalue\n",
            )
            .replace(
                "x-acs-date;x-acs-signature-nonce",
                "x-acs-date;x-acs-security-token;x-acs-signature-nonce",
            );
        assert_eq!(canonical, want_canonical);
        assert_eq!(
            signed_headers,
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"
        );
        let sts = string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n8584508e913d8ad6191af3d3fcf20c4fe6f89b19d80239bbb13778617b350f11"
        );
        let sig = "65b9cc30764b14b43181583f5df9ea048ed88d57a42efea4ee82e546151f8772";
        assert_eq!(signature("testsecret", &sts), sig);
        // `sign` itself also sends x-acs-accesskey-id beside the token, so its signature is
        // vector (b2)'s.
        assert!(value(&out, AUTHORIZATION).contains("x-acs-accesskey-id"));
    }

    /// Vector (b) as the SDKs send it: with an STS token, `x-acs-accesskey-id` too, signed.
    /// The signature is the official `alibabacloud_openapi_util` 0.2.4
    /// `Client.get_authorization` over these headers (its vector (b) without the header gives
    /// `65b9cc30…`, the one above).
    #[test]
    fn dcdn_b2_sts_sends_and_signs_the_access_key_id() {
        let query = refresh_query();
        let req = SignableRequest::rpc(DCDN_HOST, &query);
        let out = sign(
            &req,
            &DCDN_STS_CREDS,
            "RefreshDcdnObjectCaches",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "host",
                "x-acs-action",
                "x-acs-version",
                "x-acs-date",
                "x-acs-signature-nonce",
                "x-acs-content-sha256",
                "x-acs-accesskey-id",
                "x-acs-security-token",
                "Authorization"
            ]
        );
        assert_eq!(value(&out, X_ACS_ACCESSKEY_ID), "testid");
        assert_eq!(
            value(&out, AUTHORIZATION),
            concat!(
                "ACS3-HMAC-SHA256 Credential=testid,",
                "SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,",
                "Signature=0025da386f4abdab6ae0621a38a92bb72313ca1d4f0fa9cf338d5c7b94676ca0",
            )
        );
        // Without a token: neither header, and neither signed.
        let out = sign(
            &req,
            &DCDN_CREDS,
            "RefreshDcdnObjectCaches",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        assert!(
            out.iter()
                .all(|(n, _)| n != X_ACS_ACCESSKEY_ID && n != X_ACS_SECURITY_TOKEN)
        );
        assert!(!value(&out, AUTHORIZATION).contains("x-acs-accesskey-id"));
    }

    #[test]
    fn verify_wants_the_access_key_id_beside_an_sts_token() {
        assert_eq!(
            Received::signed(&DCDN_STS_CREDS).verify(&DCDN_STS_CREDS),
            Ok(())
        );
        // Sent without it (as before the SDKs' header): refused.
        let mut r = Received::signed(&DCDN_STS_CREDS);
        r.remove(X_ACS_ACCESSKEY_ID);
        assert_eq!(
            r.verify(&DCDN_STS_CREDS),
            Err(VerifyError::AccessKeyIdMismatch)
        );
        // Another id in it, even if signed: refused.
        let other = Credentials {
            access_key_id: "otherid",
            ..DCDN_STS_CREDS
        };
        let mut r = Received::signed(&DCDN_STS_CREDS);
        r.set(X_ACS_ACCESSKEY_ID, "otherid");
        assert_eq!(
            r.verify(&DCDN_STS_CREDS),
            Err(VerifyError::AccessKeyIdMismatch)
        );
        assert_eq!(
            Received::signed(&other).verify(&DCDN_STS_CREDS),
            Err(VerifyError::CredentialMismatch)
        );
    }

    #[test]
    fn dcdn_c_task_id_comma_is_encoded() {
        let query = [("TaskId", "123,456")];
        let req = SignableRequest::rpc(DCDN_HOST, &query);
        let out = sign(
            &req,
            &DCDN_CREDS,
            "DescribeDcdnRefreshTaskById",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        let headers = signed_view(&out);
        let (canonical, _) = canonical_request(&SignableRequest {
            headers: &headers,
            ..req
        });
        let want = DCDN_A_CANONICAL_REQUEST
            .replace(
                "ObjectPath=https%3A%2F%2Fexample.com%2Fa%20b%2A~.txt%0Ahttps%3A%2F%2Fexample.com%2Fdir%2F&ObjectType=File",
                "TaskId=123%2C456",
            )
            .replace("RefreshDcdnObjectCaches", "DescribeDcdnRefreshTaskById");
        assert_eq!(canonical, want);
        let sts = string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\nd1fef88ac7a2f1e0db2a3b855356cc72aed4678edbf8cfd52d80179cad92d678"
        );
        let sig = "4db4eff4c3cbd7f31ed06e854b85ecbe82a6db6604b1cfe3e30a825e8b6a0689";
        assert_eq!(signature("testsecret", &sts), sig);
        assert!(value(&out, AUTHORIZATION).ends_with(&format!(",Signature={sig}")));
    }

    /// The request the Python SDK (`alibabacloud_tea_openapi` 0.4.6) really sent for (a),
    /// signing every header, as captured in alibaba-signing.md 1.3 (d).
    fn sdk_captured_headers(sts: bool) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("host", DCDN_HOST.to_owned()),
            ("accept", "application/json".to_owned()),
            ("user-agent", "test-agent".to_owned()),
            ("x-acs-action", "RefreshDcdnObjectCaches".to_owned()),
            ("x-acs-version", DCDN_VERSION.to_owned()),
            ("x-acs-date", "2024-01-02T03:04:05Z".to_owned()),
            ("x-acs-signature-nonce", DCDN_NONCE.to_owned()),
            ("x-acs-content-sha256", EMPTY_PAYLOAD_SHA256.to_owned()),
        ];
        let (provider, names, sig) = if sts {
            h.push(("x-acs-accesskey-id", "testid".to_owned()));
            h.push(("x-acs-security-token", "STS.tokenvalue".to_owned()));
            (
                "static_sts",
                "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version",
                "22110e89fe8df758b20543811e5a6b27a6c63e28d4c03b16127d1df5c1a98836",
            )
        } else {
            (
                "static_ak",
                "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version",
                "714a69a07e8789aca45a462968529635021944de709c5273d8b3f620fb6723d8",
            )
        };
        h.push(("x-acs-credentials-provider", provider.to_owned()));
        h.push(("Authorization", authorization("testid", names, sig)));
        h
    }

    fn as_refs<'a>(h: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        h.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }

    #[test]
    fn dcdn_d_verify_accepts_the_sdk_request_that_signs_every_header() {
        let query = refresh_query();
        for (sts, creds) in [(false, DCDN_CREDS), (true, DCDN_STS_CREDS)] {
            let owned = sdk_captured_headers(sts);
            let headers = as_refs(&owned);
            let req = SignableRequest {
                headers: &headers,
                ..SignableRequest::rpc(DCDN_HOST, &query)
            };
            assert_eq!(verify(&req, &creds), Ok(()), "sts={sts}");

            // And the SDK's signature is pinned: any change in a signed header breaks it.
            let mut tampered = headers.clone();
            for h in &mut tampered {
                if h.0 == "user-agent" {
                    h.1 = "other-agent";
                }
            }
            let req = SignableRequest {
                headers: &tampered,
                ..req
            };
            assert_eq!(
                verify(&req, &creds),
                Err(VerifyError::SignatureMismatch),
                "sts={sts}"
            );
        }
    }

    /// Not an official vector: a form body with `content-type` (the doc's Java "Example 3"
    /// shape), computed for this test by a separate Python (hashlib/hmac) transcription of the
    /// Go SDK's `GetAuthorization`, to pin the body and `content-type` path.
    #[test]
    fn form_body_with_content_type_cross_checked() {
        let body = b"ObjectPath=https%3A%2F%2Fexample.com%2Fa.txt&ObjectType=File";
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "x"),
        ];
        let req = SignableRequest {
            headers: &headers,
            body,
            ..SignableRequest::rpc(DCDN_HOST, &[])
        };
        let out = sign(
            &req,
            &DCDN_CREDS,
            "RefreshDcdnObjectCaches",
            DCDN_VERSION,
            dcdn_now(),
            DCDN_NONCE,
        );
        let payload = "2cdfc31c1cf2ab03f360337bcad135cb314db5e525eca1930524abd58086b5b9";
        assert_eq!(value(&out, X_ACS_CONTENT_SHA256), payload);
        let mut signed = headers.to_vec();
        signed.extend(signed_view(&out));
        let (canonical, _) = canonical_request(&SignableRequest {
            headers: &signed,
            ..req
        });
        let sts = string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n579ea5440e3de856d9da494e2c45586607facb53f4a40b7feb8adbfe57fc1156"
        );
        assert_eq!(
            value(&out, AUTHORIZATION),
            concat!(
                "ACS3-HMAC-SHA256 Credential=testid,",
                "SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,",
                "Signature=1559202d195623707ae37653c0a88352f0dd6f084aed4a12ef9575eda0eb2704",
            )
        );
    }

    // --- Stages, edge cases -------------------------------------------------------------

    #[test]
    fn percent_encode_keeps_unreserved_only() {
        let unreserved = "ABCXYZabcxyz0189-_.~";
        assert_eq!(percent_encode(unreserved), unreserved);
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~"), "~");
        assert_eq!(percent_encode("/"), "%2F");
        assert_eq!(percent_encode("\n"), "%0A");
        assert_eq!(percent_encode("+"), "%2B");
        assert_eq!(percent_encode("%"), "%25");
        assert_eq!(percent_encode("=&?#:,;"), "%3D%26%3F%23%3A%2C%3B");
        assert_eq!(percent_encode("!'()"), "%21%27%28%29");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn percent_encode_uses_upper_case_hex_over_utf8_bytes() {
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("中文"), "%E4%B8%AD%E6%96%87");
        assert_eq!(percent_encode("\u{1F600}"), "%F0%9F%98%80");
        assert_eq!(percent_encode("\u{7f}\u{0}"), "%7F%00");
    }

    #[test]
    fn canonical_query_string_sorts_by_name_in_byte_order() {
        let query = [("b", "2"), ("a", "1"), ("B", "3"), ("a.1", "x"), ("A", "0")];
        assert_eq!(canonical_query_string(&query), "A=0&B=3&a=1&a.1=x&b=2");
    }

    #[test]
    fn canonical_query_string_encodes_names_and_values_and_keeps_empty_values() {
        let query = [("k y", "v*1"), ("Empty", ""), ("a", "x"), ("a", "w")];
        assert_eq!(canonical_query_string(&query), "Empty=&a=w&a=x&k%20y=v%2A1");
        assert_eq!(canonical_query_string(&[]), "");
    }

    #[test]
    fn hashed_payload_of_empty_and_known_bodies() {
        assert_eq!(hashed_payload(b""), EMPTY_PAYLOAD_SHA256);
        assert_eq!(
            hashed_payload(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn canonical_headers_are_lower_cased_trimmed_filtered_and_sorted() {
        let headers = [
            ("User-Agent", "purge-wait"),
            ("Accept", "application/json"),
            ("X-Acs-Version", "  2018-01-15\t"),
            ("Content-Type", " application/x-www-form-urlencoded "),
            ("x-acs-action", "DescribeDcdnRefreshTaskById"),
            ("X-ACS-Extra", "b"),
            ("x-acs-extra", " a "),
            ("Host", "ignored.example"),
        ];
        let req = SignableRequest {
            method: "post",
            host: " dcdn.aliyuncs.com ",
            path: "",
            query: &[],
            headers: &headers,
            body: b"TaskId=1",
        };
        let (canonical, signed) = canonical_request(&req);
        assert_eq!(
            signed,
            "content-type;host;x-acs-action;x-acs-extra;x-acs-version"
        );
        let want = format!(
            "POST\n/\n\n\
             content-type:application/x-www-form-urlencoded\n\
             host:dcdn.aliyuncs.com\n\
             x-acs-action:DescribeDcdnRefreshTaskById\n\
             x-acs-extra:a,b\n\
             x-acs-version:2018-01-15\n\
             \n\
             {signed}\n{}",
            hashed_payload(b"TaskId=1")
        );
        assert_eq!(canonical, want);
    }

    #[test]
    fn string_to_sign_and_signature_stages() {
        let sts = string_to_sign("");
        assert_eq!(sts, format!("ACS3-HMAC-SHA256\n{EMPTY_PAYLOAD_SHA256}"));
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn date_is_formatted_and_parsed_strictly() {
        assert_eq!(format_date(dcdn_now()), "2024-01-02T03:04:05Z");
        assert_eq!(parse_date("2024-01-02T03:04:05Z"), Some(dcdn_now()));
        assert_eq!(parse_date("2024-1-2T03:04:05Z"), None);
        assert_eq!(parse_date("2024-01-02T03:04:05.000Z"), None);
        assert_eq!(parse_date("2024-01-02T03:04:05+00:00"), None);
    }

    #[test]
    fn no_security_token_header_without_a_token() {
        let req = SignableRequest::rpc(DCDN_HOST, &[]);
        let out = sign(&req, &DCDN_CREDS, "A", "V", dcdn_now(), DCDN_NONCE);
        assert!(out.iter().all(|(n, _)| n != X_ACS_SECURITY_TOKEN));
        assert!(!value(&out, AUTHORIZATION).contains("x-acs-security-token"));
    }

    #[test]
    fn sign_replaces_caller_headers_it_sets_and_signs_extra_ones() {
        let query = [("TaskId", "1")];
        let headers = [
            ("X-Acs-Date", "1999-01-01T00:00:00Z"),
            ("x-acs-custom", "kept"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "purge-wait"),
        ];
        let req = SignableRequest {
            headers: &headers,
            ..SignableRequest::rpc(DCDN_HOST, &query)
        };
        let out = sign(&req, &DCDN_CREDS, "A", "V", dcdn_now(), DCDN_NONCE);
        assert_eq!(value(&out, X_ACS_DATE), "2024-01-02T03:04:05Z");
        assert!(value(&out, AUTHORIZATION).contains(
            "SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-custom;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        ));

        // What the wire carries: the caller's headers, with the signed ones replacing theirs.
        let mut sent: Vec<(&str, &str)> = headers
            .iter()
            .copied()
            .filter(|(n, _)| !out.iter().any(|(o, _)| n.eq_ignore_ascii_case(o)))
            .collect();
        sent.extend(out.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let received = SignableRequest {
            headers: &sent,
            ..req
        };
        assert_eq!(verify(&received, &DCDN_CREDS), Ok(()));
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let shown = format!("{DCDN_STS_CREDS:?}");
        assert!(shown.contains("testid"));
        assert!(!shown.contains("testsecret"));
        assert!(!shown.contains("STS.tokenvalue"));
    }

    // --- verify ---------------------------------------------------------------------------

    /// A request as the simulator receives it: the caller's headers plus what `sign` added.
    struct Received {
        query: Vec<(&'static str, &'static str)>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Received {
        fn signed(creds: &Credentials<'_>) -> Self {
            let query = refresh_query().to_vec();
            let body = b"Force=true".to_vec();
            let extra = [("Content-Type", "application/x-www-form-urlencoded")];
            let req = SignableRequest {
                headers: &extra,
                body: &body,
                ..SignableRequest::rpc(DCDN_HOST, &query)
            };
            let mut headers: Vec<(String, String)> = extra
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            headers.extend(sign(
                &req,
                creds,
                "RefreshDcdnObjectCaches",
                DCDN_VERSION,
                dcdn_now(),
                DCDN_NONCE,
            ));
            Received {
                query,
                headers,
                body,
            }
        }

        fn set(&mut self, name: &str, value: &str) {
            match self.headers.iter_mut().find(|(n, _)| n == name) {
                Some(h) => h.1 = value.to_owned(),
                None => self.headers.push((name.to_owned(), value.to_owned())),
            }
        }

        fn remove(&mut self, name: &str) {
            self.headers.retain(|(n, _)| n != name);
        }

        fn verify(&self, creds: &Credentials<'_>) -> Result<(), VerifyError> {
            let headers: Vec<(&str, &str)> = self
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let req = SignableRequest {
                method: "POST",
                host: DCDN_HOST,
                path: "/",
                query: &self.query,
                headers: &headers,
                body: &self.body,
            };
            verify(&req, creds)
        }
    }

    #[test]
    fn verify_accepts_what_sign_produces() {
        assert_eq!(Received::signed(&DCDN_CREDS).verify(&DCDN_CREDS), Ok(()));
        assert_eq!(
            Received::signed(&DCDN_STS_CREDS).verify(&DCDN_STS_CREDS),
            Ok(())
        );
    }

    #[test]
    fn verify_accepts_the_doc_example() {
        let req = SignableRequest::rpc(DOC_HOST, DOC_QUERY);
        let owned = sign(
            &req,
            &DOC_CREDS,
            "RunInstances",
            "2014-05-26",
            doc_now(),
            DOC_NONCE,
        );
        let headers: Vec<(&str, &str)> = owned
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = SignableRequest {
            headers: &headers,
            ..req
        };
        assert_eq!(verify(&req, &DOC_CREDS), Ok(()));
    }

    #[test]
    fn verify_rejects_a_tampered_query_or_signed_header() {
        let mut r = Received::signed(&DCDN_CREDS);
        r.query[0].1 = "Directory";
        assert_eq!(r.verify(&DCDN_CREDS), Err(VerifyError::SignatureMismatch));

        let mut r = Received::signed(&DCDN_CREDS);
        r.set("x-acs-signature-nonce", "ffffffffffffffffffffffffffffffff");
        assert_eq!(r.verify(&DCDN_CREDS), Err(VerifyError::SignatureMismatch));

        let mut r = Received::signed(&DCDN_CREDS);
        r.set("Content-Type", "application/json");
        assert_eq!(r.verify(&DCDN_CREDS), Err(VerifyError::SignatureMismatch));
    }

    #[test]
    fn verify_rejects_a_wrong_secret() {
        let r = Received::signed(&DCDN_CREDS);
        let wrong = Credentials {
            access_key_secret: "not-the-secret",
            ..DCDN_CREDS
        };
        assert_eq!(r.verify(&wrong), Err(VerifyError::SignatureMismatch));
    }

    #[test]
    fn verify_rejects_a_tampered_body() {
        let mut r = Received::signed(&DCDN_CREDS);
        r.body = b"Force=false".to_vec();
        assert_eq!(r.verify(&DCDN_CREDS), Err(VerifyError::PayloadHashMismatch));
    }

    #[test]
    fn verify_names_a_missing_header() {
        for name in [
            "Authorization",
            "x-acs-action",
            "x-acs-version",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-content-sha256",
        ] {
            let mut r = Received::signed(&DCDN_CREDS);
            r.remove(name);
            assert_eq!(
                r.verify(&DCDN_CREDS),
                Err(VerifyError::MissingHeader(name.to_ascii_lowercase())),
                "{name}"
            );
        }
        // A header SignedHeaders lists but the request lacks.
        let mut r = Received::signed(&DCDN_CREDS);
        r.remove("Content-Type");
        assert_eq!(
            r.verify(&DCDN_CREDS),
            Err(VerifyError::MissingHeader("content-type".to_owned()))
        );
    }

    #[test]
    fn verify_rejects_malformed_authorization() {
        let r = Received::signed(&DCDN_CREDS);
        let good = value(&r.headers, AUTHORIZATION).to_owned();
        let sig = good.rsplit_once("Signature=").unwrap().1;
        let cases = [
            good.replace("ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA1 "),
            good.replace("ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA256  "),
            good.replace(",SignedHeaders=", ", SignedHeaders="),
            good.replace("Credential=testid,", "Credential=,"),
            good.replace(
                "SignedHeaders=content-type;host",
                "SignedHeaders=host;content-type",
            ),
            good.replace("SignedHeaders=content-type", "SignedHeaders=Content-Type"),
            good.replace("SignedHeaders=", "SignedHeaders=authorization;"),
            good.replace("Signature=", "Signature=0"),
            good.replace(sig, &sig.to_ascii_uppercase()),
            format!("{good},Extra=1"),
        ];
        for auth in cases {
            let mut r = Received::signed(&DCDN_CREDS);
            r.set(AUTHORIZATION, &auth);
            assert!(
                matches!(r.verify(&DCDN_CREDS), Err(VerifyError::BadAuthorization(_))),
                "{auth}"
            );
        }
    }

    #[test]
    fn verify_requires_host_and_every_x_acs_header_to_be_signed() {
        let mut r = Received::signed(&DCDN_CREDS);
        let auth = value(&r.headers, AUTHORIZATION).replace(";host;", ";");
        r.set(AUTHORIZATION, &auth);
        assert_eq!(
            r.verify(&DCDN_CREDS),
            Err(VerifyError::UnsignedHeader("host".to_owned()))
        );

        let mut r = Received::signed(&DCDN_CREDS);
        r.set("X-Acs-Injected", "1");
        assert_eq!(
            r.verify(&DCDN_CREDS),
            Err(VerifyError::UnsignedHeader("x-acs-injected".to_owned()))
        );

        // A header outside host/x-acs-* may be sent unsigned.
        let mut r = Received::signed(&DCDN_CREDS);
        r.set("User-Agent", "anything");
        assert_eq!(r.verify(&DCDN_CREDS), Ok(()));
    }

    #[test]
    fn verify_checks_credential_token_and_date() {
        let r = Received::signed(&DCDN_CREDS);
        let other = Credentials {
            access_key_id: "otherid",
            ..DCDN_CREDS
        };
        assert_eq!(r.verify(&other), Err(VerifyError::CredentialMismatch));
        // Expected an STS token, none was sent.
        assert_eq!(
            r.verify(&DCDN_STS_CREDS),
            Err(VerifyError::SecurityTokenMismatch)
        );
        // Sent a different token.
        let r = Received::signed(&DCDN_STS_CREDS);
        let other = Credentials {
            security_token: Some("STS.other"),
            ..DCDN_CREDS
        };
        assert_eq!(r.verify(&other), Err(VerifyError::SecurityTokenMismatch));
        // Sent a token the credentials do not have.
        assert_eq!(
            r.verify(&DCDN_CREDS),
            Err(VerifyError::SecurityTokenMismatch)
        );

        let mut r = Received::signed(&DCDN_CREDS);
        r.set("x-acs-date", "2024-01-02 03:04:05");
        assert_eq!(r.verify(&DCDN_CREDS), Err(VerifyError::BadDate));
    }

    #[test]
    fn verify_error_display_names_the_part() {
        assert_eq!(
            VerifyError::MissingHeader("x-acs-date".to_owned()).to_string(),
            "missing header `x-acs-date`"
        );
        assert_eq!(
            VerifyError::UnsignedHeader("host".to_owned()).to_string(),
            "header `host` is sent but not in SignedHeaders"
        );
        assert_eq!(
            VerifyError::SignatureMismatch.to_string(),
            "signature mismatch"
        );
    }
}
