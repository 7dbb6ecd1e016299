//! Simulated Azure China CDN operation API.
//!
//! It checks what the service checks, in the order a careful server would, and refuses with
//! the seed's error types: missing date or authorization header, unparseable date, a date
//! more than five minutes from its clock (`AuthorizationHeaderExpired`), a malformed
//! `Authorization`, an unknown key id, a signature that does not verify, an unknown
//! subscription or endpoint, a missing or wrong `apiVersion`. The signature is checked the
//! way the C# sample computes it (path lower-cased), so a client that sends upper-case GUIDs
//! without signing the same bytes fails here as it would there.
//!
//! The HTTP statuses of errors are not documented; the simulator uses 400/401/403/404/429,
//! and purge-wait decides by `ErrorInfo.Type`, not by status.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;
use url::Url;

use super::{Answer, Api, Ending, Scenario, SimRequest, random_guid};
use crate::sign::azure_china as sign;

/// The demo credentials (not real): the key id and value of the signing notes' vectors style.
pub const DEMO_KEY_ID: &str = "00000000-1111-2222-3333-444444444444";
/// The demo key value (base64 of `demo-key-value-not-real`).
pub const DEMO_KEY_SECRET: &str = "ZGVtby1rZXktdmFsdWUtbm90LXJlYWw=";
/// The demo subscription.
pub const DEMO_SUBSCRIPTION: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
/// The demo CDN endpoint.
pub const DEMO_ENDPOINT: &str = "11111111-2222-3333-4444-555555555555";

/// How far the request date may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// What the simulated account accepts and how its operations behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Accepted key id.
    pub key_id: String,
    /// Accepted key value.
    pub key_secret: String,
    /// The subscription it serves.
    pub subscription_id: String,
    /// The endpoint it serves.
    pub endpoint_id: String,
    /// Scripted operations (ids compared case-insensitively).
    pub ops: Vec<(String, Scenario)>,
    /// How operations that were not scripted behave.
    pub default: Scenario,
    /// The server clock minus the real clock (to simulate a skewed client).
    pub clock_offset: chrono::Duration,
    /// How purges created through the API behave.
    pub purge: Scenario,
    /// Files and directories left in today's purge quota.
    pub quota: (usize, usize),
    /// Purge calls whose connection is reset after the purge was created (fault injection).
    pub reset_purges: u32,
    /// Purge calls answered `RequestThrottled` (Retry-After: 1) before any is accepted.
    pub throttle_purges: u32,
    /// The `TaskTrackId` an accepted purge answers instead of the GUID it created (a broken
    /// or hostile answer: a client must refuse an id that is not a GUID).
    pub purge_task_track_id: Option<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            key_id: DEMO_KEY_ID.into(),
            key_secret: DEMO_KEY_SECRET.into(),
            subscription_id: DEMO_SUBSCRIPTION.into(),
            endpoint_id: DEMO_ENDPOINT.into(),
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
            clock_offset: chrono::Duration::zero(),
            purge: Scenario::succeeds_after(Duration::from_secs(3)),
            quota: (2000, 500),
            reset_purges: 0,
            throttle_purges: 0,
            purge_task_track_id: None,
        }
    }
}

struct OpState {
    scenario: Scenario,
    first_seen: Instant,
    first_seen_wall: DateTime<Utc>,
    answers: u32,
    terminal_answers: u32,
}

/// The simulated API.
pub struct AzureChinaSim {
    setup: Setup,
    ops: Mutex<HashMap<String, OpState>>,
    purges: Mutex<PurgeBook>,
}

/// What the purge API has done today.
#[derive(Default)]
struct PurgeBook {
    created: Vec<String>,
    files: usize,
    directories: usize,
    resets: u32,
    throttled: u32,
}

