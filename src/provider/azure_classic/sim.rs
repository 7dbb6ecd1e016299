//! Simulated Azure classic (Service Management) CDN operation API, served over HTTPS by
//! [`Simulator::start_tls`](crate::sim::Simulator::start_tls).
//!
//! It checks what Service Management checks, in its order, and refuses with its error bodies
//! (`<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code/><Message/></Error>` and
//! an `x-ms-request-id` header): no client certificate, or one not registered with the
//! subscription, or another subscription → 403 `ForbiddenError`; a missing or too old
//! `x-ms-version` → 400 `MissingOrIncorrectVersionHeader`; no `Content-Type:
//! application/xml` → 400 `InvalidHeader`; an unknown path → 404 `ResourceNotFound`.
//! Scripted throttling answers 503 `ServerBusy` (with `Retry-After` when scripted), scripted
//! errors 500 `InternalError`. Answers start with a UTF-8 byte-order mark, as .NET writes
//! them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sim::tls::CLIENT_CERT_HEADER;
use crate::sim::{Answer, Api, Ending, Scenario, SimRequest};

// The service's contract, stated here rather than imported from the client, so the
// simulator checks the client the way the real service does.
/// The oldest `x-ms-version` the service accepts for CDN operations.
const DEFAULT_API_VERSION: &str = "2011-06-30";
/// The header Service Management names its request id in.
const REQUEST_ID_HEADER: &str = "x-ms-request-id";
/// Service Management's XML namespace.
const XMLNS: &str = "http://schemas.microsoft.com/windowsazure";

/// The demo subscription.
pub const DEMO_SUBSCRIPTION: &str = "cccccccc-1111-4222-8333-444444444444";

/// What the simulated subscription accepts and how its operations behave.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The subscription it serves.
    pub subscription_id: String,
    /// SHA-1 thumbprints (upper-case hex) of the management certificates it accepts.
    pub thumbprints: Vec<String>,
    /// Scripted operations (ids compared case-insensitively).
    pub ops: Vec<(String, Scenario)>,
    /// How operations that were not scripted behave.
    pub default: Scenario,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            subscription_id: DEMO_SUBSCRIPTION.into(),
            thumbprints: Vec::new(),
            ops: Vec::new(),
            default: Scenario::succeeds_after(Duration::from_secs(10)),
        }
    }
}

struct OpState {
    scenario: Scenario,
    first_seen: Instant,
    answers: u32,
    terminal_answers: u32,
}

/// The simulated API.
pub struct AzureClassicSim {
    setup: Setup,
    ops: Mutex<HashMap<String, OpState>>,
}

/// A Service Management request id: 32 hex digits.
fn request_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

impl AzureClassicSim {
    /// A simulator for `setup`.
    pub fn new(setup: Setup) -> Self {
        AzureClassicSim {
            setup,
            ops: Mutex::new(HashMap::new()),
        }
    }

    fn answer(status: u16, body: String, label: &str) -> Answer {
        Answer {
            status,
            headers: vec![
                ("content-type", "application/xml; charset=utf-8".into()),
                (REQUEST_ID_HEADER, request_id()),
            ],
            body: format!("\u{feff}{body}"),
            label: label.to_string(),
            reset: false,
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Answer {
        Self::answer(
            status,
            format!(
                r#"<Error xmlns="{XMLNS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Code>{code}</Code><Message>{}</Message></Error>"#,
                escape(message)
            ),
            code,
        )
    }

    fn forbidden() -> Answer {
        Self::error(
            403,
            "ForbiddenError",
            "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription.",
        )
    }

    fn operation(&self, id: &str) -> Answer {
        let key = id.to_ascii_lowercase();
        let mut ops = self.ops.lock().expect("ops lock");
        let state = ops.entry(key).or_insert_with(|| OpState {
            scenario: Scenario::for_id(&self.setup.ops, &self.setup.default, id),
            first_seen: Instant::now(),
            answers: 0,
            terminal_answers: 0,
        });
        state.answers += 1;
        let s = &state.scenario;
        if state.answers <= s.throttle {
            let mut a = Self::error(
                503,
                "ServerBusy",
                "The server is currently unable to receive requests. Please retry your request.",
            );
            if let Some(secs) = s.retry_after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            return a;
        }
        if state.answers <= s.throttle + s.errors {
            return Self::error(
                500,
                "InternalError",
                "The server encountered an internal error. Please retry the request.",
            );
        }
        if s.ending == Ending::Missing {
            return Self::error(
                404,
                "ResourceNotFound",
                &format!("The operation request ID '{id}' was not found."),
            );
        }
        let done = s.finished(state.first_seen.elapsed(), &mut state.terminal_answers);
        let (status, extra) = match (&s.ending, done) {
            (_, false) => ("InProgress".to_string(), String::new()),
            (Ending::Succeeded | Ending::Regress, true) => (
                "Succeeded".into(),
                "<HttpStatusCode>200</HttpStatusCode>".into(),
            ),
            (Ending::Failed, true) => {
                let message = s
                    .message
                    .clone()
                    .unwrap_or_else(|| "The origin host name could not be resolved.".into());
                (
                    "Failed".into(),
                    format!(
                        "<HttpStatusCode>400</HttpStatusCode><CdnErrorCode>BadRequest</CdnErrorCode><Message>{}</Message>",
                        escape(&message)
                    ),
                )
            }
            (Ending::Word(w), true) => (w.clone(), String::new()),
            (Ending::Malformed, true) => {
                return Self::answer(
                    200,
                    format!(
                        r#"<?xml version="1.0" encoding="utf-8"?><CdnOperation xmlns="{XMLNS}"><Id>{id}</Id><Status>Succ"#
                    ),
                    "malformed",
                );
            }
            (Ending::Stuck | Ending::Missing, true) => unreachable!("handled above"),
        };
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><CdnOperation xmlns="{XMLNS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Id>{}</Id><Name>UpdateCdnEndpointConfiguration</Name><SubscriberId>{}</SubscriberId><Status>{}</Status>{extra}</CdnOperation>"#,
            escape(id),
            self.setup.subscription_id,
            escape(&status)
        );
        Self::answer(200, body, &status)
    }
}

impl Api for AzureClassicSim {
    fn answer(&self, req: &SimRequest) -> Answer {
        let allowed = req.header(CLIENT_CERT_HEADER).is_some_and(|t| {
            self.setup
                .thumbprints
                .iter()
                .any(|a| a.eq_ignore_ascii_case(t))
        });
        if !allowed {
            return Self::forbidden();
        }
        let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let [sub, "services", "cdn", "operations", id] = segments[..] else {
            return Self::error(
                404,
                "ResourceNotFound",
                "The requested resource does not exist.",
            );
        };
        if !sub.eq_ignore_ascii_case(&self.setup.subscription_id) {
            return Self::forbidden();
        }
        match req.header("x-ms-version") {
            Some(v) if v >= DEFAULT_API_VERSION && v.len() == DEFAULT_API_VERSION.len() => {}
            _ => {
                return Self::error(
                    400,
                    "MissingOrIncorrectVersionHeader",
                    "The versioning header is not specified or was specified incorrectly.",
                );
            }
        }
        if req.method != "GET" {
            return Self::error(
                405,
                "UnsupportedHttpVerb",
                "The resource doesn't support the specified HTTP verb.",
            );
        }
        if !req
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/xml"))
        {
            return Self::error(
                400,
                "InvalidHeader",
                "The value for one of the HTTP headers is not in the correct format.",
            );
        }
        self.operation(id)
    }
}
