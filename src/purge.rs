//! Purge, then wait: submitting the purge, provider-agnostic.
//!
//! Re-sending a request that creates something is only safe when the first attempt
//! certainly did nothing. So a failed purge call is handled by what is known about it:
//! - refused before it reached the API (connection not made) or throttled: re-sent after a
//!   backoff (never sooner than `Retry-After`), silently;
//! - failed in a way that does not prove the API ignored it (a timeout or reset after
//!   sending, a 5xx, an unreadable answer): re-sent too — a purge is harmless to repeat —
//!   but never silently: the result carries a warning that the paths may have been purged
//!   twice (counting twice against the quota), with the first error, so a pipeline and its
//!   owner can see it;
//! - refused by the API (quota, invalid path, credentials): not re-sent; the error ends the
//!   step with the provider's code before any wait;
//! - throttled or failed for longer than the deadline allows (a `Retry-After` beyond it, a
//!   call not answered before it): a timeout, not a refusal — exit 124 like any wait the
//!   deadline ends, with the reason.
//!
//! Every purge call is cut to the time left, and none starts after the deadline. An id that
//! several calls return is waited on (and counted) once.

use std::future::Future;

use tokio::time::{Instant, sleep_until};

use crate::duration::{after, format};
use crate::error::{ErrorKind, ProviderError};
use crate::provider::{Provider, PurgeRequest, check_created_id};
use crate::wait::{Event, Observer, Settings, schedule};

/// What submitting produced.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// The ids of every operation created, in call order, each once.
    pub ids: Vec<String>,
    /// When each of `ids` was created (its call answered): a status API may not list it yet.
    pub created: Vec<Instant>,
    /// Things the user must know (possible duplicate purges).
    pub warnings: Vec<String>,
    /// Purge calls made, retries included.
    pub calls: u32,
}

impl Submitted {
    /// Adds the ids one call returned, skipping those already known; returns the call's own
    /// ids, each once.
    fn add(&mut self, ids: Vec<String>, at: Instant) -> Vec<String> {
        let mut this_call: Vec<String> = Vec::new();
        for id in ids {
            if this_call.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
                continue;
            }
            if !self.ids.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
                self.ids.push(id.clone());
                self.created.push(at);
            }
            this_call.push(id);
        }
        this_call
    }
}

/// Why submitting stopped.
#[derive(Debug)]
pub enum SubmitError {
    /// The API refused the purge, or retries ran out. Carries what was created before.
    Failed(ProviderError, Submitted),
    /// The deadline came first: throttling or a fault that outlasts it, a call not answered
    /// before it. Carries why, and what was created before.
    TimedOut(String, Submitted),
    /// SIGINT or SIGTERM arrived. Carries what was created before.
    Interrupted(Submitted),
}

