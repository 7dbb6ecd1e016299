//! TC3-HMAC-SHA256, Tencent Cloud API 3.0's request signature ("签名方法 v3",
//! cloud.tencent.com/document/api/213/30654; the official SDKs' `_get_tc3_signature` /
//! `sendWithSignatureV3`; `docs/research/tencent.md` §1).
//!
//! ```text
//! CanonicalRequest = "POST\n/\n\n" + "content-type:" + CT + "\n" + "host:" + HOST + "\n"
//!                    + (extra signed headers, lower-cased, sorted) + "\n"
//!                    + SignedHeaders + "\n" + hex(sha256(body))
//! StringToSign     = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date + "/" + service
//!                    + "/tc3_request\n" + hex(sha256(CanonicalRequest))
//! key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
//! Authorization    = "TC3-HMAC-SHA256 Credential=" + SecretId + "/" + date + "/" + service
//!                    + "/tc3_request, SignedHeaders=" + SignedHeaders + ", Signature="
//!                    + hex(HMAC(key, StringToSign))
//! ```
//!
//! `date` is the UTC date of `X-TC-Timestamp`. The SDKs sign `content-type;host` only, and so
//! does purge-wait; the extra headers exist to reproduce the current documentation example,
//! which also signs `x-tc-action`. Everything here is pure (the timestamp is a parameter), so
//! every signature can be reproduced.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm word of `Authorization` and of the string to sign.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The content type the SDKs send (and sign) for JSON POST bodies.
pub const CONTENT_TYPE: &str = "application/json";

/// One request as far as the signature sees it.
#[derive(Debug, Clone, Copy)]
pub struct Signable<'a> {
    /// `Host` as sent (with `:port` when not the scheme's default).
    pub host: &'a str,
    /// `Content-Type` exactly as sent.
    pub content_type: &'a str,
    /// Headers signed beside `content-type` and `host` (name, value); purge-wait signs none.
    pub extra: &'a [(&'a str, &'a str)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// The key and id to sign with.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
}

