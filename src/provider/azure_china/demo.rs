//! Azure China CDN's `demo` and `simulate`: three signed purges, one throttled once.

use std::time::Duration;

use super::sim::{AzureChinaSim, Setup};
use crate::config::Raw;
use crate::duration;
use crate::exit::Fatal;
use crate::provider::cloud::{Demo, Served, Simulate, demo_ops, demo_sim, serve, shown};
use crate::sim::Scenario;

/// The demo's operations: three purges of different lengths, one throttled once.
pub const DEMO_OPS: &[&str] = &[
    "3f2b8c1e-6d4a-4e8b-9c2d-1a5e7f9b0c31:after=2s",
    "8a7d6c5b-4e3f-4a1b-8c9d-0e1f2a3b4c5d:after=4s,throttle=1,retry-after=1",
    "c0ffee00-1234-4abc-8def-001122334455:after=6s",
];

/// The simulator with the demo's operations, and the inputs that point a wait at it.
pub async fn demo(_name: &'static str, raw: &Raw) -> Result<Demo, Fatal> {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops = demo_ops(DEMO_OPS, &default);
    let setup = Setup {
        ops: ops.clone(),
        ..Default::default()
    };
    let sim = demo_sim(AzureChinaSim::new(setup.clone())).await?;
    let what = match raw.get("paths") {
        Some(_) => "purging the paths given, then waiting".to_string(),
        None => format!("waiting on {} purges", ops.len()),
    };
    let banner = format!(
        "simulated Azure China CDN at {} (signatures verified); {what}",
        sim.url(),
    );
    let mut set = vec![
        ("endpoint", sim.url()),
        ("subscription-id", setup.subscription_id),
        ("endpoint-id", setup.endpoint_id),
        ("api-key-id", setup.key_id),
        ("api-key-secret", setup.key_secret),
    ];
    if raw.get("paths").is_none() {
        let ids: Vec<&str> = ops.iter().map(|(id, _)| id.as_str()).collect();
        set.push(("operation-ids", ids.join(",")));
    }
    Ok(Demo {
        sim,
        banner,
        unset: &[],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves the simulator where asked, accepting the credentials and ids the user gave.
pub async fn simulate(_name: &'static str, how: Simulate<'_>) -> Result<Served, Fatal> {
    let raw = how.raw;
    let mut setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        ops: how.ops,
        ..Default::default()
    };
    if let Some(v) = raw.get("api-key-id") {
        setup.key_id = v.to_string();
    }
    if let Some(v) = raw.get("api-key-secret") {
        setup.key_secret = v.to_string();
    }
    if let Some(v) = raw.get("subscription-id") {
        setup.subscription_id = v.to_ascii_lowercase();
    }
    if let Some(v) = raw.get("endpoint-id") {
        setup.endpoint_id = v.to_ascii_lowercase();
    }
    let shown_secret = shown(raw, "api-key-secret", &setup.key_secret);
    let instructions = format!(
        "Simulating the Azure China CDN operation API on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER=azure-china-cdn PURGE_WAIT_ENDPOINT=http://{{addr}} \\\n  \
         PURGE_WAIT_SUBSCRIPTION_ID={} PURGE_WAIT_ENDPOINT_ID={} \\\n  \
         AZURE_CDN_API_KEY_ID={} AZURE_CDN_API_KEY_SECRET={} \\\n  \
         purge-wait --operation-ids <any GUID>\n\
         Operations not scripted with --op succeed {} after their first poll. Ctrl-C stops.",
        setup.subscription_id,
        setup.endpoint_id,
        setup.key_id,
        shown_secret,
        duration::format(how.default_duration),
    );
    let sim = serve(AzureChinaSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
