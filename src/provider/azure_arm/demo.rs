//! Azure Resource Manager's `demo` and `simulate`: a CDN purge's Azure-AsyncOperation URL, a
//! Location URL, and an API Management operation id (throttled once), with client-secret
//! tokens from the simulated Entra ID; with `--paths`, a purge of a simulated CDN endpoint
//! (or `--afd-endpoint`), then the wait on it.

use std::time::Duration;

use super::entra::Cloud;
use super::sim::{AzureArmSim, GITHUB_PATH, Setup};
use super::{DEFAULT_API_VERSION, DEFAULT_RESOURCE_PROVIDER};
use crate::config::Raw;
use crate::duration;
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Demo, Served, Simulate, demo_sim, serve};
use crate::sim::Scenario;

/// The simulator with the demo's operations, and the inputs that point a wait at it.
pub async fn demo(_name: &'static str, raw: &Raw) -> Result<Demo, Fatal> {
    const CDN: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    const LOCATION: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    const APIM: &str = "c0ffee00-1234-4abc-8def-001122334455";
    let default = Scenario::succeeds_after(Duration::from_secs(3));
    let ops = [
        format!("{CDN}:after=2s"),
        format!("{LOCATION}:after=3s"),
        format!("{APIM}:after=4s,throttle=1,retry-after=1"),
    ];
    let setup = Setup {
        ops: ops
            .iter()
            .map(|spec| Scenario::parse(spec, &default).expect("demo specs parse"))
            .collect(),
        default,
        ..Default::default()
    };
    let sim = demo_sim(AzureArmSim::new(setup.clone())).await?;
    let base = sim.url();
    let sub = &setup.subscription_id;
    let purging = raw.get("paths").is_some();
    let what = if purging {
        "purging the paths given on CDN endpoint demo-endpoint, then waiting"
    } else {
        "waiting on 3 operations"
    };
    let banner = format!(
        "simulated Azure Resource Manager and Entra ID at {base} (tokens and forms checked); {what}"
    );
    let mut set = vec![
        ("environment", "AzureCloud".to_string()),
        ("endpoint", base.clone()),
        ("authority-host", base.clone()),
        ("tenant-id", setup.tenant_id.clone()),
        ("client-id", setup.client_id.clone()),
        ("client-secret", setup.client_secret.clone()),
        ("subscription-id", sub.clone()),
    ];
    if purging {
        set.push(("resource-group", "demo-rg".into()));
        set.push(("profile", "demo-profile".into()));
        if raw.get("afd-endpoint").is_none() {
            set.push(("cdn-endpoint", "demo-endpoint".into()));
        }
    } else {
        set.push((
            "operation-url",
            format!(
                "{base}/subscriptions/{sub}/resourceGroups/demo-rg/providers/Microsoft.Cdn/operationresults/{CDN}?api-version=2024-02-01\n\
                 {base}/subscriptions/{sub}/providers/Microsoft.Cdn/locations/global/operationResults/{LOCATION}?api-version=2024-02-01"
            ),
        ));
        set.push(("location", "westeurope".into()));
        set.push(("resource-provider", DEFAULT_RESOURCE_PROVIDER.into()));
        set.push(("api-version", DEFAULT_API_VERSION.into()));
        set.push(("operation-ids", APIM.into()));
    }
    Ok(Demo {
        sim,
        banner,
        unset: &["access-token", "federated-token-file", "audience"],
        set,
        extra_roots: Vec::new(),
    })
}

/// Serves simulated Azure Resource Manager, Entra ID and GitHub OIDC.
pub async fn simulate(_name: &'static str, how: Simulate<'_>) -> Result<Served, Fatal> {
    let cloud = match how.raw.get("environment").map(Cloud::parse) {
        None => Cloud::Public,
        Some(Some(c)) => c,
        Some(None) => {
            return Err(Fatal::new(
                Exit::Usage,
                "input `environment`: use AzureCloud, AzureChinaCloud or AzureUSGovernment",
            ));
        }
    };
    let setup = Setup {
        default: Scenario::succeeds_after(how.default_duration),
        purge: Scenario::succeeds_after(how.default_duration),
        ops: how.ops,
        ..Setup::for_cloud(cloud)
    };
    let instructions = format!(
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
        duration::format(how.default_duration),
        cloud = cloud.name(),
    );
    let sim = serve(AzureArmSim::new(setup), how.listen).await?;
    Ok(Served {
        sim,
        instructions,
        keep: None,
    })
}
