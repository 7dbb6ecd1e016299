//! Azure classic (Service Management) through the binary, over real mutual TLS: a CA, a
//! server and client certificates are generated in each test; the simulator asks for the
//! client certificate and answers `ForbiddenError` unless it is the registered one. By
//! default it asks as Service Management does, by a TLS 1.2 renegotiation after the request
//! line (OpenSSL server); some tests ask in the first handshake, or use the rustls server.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use purge_wait::sim::azure_classic::{AzureClassicSim, DEMO_SUBSCRIPTION, Setup};
use purge_wait::sim::tls::{AskCert, CLIENT_CERT_HEADER, Issued, Pki};
use purge_wait::sim::{Scenario, Simulator};

use crate::util::*;

/// A Service Management request id.
pub(crate) fn rid(n: u32) -> String {
    format!("{n:08x}0000400080000000{n:08x}")
}

/// The TLS server in front of the simulated API.
pub(crate) enum Server {
    /// OpenSSL, asking for the client certificate as given.
    OpenSsl(AskCert),
    /// rustls (asks in the first handshake, or never).
    Rustls(Arc<rustls::ServerConfig>),
}

async fn start(pki: &Pki, ops: &[&str], tls: Arc<rustls::ServerConfig>) -> Simulator {
    start_with(pki, ops, Server::Rustls(tls)).await
}

pub(crate) async fn start_with(pki: &Pki, ops: &[&str], server: Server) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    let mut setup = Setup {
        thumbprints: vec![pki.client.thumbprint()],
        default: default.clone(),
        ..Setup::default()
    };
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    let api = AzureClassicSim::new(setup);
    let listen = "127.0.0.1:0".parse().unwrap();
    match server {
        Server::Rustls(tls) => Simulator::start_tls(api, listen, false, tls).await,
        Server::OpenSsl(ask) => {
            Simulator::start_openssl(api, listen, false, pki.openssl_acceptor().unwrap(), ask).await
        }
    }
    .unwrap()
}

/// A fresh PKI and a simulator that accepts its client certificate, asking for it by
/// renegotiation after the request line (as Service Management does).
pub(crate) async fn classic_sim(ops: &[&str]) -> (Pki, Simulator) {
    classic_sim_asking(ops, AskCert::Renegotiate).await
}

/// The same, asking for the certificate as `ask` says.
pub(crate) async fn classic_sim_asking(ops: &[&str], ask: AskCert) -> (Pki, Simulator) {
    let pki = Pki::generate().unwrap();
    let sim = start_with(&pki, ops, Server::OpenSsl(ask)).await;
    (pki, sim)
}

/// A GitHub step pointed at `sim` over HTTPS, trusting the test CA (`ca-file`), with the
/// client certificate as PEM in the `certificate` input.
pub(crate) fn classic_env(pki: &Pki, sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = TestEnv::github();
    let ca = t.path("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    t.set("INPUT_PROVIDER", "azure-classic")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_SUBSCRIPTION-ID", DEMO_SUBSCRIPTION)
        .set("INPUT_CERTIFICATE", &pki.client.pem())
        .set("INPUT_CA-FILE", &ca)
        .set("INPUT_OPERATION-IDS", &ids.join("\n"))
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    t
}

/// The base64 lines of a private key: none may appear anywhere but in `::add-mask::` lines.
/// (A line that also occurs in the certificate is the public key, which may show.)
fn assert_no_key(run: &Run, issued: &Issued) {
    let cert = issued.cert_pem().replace('\n', "");
    let key_lines = purge_wait::tls::pem_block("PRIVATE KEY", &issued.key_der);
    let mut checked = 0;
    for line in key_lines
        .lines()
        .filter(|l| !l.starts_with("-----") && !cert.contains(*l))
    {
        run.assert_no_secret(line);
        checked += 1;
    }
    assert!(checked >= 2, "the key has private lines to look for");
}

