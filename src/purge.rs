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
//!   step with the provider's code before any wait.

use std::future::Future;

use tokio::time::{Instant, sleep_until};

use crate::provider::{ErrorKind, Provider, ProviderError, PurgeRequest};
use crate::wait::{Event, Observer, Settings, schedule};

/// What submitting produced.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// The ids of every operation created, in call order.
    pub ids: Vec<String>,
    /// Things the user must know (possible duplicate purges).
    pub warnings: Vec<String>,
    /// Purge calls made, retries included.
    pub calls: u32,
}

/// Why submitting stopped.
#[derive(Debug)]
pub enum SubmitError {
    /// The API refused the purge, or retries ran out. Carries what was created before.
    Failed(ProviderError, Submitted),
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
    let deadline = start + settings.timeout;
    let chunks = provider.split_purge(purge);
    observer.event(&Event::Submitting {
        provider: provider.name(),
        paths: purge.paths.len(),
        calls: chunks.len(),
    });
    let mut done = Submitted::default();
    for chunk in &chunks {
        // `busy`: refusals to take more work until earlier work finishes, waited out until
        // the deadline without counting against `retries`.
        let (mut failures, mut busy) = (0u32, 0u32);
        loop {
            done.calls += 1;
            let call = tokio::time::timeout(settings.request_timeout, provider.submit(chunk));
            let result = tokio::select! {
                biased;
                _ = &mut cancel => return Err(SubmitError::Interrupted(done)),
                r = call => r.unwrap_or_else(|_| Err(ProviderError::new(
                    ErrorKind::Transient,
                    format!("no answer within {}", crate::duration::format(settings.request_timeout)),
                ))),
            };
            let error = match result {
                Ok(ids) => {
                    observer.event(&Event::Submitted {
                        ids: &ids,
                        elapsed: start.elapsed(),
                    });
                    done.ids.extend(ids);
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
            let retry = error.kind.is_retryable()
                && failures <= settings.retries
                && now + delay <= deadline;
            observer.event(&Event::SubmitFailed {
                error: &error,
                retry_in: retry.then_some(delay),
                attempt: failures.saturating_add(busy),
                elapsed: start.elapsed(),
            });
            if !retry {
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
                _ = sleep_until(now + delay) => {}
            }
        }
    }
    done.warnings.extend(provider.purge_notes(purge));
    Ok(done)
}
