//! Tencent Cloud's `demo` and `simulate`: CDN purge tasks (`tencent-cdn`) or EdgeOne purge
//! jobs (`tencent-edgeone`) finishing between 2 and 6 seconds, one call throttled once;
//! with `--paths`, purges them first and waits on what the purge created.

use std::time::Duration;

use super::Product;
use super::sim::{Setup, TencentSim};
use crate::config::Raw;
use crate::duration;
use crate::exit::Fatal;
use crate::provider::cloud::{Demo, Served, Simulate, demo_sim, serve, shown};
use crate::sim::Scenario;

/// The demo's operations: CDN TaskIds or EdgeOne JobIds.
fn demo_ops(product: Product) -> Vec<(String, Scenario)> {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    (1..=6u32)
        .map(|i| {
            let id = match product {
                Product::Cdn => format!("1700000{i:03}-pwdemo{i}"),
                Product::EdgeOne => format!("20pwdemo{i:04}"),
            };
            let mut spec = format!("{id}:after={}s", 2 + i % 5);
            if i == 4 {
                spec.push_str(",throttle=1,retry-after=1");
            }
            Scenario::parse(&spec, &default).expect("demo specs parse")
        })
        .collect()
}

fn what(product: Product) -> &'static str {
    match product {
        Product::Cdn => "CDN PurgeUrlsCache / PurgePathCache / DescribePurgeTasks",
        Product::EdgeOne => "EdgeOne CreatePurgeTask / DescribePurgeTasks",
    }
}

/// The simulator with the demo's operations, and the inputs that point a wait at it.
pub async fn demo(name: &'static str, raw: &Raw) -> Result<Demo, Fatal> {
    let product = Product::from_name(name).expect("a registry name of this folder");
    let ops = demo_ops(product);
    let mut setup = Setup::default();
    match product {
        Product::Cdn => setup.tasks = ops.clone(),
        Product::EdgeOne => setup.jobs = ops.clone(),
    }
    let sim = demo_sim(TencentSim::new(setup.clone())).await?;
    let banner = if raw.get("paths").is_some() {
        format!(
            "simulated Tencent Cloud {} at {} (TC3 signatures verified); purging the paths given, then waiting",
            what(product),
            sim.url(),
        )
    } else {
        format!(
            "simulated Tencent Cloud {} at {} (TC3 signatures verified); waiting on {} {}s",
            what(product),
            sim.url(),
            ops.len(),
            product.id_name(),
        )
    };
    let mut set = vec![
        ("endpoint", sim.url()),
        ("secret-id", setup.secret_id.clone()),
        ("secret-key", setup.secret_key.clone()),
    ];
    if product == Product::EdgeOne {
        set.push(("zone-id", setup.zone_id.clone()));
    }
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
        unset: &[
            "session-token",
            "role-arn",
            "oidc-provider-id",
            "oidc-token-file",
        ],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves the Tencent simulator (CDN, EdgeOne, STS and a GitHub token service on one port).
pub async fn simulate(name: &'static str, how: Simulate<'_>) -> Result<Served, Fatal> {
    let product = Product::from_name(name).expect("a registry name of this folder");
    let raw = how.raw;
    let mut setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        ..Default::default()
    };
    match product {
        Product::Cdn => setup.tasks = how.ops,
        Product::EdgeOne => setup.jobs = how.ops,
    }
    if let Some(v) = raw.get("secret-id") {
        setup.secret_id = v.to_string();
    }
    if let Some(v) = raw.get("secret-key") {
        setup.secret_key = v.to_string();
    }
    if let Some(v) = raw.get("zone-id") {
        setup.zone_id = v.to_string();
    }
    let shown_key = shown(raw, "secret-key", &setup.secret_key);
    let zone = match product {
        Product::Cdn => String::new(),
        Product::EdgeOne => format!(" PURGE_WAIT_ZONE_ID={}", setup.zone_id),
    };
    let instructions = format!(
        "Simulating Tencent Cloud {} (and STS AssumeRoleWithWebIdentity) on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER={}{zone} PURGE_WAIT_ENDPOINT=http://{{addr}} \\\n  \
         TENCENTCLOUD_SECRET_ID={} TENCENTCLOUD_SECRET_KEY={} \\\n  \
         purge-wait --operation-ids <{}s>   (or --paths <URLs> to purge them first)\n\
         Operations not scripted with --op complete {} after their first poll. Ctrl-C stops.",
        what(product),
        product.name(),
        setup.secret_id,
        shown_key,
        product.id_name(),
        duration::format(how.default_duration),
    );
    let sim = serve(TencentSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
