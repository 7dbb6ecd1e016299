//! Alibaba Cloud's `demo` and `simulate`: 25 refresh tasks, so 3 calls of at most 10 ids per
//! sweep, finishing between 2 and 6 seconds; one call is throttled once. With `--paths`,
//! refreshes them first and waits on the tasks created.

use std::time::Duration;

use super::sim::{AlibabaSim, Setup};
use super::{MAX_BATCH, Product};
use crate::config::Raw;
use crate::duration;
use crate::exit::Fatal;
use crate::provider::cloud::{Demo, Served, Simulate, demo_sim, serve, shown};
use crate::sim::Scenario;

/// The simulator with the demo's tasks, and the inputs that point a wait at it.
pub async fn demo(name: &'static str, raw: &Raw) -> Result<Demo, Fatal> {
    let product = Product::from_name(name).expect("a registry name of this folder");
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = (1..=25u32)
        .map(|i| {
            let mut spec = format!("7042229{i:02}:after={}s", 2 + i % 5);
            if i == 13 {
                spec.push_str(",throttle=1,retry-after=1");
            }
            Scenario::parse(&spec, &default).expect("demo specs parse")
        })
        .collect();
    let setup = Setup {
        ops: ops.clone(),
        ..Default::default()
    };
    let sim = demo_sim(AlibabaSim::new(setup.clone())).await?;
    let banner = if raw.get("paths").is_some() {
        format!(
            "simulated Alibaba Cloud {} at {} (ACS3 signatures verified); refreshing the paths given, then waiting",
            product.refresh_action(),
            sim.url(),
        )
    } else {
        format!(
            "simulated Alibaba Cloud {} at {} (ACS3 signatures verified); waiting on {} refresh tasks, at most {} per call",
            product.action(),
            sim.url(),
            ops.len(),
            MAX_BATCH,
        )
    };
    let mut set = vec![
        ("endpoint", sim.url()),
        ("access-key-id", setup.access_key_id),
        ("access-key-secret", setup.access_key_secret),
    ];
    if raw.get("paths").is_none() {
        set.push((
            "operation-ids",
            ops.iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ));
    }
    Ok(Demo {
        sim,
        banner,
        unset: &[],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves the Alibaba simulator (both actions, STS, GitHub token service).
pub async fn simulate(name: &'static str, how: Simulate<'_>) -> Result<Served, Fatal> {
    let product = Product::from_name(name).expect("a registry name of this folder");
    let raw = how.raw;
    let mut setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        ops: how.ops,
        ..Default::default()
    };
    if let Some(v) = raw.get("access-key-id") {
        setup.access_key_id = v.to_string();
    }
    if let Some(v) = raw.get("access-key-secret") {
        setup.access_key_secret = v.to_string();
    }
    let shown_secret = shown(raw, "access-key-secret", &setup.access_key_secret);
    let instructions = format!(
        "Simulating Alibaba Cloud {} (and STS AssumeRoleWithOIDC) on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER={} PURGE_WAIT_ENDPOINT=http://{{addr}} \\\n  \
         ALIBABA_CLOUD_ACCESS_KEY_ID={} ALIBABA_CLOUD_ACCESS_KEY_SECRET={} \\\n  \
         purge-wait --operation-ids <task ids: digits>   (or --paths <URLs> to refresh them first)\n\
         Tasks not scripted with --op complete {} after their first poll. Ctrl-C stops.",
        product.action(),
        product.name(),
        setup.access_key_id,
        shown_secret,
        duration::format(how.default_duration),
    );
    let sim = serve(AlibabaSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
