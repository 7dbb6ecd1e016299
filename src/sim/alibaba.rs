//! Simulated Alibaba Cloud DCDN and CDN refresh-task APIs, a mock STS and a mock GitHub
//! OIDC token service, on one port.
//!
//! - `POST /` with `x-acs-action: DescribeDcdnRefreshTaskById` (version `2018-01-15`) or
//!   `DescribeRefreshTaskById` (`2018-05-10`): checks what the service checks, in this
//!   order, answering the service's error codes: `Authorization` present and well formed
//!   (`IncompleteSignature`), AccessKey known (`InvalidAccessKeyId.NotFound`) and, for STS
//!   keys, not expired (`InvalidSecurityToken.Expired`), `x-acs-date` well formed
//!   (`InvalidTimeStamp.Format`) and within 15 minutes (`InvalidTimeStamp.Expired`), the
//!   ACS3 signature over every signed header ([`acs3::verify`]: `SignatureDoesNotMatch`,
//!   `MissingSecurityToken`, `InvalidSecurityToken.MismatchWithAccessKey`; with an STS
//!   token also `x-acs-accesskey-id`, signed and equal to the AccessKey, as the SDKs send
//!   it: `IncompleteSignature` when absent), the nonce not
//!   seen before (`SignatureNonceUsed`), the action and version (`InvalidAction.NotFound`,
//!   `InvalidVersion`), 30 calls in any second (`Throttling.User`, HTTP 400 as users report
//!   it), then the `TaskId` list (`InvalidParameters`, `InvalidTaskId` above 10,
//!   `InvalidTaskId.Malformed` for an id that is not digits).
//! - Tasks follow their [`Scenario`]: `Pending`, then `Refreshing` with `Process` climbing,
//!   then `Complete` or `Failed` (with a `Description`) at 100%; `missing` tasks are left out
//!   of the answer, as expired ones are (and `unlisted=…` ones until then, as new ones may be); `throttle=N` answers `Throttling.User` (with
//!   `x-acs-retry-after` in milliseconds when `retry-after` is set) and `errors=N` answers
//!   503 `ServiceUnavailable` for any call that includes the task.
//! - `RefreshDcdnObjectCaches` (`2018-01-15`) / `RefreshObjectCaches` (`2018-05-10`), ACS3
//!   checked the same way, parameters from the query or a form body: `ObjectPath` (newline
//!   separated full URLs: `InvalidObjectPath.Malformed`; a wildcard domain:
//!   `InvalidExtensiveDomain.ValueNotSupported`; a domain not in [`Setup::domains`]:
//!   `InvalidDomain.NotFound`), `ObjectType` (`File` default, `Directory` ending in `/`,
//!   `Regex`, `IgnoreParams`: else `InvalidObjectType.ValueNotSupported`), the per-call
//!   limits (1,000 URLs, 100 directories, 1 regex, 10 domains: `SingleRequest.OverLimit`)
//!   and the daily [`Setup::quota`] (`QuotaExceeded.Refresh`). An accepted call creates one
//!   task per domain, answered as `RefreshTaskId` (comma separated) and then served by the
//!   describe actions with its paths. Fault knobs: `throttle_purges` calls answered
//!   `Throttling.User` (`x-acs-retry-after: 1000`), `reset_purges` calls whose connection is
//!   reset after the tasks were created.
//! - `POST /?Action=AssumeRoleWithOIDC…` (anonymous): checks the provider ARN, role ARN and
//!   token, then issues temporary credentials that the describe actions accept until they
//!   expire.
//! - `GET /github-oidc-token?audience=…` with `Authorization: bearer <request token>`:
//!   answers `{"value": <OIDC token>}` like `ACTIONS_ID_TOKEN_REQUEST_URL`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Answer, Api, Ending, Scenario, SimRequest, random_guid};
use crate::sign::acs3;