#[tokio::test]
async fn succeeds_over_mutual_tls_with_a_pem_certificate() {
    let ids = [rid(1), rid(2)];
    let spec = format!("{}:after=600ms", ids[1]);
    let (pki, sim) = classic_sim(&[&spec]).await;
    let run = classic_env(&pki, &sim, &[&ids[0], &ids[1]]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_no_key(&run, &pki.client);
    assert_eq!(run.outputs["status"], "succeeded");
    assert_eq!(run.outputs["succeeded"], "2");
    assert!(
        run.stdout
            .contains("::group::Waiting for 2 operations on azure-classic")
    );
    assert!(run.commands("error").is_empty(), "{}", run.stdout);
    let requests = sim.requests();
    assert_eq!(run.outputs["polls"], requests.len().to_string());
    assert!(requests.len() >= 3, "{requests:?}");
    for r in &requests {
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.method, "GET");
        assert!(
            r.target
                .starts_with(&format!("/{DEMO_SUBSCRIPTION}/services/cdn/operations/")),
            "{}",
            r.target
        );
        assert_eq!(r.header("content-type"), Some("application/xml"));
        assert_eq!(r.header("x-ms-version"), Some("2011-06-30"));
        assert_eq!(
            r.header(CLIENT_CERT_HEADER),
            Some(pki.client.thumbprint().as_str())
        );
    }
    assert!(requests.iter().any(|r| r.answer == "InProgress"));
    assert!(
        run.summary
            .contains(&format!("| `{}` | succeeded | Succeeded |", ids[1])),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn failed_operation_reports_cdn_error_code_in_the_annotation() {
    let ids = [rid(3), rid(4)];
    let spec = format!(
        "{}:after=200ms,outcome=failed,message=The origin <host> & name could not be resolved.",
        ids[1]
    );
    let (pki, sim) = classic_sim(&[&spec]).await;
    let run = classic_env(&pki, &sim, &[&ids[0], &ids[1]]).run().await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "failed");
    assert_eq!(run.outputs["failed"], "1");
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert!(e.contains(&ids[1]), "{e}");
    assert!(e.contains("CdnErrorCode: BadRequest"), "{e}");
    assert!(e.contains("HttpStatusCode: 400"), "{e}");
    assert!(
        e.contains("The origin <host> & name could not be resolved."),
        "{e}"
    );
    let result = run.result();
    assert_eq!(
        result["operations"][1]["details"]["CdnErrorCode"],
        "BadRequest"
    );
    assert!(run.summary.contains("CdnErrorCode: BadRequest"));
}

#[tokio::test]
async fn in_progress_until_the_deadline_exits_124() {
    let id = rid(5);
    let (pki, sim) = classic_sim(&[&format!("{id}:outcome=stuck")]).await;
    let mut env = classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_TIMEOUT", "1s");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert_eq!(run.outputs["status"], "timed-out");
    assert_eq!(run.outputs["pending"], "1");
    assert!(sim.requests().iter().all(|r| r.answer == "InProgress"));
}

#[tokio::test]
async fn unknown_status_and_malformed_xml_never_succeed() {
    let (a, b) = (rid(6), rid(7));
    let (pki, sim) = classic_sim(&[
        &format!("{a}:after=0s,outcome=Completed"),
        &format!("{b}:after=0s,outcome=malformed"),
    ])
    .await;
    let mut env = classic_env(&pki, &sim, &[&a, &b]);
    env.set("INPUT_TIMEOUT", "1500ms")
        .set("INPUT_RETRIES", "100");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert_eq!(run.outputs["succeeded"], "0");
    assert_eq!(run.outputs["pending"], "2");
    assert!(run.stdout.contains("not well-formed XML"), "{}", run.stdout);
    assert!(run.stdout.contains("Completed"), "{}", run.stdout);
}

#[tokio::test]
async fn throttling_and_internal_errors_are_retried() {
    let id = rid(8);
    let (pki, sim) =
        classic_sim(&[&format!("{id}:after=0s,throttle=1,retry-after=1,errors=1")]).await;
    let run = classic_env(&pki, &sim, &[&id]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = sim.requests();
    assert_eq!(
        r.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 500, 200]
    );
    assert!(
        r[1].at - r[0].at >= Duration::from_millis(990),
        "Retry-After"
    );
    assert!(run.stdout.contains("ServerBusy"));
    assert!(run.stdout.contains("InternalError"));
}

#[tokio::test]
async fn wrong_client_certificate_exits_3_with_forbidden_error() {
    let ids = [rid(9)];
    let (pki, sim) = classic_sim(&[]).await;
    // Valid and trusted by nobody in particular, but not registered with the subscription.
    let other = pki.client_cert("not registered", None).unwrap();
    let mut env = classic_env(&pki, &sim, &[&ids[0]]);
    env.set("INPUT_CERTIFICATE", &other.pem());
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_all_outputs();
    assert_no_key(&run, &other);
    assert_eq!(run.outputs["status"], "error");
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert!(e.contains("ForbiddenError"), "{e}");
    assert!(e.contains("failed to authenticate the request"), "{e}");
    assert!(e.contains("HTTP 403"), "{e}");
    assert!(e.contains("x-ms-request-id"), "{e}");
    assert!(e.contains(&other.thumbprint()), "{e}");
    // Not retried: one request.
    let r = sim.requests();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].answer, "ForbiddenError");
    assert_eq!(
        r[0].header(CLIENT_CERT_HEADER),
        Some(other.thumbprint().as_str())
    );
}

