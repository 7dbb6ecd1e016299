//! The fault-injection matrix: every fault case × every provider, through the binary.
//!
//! For each cell it asserts: no false success (the `status` output is the one expected),
//! the documented exit code, outputs and summary written, requests bounded (counted at the
//! simulator), and no secret in any byte written. The table is printed (see it with
//! `cargo test --test integration faults -- --nocapture`) and written to
//! `target/fault-matrix.md`.

use std::fmt::Write as _;
use std::time::Duration;

use purge_wait::provider::aws_cloudfront::sim as cf_sim;
use purge_wait::provider::azure_arm::sim::{self as arm, AzureArmSim};
use purge_wait::provider::azure_china::sim::Setup;
use purge_wait::provider::google_cloud_cdn::sim as gc_sim;
use purge_wait::provider::tencent::sim as tc_sim;
use purge_wait::sim::{Fault, Record, Simulator};

use crate::util::*;

/// A provider under test: how to start its simulator with one scripted operation, and the
/// environment of a GitHub step waiting on it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rig {
    AzureChina,
    /// Azure Resource Manager with a token given as is (so request counts are those of the
    /// status API alone), or client-secret tokens that expire for the token-expiry case.
    AzureArm,
    /// Alibaba Cloud DCDN with an AccessKey, or STS credentials from an OIDC token file that
    /// expire for the token-expiry case.
    Alibaba,
    /// Azure classic over mutual TLS, with a PKI made for the cell.
    AzureClassic,
    /// AWS CloudFront with keys from the environment, or web identity from a token file whose
    /// STS sessions expire for the token-expiry case.
    AwsCloudFront,
    /// Google Cloud CDN read with the `wait` long-poll (held 100 ms here, so that the rows'
    /// request counts hold) and a token given as is (`GOOGLE_OAUTH_ACCESS_TOKEN`, so the
    /// counts are those of Compute alone), or a service account key whose tokens expire for
    /// the token-expiry case.
    GoogleCloudCdn,
    /// Tencent Cloud CDN with a key from the environment, or STS keys from an OIDC token
    /// file that expire for the token-expiry case.
    TencentCdn,
}

const RIGS: &[Rig] = &[
    Rig::AzureChina,
    Rig::AzureClassic,
    Rig::AzureArm,
    Rig::Alibaba,
    Rig::AwsCloudFront,
    Rig::GoogleCloudCdn,
    Rig::TencentCdn,
];

/// A started simulator, and the PKI of the mutual-TLS rig.
struct Running {
    sim: Simulator,
    pki: Option<purge_wait::sim::tls::Pki>,
}

/// The access token the ARM rig gives as is.
const ARM_TOKEN: &str = "fault-matrix.static.access-token";