/// The demo AccessKey id (not real).
pub const DEMO_ACCESS_KEY_ID: &str = "LTAI5tDemoAccessKeyIdNotReal";
/// The demo AccessKey secret (not real).
pub const DEMO_ACCESS_KEY_SECRET: &str = "DemoAccessKeySecretNotReal0123";
/// The role the mock STS lets the demo token assume.
pub const DEMO_ROLE_ARN: &str = "acs:ram::1234567890123456:role/purge-wait-demo";
/// The OIDC provider the mock STS trusts.
pub const DEMO_OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/github-actions";
/// The OIDC token the mock STS accepts.
pub const DEMO_OIDC_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOnB1cmdlLXdhaXQvZGVtbyJ9.ZGVtby1zaWduYXR1cmU";
/// The bearer token the mock GitHub token service accepts.
pub const DEMO_GITHUB_REQUEST_TOKEN: &str = "demo-actions-id-token-request-token";
/// The path of the mock GitHub token service.
pub const GITHUB_TOKEN_PATH: &str = "/github-oidc-token";

/// How far `x-acs-date` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// What the simulated account accepts and how its tasks behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Accepted AccessKey id.
    pub access_key_id: String,
    /// Its secret.
    pub access_key_secret: String,
    /// The role STS lets the token assume.
    pub role_arn: String,
    /// The OIDC provider STS trusts.
    pub oidc_provider_arn: String,
    /// The OIDC token STS accepts.
    pub oidc_token: String,
    /// The bearer token the GitHub token service accepts.
    pub github_request_token: String,
    /// The audience the GitHub token service expects.
    pub audience: String,
    /// Lifetime of issued STS credentials (at most what the client asks).
    pub sts_lifetime: Duration,
    /// Calls per second admitted before `Throttling.User`.
    pub rate_limit: usize,
    /// Scripted tasks.
    pub ops: Vec<(String, Scenario)>,
    /// How tasks that were not scripted behave.
    pub default: Scenario,
    /// The server clock minus the real clock (to simulate a skewed client).
    pub clock_offset: chrono::Duration,
    /// How refresh tasks created through the API behave.
    pub purge: Scenario,
    /// What is left of today's refresh quota.
    pub quota: RefreshQuota,
    /// The account's accelerated domains; empty: every domain is the account's.
    pub domains: Vec<String>,
    /// Refresh calls whose connection is reset after the tasks were created.
    pub reset_purges: u32,
    /// Refresh calls answered `Throttling.User` before any is accepted.
    pub throttle_purges: u32,
    /// The `RefreshTaskId` an accepted refresh answers instead of the ids it created (a
    /// broken or hostile answer: a client must refuse ids that are not digits).
    pub refresh_task_id: Option<String>,
}

/// A daily refresh quota, by `ObjectType` (the defaults are the documented ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshQuota {
    /// URLs (`File` and `IgnoreParams` count here).
    pub urls: usize,
    /// Directories.
    pub directories: usize,
    /// Regular expressions.
    pub regex: usize,
}

impl Default for RefreshQuota {
    fn default() -> Self {
        RefreshQuota {
            urls: 10_000,
            directories: 100,
            regex: 20,
        }
    }
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            access_key_id: DEMO_ACCESS_KEY_ID.into(),
            access_key_secret: DEMO_ACCESS_KEY_SECRET.into(),
            role_arn: DEMO_ROLE_ARN.into(),
            oidc_provider_arn: DEMO_OIDC_PROVIDER_ARN.into(),
            oidc_token: DEMO_OIDC_TOKEN.into(),
            github_request_token: DEMO_GITHUB_REQUEST_TOKEN.into(),
            audience: crate::auth::alibaba::DEFAULT_AUDIENCE.into(),
            sts_lifetime: Duration::from_secs(3600),
            rate_limit: 30,
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            clock_offset: chrono::Duration::zero(),
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            quota: RefreshQuota::default(),
            domains: Vec::new(),
            reset_purges: 0,
            throttle_purges: 0,
            refresh_task_id: None,
        }
    }
}

struct TaskState {
    scenario: Scenario,
    first_seen: Instant,
    first_seen_wall: DateTime<Utc>,
    answers: u32,
    /// Answers given after the task ended (for `regress`).
    terminal_answers: u32,
    /// What a refresh call asked for: the paths and their type (lower case, as the describe
    /// answer spells it); empty for scripted tasks.
    objects: Vec<String>,
    object_type: String,
}

/// What the refresh API has done today.
#[derive(Default)]
struct RefreshBook {
    created: Vec<String>,
    urls: usize,
    directories: usize,
    regex: usize,
    resets: u32,
    throttled: u32,
    next_id: u64,
}