/// `YYYY-MM-DD`, the UTC date of a Unix timestamp (a timestamp out of range: 1970-01-01).
pub fn date(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Lower-case hex of SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// The signed header names (`content-type;host[;…]`) and the canonical headers block.
fn headers(req: &Signable<'_>) -> (String, String) {
    let mut all: Vec<(String, String)> = vec![
        (
            "content-type".into(),
            req.content_type.trim().to_ascii_lowercase(),
        ),
        ("host".into(), req.host.trim().to_ascii_lowercase()),
    ];
    for (name, value) in req.extra {
        all.push((
            name.trim().to_ascii_lowercase(),
            value.trim().to_ascii_lowercase(),
        ));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let block: String = all.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    (names.join(";"), block)
}

/// The canonical request of a POST to `/` (no query).
pub fn canonical_request(req: &Signable<'_>) -> String {
    let (signed, block) = headers(req);
    format!("POST\n/\n\n{block}\n{signed}\n{}", sha256_hex(req.body))
}

/// `SignedHeaders=` of the request.
pub fn signed_headers(req: &Signable<'_>) -> String {
    headers(req).0
}

/// The string to sign.
pub fn string_to_sign(canonical_request: &str, timestamp: i64, service: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{}/{service}/tc3_request\n{}",
        date(timestamp),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The signature (lower-case hex) of `string_to_sign`.
pub fn signature(secret_key: &str, timestamp: i64, service: &str, string_to_sign: &str) -> String {
    let day = hmac(
        format!("TC3{secret_key}").as_bytes(),
        date(timestamp).as_bytes(),
    );
    let service_key = hmac(&day, service.as_bytes());
    let signing = hmac(&service_key, b"tc3_request");
    hex::encode(hmac(&signing, string_to_sign.as_bytes()))
}

/// The `Authorization` header of `req` for `service` (`cdn`, `teo`) at `timestamp`.
pub fn authorization(key: Key<'_>, service: &str, timestamp: i64, req: &Signable<'_>) -> String {
    let canonical = canonical_request(req);
    let sts = string_to_sign(&canonical, timestamp, service);
    format!(
        "{ALGORITHM} Credential={}/{}/{service}/tc3_request, SignedHeaders={}, Signature={}",
        key.secret_id,
        date(timestamp),
        signed_headers(req),
        signature(key.secret_key, timestamp, service, &sts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tencent's documented example: CVM DescribeInstances (notes §1.3).
    const DOC_BODY: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const DOC_TS: i64 = 1551113065;
    const DOC_CT: &str = "application/json; charset=utf-8";

    fn doc(extra: &'static [(&'static str, &'static str)]) -> Signable<'static> {
        Signable {
            host: "cvm.tencentcloudapi.com",
            content_type: DOC_CT,
            extra,
            body: DOC_BODY.as_bytes(),
        }
    }

    #[test]
    fn the_documented_example_signed_with_x_tc_action() {
        // (A): the current page and Tencent's demo, masked key used as printed.
        let req = doc(&[("X-TC-Action", "DescribeInstances")]);
        assert_eq!(
            sha256_hex(DOC_BODY.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let cr = canonical_request(&req);
        assert_eq!(
            cr,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let sts = string_to_sign(&cr, DOC_TS, "cvm");
        assert_eq!(
            sts,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        let key = Key {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3*******",
        };
        assert_eq!(
            authorization(key, "cvm", DOC_TS, &req),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"
        );
    }

    #[test]
    fn the_documented_example_signed_as_the_sdks_sign() {
        // (B) previous revision, masked key; (C) international page, EXAMPLE key.
        let req = doc(&[]);
        let cr = canonical_request(&req);
        assert_eq!(
            cr,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sha256_hex(cr.as_bytes()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        let masked = Key {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3*******",
        };
        assert_eq!(
            authorization(masked, "cvm", DOC_TS, &req),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        let example = Key {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        };
        assert_eq!(
            authorization(example, "cvm", DOC_TS, &req),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        let with_action = doc(&[("x-tc-action", "DescribeInstances")]);
        assert!(
            authorization(example, "cvm", DOC_TS, &with_action).ends_with(
                "Signature=644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26"
            )
        );
    }

    #[test]
    fn the_dates_are_utc() {
        assert_eq!(date(1551139199), "2019-02-25");
        assert_eq!(date(1551139200), "2019-02-26");
        assert_eq!(date(1700000000), "2023-11-14");
        assert_eq!(date(i64::MAX), "1970-01-01", "out of range: never a panic");
    }

    /// The project's vectors (notes §1.4), computed with the Python SDK's own signing code.
    #[test]
    fn the_project_vectors() {
        let key = Key {
            secret_id: "AKIDEXAMPLEpurgewait0000000000000000",
            secret_key: "secretkeyEXAMPLEpurgewait0000000",
        };
        let cases: [(&str, &str, &str, &str); 9] = [
            (
                "cdn",
                CONTENT_TYPE,
                r#"{"Urls": ["https://www.example.com/index.html", "https://www.example.com/a b.png"]}"#,
                "5fafff5ed0e78f58712b7ab1d8a2addf76a9dec172c077595c07f88cd17eb11c",
            ),
            (
                "cdn",
                CONTENT_TYPE,
                r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "flush"}"#,
                "f5eee7102b97efdfd0acdca0c5fde41dc7c7580e3f5517961249ba9b8255b81c",
            ),
            (
                "cdn",
                CONTENT_TYPE,
                r#"{"TaskId": "1234567890abcdef"}"#,
                "e49f5a8c0a99c1b29cf952004e93366cd1ec34253b307dcb6f142e36cc22a488",
            ),
            (
                "teo",
                CONTENT_TYPE,
                r#"{"ZoneId": "zone-2o0l8g7zisgt", "Type": "purge_prefix", "Targets": ["https://www.example.com/img/"]}"#,
                "b6f780bb58642bbb5b76d7438e12a7210a84971afe3570fb683845859b6a5e71",
            ),
            (
                "teo",
                CONTENT_TYPE,
                r#"{"ZoneId": "zone-2o0l8g7zisgt", "Filters": [{"Name": "job-id", "Values": ["20b1fcb5-8bd6-4cb8-a0e7-0000"]}]}"#,
                "71e12d421bbc5bd3be661152e605a9abb45c591cadbc72dcc78d93fd9c57a691",
            ),
            (
                "cdn",
                DOC_CT,
                r#"{"Urls":["https://www.example.com/index.html","https://www.example.com/a b.png"]}"#,
                "128b12960bf1e3abc52a00e761b47fb66522275e8303e048ca691c1598785dde",
            ),
            (
                "cdn",
                DOC_CT,
                r#"{"TaskId":"1234567890abcdef"}"#,
                "b12b53dac3f1c3d4c6d334db43513219d2a7e6bf901db5837092b6a229aef346",
            ),
            (
                "teo",
                DOC_CT,
                r#"{"ZoneId":"zone-2o0l8g7zisgt","Type":"purge_prefix","Targets":["https://www.example.com/img/"]}"#,
                "c29dcd0606aecba16ad12fb78b393da47db23ceb9d458309be61259d7e0fd137",
            ),
            (
                "teo",
                DOC_CT,
                r#"{"ZoneId":"zone-2o0l8g7zisgt","Filters":[{"Name":"job-id","Values":["20b1fcb5-8bd6-4cb8-a0e7-0000"]}]}"#,
                "11451536ad08a469eea19a2632ff664688313bff5e124df7218f9f6fc30129cf",
            ),
        ];
        for (service, ct, body, sig) in cases {
            let host = format!("{service}.tencentcloudapi.com");
            let req = Signable {
                host: &host,
                content_type: ct,
                extra: &[],
                body: body.as_bytes(),
            };
            let auth = authorization(key, service, 1700000000, &req);
            assert_eq!(
                auth,
                format!(
                    "TC3-HMAC-SHA256 Credential=AKIDEXAMPLEpurgewait0000000000000000/2023-11-14/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}"
                ),
                "{body}"
            );
        }
        let first = Signable {
            host: "cdn.tencentcloudapi.com",
            content_type: CONTENT_TYPE,
            extra: &[],
            body: br#"{"Urls": ["https://www.example.com/index.html", "https://www.example.com/a b.png"]}"#,
        };
        let cr = canonical_request(&first);
        assert_eq!(
            cr,
            "POST\n/\n\ncontent-type:application/json\nhost:cdn.tencentcloudapi.com\n\ncontent-type;host\n733edece65967e144b61011d0bad783438ea5c45e8e8147c8a89fdf9d46696b2"
        );
        assert_eq!(
            sha256_hex(cr.as_bytes()),
            "515dfeb623208073cd395c0b06515afe47bb03f54da26acc50bfc3456423fe8a"
        );
    }
}
