//! Unit tests of the Tencent client: the envelope, the error table, the purge splits and
//! checks, and the client against a mock server (headers, signature, paging, folding,
//! re-signing, FailedList).

use reqwest::header::HeaderMap;
use url::Url;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::cdn::{self, FlushType};
use super::credentials::{Keys, Source};
use super::*;
use crate::provider::{PurgeKind, PurgeRequest, State};
use crate::secret::Secret;

fn resp(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    task_id: Option<String>,
}

#[test]
fn the_envelope_is_read_strictly() {
    let (c, id) = read::<Created>(
        &resp(200, r#"{"Response":{"TaskId":"t-1","RequestId":"r-1"}}"#),
        "PurgeUrlsCache",
    )
    .unwrap();
    assert_eq!(c.task_id.as_deref(), Some("t-1"));
    assert_eq!(id.as_deref(), Some("r-1"));
    for body in [
        "",
        "   ",
        "[]",
        "null",
        "{",
        "{}",
        r#"{"TaskId":"t-1"}"#,
        r#"{"Response":{"TaskId":"t-1","TaskId":"t-2"}}"#,
        r#"{"Response":{"TaskId":"t-1"},"Response":{"TaskId":"t-2"}}"#,
        r#"{"Response":{"TaskId":"t-1","RequestId":"a","RequestId":"b"}}"#,
    ] {
        let e = read::<Created>(&resp(200, body), "PurgeUrlsCache").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed, "{body:?}: {e}");
    }
    let e = read::<Created>(&resp(502, "<html>bad gateway</html>"), "X").unwrap_err();
    assert_eq!((e.kind, e.http_status), (ErrorKind::Transient, Some(502)));
}

#[test]
fn api_errors_carry_code_message_and_request_id() {
    let body = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"ed93f3cb"}}"#;
    let e = read::<Created>(&resp(200, body), "PurgeUrlsCache").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert_eq!(e.code.as_deref(), Some("AuthFailure.SignatureFailure"));
    assert_eq!(e.request_id, Some(("RequestId", "ed93f3cb".into())));
    assert_eq!(e.http_status, None, "API errors come with HTTP 200");
    let text = e.to_string();
    assert!(
        text.starts_with("AuthFailure.SignatureFailure: The provided credentials could not be validated. (RequestId: ed93f3cb). Check secret-id and secret-key"),
        "{text}"
    );
    // An error beside success fields is still an error.
    let body = r#"{"Response":{"TaskId":"t","Error":{"Code":"InternalError","Message":"x"}}}"#;
    assert_eq!(
        read::<Created>(&resp(200, body), "X").unwrap_err().kind,
        ErrorKind::Transient
    );
}

#[test]
fn error_codes_are_classified() {
    use ErrorKind::*;
    for (code, kind) in [
        ("RequestLimitExceeded", Throttled),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            Throttled,
        ),
        ("UnauthorizedOperation.OperationTooOften", Throttled),
        ("InternalError", Transient),
        ("InternalError.CdnSystemError", Transient),
        ("AuthFailure.SignatureFailure", Auth),
        ("AuthFailure.SecretIdNotFound", Auth),
        ("AuthFailure.InvalidSecretId", Auth),
        ("AuthFailure.TokenFailure", Auth),
        ("AuthFailure.SignatureExpire", ClockSkew),
        ("AuthFailure.UnauthorizedOperation", Permission),
        ("UnauthorizedOperation.CdnCamUnauthorized", Permission),
        ("UnauthorizedOperation.CamUnauthorized", Permission),
        ("UnauthorizedOperation", Permission),
        ("OperationDenied", Permission),
        ("LimitExceeded.CdnPurgeUrlExceedDayLimit", Invalid),
        ("LimitExceeded.CdnPurgePathExceedBatchLimit", Invalid),
        ("LimitExceeded.DailyQuota", Invalid),
        ("ResourceNotFound.CdnHostNotExists", NotFound),
        ("InvalidParameter.CdnParamError", Invalid),
        ("InvalidParameter.ParameterError", Invalid),
        ("MissingParameter", Invalid),
        ("SomethingNew", Invalid),
    ] {
        assert_eq!(classify(code).0, kind, "{code}");
    }
    assert!(
        classify("LimitExceeded.CdnPurgeUrlExceedDayLimit")
            .1
            .contains("10,000 URLs")
    );
}