impl Rig {
    fn name(self) -> &'static str {
        match self {
            Rig::AzureChina => "azure-china-cdn",
            Rig::AzureArm => "azure-arm",
            Rig::Alibaba => "alibaba-dcdn",
            Rig::AzureClassic => "azure-classic",
            Rig::AwsCloudFront => "aws-cloudfront",
            Rig::GoogleCloudCdn => "google-cloud-cdn",
            Rig::TencentCdn => "tencent-cdn",
        }
    }

    fn id(self) -> String {
        match self {
            Rig::AzureChina | Rig::AzureArm => guid(4242),
            Rig::Alibaba => "704224242".into(),
            Rig::AzureClassic => crate::providers::azure_classic::rid(4242),
            Rig::AwsCloudFront => "IFAULT4242".into(),
            Rig::GoogleCloudCdn => "operation-fault-4242".into(),
            Rig::TencentCdn => "1700004242-fault".into(),
        }
    }

    /// `n` ids of the rig's form, the scripted one first.
    fn ids(self, n: u32) -> Vec<String> {
        (0..n)
            .map(|i| match (self, i) {
                (_, 0) => self.id(),
                (Rig::AzureChina | Rig::AzureArm, _) => guid(5000 + i),
                (Rig::Alibaba, _) => (705_000_000 + u64::from(i)).to_string(),
                (Rig::AzureClassic, _) => crate::providers::azure_classic::rid(5000 + i),
                (Rig::AwsCloudFront, _) => format!("IFAULT{}", 5000 + i),
                (Rig::GoogleCloudCdn, _) => format!("operation-fault-{}", 5000 + i),
                (Rig::TencentCdn, _) => format!("17000{}-fault", 5000 + i),
            })
            .collect()
    }

    fn secrets(self, running: &Running) -> Vec<String> {
        match self {
            Rig::AzureChina => vec![SECRET.into()],
            Rig::AzureArm => vec![ARM_TOKEN.into(), arm::DEMO_CLIENT_SECRET.into()],
            Rig::Alibaba => vec![
                purge_wait::provider::alibaba::sim::DEMO_ACCESS_KEY_SECRET.into(),
                purge_wait::provider::alibaba::sim::DEMO_OIDC_TOKEN.into(),
            ],
            Rig::AwsCloudFront => vec![
                crate::providers::aws_cloudfront::AWS_SECRET.into(),
                cf_sim::DEMO_WEB_IDENTITY_TOKEN.into(),
            ],
            Rig::GoogleCloudCdn => {
                let mut secrets = vec![gc_sim::DEMO_ACCESS_TOKEN.to_string()];
                secrets.extend(
                    gc_sim::DEMO_PRIVATE_KEY_PEM
                        .lines()
                        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                        .map(str::to_string),
                );
                secrets
            }
            Rig::TencentCdn => vec![
                tc_sim::DEMO_SECRET_KEY.into(),
                tc_sim::DEMO_OIDC_TOKEN.into(),
            ],
            // The private lines of the client key (a line shared with the certificate is
            // public).
            Rig::AzureClassic => {
                let client = &running.pki.as_ref().expect("classic has a PKI").client;
                let cert = client.cert_pem().replace('\n', "");
                purge_wait::tls::pem_block("PRIVATE KEY", &client.key_der)
                    .lines()
                    .filter(|l| !l.starts_with("-----") && !cert.contains(*l))
                    .map(str::to_string)
                    .collect()
            }
        }
    }

    /// The simulator, with the operation scripted by `keys` (`after=…,outcome=…`).
    async fn start(self, keys: &str, special: Special) -> Running {
        let spec = format!("{}:{keys}", self.id());
        let sim = match self {
            Rig::AzureClassic => {
                let (pki, sim) = crate::providers::azure_classic::classic_sim(&[&spec]).await;
                return Running {
                    sim,
                    pki: Some(pki),
                };
            }
            Rig::AzureChina => {
                let mut setup = Setup::default();
                if special == Special::ClockSkew {
                    setup.clock_offset = chrono::Duration::minutes(30);
                }
                china_sim_with(&[&spec], setup).await
            }
            Rig::AzureArm => {
                let default = purge_wait::sim::Scenario::succeeds_after(Duration::from_millis(300));
                let mut setup = arm::Setup {
                    static_token: Some(ARM_TOKEN.into()),
                    default: default.clone(),
                    ..arm::Setup::default()
                };
                if special == Special::TokenExpiry {
                    setup.token_lifetime = Duration::from_secs(1);
                    setup.expiry_slack = Duration::from_millis(300);
                }
                setup
                    .ops
                    .push(purge_wait::sim::Scenario::parse(&spec, &default).unwrap());
                Simulator::start(
                    AzureArmSim::new(setup),
                    "127.0.0.1:0".parse().unwrap(),
                    false,
                )
                .await
                .unwrap()
            }
            Rig::Alibaba => {
                let mut setup = purge_wait::provider::alibaba::sim::Setup::default();
                match special {
                    Special::ClockSkew => setup.clock_offset = chrono::Duration::minutes(30),
                    // STS credentials that expire twice during the wait.
                    Special::TokenExpiry => setup.sts_lifetime = Duration::from_millis(1500),
                    _ => {}
                }
                crate::providers::alibaba::ali_sim_with(&[&spec], setup).await
            }
            Rig::AwsCloudFront => {
                let mut setup = cf_sim::Setup::default();
                match special {
                    Special::ClockSkew => setup.clock_offset = chrono::Duration::minutes(30),
                    // STS sessions that expire twice during the wait.
                    Special::TokenExpiry => setup.sts_lifetime = Duration::from_millis(1500),
                    _ => {}
                }
                crate::providers::aws_cloudfront::cf_sim_with(&[&spec], setup).await
            }
            Rig::GoogleCloudCdn => {
                let mut setup = gc_sim::Setup {
                    hold: Duration::from_millis(100),
                    ..gc_sim::Setup::default()
                };
                if special == Special::TokenExpiry {
                    // Service-account tokens that expire twice during the wait.
                    setup.token_lifetime = Duration::from_millis(1500);
                }
                crate::providers::google_cloud_cdn::gc_sim_with(&[&spec], setup).await
            }
            Rig::TencentCdn => {
                let mut setup = tc_sim::Setup::default();
                match special {
                    Special::ClockSkew => setup.clock_offset = chrono::Duration::minutes(30),
                    // STS keys that expire twice during the wait.
                    Special::TokenExpiry => setup.sts_lifetime = Duration::from_secs(1),
                    _ => {}
                }
                crate::providers::tencent::tc_sim_with(&[&spec], false, setup).await
            }
        };
        Running { sim, pki: None }
    }

    fn env(self, running: &Running, special: Special) -> TestEnv {
        let sim = &running.sim;
        match self {
            Rig::AzureClassic => {
                let pki = running.pki.as_ref().expect("classic has a PKI");
                crate::providers::azure_classic::classic_env(pki, sim, &[&self.id()])
            }
            Rig::AzureChina => china_env(sim, &[&self.id()]),
            Rig::Alibaba if special == Special::TokenExpiry => {
                let mut env = crate::providers::alibaba::oidc_env(sim, &[self.id()]);
                let file = env.path("oidc-token");
                std::fs::write(&file, purge_wait::provider::alibaba::sim::DEMO_OIDC_TOKEN).unwrap();
                env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &file);
                env
            }
            Rig::Alibaba => crate::providers::alibaba::ali_env(sim, &[self.id()]),
            Rig::AwsCloudFront if special == Special::TokenExpiry => {
                crate::providers::aws_cloudfront::web_identity_env(sim, &[&self.id()])
            }
            Rig::AwsCloudFront => crate::providers::aws_cloudfront::cf_env(sim, &[&self.id()]),
            Rig::GoogleCloudCdn if special == Special::TokenExpiry => {
                crate::providers::google_cloud_cdn::gc_env(sim, &[&self.id()])
            }
            Rig::GoogleCloudCdn => {
                let mut env = crate::providers::google_cloud_cdn::gc_env(sim, &[&self.id()]);
                env.unset("GOOGLE_APPLICATION_CREDENTIALS")
                    .set("GOOGLE_OAUTH_ACCESS_TOKEN", gc_sim::DEMO_ACCESS_TOKEN)
                    .set("INPUT_PROJECT", gc_sim::DEMO_PROJECT)
                    .set("INPUT_FAIL-ON-TIMEOUT", "true");
                env
            }
            Rig::TencentCdn if special == Special::TokenExpiry => {
                let mut env = crate::providers::tencent::tc_env(sim, &[&self.id()]);
                let file = env.path("oidc-token");
                std::fs::write(&file, tc_sim::DEMO_OIDC_TOKEN).unwrap();
                env.unset("TENCENTCLOUD_SECRET_ID")
                    .unset("INPUT_SECRET-KEY")
                    .set("INPUT_ROLE-ARN", tc_sim::DEMO_ROLE_ARN)
                    .set("INPUT_OIDC-PROVIDER-ID", tc_sim::DEMO_OIDC_PROVIDER_ID)
                    .set("INPUT_STS-ENDPOINT", &sim.url())
                    .set("INPUT_OIDC-TOKEN-FILE", &file);
                env
            }
            Rig::TencentCdn => crate::providers::tencent::tc_env(sim, &[&self.id()]),
            Rig::AzureArm => {
                // operation-ids, so that the URL follows `endpoint` (the refused-connection
                // case points it elsewhere).
                let mut t = TestEnv::github();
                t.set("INPUT_PROVIDER", "azure-arm")
                    .set("INPUT_ENDPOINT", &sim.url())
                    .set("INPUT_AUTHORITY-HOST", &sim.url())
                    .set("AZURE_ACCESS_TOKEN", ARM_TOKEN)
                    .set("AZURE_SUBSCRIPTION_ID", arm::DEMO_SUBSCRIPTION)
                    .set("INPUT_LOCATION", "westeurope")
                    .set("INPUT_OPERATION-IDS", &self.id())
                    .set("INPUT_TIMEOUT", "20s")
                    .set("INPUT_INTERVAL", "200ms")
                    .set("INPUT_MAX-INTERVAL", "400ms")
                    .set("INPUT_FAIL-ON-TIMEOUT", "true")
                    .set("INPUT_REPORT", "auto");
                t
            }
        }
    }

    /// Whether the provider has the special condition at all.
    fn supports(self, special: Special) -> bool {
        match (self, special) {
            // No tokens: every request is HMAC-signed afresh.
            (Rig::AzureChina, Special::TokenExpiry) => false,
            // No signatures or request dates: nothing to skew.
            (Rig::AzureArm, Special::ClockSkew) => false,
            // A client certificate: no request date, no token to expire.
            (Rig::AzureClassic, Special::ClockSkew | Special::TokenExpiry) => false,
            // Service Management has no purge call purge-wait makes.
            (Rig::AzureClassic, Special::Purge) => false,
            // No purge: ids come only from operation-ids.
            (Rig::AzureClassic, Special::InjectedIds) => false,
            // A token given as is: no request date. A key's JWT with a skewed clock is
            // refused once at the token endpoint (exit 3): tests/providers/google_cloud_cdn.rs.
            (Rig::GoogleCloudCdn, Special::ClockSkew) => false,
            _ => true,
        }
    }
}

