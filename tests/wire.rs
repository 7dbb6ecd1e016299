//! Strict reading of hostile or broken answers and inputs, through the binary: an
//! Azure-AsyncOperation URL that answers without a status, bodies with a key twice, ids from
//! purge answers not of their provider's format, id and URL inputs a request would mangle,
//! and the STS header set of Alibaba requests. The simulators are scripted to answer that
//! way (or wrapped, for the classic XML body).

use std::time::Duration;

use purge_wait::sim::azure_arm::{DoneAnswer, PurgeMonitors, Setup as ArmSetup};
use purge_wait::sim::{Answer, Api, SimRequest, Simulator};

use crate::azure_arm::{arm_env, arm_requests, arm_sim, location_url, requests_for, status_url};
use crate::util::*;

/// No line of stdout is a workflow command that `forged` would make.
fn assert_not_forged(run: &Run, forged: &str) {
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        assert!(
            !line.trim_start().starts_with(forged),
            "a server string forged a line: {line}"
        );
    }
    assert!(!run.summary.lines().any(|l| l.starts_with(forged)));
}

/// Exit 3, status `error`, nothing succeeded.
fn assert_never_success(run: &Run) {
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "error", "{:?}", run.outputs);
    assert_eq!(run.outputs["succeeded"], "0");
}

// --- Item 4: Azure Resource Manager success only with a status ---------------------------

#[tokio::test]
async fn an_async_operation_url_answering_empty_200_or_204_is_malformed_never_success() {
    for (answer, label) in [
        (DoneAnswer::EmptyOk, "200 empty"),
        (DoneAnswer::NoContent, "204"),
    ] {
        // One answers empty at its first poll, one after it answered a status.
        let (now, later) = (guid(401), guid(402));
        let sim = arm_sim(
            ArmSetup {
                done_answer: answer,
                ..ArmSetup::default()
            },
            &[&format!("{now}:after=0s"), &format!("{later}:after=500ms")],
        )
        .await;
        let mut env = arm_env(&sim, &[status_url(&sim, &now), status_url(&sim, &later)]);
        env.set("INPUT_RETRIES", "2");
        let run = env.run().await;
        assert_never_success(&run);
        for id in [&now, &later] {
            let r = requests_for(&sim, id);
            assert!(r.iter().any(|r| r.answer == label), "{label}: {r:?}");
        }
        assert!(
            requests_for(&sim, &later)
                .iter()
                .any(|r| r.answer == "InProgress"),
            "learnt as an Azure-AsyncOperation URL first"
        );
        let errors = run.commands("error").join("\n");
        assert!(errors.contains("no body, so no status"), "{errors}");
        assert!(errors.contains("operation-url-kind: location"), "{errors}");
    }
}

#[tokio::test]
async fn operation_url_kind_says_which_urls_may_succeed_without_a_status() {
    // A Location URL whose operation is already done answers 204 at the first poll.
    let id = guid(411);
    let sim = arm_sim(ArmSetup::default(), &[&format!("{id}:after=0s")]).await;
    let url = location_url(&sim, &id);

    // Not known to be a Location URL: the 204 is malformed.
    let mut env = arm_env(&sim, std::slice::from_ref(&url));
    env.set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_never_success(&run);
    assert!(requests_for(&sim, &id).iter().all(|r| r.status == 204));

    // Declared a Location URL: done.
    let mut env = arm_env(&sim, std::slice::from_ref(&url));
    env.set("INPUT_OPERATION-URL-KIND", "location");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["succeeded"], "1");

    // Declared an Azure-AsyncOperation URL: a 202 keeps it pending, a 204 is malformed.
    let slow = guid(412);
    let sim = arm_sim(ArmSetup::default(), &[&format!("{slow}:after=600ms")]).await;
    let mut env = arm_env(&sim, &[location_url(&sim, &slow)]);
    env.set("INPUT_OPERATION-URL-KIND", "async-operation")
        .set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_never_success(&run);
    let r = requests_for(&sim, &slow);
    assert_eq!(r[0].status, 202);
    assert_eq!(r.last().unwrap().status, 204);

    // Learnt from a 202 (auto): the 204 that follows is done.
    let sim = arm_sim(ArmSetup::default(), &[&format!("{slow}:after=600ms")]).await;
    let run = arm_env(&sim, &[location_url(&sim, &slow)]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn operation_url_kind_is_checked_before_any_request() {
    let sim = arm_sim(ArmSetup::default(), &[]).await;
    for (value, needle) in [
        ("operationStatuses", "is not a monitor URL kind"),
        ("202", "is not a monitor URL kind"),
    ] {
        let mut env = arm_env(&sim, &[status_url(&sim, &guid(413))]);
        env.set("INPUT_OPERATION-URL-KIND", value);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{value}: {}", run.stdout);
        assert_eq!(run.result()["error"]["input"], "operation-url-kind");
        assert!(run.commands("error")[0].contains(needle), "{}", run.stdout);
    }
    // A kind other than auto only means something for operation-url.
    let mut env = arm_env(&sim, &[]);
    env.unset("INPUT_OPERATION-URL")
        .set("INPUT_OPERATION-IDS", &guid(414))
        .set(
            "AZURE_SUBSCRIPTION_ID",
            purge_wait::sim::azure_arm::DEMO_SUBSCRIPTION,
        )
        .set("INPUT_LOCATION", "westeurope")
        .set("INPUT_OPERATION-URL-KIND", "location");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.commands("error")[0].contains("without operation-url"));
    // auto, as the action passes by default, is fine without operation-url.
    env.set("INPUT_OPERATION-URL-KIND", "auto");
    assert_eq!(env.run().await.code, 0);
    assert!(
        arm_requests(&sim)
            .iter()
            .all(|r| r.target.contains("operationStatuses")),
        "only the good run made requests"
    );
}