impl AzureChinaSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        AzureChinaSim {
            setup,
            ops: Mutex::new(HashMap::new()),
            purges: Mutex::new(PurgeBook::default()),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.setup.clock_offset
    }

    fn error(&self, status: u16, kind: &str, message: &str) -> Answer {
        self.answer(
            status,
            json!({"Succeeded": false, "ErrorInfo": {"Type": kind, "Message": message}})
                .to_string(),
            kind,
        )
    }

    fn answer(&self, status: u16, body: String, label: &str) -> Answer {
        Answer {
            status,
            headers: vec![
                ("content-type", "application/json; charset=utf-8".into()),
                ("x-correlation-id", random_guid()),
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

    /// `POST …/purges`: checks the body and the quota, creates an operation, answers 202
    /// with its `TaskTrackId`.
    fn purge(&self, body: &[u8]) -> Answer {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Purge {
            #[serde(default)]
            files: Vec<String>,
            #[serde(default)]
            directories: Vec<String>,
        }
        let Ok(purge) = serde_json::from_slice::<Purge>(body) else {
            return self.error(
                400,
                "ParameterInvalid",
                "The request body is not valid JSON.",
            );
        };
        if purge.files.is_empty() && purge.directories.is_empty() {
            return self.error(400, "ParameterMissing", "Files or Directories is required.");
        }
        for url in purge.files.iter().chain(&purge.directories) {
            if url.contains("..") || url.contains('<') {
                return self.error(
                    400,
                    "MaliciousItemPathDetected",
                    "Malicious item path detected.",
                );
            }
            if Url::parse(url).map_or(true, |u| u.host_str().is_none()) {
                return self.error(
                    400,
                    "ParameterInvalid",
                    "Purge items must be absolute URLs.",
                );
            }
        }
        let mut book = self.purges.lock().expect("purge lock");
        if book.throttled < self.setup.throttle_purges {
            book.throttled += 1;
            let mut a = self.error(429, "RequestThrottled", "Request throttled.");
            a.headers.push(("retry-after", "1".into()));
            return a;
        }
        let (max_files, max_dirs) = self.setup.quota;
        if book.files + purge.files.len() > max_files
            || book.directories + purge.directories.len() > max_dirs
        {
            return self.error(
                400,
                "ParameterInvalid",
                &format!("Daily purge quota exceeded ({max_files} files, {max_dirs} directories)."),
            );
        }
        book.files += purge.files.len();
        book.directories += purge.directories.len();
        let id = random_guid();
        book.created.push(id.clone());
        self.ops.lock().expect("ops lock").insert(
            id.clone(),
            OpState {
                scenario: self.setup.purge.clone(),
                first_seen: Instant::now(),
                first_seen_wall: self.now(),
                answers: 0,
                terminal_answers: 0,
            },
        );
        let mut answer = self.answer(
            202,
            json!({"Succeeded": true, "IsAsync": true,
                   "AsyncInfo": {
                       "TaskTrackId": self.setup.purge_task_track_id.as_deref().unwrap_or(&id),
                       "TaskStatus": "Processing"}})
            .to_string(),
            "purge accepted",
        );
        if book.resets < self.setup.reset_purges {
            book.resets += 1;
            answer.reset = true;
            answer.label = "purge accepted, connection reset".into();
        }
        answer
    }

    /// The ids of every purge created so far.
    pub fn purges_created(&self) -> Vec<String> {
        self.purges.lock().expect("purge lock").created.clone()
    }

    /// The checks every request goes through. `None` when the request may proceed.
    fn authenticate(&self, req: &SimRequest) -> Option<Answer> {
        let Some(date) = req.header(sign::DATE_HEADER) else {
            return Some(self.error(
                401,
                "MissingRequestDateHeader",
                "Missing request date header.",
            ));
        };
        let Some(auth) = req.header("authorization") else {
            return Some(self.error(
                401,
                "MissingAuthorizationHeader",
                "Missing authorization header.",
            ));
        };
        let Ok(sent) = NaiveDateTime::parse_from_str(date, sign::DATE_FORMAT) else {
            return Some(self.error(
                400,
                "InvalidRequestDateHeader",
                "Invalid request date header.",
            ));
        };
        let skew = (self.now() - sent.and_utc()).num_seconds().unsigned_abs();
        if skew > MAX_SKEW.as_secs() {
            return Some(self.error(
                401,
                "AuthorizationHeaderExpired",
                "Authorization header expired.",
            ));
        }
        let Some((key_id, sig)) = sign::parse_authorization(auth) else {
            return Some(self.error(
                401,
                "InvalidAuthorizationHeader",
                "Invalid authorization header.",
            ));
        };
        if key_id != self.setup.key_id {
            return Some(self.error(401, "ApiKeyNotFound", "API key not found."));
        }
        // Verify like the C# sample: the path lower-cased.
        let mut target = format!("http://sim{}", req.path.to_ascii_lowercase());
        if let Some(q) = &req.query {
            target.push('?');
            target.push_str(q);
        }
        let Ok(url) = Url::parse(&target) else {
            return Some(self.error(400, "ParameterInvalid", "Invalid request URL."));
        };
        let sts = sign::string_to_sign(&req.method, &url, date);
        if !sign::verify(&self.setup.key_secret, &sts, sig) {
            return Some(self.error(401, "WrongSignature", "Wrong signature."));
        }
        None
    }

    fn operation(&self, id: &str) -> Answer {
        let key = id.to_ascii_lowercase();
        let mut ops = self.ops.lock().expect("ops lock");
        let state = ops.entry(key.clone()).or_insert_with(|| OpState {
            scenario: Scenario::for_id(&self.setup.ops, &self.setup.default, id),
            first_seen: Instant::now(),
            first_seen_wall: self.now(),
            answers: 0,
            terminal_answers: 0,
        });
        state.answers += 1;
        let s = &state.scenario;
        if state.answers <= s.throttle {
            let mut a = self.error(429, "RequestThrottled", "Request throttled.");
            if let Some(secs) = s.retry_after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            return a;
        }
        if state.answers <= s.throttle + s.errors {
            return self.answer(
                503,
                "<html><body><h1>503 Service Unavailable</h1></body></html>".into(),
                "503",
            );
        }
        if s.unknown(state.first_seen.elapsed()) {
            return self.error(404, "ParameterInvalid", "The operation does not exist.");
        }
        let done = s.finished(state.first_seen.elapsed(), &mut state.terminal_answers);
        let status = match (&s.ending, done) {
            (_, false) => "Processing".to_string(),
            (Ending::Succeeded | Ending::Regress, true) => "Succeeded".into(),
            (Ending::Failed, true) => "Failed".into(),
            (Ending::Word(w), true) => w.clone(),
            (Ending::Malformed, true) => {
                return self.answer(
                    200,
                    format!("{{\"Id\":\"{key}\",\"Status\":\"Succ"),
                    "malformed",
                );
            }
            (Ending::Stuck | Ending::Missing, true) => unreachable!("handled above"),
        };
        let end = done.then(|| {
            (state.first_seen_wall + chrono::Duration::from_std(s.after).unwrap_or_default())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        });
        let message = (s.ending == Ending::Failed && done).then(|| {
            s.message
                .clone()
                .unwrap_or_else(|| "Purge failed on some edge nodes.".into())
        });
        let body = json!({
            "Id": key,
            "Type": "Purge",
            "Status": status,
            "Message": message,
            "Start": state.first_seen_wall.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "End": end,
            "EndpointId": self.setup.endpoint_id,
            "SubscriptionId": self.setup.subscription_id,
        });
        self.answer(200, body.to_string(), &status)
    }
}

impl Api for AzureChinaSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        if let Some(refusal) = self.authenticate(req) {
            return refusal;
        }
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let (sub, ep, id) = match (req.method.as_str(), &segments[..]) {
            ("GET", ["subscriptions", sub, "endpoints", ep, "operations", id]) => {
                (*sub, *ep, Some(*id))
            }
            ("POST", ["subscriptions", sub, "endpoints", ep, "purges"]) => (*sub, *ep, None),
            _ => return self.error(404, "ParameterInvalid", "No such API."),
        };
        match req.query.as_deref().map(api_version) {
            Some(Some(v)) if v == "1.0" => {}
            Some(Some(_)) => return self.error(400, "ParameterInvalid", "Unsupported apiVersion."),
            _ => return self.error(400, "ParameterMissing", "apiVersion is required."),
        }
        if !sub.eq_ignore_ascii_case(&self.setup.subscription_id) {
            return self.error(404, "SubscriptionNotFound", "Subscription does not exist.");
        }
        if !ep.eq_ignore_ascii_case(&self.setup.endpoint_id) {
            return self.error(404, "EndpointNotFound", "Endpoint does not exist.");
        }
        match id {
            Some(id) => self.operation(id),
            None => self.purge(&req.body),
        }
    }
}

fn api_version(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "apiVersion")
        .map(|(_, v)| v.into_owned())
}