#[test]
fn entries_fold_to_one_state_never_success_on_an_unknown_word() {
    use State::*;
    assert_eq!(fold(&[Succeeded, Succeeded]), Some(Succeeded));
    assert_eq!(fold(&[Succeeded, Failed]), Some(Failed));
    assert_eq!(fold(&[Failed, Pending]), Some(Pending));
    assert_eq!(fold(&[Succeeded, Unrecognized, Failed]), Some(Unrecognized));
    assert_eq!(fold(&[Cancelled, Succeeded]), Some(Cancelled));
    assert_eq!(fold(&[]), None);
    assert_eq!(cdn::map_status("done"), Succeeded);
    assert_eq!(cdn::map_status("fail"), Failed);
    assert_eq!(cdn::map_status("process"), Pending);
    assert_eq!(cdn::map_status("DONE"), Unrecognized);
    assert_eq!(edgeone::map_status("success"), Succeeded);
    assert_eq!(edgeone::map_status("timeout"), Failed);
    assert_eq!(edgeone::map_status("failed"), Failed);
    assert_eq!(edgeone::map_status("canceled"), Cancelled);
    assert_eq!(edgeone::map_status("processing"), Pending);
    assert_eq!(edgeone::map_status("succeeded"), Unrecognized);
}

fn purge(paths: &[&str], kind: PurgeKind) -> PurgeRequest {
    PurgeRequest {
        paths: paths.iter().map(|p| p.to_string()).collect(),
        kind,
    }
}

#[test]
fn cdn_purges_split_by_kind_within_the_per_call_limits() {
    let mut paths: Vec<String> = (0..2500)
        .map(|i| format!("https://a.example/{i}.png"))
        .collect();
    paths.extend((0..45).map(|i| format!("https://a.example/d{i}/")));
    let calls = cdn::split_purge(&PurgeRequest {
        paths,
        kind: PurgeKind::Auto,
    });
    let shape: Vec<(PurgeKind, usize)> = calls.iter().map(|c| (c.kind, c.paths.len())).collect();
    assert_eq!(
        shape,
        [
            (PurgeKind::File, 1000),
            (PurgeKind::File, 1000),
            (PurgeKind::File, 500),
            (PurgeKind::Directory, 20),
            (PurgeKind::Directory, 20),
            (PurgeKind::Directory, 5),
        ]
    );
    let (action, body) = cdn::purge_body(&calls[3], FlushType::Flush);
    assert_eq!(action, "PurgePathCache");
    assert_eq!(body["FlushType"], "flush");
    assert_eq!(body["Paths"][0], "https://a.example/d0/");
    let (action, body) = cdn::purge_body(&calls[0], FlushType::Delete);
    assert_eq!(action, "PurgeUrlsCache");
    assert!(body.get("FlushType").is_none());
    assert_eq!(
        cdn::purge_body(
            &purge(&["https://a/d/"], PurgeKind::Directory),
            FlushType::Delete
        )
        .1["FlushType"],
        "delete"
    );
}

