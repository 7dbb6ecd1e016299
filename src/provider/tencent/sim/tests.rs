//! The simulator's checks, from Tencent's documented TC3 example and the requests the
//! official Python SDK sends (docs/research/tencent.md, section 1).

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::*;
use crate::sim::{Ending, Record};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The documented example's body (82 bytes; `\u672a…` as literal text).
const DOC_BODY: &str =
    r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
const DOC_ID_MASKED: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
const DOC_KEY_MASKED: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

#[test]
fn the_documented_example_signs_as_published() {
    let headers = h(&[
        ("content-type", "application/json; charset=utf-8"),
        ("host", "cvm.tencentcloudapi.com"),
        ("x-tc-action", "DescribeInstances"),
    ]);
    // (B) previous page revision and the SDKs: content-type;host.
    let canonical = tc3::canonical_request(
        "POST",
        "",
        &headers,
        &["content-type", "host"],
        DOC_BODY.as_bytes(),
    );
    assert_eq!(
        canonical,
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    let sts = tc3::string_to_sign("1551113065", "2019-02-25/cvm/tc3_request", &canonical);
    assert_eq!(
        sts,
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    assert_eq!(
        tc3::signature(DOC_KEY_MASKED, "2019-02-25", "cvm", &sts),
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    );
    // (C) the international page's unmasked key.
    assert_eq!(
        tc3::authorization(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "cvm",
            1_551_113_065,
            &headers,
            &["content-type", "host"],
            DOC_BODY.as_bytes(),
        ),
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
    // (A) the current page: x-tc-action signed too, its value lower-cased.
    let signed = ["content-type", "host", "x-tc-action"];
    let canonical = tc3::canonical_request("POST", "", &headers, &signed, DOC_BODY.as_bytes());
    assert!(canonical.contains("\nx-tc-action:describeinstances\n"));
    let sts = tc3::string_to_sign("1551113065", "2019-02-25/cvm/tc3_request", &canonical);
    assert!(sts.ends_with("7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"));
    assert_eq!(
        tc3::authorization(
            DOC_ID_MASKED,
            DOC_KEY_MASKED,
            "cvm",
            1_551_113_065,
            &headers,
            &signed,
            DOC_BODY.as_bytes()
        ),
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"
    );
    let parsed = tc3::parse_authorization(&tc3::authorization(
        DOC_ID_MASKED,
        DOC_KEY_MASKED,
        "cvm",
        1_551_113_065,
        &headers,
        &signed,
        DOC_BODY.as_bytes(),
    ))
    .unwrap();
    assert_eq!(parsed.secret_id, DOC_ID_MASKED);
    assert_eq!(
        (parsed.date.as_str(), parsed.service.as_str()),
        ("2019-02-25", "cvm")
    );
    assert_eq!(parsed.signed_headers, signed);
}

#[test]
fn the_credential_date_is_the_utc_date() {
    assert_eq!(tc3::utc_date(1_551_139_199).unwrap(), "2019-02-25");
    assert_eq!(tc3::utc_date(1_551_139_200).unwrap(), "2019-02-26");
}

#[test]
fn malformed_authorizations_are_refused() {
    let good = "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";
    assert!(tc3::parse_authorization(good).is_some());
    for bad in [
        "",
        "SKIP",
        "TC3-HMAC-SHA1 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host",
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=ABCD",
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
    ] {
        assert!(tc3::parse_authorization(bad).is_none(), "{bad}");
    }
}

// ----------------------------------------------------------------------------------------
// Requests through the simulator

/// The research notes' vector secret id, key and time.
const VEC_ID: &str = "AKIDEXAMPLEpurgewait0000000000000000";
const VEC_KEY: &str = "secretkeyEXAMPLEpurgewait0000000";
const VEC_TIME: i64 = 1_700_000_000;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A request signed with the SDKs' headers (content-type;host), sent to a loopback port.
struct Call<'a> {
    service: &'a str,
    action: &'a str,
    version: &'a str,
    body: String,
    id: &'a str,
    key: &'a str,
    token: Option<&'a str>,
    time: i64,
    host: &'a str,
}

impl<'a> Call<'a> {
    fn new(service: &'a str, action: &'a str, body: &str) -> Self {
        Call {
            service,
            action,
            version: match service {
                "teo" => "2022-09-01",
                "sts" => "2018-08-13",
                _ => "2018-06-06",
            },
            body: body.to_string(),
            id: DEMO_SECRET_ID,
            key: DEMO_SECRET_KEY,
            token: None,
            time: now(),
            host: "127.0.0.1:7000",
        }
    }

    fn request(&self) -> SimRequest {
        let mut headers = h(&[
            ("host", self.host),
            ("content-type", "application/json"),
            ("x-tc-action", self.action),
            ("x-tc-version", self.version),
            ("x-tc-timestamp", &self.time.to_string()),
            ("x-tc-language", "zh-CN"),
        ]);
        if let Some(t) = self.token {
            headers.push(("x-tc-token".into(), t.into()));
        }
        let auth = tc3::authorization(
            self.id,
            self.key,
            self.service,
            self.time,
            &headers,
            &["content-type", "host"],
            self.body.as_bytes(),
        );
        headers.push(("authorization".into(), auth));
        SimRequest {
            method: "POST".into(),
            path: "/".into(),
            query: None,
            headers,
            body: Bytes::from(self.body.clone()),
        }
    }

    fn send(&self, sim: &TencentSim) -> Value {
        send(sim, &self.request())
    }
}

fn send(sim: &TencentSim, req: &SimRequest) -> Value {
    let a = sim.answer(req);
    assert_eq!(a.status, 200, "{}", a.body);
    let v: Value = serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("{e}: {}", a.body));
    v["Response"].clone()
}

fn code(v: &Value) -> &str {
    v["Error"]["Code"].as_str().unwrap_or("")
}

fn sim(setup: Setup) -> TencentSim {
    TencentSim::new(setup)
}

#[test]
fn the_sdks_purge_request_verifies_with_the_pinned_signature() {
    // Row 1 of the notes: the Python SDK's own PurgeUrlsCache at 1700000000.
    let body =
        r#"{"Urls": ["https://www.example.com/index.html", "https://www.example.com/a b.png"]}"#;
    let mut call = Call::new("cdn", "PurgeUrlsCache", body);
    (call.id, call.key, call.time, call.host) =
        (VEC_ID, VEC_KEY, VEC_TIME, "cdn.tencentcloudapi.com");
    let req = call.request();
    assert_eq!(
        req.header("authorization").unwrap(),
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLEpurgewait0000000000000000/2023-11-14/cdn/tc3_request, SignedHeaders=content-type;host, Signature=5fafff5ed0e78f58712b7ab1d8a2addf76a9dec172c077595c07f88cd17eb11c"
    );
    let s = sim(Setup {
        secret_id: VEC_ID.into(),
        secret_key: VEC_KEY.into(),
        clock_offset: chrono::Duration::seconds(VEC_TIME - now()),
        ..Setup::default()
    });
    let v = send(&s, &req);
    assert!(v["TaskId"].as_str().is_some(), "{v}");
    assert!(v["RequestId"].as_str().is_some());
    assert_eq!(s.purges_created().len(), 1);
    // The compact form with a charset (row 6) verifies too.
    let compact =
        r#"{"Urls":["https://www.example.com/index.html","https://www.example.com/a b.png"]}"#;
    let mut headers = h(&[
        ("content-type", "application/json; charset=utf-8"),
        ("host", "cdn.tencentcloudapi.com"),
        ("x-tc-action", "PurgeUrlsCache"),
        ("x-tc-version", "2018-06-06"),
        ("x-tc-timestamp", "1700000000"),
    ]);
    let auth = tc3::authorization(
        VEC_ID,
        VEC_KEY,
        "cdn",
        VEC_TIME,
        &headers,
        &["content-type", "host"],
        compact.as_bytes(),
    );
    assert!(auth.ends_with("128b12960bf1e3abc52a00e761b47fb66522275e8303e048ca691c1598785dde"));
    headers.push(("authorization".into(), auth));
    let req = SimRequest {
        method: "POST".into(),
        path: "/".into(),
        query: None,
        headers,
        body: Bytes::from(compact),
    };
    assert!(send(&s, &req)["TaskId"].is_string());
    // The token is not part of the signature (rows 4 and 5).
    let body = r#"{"ZoneId": "zone-2o0l8g7zisgt", "Type": "purge_prefix", "Targets": ["https://www.example.com/img/"]}"#;
    let mut call = Call::new("teo", "CreatePurgeTask", body);
    (call.id, call.key, call.time, call.host) =
        (VEC_ID, VEC_KEY, VEC_TIME, "teo.tencentcloudapi.com");
    call.token = Some("tokenEXAMPLE");
    assert!(
        call.request()
            .header("authorization")
            .unwrap()
            .ends_with("b6f780bb58642bbb5b76d7438e12a7210a84971afe3570fb683845859b6a5e71")
    );
}

#[test]
fn every_signature_fault_has_its_code() {
    let s = sim(Setup::default());
    let body = r#"{"TaskId": "1700000000-abcdefgh"}"#;
    let base = || Call::new("cdn", "DescribePurgeTasks", body);
    assert!(base().send(&s)["PurgeLogs"].is_array());

    let mut c = base();
    c.key = "wrong-key";
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureFailure");

    let mut c = base();
    c.time = now() - 301;
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureExpire");
    c.time = now() + 400;
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureExpire");
    c.time = now() - 250;
    assert!(c.send(&s)["PurgeLogs"].is_array(), "within 5 minutes");

    let mut c = base();
    c.id = "AKIDunknown";
    assert_eq!(code(&c.send(&s)), "AuthFailure.SecretIdNotFound");

    // A body changed after signing.
    let mut req = base().request();
    req.body = Bytes::from(r#"{"TaskId": "1700000000-zzzzzzzz"}"#);
    assert_eq!(code(&send(&s, &req)), "AuthFailure.SignatureFailure");
    // The host is signed.
    let mut req = base().request();
    req.headers.iter_mut().find(|(n, _)| n == "host").unwrap().1 = "127.0.0.1:7001".into();
    assert_eq!(code(&send(&s, &req)), "AuthFailure.SignatureFailure");

    // No Authorization, a malformed one, SignedHeaders without host.
    let mut req = base().request();
    req.headers.retain(|(n, _)| n != "authorization");
    assert_eq!(code(&send(&s, &req)), "AuthFailure.InvalidAuthorization");
    let mut req = base().request();
    req.headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1 = "TC3-HMAC-SHA256 Credential=x".into();
    assert_eq!(code(&send(&s, &req)), "AuthFailure.InvalidAuthorization");
    let c = base();
    let mut req = c.request();
    let auth = tc3::authorization(
        c.id,
        c.key,
        "cdn",
        c.time,
        &req.headers,
        &["content-type"],
        body.as_bytes(),
    );
    req.headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1 = auth;
    assert_eq!(code(&send(&s, &req)), "AuthFailure.InvalidAuthorization");

    // A credential date that is not the timestamp's UTC date.
    let c = base();
    let mut req = c.request();
    let a = req.header("authorization").unwrap().to_string();
    let date = tc3::utc_date(c.time).unwrap();
    let other = tc3::utc_date(c.time - 86_400).unwrap();
    req.headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1 = a.replace(&date, &other);
    let v = send(&s, &req);
    assert_eq!(code(&v), "AuthFailure.SignatureFailure");
    assert!(v["Error"]["Message"].as_str().unwrap().contains("UTC date"));

    // The service must be the host's and serve the action.
    let mut c = base();
    c.host = "teo.tencentcloudapi.com";
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureFailure");
    let mut c = base();
    c.service = "cvm";
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureFailure");
    let mut c = base();
    c.host = "cdn.tencentcloudapi.com";
    assert!(c.send(&s)["PurgeLogs"].is_array());

    // Version and action.
    let mut c = base();
    c.version = "2017-03-12";
    assert_eq!(code(&c.send(&s)), "NoSuchVersion");
    let mut c = base();
    c.action = "DescribeInstances";
    assert_eq!(code(&c.send(&s)), "InvalidAction");
    let mut c = Call::new("cdn", "CreatePurgeTask", "{}");
    c.version = "2018-06-06";
    assert_eq!(
        code(&c.send(&s)),
        "InvalidAction",
        "an EdgeOne action signed for cdn"
    );

    // Missing headers.
    let mut req = base().request();
    req.headers.retain(|(n, _)| n != "x-tc-timestamp");
    assert_eq!(code(&send(&s, &req)), "MissingParameter");
    let mut req = base().request();
    req.headers.retain(|(n, _)| n != "x-tc-version");
    assert_eq!(code(&send(&s, &req)), "MissingParameter");
    // Unknown fields.
    let c = Call::new(
        "cdn",
        "DescribePurgeTasks",
        r#"{"TaskId": "x", "Colour": "red"}"#,
    );
    assert_eq!(code(&c.send(&s)), "UnknownParameter");
}

#[test]
fn throttling_internal_errors_and_denial_come_first() {
    let s = sim(Setup {
        throttle: 1,
        too_often: 1,
        internal_errors: 1,
        deny: vec!["PurgePathCache".into(), "teo:DescribePurgeTasks".into()],
        ..Setup::default()
    });
    let c = Call::new(
        "cdn",
        "DescribePurgeTasks",
        r#"{"TaskId": "1700000000-abcdefgh"}"#,
    );
    assert_eq!(code(&c.send(&s)), "RequestLimitExceeded");
    assert_eq!(code(&c.send(&s)), "UnauthorizedOperation.OperationTooOften");
    assert_eq!(code(&c.send(&s)), "InternalError");
    assert!(c.send(&s)["PurgeLogs"].is_array());
    let p = Call::new(
        "cdn",
        "PurgePathCache",
        r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "flush"}"#,
    );
    assert_eq!(
        code(&p.send(&s)),
        "UnauthorizedOperation.CdnCamUnauthorized"
    );
    let t = Call::new(
        "teo",
        "DescribePurgeTasks",
        &format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Filters": [{{"Name": "job-id", "Values": ["x"]}}]}}"#
        ),
    );
    assert_eq!(code(&t.send(&s)), "UnauthorizedOperation.CamUnauthorized");
    // A wrong signature is refused before any knob.
    let s = sim(Setup {
        throttle: 5,
        ..Setup::default()
    });
    let mut c = Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#);
    c.key = "wrong";
    assert_eq!(code(&c.send(&s)), "AuthFailure.SignatureFailure");
}

