//! TC3-HMAC-SHA256 as the service checks it, written from Tencent's "Signature v3" page,
//! independently of the client's signer: the canonical request of a received request, the
//! string to sign, the derived key and the signature.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm word of `Authorization`.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The SecretId.
    pub secret_id: String,
    /// The credential date, `YYYY-MM-DD`.
    pub date: String,
    /// The service: `cdn`, `teo`, `sts`, …
    pub service: String,
    /// `tc3_request`.
    pub terminator: String,
    /// The signed header names, as listed.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

/// Parses an `Authorization` value: the algorithm, one space, then `Credential=`,
/// `SignedHeaders=` and `Signature=` once each, separated by `,` (spaces after it allowed).
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(v).is_some() {
            return None;
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [secret_id, date, service, terminator] = scope[..] else {
        return None;
    };
    let signature = signature?;
    if secret_id.is_empty()
        || signature.len() != 64
        || !signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let signed_headers: Vec<String> = signed?.split(';').map(str::to_string).collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return None;
    }
    Some(Authorization {
        secret_id: secret_id.into(),
        date: date.into(),
        service: service.into(),
        terminator: terminator.into(),
        signed_headers,
        signature: signature.into(),
    })
}

/// The service a request's `Authorization` is scoped to; `sts` for an unsigned (`SKIP`)
/// request, empty when it cannot be read.
pub fn service_of(authorization: Option<&str>) -> String {
    match authorization {
        Some("SKIP") => "sts".into(),
        Some(a) => parse_authorization(a)
            .map(|a| a.service)
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// The canonical request: `POST`, URI `/`, the query (empty for POST), one
/// `name:value` line per signed header (name and value lower-cased and trimmed; a header
/// sent several times joined with `,`), a blank line, the signed names joined with `;`, and
/// the hex SHA-256 of the body bytes as received.
pub fn canonical_request(
    method: &str,
    query: &str,
    headers: &[(String, String)],
    signed: &[&str],
    body: &[u8],
) -> String {
    let mut out = format!("{method}\n/\n{query}\n");
    for name in signed {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
            .collect();
        out.push_str(&format!(
            "{}:{}\n",
            name.to_ascii_lowercase(),
            values.join(",")
        ));
    }
    out.push_str(&format!(
        "\n{}\n{}",
        signed.join(";"),
        hex::encode(Sha256::digest(body))
    ));
    out
}

/// The string to sign for `canonical` at `timestamp` (Unix seconds, as sent) in `scope`
/// (`2019-02-25/cvm/tc3_request`).
pub fn string_to_sign(timestamp: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// The hex signature of `string_to_sign` with `secret_key`, for `date` (`YYYY-MM-DD`) and
/// `service`: `HMAC("TC3" + key, date)`, then the service, then `tc3_request`.
pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let k = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, b"tc3_request");
    hex::encode(hmac(&k, string_to_sign.as_bytes()))
}

/// Whether two hex signatures are equal, in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `Authorization` value for a request (for tests and the simulator's own checks):
/// `headers` must hold every name in `signed`.
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    timestamp: i64,
    headers: &[(String, String)],
    signed: &[&str],
    body: &[u8],
) -> String {
    let date = utc_date(timestamp).unwrap_or_default();
    let scope = format!("{date}/{service}/tc3_request");
    let canonical = canonical_request("POST", "", headers, signed, body);
    let sts = string_to_sign(&timestamp.to_string(), &scope, &canonical);
    format!(
        "{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={}, Signature={}",
        signed.join(";"),
        signature(secret_key, &date, service, &sts)
    )
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp.
pub fn utc_date(timestamp: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string())
}
