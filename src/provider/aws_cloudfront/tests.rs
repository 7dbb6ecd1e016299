//! Unit tests of the CloudFront provider: SigV4 against the SigV4 test-suite vectors (client
//! and simulator each), the documented XML bodies, status words, error codes, paths, the
//! split, the inputs and the credential order.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::credentials::{Source, TokenSource};
use super::inputs::Partition;
use super::wire::{self, Call, Target};
use super::*;
use crate::cli::Action;
use crate::config::ConfigError;
use crate::http::Response;
use crate::provider::{ErrorKind, PurgeKind, PurgeRequest, State};
use crate::step::Config;

// ---------------------------------------------------------------------------------------
// SigV4: the aws-signing-test-suite vectors (aws-sigv4's repository,
// aws/rust-runtime/aws-sigv4/aws-signing-test-suite/v4/*) that apply to CloudFront calls.

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z.
fn vector_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

fn scope() -> sign::Scope<'static> {
    sign::Scope {
        region: "us-east-1",
        service: "service",
        content_sha256_header: false,
    }
}

fn header<'a>(signed: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    signed
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// `get-vanilla-query-order-key-case`: a GET with a query, parameters out of order.
#[test]
fn sigv4_vector_get_with_query() {
    let req = sign::Request {
        method: "GET",
        url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
        headers: &[],
        body: b"",
    };
    let keys = sign::Keys {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: None,
    };
    let signed = sign::sign(&req, keys, scope(), vector_time()).unwrap();
    assert_eq!(header(&signed, "x-amz-date"), Some("20150830T123600Z"));
    assert_eq!(
        header(&signed, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    );
    assert_eq!(header(&signed, "x-amz-security-token"), None);
}

/// `post-x-www-form-urlencoded`: a POST whose body is signed (with `x-amz-content-sha256`).
#[test]
fn sigv4_vector_post_with_body() {
    let req = sign::Request {
        method: "POST",
        url: "https://example.amazonaws.com/",
        headers: &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-length", "13"),
        ],
        body: b"Param1=value1",
    };
    let keys = sign::Keys {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: None,
    };
    let scope = sign::Scope {
        content_sha256_header: true,
        ..scope()
    };
    let signed = sign::sign(&req, keys, scope, vector_time()).unwrap();
    assert_eq!(
        header(&signed, "x-amz-content-sha256"),
        Some("9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
    );
    assert_eq!(
        header(&signed, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        )
    );
}

/// `get-vanilla-with-session-token`: the token is signed and sent.
#[test]
fn sigv4_vector_session_token() {
    const TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let req = sign::Request {
        method: "GET",
        url: "https://example.amazonaws.com/",
        headers: &[],
        body: b"",
    };
    let keys = sign::Keys {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: Some(TOKEN),
    };
    let signed = sign::sign(&req, keys, scope(), vector_time()).unwrap();
    assert_eq!(header(&signed, "x-amz-security-token"), Some(TOKEN));
    assert_eq!(
        header(&signed, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        )
    );
}

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The simulator's own canonicalisation reproduces the same vectors' canonical requests,
/// strings to sign and signatures, so it checks the client independently.
#[test]
fn the_simulator_verifies_with_its_own_canonicalisation() {
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let headers = owned(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    let canonical = sim::canonical_request(
        "GET",
        "/",
        Some("Param2=value2&Param1=value1"),
        &headers,
        &["host", "x-amz-date"],
        b"",
    );
    assert_eq!(
        canonical,
        format!(
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{empty}"
        )
    );
    let scope = "20150830/us-east-1/service/aws4_request";
    let sts = sim::string_to_sign("20150830T123600Z", scope, &canonical);
    assert_eq!(
        sts,
        format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n{scope}\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
        )
    );
    assert_eq!(
        sim::signature(SECRET, vector_time(), "us-east-1", "service", &sts),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );

    let headers = owned(&[
        ("content-type", "application/x-www-form-urlencoded"),
        ("host", "example.amazonaws.com"),
        ("content-length", "13"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "x-amz-content-sha256",
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
    ]);
    let signed = [
        "content-length",
        "content-type",
        "host",
        "x-amz-content-sha256",
        "x-amz-date",
    ];
    let canonical = sim::canonical_request("POST", "/", None, &headers, &signed, b"Param1=value1");
    let sts = sim::string_to_sign("20150830T123600Z", scope, &canonical);
    assert!(
        sts.ends_with("b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb"),
        "{sts}"
    );
    assert_eq!(
        sim::signature(SECRET, vector_time(), "us-east-1", "service", &sts),
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
    );

    let headers = owned(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "x-amz-security-token",
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
        ),
    ]);
    let canonical = sim::canonical_request(
        "GET",
        "/",
        None,
        &headers,
        &["host", "x-amz-date", "x-amz-security-token"],
        b"",
    );
    let sts = sim::string_to_sign("20150830T123600Z", scope, &canonical);
    assert!(
        sts.ends_with("067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b"),
        "{sts}"
    );
}

