//! The `demo` and `simulate` commands, for every provider through the registry: pick the
//! provider, start its simulator (on a free port for a real wait, or where asked), and run
//! the wait against it or print how to point purge-wait at it. Knows no provider by name.

use std::collections::HashMap;
use std::future::Future;

use crate::cli::SimulateArgs;
use crate::config::Raw;
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Cloud, Simulate};
use crate::provider::registry;
use crate::sim::Scenario;
use crate::step;

/// The provider `--provider` names, or the registry's first when none is given; an unknown
/// name is a usage error listing the names.
fn pick(raw: &Raw) -> Result<(&'static str, &'static dyn Cloud), Fatal> {
    match raw.get("provider") {
        None => Ok(registry::first()),
        Some(name) => registry::find(name).ok_or_else(|| {
            let e = raw.invalid(
                "provider",
                "is not a provider purge-wait knows",
                &format!("Use one of: {}.", raw.table().provider_list()),
            );
            Fatal::new(Exit::Usage, e.message)
        }),
    }
}

/// The operations scripted with `--op`, over `--default-duration` (exit 2 when one does
/// not parse).
fn scripted(args: &SimulateArgs) -> Result<Vec<(String, Scenario)>, Fatal> {
    let default = Scenario::succeeds_after(args.default_duration);
    args.ops
        .iter()
        .map(|spec| Scenario::parse(spec, &default))
        .collect::<Result<_, _>>()
        .map_err(|e| Fatal::new(Exit::Usage, e.to_string()))
}

/// Starts the provider's simulator on a free port and runs a real wait against it.
pub async fn demo(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> Result<Exit, Fatal> {
    let (name, cloud) = pick(&raw)?;
    let demo = cloud.demo(name, &raw).await?;
    eprintln!("purge-wait demo: {}\n", demo.banner);
    let mut raw = raw;
    for input in demo.unset {
        raw.unset(input);
    }
    raw.set("provider", name);
    for (input, value) in demo.set {
        raw.set(input, value);
    }
    raw.set("interval", "1s");
    raw.set("max-interval", "2s");
    raw.set("timeout", "60s");
    let exit = step::run(raw, env, shutdown, demo.extra_roots).await;
    drop(demo.sim);
    exit
}

/// Serves the provider's simulator until interrupted.
pub async fn simulate(
    args: SimulateArgs,
    raw: Raw,
    shutdown: impl Future<Output = ()>,
) -> Result<Exit, Fatal> {
    let (name, cloud) = pick(&raw)?;
    let how = Simulate {
        listen: args.listen,
        ops: scripted(&args)?,
        default_duration: args.default_duration,
        raw: &raw,
    };
    let served = cloud.simulate(name, how).await?;
    eprintln!(
        "{}",
        served
            .instructions
            .replace("{addr}", &served.sim.addr().to_string())
    );
    shutdown.await;
    drop(served);
    Ok(Exit::Succeeded)
}