impl Rig {
    /// Whether a row applies to the provider beyond its special condition.
    fn takes(self, case: &Case) -> bool {
        // A `wait` long-poll may hold its answer two minutes on top of request-timeout, by
        // design: an answer slower than request-timeout is not a fault there (the held wait
        // is tested in tests/providers/google_cloud_cdn.rs).
        let slow = case.faults.iter().any(|f| matches!(f, Fault::Slow(_)));
        !(self == Rig::GoogleCloudCdn && slow)
    }
}

/// Conditions that need provider-specific set-up.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Special {
    None,
    ClockSkew,
    TokenExpiry,
    Signal(&'static str),
    RefusedConnection,
    UnwritableOutput,
    /// Purge, then wait (`paths` instead of `operation-ids`).
    Purge,
    /// A purge whose answer names an id holding workflow commands, logging commands and
    /// section markers (a hostile server instead of the simulator).
    InjectedIds,
    /// `GITHUB_OUTPUT` names a FIFO.
    FifoOutput,
    /// The provider's input file (ca-file, certificate-file, federated-token-file,
    /// oidc-token-file) names a FIFO.
    FifoInput,
}

/// An extra assertion on a cell: what the binary wrote and what the simulator saw.
type Check = fn(&Run, &[Record]) -> Result<(), String>;