/// A CloudFront path is signed encoded once more (non-S3 services), as the simulator
/// expects.
#[test]
fn cloudfront_requests_sign_the_path_the_simulator_rebuilds() {
    let url = "https://cloudfront.amazonaws.com/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation?Marker=I%2FA&MaxItems=100";
    let keys = sign::Keys {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: None,
    };
    let req = sign::Request {
        method: "GET",
        url,
        headers: &[],
        body: b"",
    };
    let signed = sign::sign(
        &req,
        keys,
        sign::Scope::cloudfront("us-east-1"),
        vector_time(),
    )
    .unwrap();
    let auth = header(&signed, "authorization").unwrap();
    assert!(auth.contains("/20150830/us-east-1/cloudfront/aws4_request"));
    let headers = owned(&[
        ("host", "cloudfront.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ]);
    let canonical = sim::canonical_request(
        "GET",
        "/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation",
        Some("Marker=I%2FA&MaxItems=100"),
        &headers,
        &["host", "x-amz-date"],
        b"",
    );
    let sts = sim::string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/cloudfront/aws4_request",
        &canonical,
    );
    let expected = sim::signature(SECRET, vector_time(), "us-east-1", "cloudfront", &sts);
    assert!(auth.ends_with(&format!("Signature={expected}")), "{auth}");
}

// ---------------------------------------------------------------------------------------
// The XML bodies of the API reference

/// The `Invalidation` example of the API reference (API version 2012-07-01, element order of
/// that version: Id, Status, CreateTime, InvalidationBatch with Paths before CallerReference).
const DOC_INVALIDATION: &str = r#"<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2012-07-01/">
   <Id>IDFDVBD632BHDS5</Id>
   <Status>InProgress</Status>
   <CreateTime>2009-11-19T19:37:58Z</CreateTime>
   <InvalidationBatch>
      <Paths>
         <Quantity>3</Quantity>
         <Items>
            <Path>/image1.jpg</Path>
            <Path>/image2.jpg</Path>
            <Path>/videos/movie.flv</Path>
         </Items>
      </Paths>
      <CallerReference>20120301090001</CallerReference>
   </InvalidationBatch>
</Invalidation>"#;

/// GetInvalidation's response syntax in the 2020-05-31 reference (no namespace, its order).
const DOC_GET_INVALIDATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invalidation>
   <CreateTime>2019-12-05T18:40:49.413Z</CreateTime>
   <Id>I2J0I21PCUYOIK</Id>
   <InvalidationBatch>
      <CallerReference>cli-1575571249-270218</CallerReference>
      <Paths>
         <Items>
            <Path>/example-path.html</Path>
         </Items>
         <Quantity>1</Quantity>
      </Paths>
   </InvalidationBatch>
   <Status>Completed</Status>
</Invalidation>"#;

/// ListInvalidations' response syntax, a truncated page.
const DOC_LIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<InvalidationList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
   <IsTruncated>true</IsTruncated>
   <Items>
      <InvalidationSummary>
         <CreateTime>2025-05-06T15:46:12.824Z</CreateTime>
         <Id>I4CU23QAPKMUDUU06F9OFGFABC</Id>
         <Status>InProgress</Status>
      </InvalidationSummary>
      <InvalidationSummary>
         <CreateTime>2025-05-06T15:40:02.100Z</CreateTime>
         <Id>I2J0I21PCUYOIK</Id>
         <Status>Completed</Status>
      </InvalidationSummary>
   </Items>
   <Marker></Marker>
   <MaxItems>2</MaxItems>
   <NextMarker>I3CU23QAPKMUDUU06F9OFGF</NextMarker>
   <Quantity>2</Quantity>
</InvalidationList>"#;

/// An error answer as CloudFront sends it (InvalidArgument for a bad path).
const DOC_ERROR: &str = r#"<?xml version="1.0"?>
<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>InvalidArgument</Code><Message>Your request contains one or more invalid invalidation paths.</Message></Error><RequestId>22820705-e358-11e2-97fe-ff4fd86f3f1f</RequestId></ErrorResponse>"#;

#[test]
fn documented_invalidations_parse() {
    let inv = wire::parse_invalidation(DOC_INVALIDATION.as_bytes()).unwrap();
    assert_eq!(inv.id, "IDFDVBD632BHDS5");
    assert_eq!(inv.status, "InProgress");
    assert_eq!(
        inv.create_time.unwrap().to_rfc3339(),
        "2009-11-19T19:37:58+00:00"
    );
    assert_eq!(inv.caller_reference.as_deref(), Some("20120301090001"));
    assert_eq!(
        inv.paths,
        ["/image1.jpg", "/image2.jpg", "/videos/movie.flv"]
    );
    let o = wire::observation(&inv);
    assert_eq!(
        (o.state, o.raw_status.as_str()),
        (State::Pending, "InProgress")
    );
    assert_eq!(o.details[0].1, "/image1.jpg /image2.jpg /videos/movie.flv");

    let inv = wire::parse_invalidation(DOC_GET_INVALIDATION.as_bytes()).unwrap();
    assert_eq!(
        (inv.id.as_str(), inv.status.as_str()),
        ("I2J0I21PCUYOIK", "Completed")
    );
    assert_eq!(inv.paths, ["/example-path.html"]);
    assert_eq!(wire::observation(&inv).state, State::Succeeded);
}

#[test]
fn documented_list_parses_with_its_marker() {
    let page = wire::parse_list(DOC_LIST.as_bytes()).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].id, "I4CU23QAPKMUDUU06F9OFGFABC");
    assert_eq!(page.items[0].status, "InProgress");
    assert_eq!(page.next_marker.as_deref(), Some("I3CU23QAPKMUDUU06F9OFGF"));
    let last = DOC_LIST
        .replace("<IsTruncated>true", "<IsTruncated>false")
        .replace("<NextMarker>I3CU23QAPKMUDUU06F9OFGF</NextMarker>", "");
    assert_eq!(wire::parse_list(last.as_bytes()).unwrap().next_marker, None);
    let empty = r#"<InvalidationList><IsTruncated>false</IsTruncated><Marker/><MaxItems>100</MaxItems><Quantity>0</Quantity></InvalidationList>"#;
    assert!(wire::parse_list(empty.as_bytes()).unwrap().items.is_empty());
}

