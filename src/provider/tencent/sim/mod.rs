//! Simulated Tencent Cloud CDN and EdgeOne purge APIs and STS `AssumeRoleWithWebIdentity`: an
//! independent check of the client, as the real service is.
//!
//! One port serves everything, told apart as the real endpoints are not (they are hosts):
//! `POST /` with `Authorization: SKIP` is STS; any other `POST /` is a TC3-signed call whose
//! credential scope names the service (`cdn`, `teo`, or `sts`; a `*.tencentcloudapi.com`
//! `Host` must agree); `GET /github-oidc-token` is the GitHub Actions OIDC token service.
//! Nothing here uses the client's code: requests are parsed and TC3 is verified with this
//! module's own canonicalisation ([`tc3`]). Every answer is HTTP 200 with Tencent's envelope,
//! `{"Response":{…,"RequestId":…}}`, errors as `{"Response":{"Error":{"Code","Message"},"RequestId"}}`;
//! the request log's label is `<service>:<action>: <what>` ([`calls`] counts actions).
//!
//! - Signed calls, checked in this order: `X-TC-Action` sent (`MissingParameter`);
//!   `Authorization` well formed, `tc3_request`, `SignedHeaders` with `content-type` and
//!   `host`, every signed header sent (`AuthFailure.InvalidAuthorization`); `X-TC-Timestamp`
//!   sent (`MissingParameter`), Unix seconds (`InvalidParameterValue`) and within 5 minutes
//!   of the server clock (`AuthFailure.SignatureExpire`); the credential date the timestamp's
//!   UTC date and the service the host's and the action's (`AuthFailure.SignatureFailure`);
//!   the SecretId known (`AuthFailure.SecretIdNotFound`); for an STS-issued one its
//!   `X-TC-Token` sent, its own and unexpired, and none with a long-term key
//!   (`AuthFailure.TokenFailure`); the signature (`AuthFailure.SignatureFailure`);
//!   `X-TC-Version` (`MissingParameter`, `NoSuchVersion`); the action (`InvalidAction`); a
//!   JSON object body (`InvalidParameter`) with no undocumented field (`UnknownParameter`).
//!   Then the knobs: [`Setup::deny`] (`UnauthorizedOperation.*`), [`Setup::throttle`]
//!   (`RequestLimitExceeded`), [`Setup::too_often`] (`UnauthorizedOperation.OperationTooOften`),
//!   [`Setup::internal_errors`] (`InternalError`).
//! - CDN `2018-06-06`: `PurgeUrlsCache` (`Urls`, `Area`, `UrlEncode`) and `PurgePathCache`
//!   (`Paths` ending in `/`, `FlushType` `flush` | `delete`) check every URL (full
//!   `http(s)://` URLs: `InvalidParameter.CdnParamError`; a wildcard domain:
//!   `InvalidParameter.CdnPurgeWildcardNotAllowed`; not in [`Setup::domains`]:
//!   `ResourceNotFound.CdnHostNotExists`), the per-call limit
//!   (`LimitExceeded.CdnPurge{Url,Path}ExceedBatchLimit`) and the daily quota per area
//!   (`LimitExceeded.CdnPurge{Url,Path}ExceedDayLimit`), then answer a `TaskId`;
//!   `DescribePurgeTasks` by `TaskId` or `StartTime`/`EndTime` (UTC+8), filtered by
//!   `PurgeType`, `Status`, `Keyword`, `Area`, paged by `Offset`/`Limit`, answers one
//!   `PurgeLogs` entry per URL (`process`, then `done`, or `fail`) and `TotalCount`;
//!   `DescribePurgeQuota` answers `UrlPurge`/`PathPurge` per area.
//! - EdgeOne `2022-09-01`: `CreatePurgeTask` (`ZoneId`: `InvalidParameter.ZoneNotFound`;
//!   `Type`, `Method`, `Targets`: `InvalidParameter.Target`; `EncodeUrl`, `CacheTag`;
//!   `LimitExceeded.BatchQuota`, `LimitExceeded.DailyQuota`) answers a `JobId` and a
//!   `FailedList` of [`Setup::failed_targets`]; `DescribePurgeTasks` (`ZoneId`, a `job-id`
//!   filter or `StartTime` and `EndTime`, filters `target`, `domains`, `statuses`, `type`,
//!   `Offset`/`Limit`) answers one `Tasks` entry per target (`processing`, then `success`, or
//!   `failed` with `FailType`/`FailMessage`, or the scripted word: `timeout`, `canceled`).
//! - Tasks and jobs follow their [`Scenario`]: `after`, `outcome` (`failed`, a word,
//!   `missing`: never listed, `malformed`: the body cut short, `regress`, `stuck`),
//!   `unlisted`, `throttle=N` (the query answers `RequestLimitExceeded`) and `errors=N`
//!   (`InternalError`, HTTP 200 as Tencent answers it); [`Setup::failing_urls`] fail.
//!   Unscripted ids asked for follow [`Setup::default`]. [`Setup::reset_creates`] purge
//!   calls are reset after the task was created.
//! - STS `2018-08-13` `AssumeRoleWithWebIdentity`, `Authorization: SKIP`: `X-TC-Region`
//!   (`MissingParameter`, `UnsupportedRegion`), `X-TC-Timestamp` as above, then `ProviderId`
//!   and `DurationSeconds` (1 to 43,200) and `RoleSessionName` (`InvalidParameter.ParamError`),
//!   `WebIdentityToken` (`InvalidParameter.WebIdentityTokenError`), `RoleArn`
//!   (`UnauthorizedOperation`), [`Setup::sts_throttle`] (`RequestLimitExceeded`); answers
//!   `Credentials {Token, TmpSecretId, TmpSecretKey}`, `ExpiredTime`, `Expiration`, valid
//!   for [`Setup::sts_lifetime`] at most.
//! - `GET /github-oidc-token?audience=…` with `Authorization: bearer <request token>`:
//!   `{"value": <token>}`, the token STS accepts only for [`Setup::audience`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sim::{Answer, Api, Ending, Scenario, SimRequest, random_guid};