struct Case {
    name: &'static str,
    keys: &'static str,
    faults: Vec<Fault>,
    env: &'static [(&'static str, &'static str)],
    special: Special,
    code: i32,
    status: &'static str,
    requests: std::ops::RangeInclusive<usize>,
    check: Option<Check>,
    /// How many operations to wait on (the scripted one, then more of the same form).
    ids: u32,
    /// The longest the run may take (the deadline guarantee).
    max_wall: Option<Duration>,
}

fn case(
    name: &'static str,
    keys: &'static str,
    code: i32,
    status: &'static str,
    requests: std::ops::RangeInclusive<usize>,
) -> Case {
    Case {
        name,
        keys,
        faults: vec![],
        env: &[],
        special: Special::None,
        code,
        status,
        requests,
        check: None,
        ids: 1,
        max_wall: None,
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            faults: vec![Fault::ServerError; 3],
            ..case("5xx burst, then success", "after=0s", 0, "succeeded", 4..=4)
        },
        Case {
            faults: vec![Fault::TooManyRequests(Some(1)); 2],
            check: Some(|_, r| {
                let gap = r[1].at - r[0].at;
                (gap >= Duration::from_millis(990))
                    .then_some(())
                    .ok_or(format!("Retry-After: 1 not honoured ({gap:?})"))
            }),
            ..case("429 with Retry-After", "after=0s", 0, "succeeded", 3..=3)
        },
        Case {
            faults: vec![Fault::TooManyRequests(None); 2],
            ..case("429 without Retry-After", "after=0s", 0, "succeeded", 3..=3)
        },
        Case {
            faults: vec![Fault::Reset; 2],
            ..case("connection reset", "after=0s", 0, "succeeded", 3..=3)
        },
        Case {
            special: Special::RefusedConnection,
            env: &[("INPUT_RETRIES", "2")],
            ..case(
                "connection refused (retries exhausted)",
                "after=0s",
                3,
                "error",
                0..=0,
            )
        },
        Case {
            faults: vec![Fault::Slow(Duration::from_secs(3))],
            env: &[("INPUT_REQUEST-TIMEOUT", "400ms")],
            // The simulator logs the slow request only when it finally answers, after the
            // binary has moved on: count with the binary's own `polls` output.
            check: Some(|run, _| {
                (run.outputs.get("polls").map(String::as_str) == Some("2"))
                    .then_some(())
                    .ok_or(format!("polls {:?}, expected 2", run.outputs.get("polls")))
            }),
            ..case(
                "answer slower than request-timeout",
                "after=0s",
                0,
                "succeeded",
                1..=2,
            )
        },
        Case {
            faults: vec![Fault::Truncated; 2],
            ..case(
                "truncated body, then success",
                "after=0s",
                0,
                "succeeded",
                3..=3,
            )
        },
        Case {
            // Another origin: were it followed, the refused connection would be retried and
            // the next poll would succeed.
            faults: vec![Fault::Redirect("http://127.0.0.1:9/moved?x=1".into())],
            check: Some(|run, _| {
                run.commands("error")
                    .iter()
                    .any(|e| e.contains("unexpected redirect (HTTP 307) to http://127.0.0.1:9;"))
                    .then_some(())
                    .ok_or("no error naming the redirect".into())
            }),
            ..case(
                "redirect to another origin (not followed)",
                "after=0s",
                3,
                "error",
                1..=1,
            )
        },
        Case {
            env: &[("INPUT_RETRIES", "2")],
            ..case(
                "malformed body, persistent",
                "after=0s,outcome=malformed",
                3,
                "error",
                3..=3,
            )
        },
        Case {
            faults: vec![Fault::ServerError; 5],
            env: &[("INPUT_RETRIES", "2")],
            ..case(
                "5xx until retries are exhausted",
                "after=0s",
                3,
                "error",
                3..=3,
            )
        },
        Case {
            env: &[("INPUT_TIMEOUT", "1s")],
            check: Some(|run, _| {
                run.commands("warning")
                    .first()
                    .filter(|w| w.contains("Bogus"))
                    .map(|_| ())
                    .ok_or("the unknown word is not reported".into())
            }),
            ..case(
                "unknown status word",
                "after=0s,outcome=Bogus",
                124,
                "timed-out",
                2..=8,
            )
        },
        case(
            "status goes back from terminal",
            "after=0s,outcome=regress",
            0,
            "succeeded",
            1..=1,
        ),
        Case {
            env: &[
                ("INPUT_TIMEOUT", "300ms"),
                ("INPUT_INTERVAL", "1s"),
                ("INPUT_MAX-INTERVAL", "2s"),
            ],
            ..case(
                "deadline shorter than one interval",
                "outcome=stuck",
                124,
                "timed-out",
                2..=2,
            )
        },
        Case {
            special: Special::ClockSkew,
            ..case(
                "clock skew / expired signature",
                "after=0s",
                3,
                "error",
                2..=2,
            )
        },
        Case {
            special: Special::TokenExpiry,
            check: Some(|_, r| {
                let refused = r.iter().filter(|r| r.status == 401).count();
                (refused == 0)
                    .then_some(())
                    .ok_or(format!("{refused} requests went out with an expired token"))
            }),
            ..case("token expiry mid-wait", "after=2s", 0, "succeeded", 1..=20)
        },
        Case {
            special: Special::UnwritableOutput,
            check: Some(|run, _| {
                run.commands("error")
                    .iter()
                    .any(|e| e.contains("could not write step outputs"))
                    .then_some(())
                    .ok_or("no annotation about the unwritable $GITHUB_OUTPUT".into())
            }),
            ..case(
                "$GITHUB_OUTPUT unwritable",
                "after=0s",
                0,
                "succeeded",
                1..=1,
            )
        },
        Case {
            special: Special::InjectedIds,
            check: Some(|run, _| {
                crate::hostile_ids::assert_no_injected_line(&run.stdout)?;
                crate::hostile_ids::assert_no_injected_line(&run.stderr)?;
                crate::hostile_ids::assert_summary_intact(&run.summary)?;
                crate::hostile_ids::says_why(&run.stdout)
                    .then_some(())
                    .ok_or("the refusal does not say why".into())
            }),
            ..case(
                "injected ids in a purge answer",
                "after=0s",
                3,
                "error",
                0..=0,
            )
        },
        Case {
            special: Special::FifoOutput,
            check: Some(|run, _| {
                let errors = run.commands("error");
                (errors
                    .iter()
                    .any(|e| e.contains("`GITHUB_OUTPUT`") && e.contains("FIFO"))
                    && errors
                        .iter()
                        .any(|e| e.contains("could not write step outputs")))
                .then_some(())
                .ok_or(format!("the FIFO is not named: {errors:?}"))
            }),
            ..case("FIFO as $GITHUB_OUTPUT", "after=0s", 2, "error", 0..=0)
        },
        Case {
            special: Special::FifoInput,
            check: Some(|run, _| {
                run.commands("error")
                    .first()
                    .filter(|e| e.contains("FIFO (named pipe), not a regular file"))
                    .map(|_| ())
                    .ok_or(format!(
                        "the FIFO is not named: {:?}",
                        run.commands("error")
                    ))
            }),
            ..case("FIFO as an input file", "after=0s", 2, "error", 0..=0)
        },
        Case {
            special: Special::Signal("TERM"),
            ..case(
                "SIGTERM mid-wait",
                "outcome=stuck",
                130,
                "interrupted",
                1..=10,
            )
        },
        Case {
            special: Special::Signal("INT"),
            ..case(
                "SIGINT mid-wait",
                "outcome=stuck",
                130,
                "interrupted",
                1..=10,
            )
        },
        Case {
            // Accepts every connection and reads every request, never answers: each call is
            // cut at the deadline (plus 1 s), none starts after it.
            faults: vec![Fault::Hang; 500],
            env: &[("INPUT_TIMEOUT", "3s")],
            ids: 40,
            max_wall: Some(Duration::from_secs(5)),
            // The simulator logs a request only when it answers: never.
            check: Some(|run, _| {
                let polls: usize = run.outputs["polls"].parse().unwrap_or(usize::MAX);
                (polls <= 40)
                    .then_some(())
                    .ok_or(format!("{polls} calls for 40 ids in one sweep"))
            }),
            ..case(
                "server never answers (many ids)",
                "outcome=stuck",
                124,
                "timed-out",
                0..=0,
            )
        },
        Case {
            faults: vec![Fault::Hang; 10],
            env: &[("INPUT_TIMEOUT", "3s")],
            special: Special::Purge,
            max_wall: Some(Duration::from_secs(5)),
            check: Some(|run, _| {
                run.commands("warning")
                    .iter()
                    .any(|w| w.contains("was not answered before the deadline"))
                    .then_some(())
                    .ok_or("the timeout does not say the purge call went unanswered".into())
            }),
            ..case("purge never answers", "after=0s", 124, "timed-out", 0..=0)
        },
        Case {
            // A server-sent delay far beyond anything: clamped, so beyond the deadline, so a
            // timeout at once — never a panic (exit 134, no outputs).
            faults: vec![
                Fault::TooManyRequestsWith("retry-after", "1e300".into()),
                Fault::TooManyRequestsWith("retry-after", "10000000000000000000".into()),
            ],
            env: &[("INPUT_RETRIES", "3")],
            max_wall: Some(Duration::from_secs(5)),
            check: Some(|run, _| {
                run.commands("warning")
                    .iter()
                    .any(|w| w.contains("is beyond the deadline"))
                    .then_some(())
                    .ok_or("the timeout does not name the Retry-After".into())
            }),
            ..case("extreme delays", "after=0s", 124, "timed-out", 1..=1)
        },
    ]
}