struct Issued {
    id: String,
    secret: String,
    token: String,
    expires: DateTime<Utc>,
}

/// The simulated APIs.
pub struct AlibabaSim {
    setup: Setup,
    tasks: Mutex<HashMap<String, TaskState>>,
    nonces: Mutex<HashSet<String>>,
    issued: Mutex<Vec<Issued>>,
    admitted: Mutex<VecDeque<Instant>>,
    refreshes: Mutex<RefreshBook>,
}

/// The error body every refusal carries.
fn error_body(code: &str, message: &str, host: &str) -> (String, String) {
    let request_id = random_guid().to_ascii_uppercase();
    let product = if host.starts_with("sts") {
        "Sts"
    } else {
        "Dcdn"
    };
    let body = json!({
        "RequestId": request_id,
        "HostId": host,
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product={product}&requestId={request_id}"),
    });
    (body.to_string(), request_id)
}

fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
        .collect()
}

impl AlibabaSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        AlibabaSim {
            setup,
            tasks: Mutex::new(HashMap::new()),
            nonces: Mutex::new(HashSet::new()),
            issued: Mutex::new(Vec::new()),
            admitted: Mutex::new(VecDeque::new()),
            refreshes: Mutex::new(RefreshBook {
                next_id: 17_000_000_000 + fastrand::u64(..1_000_000) * 1000,
                ..RefreshBook::default()
            }),
        }
    }

    /// The ids of every refresh task created so far.
    pub fn purges_created(&self) -> Vec<String> {
        self.refreshes.lock().expect("refresh lock").created.clone()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.setup.clock_offset
    }

    fn answer(&self, status: u16, body: String, label: &str, request_id: String) -> Answer {
        Answer {
            status,
            headers: vec![
                ("content-type", "application/json;charset=utf-8".into()),
                ("x-acs-request-id", request_id),
                (
                    "date",
                    self.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                ),
            ],
            body,
            label: label.to_string(),
            reset: false,
        }
    }

    fn error(&self, status: u16, code: &str, message: &str, host: &str) -> Answer {
        let (body, request_id) = error_body(code, message, host);
        self.answer(status, body, code, request_id)
    }

    /// The ACS3 checks of the describe actions. `None` when the request may proceed.
    fn authenticate(
        &self,
        req: &SimRequest,
        host: &str,
        query: &[(String, String)],
    ) -> Option<Answer> {
        let refuse =
            |status, code: &str, message: &str| Some(self.error(status, code, message, host));
        let Some(auth) = req.header("authorization") else {
            return refuse(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            );
        };
        let Ok(parsed) = acs3::parse_authorization(auth) else {
            return refuse(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            );
        };
        let (secret, token) = if parsed.access_key_id == self.setup.access_key_id {
            (self.setup.access_key_secret.clone(), None)
        } else {
            let issued = self.issued.lock().expect("issued lock");
            match issued.iter().find(|i| i.id == parsed.access_key_id) {
                Some(i) if i.expires <= self.now() => {
                    return refuse(
                        400,
                        "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.",
                    );
                }
                Some(i) => (i.secret.clone(), Some(i.token.clone())),
                None => {
                    return refuse(
                        404,
                        "InvalidAccessKeyId.NotFound",
                        "Specified access key is not found.",
                    );
                }
            }
        };
        let Some(date) = req.header(acs3::X_ACS_DATE) else {
            return refuse(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            );
        };
        let Some(sent) = acs3::parse_date(date) else {
            return refuse(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            );
        };
        if (self.now() - sent).num_seconds().unsigned_abs() > MAX_SKEW.as_secs() {
            return refuse(
                400,
                "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.",
            );
        }
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signable = acs3::SignableRequest {
            method: &req.method,
            host: req.header("host").unwrap_or_default(),
            path: &req.path,
            query: &query,
            headers: &headers,
            body: &req.body,
        };
        let creds = acs3::Credentials {
            access_key_id: parsed.access_key_id,
            access_key_secret: &secret,
            security_token: token.as_deref(),
        };
        match acs3::verify(&signable, &creds) {
            Ok(()) => {}
            Err(acs3::VerifyError::SecurityTokenMismatch) => {
                return if req.header(acs3::X_ACS_SECURITY_TOKEN).is_none() {
                    refuse(
                        400,
                        "MissingSecurityToken",
                        "SecurityToken is mandatory for this action.",
                    )
                } else {
                    refuse(
                        400,
                        "InvalidSecurityToken.MismatchWithAccessKey",
                        "Specified SecurityToken mismatch with the AccessKey.",
                    )
                };
            }
            Err(acs3::VerifyError::AccessKeyIdMismatch) => {
                return if req.header(acs3::X_ACS_ACCESSKEY_ID).is_none() {
                    refuse(
                        400,
                        "IncompleteSignature",
                        "The request signature does not conform to Aliyun standards.",
                    )
                } else {
                    refuse(
                        400,
                        "InvalidSecurityToken.MismatchWithAccessKey",
                        "Specified SecurityToken mismatch with the AccessKey.",
                    )
                };
            }
            Err(acs3::VerifyError::MissingHeader(_) | acs3::VerifyError::BadAuthorization(_)) => {
                return refuse(
                    400,
                    "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards.",
                );
            }
            Err(_) => {
                return refuse(
                    400,
                    "SignatureDoesNotMatch",
                    "Specified signature is not matched with our calculation.",
                );
            }
        }
        let nonce = req
            .header(acs3::X_ACS_SIGNATURE_NONCE)
            .unwrap_or_default()
            .to_string();
        if !self.nonces.lock().expect("nonce lock").insert(nonce) {
            return refuse(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            );
        }
        None
    }

    /// Admits the call unless `rate_limit` calls were admitted in the last second.
    fn admit(&self) -> bool {
        let now = Instant::now();
        let mut admitted = self.admitted.lock().expect("rate lock");
        while admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            admitted.pop_front();
        }
        if admitted.len() >= self.setup.rate_limit {
            return false;
        }
        admitted.push_back(now);
        true
    }

    fn describe(&self, req: &SimRequest, host: &str, query: &[(String, String)]) -> Answer {
        if let Some(refusal) = self.authenticate(req, host, query) {
            return refusal;
        }
        let action = req.header(acs3::X_ACS_ACTION).unwrap_or_default();
        let version = req.header(acs3::X_ACS_VERSION).unwrap_or_default();
        let expected = match action {
            "DescribeDcdnRefreshTaskById" | "RefreshDcdnObjectCaches" => "2018-01-15",
            "DescribeRefreshTaskById" | "RefreshObjectCaches" => "2018-05-10",
            _ => {
                return self.error(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                    host,
                );
            }
        };
        if version != expected {
            return self.error(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
                host,
            );
        }
        if action.starts_with("Refresh") {
            let mut params = query.to_vec();
            let form = req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
            if form {
                params.extend(decode(&String::from_utf8_lossy(&req.body)));
            }
            return self.refresh(action, &params, host);
        }
        if !self.admit() {
            return self.error(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
                host,
            );
        }
        let Some(list) = query
            .iter()
            .find(|(k, _)| k == "TaskId")
            .map(|(_, v)| v.as_str())
        else {
            return self.error(
                400,
                "InvalidParameters",
                "The specified parameters are invalid.",
                host,
            );
        };
        let ids: Vec<&str> = list.split(',').map(str::trim).collect();
        if ids.iter().any(|i| i.is_empty()) {
            return self.error(
                400,
                "InvalidParameters",
                "The specified parameters are invalid.",
                host,
            );
        }
        if ids.len() > 10 {
            return self.error(
                400,
                "InvalidTaskId",
                "The maximum number of taskIds is 10.",
                host,
            );
        }
        if ids.iter().any(|i| !i.bytes().all(|b| b.is_ascii_digit())) {
            return self.error(
                400,
                "InvalidTaskId.Malformed",
                "The specified TaskId is invalid.",
                host,
            );
        }
        self.tasks_answer(&ids, host)
    }

    fn tasks_answer(&self, ids: &[&str], host: &str) -> Answer {
        let mut tasks = self.tasks.lock().expect("tasks lock");
        let mut throttled: Option<Option<u64>> = None;
        let mut faulted = false;
        for id in ids {
            let state = tasks.entry(id.to_string()).or_insert_with(|| TaskState {
                scenario: self
                    .setup
                    .ops
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_else(|| self.setup.default.clone()),
                first_seen: Instant::now(),
                first_seen_wall: self.now(),
                answers: 0,
                terminal_answers: 0,
                objects: Vec::new(),
                object_type: "file".into(),
            });
            state.answers += 1;
            let s = &state.scenario;
            if state.answers <= s.throttle {
                throttled = Some(throttled.flatten().or(s.retry_after));
            } else if state.answers <= s.throttle + s.errors {
                faulted = true;
            }
        }
        if let Some(retry_after) = throttled {
            let mut a = self.error(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
                host,
            );
            if let Some(secs) = retry_after {
                a.headers
                    .push(("x-acs-retry-after", (secs * 1000).to_string()));
            }
            return a;
        }
        if faulted {
            return self.error(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
                host,
            );
        }
        let mut out = Vec::new();
        let mut words = Vec::new();
        for id in ids {
            let Some(state) = tasks.get_mut(*id) else {
                continue;
            };
            let s = &state.scenario;
            let elapsed = state.first_seen.elapsed();
            let done = s.finished(elapsed, &mut state.terminal_answers);
            let percent = if done {
                100
            } else if s.after.is_zero() {
                99
            } else {
                ((elapsed.as_secs_f64() / s.after.as_secs_f64()) * 100.0).min(99.0) as u32
            };
            if s.unknown(elapsed) {
                continue;
            }
            let status = match (&s.ending, done) {
                (Ending::Missing, _) => continue,
                (Ending::Malformed, true) => {
                    return self.answer(200, format!("{{\"RequestId\":\"x\",\"Tasks\":[{{\"TaskId\":\"{id}\",\"Status\":\"Comp"), "malformed", random_guid());
                }
                (_, false) if percent < 20 => "Pending".to_string(),
                (_, false) => "Refreshing".to_string(),
                (Ending::Succeeded | Ending::Regress, true) => "Complete".into(),
                (Ending::Failed, true) => "Failed".into(),
                (Ending::Word(w), true) => w.clone(),
                (Ending::Stuck, true) => "Refreshing".into(),
            };
            let description = (status == "Failed")
                .then(|| s.message.clone().unwrap_or_else(|| "Origin Timeout".into()));
            words.push(status.clone());
            let paths = if state.objects.is_empty() {
                vec![format!("https://www.example.com/static/{id}.js")]
            } else {
                state.objects.clone()
            };
            // One entry per path of the task, as the service lists them.
            for path in paths {
                let mut task = json!({
                    "TaskId": id,
                    "Status": status,
                    "Process": format!("{percent}%"),
                    "ObjectPath": path,
                    "ObjectType": state.object_type,
                    "CreationTime": state.first_seen_wall.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                });
                if let Some(d) = &description {
                    task["Description"] = json!(d);
                }
                out.push(task);
            }
        }
        let request_id = random_guid().to_ascii_uppercase();
        let body = json!({
            "TotalCount": out.len(),
            "RequestId": request_id,
            "Tasks": out,
        });
        let label = if words.is_empty() {
            "none".to_string()
        } else {
            words.join(",")
        };
        self.answer(200, body.to_string(), &label, request_id)
    }

    /// `RefreshDcdnObjectCaches` / `RefreshObjectCaches`, authenticated by the caller.
    fn refresh(&self, product: &str, params: &[(String, String)], host: &str) -> Answer {
        let refuse = |status, code: &str, message: &str| self.error(status, code, message, host);
        if !self.admit() {
            return refuse(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            );
        }
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let Some(text) = get("ObjectPath").filter(|t| !t.trim().is_empty()) else {
            return refuse(
                400,
                "MissingParameter",
                "The input parameter \"ObjectPath\" that is mandatory for processing this request is not supplied.",
            );
        };
        let object_type = get("ObjectType").unwrap_or("File");
        let (limit, what) = match object_type {
            "File" | "IgnoreParams" => (1000, "URLs"),
            "Directory" => (100, "directories"),
            "Regex" => (1, "regular expressions"),
            _ => {
                return refuse(
                    400,
                    "InvalidObjectType.ValueNotSupported",
                    "The specified value of ObjectType is not supported.",
                );
            }
        };
        let paths: Vec<&str> = text
            .split('\n')
            .map(|p| p.trim_end_matches('\r'))
            .filter(|p| !p.is_empty())
            .collect();
        let mut hosts: Vec<String> = Vec::new();
        for path in &paths {
            let Some((_, rest)) = path.split_once("://").filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
            }) else {
                return refuse(
                    400,
                    "InvalidObjectPath.Malformed",
                    "The specified ObjectPath is invalid.",
                );
            };
            let domain = rest
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if domain.contains('*') {
                return refuse(
                    400,
                    "InvalidExtensiveDomain.ValueNotSupported",
                    "The specified ExtensiveDomain is not supported.",
                );
            }
            let valid = path.chars().count() <= 1024
                && !domain.is_empty()
                && (object_type == "Regex"
                    || url::Url::parse(path).is_ok_and(|u| u.host_str().is_some()))
                && (object_type != "Directory" || path.ends_with('/'));
            if !valid {
                return refuse(
                    400,
                    "InvalidObjectPath.Malformed",
                    "The specified ObjectPath is invalid.",
                );
            }
            if !self.setup.domains.is_empty()
                && !self
                    .setup
                    .domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&domain))
            {
                return refuse(
                    404,
                    "InvalidDomain.NotFound",
                    "The domain provided does not belong to you.",
                );
            }
            if !hosts.contains(&domain) {
                hosts.push(domain);
            }
        }
        if paths.len() > limit {
            return refuse(
                400,
                "SingleRequest.OverLimit",
                &format!("A maximum of {limit} {what} are supported for each request."),
            );
        }
        if hosts.len() > 10 {
            return refuse(
                400,
                "SingleRequest.OverLimit",
                "The URLs of one request may belong to at most 10 domains.",
            );
        }
        let mut book = self.refreshes.lock().expect("refresh lock");
        if book.throttled < self.setup.throttle_purges {
            book.throttled += 1;
            let mut a = refuse(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            );
            a.headers.push(("x-acs-retry-after", "1000".into()));
            return a;
        }
        let quota = self.setup.quota;
        let over = match object_type {
            "Directory" => book.directories + paths.len() > quota.directories,
            "Regex" => book.regex + paths.len() > quota.regex,
            _ => book.urls + paths.len() > quota.urls,
        };
        if over {
            return refuse(
                400,
                "QuotaExceeded.Refresh",
                "Your refresh attempts have exceeded the daily limit.",
            );
        }
        match object_type {
            "Directory" => book.directories += paths.len(),
            "Regex" => book.regex += paths.len(),
            _ => book.urls += paths.len(),
        }
        let kind = match object_type {
            "Directory" => "directory",
            "Regex" => "regex",
            _ => "file",
        };
        let mut ids = Vec::new();
        let mut tasks = self.tasks.lock().expect("tasks lock");
        for host in &hosts {
            book.next_id += 1;
            let id = book.next_id.to_string();
            let objects: Vec<String> = paths
                .iter()
                .filter(|p| {
                    p.split_once("://")
                        .and_then(|(_, r)| r.split(['/', '?', '#']).next())
                        .is_some_and(|d| d.eq_ignore_ascii_case(host))
                })
                .map(|p| p.to_string())
                .collect();
            tasks.insert(
                id.clone(),
                TaskState {
                    scenario: self.setup.purge.clone(),
                    first_seen: Instant::now(),
                    first_seen_wall: self.now(),
                    answers: 0,
                    terminal_answers: 0,
                    objects,
                    object_type: kind.into(),
                },
            );
            book.created.push(id.clone());
            ids.push(id);
        }
        let request_id = random_guid().to_ascii_uppercase();
        let task_ids = self
            .setup
            .refresh_task_id
            .clone()
            .unwrap_or_else(|| ids.join(","));
        let body = json!({ "RefreshTaskId": task_ids, "RequestId": request_id });
        let mut answer = self.answer(
            200,
            body.to_string(),
            &format!("{product} accepted"),
            request_id,
        );
        if book.resets < self.setup.reset_purges {
            book.resets += 1;
            answer.reset = true;
            answer.label = format!("{product} accepted, connection reset");
        }
        answer
    }

    fn sts(&self, params: &HashMap<String, String>, host: &str) -> Answer {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        let refuse = |status, code: &str, message: &str| self.error(status, code, message, host);
        if get("Version") != crate::auth::alibaba::STS_VERSION {
            return refuse(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            );
        }
        for name in ["RoleArn", "OIDCProviderArn", "OIDCToken", "RoleSessionName"] {
            if get(name).is_empty() {
                return refuse(
                    400,
                    &format!("MissingParameter.{name}"),
                    &format!("{name} is mandatory for this action."),
                );
            }
        }
        if get("OIDCProviderArn") != self.setup.oidc_provider_arn {
            return refuse(
                404,
                "EntityNotExist.OIDCProvider",
                "The specified OIDC provider does not exist.",
            );
        }
        if get("RoleArn") != self.setup.role_arn {
            return refuse(404, "EntityNotExist.Role", "The specified Role not exists.");
        }
        if get("OIDCToken") != self.setup.oidc_token {
            return refuse(
                400,
                "AuthenticationFail.OIDCToken.Invalid",
                "The OIDC token is invalid.",
            );
        }
        let asked = get("DurationSeconds").parse::<u64>().unwrap_or(3600);
        let lifetime = Duration::from_secs(asked).min(self.setup.sts_lifetime);
        let expires = self.now() + chrono::Duration::from_std(lifetime).unwrap_or_default();
        let issued = Issued {
            id: format!("STS.NT{}", random_hex(24)),
            secret: random_hex(40),
            token: format!("CAIS{}", random_hex(120)),
            expires,
        };
        let request_id = random_guid().to_ascii_uppercase();
        let body = json!({
            "RequestId": request_id,
            "AssumedRoleUser": {
                "AssumedRoleId": format!("3{}:{}", random_hex(16), get("RoleSessionName")),
                "Arn": format!("{}/{}", self.setup.role_arn.replace(":role/", ":assumed-role/"), get("RoleSessionName")),
            },
            "Credentials": {
                "AccessKeyId": issued.id,
                "AccessKeySecret": issued.secret,
                "SecurityToken": issued.token,
                "Expiration": expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
        });
        self.issued.lock().expect("issued lock").push(issued);
        self.answer(200, body.to_string(), "AssumeRoleWithOIDC", request_id)
    }

    fn github_token(&self, req: &SimRequest, query: &[(String, String)]) -> Answer {
        let authorised = req
            .header("authorization")
            .and_then(|a| a.split_once(' '))
            .is_some_and(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && token == self.setup.github_request_token
            });
        if !authorised {
            return self.answer(
                401,
                r#"{"message":"Bad credentials"}"#.into(),
                "github-401",
                random_guid(),
            );
        }
        let audience = query
            .iter()
            .find(|(k, _)| k == "audience")
            .map(|(_, v)| v.as_str());
        if audience != Some(self.setup.audience.as_str()) {
            return self.answer(
                400,
                r#"{"message":"Unexpected audience"}"#.into(),
                "github-400",
                random_guid(),
            );
        }
        let body = json!({ "count": 1, "value": self.setup.oidc_token });
        self.answer(200, body.to_string(), "github-token", random_guid())
    }
}

fn decode(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Api for AlibabaSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        let host = req
            .header("host")
            .unwrap_or("dcdn.aliyuncs.com")
            .to_string();
        let query = decode(req.query.as_deref().unwrap_or_default());
        if req.path == GITHUB_TOKEN_PATH {
            return self.github_token(req, &query);
        }
        if query
            .iter()
            .any(|(k, v)| k == "Action" && v == "AssumeRoleWithOIDC")
        {
            let mut params: HashMap<String, String> = query.into_iter().collect();
            let form = req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
            if form {
                params.extend(decode(&String::from_utf8_lossy(&req.body)));
            }
            return self.sts(&params, "sts.aliyuncs.com");
        }
        if req.method != "POST" && req.method != "GET" {
            return self.error(405, "InvalidParameters", "Method not allowed.", &host);
        }
        if req.header(acs3::X_ACS_ACTION).is_none() {
            return self.error(400, "MissingParameter", "The input parameter \"Action\" that is mandatory for processing this request is not supplied.", &host);
        }
        self.describe(req, &host, &query)
    }
}
