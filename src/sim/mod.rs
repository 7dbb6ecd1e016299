//! The embedded simulator: the providers' status APIs on a local port, strict like the
//! real services (it verifies every signature and date header and answers with the
//! providers' own error bodies), with scripted operations and faults.
//!
//! `purge-wait simulate` serves it; `purge-wait demo` starts it in-process on a free port
//! and runs a real wait against it; the integration tests start it the same way and read
//! its request log to count and time requests.

pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::duration;

/// How a scripted operation ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Succeeds after its duration.
    Succeeded,
    /// Fails after its duration, with the scenario's message.
    Failed,
    /// Never finishes.
    Stuck,
    /// Answers this status word after its duration (e.g. an undocumented one).
    Word(String),
    /// The service does not know the operation.
    Missing,
    /// Answers a truncated body after its duration.
    Malformed,
    /// Succeeds after its duration, then answers as if still in progress (a status that
    /// goes back from terminal).
    Regress,
}

/// One operation's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Time from the first request about it to its end.
    pub after: Duration,
    /// How it ends.
    pub ending: Ending,
    /// The message a failure carries.
    pub message: Option<String>,
    /// The first N answers are 5xx (after `throttle`).
    pub errors: u32,
    /// The first N answers are throttling errors.
    pub throttle: u32,
    /// `Retry-After` seconds sent with throttling errors.
    pub retry_after: Option<u64>,
    /// For this long after it was created (or first asked about), the service does not
    /// list it yet, as `missing` (a new task the status API has not caught up with).
    pub unlisted: Duration,
}

impl Scenario {
    /// Succeeds after `after`, without faults.
    pub fn succeeds_after(after: Duration) -> Self {
        Scenario {
            after,
            ending: Ending::Succeeded,
            message: None,
            errors: 0,
            throttle: 0,
            retry_after: None,
            unlisted: Duration::ZERO,
        }
    }

    /// Whether the service answers as if it did not know the operation, `elapsed` after it
    /// was created: `missing`, or not listed yet.
    pub fn unknown(&self, elapsed: Duration) -> bool {
        self.ending == Ending::Missing || elapsed < self.unlisted
    }

    /// The scenario scripted for `id` (compared case-insensitively) among `ops`, else
    /// `default`.
    pub fn for_id(ops: &[(String, Scenario)], default: &Scenario, id: &str) -> Scenario {
        ops.iter()
            .find(|(i, _)| i.eq_ignore_ascii_case(id))
            .map_or_else(|| default.clone(), |(_, s)| s.clone())
    }

    /// Whether the operation is finished at this answer, `elapsed` after it was first asked
    /// about: once its duration has passed, never when stuck, and for `regress` only at the
    /// first such answer (`finished_answers` counts them).
    pub fn finished(&self, elapsed: Duration, finished_answers: &mut u32) -> bool {
        if self.ending == Ending::Stuck || elapsed < self.after {
            return false;
        }
        if self.ending == Ending::Regress {
            *finished_answers += 1;
            return *finished_answers == 1;
        }
        true
    }