#[tokio::test]
async fn a_status_given_twice_is_malformed_never_the_last_one() {
    let id = guid(421);
    let sim = arm_sim(
        ArmSetup {
            done_answer: DoneAnswer::DuplicateStatus,
            ..ArmSetup::default()
        },
        &[&format!("{id}:after=0s")],
    )
    .await;
    for kind in ["auto", "async-operation", "location"] {
        let mut env = arm_env(&sim, &[status_url(&sim, &id)]);
        env.set("INPUT_RETRIES", "1")
            .set("INPUT_OPERATION-URL-KIND", kind);
        let run = env.run().await;
        assert_never_success(&run);
        assert!(
            run.commands("error")[0].contains("duplicate field `status`"),
            "{kind}: {}",
            run.stdout
        );
    }
    assert!(
        requests_for(&sim, &id)
            .iter()
            .all(|r| r.answer == "duplicate status")
    );
}

#[tokio::test]
async fn a_purge_answered_200_with_azure_asyncoperation_is_polled_not_assumed_done() {
    use crate::purge_arm::{arm_sim_with, purge_env};
    let setup = ArmSetup {
        purge_status: 200,
        purge_retry_after: None,
        ..ArmSetup::default()
    };
    let sim = arm_sim_with(Duration::from_millis(700), setup.clone()).await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = arm_requests(&sim);
    assert_eq!((r[0].method.as_str(), r[0].status), ("POST", 200));
    let polls: Vec<_> = r.iter().filter(|r| r.method == "GET").collect();
    assert!(polls.len() >= 2, "{polls:?}");
    assert!(polls.iter().all(|p| !p.target.contains("profileresults")));
    assert_eq!(polls[0].answer, "InProgress", "polled while still running");
    assert_eq!(polls.last().unwrap().answer, "Succeeded");

    // And polled the strict way: an empty 200 from it is not success.
    let sim = arm_sim_with(
        Duration::from_millis(0),
        ArmSetup {
            done_answer: DoneAnswer::EmptyOk,
            ..setup
        },
    )
    .await;
    let mut env = purge_env(&sim, "/a.png");
    env.set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_never_success(&run);
    assert!(arm_requests(&sim).iter().any(|r| r.answer == "200 empty"));
}

