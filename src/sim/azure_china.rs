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
        }
    }
}

struct OpState {
    scenario: Scenario,
    first_seen: Instant,
    first_seen_wall: DateTime<Utc>,
    answers: u32,
}

/// The simulated API.
pub struct AzureChinaSim {
    setup: Setup,
    ops: Mutex<HashMap<String, OpState>>,
}

impl AzureChinaSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        AzureChinaSim {
            setup,
            ops: Mutex::new(HashMap::new()),
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
        }
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
            scenario: self
                .setup
                .ops
                .iter()
                .find(|(i, _)| i.eq_ignore_ascii_case(id))
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| self.setup.default.clone()),
            first_seen: Instant::now(),
            first_seen_wall: self.now(),
            answers: 0,
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
        if s.ending == Ending::Missing {
            return self.error(404, "ParameterInvalid", "The operation does not exist.");
        }
        let done = state.first_seen.elapsed() >= s.after && s.ending != Ending::Stuck;
        let status = match (&s.ending, done) {
            (_, false) => "Processing".to_string(),
            (Ending::Succeeded, true) => "Succeeded".into(),
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
        let ["subscriptions", sub, "endpoints", ep, "operations", id] = segments[..] else {
            return self.error(404, "ParameterInvalid", "No such API.");
        };
        if req.method != "GET" {
            return self.error(405, "ParameterInvalid", "Method not allowed.");
        }
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
        self.operation(id)
    }
}

fn api_version(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "apiVersion")
        .map(|(_, v)| v.into_owned())
}
