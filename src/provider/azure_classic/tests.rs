use super::*;
use reqwest::header::{HeaderMap, HeaderValue};

const ID: &str = "5f0c1e2d3b4a49788796a5b4c3d2e1f0";

fn resp(status: u16, body: &[u8]) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-ms-request-id", HeaderValue::from_static("req-42"));
    Response {
        status,
        headers,
        body: body.to_vec(),
    }
}

fn op(status: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<CdnOperation xmlns="http://schemas.microsoft.com/windowsazure">
  <Id>{ID}</Id>
  <Name>UpdateCdnEndpointConfiguration</Name>
  <SubscriberId>cccccccc-1111-4222-8333-444444444444</SubscriberId>
  <Status>{status}</Status>{extra}
</CdnOperation>"#
    )
}

#[test]
fn seed_shaped_bodies_map_to_states() {
    let obs = interpret(ID, &resp(200, op("InProgress", "").as_bytes())).unwrap();
    assert_eq!(obs.state, State::Pending);
    assert_eq!(obs.raw_status, "InProgress");
    let obs = interpret(
        ID,
        &resp(
            200,
            op("Succeeded", "<HttpStatusCode>200</HttpStatusCode>").as_bytes(),
        ),
    )
    .unwrap();
    assert_eq!(obs.state, State::Succeeded);
    assert_eq!(obs.message, None);
    assert!(
        obs.details
            .contains(&("HttpStatusCode".into(), "200".into()))
    );
}

#[test]
fn failure_reports_cdn_error_code_http_status_and_message() {
    let body = op(
        "Failed",
        "<HttpStatusCode>409</HttpStatusCode><CdnErrorCode>ConflictError</CdnErrorCode><Message>The CNAME is taken.</Message>",
    );
    let obs = interpret(ID, &resp(200, body.as_bytes())).unwrap();
    assert_eq!(obs.state, State::Failed);
    assert_eq!(obs.message.as_deref(), Some("The CNAME is taken."));
    assert_eq!(
        obs.details,
        vec![
            ("CdnErrorCode".into(), "ConflictError".into()),
            ("HttpStatusCode".into(), "409".into()),
            ("Name".into(), "UpdateCdnEndpointConfiguration".into()),
        ]
    );
}

#[test]
fn every_documented_status_word_and_unknown_ones_never_succeed() {
    assert_eq!(map_status("InProgress"), State::Pending);
    assert_eq!(map_status("Succeeded"), State::Succeeded);
    assert_eq!(map_status("succeeded"), State::Succeeded);
    assert_eq!(map_status("Failed"), State::Failed);
    for w in ["Completed", "Success", "", "Succeeded2", "Cancelled"] {
        assert_eq!(map_status(w), State::Unrecognized, "{w}");
    }
    let obs = interpret(ID, &resp(200, op("Done", "").as_bytes())).unwrap();
    assert_eq!(obs.state, State::Unrecognized);
}

#[test]
fn bom_prefixes_namespaces_entities_cdata_comments_and_unknown_elements() {
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- a comment -->\n\
         <sm:CdnOperation xmlns:sm=\"{XMLNS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <sm:Id>{ID}</sm:Id><sm:Future><sm:Status>Succeeded</sm:Status></sm:Future>\
         <other:Status xmlns:other=\"urn:not-ours\">Succeeded</other:Status>\
         <sm:Status i:nil=\"false\">Failed</sm:Status>\
         <sm:Message>Origin &lt;a&gt; &amp; b &#x2014; &#233;t&#233; <![CDATA[<raw> & more]]></sm:Message>\
         <sm:CdnErrorCode>BadRequest</sm:CdnErrorCode><sm:Unknown/></sm:CdnOperation>"
    );
    let obs = interpret(ID, &resp(200, body.as_bytes())).unwrap();
    // The status is the direct child in our namespace, not the nested or foreign ones.
    assert_eq!(obs.state, State::Failed);
    assert_eq!(
        obs.message.as_deref(),
        Some("Origin <a> & b — été <raw> & more")
    );
}

#[test]
fn utf16_with_bom_is_decoded() {
    let text = op("Succeeded", "");
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(
        interpret(ID, &resp(200, &le)).unwrap().state,
        State::Succeeded
    );
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
    assert_eq!(
        interpret(ID, &resp(200, &be)).unwrap().state,
        State::Succeeded
    );
}