#[tokio::test]
async fn a_location_header_of_this_run_may_succeed_without_a_status() {
    use crate::purge_arm::{arm_sim_with, purge_env};
    // Location only: a 204 at the first poll is done.
    let sim = arm_sim_with(
        Duration::ZERO,
        ArmSetup {
            purge_monitors: PurgeMonitors::Location,
            ..ArmSetup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let polls: Vec<_> = arm_requests(&sim)
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(polls.len(), 1, "{polls:?}");
    assert!(polls[0].target.contains("/profileresults/"));
    assert_eq!(polls[0].status, 204);

    // Azure-AsyncOperation only, answering 204: malformed.
    let sim = arm_sim_with(
        Duration::ZERO,
        ArmSetup {
            purge_monitors: PurgeMonitors::AsyncOperation,
            done_answer: DoneAnswer::NoContent,
            ..ArmSetup::default()
        },
    )
    .await;
    let mut env = purge_env(&sim, "/a.png");
    env.set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_never_success(&run);
}

// --- The classic XML body with two <Status> elements ---------------------------------------

/// The classic simulator, with a second `<Status>Succeeded</Status>` after the first.
struct TwoStatuses(purge_wait::sim::azure_classic::AzureClassicSim);

impl Api for TwoStatuses {
    fn answer(&self, request: &SimRequest) -> Answer {
        let mut a = self.0.answer(request);
        if let Some(end) = a.body.find("</Status>") {
            let at = end + "</Status>".len();
            a.body.insert_str(at, "<Status>Succeeded</Status>");
            a.label = format!("{} + Succeeded", a.label);
        }
        a
    }
}

#[tokio::test]
async fn a_classic_answer_with_two_status_elements_is_malformed_never_success() {
    use purge_wait::sim::azure_classic::{AzureClassicSim, Setup};
    let pki = purge_wait::sim::tls::Pki::generate().unwrap();
    let id = crate::azure_classic::rid(431);
    let sim = Simulator::start_tls(
        TwoStatuses(AzureClassicSim::new(Setup {
            thumbprints: vec![pki.client.thumbprint()],
            default: purge_wait::sim::Scenario::succeeds_after(Duration::from_secs(60)),
            ..Setup::default()
        })),
        "127.0.0.1:0".parse().unwrap(),
        false,
        pki.server_config().unwrap(),
    )
    .await
    .unwrap();
    let mut env = crate::azure_classic::classic_env(&pki, &sim, &[&id]);
    env.set("INPUT_RETRIES", "1");
    let run = env.run().await;
    assert_never_success(&run);
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.answer == "InProgress + Succeeded"),
        "{:?}",
        sim.requests()
    );
    assert!(
        run.commands("error")[0].contains("<Status> more than once"),
        "{}",
        run.stdout
    );
}

// --- Item 8: ids from purge answers must be of their provider's format -------------------

const FORGED: &str = "::error::forged";

#[tokio::test]
async fn an_arm_monitor_url_with_control_characters_is_refused_not_echoed() {
    use crate::purge_arm::{arm_sim_with, purge_env};
    let sim = arm_sim_with(
        Duration::ZERO,
        ArmSetup {
            purge_monitor_id: Some("op%0A::error::forged%0D%0A%23%23[error]x".into()),
            ..ArmSetup::default()
        },
    )
    .await;
    let run = purge_env(&sim, "/a.png").run().await;
    assert_never_success(&run);
    assert_not_forged(&run, FORGED);
    assert_not_forged(&run, "##[error]");
    let error = run.commands("error").join("\n");
    assert!(error.contains("MalformedMonitorUrl"), "{error}");
    assert!(error.contains("control characters"), "{error}");
    let r = arm_requests(&sim);
    assert_eq!(
        r.len(),
        1,
        "one purge call, not re-sent, nothing polled: {r:?}"
    );
    assert_eq!(r[0].method, "POST");
}

#[tokio::test]
async fn an_azure_china_task_track_id_that_is_not_a_guid_is_refused_not_echoed() {
    let sim = china_sim_with(
        &[],
        purge_wait::sim::azure_china::Setup {
            purge_task_track_id: Some(format!("{}\n{FORGED}", guid(441))),
            ..purge_wait::sim::azure_china::Setup::default()
        },
    )
    .await;
    let mut env = china_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    let run = env.run().await;
    assert_never_success(&run);
    assert_not_forged(&run, FORGED);
    let error = run.commands("error").join("\n");
    assert!(error.contains("MalformedTaskTrackId"), "{error}");
    assert_eq!(sim.requests().len(), 1, "not re-sent, nothing polled");
    assert!(!run.output_file.contains(&format!("\n{FORGED}")));
}

#[tokio::test]
async fn an_alibaba_refresh_task_id_that_is_not_digits_is_refused_not_echoed() {
    use purge_wait::sim::alibaba::Setup;
    let sim = crate::alibaba::ali_sim_with(
        &[],
        Setup {
            refresh_task_id: Some(format!("704222904\n{FORGED}")),
            ..Setup::default()
        },
    )
    .await;
    let mut env = crate::alibaba::ali_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PATHS", "https://www.example.com/a.png");
    let run = env.run().await;
    assert_never_success(&run);
    assert_not_forged(&run, FORGED);
    let error = run.commands("error").join("\n");
    assert!(error.contains("MalformedRefreshTaskId"), "{error}");
    assert_eq!(sim.requests().len(), 1, "not re-sent, nothing polled");
}