#[test]
fn cdn_paths_are_checked_before_any_request() {
    assert!(
        cdn::check_purge(&purge(
            &["https://a.example/x.png", "http://a.example/img/"],
            PurgeKind::Auto
        ))
        .is_ok()
    );
    for (path, kind, needle) in [
        ("/x.png", PurgeKind::Auto, "not a full URL"),
        ("ftp://a/x", PurgeKind::Auto, "not a full URL"),
        ("https://*.example/x", PurgeKind::Auto, "wildcard"),
        ("https://a.example/x#y", PurgeKind::Auto, "fragment"),
        (
            "https://a.example/img",
            PurgeKind::Directory,
            "does not end in /",
        ),
        (
            "https://a.example/x",
            PurgeKind::Regex,
            "auto, file or directory",
        ),
        ("a.example", PurgeKind::Host, "auto, file or directory"),
    ] {
        let e = cdn::check_purge(&purge(&[path], kind)).unwrap_err();
        assert!(e.contains(needle), "{path}: {e}");
    }
    let many: Vec<String> = (0..=cdn::DAILY_URLS)
        .map(|i| format!("https://a/{i}"))
        .collect();
    let e = cdn::check_purge(&PurgeRequest {
        paths: many,
        kind: PurgeKind::File,
    })
    .unwrap_err();
    assert!(e.contains("10000"), "{e}");
    let dirs: Vec<String> = (0..=cdn::DAILY_DIRECTORIES)
        .map(|i| format!("https://a/{i}/"))
        .collect();
    let e = cdn::check_purge(&PurgeRequest {
        paths: dirs,
        kind: PurgeKind::Auto,
    })
    .unwrap_err();
    assert!(e.contains("101 directories"), "{e}");
}

#[test]
fn edgeone_purges_take_one_type_per_call() {
    let calls = edgeone::split_purge(&purge(
        &["https://a/x.png", "https://a/img/", "https://a/y.png"],
        PurgeKind::Auto,
    ));
    assert_eq!(calls.len(), 2);
    let b = edgeone::purge_body("zone-1", &calls[0], FlushType::Flush, &[]);
    assert_eq!(
        b,
        serde_json::json!({"ZoneId":"zone-1","Type":"purge_url","Targets":["https://a/x.png","https://a/y.png"]})
    );
    let b = edgeone::purge_body("zone-1", &calls[1], FlushType::Delete, &[]);
    assert_eq!(
        b,
        serde_json::json!({"ZoneId":"zone-1","Type":"purge_prefix","Targets":["https://a/img/"],"Method":"delete"})
    );
    let b = edgeone::purge_body(
        "zone-1",
        &purge(&["*"], PurgeKind::All),
        FlushType::Flush,
        &[],
    );
    assert_eq!(b, serde_json::json!({"ZoneId":"zone-1","Type":"purge_all"}));
    let b = edgeone::purge_body(
        "zone-1",
        &purge(&["tag-a"], PurgeKind::CacheTag),
        FlushType::Flush,
        &["www.example.com".into()],
    );
    assert_eq!(b["CacheTag"]["Domains"][0], "www.example.com");
    assert_eq!(b["Type"], "purge_cache_tag");
    let b = edgeone::purge_body(
        "zone-1",
        &purge(&["www.a.com"], PurgeKind::Host),
        FlushType::Flush,
        &[],
    );
    assert_eq!(b["Type"], "purge_host");
    assert!(edgeone::check_purge(&purge(&["a", "b"], PurgeKind::All)).is_err());
    assert!(edgeone::check_purge(&purge(&["*"], PurgeKind::All)).is_ok());
    assert!(edgeone::check_purge(&purge(&["https://a/x"], PurgeKind::Host)).is_err());
    assert!(edgeone::check_purge(&purge(&["https://a/.*"], PurgeKind::Regex)).is_err());
    assert!(edgeone::check_purge(&purge(&["/x"], PurgeKind::Auto)).is_err());
    let many: Vec<String> = (0..edgeone::MAX_TARGETS_PER_CALL * 2 + 1)
        .map(|i| format!("https://a/{i}"))
        .collect();
    let calls = edgeone::split_purge(&PurgeRequest {
        paths: many,
        kind: PurgeKind::File,
    });
    assert_eq!(calls.len(), 3);
}

const ID: &str = "AKIDunittest000000000000000000000000";
const KEY: &str = "unit-test-secret-key-0000000000";

fn client(server: &MockServer, product: Product) -> Tencent {
    Tencent::new(
        Settings {
            product,
            endpoint: Url::parse(&server.uri()).unwrap(),
            credentials: Source::Static(Keys {
                secret_id: ID.into(),
                secret_key: Secret::new(KEY),
                token: Some(Secret::new("unit-session-token")),
            }),
            zone_id: Some("zone-2o0l8g7zisgt".into()),
            flush_type: FlushType::Flush,
            cache_tag_domains: Vec::new(),
        },
        reqwest::Client::new(),
        Redactor::default(),
    )
}