/// Submits `purge` in the calls [`Provider::split_purge`] makes of it, retrying as the
/// module documentation says, within `settings.timeout` and `settings.retries`.
pub async fn submit(
    provider: &dyn Provider,
    purge: &PurgeRequest,
    settings: &Settings,
    observer: &mut dyn Observer,
    cancel: impl Future<Output = ()>,
) -> Result<Submitted, SubmitError> {
    tokio::pin!(cancel);
    let start = Instant::now();
    let deadline = after(start, settings.timeout);
    let chunks = provider.split_purge(purge);
    observer.event(&Event::Submitting {
        provider: provider.name(),
        paths: purge.paths.len(),
        calls: chunks.len(),
    });
    let mut done = Submitted::default();
    for (n, chunk) in chunks.iter().enumerate() {
        // `busy`: refusals to take more work until earlier work finishes, waited out until
        // the deadline without counting against `retries`.
        let (mut failures, mut busy) = (0u32, 0u32);
        loop {
            let now = Instant::now();
            if now >= deadline {
                let reason = format!(
                    "the deadline came before purge call {} of {} could be sent",
                    n + 1,
                    chunks.len()
                );
                return Err(SubmitError::TimedOut(reason, done));
            }
            // Cut to the time left: no purge call outlives the deadline.
            let budget = settings
                .request_timeout
                .min(deadline.saturating_duration_since(now));
            done.calls += 1;
            let call = tokio::time::timeout(budget, provider.submit(chunk));
            let result = tokio::select! {
                biased;
                _ = &mut cancel => return Err(SubmitError::Interrupted(done)),
                r = call => r.unwrap_or_else(|_| Err(ProviderError::new(
                    ErrorKind::Transient,
                    format!("no answer within {}", format(budget)),
                ))),
            };
            let error = match result {
                // Every provider's created ids pass here before anything shows or polls
                // them. A hostile id is not re-sent for: the purge was done.
                Ok(ids) => {
                    if let Err(e) = ids.iter().try_for_each(|id| check_created_id(id)) {
                        observer.event(&Event::SubmitFailed {
                            error: &e,
                            retry_in: None,
                            attempt: failures + 1,
                            elapsed: start.elapsed(),
                        });
                        return Err(SubmitError::Failed(e, done));
                    }
                    let ids = done.add(ids, Instant::now());
                    observer.event(&Event::Submitted {
                        ids: &ids,
                        elapsed: start.elapsed(),
                    });
                    break;
                }
                Err(e) => e,
            };
            if error.kind == ErrorKind::Busy {
                busy += 1;
            } else {
                failures += 1;
            }
            let now = Instant::now();
            let delay = schedule::retry_delay(
                failures.saturating_add(busy),
                settings.interval,
                settings.max_interval,
                error.retry_after,
                fastrand::f64(),
            );
            let retryable = error.kind.is_retryable() && failures <= settings.retries;
            if retryable && after(now, delay) > deadline {
                // Not refused: out of time. A timeout, with the reason.
                let (call, of) = (n + 1, chunks.len());
                let reason = match error.retry_after {
                    Some(asked) if after(now, asked) > deadline => format!(
                        "purge call {call} of {of} was {} ({error}); Retry-After {} is beyond the deadline ({} left)",
                        if error.kind == ErrorKind::Throttled {
                            "throttled by the provider"
                        } else {
                            "refused for now"
                        },
                        format(asked),
                        format(deadline.saturating_duration_since(now))
                    ),
                    _ if now >= deadline => format!(
                        "purge call {call} of {of} was not answered before the deadline ({error})"
                    ),
                    _ if error.kind == ErrorKind::Busy => format!(
                        "purge call {call} of {of} was still refused while earlier work is in progress ({error}) when the deadline came"
                    ),
                    _ => format!(
                        "purge call {call} of {of} failed ({error}) and the deadline came before it could be sent again"
                    ),
                };
                if error.ambiguous() {
                    done.warnings.push(format!(
                        "A purge call failed after it may have reached {} ({error}) and there was no time to send it again: its {} may have been purged, but nothing was waited on.",
                        provider.name(),
                        paths(chunk.paths.len())
                    ));
                }
                return Err(SubmitError::TimedOut(reason, done));
            }
            observer.event(&Event::SubmitFailed {
                error: &error,
                retry_in: retryable.then_some(delay),
                attempt: failures.saturating_add(busy),
                elapsed: start.elapsed(),
            });
            if !retryable {
                return Err(SubmitError::Failed(error, done));
            }
            if error.ambiguous() && !provider.submit_is_idempotent() {
                done.warnings.push(format!(
                    "A purge call failed after it may have reached {} ({error}); it was sent again, so these {} paths may have been purged twice and counted twice against the quota.",
                    provider.name(),
                    chunk.paths.len()
                ));
            }
            tokio::select! {
                biased;
                _ = &mut cancel => return Err(SubmitError::Interrupted(done)),
                _ = sleep_until(after(now, delay)) => {}
            }
        }
    }
    done.warnings.extend(provider.purge_notes(purge));
    Ok(done)
}

/// `1 path`, `3 paths` (the engine's own words: it imports nothing of the reporters).
fn paths(n: usize) -> String {
    match n {
        1 => "1 path".to_string(),
        n => format!("{n} paths"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_returned_by_several_calls_counts_once() {
        let mut done = Submitted::default();
        let t = Instant::now();
        assert_eq!(
            done.add(vec!["1".into(), "2".into(), "1".into()], t),
            ["1", "2"]
        );
        assert_eq!(done.add(vec!["2".into(), "3".into()], t), ["2", "3"]);
        assert_eq!(done.add(vec!["ABC".into()], t), ["ABC"]);
        assert_eq!(done.add(vec!["abc".into()], t), ["abc"]);
        assert_eq!(done.ids, ["1", "2", "3", "ABC"]);
        assert_eq!(done.created.len(), done.ids.len());
    }
}