    /// Parses `ID` or `ID:key=value,…` (keys: `after`, `outcome`, `message`, `errors`,
    /// `throttle`, `retry-after`, `unlisted`); unspecified keys come from `default`.
    pub fn parse(spec: &str, default: &Scenario) -> Result<(String, Scenario), String> {
        let (id, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let id = id.trim();
        if id.is_empty() {
            return Err(format!("--op {spec:?}: the id is empty"));
        }
        let mut s = default.clone();
        for pair in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("--op {spec:?}: {pair:?} is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            let number = || {
                value
                    .parse::<u32>()
                    .map_err(|_| format!("--op {spec:?}: {key} takes a whole number"))
            };
            match key {
                "after" => {
                    s.after = duration::parse(value)
                        .ok_or_else(|| format!("--op {spec:?}: after takes a duration"))?
                }
                "outcome" => {
                    s.ending = match value.to_ascii_lowercase().as_str() {
                        "succeeded" => Ending::Succeeded,
                        "failed" => Ending::Failed,
                        "stuck" => Ending::Stuck,
                        "missing" => Ending::Missing,
                        "malformed" => Ending::Malformed,
                        "regress" => Ending::Regress,
                        _ => Ending::Word(value.to_string()),
                    }
                }
                "message" => s.message = Some(value.to_string()),
                "errors" => s.errors = number()?,
                "throttle" => s.throttle = number()?,
                "retry-after" => s.retry_after = Some(number()? as u64),
                "unlisted" => {
                    s.unlisted = duration::parse(value)
                        .ok_or_else(|| format!("--op {spec:?}: unlisted takes a duration"))?
                }
                _ => return Err(format!("--op {spec:?}: unknown key {key:?}")),
            }
        }
        Ok((id.to_string(), s))
    }
}

/// One request the simulator answered, for tests and the `simulate` log.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it arrived.
    pub at: Instant,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Request headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The request body, as text.
    pub body: String,
    /// The answer's HTTP status (0: the connection was reset instead of answered).
    pub status: u16,
    /// The operation status word or error type answered.
    pub answer: String,
}

impl Record {
    /// A request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The value of header `name` (lower case) in a list of received headers.
fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A request as the handlers see it: read whole.
pub struct SimRequest {
    /// HTTP method.
    pub method: String,
    /// The URL path, as sent.
    pub path: String,
    /// The raw query string.
    pub query: Option<String>,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl SimRequest {
    /// A request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// A handler's answer, with the label the request log shows.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(&'static str, String)>,
    /// Response body.
    pub body: String,
    /// What the log shows (status word or error type).
    pub label: String,
    /// Drop the connection instead of answering (after acting on the request), as a
    /// crashed gateway or a reset would.
    pub reset: bool,
}

/// A fault injected in front of any provider's API: each of the first requests takes the
/// next fault from the plan, in order; later requests reach the API untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `503` with an HTML body, as a load balancer answers.
    ServerError,
    /// `429`, with `Retry-After` seconds when given.
    TooManyRequests(Option<u64>),
    /// The connection is closed without an answer.
    Reset,
    /// The API answers only after this delay.
    Slow(Duration),
    /// The API's answer, its body cut in half.
    Truncated,
    /// The request is read and never answered (the connection stays open), as a server
    /// that accepts but hangs.
    Hang,
    /// `429` with this one delay header and value, e.g. `("retry-after", "1e300")`: how
    /// absurd server-sent delays are tested.
    TooManyRequestsWith(&'static str, String),
    /// `307 Temporary Redirect` to this URL (another origin, say), as a misconfigured or
    /// hostile front end answers; the API is not asked.
    Redirect(String),
}

/// A provider's simulated API.
pub trait Api: Send + Sync + 'static {
    /// Answers one request.
    fn answer(&self, request: &SimRequest) -> Answer;

    /// How long to hold `request` before answering it, as a long-poll does (the server
    /// waits without blocking other connections); none by default.
    fn hold(&self, _request: &SimRequest) -> Duration {
        Duration::ZERO
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Record>>>,
    faults: Arc<Mutex<std::collections::VecDeque<Fault>>>,
    task: tokio::task::JoinHandle<()>,
    /// `http`, or `https` for [`Simulator::start_tls`].
    scheme: &'static str,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Simulator {
    /// Serves `api` on `listen` (port 0: a free one). `echo` prints one line per request.
    pub async fn start(api: impl Api, listen: SocketAddr, echo: bool) -> std::io::Result<Self> {
        Self::spawn(api, listen, echo, "http", |stream, conn| {
            conn.serve(stream, None)
        })
        .await
    }

    /// Accepts connections on `listen` and hands each to `accept` (plain or TLS) with the
    /// shared state; `scheme` is what [`Simulator::url`] says.
    pub(crate) async fn spawn<F, Fut>(
        api: impl Api,
        listen: SocketAddr,
        echo: bool,
        scheme: &'static str,
        accept: F,
    ) -> std::io::Result<Self>
    where
        F: Fn(tokio::net::TcpStream, Connection) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let conn = Connection {
            api: Arc::new(api),
            log: Arc::new(Mutex::new(Vec::new())),
            faults: Arc::new(Mutex::new(std::collections::VecDeque::new())),
            echo,
        };
        let (log, faults) = (conn.log.clone(), conn.faults.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(accept(stream, conn.clone()));
            }
        });
        Ok(Simulator {
            addr,
            log,
            faults,
            task,
            scheme,
        })
    }

    /// Queues faults for the next requests, one each, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults.lock().expect("faults lock").extend(faults);
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<Record> {
        self.log.lock().expect("log lock").clone()
    }
}