#[tokio::test]
async fn missing_client_certificate_exits_3_with_forbidden_error() {
    let id = rid(10);
    // A front end that does not ask for (or forward) the client certificate.
    let pki = Pki::generate().unwrap();
    let sim = start(&pki, &[], pki.server_config_without_client_auth().unwrap()).await;
    let run = classic_env(&pki, &sim, &[&id]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let errors = run.commands("error");
    assert!(errors[0].contains("ForbiddenError"), "{errors:?}");
    let r = sim.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].header(CLIENT_CERT_HEADER), None);

    // And a plain HTTPS client without a certificate, against the mutual-TLS simulator (one
    // that asks in the first handshake: rustls refuses renegotiation, see below).
    let (pki, sim) = classic_sim_asking(&[], AskCert::InHandshake).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = client
        .get(format!(
            "{}/{DEMO_SUBSCRIPTION}/services/cdn/operations/{id}",
            sim.url()
        ))
        .header("x-ms-version", "2011-06-30")
        .header("content-type", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().contains_key("x-ms-request-id"));
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>ForbiddenError</Code>")
    );
}

#[tokio::test]
async fn expired_certificate_exits_2_before_any_request() {
    let id = rid(11);
    let (pki, sim) = classic_sim(&[]).await;
    let expired = pki
        .client_cert("expired", Some(((2020, 1, 1), (2021, 6, 30))))
        .unwrap();
    let mut env = classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_CERTIFICATE", &expired.pem());
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(sim.requests().is_empty());
    assert_no_key(&run, &expired);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("expired on 2021-06-30"), "{errors:?}");
    assert!(errors[0].contains(&expired.thumbprint()), "{errors:?}");
    assert_eq!(run.outputs["status"], "error");
}

#[tokio::test]
async fn password_protected_pkcs12_without_password_exits_2_before_any_request() {
    let id = rid(12);
    let (pki, sim) = classic_sim(&[]).await;
    let password = "correct-horse-battery";
    let mut env = classic_env(&pki, &sim, &[&id]);
    let pfx = env.path("client.pfx");
    std::fs::write(&pfx, pki.client.pkcs12(password)).unwrap();
    env.unset("INPUT_CERTIFICATE")
        .set("INPUT_CERTIFICATE-FILE", &pfx);
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(sim.requests().is_empty());
    let errors = run.commands("error");
    assert!(
        errors[0].contains("password-protected") && errors[0].contains("certificate-password"),
        "{errors:?}"
    );
    // A wrong password: exit 2 too, the password never shown.
    env.set("INPUT_CERTIFICATE-PASSWORD", "wrong-password-x");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    run.assert_no_secret("wrong-password-x");
    assert!(sim.requests().is_empty());
    // The right one: a real mutual-TLS wait.
    env.set("INPUT_CERTIFICATE-PASSWORD", password);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_no_secret(password);
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.header(CLIENT_CERT_HEADER) == Some(pki.client.thumbprint().as_str()))
    );
}

