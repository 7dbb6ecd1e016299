//! Simulated Tencent Cloud CDN and EdgeOne purge APIs and STS `AssumeRoleWithWebIdentity`: an
//! independent check of the client, as the real service is.
//!
//! One port serves everything, told apart as the real endpoints are not (they are hosts):
//! `POST /` with `Authorization: SKIP` (or `X-TC-Action: AssumeRoleWithWebIdentity`) is STS;
//! any other `POST /` is a TC3-signed call whose credential scope names the service (`cdn`
//! or `teo`; a `*.tencentcloudapi.com` `Host` must agree); `GET /github-oidc-token` is the
//! GitHub Actions OIDC token service. Nothing here uses the client's code: requests are parsed
//! and TC3 is verified with this module's own canonicalisation ([`tc3`]).
//!
//! Every answer is HTTP 200 with Tencent's envelope, `{"Response":{…,"RequestId":…}}`, errors
//! as `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.

use std::time::Duration;

use crate::sim::{Answer, Api, Scenario, SimRequest};

pub mod tc3;

/// The demo SecretId (not real).
pub const DEMO_SECRET_ID: &str = "AKIDPurgeWaitDemoSecretIdNotReal0001";
/// The demo SecretKey (not real).
pub const DEMO_SECRET_KEY: &str = "PurgeWaitDemoSecretKeyNotReal001";
/// The demo EdgeOne zone.
pub const DEMO_ZONE_ID: &str = "zone-2o0l8g7zisgt";
/// The role STS lets the demo token assume.
pub const DEMO_ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/purge-wait-demo";
/// The CAM OIDC identity provider STS trusts (its name, as `ProviderId` sends it).
pub const DEMO_OIDC_PROVIDER_ID: &str = "github-actions";
/// The OIDC token STS accepts.
pub const DEMO_OIDC_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMudGVuY2VudGNsb3VkYXBpLmNvbSJ9.cHVyZ2Utd2FpdC1kZW1v";
/// The bearer token the mock GitHub token service accepts.
pub const DEMO_GITHUB_REQUEST_TOKEN: &str = "demo-actions-id-token-request-token-tencent";
/// The audience for which the mock GitHub token service issues [`DEMO_OIDC_TOKEN`].
pub const DEMO_AUDIENCE: &str = "sts.tencentcloudapi.com";
/// The path of the mock GitHub token service.
pub const GITHUB_TOKEN_PATH: &str = "/github-oidc-token";
/// How far `X-TC-Timestamp` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// Daily quotas and per-call limits (the defaults are the documented ones). Daily quotas
/// count per CDN `Area` (`mainland`, `overseas`; none given: `mainland`) and per EdgeOne
/// purge `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// CDN URLs purged per day (`LimitExceeded.CdnPurgeUrlExceedDayLimit`).
    pub url_daily: usize,
    /// CDN directories purged per day (`LimitExceeded.CdnPurgePathExceedDayLimit`).
    pub path_daily: usize,
    /// CDN URLs per `PurgeUrlsCache` call (`LimitExceeded.CdnPurgeUrlExceedBatchLimit`).
    pub url_batch: usize,
    /// CDN directories per `PurgePathCache` call (`LimitExceeded.CdnPurgePathExceedBatchLimit`).
    pub path_batch: usize,
    /// EdgeOne targets per day and type (`LimitExceeded.DailyQuota`).
    pub edgeone_daily: usize,
    /// EdgeOne targets per `CreatePurgeTask` call (`LimitExceeded.BatchQuota`).
    pub edgeone_batch: usize,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            url_daily: 10_000,
            path_daily: 100,
            url_batch: 1000,
            path_batch: 500,
            edgeone_daily: 10_000,
            edgeone_batch: 2000,
        }
    }
}

