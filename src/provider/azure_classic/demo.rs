//! Azure classic Service Management's `demo` and `simulate`, over real mutual TLS: a
//! throwaway CA, server and management certificate, made for the run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::sim::{AzureClassicSim, Setup};
use crate::config::Raw;
use crate::duration;
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Demo, Served, Simulate, demo_ops};
use crate::sim::tls::{AskCert, Pki};
use crate::sim::{Scenario, Simulator};

/// The demo's operations (request ids): one throttled once.
pub const DEMO_OPS: &[&str] = &[
    "5f0c1e2d3b4a49788796a5b4c3d2e1f0:after=2s",
    "0a1b2c3d4e5f40718293a4b5c6d7e8f9:after=4s,throttle=1,retry-after=1",
    "9e8d7c6b5a4f43e2d1c0b9a8f7e6d5c4:after=5s",
];

fn setup_failed(what: &str, e: impl std::fmt::Display) -> Fatal {
    Fatal::new(Exit::Unreadable, format!("could not {what}: {e}"))
}

/// The throwaway PKI and the TLS simulator requiring its client certificate (asked for by
/// renegotiation).
async fn start(
    setup: impl FnOnce(&Pki) -> Setup,
    listen: std::net::SocketAddr,
    echo: bool,
) -> Result<(Pki, Simulator), Fatal> {
    let pki = Pki::generate().map_err(|e| setup_failed("generate the demo certificates", e))?;
    // OpenSSL, asking for the management certificate by renegotiation, as Service
    // Management does.
    let server_tls = pki
        .openssl_acceptor()
        .map_err(|e| setup_failed("set up the demo TLS server", e))?;
    let setup = setup(&pki);
    let sim = Simulator::start_openssl(
        AzureClassicSim::new(setup),
        listen,
        echo,
        server_tls,
        AskCert::Renegotiate,
    )
    .await
    .map_err(|e| match echo {
        true => Fatal::new(Exit::Usage, format!("could not listen on {listen}: {e}")),
        false => setup_failed("start the simulator", e),
    })?;
    Ok((pki, sim))
}

/// Generates the PKI in memory, serves the classic API over HTTPS requiring that client
/// certificate, and says how to wait on it (trusting the throwaway CA).
pub async fn demo(_name: &'static str, _raw: &Raw) -> Result<Demo, Fatal> {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops = demo_ops(DEMO_OPS, &default);
    let mut subscription = String::new();
    let free = "127.0.0.1:0".parse().expect("address parses");
    let (pki, sim) = start(
        |pki| {
            let setup = Setup {
                thumbprints: vec![pki.client.thumbprint()],
                ops: ops.clone(),
                ..Default::default()
            };
            subscription = setup.subscription_id.clone();
            setup
        },
        free,
        false,
    )
    .await?;
    let banner = format!(
        "simulated Azure classic Service Management at {} (mutual TLS, the management certificate asked for by renegotiation as Service Management does: a throwaway CA, server and management certificate {} made in memory); waiting on {} operations",
        sim.url(),
        pki.client.thumbprint(),
        ops.len()
    );
    let ids = ops
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    Ok(Demo {
        banner,
        unset: &[],
        set: vec![
            ("endpoint", sim.url()),
            ("subscription-id", subscription),
            ("certificate", pki.client.pem()),
            ("operation-ids", ids),
        ],
        extra_roots: vec![pki.ca_der().to_vec()],
        sim,
    })
}

/// A private directory of the throwaway CA and management certificate, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Creates `dir` readable by the user only (0700 on unix).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `data` readable by the user only (0600 on unix).
fn private_file(path: &Path, data: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data.as_bytes())
}

/// Serves Service Management over mutual TLS where asked; the throwaway CA and management
/// certificate are written to a private temporary directory for a separate wait.
pub async fn simulate(_name: &'static str, how: Simulate<'_>) -> Result<Served, Fatal> {
    let subscription = how.raw.get("subscription-id").map(str::to_ascii_lowercase);
    let mut chosen = String::new();
    let (pki, sim) = start(
        |pki| {
            let mut setup = Setup {
                thumbprints: vec![pki.client.thumbprint()],
                ops: how.ops,
                default: Scenario::succeeds_after(how.default_duration),
                ..Default::default()
            };
            if let Some(s) = subscription {
                setup.subscription_id = s;
            }
            chosen = setup.subscription_id.clone();
            setup
        },
        how.listen,
        true,
    )
    .await?;
    let dir = std::env::temp_dir().join(format!("purge-wait-simulate-{}", std::process::id()));
    let failed = |e| setup_failed(&format!("write the certificates to {}", dir.display()), e);
    private_dir(&dir).map_err(failed)?;
    // Ours from here on: removed when the simulator stops.
    let keep = TempDir(dir.clone());
    private_file(&dir.join("ca.pem"), &pki.ca_pem())
        .and_then(|()| private_file(&dir.join("management-certificate.pem"), &pki.client.pem()))
        .map_err(failed)?;
    let dir = dir.display();
    let instructions = format!(
        "Simulating Azure classic Service Management on https://{{addr}} (mutual TLS: a throwaway CA and management certificate, in {dir})\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER=azure-classic PURGE_WAIT_ENDPOINT=https://{{addr}} \\\n  \
         PURGE_WAIT_SUBSCRIPTION_ID={chosen} PURGE_WAIT_CA_FILE={dir}/ca.pem \\\n  \
         PURGE_WAIT_CERTIFICATE_FILE={dir}/management-certificate.pem \\\n  \
         purge-wait --operation-ids <request id: 32 hex digits>\n\
         Operations not scripted with --op succeed {} after their first poll. Ctrl-C stops.",
        duration::format(how.default_duration),
    );
    Ok(Served {
        sim,
        instructions,
        keep: Some(Box::new(keep)),
    })
}