/// Checks a request as the service would: the headers, and the signature recomputed.
fn check_signed(req: &Request, service: &str, action: &str) {
    let h = |n: &str| {
        req.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(h("x-tc-action"), action);
    assert_eq!(h("content-type"), "application/json");
    assert_eq!(h("x-tc-token"), "unit-session-token");
    let ts: i64 = h("x-tc-timestamp").parse().unwrap();
    let host = h("host");
    let want = sign::authorization(
        sign::Key {
            secret_id: ID,
            secret_key: KEY,
        },
        service,
        ts,
        &sign::Signable {
            host: &host,
            content_type: "application/json",
            extra: &[],
            body: &req.body,
        },
    );
    assert_eq!(h("authorization"), want);
}

#[tokio::test]
async fn cdn_status_pages_until_the_total_and_names_the_failed_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(move |req: &Request| {
            check_signed(req, "cdn", "DescribePurgeTasks");
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(body["TaskId"], "t-1");
            assert_eq!(body["Limit"], PAGE_SIZE);
            let offset = body["Offset"].as_u64().unwrap() as usize;
            let logs: Vec<serde_json::Value> = (offset..(offset + PAGE_SIZE).min(150))
                .map(|i| {
                    let status = if i == 120 { "fail" } else { "done" };
                    serde_json::json!({"TaskId":"t-1","Url":format!("https://a/{i}"),"Status":status,"CreateTime":"2018-07-30 18:10:53"})
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"Response":{"PurgeLogs":logs,"TotalCount":150,"RequestId":"r"}}))
        })
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server, Product::Cdn);
    let obs = c.poll(&["t-1".into()]).await.unwrap();
    assert_eq!(obs[0].state, State::Failed);
    assert_eq!(obs[0].raw_status, "fail");
    assert_eq!(
        obs[0].message.as_deref(),
        Some("the purge of https://a/120 failed")
    );
    assert_eq!(
        obs[0].details,
        [("Url".to_string(), "https://a/120".to_string())]
    );
    assert_eq!(
        obs[0].started_at.unwrap().to_rfc3339(),
        "2018-07-30T10:10:53+00:00",
        "UTC+8"
    );
}

#[tokio::test]
async fn cdn_answers_about_another_task_or_with_an_unknown_word_are_never_success() {
    for (logs, total, want) in [
        (
            r#"[{"TaskId":"t-2","Url":"u","Status":"done"}]"#,
            1,
            Err(ErrorKind::Malformed),
        ),
        (
            r#"[{"TaskId":"t-1","Url":"u","Status":"done"},{"TaskId":"t-1","Url":"v","Status":"finished"}]"#,
            2,
            Ok(State::Unrecognized),
        ),
        (
            r#"[{"TaskId":"t-1","Url":"u","Status":"done"},{"TaskId":"t-1","Url":"v","Status":"process"}]"#,
            2,
            Ok(State::Pending),
        ),
        (
            r#"[{"TaskId":"t-1","Url":"u"}]"#,
            1,
            Err(ErrorKind::Malformed),
        ),
        (
            r#"[{"TaskId":"t-1","Url":"u","Status":"done"}]"#,
            3,
            Err(ErrorKind::Malformed),
        ),
        ("[]", 0, Err(ErrorKind::NotFound)),
    ] {
        let server = MockServer::start().await;
        let body = format!(
            r#"{{"Response":{{"PurgeLogs":{logs},"TotalCount":{total},"RequestId":"r"}}}}"#
        );
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let got = client(&server, Product::Cdn)
            .poll(&["t-1".into()])
            .await
            .map(|o| o[0].state.clone())
            .map_err(|e| e.kind);
        assert_eq!(got, want, "{logs}");
    }
}

#[tokio::test]
async fn a_refused_timestamp_is_signed_afresh_once_then_the_clock_skew_hint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"expired"},"RequestId":"r-9"}}"#,
        ))
        .expect(2)
        .mount(&server)
        .await;
    let e = client(&server, Product::Cdn)
        .poll(&["t-1".into()])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ClockSkew);
    assert!(e.to_string().contains("sync it (NTP)"), "{e}");
    assert_eq!(e.request_id, Some(("RequestId", "r-9".into())));
}

