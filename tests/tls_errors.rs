//! Server certificates that fail verification are permanent: exit 3 at once (not retried
//! until the deadline), with plain words and the fix. On both TLS stacks (rustls: Azure
//! China, Alibaba, ARM and its token and OIDC endpoints; OpenSSL: azure-classic), for a
//! certificate for another name, from an unknown issuer, expired, and a CA certificate used
//! as the server's.

use std::time::{Duration, Instant};

use purge_wait::sim::azure_arm::{self, AzureArmSim};
use purge_wait::sim::azure_china::{AzureChinaSim, Setup as ChinaSetup};
use purge_wait::sim::azure_classic::{AzureClassicSim, Setup as ClassicSetup};
use purge_wait::sim::tls::{AskCert, Issued, Pki};
use purge_wait::sim::{Scenario, Simulator};

use crate::util::*;

/// The timeout every run is given: a retried certificate error would run into it.
const TIMEOUT: &str = "60s";
/// How long a refused certificate may take to exit, at most.
const QUICK: Duration = Duration::from_secs(5);

/// A bad server certificate: what it is, the certificate, whether `ca-file` trusts its CA,
/// and the words the error must hold.
struct Bad {
    name: &'static str,
    cert: Issued,
    trusted: bool,
    words: &'static [&'static str],
}

/// The four cases: signed by the CA that `ca-file` trusts, except the unknown issuer's (the
/// same CA, not given in `ca-file`, as a private CA someone forgot).
fn bad_certs(pki: &Pki) -> Vec<Bad> {
    let local = ["localhost", "127.0.0.1"];
    vec![
        Bad {
            name: "another name",
            cert: pki.server_cert(&["other.example"], None, false).unwrap(),
            trusted: true,
            words: &[
                "certificate was refused",
                "issued for another name",
                "other.example",
                "127.0.0.1",
                "`endpoint`",
            ],
        },
        Bad {
            name: "unknown issuer",
            cert: pki.server.clone(),
            trusted: false,
            words: &[
                "certificate was refused",
                "certificate authority that is not trusted",
                "`ca-file`",
            ],
        },
        Bad {
            name: "expired",
            cert: pki
                .server_cert(&local, Some(((2020, 1, 1), (2021, 1, 1))), false)
                .unwrap(),
            trusted: true,
            words: &["certificate was refused", "expired", "2021-01-01", "clock"],
        },
        Bad {
            name: "CA certificate as the server's",
            cert: pki.server_cert(&local, None, true).unwrap(),
            trusted: true,
            words: &[
                "certificate was refused",
                "presented a CA certificate as its own",
                "`ca-file`",
            ],
        },
    ]
}