#[test]
fn documented_error_parses() {
    let e = wire::parse_error(DOC_ERROR.as_bytes()).unwrap();
    assert_eq!(e.kind.as_deref(), Some("Sender"));
    assert_eq!(e.code.as_deref(), Some("InvalidArgument"));
    assert_eq!(
        e.request_id.as_deref(),
        Some("22820705-e358-11e2-97fe-ff4fd86f3f1f")
    );
}

#[test]
fn malformed_answers_are_never_a_status() {
    let cut = &DOC_GET_INVALIDATION[..DOC_GET_INVALIDATION.len() / 2];
    let twice = DOC_GET_INVALIDATION.replace(
        "<Status>Completed</Status>",
        "<Status>InProgress</Status><Status>Completed</Status>",
    );
    let no_id = DOC_GET_INVALIDATION.replace("<Id>I2J0I21PCUYOIK</Id>", "");
    let empty_status = DOC_GET_INVALIDATION.replace("Completed", "");
    let other_ns = DOC_GET_INVALIDATION.replace("<Invalidation>", "<Invalidation xmlns=\"urn:x\">");
    let other_root = "<Distribution><Id>E1</Id><Status>Deployed</Status></Distribution>";
    let two_roots = format!("{DOC_GET_INVALIDATION}<Invalidation/>");
    let entity = DOC_GET_INVALIDATION.replace("Completed", "&bogus;");
    for bad in [
        cut,
        twice.as_str(),
        no_id.as_str(),
        empty_status.as_str(),
        other_ns.as_str(),
        other_root,
        two_roots.as_str(),
        entity.as_str(),
        "",
        "{\"Status\":\"Completed\"}",
        "Completed",
    ] {
        assert!(wire::parse_invalidation(bad.as_bytes()).is_err(), "{bad}");
    }
    let no_marker = DOC_LIST.replace("<NextMarker>I3CU23QAPKMUDUU06F9OFGF</NextMarker>", "");
    let odd_flag = DOC_LIST.replace("<IsTruncated>true", "<IsTruncated>yes");
    let no_flag = DOC_LIST.replace("<IsTruncated>true</IsTruncated>", "");
    let summary_twice = DOC_LIST.replace(
        "<Status>InProgress</Status>",
        "<Status>InProgress</Status><Status>Completed</Status>",
    );
    for bad in [no_marker, odd_flag, no_flag, summary_twice] {
        assert!(wire::parse_list(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn only_completed_is_success() {
    assert_eq!(wire::map_status("InProgress"), State::Pending);
    assert_eq!(wire::map_status("Completed"), State::Succeeded);
    for word in [
        "completed",
        "COMPLETED",
        "Complete",
        "Deployed",
        "Failed",
        "",
        " Completed",
    ] {
        assert_eq!(wire::map_status(word), State::Unrecognized, "{word:?}");
    }
}

#[test]
fn a_listing_succeeds_only_when_nothing_is_in_progress_or_unknown() {
    let o = super::in_progress_observation(5, &[], &[]);
    assert_eq!(o.state, State::Succeeded);
    let o = super::in_progress_observation(5, &["I1".into(), "I2".into()], &[]);
    assert_eq!(
        (o.state, o.raw_status.as_str()),
        (State::Pending, "InProgress")
    );
    assert!(o.message.unwrap().contains("2 of 5"));
    let o = super::in_progress_observation(5, &["I1".into()], &[("I9".into(), "Paused".into())]);
    assert_eq!(
        (o.state, o.raw_status.as_str()),
        (State::Unrecognized, "Paused")
    );
}

// ---------------------------------------------------------------------------------------
// Errors

fn resp(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
    let mut h = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Response {
        status,
        headers: h,
        body: body.as_bytes().to_vec(),
    }
}

fn error_body(code: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>m</Message></Error><RequestId>body-id</RequestId></ErrorResponse>",
        wire::XMLNS
    )
}

#[test]
fn every_documented_code_has_a_decision() {
    use ErrorKind::*;
    let d = Target::Distribution("EDFDVBD6EXAMPLE".into());
    for (code, kind) in [
        ("Throttling", Throttled),
        ("ServiceUnavailable", Transient),
        ("InternalFailure", Transient),
        ("TooManyInvalidationsInProgress", Busy),
        ("AccessDenied", Permission),
        ("NoSuchDistribution", NotFound),
        ("NoSuchInvalidation", NotFound),
        ("EntityNotFound", NotFound),
        ("SignatureDoesNotMatch", Auth),
        ("InvalidClientTokenId", Auth),
        ("ExpiredToken", Auth),
        ("IncompleteSignature", Auth),
        ("MissingAuthenticationToken", Auth),
        ("RequestTimeTooSkewed", ClockSkew),
        ("InvalidArgument", Invalid),
        ("InconsistentQuantities", Invalid),
        ("BatchTooLarge", Invalid),
        ("MissingBody", Invalid),
        ("InvalidationBatchAlreadyExists", Invalid),
    ] {
        let (k, hint) = wire::classify(code, &d, Call::Get).unwrap();
        assert_eq!(k, kind, "{code}");
        assert!(!hint.is_empty());
    }
    assert!(wire::classify("SomethingNew", &d, Call::Get).is_none());
}

#[test]
fn access_denied_names_the_iam_action_of_the_call() {
    let d = Target::Distribution("EDFDVBD6EXAMPLE".into());
    let t = Target::Tenant("dt_1".into());
    for (target, call, action) in [
        (&d, Call::Get, "cloudfront:GetInvalidation"),
        (&d, Call::List, "cloudfront:ListInvalidations"),
        (&d, Call::Create, "cloudfront:CreateInvalidation"),
        (
            &t,
            Call::Get,
            "cloudfront:GetInvalidationForDistributionTenant",
        ),
        (
            &t,
            Call::List,
            "cloudfront:ListInvalidationsForDistributionTenant",
        ),
        (
            &t,
            Call::Create,
            "cloudfront:CreateInvalidationForDistributionTenant",
        ),
    ] {
        let e = wire::api_error(&resp(403, &error_body("AccessDenied"), &[]), target, call);
        assert_eq!(e.kind, ErrorKind::Permission);
        assert!(e.to_string().contains(action), "{e}");
    }
}

#[test]
fn errors_carry_the_request_id_and_status_decides_unknown_codes() {
    let d = Target::Distribution("E1".into());
    let e = wire::api_error(
        &resp(
            404,
            &error_body("NoSuchInvalidation"),
            &[("x-amz-request-id", "hdr-id")],
        ),
        &d,
        Call::Get,
    );
    assert_eq!(e.request_id, Some(("x-amz-request-id", "hdr-id".into())));
    assert_eq!(e.code.as_deref(), Some("NoSuchInvalidation"));
    assert!(e.to_string().contains("x-amz-request-id: hdr-id"), "{e}");
    let e = wire::api_error(&resp(400, &error_body("Throttling"), &[]), &d, Call::Get);
    assert_eq!(e.request_id, Some(("x-amz-request-id", "body-id".into())));
    let e = wire::api_error(&resp(503, "<html>busy</html>", &[]), &d, Call::Get);
    assert_eq!(e.kind, ErrorKind::Transient);
    let e = wire::api_error(
        &resp(429, &error_body("Whatever"), &[("retry-after", "3")]),
        &d,
        Call::Get,
    );
    assert_eq!(
        (e.kind, e.retry_after),
        (ErrorKind::Throttled, Some(Duration::from_secs(3)))
    );
    let e = wire::api_error(&resp(500, &error_body("BrandNewFault"), &[]), &d, Call::Get);
    assert_eq!(e.kind, ErrorKind::Transient);
    let date = (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc2822();
    let e = wire::api_error(
        &resp(403, &error_body("RequestTimeTooSkewed"), &[("date", &date)]),
        &d,
        Call::Get,
    );
    assert_eq!(e.kind, ErrorKind::ClockSkew);
    assert!(e.to_string().contains("clock differs"), "{e}");
    assert!(wire::is_clock_skew("RequestTimeTooSkewed", ""));
    assert!(wire::is_clock_skew(
        "SignatureDoesNotMatch",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z"
    ));
    assert!(!wire::is_clock_skew(
        "SignatureDoesNotMatch",
        "does not match"
    ));
    assert!(wire::is_credential_refusal("ExpiredToken"));
    assert!(!wire::is_credential_refusal("AccessDenied"));
}

// ---------------------------------------------------------------------------------------
// Paths and the split

#[test]
fn paths_are_encoded_as_cloudfront_requires() {
    assert_eq!(wire::encode_path("/index.html"), "/index.html");
    assert_eq!(wire::encode_path("/img/*"), "/img/*");
    assert_eq!(wire::encode_path("/café.html"), "/caf%C3%A9.html");
    assert_eq!(
        wire::encode_path("/a b{c}|^[x]`\"<>#"),
        "/a%20b%7Bc%7D%7C%5E%5Bx%5D%60%22%3C%3E%23"
    );
    assert_eq!(
        wire::encode_path("/already%20encoded"),
        "/already%20encoded"
    );
    assert_eq!(wire::encode_path("/100%"), "/100%25");
    assert_eq!(
        wire::encode_path("/~user/p?lang=en&x=1"),
        "/~user/p?lang=en&x=1"
    );
}

#[test]
fn path_rules_before_any_request() {
    for ok in [
        "/",
        "/*",
        "/index.html",
        "/images/image*",
        "/img/*",
        "/a.jpg?x=1",
        "/日本.html",
    ] {
        assert_eq!(wire::path_problem(ok), None, "{ok}");
    }
    for bad in [
        "index.html",
        "https://d111111abcdef8.cloudfront.net/img/a.png",
        "/*/index.html",
        "/a*b",
        "**",
    ] {
        assert!(wire::path_problem(bad).is_some(), "{bad}");
    }
    let long = format!("/{}", "a".repeat(4000));
    assert!(wire::path_problem(&long).unwrap().contains("4000"));
    let long_encoded = format!("/{}", "é".repeat(700));
    assert!(
        wire::path_problem(&long_encoded).is_some(),
        "measured encoded"
    );
}

#[test]
fn the_batch_is_escaped_xml_with_quantity_and_reference() {
    let xml = wire::batch_xml("ref-<1>", &["/a?x=1&y=2".into(), "/b/*".into()]);
    assert!(xml.contains("<Quantity>2</Quantity>"));
    assert!(xml.contains("<Path>/a?x=1&amp;y=2</Path><Path>/b/*</Path>"));
    assert!(xml.contains("<CallerReference>ref-&lt;1&gt;</CallerReference>"));
    assert!(xml.contains(wire::XMLNS));
    let root = wire::parse_xml(xml.as_bytes()).unwrap();
    assert_eq!(root.name, "InvalidationBatch");
}

fn purge(paths: Vec<String>) -> PurgeRequest {
    PurgeRequest {
        paths,
        kind: PurgeKind::Auto,
    }
}

#[test]
fn purges_split_by_the_in_progress_limits() {
    let mut paths: Vec<String> = (0..20).map(|i| format!("/dir{i}/*")).collect();
    paths.extend((0..3500).map(|i| format!("/f{i}.html")));
    paths.push("/f1.html".into());
    paths.push("/caf%C3%A9".into());
    paths.push("/café".into());
    let calls = split_purge(&purge(paths));
    let count = |c: &PurgeRequest| {
        let w = c.paths.iter().filter(|p| p.ends_with('*')).count();
        (c.paths.len() - w, w)
    };
    assert_eq!(calls.len(), 2);
    assert_eq!(count(&calls[0]), (3000, 15));
    assert_eq!(count(&calls[1]), (501, 5), "duplicates (encoded) dropped");
    assert_eq!(split_purge(&purge(vec!["/*".into()])).len(), 1);
    let wild: Vec<String> = (0..31).map(|i| format!("/w{i}*")).collect();
    assert_eq!(split_purge(&purge(wild)).len(), 3);
}

#[test]
fn profiles_are_read_like_the_sdks() {
    let config = "[default]\nregion = eu-west-1\n\n[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/r\nweb_identity_token_file = /tmp/t ; comment\ns3 =\n  max_concurrent_requests = 2\n[sso-session x]\nsso_region = us-east-1\n[profilenot]\nx = 1\n";
    let ci = profile::section(config, "ci", true).unwrap();
    assert_eq!(
        ci[0],
        ("role_arn".into(), "arn:aws:iam::123456789012:role/r".into())
    );
    assert_eq!(ci[1], ("web_identity_token_file".into(), "/tmp/t".into()));
    assert!(!ci.iter().any(|(k, _)| k == "max_concurrent_requests"));
    assert!(profile::section(config, "default", true).is_some());
    assert!(
        profile::section(config, "x", true).is_none(),
        "sso-session is no profile"
    );
    assert!(profile::section(config, "not", true).is_none());
    let creds = "# keys\n[default]\naws_access_key_id = AKIA1\nAWS_Secret_Access_Key=s#ecret\n";
    let d = profile::section(creds, "default", false).unwrap();
    assert_eq!(d[1], ("aws_secret_access_key".into(), "s#ecret".into()));
    assert!(profile::section(creds, "ci", false).is_none());
}

// ---------------------------------------------------------------------------------------
// Inputs and the credential order

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config(args: &[&str], env: &HashMap<String, String>) -> Result<Config, ConfigError> {
    let mut all = vec!["purge-wait", "--provider", "aws-cloudfront"];
    all.extend_from_slice(args);
    let Action::Wait(raw) =
        crate::cli::parse(all, env, crate::provider::registry::table()).unwrap()
    else {
        panic!("not a wait")
    };
    Config::from_raw(&raw, env)
}

fn settings(c: &Config) -> &Settings {
    match c.provider.downcast_ref::<Settings>() {
        Some(s) => s,
        None => panic!("{:?}", c.provider),
    }
}

const KEYS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIAENVKEY0000000001"),
    ("AWS_SECRET_ACCESS_KEY", "env/secret"),
];

#[test]
fn defaults_and_ids() {
    let e = env(KEYS);
    let c = config(&["--distribution-id", "EDFDVBD6EXAMPLE"], &e).unwrap();
    assert_eq!(c.ids, [IN_PROGRESS]);
    let s = settings(&c);
    assert_eq!(s.endpoint.as_str(), "https://cloudfront.amazonaws.com/");
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.target, Target::Distribution("EDFDVBD6EXAMPLE".into()));
    let c = config(
        &["--distribution-id", "E1", "--operation-ids", "I1, I2\nI1"],
        &e,
    )
    .unwrap();
    assert_eq!(c.ids, ["I1", "I2"]);
    let c = config(
        &["--distribution-tenant-id", "dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB"],
        &e,
    )
    .unwrap();
    assert!(matches!(settings(&c).target, Target::Tenant(_)));
    let c = config(
        &["--distribution-id", "E1", "--aws-region", "cn-north-1"],
        &e,
    )
    .unwrap();
    let s = settings(&c);
    assert_eq!(
        s.endpoint.as_str(),
        "https://cloudfront.cn-northwest-1.amazonaws.com.cn/"
    );
    assert_eq!(s.region, "cn-northwest-1");
    let c = config(&["--distribution-id", "E1", "--paths", "/a /b/*"], &e).unwrap();
    assert!(c.ids.is_empty());
    assert_eq!(c.purge.unwrap().paths, ["/a", "/b/*"]);
    assert_eq!(
        Partition::China.sts(Some("cn-north-1")),
        "https://sts.cn-north-1.amazonaws.com.cn"
    );
    assert_eq!(Partition::Aws.sts(None), "https://sts.amazonaws.com");
}

#[test]
fn bad_inputs_name_the_input() {
    let e = env(KEYS);
    for (args, input) in [
        (&[][..], "distribution-id"),
        (
            &["--distribution-id", "d111111abcdef8.cloudfront.net"][..],
            "distribution-id",
        ),
        (
            &[
                "--distribution-id",
                "E1",
                "--distribution-tenant-id",
                "dt_1",
            ][..],
            "distribution-tenant-id",
        ),
        (
            &["--distribution-tenant-id", "dt 1"][..],
            "distribution-tenant-id",
        ),
        (
            &["--distribution-id", "E1", "--operation-ids", "I-1"][..],
            "operation-ids",
        ),
        (
            &["--distribution-id", "E1", "--operation-ids", " , "][..],
            "operation-ids",
        ),
        (
            &["--distribution-id", "E1", "--operation-ids", "in-progress"][..],
            "operation-ids",
        ),
        (
            &["--distribution-id", "E1", "--aws-region", "Europe"][..],
            "aws-region",
        ),
        (
            &["--distribution-id", "E1", "--aws-region", "us-gov-west-1"][..],
            "aws-region",
        ),
        (
            &["--distribution-id", "E1", "--paths", "index.html"][..],
            "paths",
        ),
        (&["--distribution-id", "E1", "--paths", "/a*b"][..], "paths"),
        (
            &[
                "--distribution-id",
                "E1",
                "--paths",
                "/a",
                "--purge-type",
                "directory",
            ][..],
            "purge-type",
        ),
        (
            &["--distribution-id", "E1", "--caller-reference", "has space"][..],
            "caller-reference",
        ),
        (
            &["--distribution-id", "E1", "--endpoint", "ftp://x"][..],
            "endpoint",
        ),
        (
            &["--distribution-id", "E1", "--role-to-assume", "role/x"][..],
            "role-to-assume",
        ),
    ] {
        let err = config(args, &e).unwrap_err();
        assert_eq!(err.input, Some(input), "{args:?}: {err}");
    }
}

fn source(args: &[&str], pairs: &[(&str, &str)]) -> Result<Source, ConfigError> {
    let mut all = vec!["--distribution-id", "E1"];
    all.extend_from_slice(args);
    config(&all, &env(pairs)).map(|c| settings(&c).credentials.clone())
}

#[test]
fn credentials_follow_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "jwt").unwrap();
    let token = token.to_str().unwrap();
    const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
    let gh = [
        ("GITHUB_ACTIONS", "true"),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://token.actions.example/x?api-version=2.0",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
    ];
    // Explicit keys beat an explicit role and the environment.
    let s = source(
        &[
            "--aws-access-key-id",
            "AKIAINPUT",
            "--aws-secret-access-key",
            "s",
            "--role-to-assume",
            ROLE,
        ],
        KEYS,
    )
    .unwrap();
    assert!(matches!(&s, Source::Static { keys, .. } if keys.access_key_id == "AKIAINPUT"));
    // An explicit role beats keys in the environment; GitHub's token when there is no file.
    let mut pairs = KEYS.to_vec();
    pairs.extend_from_slice(&gh);
    let s = source(&["--role-to-assume", ROLE], &pairs).unwrap();
    let Source::WebIdentity(w) = s else { panic!() };
    assert!(
        matches!(&w.token, TokenSource::GithubActions { audience, .. } if audience == "sts.amazonaws.com")
    );
    assert_eq!(w.sts_endpoint.as_str(), "https://sts.amazonaws.com/");
    assert_eq!(w.session_name, "purge-wait");
    // Keys in the environment beat AWS_ROLE_ARN.
    let mut pairs = KEYS.to_vec();
    pairs.extend_from_slice(&[
        ("AWS_ROLE_ARN", ROLE),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token),
    ]);
    assert!(matches!(
        source(&[], &pairs).unwrap(),
        Source::Static { .. }
    ));
    // AWS_ROLE_ARN with a token file, a regional STS, the SDK's session name variable.
    let s = source(
        &[],
        &[
            ("AWS_ROLE_ARN", ROLE),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ROLE_SESSION_NAME", "gitlab-42"),
        ],
    )
    .unwrap();
    let Source::WebIdentity(w) = s else { panic!() };
    assert!(matches!(w.token, TokenSource::File(_)));
    assert_eq!(
        w.sts_endpoint.as_str(),
        "https://sts.eu-west-1.amazonaws.com/"
    );
    assert_eq!(w.session_name, "gitlab-42");
    // Another cloud's session-name variable never names CloudFront's session.
    let s = source(
        &[],
        &[
            ("AWS_ROLE_ARN", ROLE),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token),
            ("ALIBABA_CLOUD_ROLE_SESSION_NAME", "alibaba-session"),
        ],
    )
    .unwrap();
    let Source::WebIdentity(w) = s else { panic!() };
    assert_eq!(w.session_name, "purge-wait");
    // A profile of the shared files (credentials file wins) beats AWS_ROLE_ARN.
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile ci]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = c\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[ci]\naws_access_key_id = AKIACREDS\naws_secret_access_key = k\n",
    )
    .unwrap();
    let home = home.to_str().unwrap();
    let s = source(
        &[],
        &[
            ("HOME", home),
            ("AWS_PROFILE", "ci"),
            ("AWS_ROLE_ARN", ROLE),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token),
        ],
    )
    .unwrap();
    assert!(
        matches!(&s, Source::Static { keys, .. } if keys.access_key_id == "AKIACREDS"),
        "{s:?}"
    );
    // No default profile: the chain goes on to the container, then IMDS.
    let s = source(
        &[],
        &[
            ("HOME", home),
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/x",
            ),
        ],
    )
    .unwrap();
    assert!(
        matches!(&s, Source::Container(c) if c.url.as_str() == "http://169.254.170.2/v2/credentials/x")
    );
    let s = source(&[], &[("HOME", home)]).unwrap();
    assert!(
        matches!(&s, Source::Imds { endpoint } if endpoint.as_str() == "http://169.254.169.254/")
    );
}