/// What every connection of one simulator shares.
#[derive(Clone)]
pub(crate) struct Connection {
    api: Arc<dyn Api>,
    log: Arc<Mutex<Vec<Record>>>,
    faults: Arc<Mutex<std::collections::VecDeque<Fault>>>,
    echo: bool,
}

impl Connection {
    /// Serves HTTP/1 on one connection. With `header = Some((name, value))`, any `name`
    /// header the client sent is removed and `value`, if any, set instead on every request:
    /// how a TLS front end passes on the client certificate, unforgeably.
    pub(crate) async fn serve<S>(self, stream: S, header: Option<(&'static str, Option<String>)>)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = service_fn(move |mut req: Request<Incoming>| {
            let conn = self.clone();
            if let Some((name, value)) = &header {
                req.headers_mut().remove(*name);
                if let Some(v) = value.as_deref().and_then(|v| v.parse().ok()) {
                    req.headers_mut().insert(*name, v);
                }
            }
            let fault = conn.faults.lock().expect("faults lock").pop_front();
            async move { handle(&*conn.api, req, &conn.log, conn.echo, fault).await }
        });
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await;
    }
}

async fn handle(
    api: &dyn Api,
    req: Request<Incoming>,
    log: &Mutex<Vec<Record>>,
    echo: bool,
    fault: Option<Fault>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let incoming = SimRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body,
    };
    let answer = match fault {
        None => {
            let hold = api.hold(&incoming);
            if !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
            api.answer(&incoming)
        }
        Some(fault) => faulty(api, &incoming, fault).await,
    };
    let target = match &incoming.query {
        Some(q) => format!("{}?{q}", incoming.path),
        None => incoming.path.clone(),
    };
    if echo {
        eprintln!(
            "{} {target} -> {} {}",
            incoming.method, answer.status, answer.label
        );
    }
    log.lock().expect("log lock").push(Record {
        at,
        method: incoming.method,
        target,
        headers: incoming.headers,
        body: String::from_utf8_lossy(&incoming.body).into_owned(),
        status: if answer.reset { 0 } else { answer.status },
        answer: answer.label,
    });
    if answer.reset {
        // An error from the service makes hyper close the connection without an answer.
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated reset",
        ));
    }
    let mut response = Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(*name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(answer.body)))
        .expect("valid response"))
}

