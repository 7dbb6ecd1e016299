//! Azure Resource Manager through the binary, against the simulator that plays Entra ID (it
//! checks every token request's form), the GitHub OIDC token endpoint and ARM (it checks
//! every bearer token, and expires them).

use std::time::Duration;

use purge_wait::auth::entra::Cloud;
use purge_wait::sim::azure_arm::{
    self, ArmAuth, AzureArmSim, DEMO_CLIENT, DEMO_CLIENT_SECRET, DEMO_FEDERATED_TOKEN,
    DEMO_GITHUB_REQUEST_TOKEN, DEMO_SUBSCRIPTION, DEMO_TENANT, Setup,
};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

/// Starts the ARM simulator; operations not scripted succeed after 300 ms.
pub(crate) async fn arm_sim(mut setup: Setup, ops: &[&str]) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    Simulator::start(
        AzureArmSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

/// A Microsoft.Cdn Azure-AsyncOperation URL on the simulator.
pub(crate) fn status_url(sim: &Simulator, id: &str) -> String {
    format!(
        "{}/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01",
        sim.url()
    )
}

/// A Location URL on the simulator.
pub(crate) fn location_url(sim: &Simulator, id: &str) -> String {
    format!(
        "{}/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.Cdn/locations/global/operationResults/{id}?api-version=2024-02-01",
        sim.url()
    )
}

/// A GitHub step waiting on `urls` with a client secret, everything pointed at `sim`.
pub(crate) fn arm_env(sim: &Simulator, urls: &[String]) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "azure-arm")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_AUTHORITY-HOST", &sim.url())
        .set("INPUT_TENANT-ID", DEMO_TENANT)
        .set("AZURE_CLIENT_ID", DEMO_CLIENT)
        .set("INPUT_CLIENT-SECRET", DEMO_CLIENT_SECRET)
        .set("INPUT_OPERATION-URL", &urls.join("\n"))
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    t
}

/// `arm_env` switched to the GitHub OIDC flow against the simulator's mock endpoint.
fn oidc_env(sim: &Simulator, urls: &[String]) -> TestEnv {
    let mut t = arm_env(sim, urls);
    t.unset("INPUT_CLIENT-SECRET")
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", sim.url(), azure_arm::GITHUB_PATH),
        )
        .set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEMO_GITHUB_REQUEST_TOKEN);
    t
}

pub(crate) fn arm_requests(sim: &Simulator) -> Vec<Record> {
    sim.requests()
        .into_iter()
        .filter(|r| r.target.starts_with("/subscriptions/"))
        .collect()
}

fn token_requests(sim: &Simulator) -> Vec<Record> {
    sim.requests()
        .into_iter()
        .filter(|r| r.target.contains("/oauth2/v2.0/token"))
        .collect()
}

pub(crate) fn requests_for(sim: &Simulator, id: &str) -> Vec<Record> {
    arm_requests(sim)
        .into_iter()
        .filter(|r| r.target.contains(id))
        .collect()
}

/// No secret and no access token the simulator saw appears in any output (stdout only in
/// the `::add-mask::` line that registers it).
fn assert_nothing_leaks(run: &Run, sim: &Simulator, secrets: &[&str]) {
    for s in secrets {
        run.assert_no_secret(s);
    }
    let mut tokens: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|a| a.strip_prefix("Bearer "))
        .map(str::to_string)
        .collect();
    tokens.dedup();
    for t in &tokens {
        run.assert_no_secret(t);
        if run.outputs.contains_key("status") && t.starts_with("sim-at.") {
            assert!(
                run.stdout.contains(&format!("::add-mask::{t}")),
                "token fetched mid-run is masked on GitHub"
            );
        }
    }
}

