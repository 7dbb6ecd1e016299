//! The `demo` and `simulate` commands: the embedded simulator of each provider, started
//! on a free port for a real wait (`demo`) or served where asked (`simulate`).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use crate::app::{wait, wait_trusting};
use crate::config::{Raw, SimulateArgs};
use crate::duration;
use crate::provider::{alibaba, aws_cloudfront, azure_arm, azure_china, azure_classic};
use crate::sim::{self, Api, Scenario, Simulator};

/// Starts a demo's simulator on a free local port; `Err` is the exit code (3), said why.
pub(crate) async fn demo_sim(api: impl Api) -> Result<Simulator, u8> {
    let free = "127.0.0.1:0".parse().expect("address parses");
    Simulator::start(api, free, false).await.map_err(|e| {
        eprintln!("error: could not start the simulator: {e}");
        3
    })
}

/// Serves `simulate`'s simulator on `listen`, one line per request; `Err` is the exit code
/// (2), said why.
pub(crate) async fn serve(api: impl Api, listen: SocketAddr) -> Result<Simulator, u8> {
    Simulator::start(api, listen, true).await.map_err(|e| {
        eprintln!("error: could not listen on {listen}: {e}");
        2
    })
}

/// The operations scripted with `--op`, over `--default-duration`; `Err` is the exit code
/// (2), said why.
pub(crate) fn scripted(args: &SimulateArgs) -> Result<Vec<(String, Scenario)>, u8> {
    let default = Scenario::succeeds_after(args.default_duration);
    args.ops
        .iter()
        .map(|spec| Scenario::parse(spec, &default))
        .collect::<Result<_, _>>()
        .map_err(|e| {
            eprintln!("error: {e}");
            2
        })
}

/// What `simulate` prints for a secret it accepts: the built-in demo value, or, when the
/// user gave their own, a note (a user's secret is never echoed).
pub(crate) fn shown(raw: &Raw, input: &str, demo_value: &str) -> String {
    match raw.get(input) {
        Some(_) => "(the one you gave)".into(),
        None => demo_value.into(),
    }
}

/// The demo's operations: three purges of different lengths, one throttled once.
const DEMO_OPS: &[&str] = &[
    "3f2b8c1e-6d4a-4e8b-9c2d-1a5e7f9b0c31:after=2s",
    "8a7d6c5b-4e3f-4a1b-8c9d-0e1f2a3b4c5d:after=4s,throttle=1,retry-after=1",
    "c0ffee00-1234-4abc-8def-001122334455:after=6s",
];

/// Starts the simulator on a free port and runs a real wait against it.
pub async fn demo(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    let provider = raw.get("provider").unwrap_or(azure_china::NAME).to_string();
    if let Some(product) = alibaba::Product::from_name(&provider) {
        return demo_alibaba(product, raw, env, shutdown).await;
    }
    match provider.as_str() {
        aws_cloudfront::NAME => aws_cloudfront::demo::demo(raw, env, shutdown).await,
        azure_china::NAME => demo_china(raw, env, shutdown).await,
        azure_classic::NAME => demo_classic(raw, env, shutdown).await,
        azure_arm::NAME => demo_arm(raw, env, shutdown).await,
        _ => {
            eprintln!(
                "error: input `provider`: the demo supports azure-china-cdn, azure-classic, azure-arm, alibaba-dcdn, alibaba-cdn and aws-cloudfront"
            );
            2
        }
    }
}

