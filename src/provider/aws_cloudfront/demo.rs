//! `purge-wait demo --provider aws-cloudfront` and `simulate --provider aws-cloudfront`: the
//! simulator of [`super::sim`] on a local port, with a real, signed wait against it.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use super::sim::{self, AwsCloudFrontSim, Setup};
use crate::app::wait;
use crate::config::{Raw, SimulateArgs};
use crate::demo::{demo_sim, scripted, serve, shown};
use crate::duration;
use crate::sim::Scenario;

/// The demo's invalidations: three of different lengths, one throttled once.
const DEMO_OPS: &[&str] = &[
    "I2J0I21PCUYOIK:after=2s",
    "IDFDVBD632BHDS5:after=4s,throttle=1,retry-after=1",
    "I3CU23QAPKMUDUU06F9OFGF:after=6s",
];

/// Starts the simulator on a free port and waits on three invalidations (with `--paths`:
/// creates one, then waits on it), signed with the demo keys.
pub async fn demo(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = DEMO_OPS
        .iter()
        .filter_map(|spec| Scenario::parse(spec, &default).ok())
        .collect();
    let setup = Setup {
        ops: ops.clone(),
        ..Setup::default()
    };
    let sim = match demo_sim(AwsCloudFrontSim::new(setup.clone())).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    let what = match raw.get("paths") {
        Some(_) => "invalidating the paths given, then waiting".to_string(),
        None => format!("waiting on {} invalidations", ops.len()),
    };
    eprintln!(
        "purge-wait demo: simulated AWS CloudFront at {} (SigV4 verified); {what}\n",
        sim.url(),
    );
    let mut demo_raw = raw;
    for input in [
        "aws-session-token",
        "role-to-assume",
        "web-identity-token",
        "web-identity-token-file",
        "aws-profile",
        "distribution-tenant-id",
        "aws-region",
    ] {
        demo_raw.unset(input);
    }
    demo_raw.set("provider", super::NAME);
    demo_raw.set("endpoint", sim.url());
    demo_raw.set("distribution-id", setup.distribution_id);
    demo_raw.set("aws-access-key-id", setup.access_key_id);
    demo_raw.set("aws-secret-access-key", setup.secret_access_key);
    if demo_raw.get("paths").is_none() {
        let ids: Vec<&str> = ops.iter().map(|(id, _)| id.as_str()).collect();
        demo_raw.set("operation-ids", ids.join(","));
    }
    demo_raw.set("interval", "1s");
    demo_raw.set("max-interval", "2s");
    demo_raw.set("timeout", "60s");
    wait(demo_raw, env, shutdown).await
}

/// Serves the simulator (CloudFront, STS, the GitHub token service, IMDSv2, the container
/// endpoint) until interrupted.
pub async fn simulate(args: SimulateArgs, raw: Raw, shutdown: impl Future<Output = ()>) -> u8 {
    let mut setup = Setup {
        default: Scenario::succeeds_after(args.default_duration),
        purge: Scenario::succeeds_after(args.default_duration),
        ..Setup::default()
    };
    setup.ops = match scripted(&args) {
        Ok(ops) => ops,
        Err(code) => return code,
    };
    if let Some(v) = raw.get("aws-access-key-id") {
        setup.access_key_id = v.to_string();
    }
    if let Some(v) = raw.get("aws-secret-access-key") {
        setup.secret_access_key = v.to_string();
    }
    if let Some(v) = raw.get("distribution-id") {
        setup.distribution_id = v.to_string();
    }
    if raw.get("aws-region").is_some_and(|r| r.starts_with("cn-")) {
        setup.region = "cn-northwest-1".into();
    }
    let secret = shown(&raw, "aws-secret-access-key", &setup.secret_access_key);
    let lines = format!(
        "Simulating AWS CloudFront invalidations (and STS AssumeRoleWithWebIdentity) on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER=aws-cloudfront PURGE_WAIT_ENDPOINT=http://{{addr}} \\\n  \
         PURGE_WAIT_DISTRIBUTION_ID={} AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY='{secret}' \\\n  \
         purge-wait --operation-ids <any id: letters and digits>   (or --paths '/index.html /img/*'; neither: every invalidation in progress)\n\
         (web identity instead of keys: PURGE_WAIT_STS_ENDPOINT=http://{{addr}} AWS_ROLE_ARN={} \
         and a file holding {} as AWS_WEB_IDENTITY_TOKEN_FILE; tenant: --distribution-tenant-id {})\n\
         Invalidations not scripted with --op complete {} after their first poll. Ctrl-C stops.",
        setup.distribution_id,
        setup.access_key_id,
        setup.role_arn,
        sim::DEMO_WEB_IDENTITY_TOKEN,
        setup.tenant_id,
        duration::format(args.default_duration),
    );
    let sim = match serve(AwsCloudFrontSim::new(setup), args.listen).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    eprintln!("{}", lines.replace("{addr}", &sim.addr().to_string()));
    shutdown.await;
    0
}