#[tokio::test]
async fn both_url_styles_and_operation_ids_succeed_with_a_client_secret() {
    let (cdn, loc, apim) = (guid(101), guid(102), guid(103));
    let sim = arm_sim(
        Setup::default(),
        &[
            &format!("{cdn}:after=600ms"),
            &format!("{loc}:after=700ms"),
            &format!("{apim}:after=500ms"),
        ],
    )
    .await;
    let mut env = arm_env(&sim, &[status_url(&sim, &cdn), location_url(&sim, &loc)]);
    env.set("INPUT_OPERATION-IDS", &apim)
        .set("AZURE_SUBSCRIPTION_ID", DEMO_SUBSCRIPTION)
        .set("INPUT_LOCATION", "westeurope");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_nothing_leaks(&run, &sim, &[DEMO_CLIENT_SECRET]);
    assert_eq!(run.outputs["status"], "succeeded");
    assert_eq!(run.outputs["succeeded"], "3");
    assert_eq!(
        run.outputs["operation-ids"],
        format!("{cdn},{loc},{apim}"),
        "readable ids: the operation GUIDs, not the URLs"
    );
    assert!(
        run.stdout
            .contains("::group::Waiting for 3 operations on azure-arm")
    );

    // One token for the whole wait (cached), got with the client secret and the ARM scope.
    let tokens = token_requests(&sim);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(
        tokens[0].target,
        format!("/{DEMO_TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(tokens[0].answer, "token client_secret");
    assert!(arm_requests(&sim).iter().all(|r| {
        r.header("authorization")
            .is_some_and(|a| a.starts_with("Bearer sim-at."))
    }));

    // Azure-AsyncOperation: 200 with a status every time, percentComplete read.
    let c = requests_for(&sim, &cdn);
    assert!(c.len() >= 2, "{c:?}");
    assert!(c.iter().all(|r| r.status == 200));
    assert_eq!(c.last().unwrap().answer, "Succeeded");
    assert!(
        run.stdout.contains(&format!("{cdn}: InProgress 0%")),
        "{}",
        run.stdout
    );
    assert_eq!(run.result()["operations"][0]["progress"], 100.0);

    // Location: 202s, each followed to the new Location (step=N), then 204.
    let l = requests_for(&sim, &loc);
    assert!(l.len() >= 2, "{l:?}");
    assert_eq!(l[0].status, 202);
    assert_eq!(l.last().unwrap().status, 204);
    assert!(!l[0].target.contains("step="));
    for (n, r) in l.iter().enumerate().skip(1) {
        assert!(
            r.target.ends_with(&format!("&step={n}")),
            "follows the new Location: {}",
            r.target
        );
    }

    // operation-ids: the seed's URL, built.
    let a = requests_for(&sim, &apim);
    assert_eq!(
        a[0].target,
        format!(
            "/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.ApiManagement/locations/westeurope/operationStatuses/{apim}?api-version=2024-05-01"
        )
    );
    assert!(
        run.summary
            .contains(&format!("| `{loc}` | succeeded | Succeeded |")),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn a_failed_operation_exits_1_with_code_message_target_and_details() {
    let id = guid(104);
    let sim = arm_sim(
        Setup::default(),
        &[&format!(
            "{id}:after=300ms,outcome=failed,message=Purge did not reach every edge node"
        )],
    )
    .await;
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_nothing_leaks(&run, &sim, &[DEMO_CLIENT_SECRET]);
    assert_eq!(run.outputs["status"], "failed");
    assert_eq!(run.outputs["failed"], "1");
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0];
    assert!(
        e.starts_with("::error title=CDN purge operation failed::"),
        "{e}"
    );
    for needle in [
        id.as_str(),
        "PurgeFailed",
        "Purge did not reach every edge node",
        "target: contentPaths",
        "OriginUnreachable",
    ] {
        assert!(
            e.contains(needle),
            "{needle} missing from the annotation: {e}"
        );
    }
    let op = &run.result()["operations"][0];
    assert_eq!(op["result"], "failed");
    assert_eq!(op["status"], "Failed");
    assert_eq!(
        op["message"],
        "PurgeFailed: Purge did not reach every edge node (target: contentPaths)"
    );
    assert_eq!(
        op["details"]["details"],
        "OriginUnreachable: The origin did not answer within 30 s. (target: /images/*)"
    );
    assert!(run.summary.contains("Purge did not reach every edge node"));
}

#[tokio::test]
async fn a_cancelled_operation_exits_1_as_cancelled() {
    let (a, b) = (guid(105), guid(106));
    let sim = arm_sim(
        Setup::default(),
        &[
            &format!("{a}:after=200ms,outcome=Canceled"),
            &format!("{b}:after=200ms,outcome=cancelled"),
        ],
    )
    .await;
    let run = arm_env(&sim, &[status_url(&sim, &a), status_url(&sim, &b)])
        .run()
        .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["status"], "failed");
    assert_eq!(run.outputs["failed"], "2");
    let ops = run.result()["operations"].as_array().unwrap().clone();
    assert_eq!(ops[0]["result"], "cancelled");
    assert_eq!(ops[1]["result"], "cancelled");
    assert_eq!(
        ops[0]["message"],
        "OperationCanceled: The operation was canceled."
    );
    let errors = run.commands("error");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("OperationCanceled"), "{errors:?}");
}

#[tokio::test]
async fn retry_after_and_retry_after_ms_are_honoured() {
    let (throttled, unavailable) = (guid(107), guid(108));
    let setup = Setup {
        error_retry_after_ms: Some(1500),
        ..Setup::default()
    };
    let sim = arm_sim(
        setup,
        &[
            &format!("{throttled}:after=0s,throttle=1,retry-after=1"),
            &format!("{unavailable}:after=0s,errors=1"),
        ],
    )
    .await;
    let run = arm_env(
        &sim,
        &[status_url(&sim, &throttled), status_url(&sim, &unavailable)],
    )
    .run()
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let t = requests_for(&sim, &throttled);
    assert_eq!(
        t.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    let gap = t[1].at - t[0].at;
    assert!(
        gap >= Duration::from_millis(990),
        "Retry-After: 1 not honoured: {gap:?}"
    );
    let u = requests_for(&sim, &unavailable);
    assert_eq!(
        u.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 200]
    );
    let gap = u[1].at - u[0].at;
    assert!(
        gap >= Duration::from_millis(1490),
        "retry-after-ms: 1500 not honoured: {gap:?}"
    );
    assert!(gap < Duration::from_secs(4), "{gap:?}");
    assert!(run.stdout.contains("TooManyRequests"));
    assert!(run.stdout.contains("x-ms-correlation-request-id: "));

    // A shorter ask is raised to the 1 s floor (the default backoff here would be ~0.2 s).
    let id = guid(109);
    let setup = Setup {
        error_retry_after_ms: Some(50),
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[&format!("{id}:after=0s,errors=1")]).await;
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let r = requests_for(&sim, &id);
    let gap = r[1].at - r[0].at;
    assert!(gap >= Duration::from_millis(990), "floor of 1 s: {gap:?}");
}

#[tokio::test]
async fn a_token_expiring_mid_wait_is_refreshed_before_it_is_refused() {
    let id = guid(110);
    // ARM refuses a token 600 ms before its advertised expiry: only a client that replaces
    // tokens ahead of time never sends a refused one.
    let setup = Setup {
        token_lifetime: Duration::from_secs(2),
        expiry_slack: Duration::from_millis(600),
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[&format!("{id}:after=4500ms")]).await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.set("INPUT_MAX-INTERVAL", "300ms");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let tokens = token_requests(&sim);
    assert!(
        tokens.len() >= 3,
        "a 2 s token over a 4.5 s wait: {tokens:?}"
    );
    assert!(tokens.iter().all(|t| t.status == 200));
    let arm = arm_requests(&sim);
    assert!(
        arm.iter().all(|r| r.status == 200),
        "no request went out with an expired token: {:?}",
        arm.iter()
            .map(|r| (r.status, &r.answer))
            .collect::<Vec<_>>()
    );
    let used: std::collections::BTreeSet<&str> = arm
        .iter()
        .filter_map(|r| r.header("authorization"))
        .collect();
    assert!(used.len() >= 3, "fresh tokens were used: {}", used.len());
    assert_nothing_leaks(&run, &sim, &[DEMO_CLIENT_SECRET]);
}

#[tokio::test]
async fn a_token_refused_twice_exits_3_after_one_refresh() {
    let id = guid(111);
    let setup = Setup {
        arm_auth: ArmAuth::RejectAll,
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[]).await;
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error");
    let arm = arm_requests(&sim);
    assert_eq!(arm.len(), 2, "one retry with a fresh token: {arm:?}");
    assert!(arm.iter().all(|r| r.status == 401));
    assert_ne!(
        arm[0].header("authorization"),
        arm[1].header("authorization"),
        "the retry carries a new token"
    );
    assert_eq!(token_requests(&sim).len(), 2);
    let e = run.commands("error")[0];
    assert!(e.contains("InvalidAuthenticationToken"), "{e}");
    assert!(
        e.contains("x-ms-request-id: ") && e.contains("x-ms-correlation-request-id: "),
        "{e}"
    );
    let err = &run.result()["operations"][0]["error"];
    assert_eq!(err["code"], "InvalidAuthenticationToken");
    assert_eq!(err["http_status"], 401);
    assert!(err["request_id"].is_string() && err["correlation_id"].is_string());
    assert_nothing_leaks(&run, &sim, &[DEMO_CLIENT_SECRET]);
}

#[tokio::test]
async fn forbidden_exits_3_with_the_code_and_the_role_needed() {
    let id = guid(112);
    let setup = Setup {
        arm_auth: ArmAuth::Forbidden,
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[]).await;
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(arm_requests(&sim).len(), 1, "403 is not retried");
    let e = run.commands("error")[0];
    assert!(e.contains("AuthorizationFailed"), "{e}");
    assert!(e.contains("HTTP 403"), "{e}");
    assert!(e.contains("role"), "names the fix: {e}");
    assert!(e.contains("x-ms-correlation-request-id: "), "{e}");
}

#[tokio::test]
async fn an_unknown_operation_exits_3_not_found() {
    let id = guid(113);
    let sim = arm_sim(Setup::default(), &[&format!("{id}:outcome=missing")]).await;
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(arm_requests(&sim).len(), 1, "not found is not retried");
    let e = run.commands("error")[0];
    assert!(
        e.contains("ResourceNotFound") && e.contains("HTTP 404"),
        "{e}"
    );
    assert_eq!(run.result()["operations"][0]["error"]["kind"], "NotFound");
}

#[tokio::test]
async fn a_malformed_status_is_retried_and_never_success() {
    let id = guid(114);
    let sim = arm_sim(
        Setup::default(),
        &[&format!("{id}:after=0s,outcome=malformed")],
    )
    .await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.set("INPUT_RETRIES", "2");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(arm_requests(&sim).len(), 3);
    assert_eq!(run.outputs["succeeded"], "0");
}

#[tokio::test]
async fn a_wrong_client_secret_exits_3_with_the_aadsts_code_and_stays_hidden() {
    let id = guid(115);
    let sim = arm_sim(Setup::default(), &[]).await;
    let wrong = "wrong~secret~value~for~tests";
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.set("INPUT_CLIENT-SECRET", wrong);
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    run.assert_no_secret(wrong);
    assert!(
        arm_requests(&sim).is_empty(),
        "no ARM request without a token"
    );
    assert_eq!(token_requests(&sim)[0].answer, "AADSTS7000215");
    let e = run.commands("error")[0];
    assert!(
        e.contains("AADSTS7000215") && e.contains("client-secret"),
        "{e}"
    );
    assert!(e.contains("trace_id: "), "{e}");
}

#[tokio::test]
async fn access_token_given_as_is_is_used_without_a_token_request() {
    let id = guid(116);
    let given = "given.access.token.value.0123456789";
    let setup = Setup {
        static_token: Some(given.into()),
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[]).await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.unset("INPUT_TENANT-ID")
        .unset("AZURE_CLIENT_ID")
        .unset("INPUT_CLIENT-SECRET")
        .set("AZURE_ACCESS_TOKEN", given);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(token_requests(&sim).is_empty());
    let expected = format!("Bearer {given}");
    assert!(
        arm_requests(&sim)
            .iter()
            .all(|r| r.header("authorization") == Some(expected.as_str()))
    );
    assert_eq!(run.commands("add-mask")[0], format!("::add-mask::{given}"));
    assert_nothing_leaks(&run, &sim, &[given]);

    // Refused, it cannot be refreshed: exit 3 at once, with the advice to use a flow.
    let sim = arm_sim(Setup::default(), &[]).await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.set("AZURE_ACCESS_TOKEN", given);
    let run = env.run().await;
    assert_eq!(run.code, 3);
    assert_eq!(arm_requests(&sim).len(), 1);
    assert!(run.commands("error")[0].contains("cannot be refreshed"));
    run.assert_no_secret(given);
}

#[tokio::test]
async fn a_federated_token_file_is_exchanged_as_a_client_assertion() {
    let id = guid(117);
    let sim = arm_sim(Setup::default(), &[]).await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    let file = env.path("federated-token");
    std::fs::write(&file, format!("{DEMO_FEDERATED_TOKEN}\n")).unwrap();
    env.unset("INPUT_CLIENT-SECRET")
        .set("AZURE_FEDERATED_TOKEN_FILE", &file)
        // AZURE_AUTHORITY_HOST works as well as the input.
        .unset("INPUT_AUTHORITY-HOST")
        .set("AZURE_AUTHORITY_HOST", &sim.url());
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let tokens = token_requests(&sim);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].answer, "token client_assertion");
    assert_nothing_leaks(&run, &sim, &[DEMO_FEDERATED_TOKEN]);

    // A token the federated credential does not trust is refused with Entra's code.
    std::fs::write(&file, "eyJhbGciOiJSUzI1NiJ9.someone-else.sig").unwrap();
    let sim2 = arm_sim(Setup::default(), &[]).await;
    env.set("INPUT_ENDPOINT", &sim2.url())
        .set("AZURE_AUTHORITY_HOST", &sim2.url())
        .set("INPUT_OPERATION-URL", &status_url(&sim2, &id));
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let e = run.commands("error")[0];
    assert!(
        e.contains("AADSTS700213") && e.contains("federated credential"),
        "{e}"
    );
    run.assert_no_secret("eyJhbGciOiJSUzI1NiJ9.someone-else.sig");
}