mod cdn;
mod sts;
pub mod tc3;
mod teo;
#[cfg(test)]
mod tests;

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
    /// When set, [`Setup::secret_id`] is a temporary key (as from STS or tccli) whose calls
    /// must carry this `X-TC-Token`; unset, a call with that key must carry none.
    pub session_token: Option<String>,
    /// Lifetime of temporary credentials STS issues (at most the `DurationSeconds` asked).
    pub sts_lifetime: Duration,
    /// The first N `AssumeRoleWithWebIdentity` calls answered `RequestLimitExceeded`.
    pub sts_throttle: u32,
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
            session_token: None,
            sts_lifetime: Duration::from_secs(7200),
            sts_throttle: 0,
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

/// One task (CDN) or job (EdgeOne) the service knows.
struct Task {
    scenario: Scenario,
    /// Its first answer (scripted ones), or its creation; and the same on the wall clock.
    first_seen: Option<(Instant, DateTime<Utc>)>,
    created: DateTime<Utc>,
    answers: u32,
    finished_answers: u32,
    /// One entry per URL / target.
    entries: Vec<String>,
    /// CDN `PurgeType` (`url`, `path`) or EdgeOne `Type`.
    kind: String,
    /// CDN `FlushType` or EdgeOne `Method`.
    method: String,
    /// CDN `Area`.
    area: String,
    /// Order of creation (newest listed first).
    seq: u64,
}

struct Issued {
    id: String,
    key: String,
    token: String,
    expires: DateTime<Utc>,
}

/// What the service has done, and its fault counters.
#[derive(Default)]
struct Book {
    /// CDN tasks, by `TaskId`.
    cdn: HashMap<String, Task>,
    /// EdgeOne jobs, by `JobId`.
    teo: HashMap<String, Task>,
    created: Vec<String>,
    /// Today's use, by `url/<area>`, `path/<area>`, `teo/<type>`.
    used: HashMap<String, usize>,
    issued: Vec<Issued>,
    /// Signed calls that reached an action (for the throttle, too-often and internal-error
    /// knobs).
    calls: u32,
    /// `AssumeRoleWithWebIdentity` calls.
    sts_calls: u32,
    resets: u32,
    seq: u64,
}