/// The ARM demo: a CDN purge's Azure-AsyncOperation URL, a Location URL, and an API
/// Management operation id (throttled once), with client-secret tokens from the simulated
/// Entra ID; with `--paths`, a purge of a simulated CDN endpoint (or `--afd-endpoint`), then
/// the wait on it.
async fn demo_arm(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    use sim::azure_arm::{self as arm_sim, AzureArmSim};
    const CDN: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    const LOCATION: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    const APIM: &str = "c0ffee00-1234-4abc-8def-001122334455";
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops = [
        format!("{CDN}:after=2s"),
        format!("{LOCATION}:after=3s"),
        format!("{APIM}:after=4s,throttle=1,retry-after=1"),
    ];
    let setup = arm_sim::Setup {
        ops: ops
            .iter()
            .map(|spec| Scenario::parse(spec, &default).expect("demo specs parse"))
            .collect(),
        default,
        ..Default::default()
    };
    let sim = match demo_sim(AzureArmSim::new(setup.clone())).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    let base = sim.url();
    let sub = &setup.subscription_id;
    let purging = raw.get("paths").is_some();
    let what = if purging {
        "purging the paths given on CDN endpoint demo-endpoint, then waiting"
    } else {
        "waiting on 3 operations"
    };
    eprintln!(
        "purge-wait demo: simulated Azure Resource Manager and Entra ID at {base} (tokens and forms checked); {what}\n"
    );
    let mut demo_raw = raw;
    for input in ["access-token", "federated-token-file", "audience"] {
        demo_raw.unset(input);
    }
    demo_raw.set("provider", azure_arm::NAME);
    demo_raw.set("environment", "AzureCloud");
    demo_raw.set("endpoint", base.clone());
    demo_raw.set("authority-host", base.clone());
    demo_raw.set("tenant-id", setup.tenant_id.clone());
    demo_raw.set("client-id", setup.client_id.clone());
    demo_raw.set("client-secret", setup.client_secret.clone());
    demo_raw.set("subscription-id", sub.clone());
    demo_raw.set("interval", "1s");
    demo_raw.set("max-interval", "2s");
    demo_raw.set("timeout", "60s");
    if purging {
        demo_raw.set("resource-group", "demo-rg");
        demo_raw.set("profile", "demo-profile");
        if demo_raw.get("afd-endpoint").is_none() {
            demo_raw.set("cdn-endpoint", "demo-endpoint");
        }
        return wait(demo_raw, env, shutdown).await;
    }
    demo_raw.set(
        "operation-url",
        format!(
            "{base}/subscriptions/{sub}/resourceGroups/demo-rg/providers/Microsoft.Cdn/operationresults/{CDN}?api-version=2024-02-01\n\
             {base}/subscriptions/{sub}/providers/Microsoft.Cdn/locations/global/operationResults/{LOCATION}?api-version=2024-02-01"
        ),
    );
    demo_raw.set("location", "westeurope");
    demo_raw.set("resource-provider", azure_arm::DEFAULT_RESOURCE_PROVIDER);
    demo_raw.set("api-version", azure_arm::DEFAULT_API_VERSION);
    demo_raw.set("operation-ids", APIM);
    wait(demo_raw, env, shutdown).await
}

/// The Azure China CDN demo: three signed purges, one throttled once.
async fn demo_china(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = DEMO_OPS
        .iter()
        .map(|spec| Scenario::parse(spec, &default).expect("demo specs parse"))
        .collect();
    let setup = sim::azure_china::Setup {
        ops: ops.clone(),
        ..Default::default()
    };
    let sim = match demo_sim(sim::azure_china::AzureChinaSim::new(setup.clone())).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    let what = match raw.get("paths") {
        Some(_) => "purging the paths given, then waiting".to_string(),
        None => format!("waiting on {} purges", ops.len()),
    };
    eprintln!(
        "purge-wait demo: simulated Azure China CDN at {} (signatures verified); {what}\n",
        sim.url(),
    );
    let mut demo_raw = raw;
    demo_raw.set("provider", azure_china::NAME);
    demo_raw.set("endpoint", sim.url());
    demo_raw.set("subscription-id", setup.subscription_id);
    demo_raw.set("endpoint-id", setup.endpoint_id);
    demo_raw.set("api-key-id", setup.key_id);
    demo_raw.set("api-key-secret", setup.key_secret);
    if demo_raw.get("paths").is_none() {
        let ids: Vec<&str> = ops.iter().map(|(id, _)| id.as_str()).collect();
        demo_raw.set("operation-ids", ids.join(","));
    }
    demo_raw.set("interval", "1s");
    demo_raw.set("max-interval", "2s");
    demo_raw.set("timeout", "60s");
    wait(demo_raw, env, shutdown).await
}

/// The classic demo's operations (request ids): one throttled once, one failing never.
const DEMO_CLASSIC_OPS: &[&str] = &[
    "5f0c1e2d3b4a49788796a5b4c3d2e1f0:after=2s",
    "0a1b2c3d4e5f40718293a4b5c6d7e8f9:after=4s,throttle=1,retry-after=1",
    "9e8d7c6b5a4f43e2d1c0b9a8f7e6d5c4:after=5s",
];