#[tokio::test]
async fn github_oidc_token_is_fetched_with_the_audience_and_exchanged() {
    let id = guid(118);
    let sim = arm_sim(Setup::default(), &[]).await;
    let run = oidc_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let github: Vec<Record> = sim
        .requests()
        .into_iter()
        .filter(|r| r.target.starts_with(azure_arm::GITHUB_PATH))
        .collect();
    assert_eq!(github.len(), 1, "{github:?}");
    assert_eq!(github[0].answer, "github-oidc api://AzureADTokenExchange");
    assert_eq!(
        github[0].target,
        format!(
            "{}?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange",
            azure_arm::GITHUB_PATH
        )
    );
    assert_eq!(
        github[0].header("authorization"),
        Some(format!("Bearer {DEMO_GITHUB_REQUEST_TOKEN}").as_str())
    );
    assert_eq!(token_requests(&sim)[0].answer, "token client_assertion");
    assert_nothing_leaks(
        &run,
        &sim,
        &[DEMO_GITHUB_REQUEST_TOKEN, DEMO_FEDERATED_TOKEN],
    );

    // Without OIDC (no id-token permission) and no secret: exit 2, naming the permission.
    let mut env = oidc_env(&sim, &[status_url(&sim, &id)]);
    env.unset("ACTIONS_ID_TOKEN_REQUEST_URL");
    let before = sim.requests().len();
    let run = env.run().await;
    assert_eq!(run.code, 2);
    assert!(run.commands("error")[0].contains("id-token: write"));
    assert_eq!(sim.requests().len(), before, "nothing requested");
}