#[tokio::test]
async fn cdn_purge_returns_the_task_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-tc-action", "PurgePathCache"))
        .and(header("x-tc-version", "2018-06-06"))
        .respond_with(|req: &Request| {
            check_signed(req, "cdn", "PurgePathCache");
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(
                body,
                serde_json::json!({"Paths":["https://a/img/"],"FlushType":"flush"})
            );
            ResponseTemplate::new(200)
                .set_body_string(r#"{"Response":{"TaskId":"1533045796-i60rfmzm","RequestId":"r"}}"#)
        })
        .mount(&server)
        .await;
    let c = client(&server, Product::Cdn);
    let calls = c.split_purge(&purge(&["https://a/img/"], PurgeKind::Auto));
    assert_eq!(c.submit(&calls[0]).await.unwrap(), ["1533045796-i60rfmzm"]);
}

#[tokio::test]
async fn hostile_task_ids_are_refused() {
    for (body, code) in [
        (
            r#"{"Response":{"TaskId":"t\n::error::x"}}"#,
            "MalformedTaskId",
        ),
        (r#"{"Response":{"TaskId":"a/b"}}"#, "MalformedTaskId"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let c = client(&server, Product::Cdn);
        let e = c
            .submit(&purge(&["https://a/x"], PurgeKind::File))
            .await
            .unwrap_err();
        assert_eq!(e.code.as_deref(), Some(code), "{body}");
        assert!(!e.to_string().contains('\n'));
    }
}

#[tokio::test]
async fn edgeone_failed_list_targets_are_failures_of_the_job() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-tc-action", "CreatePurgeTask"))
        .respond_with(|req: &Request| {
            check_signed(req, "teo", "CreatePurgeTask");
            ResponseTemplate::new(200).set_body_string(
                r#"{"Response":{"JobId":"20ga521cpwck","FailedList":[{"Reason":"not a domain of the zone","Targets":["https://b.example/img/"]}],"RequestId":"r"}}"#,
            )
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-tc-action", "DescribePurgeTasks"))
        .respond_with(|req: &Request| {
            check_signed(req, "teo", "DescribePurgeTasks");
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(body["ZoneId"], "zone-2o0l8g7zisgt");
            assert_eq!(body["Filters"], serde_json::json!([{"Name":"job-id","Values":["20ga521cpwck"]}]));
            ResponseTemplate::new(200).set_body_string(
                r#"{"Response":{"Tasks":[{"JobId":"20ga521cpwck","Target":"https://a.example/img/","Type":"purge_prefix","Status":"success","CreateTime":"2022-02-09T02:28:43Z","UpdateTime":"2022-02-09T02:28:52Z"}],"TotalCount":1,"RequestId":"r"}}"#,
            )
        })
        .mount(&server)
        .await;
    let c = client(&server, Product::EdgeOne);
    let ids = c
        .submit(&purge(
            &["https://a.example/img/", "https://b.example/img/"],
            PurgeKind::Directory,
        ))
        .await
        .unwrap();
    assert_eq!(ids, ["20ga521cpwck"]);
    let obs = c.poll(&ids).await.unwrap();
    assert_eq!(obs[0].state, State::Failed);
    let message = obs[0].message.as_deref().unwrap();
    assert!(
        message.contains(
            "https://b.example/img/: refused by CreatePurgeTask (not a domain of the zone)"
        ),
        "{message}"
    );
    assert_eq!(
        obs[0].finished_at.unwrap().to_rfc3339(),
        "2022-02-09T02:28:52+00:00"
    );
}

#[tokio::test]
async fn edgeone_failures_carry_fail_type_and_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"Response":{"Tasks":[{"JobId":"j1","Target":"https://a/x","Status":"timeout","FailType":"originPullFailed","FailMessage":"origin 502"}],"TotalCount":1,"RequestId":"r"}}"#,
        ))
        .mount(&server)
        .await;
    let obs = client(&server, Product::EdgeOne)
        .poll(&["j1".into()])
        .await
        .unwrap();
    assert_eq!(obs[0].state, State::Failed);
    assert_eq!(
        obs[0].message.as_deref(),
        Some("the purge of https://a/x: timeout (originPullFailed: origin 502)")
    );
}

