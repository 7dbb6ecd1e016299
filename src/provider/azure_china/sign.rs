//! The Azure China CDN REST API signing mechanism ("CDN API signing mechanism").
//!
//! ```text
//! StringToSign  = PATH + "\r\n" + QUERY + "\r\n" + DATE + "\r\n" + METHOD
//! QUERY         = join(", ", sorted(name + ":" + first_value(name)))
//! Authorization = "AzureCDN " + KeyID + ":" + UPPERHEX(HMAC-SHA256(utf8(KeyValue), utf8(StringToSign)))
//! ```
//!
//! `DATE` is byte-identical to the `x-azurecdn-request-date` header, UTC, `yyyy-MM-dd HH:mm:ss`.
//! The key value is used as its literal UTF-8 bytes (it is *not* base64-decoded, although it
//! looks like base64). Source: docs.azure.cn "CDN API signing mechanism" and the official
//! Python, Java, Go and C# samples; see `shared/docs/azure-china-signing.md`.
//!
//! Everything here is pure: the clock is a parameter, so every signature can be reproduced.
//! The same functions serve the client (to sign) and the simulator (to verify).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

/// The request-date header the signature covers.
pub const DATE_HEADER: &str = "x-azurecdn-request-date";

/// `yyyy-MM-dd HH:mm:ss`, 24-hour and zero-padded (the 2017 docs' `hh` was a typo).
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The scheme word in `Authorization: AzureCDN {KeyID}:{signature}`.
pub const SCHEME: &str = "AzureCDN";

/// The two headers a signed request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Value of `x-azurecdn-request-date`.
    pub date: String,
    /// Value of `Authorization`.
    pub authorization: String,
}

/// Formats `now` the way the date header and the string to sign need it.
pub fn format_date(now: DateTime<Utc>) -> String {
    now.format(DATE_FORMAT).to_string()
}