#[tokio::test]
async fn each_cloud_asks_for_its_scope_and_audience() {
    for (cloud, name) in [
        (Cloud::China, "AzureChinaCloud"),
        (Cloud::UsGovernment, "AzureUSGovernment"),
        (Cloud::Public, "AzureCloud"),
    ] {
        let id = guid(119);
        let sim = arm_sim(Setup::for_cloud(cloud), &[]).await;
        let mut env = oidc_env(&sim, &[status_url(&sim, &id)]);
        env.set("INPUT_ENVIRONMENT", name);
        let run = env.run().await;
        // The simulated Entra checks the scope; the mock GitHub hands out a trusted token
        // only for the cloud's audience.
        assert_eq!(run.code, 0, "{name}: {}\n{}", run.stdout, run.stderr);
        let github = sim
            .requests()
            .into_iter()
            .find(|r| r.target.starts_with(azure_arm::GITHUB_PATH))
            .unwrap();
        assert_eq!(
            github.answer,
            format!("github-oidc {}", cloud.token_exchange_audience())
        );
    }
    // The public cloud's scope is refused by a China tenant.
    let sim = arm_sim(Setup::for_cloud(Cloud::China), &[]).await;
    let id = guid(120);
    let run = arm_env(&sim, &[status_url(&sim, &id)]).run().await;
    assert_eq!(run.code, 3);
    assert_eq!(token_requests(&sim)[0].answer, "AADSTS70011");
    assert!(run.commands("error")[0].contains("https://management.azure.com/.default"));
}

