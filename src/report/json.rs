//! The JSON `result`: one object describing the whole wait, used as the `result` output and
//! printed on stdout by `report: json` (progress lines then go to stderr).
//!
//! ```json
//! {"status":"succeeded","provider":"azure-china-cdn","timed_out":false,
//!  "elapsed_seconds":12.3,"timeout_seconds":900,"polls":7,
//!  "counts":{"succeeded":1,"failed":0,"pending":0,"errors":0},
//!  "operations":[{"id":"…","result":"succeeded","status":"Succeeded","message":null,
//!    "progress":null,"started_at":"…","finished_at":"…","polls":4,
//!    "seen_done_after_seconds":12.0,"details":{},"error":null}]}
//! ```

use std::io;

use serde_json::{Map, Value, json};

use super::{Out, Reporter, clean, event_line, redacted, redacted_config_error};
use crate::config::ConfigError;
use crate::provider::ProviderError;
use crate::secret::Redactor;
use crate::wait::{Event, Observer, OperationResult, Outcome, Status, Summary};

/// The JSON reporter.
pub struct Json {
    log: Out,
    result: Out,
}

impl Json {
    /// Progress lines on stderr, the result on stdout.
    pub fn new(redactor: Redactor) -> Self {
        Json {
            log: Out::new(Box::new(io::stderr()), redactor.clone()),
            result: Out::new(Box::new(io::stdout()), redactor),
        }
    }
}

impl Observer for Json {
    fn event(&mut self, event: &Event<'_>) {
        if let Some(line) = event_line(event) {
            self.log.log(&line);
        }
    }
}

impl Reporter for Json {
    fn finish(&mut self, summary: &Summary, _fail_on_timeout: bool) -> io::Result<()> {
        let summary = &redacted(summary, self.log.redactor());
        for w in &summary.warnings {
            self.log.log(&format!("warning: {}", clean(w)));
        }
        self.result.json(&result(summary));
        Ok(())
    }

    fn config_error(&mut self, error: &ConfigError, ids: &[String]) -> io::Result<()> {
        let error = &redacted_config_error(error, self.log.redactor());
        self.log.log(&format!("error: {}", error.message));
        self.result.json(&config_error(error, ids));
        Ok(())
    }
}

fn seconds(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// The result object of a finished wait.
pub fn result(s: &Summary) -> Value {
    json!({
        "status": s.status.as_str(),
        "provider": s.provider,
        "timed_out": s.timed_out(),
        "elapsed_seconds": seconds(s.elapsed),
        "timeout_seconds": seconds(s.timeout),
        "polls": s.polls,
        "counts": {
            "succeeded": s.count(Outcome::Succeeded),
            "failed": s.count(Outcome::Failed) + s.count(Outcome::Cancelled),
            "pending": s.count(Outcome::Pending),
            "errors": s.count(Outcome::Error),
        },
        "operations": s.operations.iter().map(operation).collect::<Vec<_>>(),
        "warnings": s.warnings,
        "purge": s.purge.as_ref().map(|p| json!({
            "paths": p.paths,
            "calls": p.calls,
            "error": p.error.as_ref().map(error),
        })),
    })
}

fn operation(r: &OperationResult) -> Value {
    let last = r.last.as_ref();
    let details: Map<String, Value> = last
        .map(|o| {
            o.details
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": r.id,
        "result": r.outcome.as_str(),
        "status": last.map(|o| o.raw_status.clone()),
        "message": last.and_then(|o| o.message.clone()),
        "progress": last.and_then(|o| o.progress),
        "started_at": last.and_then(|o| o.started_at).map(|t| t.to_rfc3339()),
        "finished_at": last.and_then(|o| o.finished_at).map(|t| t.to_rfc3339()),
        "polls": r.polls,
        "seen_done_after_seconds": r.seen_done_after.map(seconds),
        "details": details,
        "error": r.error.as_ref().map(error),
    })
}

fn error(e: &ProviderError) -> Value {
    json!({
        "kind": format!("{:?}", e.kind),
        "code": e.code,
        "message": e.message,
        "http_status": e.http_status,
        "request_id": e.request_id.as_ref().map(|(_, v)| v),
        "request_id_header": e.request_id.as_ref().map(|(k, _)| k),
        "correlation_id": e.correlation_id.as_ref().map(|(_, v)| v),
        "correlation_id_header": e.correlation_id.as_ref().map(|(k, _)| k),
        "hint": e.hint,
    })
}

/// The result object when the inputs were refused.
pub fn config_error(e: &ConfigError, ids: &[String]) -> Value {
    json!({
        "status": Status::Error.as_str(),
        "timed_out": false,
        "elapsed_seconds": 0.0,
        "polls": 0,
        "operation_ids": ids,
        "error": { "kind": "Config", "input": e.input, "message": e.message },
    })
}