#[test]
fn credential_problems_are_refused_before_any_request() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
    for (args, pairs, input) in [
        (
            &["--aws-session-token", "t"][..],
            &[][..],
            "aws-session-token",
        ),
        (
            &["--aws-access-key-id", "AKIA1"][..],
            &[][..],
            "aws-secret-access-key",
        ),
        (
            &["--aws-secret-access-key", "s"][..],
            &[][..],
            "aws-access-key-id",
        ),
        (
            &["--role-to-assume", ROLE][..],
            &[("GITHUB_ACTIONS", "true")][..],
            "web-identity-token-file",
        ),
        (
            &[
                "--role-to-assume",
                ROLE,
                "--web-identity-token-file",
                "/nonexistent",
            ][..],
            &[][..],
            "web-identity-token-file",
        ),
        (
            &["--web-identity-token-file", "/nonexistent"][..],
            &[][..],
            "role-to-assume",
        ),
        (
            &["--aws-profile", "nope"][..],
            &[("HOME", "/nonexistent")][..],
            "aws-profile",
        ),
        (
            &["--role-to-assume", ROLE, "--role-session-name", "x"][..],
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://t/x"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t"),
            ][..],
            "role-session-name",
        ),
        (
            &[][..],
            &[
                ("RUNNER_ENVIRONMENT", "github-hosted"),
                ("GITHUB_ACTIONS", "true"),
            ][..],
            "aws-access-key-id",
        ),
        (
            &[][..],
            &[("AWS_EC2_METADATA_DISABLED", "true")][..],
            "aws-access-key-id",
        ),
        (
            &[][..],
            &[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://example.com/creds",
            )][..],
            "aws-access-key-id",
        ),
        (
            &["--role-to-assume", ROLE][..],
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://example.com/x"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t"),
            ][..],
            "web-identity-token-file",
        ),
    ] {
        let err = source(args, pairs).unwrap_err();
        assert_eq!(err.input, Some(input), "{args:?} {pairs:?}: {err}");
    }
    let err = source(
        &[],
        &[
            ("RUNNER_ENVIRONMENT", "github-hosted"),
            ("GITHUB_ACTIONS", "true"),
        ],
    )
    .unwrap_err();
    assert!(err.message.contains("id-token: write"), "{err}");
}