#[test]
fn malformed_xml_is_never_success() {
    let truncated = op("Succeeded", "");
    let truncated = &truncated[..truncated.len() - 10];
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        truncated.as_bytes().to_vec(),
        b"<CdnOperation><Status>Succeeded</Status>".to_vec(),
        b"<CdnOperation><Status>Succeeded</Stat></CdnOperation>".to_vec(),
        format!("<CdnOperation xmlns=\"{XMLNS}\"><Status>Succeeded</Status></CdnOperation><x/>")
            .into_bytes(),
        format!("<CdnOperation xmlns=\"{XMLNS}\"><Status>Succeeded&bogus;</Status></CdnOperation>")
            .into_bytes(),
        b"<p:CdnOperation><p:Status>Succeeded</p:Status></p:CdnOperation>".to_vec(),
        b"{\"Status\":\"Succeeded\"}".to_vec(),
        // Nested without end (a hostile or broken answer) is refused early.
        "<a>".repeat(100_000).into_bytes(),
        b"Succeeded".to_vec(),
        b"\xEF\xBB\xBF\xff\xfe<CdnOperation/>".to_vec(),
        // Well-formed but not the answer expected.
        b"<html><body>Succeeded</body></html>".to_vec(),
        b"<CdnOperation xmlns=\"urn:other\"><Status>Succeeded</Status></CdnOperation>".to_vec(),
        // No status, or about another operation.
        format!("<CdnOperation xmlns=\"{XMLNS}\"><Id>{ID}</Id></CdnOperation>").into_bytes(),
        format!(
            "<CdnOperation xmlns=\"{XMLNS}\"><Id>other</Id><Status>Succeeded</Status></CdnOperation>"
        )
        .into_bytes(),
    ];
    for body in cases {
        let e = interpret(ID, &resp(200, &body)).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Malformed,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[test]
fn error_bodies_give_code_message_and_kind() {
    let body = format!(
        "\u{feff}<Error xmlns=\"{XMLNS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><Code>ForbiddenError</Code><Message>The server failed to authenticate the request.</Message></Error>"
    );
    let e = interpret(ID, &resp(403, body.as_bytes())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert_eq!(e.code.as_deref(), Some("ForbiddenError"));
    assert_eq!(e.message, "The server failed to authenticate the request.");
    // An error body wins even on a 200.
    let e = interpret(ID, &resp(200, body.as_bytes())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);

    let err = |status: u16, code: &str| {
        let body =
            format!("<Error xmlns=\"{XMLNS}\"><Code>{code}</Code><Message>m</Message></Error>");
        interpret(ID, &resp(status, body.as_bytes())).unwrap_err()
    };
    assert_eq!(err(404, "ResourceNotFound").kind, ErrorKind::NotFound);
    assert_eq!(err(403, "AuthenticationFailed").kind, ErrorKind::Auth);
    assert_eq!(err(403, "SubscriptionDisabled").kind, ErrorKind::Permission);
    assert_eq!(
        err(400, "MissingOrIncorrectVersionHeader").kind,
        ErrorKind::Invalid
    );
    assert_eq!(err(503, "ServerBusy").kind, ErrorKind::Throttled);
    assert_eq!(err(400, "TooManyRequests").kind, ErrorKind::Throttled);
    assert_eq!(err(500, "InternalError").kind, ErrorKind::Transient);
    assert_eq!(err(503, "ServiceUnavailable").kind, ErrorKind::Transient);
    // Unknown codes fall back to the HTTP status.
    assert_eq!(err(503, "BrandNew").kind, ErrorKind::Transient);
    assert_eq!(err(403, "BrandNew").kind, ErrorKind::Auth);
    assert_eq!(err(409, "BrandNew").kind, ErrorKind::Invalid);
    assert_eq!(err(403, "BrandNew").code.as_deref(), Some("BrandNew"));
}

#[test]
fn error_answers_without_an_error_body_are_classified_by_status() {
    let e = interpret(ID, &resp(502, b"<html>Bad gateway</html>")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert!(e.message.contains("Bad gateway"), "{}", e.message);
    assert_eq!(
        interpret(ID, &resp(429, b"")).unwrap_err().kind,
        ErrorKind::Throttled
    );
    assert_eq!(
        interpret(ID, &resp(404, b"not found")).unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        interpret(ID, &resp(500, b"<Error><Code>Inter"))
            .unwrap_err()
            .kind,
        ErrorKind::Transient
    );
}

#[test]
fn every_listed_code_has_a_decision() {
    for code in [
        "AuthenticationFailed",
        "BadRequest",
        "ConflictError",
        "ForbiddenError",
        "InternalError",
        "InvalidHeader",
        "InvalidInput",
        "InvalidUri",
        "InvalidXmlRequest",
        "MissingOrIncorrectVersionHeader",
        "MissingOrInvalidRequiredQueryParameter",
        "OperationTimedOut",
        "ResourceNotFound",
        "ServerBusy",
        "ServiceUnavailable",
        "SubscriptionDisabled",
        "TemporaryRedirect",
        "TooManyRequests",
        "UnsupportedHttpVerb",
    ] {
        assert!(classify(code).is_some(), "{code}");
    }
    assert!(classify("Something").is_none());
}

#[test]
fn environments() {
    assert_eq!(environment_endpoint("AzureCloud"), Some(DEFAULT_ENDPOINT));
    assert_eq!(
        environment_endpoint("azurechinacloud"),
        Some(CHINA_ENDPOINT)
    );
    assert_eq!(
        environment_endpoint("AzureUSGovernment"),
        Some(US_GOVERNMENT_ENDPOINT)
    );
    assert_eq!(environment_endpoint("AzureGermanCloud"), None);
}

#[test]
fn publish_settings_schema_2_and_1() {
    let v2 = r#"<?xml version="1.0" encoding="utf-8"?>
<PublishData>
  <PublishProfile SchemaVersion="2.0" PublishMethod="AzureServiceManagementAPI">
    <Subscription ServiceManagementUrl="https://management.core.windows.net" Id="aaaaaaaa-0000-4000-8000-000000000001" Name="Pay-As-You-Go" ManagementCertificate="TUlJQ0FB" />
    <Subscription ServiceManagementUrl="https://management.core.chinacloudapi.cn" Id="aaaaaaaa-0000-4000-8000-000000000002" Name="China &amp; Co" ManagementCertificate="TUlJQ0FD" />
  </PublishProfile>
</PublishData>"#;
    let subs = parse_publish_settings(v2.as_bytes()).unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[1].id, "aaaaaaaa-0000-4000-8000-000000000002");
    assert_eq!(subs[1].name.as_deref(), Some("China & Co"));
    assert_eq!(
        subs[1].url.as_deref(),
        Some("https://management.core.chinacloudapi.cn")
    );
    assert_eq!(subs[0].certificate.as_deref(), Some("TUlJQ0FB"));
    // The certificate never shows in Debug.
    assert!(!format!("{subs:?}").contains("TUlJQ0FB"));

    let v1 = "\u{feff}<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\" Url=\"https://management.core.windows.net/\" ManagementCertificate=\"TUlJQ0FF\"><Subscription Id=\"aaaaaaaa-0000-4000-8000-000000000003\" Name=\"Old\" /></PublishProfile></PublishData>";
    let subs = parse_publish_settings(v1.as_bytes()).unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0].url.as_deref(),
        Some("https://management.core.windows.net/")
    );
    assert_eq!(subs[0].certificate.as_deref(), Some("TUlJQ0FF"));

    assert!(parse_publish_settings(b"<PublishData></PublishData>").is_err());
    assert!(parse_publish_settings(b"<Other/>").is_err());
    assert!(parse_publish_settings(b"<PublishData><PublishProfile>").is_err());
}