/// Generates a throwaway CA, server and client certificate in memory, serves the classic
/// API over HTTPS requiring that client certificate, and runs a real mutual-TLS wait.
async fn demo_classic(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    let pki = match sim::tls::Pki::generate() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: could not generate the demo certificates: {e}");
            return 3;
        }
    };
    // OpenSSL, asking for the management certificate by renegotiation, as Service
    // Management does.
    let server_tls = match pki.openssl_acceptor() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: could not set up the demo TLS server: {e}");
            return 3;
        }
    };
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops: Vec<(String, Scenario)> = DEMO_CLASSIC_OPS
        .iter()
        .map(|spec| Scenario::parse(spec, &default).expect("demo specs parse"))
        .collect();
    let setup = sim::azure_classic::Setup {
        thumbprints: vec![pki.client.thumbprint()],
        ops: ops.clone(),
        ..Default::default()
    };
    let subscription = setup.subscription_id.clone();
    let sim = match Simulator::start_openssl(
        sim::azure_classic::AzureClassicSim::new(setup),
        "127.0.0.1:0".parse().expect("address parses"),
        false,
        server_tls,
        sim::tls::AskCert::Renegotiate,
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
        "purge-wait demo: simulated Azure classic Service Management at {} (mutual TLS, the management certificate asked for by renegotiation as Service Management does: a throwaway CA, server and management certificate {} made in memory); waiting on {} operations\n",
        sim.url(),
        pki.client.thumbprint(),
        ops.len()
    );
    let mut demo_raw = raw;
    demo_raw.set("provider", crate::provider::azure_classic::NAME);
    demo_raw.set("endpoint", sim.url());
    demo_raw.set("subscription-id", subscription);
    demo_raw.set("certificate", pki.client.pem());
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
    let ca = vec![pki.ca_der().to_vec()];
    wait_trusting(demo_raw, env, shutdown, ca).await
}