/// Which API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Cdn,
    Teo,
    Sts,
}

impl Service {
    fn from_name(name: &str) -> Option<Service> {
        match name {
            "cdn" => Some(Service::Cdn),
            "teo" => Some(Service::Teo),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Cdn => "cdn",
            Service::Teo => "teo",
            Service::Sts => "sts",
        }
    }

    /// The API version the service serves.
    fn version(self) -> &'static str {
        match self {
            Service::Cdn => CDN_VERSION,
            Service::Teo => TEO_VERSION,
            Service::Sts => STS_VERSION,
        }
    }
}

// The services' contracts, stated here rather than imported from the client.
const CDN_VERSION: &str = "2018-06-06";
const TEO_VERSION: &str = "2022-09-01";
const STS_VERSION: &str = "2018-08-13";
const STS_ACTION: &str = "AssumeRoleWithWebIdentity";

/// Where a task is at one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Not listed (unknown, or not yet).
    Hidden,
    /// The call is answered `RequestLimitExceeded`.
    Throttled,
    /// The call is answered `InternalError`.
    Failing,
    Running,
    Done,
    Failed,
    /// Finished with this status word.
    Word(String),
    /// Finished; the answer's body is cut short.
    Malformed,
}

impl Task {
    /// Its phase at this answer (counting the answer), `now` on the wall clock.
    fn phase(&mut self, now: DateTime<Utc>) -> Phase {
        let (first, _) = *self.first_seen.get_or_insert((Instant::now(), now));
        let elapsed = first.elapsed();
        let s = &self.scenario;
        if s.unknown(elapsed) {
            return Phase::Hidden;
        }
        self.answers = self.answers.saturating_add(1);
        if self.answers <= s.throttle {
            return Phase::Throttled;
        }
        if self.answers <= s.throttle.saturating_add(s.errors) {
            return Phase::Failing;
        }
        match (&s.ending, s.finished(elapsed, &mut self.finished_answers)) {
            (_, false) => Phase::Running,
            (Ending::Succeeded | Ending::Regress | Ending::Stuck, true) => Phase::Done,
            (Ending::Failed, true) => Phase::Failed,
            (Ending::Word(w), true) => Phase::Word(w.clone()),
            (Ending::Malformed, true) => Phase::Malformed,
            (Ending::Missing, true) => Phase::Hidden,
        }
    }

    /// When it finished (or, running, `now`).
    fn updated(&self, now: DateTime<Utc>, finished: bool) -> DateTime<Utc> {
        match (self.first_seen, finished) {
            (Some((_, wall)), true) => chrono::Duration::from_std(self.scenario.after)
                .ok()
                .and_then(|d| wall.checked_add_signed(d))
                .map_or(now, |t| t.min(now)),
            _ => now,
        }
    }
}

/// The status word of one entry of a task in `phase`: `words` are the service's running,
/// done and failed words; an entry in `failing` fails once the task is done.
fn entry_status(phase: &Phase, entry: &str, failing: &[String], words: [&str; 3]) -> String {
    let [running, done, failed] = words;
    match phase {
        Phase::Done | Phase::Malformed if failing.iter().any(|f| f == entry) => failed.into(),
        Phase::Done | Phase::Malformed => done.into(),
        Phase::Failed => failed.into(),
        Phase::Word(w) => w.clone(),
        _ => running.into(),
    }
}

/// The answer to a status query over tasks in `phases`: a throttled or failing task makes
/// the whole call fail; a malformed one cuts the body short.
fn status_answer(phases: &[Phase], fields: Value, label: String) -> Answer {
    if phases.contains(&Phase::Throttled) {
        return error(
            "RequestLimitExceeded",
            "The request frequency exceeds the limit. Please reduce the frequency of calls.",
        );
    }
    if phases.contains(&Phase::Failing) {
        return error(
            "InternalError",
            "An internal error has occurred. Retry your request, but if the problem persists, contact us.",
        );
    }
    let mut a = ok(fields, label);
    if phases.contains(&Phase::Malformed) {
        let cut = a.body.len() / 2;
        a.body.truncate(cut);
        a.label = format!("{} (malformed)", a.label);
    }
    a
}