async fn run_case(rig: Rig, case: &Case) -> Result<String, String> {
    let running = rig.start(case.keys, case.special).await;
    let sim = &running.sim;
    sim.inject(case.faults.iter().cloned());
    let mut env = rig.env(&running, case.special);
    for (k, v) in case.env {
        env.set(k, v);
    }
    if case.ids > 1 {
        env.set("INPUT_OPERATION-IDS", &rig.ids(case.ids).join("\n"));
    }
    match case.special {
        Special::RefusedConnection => {
            env.set("INPUT_ENDPOINT", "http://127.0.0.1:9");
        }
        Special::TokenExpiry if rig == Rig::AzureArm => {
            // Client-secret tokens that live 1 s (ARM refuses them 300 ms early).
            env.unset("AZURE_ACCESS_TOKEN")
                .set("AZURE_TENANT_ID", arm::DEMO_TENANT)
                .set("AZURE_CLIENT_ID", arm::DEMO_CLIENT)
                .set("AZURE_CLIENT_SECRET", arm::DEMO_CLIENT_SECRET);
        }
        Special::UnwritableOutput => {
            // In a directory that does not exist: accepted as absent (to be created), then
            // cannot be created. (A directory itself is refused before any request, as every
            // existing file that is not a regular file is.)
            env.set("GITHUB_OUTPUT", &env.path("no-such-dir/output"));
        }
        Special::FifoOutput => {
            let fifo = crate::fifo_files::mkfifo(&env, "output-fifo");
            env.set("GITHUB_OUTPUT", &fifo);
        }
        Special::FifoInput => {
            let fifo = crate::fifo_files::mkfifo(&env, "input-fifo");
            match rig {
                Rig::AzureChina => {
                    env.set("INPUT_CA-FILE", &fifo);
                }
                Rig::AzureClassic => {
                    env.unset("INPUT_CERTIFICATE")
                        .set("INPUT_CERTIFICATE-FILE", &fifo);
                }
                Rig::AzureArm => {
                    env.unset("AZURE_ACCESS_TOKEN")
                        .set("AZURE_TENANT_ID", arm::DEMO_TENANT)
                        .set("AZURE_CLIENT_ID", arm::DEMO_CLIENT)
                        .set("AZURE_FEDERATED_TOKEN_FILE", &fifo);
                }
                Rig::Alibaba => {
                    use purge_wait::provider::alibaba::sim::{
                        DEMO_OIDC_PROVIDER_ARN, DEMO_ROLE_ARN,
                    };
                    env.unset("ALIBABA_CLOUD_ACCESS_KEY_ID")
                        .unset("INPUT_ACCESS-KEY-SECRET")
                        .set("ALIBABA_CLOUD_ROLE_ARN", DEMO_ROLE_ARN)
                        .set("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", DEMO_OIDC_PROVIDER_ARN)
                        .set("INPUT_STS-ENDPOINT", &sim.url())
                        .set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &fifo);
                }
                Rig::AwsCloudFront => {
                    env.unset("AWS_ACCESS_KEY_ID")
                        .unset("AWS_SECRET_ACCESS_KEY")
                        .set("AWS_ROLE_ARN", cf_sim::DEMO_ROLE_ARN)
                        .set("INPUT_STS-ENDPOINT", &sim.url())
                        .set("AWS_WEB_IDENTITY_TOKEN_FILE", &fifo);
                }
                Rig::GoogleCloudCdn => {
                    env.unset("GOOGLE_OAUTH_ACCESS_TOKEN")
                        .set("GOOGLE_APPLICATION_CREDENTIALS", &fifo);
                }
                Rig::TencentCdn => {
                    env.unset("TENCENTCLOUD_SECRET_ID")
                        .unset("INPUT_SECRET-KEY")
                        .set("INPUT_ROLE-ARN", tc_sim::DEMO_ROLE_ARN)
                        .set("INPUT_OIDC-PROVIDER-ID", tc_sim::DEMO_OIDC_PROVIDER_ID)
                        .set("INPUT_STS-ENDPOINT", &sim.url())
                        .set("TKE_WEB_IDENTITY_TOKEN_FILE", &fifo);
                }
            }
        }
        Special::Purge => {
            env.unset("INPUT_OPERATION-IDS");
            match rig {
                Rig::AwsCloudFront => {
                    env.set("INPUT_PATHS", "/a.png");
                }
                Rig::GoogleCloudCdn => {
                    env.set("INPUT_PATHS", "/a.png")
                        .set("INPUT_URL-MAP", gc_sim::DEMO_URL_MAP);
                }
                Rig::AzureArm => {
                    env.unset("INPUT_LOCATION")
                        .set("INPUT_RESOURCE-GROUP", "web-rg")
                        .set("INPUT_PROFILE", "cdn-prof")
                        .set("INPUT_CDN-ENDPOINT", "web")
                        .set("INPUT_PATHS", "/a.png");
                }
                _ => {
                    env.set("INPUT_PATHS", "https://www.example.com/a.png");
                }
            }
        }
        _ => {}
    }
    // Kept until the run ends.
    let mut hostile = None;
    if case.special == Special::InjectedIds {
        let p = match rig {
            Rig::AzureChina => crate::hostile_ids::Hostile::AzureChina,
            Rig::Alibaba => crate::hostile_ids::Hostile::Alibaba,
            Rig::AzureArm => crate::hostile_ids::Hostile::AzureArm,
            Rig::AwsCloudFront => crate::hostile_ids::Hostile::AwsCloudFront,
            Rig::GoogleCloudCdn => crate::hostile_ids::Hostile::GoogleCloudCdn,
            Rig::TencentCdn => crate::hostile_ids::Hostile::TencentCdn,
            Rig::AzureClassic => unreachable!("not supported"),
        };
        let server = crate::hostile_ids::hostile_server(p).await;
        env.unset("INPUT_OPERATION-IDS");
        for (k, v) in crate::hostile_ids::purge_inputs(p, &server.uri()) {
            env.set(k, &v);
        }
        hostile = Some(server);
    }
    let started = std::time::Instant::now();
    let run = match case.special {
        Special::Signal(signal) => {
            let child = env.command().spawn().unwrap();
            let pid = child.id().unwrap();
            for _ in 0..100 {
                if !sim.requests().is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            std::process::Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .status()
                .unwrap();
            env.collect(child).await
        }
        _ => env.run().await,
    };
    let wall = started.elapsed();
    let requests = sim.requests();
    let mut problems = Vec::new();
    if let Some(max) = case.max_wall {
        if wall > max {
            problems.push(format!("ran {wall:?} (at most {max:?})"));
        }
    }
    if let Some(server) = hostile {
        let calls = server.received_requests().await.unwrap_or_default().len();
        if calls != 1 {
            problems.push(format!(
                "{calls} purge calls to the hostile server (expected 1)"
            ));
        }
    }
    if run.code != case.code {
        problems.push(format!("exit {} (expected {})", run.code, case.code));
    }
    if !case.requests.contains(&requests.len()) {
        problems.push(format!(
            "{} requests (expected {:?})",
            requests.len(),
            case.requests
        ));
    }
    if !matches!(
        case.special,
        Special::UnwritableOutput | Special::FifoOutput
    ) {
        for name in purge_wait::report::Outputs::NAMES {
            if !run.outputs.contains_key(name) {
                problems.push(format!("output {name} missing"));
            }
        }
        if run.outputs.get("status").map(String::as_str) != Some(case.status) {
            problems.push(format!(
                "status {:?} (expected {})",
                run.outputs.get("status"),
                case.status
            ));
        }
    }
    if run.summary.trim().is_empty() {
        problems.push("no job summary".into());
    }
    for secret in rig.secrets(&running) {
        let secret = secret.as_str();
        let leaked = run.stderr.contains(secret)
            || run.output_file.contains(secret)
            || run.summary.contains(secret)
            || run
                .stdout
                .lines()
                .any(|l| l.contains(secret) && l != format!("::add-mask::{secret}"));
        if leaked {
            problems.push("a secret was written".into());
        }
    }
    if let Some(check) = case.check {
        if let Err(p) = check(&run, &requests) {
            problems.push(p);
        }
    }
    if problems.is_empty() {
        Ok(format!("✔ exit {}, {} req", run.code, requests.len()))
    } else {
        Err(format!(
            "✘ {}\n--- stdout:\n{}\n--- stderr:\n{}",
            problems.join("; "),
            run.stdout,
            run.stderr
        ))
    }
}