#[test]
fn unsupported_profiles_say_how_to_export_their_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(&file, "[profile sso]\nsso_session = corp\n[profile chain]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = sso\n").unwrap();
    let f = file.to_str().unwrap();
    for p in ["sso", "chain"] {
        let err = source(&["--aws-profile", p], &[("AWS_CONFIG_FILE", f)]).unwrap_err();
        assert!(err.message.contains("export-credentials"), "{err}");
    }
}

fn base(pairs: &[(&str, &str)]) -> String {
    let mut all = KEYS.to_vec();
    all.extend_from_slice(pairs);
    let c = config(&["--distribution-id", "E1", "--paths", "/a"], &env(&all)).unwrap();
    settings(&c).caller_reference.clone()
}

#[test]
fn the_caller_reference_is_the_same_for_a_step_run_again_and_new_otherwise() {
    let step = [
        ("GITHUB_RUN_ID", "9876543210"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_JOB", "deploy"),
        ("GITHUB_ACTION", "__purge-wait_purge-wait"),
        ("GITHUB_REPOSITORY", "o/r"),
    ];
    let first = base(&step);
    assert!(first.starts_with("purge-wait-gh-9876543210-"), "{first}");
    assert_eq!(base(&step), first, "the same step, run again");
    let mut attempt = step;
    attempt[1].1 = "2";
    assert_ne!(
        base(&attempt),
        first,
        "a re-run attempt is a new invalidation"
    );
    let mut other_step = step;
    other_step[3].1 = "__purge-wait_purge-wait_2";
    assert_ne!(base(&other_step), first, "another step of the job");
    assert!(base(&[("CI_JOB_ID", "42")]).starts_with("purge-wait-gl-42-"));
    assert_ne!(base(&[]), base(&[]), "outside CI: unique to the process");
    assert_eq!(
        base(&[("PURGE_WAIT_CALLER_REFERENCE", "release-7")]),
        "release-7"
    );
}

#[test]
fn each_call_has_its_own_reference_from_its_paths() {
    let c = config(
        &["--distribution-id", "E1", "--caller-reference", "base"],
        &env(KEYS),
    )
    .unwrap();
    let p = AwsCloudFront::new(
        settings(&c).clone(),
        reqwest::Client::new(),
        crate::secret::Redactor::default(),
    );
    let a = p.caller_reference(&["/a".into()]);
    assert!(
        a.starts_with("base-") && a.len() == "base-".len() + 16,
        "{a}"
    );
    assert_eq!(a, p.caller_reference(&["/a".into()]));
    assert_ne!(a, p.caller_reference(&["/b".into()]));
    let notes = p.purge_notes(&purge(vec!["/a".into(), "/b/*".into()]));
    assert!(
        notes[0].contains("2 invalidation paths") && notes[0].contains("1000"),
        "{notes:?}"
    );
    assert!(p.submit_is_idempotent());
}

#[test]
fn urls_follow_the_target() {
    let e = env(KEYS);
    let c = config(
        &[
            "--distribution-id",
            "E1",
            "--endpoint",
            "http://127.0.0.1:9/base/",
        ],
        &e,
    )
    .unwrap();
    let p = AwsCloudFront::new(
        settings(&c).clone(),
        reqwest::Client::new(),
        Default::default(),
    );
    assert_eq!(
        p.url(Some("I1")).as_str(),
        "http://127.0.0.1:9/base/2020-05-31/distribution/E1/invalidation/I1"
    );
    let c = config(&["--distribution-tenant-id", "dt_1"], &e).unwrap();
    let p = AwsCloudFront::new(
        settings(&c).clone(),
        reqwest::Client::new(),
        Default::default(),
    );
    assert_eq!(
        p.url(None).as_str(),
        "https://cloudfront.amazonaws.com/2020-05-31/distribution-tenant/dt_1/invalidation"
    );
}

#[test]
fn invalidation_ids_are_uppercase_letters_and_digits() {
    assert!(wire::is_invalidation_id("I2J0I21PCUYOIK"));
    assert!(wire::is_invalidation_id("IDFDVBD632BHDS5"));
    for bad in [
        "",
        "i2j0",
        "I2J0\n::error::x",
        "I2J0 I21",
        "I2J0,I21",
        &"A".repeat(65),
    ] {
        assert!(!wire::is_invalidation_id(bad), "{bad:?}");
    }
}