#[tokio::test]
async fn monitor_urls_off_the_cloud_arm_host_are_refused_before_any_request() {
    let sim = arm_sim(Setup::default(), &[]).await;
    let id = guid(121);
    for (environment, url, host) in [
        (
            "AzureChinaCloud",
            format!(
                "https://management.azure.com/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01"
            ),
            "https://management.chinacloudapi.cn",
        ),
        (
            "AzureUSGovernment",
            format!(
                "https://management.chinacloudapi.cn/subscriptions/s/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01"
            ),
            "https://management.usgovcloudapi.net",
        ),
        (
            "AzureCloud",
            format!(
                "https://attacker.example/subscriptions/s/providers/Microsoft.Cdn/operationresults/{id}?api-version=2024-02-01"
            ),
            "https://management.azure.com",
        ),
    ] {
        let mut env = arm_env(&sim, &[url]);
        env.unset("INPUT_ENDPOINT")
            .set("INPUT_ENVIRONMENT", environment);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{environment}: {}", run.stdout);
        let e = run.commands("error")[0];
        assert!(e.contains("operation-url") && e.contains(host), "{e}");
        run.assert_all_outputs();
        run.assert_no_secret(DEMO_CLIENT_SECRET);
    }
    // With an endpoint, only URLs under it: the simulator's own URL elsewhere is refused.
    let other = format!(
        "http://127.0.0.2:{}/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.Cdn/operationresults/{id}?api-version=1",
        sim.addr().port()
    );
    let run = arm_env(&sim, &[other]).run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(sim.requests().is_empty(), "no token was requested or sent");
}