/// The simulated APIs.
pub struct TencentSim {
    setup: Setup,
    book: Mutex<Book>,
}

/// A request's JSON body, its fields.
type Params = serde_json::Map<String, Value>;

fn random_from(set: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(set[fastrand::usize(..set.len())]))
        .collect()
}

fn random_lower(n: usize) -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", n)
}

fn random_alnum(n: usize) -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        n,
    )
}

/// A successful answer: `fields` (an object) with a `RequestId`, in `Response`.
fn ok(mut fields: Value, label: String) -> Answer {
    fields["RequestId"] = random_guid().into();
    Answer {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: json!({ "Response": fields }).to_string(),
        label,
        reset: false,
    }
}

/// An error answer: HTTP 200 (Tencent answers API errors so) with `Response.Error`.
fn error(code: &str, message: &str) -> Answer {
    Answer {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: json!({
            "Response": {
                "Error": { "Code": code, "Message": message },
                "RequestId": random_guid(),
            }
        })
        .to_string(),
        label: code.to_string(),
        reset: false,
    }
}

fn missing(name: &str) -> Answer {
    error(
        "MissingParameter",
        &format!("The request is missing a required parameter `{name}`."),
    )
}

/// `UnknownParameter` for the first field of `params` not in `known`.
fn known_fields(params: &Params, known: &[&str]) -> Result<(), Answer> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(error(
            "UnknownParameter",
            &format!("The parameter `{k}` is not recognized."),
        )),
        None => Ok(()),
    }
}

/// An optional string field; `bad` is the error code for a value of another type.
fn opt_string<'a>(params: &'a Params, name: &str, bad: &str) -> Result<Option<&'a str>, Answer> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(error(bad, &format!("`{name}` must be a string."))),
    }
}

/// An optional list of strings.
fn opt_strings(params: &Params, name: &str, bad: &str) -> Result<Option<Vec<String>>, Answer> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| error(bad, &format!("`{name}` must be a list of strings."))),
        Some(_) => Err(error(bad, &format!("`{name}` must be a list of strings."))),
    }
}

/// An optional whole number in `range`.
fn opt_int(
    params: &Params,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
    bad: &str,
) -> Result<Option<u64>, Answer> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| {
                error(
                    bad,
                    &format!(
                        "`{name}` must be a whole number from {} to {}.",
                        range.start(),
                        range.end()
                    ),
                )
            }),
    }
}

/// An optional boolean.
fn opt_bool(params: &Params, name: &str, bad: &str) -> Result<Option<bool>, Answer> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(error(bad, &format!("`{name}` must be a boolean."))),
    }
}

/// The host of an `http://` or `https://` URL, lower case, if it is one.
fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    (!host.is_empty() && !url.chars().any(|c| c.is_whitespace() && c != ' '))
        .then(|| host.to_ascii_lowercase())
}