// --- Item 12: inputs a request would mangle are refused before any request ---------------

/// Runs `env`; exit 2 naming `input`, outputs written, and `forbidden` nowhere.
async fn refused(env: &TestEnv, input: &str, forbidden: &str) -> Run {
    let run = env.run().await;
    assert_eq!(run.code, 2, "{input}: {}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["status"], "error");
    assert_eq!(run.outputs["polls"], "0");
    assert_eq!(run.result()["error"]["input"], input, "{}", run.stdout);
    let errors = run.commands("error");
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    if !forbidden.is_empty() {
        assert!(!run.stdout.contains(forbidden), "{}", run.stdout);
        assert!(!run.stderr.contains(forbidden), "{}", run.stderr);
        assert!(!run.output_file.contains(forbidden));
        assert!(!run.summary.contains(forbidden));
    }
    run
}

#[tokio::test]
async fn dot_segment_and_path_breaking_ids_exit_2_before_any_request() {
    // Azure China (GUIDs), Alibaba (query ids): the dot segments.
    let china = china_sim(&[]).await;
    for id in [".", ".."] {
        let env = china_env(&china, &[id]);
        let run = refused(&env, "operation-ids", "").await;
        assert!(
            run.commands("error")[0].contains("dot segment"),
            "{}",
            run.stdout
        );
    }
    assert!(china.requests().is_empty());
    let ali = crate::alibaba::ali_sim_with(&[], Default::default()).await;
    for id in [".", ".."] {
        let env = crate::alibaba::ali_env(&ali, &["900000001".into(), id.into()]);
        refused(&env, "operation-ids", "").await;
    }
    assert!(ali.requests().is_empty());
    // Azure Resource Manager operation-ids: one path segment each.
    let arm = arm_sim(ArmSetup::default(), &[]).await;
    for id in [".", "..", "a/b", "a?b", "a#b", "a\\b", "a%2Fb"] {
        let mut env = arm_env(&arm, &[]);
        env.unset("INPUT_OPERATION-URL")
            .set("INPUT_OPERATION-IDS", id)
            .set(
                "AZURE_SUBSCRIPTION_ID",
                purge_wait::sim::azure_arm::DEMO_SUBSCRIPTION,
            )
            .set("INPUT_LOCATION", "westeurope");
        refused(&env, "operation-ids", "").await;
    }
    assert!(arm.requests().is_empty(), "{:?}", arm.requests());
    // Azure classic: the request id is one path segment too.
    let pki = purge_wait::sim::tls::Pki::generate().unwrap();
    let classic = Simulator::start_tls(
        purge_wait::sim::azure_classic::AzureClassicSim::new(Default::default()),
        "127.0.0.1:0".parse().unwrap(),
        false,
        pki.server_config().unwrap(),
    )
    .await
    .unwrap();
    for id in ["..", "a%2F..", "x\\y"] {
        let env = crate::azure_classic::classic_env(&pki, &classic, &[id]);
        refused(&env, "operation-ids", "").await;
    }
    assert!(classic.requests().is_empty());
}

#[tokio::test]
async fn url_inputs_with_a_user_name_or_password_exit_2_without_echoing_them() {
    const PW: &str = "hunter2-in-the-url";
    let china = china_sim(&[]).await;
    let hostport = china.url().trim_start_matches("http://").to_string();
    for url in [
        format!("http://:{PW}@{hostport}"),
        format!("http://{PW}@{hostport}"),
        format!("http://{PW}:{PW}@{hostport}"),
        format!("http://{PW}:@{hostport}"),
    ] {
        let mut env = china_env(&china, &[&guid(451)]);
        env.set("INPUT_ENDPOINT", &url);
        let run = refused(&env, "endpoint", PW).await;
        assert!(
            run.commands("error")[0].contains("user name or password"),
            "{}",
            run.stdout
        );
    }
    assert!(china.requests().is_empty(), "no Basic auth was ever sent");

    let arm = arm_sim(ArmSetup::default(), &[]).await;
    let arm_host = arm.url().trim_start_matches("http://").to_string();
    let mut env = arm_env(&arm, &[status_url(&arm, &guid(452))]);
    env.set("INPUT_AUTHORITY-HOST", &format!("http://:{PW}@{arm_host}"));
    refused(&env, "authority-host", PW).await;
    let op = status_url(&arm, &guid(453)).replace("http://", &format!("http://:{PW}@"));
    let env = arm_env(&arm, &[op]);
    refused(&env, "operation-url", PW).await;
    let op = status_url(&arm, &guid(454)).replace(&guid(454), "x%0A::error::forged");
    let env = arm_env(&arm, &[op]);
    let run = refused(&env, "operation-url", "").await;
    assert_not_forged(&run, FORGED);
    assert!(arm.requests().is_empty(), "{:?}", arm.requests());

    let ali = crate::alibaba::ali_sim_with(&[], Default::default()).await;
    let mut env = crate::alibaba::oidc_env(&ali, &["900000001".into()]);
    let token = env.path("oidc-token");
    std::fs::write(&token, purge_wait::sim::alibaba::DEMO_OIDC_TOKEN).unwrap();
    env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token).set(
        "INPUT_STS-ENDPOINT",
        &ali.url().replace("http://", &format!("http://{PW}:x@")),
    );
    refused(&env, "sts-endpoint", PW).await;
    assert!(ali.requests().is_empty());
}

