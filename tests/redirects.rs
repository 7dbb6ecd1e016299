//! Redirects are never followed: a 3xx answer to a signed, token or OIDC request is a
//! permanent error naming only the target's origin. The other origin (a live simulator that
//! would answer success) receives nothing: no signature, no security token, no client
//! secret, no bearer token.

use std::time::Duration;

use purge_wait::sim::alibaba;
use purge_wait::sim::azure_arm::{self, AzureArmSim};
use purge_wait::sim::{Fault, Scenario, Simulator};

use crate::util::*;

async fn arm_sim(static_token: Option<&str>) -> Simulator {
    let setup = azure_arm::Setup {
        static_token: static_token.map(str::to_string),
        default: Scenario::succeeds_after(Duration::ZERO),
        ..azure_arm::Setup::default()
    };
    Simulator::start(
        AzureArmSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

fn monitor_url(sim: &Simulator, id: &str) -> String {
    format!(
        "{}/subscriptions/{}/resourceGroups/web-rg/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01",
        sim.url(),
        azure_arm::DEMO_SUBSCRIPTION
    )
}

fn arm_env(sim: &Simulator, url: &str) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "azure-arm")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_AUTHORITY-HOST", &sim.url())
        .set("INPUT_TENANT-ID", azure_arm::DEMO_TENANT)
        .set("AZURE_CLIENT_ID", azure_arm::DEMO_CLIENT)
        .set("INPUT_CLIENT-SECRET", azure_arm::DEMO_CLIENT_SECRET)
        .set("INPUT_OPERATION-URL", url)
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_REPORT", "auto");
    t
}

/// The run ended in error (exit 3) with the redirect named by its origin only.
fn assert_redirect_refused(run: &Run, other: &Simulator) {
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error");
    assert_eq!(run.outputs["succeeded"], "0");
    let errors = run.commands("error").join("\n");
    assert!(
        errors.contains(&format!(
            "unexpected redirect (HTTP 307) to {}; purge-wait follows no redirects",
            other.url()
        )),
        "{errors}"
    );
    assert!(
        !errors.contains("/stolen"),
        "only the origin is named: {errors}"
    );
    assert!(
        other.requests().is_empty(),
        "the other origin got {:?}",
        other.requests()
    );
}

#[tokio::test]
async fn a_307_on_an_alibaba_status_call_is_not_followed_with_the_sts_token() {
    let id = "900000001".to_string();
    // STS on one simulator, the status API (which redirects) on a second, and a third that
    // would answer `Complete` for the task.
    let sts = crate::alibaba::ali_sim_with(&[], alibaba::Setup::default()).await;
    let api = crate::alibaba::ali_sim_with(&[], alibaba::Setup::default()).await;
    let other =
        crate::alibaba::ali_sim_with(&[&format!("{id}:after=0s")], Default::default()).await;
    api.inject([Fault::Redirect(format!(
        "{}/stolen?TaskId={id}",
        other.url()
    ))]);
    let mut env = crate::alibaba::oidc_env(&sts, std::slice::from_ref(&id));
    let file = env.path("oidc-token");
    std::fs::write(&file, alibaba::DEMO_OIDC_TOKEN).unwrap();
    env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &file)
        .set("INPUT_ENDPOINT", &api.url());
    let run = env.run().await;
    assert_redirect_refused(&run, &other);
    // The status call went out once, signed with the STS token, and was not repeated.
    let calls = api.requests();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].header("x-acs-security-token").is_some());
    assert_eq!(sts.requests().len(), 1);
    run.assert_no_secret(alibaba::DEMO_OIDC_TOKEN);
}

#[tokio::test]
async fn a_307_from_the_token_endpoint_does_not_re_post_the_client_secret() {
    let sim = arm_sim(None).await;
    let other = arm_sim(None).await;
    sim.inject([Fault::Redirect(format!(
        "{}/stolen/oauth2/v2.0/token",
        other.url()
    ))]);
    let run = arm_env(&sim, &monitor_url(&sim, &guid(1))).run().await;
    assert_redirect_refused(&run, &other);
    let posted: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| {
            url::form_urlencoded::parse(r.body.as_bytes())
                .any(|(k, v)| k == "client_secret" && v == azure_arm::DEMO_CLIENT_SECRET)
        })
        .collect();
    assert_eq!(posted.len(), 1, "the secret is posted once: {posted:?}");
    assert_eq!(sim.requests().len(), 1);
    run.assert_no_secret(azure_arm::DEMO_CLIENT_SECRET);

    // The GitHub Actions OIDC endpoint: its request token is not sent on either.
    let sim = arm_sim(None).await;
    let other = arm_sim(None).await;
    sim.inject([Fault::Redirect(format!("{}/stolen", other.url()))]);
    let mut env = arm_env(&sim, &monitor_url(&sim, &guid(2)));
    env.unset("INPUT_CLIENT-SECRET")
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", sim.url(), azure_arm::GITHUB_PATH),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            azure_arm::DEMO_GITHUB_REQUEST_TOKEN,
        );
    let run = env.run().await;
    assert_redirect_refused(&run, &other);
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn a_307_on_an_arm_monitor_url_is_no_success() {
    let token = "redirect.static.access-token";
    let sim = arm_sim(Some(token)).await;
    // The other origin would answer `Succeeded` for the same operation.
    let other = arm_sim(Some(token)).await;
    let id = guid(3);
    let stolen = monitor_url(&other, &id).replace("/subscriptions/", "/stolen/subscriptions/");
    sim.inject([Fault::Redirect(stolen)]);
    let mut env = arm_env(&sim, &monitor_url(&sim, &id));
    env.unset("INPUT_CLIENT-SECRET")
        .set("AZURE_ACCESS_TOKEN", token);
    let run = env.run().await;
    assert_redirect_refused(&run, &other);
    assert_eq!(sim.requests().len(), 1, "not retried: {:?}", sim.requests());
    run.assert_no_secret(token);
}