/// What the simulated account accepts and how its tasks behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Accepted long-term SecretId.
    pub secret_id: String,
    /// Its SecretKey.
    pub secret_key: String,
    /// Lifetime of temporary credentials STS issues (at most the `DurationSeconds` asked).
    pub sts_lifetime: Duration,
    /// The account's EdgeOne zone (another is `InvalidParameter.ZoneNotFound`).
    pub zone_id: String,
    /// The account's CDN domains; empty: every domain is the account's (another is
    /// `ResourceNotFound.CdnHostNotExists`).
    pub domains: Vec<String>,
    /// Scripted CDN purge tasks, by `TaskId` (one `PurgeLogs` entry each).
    pub tasks: Vec<(String, Scenario)>,
    /// Scripted EdgeOne purge jobs, by `JobId` (one `Tasks` entry each).
    pub jobs: Vec<(String, Scenario)>,
    /// How tasks and jobs asked for by an id that was neither scripted nor created behave
    /// (one entry each; script `outcome=missing` for an id the service does not know).
    pub default: Scenario,
    /// How tasks and jobs created through the API behave.
    pub purge: Scenario,
    /// Daily quotas and per-call limits.
    pub quota: Quota,
    /// The first N signed calls (any action) answered `RequestLimitExceeded`.
    pub throttle: u32,
    /// The next N signed calls answered `UnauthorizedOperation.OperationTooOften` (CDN's
    /// frequency limit; EdgeOne answers `RequestLimitExceeded` for these too).
    pub too_often: u32,
    /// The next N signed calls answered `InternalError` (HTTP 200, as Tencent does).
    pub internal_errors: u32,
    /// Actions (`PurgeUrlsCache`, `CreatePurgeTask`, …; EdgeOne's `DescribePurgeTasks` as
    /// `teo:DescribePurgeTasks`, CDN's as `DescribePurgeTasks` or `cdn:DescribePurgeTasks`)
    /// answered `UnauthorizedOperation.CdnCamUnauthorized` (CDN) or
    /// `UnauthorizedOperation.CamUnauthorized` (EdgeOne).
    pub deny: Vec<String>,
    /// Accepted purge calls whose connection is reset after the task was created.
    pub reset_creates: u32,
    /// URLs (CDN `Urls`/`Paths`, EdgeOne `Targets`) whose entry ends `fail` / `failed`,
    /// whatever the task's scenario says.
    pub failing_urls: Vec<String>,
    /// EdgeOne targets `CreatePurgeTask` refuses in `FailedList` (with a `Reason`), leaving
    /// them out of the job.
    pub failed_targets: Vec<String>,
    /// The role STS lets the token assume.
    pub role_arn: String,
    /// The CAM OIDC identity provider (`ProviderId`) STS trusts.
    pub oidc_provider_id: String,
    /// The OIDC token STS accepts.
    pub oidc_token: String,
    /// The bearer token the mock GitHub token service accepts.
    pub github_request_token: String,
    /// The audience for which the GitHub token service issues [`Setup::oidc_token`].
    pub audience: String,
    /// The server clock minus the real clock (to simulate a skewed client).
    pub clock_offset: chrono::Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            secret_id: DEMO_SECRET_ID.into(),
            secret_key: DEMO_SECRET_KEY.into(),
            sts_lifetime: Duration::from_secs(7200),
            zone_id: DEMO_ZONE_ID.into(),
            domains: Vec::new(),
            tasks: Vec::new(),
            jobs: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            quota: Quota::default(),
            throttle: 0,
            too_often: 0,
            internal_errors: 0,
            deny: Vec::new(),
            reset_creates: 0,
            failing_urls: Vec::new(),
            failed_targets: Vec::new(),
            role_arn: DEMO_ROLE_ARN.into(),
            oidc_provider_id: DEMO_OIDC_PROVIDER_ID.into(),
            oidc_token: DEMO_OIDC_TOKEN.into(),
            github_request_token: DEMO_GITHUB_REQUEST_TOKEN.into(),
            audience: DEMO_AUDIENCE.into(),
            clock_offset: chrono::Duration::zero(),
        }
    }
}

/// The simulated APIs.
pub struct TencentSim {
    setup: Setup,
}

impl TencentSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        TencentSim { setup }
    }

    /// The ids of every CDN task and EdgeOne job created through the API so far.
    pub fn purges_created(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How many requests in `log` called `action` (case-insensitive) of `service` (`cdn`,
/// `teo`, `sts`; `None`: any), as `X-TC-Action` and the credential scope (or, unsigned,
/// `sts`) say.
pub fn calls(log: &[crate::sim::Record], service: Option<&str>, action: &str) -> usize {
    log.iter()
        .filter(|r| {
            r.header("x-tc-action")
                .is_some_and(|a| a.eq_ignore_ascii_case(action))
        })
        .filter(|r| service.is_none_or(|s| tc3::service_of(r.header("authorization")) == s))
        .count()
}

impl Api for TencentSim {
    fn answer(&self, _req: &SimRequest) -> Answer {
        let _ = &self.setup;
        Answer {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: r#"{"Response":{"Error":{"Code":"InternalError","Message":"not yet"},"RequestId":"0"}}"#.into(),
            label: "stub".into(),
            reset: false,
        }
    }
}