#[tokio::test]
async fn a_refused_sts_token_is_renewed_once_then_the_call_succeeds() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = MockServer::start().await;
    let exchanges = Arc::new(AtomicUsize::new(0));
    let n = exchanges.clone();
    Mock::given(method("POST"))
        .and(header("x-tc-action", "AssumeRoleWithWebIdentity"))
        .and(header("authorization", "SKIP"))
        .and(header("x-tc-region", "ap-guangzhou"))
        .respond_with(move |_: &Request| {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            let body = serde_json::json!({"Response": {
                "Credentials": {"Token": format!("sts-token-{i}"), "TmpSecretId": format!("AKIDtmp{i}"), "TmpSecretKey": format!("tmp-key-{i}")},
                "ExpiredTime": credentials::unix_now() + 3600,
                "RequestId": "sts"}});
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-tc-action", "DescribePurgeTasks"))
        .respond_with(|req: &Request| {
            let token = req.headers.get("x-tc-token").and_then(|v| v.to_str().ok());
            let body = if token == Some("sts-token-1") {
                r#"{"Response":{"Error":{"Code":"AuthFailure.TokenFailure","Message":"token expired"},"RequestId":"r"}}"#
            } else {
                r#"{"Response":{"PurgeLogs":[{"TaskId":"t-1","Url":"u","Status":"done"}],"TotalCount":1,"RequestId":"r"}}"#
            };
            ResponseTemplate::new(200).set_body_string(body)
        })
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "eyJ.oidc.token").unwrap();
    let redactor = Redactor::default();
    let c = Tencent::new(
        Settings {
            product: Product::Cdn,
            endpoint: Url::parse(&server.uri()).unwrap(),
            credentials: Source::Oidc(Box::new(credentials::OidcRole {
                role_arn: "qcs::cam::uin/1:roleName/r".into(),
                provider_id: "github".into(),
                session_name: "purge-wait".into(),
                sts_endpoint: Url::parse(&server.uri()).unwrap(),
                region: "ap-guangzhou".into(),
                token: credentials::TokenSource::File(file),
            })),
            zone_id: None,
            flush_type: FlushType::Flush,
            cache_tag_domains: Vec::new(),
        },
        reqwest::Client::new(),
        redactor.clone(),
    );
    let obs = c.poll(&["t-1".into()]).await.unwrap();
    assert_eq!(obs[0].state, State::Succeeded);
    assert_eq!(exchanges.load(Ordering::SeqCst), 2, "renewed exactly once");
    assert_eq!(
        redactor.clean("eyJ.oidc.token sts-token-1 tmp-key-2"),
        "*** *** ***"
    );
}