/// Trusts `pki`'s CA through `ca-file`.
fn trust(env: &mut TestEnv, pki: &Pki) {
    let ca = env.path("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    env.set("INPUT_CA-FILE", &ca);
}

/// Runs `env`, asserting exit 3 within [`QUICK`], `status=error`, every output, the words,
/// and no request answered.
async fn assert_refused(env: &TestEnv, bad: &Bad, what: &str, sim: &Simulator) {
    let started = Instant::now();
    let run = env.run().await;
    let took = started.elapsed();
    let label = format!("{what}, {}", bad.name);
    assert_eq!(run.code, 3, "{label}\n{}\n{}", run.stdout, run.stderr);
    assert!(took < QUICK, "{label}: took {took:?}");
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error", "{label}");
    let errors = run.commands("error").join("\n");
    eprintln!("{label} ({took:?}): {}", run.commands("error")[0]);
    for w in bad.words {
        assert!(errors.contains(w), "{label}: {w:?} missing from\n{errors}");
    }
    assert!(sim.requests().is_empty(), "{label}: {:?}", sim.requests());
}

async fn china_over(pki: &Pki, cert: &Issued) -> Simulator {
    let setup = ChinaSetup {
        default: Scenario::succeeds_after(Duration::from_millis(200)),
        ..ChinaSetup::default()
    };
    Simulator::start_tls(
        AzureChinaSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
        pki.server_config_for(cert).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn rustls_refused_certificates_exit_3_at_once_with_the_fix() {
    let pki = Pki::generate().unwrap();
    for bad in bad_certs(&pki) {
        let sim = china_over(&pki, &bad.cert).await;
        let mut env = china_env(&sim, &[&guid(1), &guid(2), &guid(3)]);
        if bad.trusted {
            trust(&mut env, &pki);
        }
        env.set("INPUT_TIMEOUT", TIMEOUT);
        assert_refused(&env, &bad, "azure-china-cdn", &sim).await;
    }
    // The control: the good certificate works.
    let sim = china_over(&pki, &pki.server).await;
    let mut env = china_env(&sim, &[&guid(1)]);
    trust(&mut env, &pki);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn openssl_refused_certificates_exit_3_at_once_with_the_fix() {
    let pki = Pki::generate().unwrap();
    for bad in bad_certs(&pki) {
        let setup = ClassicSetup {
            thumbprints: vec![pki.client.thumbprint()],
            ..ClassicSetup::default()
        };
        let sim = Simulator::start_openssl(
            AzureClassicSim::new(setup),
            "127.0.0.1:0".parse().unwrap(),
            false,
            pki.openssl_acceptor_for(&bad.cert).unwrap(),
            AskCert::Renegotiate,
        )
        .await
        .unwrap();
        let ids = [
            crate::azure_classic::rid(1),
            crate::azure_classic::rid(2),
            crate::azure_classic::rid(3),
        ];
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut env = crate::azure_classic::classic_env(&pki, &sim, &ids);
        if !bad.trusted {
            env.unset("INPUT_CA-FILE");
        }
        env.set("INPUT_TIMEOUT", TIMEOUT);
        assert_refused(&env, &bad, "azure-classic", &sim).await;
    }
}

#[tokio::test]
async fn a_refused_certificate_on_the_token_and_oidc_endpoints_and_alibaba_exits_3_at_once() {
    let pki = Pki::generate().unwrap();
    let bad = bad_certs(&pki).remove(0);
    let tls = pki.server_config_for(&bad.cert).unwrap();
    let listen = "127.0.0.1:0".parse().unwrap();

    // Entra ID's token endpoint (client secret): the first request of an ARM wait.
    let arm = Simulator::start_tls(
        AzureArmSim::new(azure_arm::Setup::default()),
        listen,
        false,
        tls.clone(),
    )
    .await
    .unwrap();
    let url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Cdn/locations/global/operationResults/{}?api-version=2024-02-01",
        arm.url(),
        azure_arm::DEMO_SUBSCRIPTION,
        guid(7)
    );
    let mut env = TestEnv::github();
    env.set("INPUT_PROVIDER", "azure-arm")
        .set("INPUT_ENDPOINT", &arm.url())
        .set("INPUT_AUTHORITY-HOST", &arm.url())
        .set("INPUT_TENANT-ID", azure_arm::DEMO_TENANT)
        .set("AZURE_CLIENT_ID", azure_arm::DEMO_CLIENT)
        .set("INPUT_CLIENT-SECRET", azure_arm::DEMO_CLIENT_SECRET)
        .set("INPUT_OPERATION-URL", &url)
        .set("INPUT_TIMEOUT", TIMEOUT)
        .set("INPUT_REPORT", "auto");
    trust(&mut env, &pki);
    assert_refused(&env, &bad, "Entra ID token endpoint", &arm).await;

    // The GitHub Actions OIDC token endpoint, before the token exchange.
    env.unset("INPUT_CLIENT-SECRET")
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", arm.url(), azure_arm::GITHUB_PATH),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            azure_arm::DEMO_GITHUB_REQUEST_TOKEN,
        );
    assert_refused(&env, &bad, "GitHub OIDC endpoint", &arm).await;

    // Alibaba's status API.
    let ali = Simulator::start_tls(
        purge_wait::sim::alibaba::AlibabaSim::new(purge_wait::sim::alibaba::Setup::default()),
        listen,
        false,
        tls,
    )
    .await
    .unwrap();
    let mut env = crate::alibaba::ali_env(&ali, &["900000001".to_string()]);
    env.set("INPUT_TIMEOUT", TIMEOUT);
    trust(&mut env, &pki);
    assert_refused(&env, &bad, "alibaba-dcdn", &ali).await;
}