#[tokio::test]
async fn json_report_carries_both_request_ids() {
    let id = guid(122);
    let setup = Setup {
        arm_auth: ArmAuth::Forbidden,
        ..Setup::default()
    };
    let sim = arm_sim(setup, &[]).await;
    let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
    env.unset("GITHUB_ACTIONS").set("INPUT_REPORT", "json");
    let run = env.run().await;
    assert_eq!(run.code, 3);
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let e = &v["operations"][0]["error"];
    assert_eq!(e["code"], "AuthorizationFailed");
    assert_eq!(e["request_id_header"], "x-ms-request-id");
    assert_eq!(e["correlation_id_header"], "x-ms-correlation-request-id");
    assert!(e["request_id"].is_string() && e["correlation_id"].is_string());
    assert_nothing_leaks(&run, &sim, &[DEMO_CLIENT_SECRET]);
}

#[tokio::test]
async fn demo_with_azure_arm_runs_and_exits_0() {
    let mut env = TestEnv::new();
    env.arg("demo")
        .arg("--provider")
        .arg("azure-arm")
        .arg("--report")
        .arg("plain");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("InProgress"));
    assert!(
        run.stderr.contains("Accepted"),
        "a Location-style operation"
    );
    assert!(run.stdout.contains("3 of 3 operations succeeded"));
    assert!(!run.stderr.contains(DEMO_CLIENT_SECRET));
}

#[tokio::test]
async fn simulate_serves_arm_and_entra_for_a_separate_wait() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let id = guid(123);
    let mut sim_env = TestEnv::new();
    sim_env
        .arg("simulate")
        .arg("--provider")
        .arg("azure-arm")
        .arg("--environment")
        .arg("AzureChinaCloud")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--op")
        .arg(&format!("{id}:after=300ms"));
    let mut sim = sim_env.command().spawn().unwrap();
    let mut lines = BufReader::new(sim.stderr.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    assert!(first.contains("AzureChinaCloud"), "{first}");
    let addr = first.rsplit("http://").next().unwrap().to_string();
    let base = format!("http://{addr}");
    let mut env = TestEnv::github();
    env.set("PURGE_WAIT_PROVIDER", "azure-arm")
        .set("PURGE_WAIT_ENVIRONMENT", "AzureChinaCloud")
        .set("PURGE_WAIT_ENDPOINT", &base)
        .set("AZURE_AUTHORITY_HOST", &base)
        .set("AZURE_TENANT_ID", DEMO_TENANT)
        .set("AZURE_CLIENT_ID", DEMO_CLIENT)
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{base}{}?api-version=2.0", azure_arm::GITHUB_PATH),
        )
        .set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEMO_GITHUB_REQUEST_TOKEN)
        .set(
            "PURGE_WAIT_OPERATION_URL",
            &format!(
                "{base}/subscriptions/{DEMO_SUBSCRIPTION}/providers/Microsoft.Cdn/locations/global/operationResults/{id}?api-version=2024-02-01"
            ),
        )
        .set("PURGE_WAIT_INTERVAL", "200ms");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_no_secret(DEMO_GITHUB_REQUEST_TOKEN);
    run.assert_no_secret(DEMO_FEDERATED_TOKEN);
    let mut log = String::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(300), lines.next_line()).await
    {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(
        log.contains("github-oidc api://AzureADTokenExchangeChina"),
        "{log}"
    );
    assert!(log.contains("token client_assertion"), "{log}");
    assert!(log.contains("-> 204"), "{log}");
    sim.start_kill().unwrap();
}
