//! AWS CloudFront through the binary, against the simulator that verifies SigV4 like the
//! service, with its STS, GitHub OIDC token service, IMDSv2 and container endpoint.

use std::time::Duration;

use purge_wait::provider::aws_cloudfront::sim::{self, AwsCloudFrontSim, Setup};
use purge_wait::sim::{Record, Scenario, Simulator};

use crate::util::*;

pub const AWS_SECRET: &str = sim::DEMO_SECRET_ACCESS_KEY;

/// Starts the CloudFront simulator with scripted invalidations (`ID:key=value,…`);
/// unscripted ones complete 300 ms after their first poll, created ones after 600 ms.
pub async fn cf_sim_with(ops: &[&str], mut setup: Setup) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    if setup.purge == Setup::default().purge {
        setup.purge = Scenario::succeeds_after(Duration::from_millis(600));
    }
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    Simulator::start(
        AwsCloudFrontSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

async fn cf_sim(ops: &[&str]) -> Simulator {
    cf_sim_with(ops, Setup::default()).await
}

/// A GitHub step environment pointed at `sim` with the demo keys (as
/// aws-actions/configure-aws-credentials exports them), waiting on `ids`.
pub fn cf_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = TestEnv::github();
    // A home without ~/.aws, so that no shared file joins the chain.
    let home = t.path("home");
    t.set("HOME", &home);
    t.set("INPUT_PROVIDER", "aws-cloudfront")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_DISTRIBUTION-ID", sim::DEMO_DISTRIBUTION)
        .set("AWS_ACCESS_KEY_ID", sim::DEMO_ACCESS_KEY_ID)
        .set("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_REPORT", "auto");
    if !ids.is_empty() {
        t.set("INPUT_OPERATION-IDS", &ids.join("\n"));
    }
    t
}

/// The same with web identity: the role from `AWS_ROLE_ARN` and a token file (EKS, GitLab),
/// against the simulator's STS.
pub fn web_identity_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = cf_env(sim, ids);
    let file = t.path("web-identity-token");
    std::fs::write(&file, sim::DEMO_WEB_IDENTITY_TOKEN).unwrap();
    t.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("AWS_ROLE_ARN", sim::DEMO_ROLE_ARN)
        .set("AWS_WEB_IDENTITY_TOKEN_FILE", &file)
        .set("INPUT_STS-ENDPOINT", &sim.url());
    t
}

fn cloudfront_calls(requests: &[Record]) -> Vec<&Record> {
    requests
        .iter()
        .filter(|r| r.target.starts_with("/2020-05-31/"))
        .collect()
}

fn sts_calls(requests: &[Record]) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.target == "/")
        .count()
}

fn creates(requests: &[Record]) -> Vec<&Record> {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.target.starts_with("/2020-05-31/"))
        .collect()
}

#[tokio::test]
async fn static_keys_wait_on_invalidations_with_signed_gets() {
    let sim = cf_sim(&["IA1:after=500ms", "IB2:after=200ms"]).await;
    let run = cf_env(&sim, &["IA1", "IB2"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert_eq!(run.outputs["status"], "succeeded");
    run.assert_no_secret(AWS_SECRET);
    let requests = sim.requests();
    assert!(requests.iter().all(|r| r.status == 200), "{requests:#?}");
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert!(
            r.target == "/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation/IA1"
                || r.target == "/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation/IB2",
            "{}",
            r.target
        );
        let auth = r.header("authorization").unwrap();
        assert!(auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential={}/",
            sim::DEMO_ACCESS_KEY_ID
        )));
        assert!(
            auth.contains("/us-east-1/cloudfront/aws4_request"),
            "{auth}"
        );
        assert!(r.header("x-amz-security-token").is_none());
    }
    assert!(run.summary.contains("IA1") && run.summary.contains("Completed"));
}

