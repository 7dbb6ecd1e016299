//! `purge-wait demo --provider aws-cloudfront` and `simulate --provider aws-cloudfront`: the
//! simulator of [`super::sim`] on a local port, with a real, signed wait against it.

use std::time::Duration;

use super::sim::{self, AwsCloudFrontSim, Setup};
use crate::config::Raw;
use crate::duration;
use crate::exit::Fatal;
use crate::provider::cloud::{Demo, Served, Simulate, demo_sim, serve, shown};
use crate::sim::Scenario;

/// The demo's invalidations: three of different lengths, one throttled once.
const DEMO_OPS: &[&str] = &[
    "I2J0I21PCUYOIK:after=2s",
    "IDFDVBD632BHDS5:after=4s,throttle=1,retry-after=1",
    "I3CU23QAPKMUDUU06F9OFGF:after=6s",
];

/// The simulator with three invalidations (with `--paths`: none, the wait creates one), and
/// the inputs that point a wait signed with the demo keys at it.
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
    let sim = demo_sim(AwsCloudFrontSim::new(setup.clone())).await?;
    let what = match raw.get("paths") {
        Some(_) => "invalidating the paths given, then waiting".to_string(),
        None => format!("waiting on {} invalidations", ops.len()),
    };
    let banner = format!(
        "simulated AWS CloudFront at {} (SigV4 verified); {what}",
        sim.url(),
    );
    let mut set = vec![
        ("endpoint", sim.url()),
        ("distribution-id", setup.distribution_id),
        ("aws-access-key-id", setup.access_key_id),
        ("aws-secret-access-key", setup.secret_access_key),
    ];
    if raw.get("paths").is_none() {
        let ids: Vec<&str> = ops.iter().map(|(id, _)| id.as_str()).collect();
        set.push(("operation-ids", ids.join(",")));
    }
    Ok(Demo {
        sim,
        banner,
        unset: &[
            "aws-session-token",
            "role-to-assume",
            "web-identity-token",
            "web-identity-token-file",
            "aws-profile",
            "distribution-tenant-id",
            "aws-region",
        ],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves the simulator (CloudFront, STS, the GitHub token service, IMDSv2, the container
/// endpoint) until interrupted.
pub async fn simulate(how: Simulate<'_>) -> Result<Served, Fatal> {
    let raw = how.raw;
    let mut setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        purge: Scenario::succeeds_after(how.default_duration),
        ops: how.ops,
        ..Setup::default()
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
    let secret = shown(raw, "aws-secret-access-key", &setup.secret_access_key);
    let instructions = format!(
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
        duration::format(how.default_duration),
    );
    let sim = serve(AwsCloudFrontSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