#[tokio::test]
async fn base64_pkcs12_in_the_certificate_input() {
    let id = rid(13);
    let (pki, sim) = classic_sim(&[]).await;
    let b64 = BASE64.encode(pki.client.pkcs12(""));
    let mut env = classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_CERTIFICATE", &b64);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_no_secret(&b64);
    assert!(!sim.requests().is_empty());
}

#[tokio::test]
async fn publish_settings_file_gives_certificate_subscription_and_url() {
    let id = rid(14);
    let (pki, sim) = classic_sim(&[]).await;
    let cert = BASE64.encode(pki.client.pkcs12(""));
    let xml = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PublishData>\n  <PublishProfile SchemaVersion=\"2.0\" PublishMethod=\"AzureServiceManagementAPI\">\n    <Subscription ServiceManagementUrl=\"{}\" Id=\"{DEMO_SUBSCRIPTION}\" Name=\"Test\" ManagementCertificate=\"{cert}\" />\n  </PublishProfile>\n</PublishData>\n",
        sim.url()
    );
    let mut env = classic_env(&pki, &sim, &[&id]);
    let path = env.path("test.publishsettings");
    std::fs::write(&path, xml).unwrap();
    env.unset("INPUT_CERTIFICATE")
        .unset("INPUT_ENDPOINT")
        .unset("INPUT_SUBSCRIPTION-ID")
        .set("INPUT_PUBLISH-SETTINGS-FILE", &path);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains(&cert[..40]));
    assert!(!run.stderr.contains(&cert[..40]));
    let r = sim.requests();
    assert!(!r.is_empty());
    assert!(r[0].target.contains(DEMO_SUBSCRIPTION));
}