#[tokio::test]
async fn a_tenant_and_the_china_partition_sign_for_their_paths_and_region() {
    let sim = cf_sim(&["IT1:after=0s"]).await;
    let mut env = cf_env(&sim, &["IT1"]);
    env.unset("INPUT_DISTRIBUTION-ID")
        .set("INPUT_DISTRIBUTION-TENANT-ID", sim::DEMO_TENANT);
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        sim.requests()[0].target,
        format!(
            "/2020-05-31/distribution-tenant/{}/invalidation/IT1",
            sim::DEMO_TENANT
        )
    );

    let china = cf_sim_with(
        &["IC1:after=0s"],
        Setup {
            region: "cn-northwest-1".into(),
            ..Setup::default()
        },
    )
    .await;
    let mut env = cf_env(&china, &["IC1"]);
    env.set("AWS_REGION", "cn-north-1");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let auth = china.requests()[0]
        .header("authorization")
        .unwrap()
        .to_string();
    assert!(
        auth.contains("/cn-northwest-1/cloudfront/aws4_request"),
        "{auth}"
    );
    // Signed for us-east-1, the China simulator refuses it.
    let run = cf_env(&china, &["IC1"]).run().await;
    assert_eq!(run.code, 3);
    assert!(
        run.stdout.contains("SignatureDoesNotMatch"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn web_identity_from_a_file_is_renewed_before_the_session_expires() {
    let setup = Setup {
        sts_lifetime: Duration::from_millis(1500),
        ..Setup::default()
    };
    let sim = cf_sim_with(&["ILONG:after=4s"], setup).await;
    let run = web_identity_env(&sim, &["ILONG"]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    assert!(
        sts_calls(&requests) >= 3,
        "{} STS calls",
        sts_calls(&requests)
    );
    let refused: Vec<&Record> = requests.iter().filter(|r| r.status != 200).collect();
    assert!(refused.is_empty(), "refused: {refused:#?}");
    for r in cloudfront_calls(&requests) {
        assert!(r.header("x-amz-security-token").is_some());
        assert!(
            r.header("authorization")
                .unwrap()
                .contains("Credential=ASIA")
        );
    }
    let sts = requests.iter().find(|r| r.target == "/").unwrap();
    assert!(
        sts.header("authorization").is_none(),
        "STS is called unsigned"
    );
    assert!(sts.body.contains("Action=AssumeRoleWithWebIdentity"));
    assert!(sts.body.contains("RoleSessionName=purge-wait"));
    run.assert_no_secret(sim::DEMO_WEB_IDENTITY_TOKEN);
}

#[tokio::test]
async fn the_github_oidc_token_is_exchanged_again_when_the_session_expires_mid_wait() {
    let setup = Setup {
        sts_lifetime: Duration::from_millis(1500),
        ..Setup::default()
    };
    let sim = cf_sim_with(&["IGH:after=4s"], setup).await;
    let mut env = cf_env(&sim, &["IGH"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("INPUT_ROLE-TO-ASSUME", sim::DEMO_ROLE_ARN)
        .set("INPUT_STS-ENDPOINT", &sim.url())
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", sim.url(), sim::GITHUB_TOKEN_PATH),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            sim::DEMO_GITHUB_REQUEST_TOKEN,
        );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let github: Vec<&Record> = requests
        .iter()
        .filter(|r| r.target.starts_with(sim::GITHUB_TOKEN_PATH))
        .collect();
    assert!(github.len() >= 3, "{} token fetches", github.len());
    assert!(
        github[0].target.contains("audience=sts.amazonaws.com"),
        "{}",
        github[0].target
    );
    assert!(requests.iter().all(|r| r.status == 200), "{requests:#?}");
    for secret in [sim::DEMO_WEB_IDENTITY_TOKEN, sim::DEMO_GITHUB_REQUEST_TOKEN] {
        run.assert_no_secret(secret);
        assert!(
            run.stdout.contains(&format!("::add-mask::{secret}")),
            "{secret} not masked"
        );
    }
    // Every issued secret and session token was masked too.
    let masks = run.commands("add-mask").len();
    assert!(masks >= 2 + 2 * 3, "{masks} masks");
}

#[tokio::test]
async fn a_wrong_audience_is_refused_by_sts_with_the_trust_policy_hint() {
    let sim = cf_sim(&["IAUD:after=0s"]).await;
    let mut env = cf_env(&sim, &["IAUD"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("INPUT_ROLE-TO-ASSUME", sim::DEMO_ROLE_ARN)
        .set("INPUT_AUDIENCE", "api://AzureADTokenExchange")
        .set("INPUT_STS-ENDPOINT", &sim.url())
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}{}?api-version=2.0", sim.url(), sim::GITHUB_TOKEN_PATH),
        )
        .set(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            sim::DEMO_GITHUB_REQUEST_TOKEN,
        );
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("InvalidIdentityToken"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("trust policy"), "{}", run.stdout);
    assert_eq!(cloudfront_calls(&sim.requests()).len(), 0);
}

#[tokio::test]
async fn container_credentials_and_imds_are_the_end_of_the_chain() {
    let sim = cf_sim(&["ICT:after=0s"]).await;
    let mut env = cf_env(&sim, &["ICT"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{}{}", sim.url(), sim::CONTAINER_PATH),
        )
        .set(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            sim::DEMO_CONTAINER_TOKEN,
        );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_no_secret(sim::DEMO_CONTAINER_TOKEN);
    let requests = sim.requests();
    assert_eq!(requests[0].target, sim::CONTAINER_PATH);
    assert_eq!(
        requests[0].header("authorization"),
        Some(sim::DEMO_CONTAINER_TOKEN)
    );

    let sim = cf_sim(&["IMD:after=0s"]).await;
    let mut env = cf_env(&sim, &["IMD"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &sim.url());
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let flow: Vec<(&str, &str)> = requests
        .iter()
        .take(3)
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        flow,
        [
            ("PUT", "/latest/api/token"),
            ("GET", "/latest/meta-data/iam/security-credentials/"),
            (
                "GET",
                "/latest/meta-data/iam/security-credentials/purge-wait-demo-instance"
            ),
        ]
    );
    // No metadata service at all: no credentials, said so.
    let mut env = cf_env(&sim, &["IMD"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("no AWS credentials"), "{}", run.stdout);
}

#[tokio::test]
async fn a_shared_credentials_profile_is_used() {
    let sim = cf_sim(&["IPR:after=0s"]).await;
    let mut env = cf_env(&sim, &["IPR"]);
    let file = env.path("credentials");
    std::fs::write(
        &file,
        format!(
            "[deploy]\naws_access_key_id = {}\naws_secret_access_key = {AWS_SECRET}\n",
            sim::DEMO_ACCESS_KEY_ID
        ),
    )
    .unwrap();
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("AWS_SHARED_CREDENTIALS_FILE", &file)
        .set("AWS_PROFILE", "deploy");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_no_secret(AWS_SECRET);
}

#[tokio::test]
async fn a_wrong_secret_exits_3_with_signature_does_not_match_after_one_request() {
    let sim = cf_sim(&["IWS:after=0s"]).await;
    let mut env = cf_env(&sim, &["IWS"]);
    env.set(
        "AWS_SECRET_ACCESS_KEY",
        "not/the+right/secret0000000000000000000",
    );
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.outputs["status"], "error");
    let error = run.commands("error").join("\n");
    assert!(error.contains("SignatureDoesNotMatch"), "{error}");
    assert!(error.contains("x-amz-request-id"), "{error}");
    assert!(error.contains("AWS_SECRET_ACCESS_KEY"), "{error}");
    assert_eq!(
        sim.requests().len(),
        1,
        "keys given as they are cannot be renewed"
    );
    run.assert_no_secret("not/the+right/secret0000000000000000000");
}

#[tokio::test]
async fn refused_temporary_credentials_are_renewed_once_then_exit_3() {
    // STS issues keys the service has never heard of: every call is refused; the client
    // asks STS once more, then stops.
    let sim = cf_sim(&["IREF:after=0s"]).await;
    let mut env = web_identity_env(&sim, &["IREF"]);
    env.set("INPUT_ENDPOINT", &sim.url());
    let other = cf_sim(&["IREF:after=0s"]).await;
    env.set("INPUT_STS-ENDPOINT", &other.url());
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("InvalidClientTokenId"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("fresh ones were refused too"),
        "{}",
        run.stdout
    );
    assert_eq!(sts_calls(&other.requests()), 2);
    assert_eq!(sim.requests().len(), 2);
}

#[tokio::test]
async fn access_denied_exits_3_naming_the_iam_action() {
    let setup = Setup {
        deny: vec!["GetInvalidation".into(), "CreateInvalidation".into()],
        ..Setup::default()
    };
    let sim = cf_sim_with(&["IAD:after=0s"], setup).await;
    let run = cf_env(&sim, &["IAD"]).run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    let error = run.commands("error").join("\n");
    assert!(error.contains("AccessDenied"), "{error}");
    assert!(error.contains("cloudfront:GetInvalidation"), "{error}");
    assert_eq!(sim.requests().len(), 1, "permission errors are not retried");

    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", "/index.html");
    let run = env.run().await;
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("cloudfront:CreateInvalidation"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn unknown_distributions_and_invalidations_exit_3() {
    let sim = cf_sim(&["IGONE:outcome=missing,after=0s"]).await;
    let run = cf_env(&sim, &["IGONE"]).run().await;
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("NoSuchInvalidation"), "{}", run.stdout);
    let mut env = cf_env(&sim, &["IX"]);
    env.set("INPUT_DISTRIBUTION-ID", "EOTHER");
    let run = env.run().await;
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("NoSuchDistribution"), "{}", run.stdout);
    assert!(run.stdout.contains("distribution-id"), "{}", run.stdout);
}

#[tokio::test]
async fn purge_then_wait_with_a_retried_submit_creates_exactly_one_invalidation() {
    let setup = Setup {
        reset_creates: 1,
        ..Setup::default()
    };
    let sim = cf_sim_with(&[], setup).await;
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", "/index.html\n/img/*\n/café.html");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let posts = creates(&requests);
    assert_eq!(posts.len(), 2, "sent twice");
    assert_eq!(posts[0].status, 0, "the first was reset after creating");
    assert_eq!(posts[1].status, 201);
    assert!(
        posts[1].answer.starts_with("existing invalidation"),
        "{}",
        posts[1].answer
    );
    assert_eq!(
        posts[0].body, posts[1].body,
        "the same CallerReference and batch"
    );
    assert!(
        posts[0].body.contains("<Path>/caf%C3%A9.html</Path>"),
        "{}",
        posts[0].body
    );
    assert!(posts[0].body.contains("<Quantity>3</Quantity>"));
    assert!(!run.stdout.contains("purged twice"), "{}", run.stdout);
    assert_eq!(run.result()["operations"].as_array().unwrap().len(), 1);
    assert!(
        run.summary.contains("3 invalidation paths submitted"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("first 1000 paths a month are free"),
        "{}",
        run.summary
    );
}

#[tokio::test]
async fn the_same_ci_step_run_again_gets_the_invalidation_it_created() {
    let sim = cf_sim(&[]).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut env = cf_env(&sim, &[]);
        env.set("INPUT_PATHS", "/index.html")
            .set("GITHUB_RUN_ID", "777")
            .set("GITHUB_RUN_ATTEMPT", "1")
            .set("GITHUB_JOB", "deploy")
            .set("GITHUB_ACTION", "__purge-wait_purge-wait");
        let run = env.run().await;
        assert_eq!(run.code, 0, "{}", run.stdout);
        ids.push(
            run.result()["operations"][0]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(ids[0], ids[1]);
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", "/index.html")
        .set("GITHUB_RUN_ID", "777")
        .set("GITHUB_RUN_ATTEMPT", "2");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert_ne!(
        run.result()["operations"][0]["id"].as_str().unwrap(),
        ids[0],
        "a re-run attempt invalidates again"
    );
    let requests = sim.requests();
    let created = creates(&requests)
        .iter()
        .filter(|r| r.answer.starts_with("created"))
        .count();
    assert_eq!(created, 2);
}

#[tokio::test]
async fn too_many_invalidations_in_progress_twice_then_accepted() {
    let setup = Setup {
        busy_creates: 2,
        ..Setup::default()
    };
    let sim = cf_sim_with(&[], setup).await;
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", "/*").set("INPUT_RETRIES", "0");
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let posts = creates(&requests);
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].answer, "TooManyInvalidationsInProgress");
    assert_eq!(posts[1].answer, "TooManyInvalidationsInProgress");
    assert_eq!(posts[2].status, 201);
    assert!(
        posts[1].at - posts[0].at >= Duration::from_millis(90),
        "backoff"
    );
    assert!(!run.stdout.contains("purged twice"));
}

#[tokio::test]
async fn more_wildcards_than_may_be_in_progress_are_queued_until_the_first_batch_completes() {
    let setup = Setup {
        purge: Scenario::succeeds_after(Duration::from_millis(1500)),
        ..Setup::default()
    };
    let sim = cf_sim_with(&[], setup).await;
    let paths: Vec<String> = (0..20).map(|i| format!("/dir{i}/*")).collect();
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", &paths.join("\n"));
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let requests = sim.requests();
    let posts = creates(&requests);
    let accepted: Vec<&&Record> = posts.iter().filter(|r| r.status == 201).collect();
    assert_eq!(accepted.len(), 2);
    assert_eq!(accepted[0].body.matches("<Path>").count(), 15);
    assert_eq!(accepted[1].body.matches("<Path>").count(), 5);
    assert!(
        posts
            .iter()
            .any(|r| r.answer == "TooManyInvalidationsInProgress"),
        "the second batch waits for the first"
    );
    assert!(accepted[1].at - accepted[0].at >= Duration::from_millis(1400));
    assert_eq!(run.outputs["status"], "succeeded");
}

#[tokio::test]
async fn a_queue_that_does_not_drain_before_the_deadline_times_out() {
    let setup = Setup {
        busy_creates: 1000,
        ..Setup::default()
    };
    let sim = cf_sim_with(&[], setup).await;
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_PATHS", "/*").set("INPUT_TIMEOUT", "2s");
    let started = std::time::Instant::now();
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert_eq!(run.outputs["status"], "timed-out");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(run.stdout.contains("TooManyInvalidationsInProgress"));
    // The engine's timeout, with its reason: still refused for earlier work in progress.
    assert!(
        run.stdout
            .contains("was still refused while earlier work is in progress"),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn without_ids_every_invalidation_in_progress_is_waited_on_across_pages() {
    let setup = Setup {
        page_size: 2,
        history: 5,
        ..Setup::default()
    };
    let sim = cf_sim_with(
        &["IP1:after=300ms", "IP2:after=1200ms", "IP3:after=600ms"],
        setup,
    )
    .await;
    let run = cf_env(&sim, &[]).run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["status"], "succeeded");
    let requests = sim.requests();
    assert!(requests.iter().all(|r| {
        r.target
            .starts_with("/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation?")
    }));
    // 3 + 5 invalidations in pages of 2: 4 pages a poll, the later ones with a Marker.
    let markers = requests
        .iter()
        .filter(|r| r.target.contains("Marker="))
        .count();
    assert!(markers >= 3, "{markers}");
    assert_eq!(requests.len() % 4, 0, "{} requests", requests.len());
    assert!(run.stdout.contains("in progress"), "{}", run.stdout);
    assert_eq!(run.result()["operations"][0]["id"], "in-progress");
    // Nothing in progress: done at the first listing.
    let sim = cf_sim_with(
        &[],
        Setup {
            history: 3,
            ..Setup::default()
        },
    )
    .await;
    let run = cf_env(&sim, &[]).run().await;
    assert_eq!(run.code, 0);
    assert_eq!(sim.requests().len(), 1);
}

#[tokio::test]
async fn an_unknown_status_in_the_list_is_never_success() {
    let sim = cf_sim(&["IQ1:after=0s,outcome=Paused"]).await;
    let mut env = cf_env(&sim, &[]);
    env.set("INPUT_TIMEOUT", "1s");
    let run = env.run().await;
    assert_eq!(run.code, 124, "{}", run.stdout);
    assert!(
        run.commands("warning").iter().any(|w| w.contains("Paused")),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn every_bad_input_exits_2_before_any_request() {
    let sim = cf_sim(&["IOK:after=0s"]).await;
    let token_file = "/nonexistent/token";
    let cases: &[(&str, &str, &str)] = &[
        ("INPUT_DISTRIBUTION-ID", "", "distribution-id"),
        (
            "INPUT_DISTRIBUTION-ID",
            "d111111abcdef8.cloudfront.net",
            "distribution-id",
        ),
        (
            "INPUT_DISTRIBUTION-TENANT-ID",
            "dt_1",
            "distribution-tenant-id",
        ),
        ("INPUT_OPERATION-IDS", "I-1", "operation-ids"),
        ("INPUT_OPERATION-IDS", " , ", "operation-ids"),
        ("INPUT_PATHS", "index.html", "operation-ids"),
        ("INPUT_AWS-REGION", "Frankfurt", "aws-region"),
        ("INPUT_AWS-SECRET-ACCESS-KEY", "", "aws-secret-access-key"),
        ("INPUT_ROLE-TO-ASSUME", "deploy", "role-to-assume"),
        ("INPUT_CALLER-REFERENCE", "a b", "caller-reference"),
        (
            "INPUT_STS-ENDPOINT",
            "http://sts.example.com",
            "sts-endpoint",
        ),
        ("INPUT_PURGE-TYPE", "regex", "purge-type"),
        (
            "INPUT_WEB-IDENTITY-TOKEN-FILE",
            token_file,
            "role-to-assume",
        ),
    ];
    for (var, value, input) in cases {
        let mut env = cf_env(&sim, &["IOK"]);
        match (*var, *value) {
            ("INPUT_DISTRIBUTION-ID", "") => {
                env.unset(var);
            }
            ("INPUT_AWS-SECRET-ACCESS-KEY", _) => {
                env.unset("AWS_SECRET_ACCESS_KEY")
                    .set("INPUT_AWS-ACCESS-KEY-ID", sim::DEMO_ACCESS_KEY_ID);
            }
            ("INPUT_STS-ENDPOINT", _) => {
                env.set(var, value)
                    .set("INPUT_ROLE-TO-ASSUME", sim::DEMO_ROLE_ARN)
                    .set("INPUT_WEB-IDENTITY-TOKEN", sim::DEMO_WEB_IDENTITY_TOKEN);
            }
            ("INPUT_PURGE-TYPE", _) => {
                env.set(var, value)
                    .set("INPUT_PATHS", "/a")
                    .unset("INPUT_OPERATION-IDS");
            }
            ("INPUT_WEB-IDENTITY-TOKEN-FILE", _) => {
                env.unset("AWS_ACCESS_KEY_ID")
                    .unset("AWS_SECRET_ACCESS_KEY")
                    .set(var, value);
            }
            _ => {
                env.set(var, value);
            }
        }
        let run = env.run().await;
        assert_eq!(run.code, 2, "{var}={value}: {}\n{}", run.stdout, run.stderr);
        let errors = run.commands("error");
        assert_eq!(errors.len(), 1, "{var}={value}: {}", run.stdout);
        assert!(
            errors[0].contains(&format!("`{input}`")),
            "{var}={value}: {}",
            errors[0]
        );
        assert_eq!(run.outputs["status"], "error");
        run.assert_no_secret(AWS_SECRET);
        run.assert_no_secret(sim::DEMO_WEB_IDENTITY_TOKEN);
    }
    // The purge paths, each refused before any request.
    for paths in ["index.html", "/a*/b", "https://d111.cloudfront.net/a.png"] {
        let mut env = cf_env(&sim, &[]);
        env.set("INPUT_PATHS", paths);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{paths}");
        assert!(
            run.commands("error")[0].contains("`paths`"),
            "{}",
            run.stdout
        );
    }
    assert!(sim.requests().is_empty(), "{:#?}", sim.requests());
}

#[tokio::test]
async fn no_credentials_on_a_github_hosted_runner_exit_2_with_the_oidc_hint() {
    let sim = cf_sim(&[]).await;
    let mut env = cf_env(&sim, &["I1"]);
    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY")
        .set("RUNNER_ENVIRONMENT", "github-hosted");
    let run = env.run().await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("id-token: write"), "{}", run.stdout);
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn the_demo_waits_and_purges() {
    for extra in [&[][..], &["--paths", "/index.html /img/*"][..]] {
        let mut env = TestEnv::new();
        env.args(&["demo", "--provider", "aws-cloudfront", "--report", "plain"])
            .args(extra);
        let run = env.run().await;
        assert_eq!(run.code, 0, "{extra:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("SigV4 verified"), "{}", run.stderr);
    }
}