impl TencentSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        let created = Utc::now() - chrono::Duration::seconds(30);
        let mut book = Book::default();
        for (id, scenario) in &setup.tasks {
            let entries = vec![Self::scripted_url(&setup, id)];
            let task = Self::task(&mut book, scenario, entries, "url", "flush", created, None);
            book.cdn.insert(id.clone(), task);
        }
        for (id, scenario) in &setup.jobs {
            let entries = vec![Self::scripted_url(&setup, id)];
            let job = Self::task(
                &mut book,
                scenario,
                entries,
                "purge_url",
                "invalidate",
                created,
                None,
            );
            book.teo.insert(id.clone(), job);
        }
        TencentSim {
            setup,
            book: Mutex::new(book),
        }
    }

    /// A task, the newest so far.
    #[allow(clippy::too_many_arguments)]
    fn task(
        book: &mut Book,
        scenario: &Scenario,
        entries: Vec<String>,
        kind: &str,
        method: &str,
        created: DateTime<Utc>,
        first_seen: Option<(Instant, DateTime<Utc>)>,
    ) -> Task {
        book.seq += 1;
        Task {
            scenario: scenario.clone(),
            first_seen,
            created,
            answers: 0,
            finished_answers: 0,
            entries,
            kind: kind.into(),
            method: method.into(),
            area: "mainland".into(),
            seq: book.seq,
        }
    }

    /// The one URL of a scripted task or job.
    fn scripted_url(setup: &Setup, id: &str) -> String {
        let domain = setup
            .domains
            .first()
            .map_or("www.example.com", String::as_str);
        format!("https://{domain}/purge-wait/{id}.html")
    }

    /// The ids of every CDN task and EdgeOne job created through the API so far.
    pub fn purges_created(&self) -> Vec<String> {
        self.book.lock().expect("book lock").created.clone()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.setup.clock_offset
    }

    /// Checks a TC3-signed request as the gateway does, in its order; the service it is for.
    fn verify(&self, req: &SimRequest, action: &str) -> Result<Service, Answer> {
        let invalid = |why: &str| {
            error(
                "AuthFailure.InvalidAuthorization",
                &format!("Authorization header format error: {why}."),
            )
        };
        let Some(value) = req.header("authorization") else {
            return Err(invalid("the header is missing"));
        };
        let Some(auth) = tc3::parse_authorization(value) else {
            return Err(invalid(
                "expected `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=<names>, Signature=<hex>`",
            ));
        };
        if auth.terminator != "tc3_request" {
            return Err(invalid("the credential scope must end in `tc3_request`"));
        }
        let signed: Vec<&str> = auth.signed_headers.iter().map(String::as_str).collect();
        for name in ["content-type", "host"] {
            if !signed.contains(&name) {
                return Err(invalid(&format!("SignedHeaders must include `{name}`")));
            }
        }
        if let Some(name) = signed.iter().find(|n| req.header(n).is_none()) {
            return Err(invalid(&format!("the signed header `{name}` was not sent")));
        }
        let Some(stamp) = req.header("x-tc-timestamp") else {
            return Err(missing("Timestamp"));
        };
        let Some(sent) = stamp
            .parse::<i64>()
            .ok()
            .filter(|_| stamp.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| DateTime::from_timestamp(t, 0))
        else {
            return Err(error(
                "InvalidParameterValue",
                "X-TC-Timestamp must be Unix seconds.",
            ));
        };
        if (self.now() - sent).num_seconds().unsigned_abs() > MAX_SKEW.as_secs() {
            return Err(error(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
            ));
        }
        let date = sent.format("%Y-%m-%d").to_string();
        if auth.date != date {
            return Err(error(
                "AuthFailure.SignatureFailure",
                &format!(
                    "The provided credentials could not be validated: the credential date {:?} is not the UTC date of X-TC-Timestamp ({date}).",
                    auth.date
                ),
            ));
        }
        let service = self.service_for(req, &auth.service, action)?;
        let key = {
            let book = self.book.lock().expect("book lock");
            let token = req.header("x-tc-token").unwrap_or_default();
            if auth.secret_id == self.setup.secret_id {
                match &self.setup.session_token {
                    Some(want) if token.is_empty() || !tc3::same(token, want) => {
                        return Err(error(
                            "AuthFailure.TokenFailure",
                            "Token error: X-TC-Token is missing or not the token of this temporary SecretId.",
                        ));
                    }
                    None if !token.is_empty() => {
                        return Err(error(
                            "AuthFailure.TokenFailure",
                            "Token error: a session token was sent with a long-term SecretId.",
                        ));
                    }
                    _ => {}
                }
                self.setup.secret_key.clone()
            } else if let Some(issued) = book.issued.iter().find(|i| i.id == auth.secret_id) {
                if token.is_empty() || !tc3::same(token, &issued.token) {
                    return Err(error(
                        "AuthFailure.TokenFailure",
                        "Token error: X-TC-Token is missing or not the token of this temporary SecretId.",
                    ));
                }
                if issued.expires <= self.now() {
                    return Err(error(
                        "AuthFailure.TokenFailure",
                        "Token error: the temporary credentials have expired.",
                    ));
                }
                issued.key.clone()
            } else {
                return Err(error(
                    "AuthFailure.SecretIdNotFound",
                    "The SecretId is not found, please ensure that your SecretId is correct (no whitespace before or after the key).",
                ));
            }
        };
        let query = if req.method == "POST" {
            ""
        } else {
            req.query.as_deref().unwrap_or_default()
        };
        let canonical =
            tc3::canonical_request(&req.method, query, &req.headers, &signed, &req.body);
        let scope = format!("{date}/{}/tc3_request", auth.service);
        let sts = tc3::string_to_sign(stamp, &scope, &canonical);
        let expected = tc3::signature(&key, &date, &auth.service, &sts);
        if !tc3::same(&expected, &auth.signature) {
            return Err(error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            ));
        }
        Ok(service)
    }

    /// The service of a signed request: its credential scope's, which a
    /// `*.tencentcloudapi.com` `Host` must name and which must serve `action`.
    fn service_for(&self, req: &SimRequest, scoped: &str, action: &str) -> Result<Service, Answer> {
        let mismatch = |what: String| {
            Err(error(
                "AuthFailure.SignatureFailure",
                &format!("The provided credentials could not be validated: {what}."),
            ))
        };
        let host = req.header("host").unwrap_or_default().to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or_default();
        if let Some(first) = host
            .strip_suffix(".tencentcloudapi.com")
            .and_then(|h| h.split('.').next())
        {
            if first != scoped {
                return mismatch(format!(
                    "the credential scope names service {scoped:?}, the host is {first:?}'s"
                ));
            }
        }
        match Service::from_name(scoped) {
            Some(Service::Sts) if action != STS_ACTION => mismatch(format!(
                "service \"sts\" serves only {STS_ACTION} here, not {action:?}"
            )),
            Some(s) => Ok(s),
            None => mismatch(format!(
                "the credential scope names service {scoped:?}; this endpoint serves \"cdn\", \"teo\" and \"sts\""
            )),
        }
    }

    /// The fault knobs every signed call meets once it is known to be valid.
    fn knobs(&self, service: Service, action: &str) -> Option<Answer> {
        let denied = self.setup.deny.iter().any(|d| {
            let (svc, act) = d.split_once(':').unwrap_or(("", d));
            act.eq_ignore_ascii_case(action)
                && (svc.eq_ignore_ascii_case(service.name())
                    || (svc.is_empty()
                        && !(service == Service::Teo && action == "DescribePurgeTasks")))
        });
        if denied {
            return Some(match service {
                Service::Cdn => error(
                    "UnauthorizedOperation.CdnCamUnauthorized",
                    "The sub-account is not authorized by a CAM policy for this action.",
                ),
                _ => error(
                    "UnauthorizedOperation.CamUnauthorized",
                    "CAM is not authorized for this operation.",
                ),
            });
        }
        let mut book = self.book.lock().expect("book lock");
        book.calls = book.calls.saturating_add(1);
        let n = book.calls;
        let s = &self.setup;
        if n <= s.throttle {
            return Some(error(
                "RequestLimitExceeded",
                "Your current request times equals to `20` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls.",
            ));
        }
        if n <= s.throttle.saturating_add(s.too_often) {
            return Some(if service == Service::Cdn {
                error(
                    "UnauthorizedOperation.OperationTooOften",
                    "Operation exceeds the call frequency limit.",
                )
            } else {
                error(
                    "RequestLimitExceeded",
                    "The request frequency exceeds the limit. Please reduce the frequency of calls.",
                )
            });
        }
        if n <= s
            .throttle
            .saturating_add(s.too_often)
            .saturating_add(s.internal_errors)
        {
            return Some(error(
                "InternalError",
                "An internal error has occurred. Retry your request, but if the problem persists, contact us.",
            ));
        }
        None
    }

    /// A purge call's answer, reset after the task was created while `reset_creates` lasts.
    fn maybe_reset(&self, mut answer: Answer) -> Answer {
        let mut book = self.book.lock().expect("book lock");
        if book.resets < self.setup.reset_creates {
            book.resets += 1;
            answer.reset = true;
            answer.label = format!("{}, then reset", answer.label);
        }
        answer
    }

    /// Counts `n` purged items against the daily quota `key`; false when over `limit`.
    fn use_quota(book: &mut Book, key: &str, n: usize, limit: usize) -> bool {
        let used = book.used.get(key).copied().unwrap_or(0);
        if used.saturating_add(n) > limit {
            return false;
        }
        book.used.insert(key.to_string(), used.saturating_add(n));
        true
    }

    fn api(&self, req: &SimRequest) -> Answer {
        if req.path != "/" {
            return error(
                "InvalidAction",
                "The requested path is not an API endpoint.",
            );
        }
        if req.method != "POST" {
            return error(
                "UnsupportedProtocol",
                "The simulator serves API 3.0 as POST with a JSON body.",
            );
        }
        let Some(action) = req.header("x-tc-action").map(str::to_string) else {
            return missing("Action");
        };
        let unsigned = req.header("authorization") == Some("SKIP");
        if unsigned && action != STS_ACTION {
            return error(
                "AuthFailure.InvalidAuthorization",
                "Authorization SKIP is accepted only for AssumeRoleWithWebIdentity.",
            );
        }
        let service = if unsigned {
            Service::Sts
        } else {
            match self.verify(req, &action) {
                Ok(s) => s,
                Err(a) => return a,
            }
        };
        let Some(version) = req.header("x-tc-version") else {
            return missing("Version");
        };
        if version != service.version() {
            return error(
                "NoSuchVersion",
                &format!(
                    "The specified api version=`{version}` does not exist in service=`{}`.",
                    service.name()
                ),
            );
        }
        let known = match service {
            Service::Cdn => [
                "PurgeUrlsCache",
                "PurgePathCache",
                "DescribePurgeTasks",
                "DescribePurgeQuota",
            ]
            .contains(&action.as_str()),
            Service::Teo => ["CreatePurgeTask", "DescribePurgeTasks"].contains(&action.as_str()),
            Service::Sts => action == STS_ACTION,
        };
        if !known {
            return error(
                "InvalidAction",
                &format!(
                    "The request action=`{action}` is invalid or not found in service=`{}` and version=`{version}`.",
                    service.name()
                ),
            );
        }
        let content_type = req.header("content-type").unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return error(
                "InvalidParameter",
                "Content-Type must be application/json for a JSON body.",
            );
        }
        let params: Params = match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return error("InvalidParameter", "The request body is not a JSON object.");
            }
        };
        if service == Service::Sts {
            return self.sts(req, &params);
        }
        if let Some(a) = self.knobs(service, &action) {
            return a;
        }
        let answer = match (service, action.as_str()) {
            (Service::Cdn, "PurgeUrlsCache") => self.cdn_purge(&params, false),
            (Service::Cdn, "PurgePathCache") => self.cdn_purge(&params, true),
            (Service::Cdn, "DescribePurgeTasks") => self.cdn_tasks(&params),
            (Service::Cdn, _) => self.cdn_quota(&params),
            (Service::Teo, "CreatePurgeTask") => self.teo_purge(&params),
            (_, _) => self.teo_tasks(&params),
        };
        answer.unwrap_or_else(|a| a)
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
    fn answer(&self, req: &SimRequest) -> Answer {
        let mut answer = if req.path == GITHUB_TOKEN_PATH {
            self.github(req)
        } else {
            let action = req.header("x-tc-action").unwrap_or("?").to_string();
            let service = tc3::service_of(req.header("authorization"));
            let mut a = self.api(req);
            a.label = format!("{service}:{action}: {}", a.label);
            a
        };
        answer.headers.push((
            "date",
            self.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ));
        answer
    }
}