/// `QUERY`: every parameter as `name:value`, sorted ordinally by name, joined with `", "`.
/// Only the first value of a repeated name counts (the samples use `value[0]`); values are
/// percent-decoded, as Python's `parse_qs` does.
pub fn canonical_query(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in url.query_pairs() {
        if !pairs.iter().any(|(n, _)| *n == name) {
            pairs.push((name.into_owned(), value.into_owned()));
        }
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
        .iter()
        .map(|(n, v)| format!("{n}:{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `PATH + "\r\n" + QUERY + "\r\n" + DATE + "\r\n" + METHOD`. The path is taken as sent
/// (percent-escapes kept, no trailing slash added); callers keep GUIDs lower-case so that the
/// C# sample's lower-casing of the path makes no difference.
pub fn string_to_sign(method: &str, url: &Url, date: &str) -> String {
    format!(
        "{}\r\n{}\r\n{}\r\n{}",
        url.path(),
        canonical_query(url),
        date,
        method.to_ascii_uppercase()
    )
}

/// `UPPERHEX(HMAC-SHA256(utf8(key_value), utf8(string_to_sign)))`.
pub fn signature(key_value: &str, string_to_sign: &str) -> String {
    hex::encode_upper(mac(key_value, string_to_sign).finalize().into_bytes())
}

/// Signs one request made at `now`: the date header and the `Authorization` header.
pub fn sign(
    method: &str,
    url: &Url,
    key_id: &str,
    key_value: &str,
    now: DateTime<Utc>,
) -> SignedHeaders {
    let date = format_date(now);
    let sig = signature(key_value, &string_to_sign(method, url, &date));
    SignedHeaders {
        authorization: format!("{SCHEME} {key_id}:{sig}"),
        date,
    }
}

/// Splits `AzureCDN {KeyID}:{signature}` into its key id and signature.
pub fn parse_authorization(header: &str) -> Option<(&str, &str)> {
    let rest = header.strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let (key_id, sig) = rest.split_once(':')?;
    (!key_id.is_empty() && !sig.is_empty()).then_some((key_id, sig))
}

/// Checks a received signature in constant time. `sig` must be the upper-case hex the
/// samples send; lower-case hex is not known to be accepted by the service, so it is refused.
pub fn verify(key_value: &str, string_to_sign: &str, sig: &str) -> bool {
    if sig.bytes().any(|b| b.is_ascii_lowercase()) {
        return false;
    }
    match hex::decode(sig) {
        Ok(bytes) => mac(key_value, string_to_sign).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

fn mac(key_value: &str, message: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key_value.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(message.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    //! Known answers from `shared/docs/azure-china-signing.md` §3, computed there with the
    //! official Python sample copied verbatim and cross-checked with the C# semantics and
    //! `openssl dgst -sha256 -hmac`.
    use super::*;
    use chrono::TimeZone;

    const KEY_ID: &str = "00000000-1111-2222-3333-444444444444";
    const KEY_VALUE: &str = "ZXhhbXBsZS1rZXktdmFsdWUtbm90LXJlYWw=";
    const DATE: &str = "2024-01-02 03:04:05";
    const BASE: &str = "https://restapi.cdn.azure.cn/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/endpoints/11111111-2222-3333-4444-555555555555";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
    }

    fn check(method: &str, url: &str, sts: &str, sig: &str) {
        let url = Url::parse(url).unwrap();
        assert_eq!(string_to_sign(method, &url, DATE), sts, "string to sign");
        assert_eq!(signature(KEY_VALUE, sts), sig, "signature");
        let signed = sign(method, &url, KEY_ID, KEY_VALUE, now());
        assert_eq!(signed.date, DATE);
        assert_eq!(signed.authorization, format!("AzureCDN {KEY_ID}:{sig}"));
        assert!(verify(KEY_VALUE, sts, sig));
    }

    #[test]
    fn vector_a_purge_post() {
        check(
            "POST",
            &format!("{BASE}/purges?apiVersion=1.0"),
            "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/endpoints/11111111-2222-3333-4444-555555555555/purges\r\napiVersion:1.0\r\n2024-01-02 03:04:05\r\nPOST",
            "0AA843C8EBDC1D823191CBE1E1DC829F55F6926C01A7E267BEEE1344DB427EDF",
        );
    }

    #[test]
    fn vector_b_purge_progress() {
        check(
            "GET",
            &format!("{BASE}/purges/b520c544-ec34-4ac4-86f5-5394363919c3?apiVersion=1.0"),
            "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/endpoints/11111111-2222-3333-4444-555555555555/purges/b520c544-ec34-4ac4-86f5-5394363919c3\r\napiVersion:1.0\r\n2024-01-02 03:04:05\r\nGET",
            "8434D1430DBBDDE7566ACA17E9107091F639F45F8584E748289111E51A5B9F64",
        );
    }

    #[test]
    fn vector_c_operation_status() {
        check(
            "GET",
            &format!("{BASE}/operations/b520c544-ec34-4ac4-86f5-5394363919c3?apiVersion=1.0"),
            "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/endpoints/11111111-2222-3333-4444-555555555555/operations/b520c544-ec34-4ac4-86f5-5394363919c3\r\napiVersion:1.0\r\n2024-01-02 03:04:05\r\nGET",
            "24330693E81B435E4BF8EC2FAEDA6CB8F14DAB8D1E876F2EB78B742B62F015E4",
        );
    }

    #[test]
    fn vector_d_query_sorted_by_name() {
        let url = format!(
            "{BASE}/volume?apiVersion=1.0&granularity=PerDay&startTime=2024-01-01T00:00:00Z&endTime=2024-01-02T00:00:00Z"
        );
        let parsed = Url::parse(&url).unwrap();
        assert_eq!(
            canonical_query(&parsed),
            "apiVersion:1.0, endTime:2024-01-02T00:00:00Z, granularity:PerDay, startTime:2024-01-01T00:00:00Z"
        );
        let signed = sign("GET", &parsed, KEY_ID, KEY_VALUE, now());
        assert_eq!(
            signed.authorization,
            format!(
                "AzureCDN {KEY_ID}:E6DE23D9FF67B2B44C3EB2D6F1ABA6011FE05D9AC61440071E53005D0C7F091A"
            )
        );
    }

    #[test]
    fn method_is_upper_cased_and_first_value_wins() {
        let url = Url::parse("https://h/p?b=2&a=1&a=9").unwrap();
        assert_eq!(
            string_to_sign("get", &url, DATE),
            "/p\r\na:1, b:2\r\n2024-01-02 03:04:05\r\nGET"
        );
    }

    #[test]
    fn date_is_24_hour_zero_padded_utc() {
        let t = Utc.with_ymd_and_hms(2017, 5, 6, 13, 8, 0).unwrap();
        assert_eq!(format_date(t), "2017-05-06 13:08:00");
    }

    #[test]
    fn authorization_header_parses_and_rejects_junk() {
        assert_eq!(parse_authorization("AzureCDN id:ABC"), Some(("id", "ABC")));
        assert_eq!(parse_authorization("AzureCDN id"), None);
        assert_eq!(parse_authorization("Bearer id:ABC"), None);
        assert_eq!(parse_authorization("AzureCDN :ABC"), None);
    }

    #[test]
    fn verify_refuses_tampering_and_lower_hex() {
        let sts = "x";
        let sig = signature(KEY_VALUE, sts);
        assert!(verify(KEY_VALUE, sts, &sig));
        assert!(!verify(KEY_VALUE, sts, &sig.to_ascii_lowercase()));
        assert!(!verify("other", sts, &sig));
        assert!(!verify(KEY_VALUE, "y", &sig));
        assert!(!verify(KEY_VALUE, sts, "not hex"));
    }
}