/// The answer to a request that meets `fault`.
async fn faulty(api: &dyn Api, req: &SimRequest, fault: Fault) -> Answer {
    let bare = |status: u16, body: &str, label: &str| Answer {
        status,
        headers: vec![("content-type", "text/html".into())],
        body: body.into(),
        label: label.into(),
        reset: false,
    };
    match fault {
        Fault::ServerError => bare(
            503,
            "<html><body>503 Service Unavailable</body></html>",
            "fault: 503",
        ),
        Fault::TooManyRequests(after) => {
            let mut a = bare(
                429,
                "<html><body>429 Too Many Requests</body></html>",
                "fault: 429",
            );
            if let Some(secs) = after {
                a.headers.push(("retry-after", secs.to_string()));
            }
            a
        }
        Fault::Reset => Answer {
            reset: true,
            ..bare(0, "", "fault: reset")
        },
        Fault::Hang => std::future::pending().await,
        Fault::TooManyRequestsWith(name, value) => {
            let mut a = bare(
                429,
                "<html><body>429 Too Many Requests</body></html>",
                "fault: 429",
            );
            a.headers.push((name, value));
            a
        }
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            let mut a = api.answer(req);
            a.label = format!("fault: slow, then {}", a.label);
            a
        }
        Fault::Redirect(to) => {
            let mut a = bare(307, "", "fault: redirect");
            a.headers.push(("location", to));
            a
        }
        Fault::Truncated => {
            let mut a = api.answer(req);
            let cut = a.body.len() / 2;
            a.body = a.body.chars().take(cut).collect();
            a.label = format!("fault: truncated {}", a.label);
            a
        }
    }
}

/// A random id in GUID form, for correlation ids.
pub fn random_guid() -> String {
    let h = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_specs_parse() {
        let d = Scenario::succeeds_after(Duration::from_secs(10));
        let (id, s) = Scenario::parse("abc", &d).unwrap();
        assert_eq!((id.as_str(), &s), ("abc", &d));
        let (_, s) = Scenario::parse(
            "abc:after=3s,outcome=failed,message=Origin down,throttle=2,retry-after=1,errors=3",
            &d,
        )
        .unwrap();
        assert_eq!(s.after, Duration::from_secs(3));
        assert_eq!(s.ending, Ending::Failed);
        assert_eq!(s.message.as_deref(), Some("Origin down"));
        assert_eq!((s.throttle, s.retry_after, s.errors), (2, Some(1), 3));
        let (_, s) = Scenario::parse("x:unlisted=2s,outcome=missing", &d).unwrap();
        assert_eq!(s.unlisted, Duration::from_secs(2));
        assert!(s.unknown(Duration::from_secs(3)), "missing: never listed");
        let (_, s) = Scenario::parse("x:unlisted=2s", &d).unwrap();
        assert!(s.unknown(Duration::from_secs(1)));
        assert!(!s.unknown(Duration::from_secs(2)));
        let (_, s) = Scenario::parse("x:outcome=Completed", &d).unwrap();
        assert_eq!(s.ending, Ending::Word("Completed".into()));
        assert!(Scenario::parse(":after=1s", &d).is_err());
        assert!(Scenario::parse("x:after", &d).is_err());
        assert!(Scenario::parse("x:colour=red", &d).is_err());
        assert!(Scenario::parse("x:errors=many", &d).is_err());
    }

    #[test]
    fn finished_follows_the_script() {
        let d = Scenario::succeeds_after(Duration::from_secs(10));
        let mut n = 0;
        assert!(!d.finished(Duration::from_secs(9), &mut n));
        assert!(d.finished(Duration::from_secs(10), &mut n));
        assert!(
            d.finished(Duration::from_secs(11), &mut n),
            "stays finished"
        );
        let (_, stuck) = Scenario::parse("x:outcome=stuck,after=0s", &d).unwrap();
        assert!(!stuck.finished(Duration::from_secs(3600), &mut n));
        let (_, regress) = Scenario::parse("x:outcome=regress,after=0s", &d).unwrap();
        let mut answers = 0;
        assert!(
            regress.finished(Duration::ZERO, &mut answers),
            "terminal once"
        );
        assert!(
            !regress.finished(Duration::ZERO, &mut answers),
            "then back in progress"
        );
        let ops = vec![("ABC".to_string(), stuck.clone())];
        assert_eq!(Scenario::for_id(&ops, &d, "abc"), stuck);
        assert_eq!(Scenario::for_id(&ops, &d, "other"), d);
    }

    #[test]
    fn random_guids_are_guids() {
        assert!(crate::config::is_guid(&random_guid()));
    }
}