#[tokio::test]
async fn fault_matrix() {
    let cases = cases();
    let mut table = String::from("| case |");
    for rig in RIGS {
        write!(table, " {} |", rig.name()).unwrap();
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(RIGS.len()));
    table.push('\n');
    let mut failures = Vec::new();
    for case in &cases {
        write!(table, "| {} |", case.name).unwrap();
        for &rig in RIGS {
            let cell = if rig.supports(case.special) && rig.takes(case) {
                match run_case(rig, case).await {
                    Ok(cell) => cell,
                    Err(detail) => {
                        failures.push(format!("{} × {}: {detail}", case.name, rig.name()));
                        "✘".to_string()
                    }
                }
            } else {
                "n/a".to_string()
            };
            write!(table, " {cell} |").unwrap();
        }
        table.push('\n');
    }
    println!("{table}");
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/fault-matrix.md"),
        &table,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every input given a bad value, for every provider: exit 2, the input named, `status=error`
/// outputs, no secret written and not one request made.
#[tokio::test]
async fn every_provider_refuses_bad_inputs_before_any_request() {
    let common: &[(&str, &str, &str)] = &[
        ("INPUT_TIMEOUT", "forever", "timeout"),
        ("INPUT_INTERVAL", "0", "interval"),
        ("INPUT_MAX-INTERVAL", "1ms", "max-interval"),
        ("INPUT_FAIL-ON-TIMEOUT", "perhaps", "fail-on-timeout"),
        ("INPUT_REQUEST-TIMEOUT", "soon", "request-timeout"),
        ("INPUT_RETRIES", "-1", "retries"),
        ("INPUT_CONCURRENCY", "0", "concurrency"),
        ("INPUT_REPORT", "teamcity", "report"),
        ("INPUT_ENDPOINT", "ftp://example.com", "endpoint"),
        ("INPUT_OPERATION-IDS", " , ", "operation-ids"),
        ("INPUT_PURGE-TYPE", "everything", "purge-type"),
        // Extremes: refused by range, never overflowed.
        ("INPUT_TIMEOUT", "300000000000y", "timeout"),
        ("INPUT_RATE-LIMIT", "1e-300", "rate-limit"),
        ("INPUT_INTERVAL", "1e300", "interval"),
        ("INPUT_CONCURRENCY", "99999999999", "concurrency"),
        ("INPUT_NOT-FOUND-GRACE", "2h", "not-found-grace"),
    ];
    let specific = |rig: Rig| -> Vec<(&'static str, &'static str, &'static str)> {
        match rig {
            Rig::AzureChina => vec![("INPUT_SUBSCRIPTION-ID", "my-sub", "subscription-id")],
            Rig::AzureClassic => vec![("INPUT_API-VERSION", "2010-01-01", "api-version")],
            Rig::AzureArm => vec![("INPUT_ENVIRONMENT", "Mars", "environment")],
            Rig::Alibaba => vec![("INPUT_REGION", "Hang Zhou", "region")],
            Rig::AwsCloudFront => vec![(
                "INPUT_DISTRIBUTION-ID",
                "not a distribution",
                "distribution-id",
            )],
            Rig::GoogleCloudCdn => vec![("INPUT_PROJECT", "My Project", "project")],
            Rig::TencentCdn => vec![("INPUT_FLUSH-TYPE", "gentle", "flush-type")],
        }
    };
    let mut failures = Vec::new();
    for &rig in RIGS {
        let running = rig.start("after=0s", Special::None).await;
        for (var, value, input) in common.iter().copied().chain(specific(rig)) {
            let mut env = rig.env(&running, Special::None);
            env.set(var, value);
            let run = env.run().await;
            let named = run
                .commands("error")
                .first()
                .is_some_and(|e| e.contains(&format!("`{input}`")));
            let leaked = rig.secrets(&running).iter().any(|s| {
                run.stderr.contains(s.as_str())
                    || run.output_file.contains(s.as_str())
                    || run.summary.contains(s.as_str())
            });
            if run.code != 2
                || !named
                || run.outputs.get("status").map(String::as_str) != Some("error")
                || leaked
            {
                failures.push(format!(
                    "{} {var}={value}: exit {}, named {named}, leaked {leaked}\n{}",
                    rig.name(),
                    run.code,
                    run.stdout
                ));
            }
        }
        let requests = running.sim.requests();
        if !requests.is_empty() {
            failures.push(format!(
                "{}: {} requests for bad input",
                rig.name(),
                requests.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The matrix covers the registry: one rig per provider folder, in registry order, so a new
/// provider without a rig fails here by name.
#[test]
fn the_matrix_has_one_rig_per_registry_provider_in_order() {
    let registry: Vec<&str> = purge_wait::provider::registry::CLOUDS
        .iter()
        .map(|cloud| cloud.names()[0])
        .collect();
    let rigs: Vec<&str> = RIGS.iter().map(|rig| rig.name()).collect();
    assert_eq!(
        rigs, registry,
        "tests/faults.rs RIGS must follow the registry"
    );
}
