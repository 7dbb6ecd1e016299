//! `purge-wait demo --provider google-cloud-cdn` and `simulate --provider google-cloud-cdn`:
//! the simulator of [`super::sim`] on a local port, with a real wait against it — a service
//! account key (RFC 7515's published test key, in a temporary file removed with the
//! simulator) exchanged for a token with a JWT the simulator verifies, then the operations
//! read with the `wait` long-poll.

use std::path::PathBuf;
use std::time::Duration;

use super::sim::{self, GoogleCloudCdnSim, Setup};
use crate::config::Raw;
use crate::duration;
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Demo, Served, Simulate, demo_sim, serve, shown};
use crate::sim::{Answer, Api, Scenario, SimRequest};

/// The demo's operations: three of different lengths, one throttled once.
const DEMO_OPS: &[&str] = &[
    "operation-1700000000000-demo-index:after=2s",
    "operation-1700000000001-demo-img:after=4s,throttle=1,retry-after=1",
    "operation-1700000000002-demo-all:after=6s",
];

/// The simulator, owning the demo's key file: the file goes when the simulator does (the
/// wait is over, and the runtime drops the server).
struct WithKeyFile {
    sim: GoogleCloudCdnSim,
    key: PathBuf,
}

impl Api for WithKeyFile {
    fn answer(&self, request: &SimRequest) -> Answer {
        self.sim.answer(request)
    }

    fn hold(&self, request: &SimRequest) -> Duration {
        self.sim.hold(request)
    }
}

impl Drop for WithKeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.key);
    }
}

/// Where the demo's key file goes: the temporary directory (it holds only the published
/// RFC 7515 test key), under a name of this run.
fn key_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "purge-wait-demo-google-{}-{:08x}.json",
        std::process::id(),
        fastrand::u32(..)
    ))
}

/// Writes the demo's key file: the simulator's service account, its `token_uri` the
/// simulator's.
fn write_key(path: &std::path::Path, base: &str) -> Result<(), Fatal> {
    let json = sim::service_account_key_json(&format!("{base}{}", sim::TOKEN_PATH));
    crate::files::write_regular(path, json.as_bytes()).map_err(|e| {
        Fatal::new(
            Exit::Unreadable,
            format!(
                "could not write the demo's key file {}: {e}",
                path.display()
            ),
        )
    })
}

/// The simulator with three operations (with `--paths`: none, the wait invalidates them),
/// and the inputs that point a wait authorised with the demo key at it.
pub async fn demo(raw: &Raw) -> Result<Demo, Fatal> {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = DEMO_OPS
        .iter()
        .filter_map(|spec| Scenario::parse(spec, &default).ok())
        .collect();
    let setup = Setup {
        ops: ops.clone(),
        ..Setup::default()
    };
    let key = key_path();
    let sim = demo_sim(WithKeyFile {
        sim: GoogleCloudCdnSim::new(setup.clone()),
        key: key.clone(),
    })
    .await?;
    write_key(&key, sim.url().trim_end_matches('/'))?;
    let what = match raw.get("paths") {
        Some(_) => format!(
            "invalidating the paths given in URL map {}, then waiting",
            setup
                .url_maps
                .first()
                .map(String::as_str)
                .unwrap_or_default()
        ),
        None => format!("waiting on {} operations", ops.len()),
    };
    let banner = format!(
        "simulated Google Cloud CDN at {} (service account JWT verified, the wait long-poll held up to {}); {what}",
        sim.url(),
        duration::format(setup.hold),
    );
    let mut set = vec![
        ("endpoint", sim.url()),
        ("project", setup.project.clone()),
        ("credentials-file", key.display().to_string()),
    ];
    match raw.get("paths") {
        Some(_) => set.push((
            "url-map",
            setup.url_maps.first().cloned().unwrap_or_default(),
        )),
        None => {
            let ids: Vec<&str> = ops.iter().map(|(id, _)| id.as_str()).collect();
            set.push(("operation-ids", ids.join(",")));
        }
    }
    Ok(Demo {
        sim,
        banner,
        unset: &[
            "access-token",
            "workload-identity-provider",
            "service-account",
            "iam-credentials-endpoint",
            "sts-endpoint",
            "audience",
            "host",
        ],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves the simulator (Compute, the OAuth token endpoint, STS, IAM Credentials, the
/// GitHub token service, a subject token URL, the metadata server) until interrupted.
pub async fn simulate(how: Simulate<'_>) -> Result<Served, Fatal> {
    let raw = how.raw;
    let mut setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        purge: Scenario::succeeds_after(how.default_duration),
        ops: how.ops,
        ..Setup::default()
    };
    if let Some(token) = raw.get("access-token") {
        setup.access_tokens.push(token.to_string());
    }
    if let Some(project) = raw.get("project") {
        setup.project = project.to_string();
    }
    if let Some(map) = raw.get("url-map") {
        setup.url_maps.push(map.to_string());
    }
    let token = shown(raw, "access-token", sim::DEMO_ACCESS_TOKEN);
    let instructions = format!(
        "Simulating Google Cloud CDN (Compute Engine operations and invalidateCache, OAuth, STS, IAM Credentials, the metadata server) on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER=google-cloud-cdn PURGE_WAIT_ENDPOINT=http://{{addr}} \\\n  \
         PURGE_WAIT_PROJECT={} GOOGLE_OAUTH_ACCESS_TOKEN='{token}' \\\n  \
         purge-wait --operation-ids <any operation name>   (or --paths '/index.html /img/*' --url-map {})\n\
         (a service account key instead: the demo key with token_uri http://{{addr}}{}; the metadata server: GCE_METADATA_HOST={{addr}}; \
         workload identity: --workload-identity-provider {} --sts-endpoint http://{{addr}} --iam-credentials-endpoint http://{{addr}} \
         with ACTIONS_ID_TOKEN_REQUEST_URL=http://{{addr}}{} and ACTIONS_ID_TOKEN_REQUEST_TOKEN={})\n\
         Operations not scripted with --op complete {} after their first poll; wait holds up to {}. Ctrl-C stops.",
        setup.project,
        setup
            .url_maps
            .first()
            .map(String::as_str)
            .unwrap_or_default(),
        sim::TOKEN_PATH,
        setup.workload_identity_provider,
        sim::GITHUB_TOKEN_PATH,
        setup.github_request_token,
        duration::format(how.default_duration),
        duration::format(setup.hold),
    );
    let sim = serve(GoogleCloudCdnSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