#[test]
fn cdn_tasks_follow_their_scenarios() {
    let d = Scenario::succeeds_after(Duration::ZERO);
    let (_, slow) = Scenario::parse("x:after=1h", &d).unwrap();
    let (_, failed) = Scenario::parse("x:outcome=failed,after=0s", &d).unwrap();
    let (_, throttled) = Scenario::parse("x:throttle=1,errors=1,after=0s", &d).unwrap();
    let (_, missing) = Scenario::parse("x:outcome=missing", &d).unwrap();
    let s = sim(Setup {
        tasks: vec![
            ("t-slow".into(), slow),
            ("t-failed".into(), failed),
            ("t-throttled".into(), throttled),
            ("t-missing".into(), missing),
        ],
        default: d.clone(),
        purge: d.clone(),
        failing_urls: vec!["https://www.example.com/bad.png".into()],
        ..Setup::default()
    });
    let status = |id: &str| {
        let v = Call::new(
            "cdn",
            "DescribePurgeTasks",
            &format!(r#"{{"TaskId": "{id}"}}"#),
        )
        .send(&s);
        v["PurgeLogs"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|e| e["Status"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_else(|| vec![code(&v).to_string()])
    };
    assert_eq!(status("t-slow"), ["process"]);
    assert_eq!(status("t-failed"), ["fail"]);
    assert_eq!(status("t-throttled"), ["RequestLimitExceeded"]);
    assert_eq!(status("t-throttled"), ["InternalError"]);
    assert_eq!(status("t-throttled"), ["done"]);
    assert!(status("t-missing").is_empty());
    assert_eq!(status("unscripted"), ["done"], "the default scenario");

    let v = Call::new(
        "cdn",
        "PurgeUrlsCache",
        r#"{"Urls": ["https://www.example.com/a.png", "https://www.example.com/bad.png"], "UrlEncode": true}"#,
    )
    .send(&s);
    let id = v["TaskId"].as_str().unwrap().to_string();
    let v = Call::new(
        "cdn",
        "DescribePurgeTasks",
        &format!(r#"{{"TaskId": "{id}"}}"#),
    )
    .send(&s);
    assert_eq!(v["TotalCount"], 2);
    let logs = v["PurgeLogs"].as_array().unwrap();
    assert_eq!(logs[0]["Url"], "https://www.example.com/a.png");
    assert_eq!(logs[0]["Status"], "done");
    assert_eq!(logs[0]["PurgeType"], "url");
    assert_eq!(logs[1]["Status"], "fail");
    let v = Call::new(
        "cdn",
        "DescribePurgeTasks",
        &format!(r#"{{"TaskId": "{id}", "Status": "fail", "Offset": 0, "Limit": 10}}"#),
    )
    .send(&s);
    assert_eq!(v["TotalCount"], 1);

    let v = Call::new(
        "cdn",
        "PurgePathCache",
        r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "delete"}"#,
    )
    .send(&s);
    let id = v["TaskId"].as_str().unwrap().to_string();
    let v = Call::new(
        "cdn",
        "DescribePurgeTasks",
        &format!(r#"{{"TaskId": "{id}"}}"#),
    )
    .send(&s);
    assert_eq!(v["PurgeLogs"][0]["PurgeType"], "path");
    assert_eq!(v["PurgeLogs"][0]["FlushType"], "delete");
    // By time: everything created since a minute ago (UTC+8), newest first.
    let start = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::minutes(1))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let v = Call::new(
        "cdn",
        "DescribePurgeTasks",
        &format!(r#"{{"StartTime": "{start}", "PurgeType": "path"}}"#),
    )
    .send(&s);
    assert_eq!(v["TotalCount"], 1, "{v}");
    assert_eq!(v["PurgeLogs"][0]["TaskId"], id.as_str());
    let v = Call::new("cdn", "DescribePurgeTasks", "{}").send(&s);
    assert_eq!(code(&v), "InvalidParameter.CdnParamError");
}

#[test]
fn cdn_purges_are_checked_and_counted_against_the_quota() {
    let s = sim(Setup {
        quota: Quota {
            url_daily: 3,
            url_batch: 2,
            path_daily: 1,
            ..Quota::default()
        },
        domains: vec!["www.example.com".into()],
        ..Setup::default()
    });
    let urls = |list: &[&str]| {
        let v = serde_json::json!({ "Urls": list }).to_string();
        Call::new("cdn", "PurgeUrlsCache", &v).send(&s)
    };
    let a = "https://www.example.com/a";
    assert_eq!(
        code(&urls(&[a, a, a])),
        "LimitExceeded.CdnPurgeUrlExceedBatchLimit"
    );
    assert!(urls(&[a, a])["TaskId"].is_string());
    assert_eq!(
        code(&urls(&[a, a])),
        "LimitExceeded.CdnPurgeUrlExceedDayLimit"
    );
    assert!(
        urls(&[a])["TaskId"].is_string(),
        "the last one of the quota"
    );
    assert_eq!(code(&urls(&[a])), "LimitExceeded.CdnPurgeUrlExceedDayLimit");
    assert_eq!(
        code(&urls(&["www.example.com/a"])),
        "InvalidParameter.CdnParamError"
    );
    assert_eq!(
        code(&urls(&["https://other.example/a"])),
        "ResourceNotFound.CdnHostNotExists"
    );
    assert_eq!(
        code(&urls(&["https://*.example.com/a"])),
        "InvalidParameter.CdnPurgeWildcardNotAllowed"
    );
    assert_eq!(code(&urls(&[])), "InvalidParameter.CdnParamError");
    let v = Call::new(
        "cdn",
        "PurgeUrlsCache",
        r#"{"Urls": ["https://www.example.com/a"], "Area": "moon"}"#,
    )
    .send(&s);
    assert_eq!(code(&v), "InvalidParameter.CdnParamError");
    let v = Call::new("cdn", "PurgeUrlsCache", "{}").send(&s);
    assert_eq!(code(&v), "MissingParameter");
    let v = Call::new(
        "cdn",
        "PurgeUrlsCache",
        r#"{"Urls": ["https://www.example.com/a"], "Area": "overseas"}"#,
    )
    .send(&s);
    assert!(v["TaskId"].is_string(), "overseas has its own quota");

    let paths = |body: &str| Call::new("cdn", "PurgePathCache", body).send(&s);
    assert_eq!(
        code(&paths(r#"{"Paths": ["https://www.example.com/img/"]}"#)),
        "MissingParameter"
    );
    assert_eq!(
        code(&paths(
            r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "all"}"#
        )),
        "InvalidParameter.CdnParamError"
    );
    assert_eq!(
        code(&paths(
            r#"{"Paths": ["https://www.example.com/img"], "FlushType": "flush"}"#
        )),
        "InvalidParameter.CdnParamError"
    );
    assert!(
        paths(r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "flush"}"#)["TaskId"]
            .is_string()
    );
    assert_eq!(
        code(&paths(
            r#"{"Paths": ["https://www.example.com/img/"], "FlushType": "flush"}"#
        )),
        "LimitExceeded.CdnPurgePathExceedDayLimit"
    );
    let q = Call::new("cdn", "DescribePurgeQuota", "{}").send(&s);
    assert_eq!(q["UrlPurge"][0]["Area"], "mainland");
    assert_eq!(q["UrlPurge"][0]["Total"], 3);
    assert_eq!(q["UrlPurge"][0]["Batch"], 2);
    assert_eq!(q["UrlPurge"][0]["Available"], 0);
    assert_eq!(q["UrlPurge"][1]["Available"], 2);
    assert_eq!(q["PathPurge"][0]["Available"], 0);
}

#[test]
fn cdn_purges_can_be_reset_after_creation() {
    let s = sim(Setup {
        reset_creates: 1,
        ..Setup::default()
    });
    let c = Call::new(
        "cdn",
        "PurgeUrlsCache",
        r#"{"Urls": ["https://www.example.com/a"]}"#,
    );
    assert!(s.answer(&c.request()).reset);
    assert_eq!(s.purges_created().len(), 1);
    assert!(!s.answer(&c.request()).reset);
}

#[test]
fn edgeone_jobs_follow_their_scenarios() {
    let d = Scenario::succeeds_after(Duration::ZERO);
    let (_, timeout) = Scenario::parse("j:outcome=timeout,message=took too long", &d).unwrap();
    let (_, failed) = Scenario::parse("j:outcome=failed,message=origin 502", &d).unwrap();
    let (_, malformed) = Scenario::parse("j:outcome=malformed", &d).unwrap();
    let s = sim(Setup {
        jobs: vec![
            ("j-timeout".into(), timeout),
            ("j-failed".into(), failed),
            ("j-malformed".into(), malformed),
        ],
        purge: d.clone(),
        failed_targets: vec!["https://elsewhere.example/x/".into()],
        ..Setup::default()
    });
    let describe = |id: &str| {
        let body = format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Filters": [{{"Name": "job-id", "Values": ["{id}"]}}]}}"#
        );
        Call::new("teo", "DescribePurgeTasks", &body).send(&s)
    };
    let v = describe("j-timeout");
    assert_eq!(v["Tasks"][0]["Status"], "timeout");
    assert_eq!(v["Tasks"][0]["FailMessage"], "took too long");
    let v = describe("j-failed");
    assert_eq!(v["Tasks"][0]["Status"], "failed");
    assert_eq!(v["Tasks"][0]["FailType"], "taskFailed");
    assert_eq!(v["Tasks"][0]["FailMessage"], "origin 502");
    let body = format!(
        r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Filters": [{{"Name": "job-id", "Values": ["j-malformed"]}}]}}"#
    );
    let a = s.answer(&Call::new("teo", "DescribePurgeTasks", &body).request());
    assert!(serde_json::from_str::<Value>(&a.body).is_err(), "cut short");

    let body = format!(
        r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_prefix", "Method": "delete", "Targets": ["https://www.example.com/img/", "https://elsewhere.example/x/"]}}"#
    );
    let v = Call::new("teo", "CreatePurgeTask", &body).send(&s);
    let id = v["JobId"].as_str().unwrap().to_string();
    assert_eq!(
        v["FailedList"][0]["Targets"][0],
        "https://elsewhere.example/x/"
    );
    assert!(v["FailedList"][0]["Reason"].is_string());
    let v = describe(&id);
    assert_eq!(v["TotalCount"], 1);
    let t = &v["Tasks"][0];
    assert_eq!(
        (
            t["Target"].as_str(),
            t["Type"].as_str(),
            t["Method"].as_str(),
            t["Status"].as_str()
        ),
        (
            Some("https://www.example.com/img/"),
            Some("purge_prefix"),
            Some("delete"),
            Some("success")
        )
    );
    let v = Call::new(
        "teo",
        "CreatePurgeTask",
        &format!(r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_url", "Targets": ["https://www.example.com/a"]}}"#),
    )
    .send(&s);
    assert_eq!(v["FailedList"], serde_json::json!([]));

    // Errors.
    let create = |body: &str| Call::new("teo", "CreatePurgeTask", body).send(&s);
    assert_eq!(
        code(&create(r#"{"ZoneId": "zone-other", "Type": "purge_all"}"#)),
        "InvalidParameter.ZoneNotFound"
    );
    assert_eq!(
        code(&create(&format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_everything"}}"#
        ))),
        "InvalidParameter.ParameterError"
    );
    assert_eq!(
        code(&create(&format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_url", "Targets": ["/a"]}}"#
        ))),
        "InvalidParameter.Target"
    );
    assert_eq!(
        code(&create(&format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_host", "Targets": ["https://www.example.com/"]}}"#
        ))),
        "InvalidParameter.Target"
    );
    assert_eq!(
        code(&create(&format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_url"}}"#
        ))),
        "MissingParameter"
    );
    assert!(
        create(&format!(
            r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_all"}}"#
        ))["JobId"]
            .is_string()
    );
    assert!(create(&format!(r#"{{"ZoneId": "{DEMO_ZONE_ID}", "Type": "purge_host", "Targets": ["www.example.com"]}}"#))["JobId"].is_string());
    let v = Call::new(
        "teo",
        "DescribePurgeTasks",
        r#"{"ZoneId": "zone-other", "Filters": [{"Name": "job-id", "Values": ["x"]}]}"#,
    )
    .send(&s);
    assert_eq!(code(&v), "InvalidParameter.ZoneNotFound");
    let v = Call::new(
        "teo",
        "DescribePurgeTasks",
        &format!(r#"{{"ZoneId": "{DEMO_ZONE_ID}"}}"#),
    )
    .send(&s);
    assert_eq!(
        code(&v),
        "InvalidParameter.ParameterError",
        "neither job-id nor times"
    );
    let v = Call::new(
        "teo",
        "DescribePurgeTasks",
        r#"{"Filters": [{"Name": "job-id", "Values": ["x"]}]}"#,
    )
    .send(&s);
    assert_eq!(code(&v), "MissingParameter");
    // By time and type.
    // From 10 s ago: the scripted jobs (created 30 s before the simulator) are left out.
    let start = (chrono::Utc::now() - chrono::Duration::seconds(10)).to_rfc3339();
    let end = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let body = serde_json::json!({
        "ZoneId": DEMO_ZONE_ID, "StartTime": start, "EndTime": end,
        "Filters": [{"Name": "type", "Values": ["purge_host"]}],
    });
    let v = Call::new("teo", "DescribePurgeTasks", &body.to_string()).send(&s);
    assert_eq!(v["TotalCount"], 1, "{v}");
    assert_eq!(v["Tasks"][0]["Target"], "www.example.com");
}

#[test]
fn edgeone_quotas() {
    let s = sim(Setup {
        quota: Quota {
            edgeone_batch: 2,
            edgeone_daily: 3,
            ..Quota::default()
        },
        ..Setup::default()
    });
    let create = |n: usize| {
        let targets: Vec<String> = (0..n)
            .map(|i| format!("https://www.example.com/{i}"))
            .collect();
        let body =
            serde_json::json!({ "ZoneId": DEMO_ZONE_ID, "Type": "purge_url", "Targets": targets });
        Call::new("teo", "CreatePurgeTask", &body.to_string()).send(&s)
    };
    assert_eq!(code(&create(3)), "LimitExceeded.BatchQuota");
    assert!(create(2)["JobId"].is_string());
    assert_eq!(code(&create(2)), "LimitExceeded.DailyQuota");
}

fn assume(s: &TencentSim, body: &str, region: Option<&str>) -> Value {
    let mut headers = h(&[
        ("authorization", "SKIP"),
        ("content-type", "application/json"),
        ("host", "127.0.0.1:7000"),
        ("x-tc-action", "AssumeRoleWithWebIdentity"),
        ("x-tc-version", "2018-08-13"),
        ("x-tc-timestamp", &now().to_string()),
    ]);
    if let Some(r) = region {
        headers.push(("x-tc-region".into(), r.into()));
    }
    send(
        s,
        &SimRequest {
            method: "POST".into(),
            path: "/".into(),
            query: None,
            headers,
            body: Bytes::from(body.to_string()),
        },
    )
}

fn assume_body(token: &str) -> String {
    serde_json::json!({
        "ProviderId": DEMO_OIDC_PROVIDER_ID,
        "WebIdentityToken": token,
        "RoleArn": DEMO_ROLE_ARN,
        "RoleSessionName": "purge-wait",
        "DurationSeconds": 7200,
    })
    .to_string()
}

#[test]
fn sts_issues_temporary_credentials_the_apis_accept_with_their_token() {
    let s = sim(Setup::default());
    let v = assume(&s, &assume_body(DEMO_OIDC_TOKEN), Some("ap-guangzhou"));
    let c = &v["Credentials"];
    let (id, key, token) = (
        c["TmpSecretId"].as_str().unwrap(),
        c["TmpSecretKey"].as_str().unwrap(),
        c["Token"].as_str().unwrap(),
    );
    assert!(id.starts_with("AKID"));
    let expired = v["ExpiredTime"].as_i64().unwrap();
    assert!((expired - now() - 7200).abs() <= 2);
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));

    let mut call = Call::new(
        "cdn",
        "DescribePurgeTasks",
        r#"{"TaskId": "1700000000-abcdefgh"}"#,
    );
    (call.id, call.key) = (id, key);
    assert_eq!(code(&call.send(&s)), "AuthFailure.TokenFailure", "no token");
    call.token = Some("another-token");
    assert_eq!(code(&call.send(&s)), "AuthFailure.TokenFailure");
    call.token = Some(token);
    assert!(call.send(&s)["PurgeLogs"].is_array());
    // A token with the long-term key is refused.
    let mut c = Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#);
    c.token = Some(token);
    assert_eq!(code(&c.send(&s)), "AuthFailure.TokenFailure");

    // Refusals.
    assert_eq!(
        code(&assume(&s, &assume_body(DEMO_OIDC_TOKEN), None)),
        "MissingParameter"
    );
    assert_eq!(
        code(&assume(
            &s,
            &assume_body("eyJ.wrong.token"),
            Some("ap-guangzhou")
        )),
        "InvalidParameter.WebIdentityTokenError"
    );
    let mut body: Value = serde_json::from_str(&assume_body(DEMO_OIDC_TOKEN)).unwrap();
    body["RoleArn"] = "qcs::cam::uin/1:roleName/other".into();
    assert_eq!(
        code(&assume(&s, &body.to_string(), Some("ap-guangzhou"))),
        "UnauthorizedOperation"
    );
    body["RoleArn"] = DEMO_ROLE_ARN.into();
    body["ProviderId"] = "other".into();
    assert_eq!(
        code(&assume(&s, &body.to_string(), Some("ap-guangzhou"))),
        "InvalidParameter.ParamError"
    );
    body["ProviderId"] = DEMO_OIDC_PROVIDER_ID.into();
    body["DurationSeconds"] = 43_201.into();
    assert_eq!(
        code(&assume(&s, &body.to_string(), Some("ap-guangzhou"))),
        "InvalidParameter.ParamError"
    );
    body["DurationSeconds"] = 900.into();
    body["RoleSessionName"] = "a b".into();
    assert_eq!(
        code(&assume(&s, &body.to_string(), Some("ap-guangzhou"))),
        "InvalidParameter.ParamError"
    );
    body["RoleSessionName"] = "ci".into();
    let v = assume(&s, &body.to_string(), Some("ap-guangzhou"));
    assert!(
        (v["ExpiredTime"].as_i64().unwrap() - now() - 900).abs() <= 2,
        "at most what was asked"
    );
    // SKIP only for STS.
    let mut req = Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#).request();
    req.headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1 = "SKIP".into();
    assert_eq!(code(&send(&s, &req)), "AuthFailure.InvalidAuthorization");
}

#[test]
fn expired_temporary_credentials_are_a_token_failure() {
    let s = sim(Setup {
        sts_lifetime: Duration::ZERO,
        ..Setup::default()
    });
    let v = assume(&s, &assume_body(DEMO_OIDC_TOKEN), Some("ap-guangzhou"));
    let c = &v["Credentials"];
    let mut call = Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#);
    (call.id, call.key, call.token) = (
        c["TmpSecretId"].as_str().unwrap(),
        c["TmpSecretKey"].as_str().unwrap(),
        c["Token"].as_str(),
    );
    let v = call.send(&s);
    assert_eq!(code(&v), "AuthFailure.TokenFailure");
    assert!(v["Error"]["Message"].as_str().unwrap().contains("expired"));
}

#[test]
fn the_github_token_service_issues_the_token_for_its_audience() {
    let s = sim(Setup::default());
    let get = |auth: &str, audience: &str| {
        s.answer(&SimRequest {
            method: "GET".into(),
            path: GITHUB_TOKEN_PATH.into(),
            query: Some(format!("api-version=2.0&audience={audience}")),
            headers: h(&[("authorization", auth)]),
            body: Bytes::new(),
        })
    };
    let a = get(
        &format!("bearer {DEMO_GITHUB_REQUEST_TOKEN}"),
        "sts.tencentcloudapi.com",
    );
    assert_eq!(a.status, 200);
    let v: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["value"], DEMO_OIDC_TOKEN);
    let a = get(&format!("Bearer {DEMO_GITHUB_REQUEST_TOKEN}"), "other");
    let v: Value = serde_json::from_str(&a.body).unwrap();
    assert_ne!(v["value"], DEMO_OIDC_TOKEN);
    assert_eq!(get("bearer wrong", "sts.tencentcloudapi.com").status, 401);
}

#[test]
fn calls_counts_actions_per_service() {
    let s = sim(Setup::default());
    let log: Vec<Record> = [
        Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#).request(),
        Call::new("teo", "DescribePurgeTasks", "{}").request(),
        Call::new("cdn", "PurgeUrlsCache", "{}").request(),
    ]
    .into_iter()
    .map(|r| {
        let a = s.answer(&r);
        Record {
            at: std::time::Instant::now(),
            method: r.method,
            target: r.path,
            headers: r.headers,
            body: String::from_utf8_lossy(&r.body).into_owned(),
            status: a.status,
            answer: a.label,
        }
    })
    .collect();
    assert_eq!(calls(&log, None, "DescribePurgeTasks"), 2);
    assert_eq!(calls(&log, Some("teo"), "describepurgetasks"), 1);
    assert_eq!(calls(&log, Some("cdn"), "PurgeUrlsCache"), 1);
    assert!(
        log[0]
            .answer
            .starts_with("cdn:DescribePurgeTasks: PurgeLogs"),
        "{}",
        log[0].answer
    );
    assert_eq!(Ending::Succeeded, Setup::default().purge.ending);
}

#[test]
fn a_configured_session_token_makes_the_static_key_temporary() {
    let s = sim(Setup {
        session_token: Some("static-session-token".into()),
        ..Setup::default()
    });
    let mut c = Call::new("cdn", "DescribePurgeTasks", r#"{"TaskId": "x"}"#);
    assert_eq!(code(&c.send(&s)), "AuthFailure.TokenFailure");
    c.token = Some("other");
    assert_eq!(code(&c.send(&s)), "AuthFailure.TokenFailure");
    c.token = Some("static-session-token");
    assert!(c.send(&s)["PurgeLogs"].is_array());
}

#[test]
fn sts_can_be_throttled() {
    let s = sim(Setup {
        sts_throttle: 1,
        ..Setup::default()
    });
    let body = assume_body(DEMO_OIDC_TOKEN);
    assert_eq!(
        code(&assume(&s, &body, Some("ap-guangzhou"))),
        "RequestLimitExceeded"
    );
    assert!(assume(&s, &body, Some("ap-guangzhou"))["Credentials"].is_object());
}
