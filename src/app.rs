//! Orchestration: parse, validate, build the provider and the reporter, wait, report, and
//! decide the exit code — in that order, in one place.

use std::collections::HashMap;
use std::ffi::OsString;
use std::future::Future;
use std::time::Duration;

use crate::config::{self, Action, Config, ProviderConfig, Raw, SimulateArgs};
use crate::provider::Provider;
use crate::provider::azure_china::AzureChina;
use crate::report::{self, ReportKind};
use crate::sim::{self, Scenario, Simulator};
use crate::{duration, http, wait};

/// The process environment as a map (names and values lossily converted to UTF-8).
pub fn environment() -> HashMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Runs the command line `args` (program name first) against `env`; returns the exit code.
pub async fn run(args: Vec<OsString>, env: HashMap<String, String>) -> u8 {
    // Handlers first: a SIGTERM that arrives while we start must still end in outputs.
    let shutdown = shutdown_signal();
    let action = match config::parse(args, &env) {
        Ok(action) => action,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match action {
        Action::Wait(raw) => wait(raw, &env, shutdown).await,
        Action::Demo(raw) => demo(raw, &env, shutdown).await,
        Action::Simulate(args, raw) => simulate(args, raw, shutdown).await,
        Action::Completions(shell) => {
            let mut cmd = config::command();
            clap_complete::generate(shell, &mut cmd, "purge-wait", &mut std::io::stdout());
            0
        }
    }
}

/// Validates the inputs, waits and reports. Bad inputs are reported the CI system's way
/// (exit 2) before any request.
async fn wait(raw: Raw, env: &HashMap<String, String>, shutdown: impl Future<Output = ()>) -> u8 {
    let kind = config::report_kind(&raw, env).unwrap_or_else(|_| ReportKind::detect(env));
    let mut reporter = report::new(kind, raw.redactor(), env, &config::report_options(&raw));
    let config = match Config::from_raw(&raw, env) {
        Ok(c) => c,
        Err(e) => {
            let ids = config::split_ids(raw.get("operation-ids").unwrap_or_default());
            let _ = reporter.config_error(&e, &ids);
            return 2;
        }
    };
    let client = match http::client(config.wait.request_timeout) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: could not set up the HTTP client: {e}");
            return 3;
        }
    };
    let provider: Box<dyn Provider> = match &config.provider {
        ProviderConfig::AzureChina(s) => Box::new(AzureChina::new(s.clone(), client)),
    };
    let summary = wait::run(
        &*provider,
        &config.ids,
        &config.wait,
        &mut *reporter,
        shutdown,
    )
    .await;
    if let Err(e) = reporter.finish(&summary, config.fail_on_timeout) {
        eprintln!("error: could not write the report: {e}");
    }
    report::exit_code(&summary, config.fail_on_timeout)
}

/// The demo's operations: three purges of different lengths, one throttled once.
const DEMO_OPS: &[&str] = &[
    "3f2b8c1e-6d4a-4e8b-9c2d-1a5e7f9b0c31:after=2s",
    "8a7d6c5b-4e3f-4a1b-8c9d-0e1f2a3b4c5d:after=4s,throttle=1,retry-after=1",
    "c0ffee00-1234-4abc-8def-001122334455:after=6s",
];

/// Starts the simulator on a free port and runs a real, signed wait against it.
async fn demo(raw: Raw, env: &HashMap<String, String>, shutdown: impl Future<Output = ()>) -> u8 {
    let provider = raw
        .get("provider")
        .unwrap_or(crate::provider::azure_china::NAME);
    if provider != crate::provider::azure_china::NAME {
        eprintln!("error: input `provider`: the demo supports azure-china-cdn in this version");
        return 2;
    }
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = DEMO_OPS
        .iter()
        .map(|spec| Scenario::parse(spec, &default).expect("demo specs parse"))
        .collect();
    let setup = sim::azure_china::Setup {
        ops: ops.clone(),
        ..Default::default()
    };
    let sim = match Simulator::start(
        sim::azure_china::AzureChinaSim::new(setup.clone()),
        "127.0.0.1:0".parse().expect("address parses"),
        false,
    )
    .await
    {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: could not start the simulator: {e}");
            return 3;
        }
    };
    eprintln!(
        "purge-wait demo: simulated Azure China CDN at {} (signatures verified); waiting on {} purges\n",
        sim.url(),
        ops.len()
    );
    let mut demo_raw = raw;
    demo_raw.set("provider", crate::provider::azure_china::NAME);
    demo_raw.set("endpoint", sim.url());
    demo_raw.set("subscription-id", setup.subscription_id);
    demo_raw.set("endpoint-id", setup.endpoint_id);
    demo_raw.set("api-key-id", setup.key_id);
    demo_raw.set("api-key-secret", setup.key_secret);
    demo_raw.set(
        "operation-ids",
        ops.iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    demo_raw.set("interval", "1s");
    demo_raw.set("max-interval", "2s");
    demo_raw.set("timeout", "60s");
    wait(demo_raw, env, shutdown).await
}

/// Serves the simulator until interrupted.
async fn simulate(args: SimulateArgs, raw: Raw, shutdown: impl Future<Output = ()>) -> u8 {
    let mut setup = sim::azure_china::Setup {
        default: Scenario::succeeds_after(args.default_duration),
        ..Default::default()
    };
    for spec in &args.ops {
        match Scenario::parse(spec, &setup.default) {
            Ok(op) => setup.ops.push(op),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    }
    let custom_secret = raw.get("api-key-secret").is_some();
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
    let shown_secret = if custom_secret {
        "(the one you gave)".to_string()
    } else {
        setup.key_secret.clone()
    };
    let lines = format!(
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
        duration::format(args.default_duration),
    );
    let sim = match Simulator::start(
        sim::azure_china::AzureChinaSim::new(setup),
        args.listen,
        true,
    )
    .await
    {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: could not listen on {}: {e}", args.listen);
            return 2;
        }
    };
    eprintln!("{}", lines.replace("{addr}", &sim.addr().to_string()));
    shutdown.await;
    0
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// it is first polled.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