/// Serves the simulator until interrupted.
pub async fn simulate(args: SimulateArgs, raw: Raw, shutdown: impl Future<Output = ()>) -> u8 {
    if raw.get("provider") == Some(azure_arm::NAME) {
        return simulate_arm(args, raw, shutdown).await;
    }
    if raw.get("provider") == Some(aws_cloudfront::NAME) {
        return aws_cloudfront::demo::simulate(args, raw, shutdown).await;
    }
    if let Some(product) = raw.get("provider").and_then(alibaba::Product::from_name) {
        return simulate_alibaba(product, args, raw, shutdown).await;
    }
    let mut setup = sim::azure_china::Setup {
        default: Scenario::succeeds_after(args.default_duration),
        ..Default::default()
    };
    setup.ops = match scripted(&args) {
        Ok(ops) => ops,
        Err(code) => return code,
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
    let shown_secret = shown(&raw, "api-key-secret", &setup.key_secret);
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
    let sim = match serve(sim::azure_china::AzureChinaSim::new(setup), args.listen).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    eprintln!("{}", lines.replace("{addr}", &sim.addr().to_string()));
    shutdown.await;
    0
}

/// Serves simulated Azure Resource Manager, Entra ID and GitHub OIDC until interrupted.
async fn simulate_arm(args: SimulateArgs, raw: Raw, shutdown: impl Future<Output = ()>) -> u8 {
    use sim::azure_arm::{AzureArmSim, GITHUB_PATH, Setup};
    let cloud = match raw.get("environment").map(crate::auth::entra::Cloud::parse) {
        None => crate::auth::entra::Cloud::Public,
        Some(Some(c)) => c,
        Some(None) => {
            eprintln!(
                "error: input `environment`: use AzureCloud, AzureChinaCloud or AzureUSGovernment"
            );
            return 2;
        }
    };
    let mut setup = Setup {
        default: Scenario::succeeds_after(args.default_duration),
        purge: Scenario::succeeds_after(args.default_duration),
        ..Setup::for_cloud(cloud)
    };
    setup.ops = match scripted(&args) {
        Ok(ops) => ops,
        Err(code) => return code,
    };
    let lines = format!(
        "Simulating Azure Resource Manager and Entra ID ({cloud}) on http://{{addr}}\n\
         Point purge-wait at it with:\n  \
         PURGE_WAIT_PROVIDER=azure-arm PURGE_WAIT_ENVIRONMENT={cloud} \\\n  \
         PURGE_WAIT_ENDPOINT=http://{{addr}} AZURE_AUTHORITY_HOST=http://{{addr}} \\\n  \
         AZURE_TENANT_ID={} AZURE_CLIENT_ID={} AZURE_CLIENT_SECRET={} \\\n  \
         purge-wait --operation-url 'http://{{addr}}/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Cdn/operationresults/<any id>?api-version=2024-02-01'\n\
         (Location style: …/providers/Microsoft.Cdn/locations/global/operationResults/<id>?api-version=…; \
         GitHub OIDC instead of the secret: ACTIONS_ID_TOKEN_REQUEST_URL='http://{{addr}}{GITHUB_PATH}?api-version=2.0' \
         ACTIONS_ID_TOKEN_REQUEST_TOKEN={})\n\
         Or purge, then wait: purge-wait --subscription-id {} --resource-group rg --profile p \
         --cdn-endpoint e (or --afd-endpoint e) --paths /index.html\n\
         Operations not scripted with --op succeed {} after their first poll. Ctrl-C stops.",
        setup.tenant_id,
        setup.client_id,
        setup.client_secret,
        setup.subscription_id,
        setup.github_request_token,
        setup.subscription_id,
        duration::format(args.default_duration),
        cloud = cloud.name(),
    );
    let sim = match serve(AzureArmSim::new(setup), args.listen).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    eprintln!("{}", lines.replace("{addr}", &sim.addr().to_string()));
    shutdown.await;
    0
}

/// The Alibaba demo: 25 refresh tasks, so 3 calls of at most 10 ids per sweep, finishing
/// between 2 and 6 seconds; one call is throttled once. With `--paths`, refreshes them first
/// and waits on the tasks created.
async fn demo_alibaba(
    product: alibaba::Product,
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
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
    let setup = sim::alibaba::Setup {
        ops: ops.clone(),
        ..Default::default()
    };
    let sim = match demo_sim(sim::alibaba::AlibabaSim::new(setup.clone())).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    if raw.get("paths").is_some() {
        eprintln!(
            "purge-wait demo: simulated Alibaba Cloud {} at {} (ACS3 signatures verified); refreshing the paths given, then waiting\n",
            product.refresh_action(),
            sim.url(),
        );
    } else {
        eprintln!(
            "purge-wait demo: simulated Alibaba Cloud {} at {} (ACS3 signatures verified); waiting on {} refresh tasks, at most {} per call\n",
            product.action(),
            sim.url(),
            ops.len(),
            alibaba::MAX_BATCH,
        );
    }
    let mut demo_raw = raw;
    demo_raw.set("provider", product.name());
    demo_raw.set("endpoint", sim.url());
    demo_raw.set("access-key-id", setup.access_key_id);
    demo_raw.set("access-key-secret", setup.access_key_secret);
    if demo_raw.get("paths").is_none() {
        demo_raw.set(
            "operation-ids",
            ops.iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    demo_raw.set("interval", "1s");
    demo_raw.set("max-interval", "2s");
    demo_raw.set("timeout", "60s");
    wait(demo_raw, env, shutdown).await
}

/// Serves the Alibaba simulator (both actions, STS, GitHub token service) until interrupted.
async fn simulate_alibaba(
    product: alibaba::Product,
    args: SimulateArgs,
    raw: Raw,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    let mut setup = sim::alibaba::Setup {
        default: Scenario::succeeds_after(args.default_duration),
        ..Default::default()
    };
    setup.ops = match scripted(&args) {
        Ok(ops) => ops,
        Err(code) => return code,
    };
    if let Some(v) = raw.get("access-key-id") {
        setup.access_key_id = v.to_string();
    }
    if let Some(v) = raw.get("access-key-secret") {
        setup.access_key_secret = v.to_string();
    }
    let shown_secret = shown(&raw, "access-key-secret", &setup.access_key_secret);
    let lines = format!(
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
        duration::format(args.default_duration),
    );
    let sim = match serve(sim::alibaba::AlibabaSim::new(setup), args.listen).await {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    eprintln!("{}", lines.replace("{addr}", &sim.addr().to_string()));
    shutdown.await;
    0
}