#[test]
fn url_keeps_the_endpoint_prefix() {
    let pki = crate::sim::tls::Pki::generate().unwrap();
    let cert = crate::tls::ClientCert::from_pem(&pki.client.pem()).unwrap();
    let p = AzureClassic::new(
        Settings {
            endpoint: Url::parse("https://127.0.0.1:9/proxy/").unwrap(),
            subscription_id: "cccccccc-1111-4222-8333-444444444444".into(),
            api_version: DEFAULT_API_VERSION.into(),
            certificate: cert,
        },
        crate::http::openssl_client::Client::new(
            std::time::Duration::from_secs(5),
            &crate::http::Tls::default(),
        )
        .unwrap(),
    );
    assert_eq!(
        p.operation_url(ID).as_str(),
        format!(
            "https://127.0.0.1:9/proxy/cccccccc-1111-4222-8333-444444444444/services/cdn/operations/{ID}"
        )
    );
}

#[test]
fn an_element_twice_is_malformed_never_the_last_one_read() {
    for (extra, twice) in [
        ("<Status>Succeeded</Status>", "Status"),
        ("<Id>other</Id>", "Id"),
        ("<Message>a</Message><Message>b</Message>", "Message"),
    ] {
        let body = op("InProgress", extra);
        let e = interpret(ID, &resp(200, body.as_bytes())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Malformed, "{extra}");
        assert!(
            e.message.contains(&format!("<{twice}> more than once")),
            "{}",
            e.message
        );
        assert_eq!(
            parse_body(body.as_bytes()),
            Ok(Body::Duplicate(twice.into()))
        );
    }
    // A Status of another namespace is not ours, so not a second one.
    let body = op(
        "InProgress",
        r#"<x:Status xmlns:x="urn:other">Succeeded</x:Status>"#,
    );
    let obs = interpret(ID, &resp(200, body.as_bytes())).unwrap();
    assert_eq!(obs.state, State::Pending);
}