#[tokio::test]
async fn the_simulator_ca_must_be_trusted_and_ssl_cert_file_works() {
    let id = rid(15);
    let (pki, sim) = classic_sim(&[]).await;
    let mut env = classic_env(&pki, &sim, &[&id]);
    let ca = env.path("ca.pem");
    env.unset("INPUT_CA-FILE")
        .set("INPUT_RETRIES", "1")
        .set("INPUT_TIMEOUT", "3s");
    let run = env.run().await;
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(sim.requests().is_empty());
    assert!(
        run.stdout.to_lowercase().contains("certificate"),
        "{}",
        run.stdout
    );
    env.set("SSL_CERT_FILE", &ca);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn old_api_version_exits_2() {
    let id = rid(16);
    let (pki, sim) = classic_sim(&[]).await;
    let mut env = classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_API-VERSION", "2010-04-01");
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(sim.requests().is_empty());
    assert!(run.commands("error")[0].contains("api-version"));
}

#[tokio::test]
async fn demo_runs_a_mutual_tls_wait() {
    let mut env = TestEnv::new();
    env.arg("demo")
        .arg("--provider")
        .arg("azure-classic")
        .arg("--report")
        .arg("plain");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("mutual TLS"), "{}", run.stderr);
    assert!(
        run.stdout.contains("3 of 3 operations succeeded"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("PRIVATE KEY") && !run.stderr.contains("PRIVATE KEY"));
}

#[tokio::test]
async fn ca_file_serves_every_provider_azure_china_over_https() {
    use purge_wait::sim::azure_china::{AzureChinaSim, Setup as ChinaSetup};
    let pki = Pki::generate().unwrap();
    let setup = ChinaSetup {
        default: Scenario::succeeds_after(Duration::from_millis(200)),
        ..ChinaSetup::default()
    };
    let sim = Simulator::start_tls(
        AzureChinaSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
        pki.server_config().unwrap(),
    )
    .await
    .unwrap();
    assert!(sim.url().starts_with("https://"));
    let id = guid(21);
    let mut env = china_env(&sim, &[&id]);
    let ca = env.path("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    env.set("INPUT_CA-FILE", &ca);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(sim.requests().iter().all(|r| r.status == 200));
}

/// purge-wait's OpenSSL client, trusting the test CA, with the registered certificate.
fn openssl_client(pki: &Pki) -> purge_wait::http::openssl_client::Client {
    let tls = purge_wait::http::Tls {
        extra_roots: vec![pki.ca_der().to_vec()],
        identity_pem: Some(purge_wait::secret::Secret::new(pki.client.pem())),
    };
    purge_wait::http::openssl_client::Client::new(Duration::from_secs(5), &tls).unwrap()
}

fn operation_url(sim: &Simulator, id: &str) -> url::Url {
    url::Url::parse(&format!(
        "{}/{DEMO_SUBSCRIPTION}/services/cdn/operations/{id}",
        sim.url()
    ))
    .unwrap()
}

const SM_HEADERS: &[(&str, &str)] = &[
    ("x-ms-version", "2011-06-30"),
    ("content-type", "application/xml"),
];

#[tokio::test]
async fn the_certificate_is_sent_when_asked_by_renegotiation_or_in_the_first_handshake() {
    for (n, ask) in [AskCert::Renegotiate, AskCert::InHandshake]
        .into_iter()
        .enumerate()
    {
        let id = rid(30 + n as u32);
        let (pki, sim) = classic_sim_asking(&[&format!("{id}:after=500ms")], ask).await;
        let run = classic_env(&pki, &sim, &[&id]).run().await;
        assert_eq!(run.code, 0, "{ask:?}\n{}\n{}", run.stdout, run.stderr);
        let requests = sim.requests();
        assert!(requests.len() >= 2, "{ask:?}: {requests:?}");
        for r in &requests {
            assert_eq!(r.status, 200, "{ask:?}: {r:?}");
            assert_eq!(
                r.header(CLIENT_CERT_HEADER),
                Some(pki.client.thumbprint().as_str()),
                "{ask:?}"
            );
        }
    }
}

#[tokio::test]
async fn rustls_refuses_the_renegotiation_that_the_openssl_client_accepts() {
    let id = rid(32);
    let (pki, sim) = classic_sim(&[]).await;
    // What every poll met before: rustls declines the HelloRequest, the server gives up.
    let rustls_client = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem().as_bytes()).unwrap())
        .identity(reqwest::Identity::from_pem(pki.client.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut request = rustls_client.get(operation_url(&sim, &id));
    for (k, v) in SM_HEADERS {
        request = request.header(*k, *v);
    }
    let refused = request.send().await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(sim.requests().is_empty());
    // The OpenSSL client renegotiates once and is answered.
    let resp = openssl_client(&pki)
        .get(&operation_url(&sim, &id), SM_HEADERS)
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let r = sim.requests();
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].header(CLIENT_CERT_HEADER),
        Some(pki.client.thumbprint().as_str())
    );
}

#[tokio::test]
async fn a_second_renegotiation_is_refused() {
    let id = rid(33);
    let (pki, sim) = classic_sim_asking(&[], AskCert::RenegotiateTwice).await;
    let e = openssl_client(&pki)
        .get(&operation_url(&sim, &id), SM_HEADERS)
        .await
        .unwrap_err();
    eprintln!("second renegotiation: {e}");
    assert!(sim.requests().is_empty());
    // Through the binary: never a success; the failure is a transport one (retried).
    let mut env = classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_RETRIES", "1").set("INPUT_TIMEOUT", "10s");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["status"], "error");
    assert!(sim.requests().is_empty());
}