/// A mock answering `create` to the purge action and the `pages` in turn (the last one
/// again) to DescribePurgeTasks.
async fn scripted(create: &'static str, pages: Vec<&'static str>) -> MockServer {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = MockServer::start().await;
    let n = AtomicUsize::new(0);
    Mock::given(method("POST"))
        .respond_with(move |req: &Request| {
            let action = req.headers.get("x-tc-action").unwrap().to_str().unwrap();
            let body = if action == "DescribePurgeTasks" {
                let i = n.fetch_add(1, Ordering::SeqCst).min(pages.len() - 1);
                pages[i]
            } else {
                create
            };
            ResponseTemplate::new(200).set_body_string(body)
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_cdn_task_created_here_succeeds_only_when_every_url_is_listed() {
    let server = scripted(
        r#"{"Response":{"TaskId":"t-3","RequestId":"r"}}"#,
        vec![
            // One of three URLs, TotalCount agreeing.
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-3","Url":"https://a/1","Status":"done"}],"TotalCount":1,"RequestId":"r"}}"#,
            // The same URL three times.
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-3","Url":"https://a/1","Status":"done"},{"TaskId":"t-3","Url":"https://a/1","Status":"done"},{"TaskId":"t-3","Url":"https://a/1","Status":"done"}],"TotalCount":3,"RequestId":"r"}}"#,
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-3","Url":"https://a/1","Status":"done"},{"TaskId":"t-3","Url":"https://a/2","Status":"done"},{"TaskId":"t-3","Url":"https://a/3","Status":"done"}],"TotalCount":3,"RequestId":"r"}}"#,
        ],
    )
    .await;
    let c = client(&server, Product::Cdn);
    let ids = c
        .submit(&purge(
            &["https://a/1", "https://a/2", "https://a/3"],
            PurgeKind::File,
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        let obs = c.poll(&ids).await.unwrap();
        assert_eq!(obs[0].state, State::Pending);
        let message = obs[0].message.as_deref().unwrap();
        assert!(message.contains("lists 1 of the 3 URLs"), "{message}");
        assert_eq!(obs[0].raw_status, NOT_LISTED);
    }
    assert_eq!(c.poll(&ids).await.unwrap()[0].state, State::Succeeded);
}

#[tokio::test]
async fn an_edgeone_job_created_here_succeeds_only_when_every_target_is_listed() {
    let server = scripted(
        r#"{"Response":{"JobId":"j-2","FailedList":[],"RequestId":"r"}}"#,
        vec![
            r#"{"Response":{"Tasks":[{"JobId":"j-2","Target":"https://a/1","Status":"success"}],"TotalCount":1,"RequestId":"r"}}"#,
            r#"{"Response":{"Tasks":[{"JobId":"j-2","Target":"https://a/1","Status":"success"},{"JobId":"j-2","Target":"https://a/2","Status":"success"}],"TotalCount":2,"RequestId":"r"}}"#,
        ],
    )
    .await;
    let c = client(&server, Product::EdgeOne);
    let ids = c
        .submit(&purge(&["https://a/1", "https://a/2"], PurgeKind::File))
        .await
        .unwrap();
    let obs = c.poll(&ids).await.unwrap();
    assert_eq!(obs[0].state, State::Pending);
    assert!(
        obs[0]
            .message
            .as_deref()
            .unwrap()
            .contains("lists 1 of the 2 tasks")
    );
    assert_eq!(obs[0].raw_status, NOT_LISTED);
    assert_eq!(c.poll(&ids).await.unwrap()[0].state, State::Succeeded);
}

#[tokio::test]
async fn an_edgeone_failed_list_reason_without_targets_is_a_failure() {
    let server = scripted(
        r#"{"Response":{"JobId":"j-4","FailedList":[{"Reason":"quota of the plan","Targets":[]}],"RequestId":"r"}}"#,
        vec![
            r#"{"Response":{"Tasks":[{"JobId":"j-4","Target":"https://a/1","Status":"success"}],"TotalCount":1,"RequestId":"r"}}"#,
        ],
    )
    .await;
    let c = client(&server, Product::EdgeOne);
    let ids = c
        .submit(&purge(&["https://a/1", "https://a/2"], PurgeKind::File))
        .await
        .unwrap();
    let obs = c.poll(&ids).await.unwrap();
    assert_eq!(obs[0].state, State::Failed);
    let message = obs[0].message.as_deref().unwrap();
    assert!(message.contains("quota of the plan"), "{message}");
}

#[tokio::test]
async fn entries_that_name_no_task_or_job_are_never_success() {
    for (product, body) in [
        (
            Product::Cdn,
            r#"{"Response":{"PurgeLogs":[{"Url":"https://a/1","Status":"done"}],"TotalCount":1,"RequestId":"r"}}"#,
        ),
        (
            Product::Cdn,
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-1","Url":"https://a/1","Status":"done"},{"TaskId":null,"Url":"https://a/2","Status":"done"}],"TotalCount":2,"RequestId":"r"}}"#,
        ),
        (
            Product::EdgeOne,
            r#"{"Response":{"Tasks":[{"Target":"https://a/1","Status":"success"}],"TotalCount":1,"RequestId":"r"}}"#,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let id = match product {
            Product::Cdn => "t-1",
            Product::EdgeOne => "j-1",
        };
        let e = client(&server, product)
            .poll(&[id.into()])
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed, "{body}: {e}");
    }
}

#[tokio::test]
async fn a_status_answer_without_a_request_id_is_never_success() {
    for (product, id, body) in [
        (
            Product::Cdn,
            "t-1",
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-1","Url":"https://a/1","Status":"done"}],"TotalCount":1}}"#,
        ),
        (
            Product::Cdn,
            "t-1",
            r#"{"Response":{"PurgeLogs":[{"TaskId":"t-1","Url":"https://a/1","Status":"done"}],"TotalCount":1,"RequestId":" "}}"#,
        ),
        (
            Product::EdgeOne,
            "j-1",
            r#"{"Response":{"Tasks":[{"JobId":"j-1","Target":"https://a/1","Status":"success"}],"TotalCount":1}}"#,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let e = client(&server, product)
            .poll(&[id.into()])
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed, "{body}: {e}");
        assert!(e.to_string().contains("no RequestId"), "{e}");
    }
}

#[tokio::test]
async fn a_failure_message_names_ten_failures_at_most_each_cut() {
    let long = format!("https://a/{}", "x".repeat(5000));
    let mut logs: Vec<serde_json::Value> = (0..50)
        .map(|i| serde_json::json!({"TaskId":"t-1","Url":format!("https://a/{i}"),"Status":"fail"}))
        .collect();
    logs.insert(
        0,
        serde_json::json!({"TaskId":"t-1","Url":long,"Status":"fail"}),
    );
    let body = serde_json::json!({"Response":{"PurgeLogs":logs,"TotalCount":51,"RequestId":"r"}});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body.to_string()))
        .mount(&server)
        .await;
    let obs = client(&server, Product::Cdn)
        .poll(&["t-1".into()])
        .await
        .unwrap();
    assert_eq!(obs[0].state, State::Failed);
    let message = obs[0].message.as_deref().unwrap();
    assert!(message.len() < 2000, "{} bytes", message.len());
    assert!(
        message.starts_with("the purge of 51 of 51 URLs failed: https://a/xxx"),
        "{message}"
    );
    assert!(message.ends_with("… and 41 more"), "{message}");
    assert_eq!(
        obs[0].details.len(),
        51,
        "every failed URL is in the details"
    );
}

#[test]
fn urls_with_control_or_bidi_characters_are_refused_before_any_request() {
    for path in [
        "https://a/\u{1b}[31mred",
        "https://a/x\u{7}",
        "https://a/x\u{202e}gnp",
        "https://a/\u{85}",
    ] {
        let e = cdn::check_purge(&purge(&[path], PurgeKind::File)).unwrap_err();
        assert!(e.contains("control or invisible"), "{path:?}: {e}");
        let e = edgeone::check_purge(&purge(&[path], PurgeKind::Auto)).unwrap_err();
        assert!(e.contains("control or invisible"), "{path:?}: {e}");
    }
    assert!(cdn::check_purge(&purge(&["https://a/%1B"], PurgeKind::File)).is_ok());
}

#[tokio::test]
async fn an_edgeone_job_whose_every_target_was_refused_fails_naming_them() {
    let server = scripted(
        r#"{"Response":{"JobId":"j-5","FailedList":[{"Reason":"not in the zone","Targets":["https://a/1","https://a/2"]}],"RequestId":"r"}}"#,
        vec![r#"{"Response":{"Tasks":[],"TotalCount":0,"RequestId":"r"}}"#],
    )
    .await;
    let c = client(&server, Product::EdgeOne);
    let ids = c
        .submit(&purge(&["https://a/1", "https://a/2"], PurgeKind::File))
        .await
        .unwrap();
    let obs = c.poll(&ids).await.unwrap();
    assert_eq!(obs[0].state, State::Failed);
    let message = obs[0].message.as_deref().unwrap();
    assert!(
        message.contains("https://a/1: refused") && message.contains("https://a/2: refused"),
        "{message}"
    );
}