#[tokio::test]
async fn more_than_10000_ids_say_how_many_and_show_a_few() {
    // Short ids: one environment string holds at most 128 KiB. The count is checked first.
    let sim = china_sim(&[]).await;
    let ids: Vec<String> = (1..=10_001).map(|n| format!("id{n}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let env = china_env(&sim, &refs);
    let run = refused(&env, "operation-ids", "").await;
    for text in [&run.stdout, &run.stderr, &run.summary] {
        assert!(!text.contains("id10001"), "{text}");
    }
    let error = run.commands("error")[0];
    assert!(error.contains("10001 operations"), "{error}");
    assert!(error.contains("\"id1\", \"id2\", \"id3\""), "{error}");
    assert!(!error.contains("\"id4\""), "only a few: {error}");
    assert!(error.len() < 1_000, "{} characters", error.len());
    assert!(
        run.stdout.len() < 20_000,
        "{} bytes of stdout",
        run.stdout.len()
    );
    assert!(sim.requests().is_empty());

    // Azure Resource Manager: operation-ids and operation-url together.
    let arm = arm_sim(ArmSetup::default(), &[]).await;
    let mut env = arm_env(&arm, &[status_url(&arm, &guid(1))]);
    env.set("INPUT_OPERATION-IDS", &ids[1..].join(","))
        .set(
            "AZURE_SUBSCRIPTION_ID",
            purge_wait::sim::azure_arm::DEMO_SUBSCRIPTION,
        )
        .set("INPUT_LOCATION", "westeurope");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    let error = run.commands("error")[0];
    assert!(error.contains("10001 operations"), "{error}");
    assert!(error.contains(&guid(1)), "{error}");
    assert!(!error.contains("\"id10001\""), "{error}");
    assert!(arm.requests().is_empty());
}

// --- Item 12: Alibaba STS requests send and sign x-acs-accesskey-id ----------------------

#[tokio::test]
async fn sts_requests_send_and_sign_the_access_key_id_and_plain_ones_do_not() {
    let ids = vec!["900000001".to_string(), "900000002".to_string()];
    let sim = crate::alibaba::ali_sim_with(&[], Default::default()).await;
    let mut env = crate::alibaba::oidc_env(&sim, &ids);
    let token = env.path("oidc-token");
    std::fs::write(&token, purge_wait::sim::alibaba::DEMO_OIDC_TOKEN).unwrap();
    env.set("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let signed: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.header("x-acs-security-token").is_some())
        .collect();
    assert!(signed.len() >= 2, "{signed:?}");
    for r in &signed {
        let auth = r.header("authorization").unwrap();
        let key = auth
            .split_once("Credential=")
            .and_then(|(_, rest)| rest.split(',').next())
            .unwrap();
        assert!(key.starts_with("STS."), "{auth}");
        assert_eq!(r.header("x-acs-accesskey-id"), Some(key), "{r:?}");
        assert!(
            auth.contains("SignedHeaders=host;x-acs-accesskey-id;x-acs-action;"),
            "{auth}"
        );
        assert_eq!(r.status, 200, "the simulator verified it: {r:?}");
    }

    let sim = crate::alibaba::ali_sim_with(&[], Default::default()).await;
    let run = crate::alibaba::ali_env(&sim, &ids).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for r in sim.requests() {
        assert_eq!(r.header("x-acs-accesskey-id"), None, "{r:?}");
        assert!(
            !r.header("authorization")
                .unwrap()
                .contains("x-acs-accesskey-id")
        );
    }
}
