//! When to ask again: pure functions of the attempt count and a random draw.
//!
//! Two curves, both capped at `max-interval` and both jittered so that many jobs started
//! together do not poll in lock-step:
//! - **progress polls** (the operation is still pending): `interval × 1.5^(n−1)`, ±10 %.
//!   Short purges are seen quickly; long ones cost few requests.
//! - **error retries** (transient fault, throttling): exponential from `min(interval, 1 s)`,
//!   doubling, with "equal jitter" (half fixed, half random), and never shorter than the
//!   server's `Retry-After`.
//!
//! The engine clips both to the deadline. Later schedules (progress-aware, issue 8) plug in
//! here; nothing outside this module computes a delay.

use std::time::Duration;

/// How fast the progress-poll delay grows per poll.
pub const GROWTH: f64 = 1.5;

/// Jitter of progress polls: the delay is multiplied by a factor in `1 ± JITTER`.
pub const JITTER: f64 = 0.10;

/// The delay after the `n`-th poll (n ≥ 1) that found the operation still pending.
/// `unit` is a uniform draw in `[0, 1)`.
pub fn progress_delay(n: u32, interval: Duration, max_interval: Duration, unit: f64) -> Duration {
    let exp = n.saturating_sub(1).min(64) as i32;
    let base = (interval.as_secs_f64() * GROWTH.powi(exp)).min(max_interval.as_secs_f64());
    let jittered = base * (1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0));
    Duration::from_secs_f64(jittered.min(max_interval.as_secs_f64()))
}

/// The delay before retry number `failures` (≥ 1) after an error, at least `retry_after`.
pub fn retry_delay(
    failures: u32,
    interval: Duration,
    max_interval: Duration,
    retry_after: Option<Duration>,
    unit: f64,
) -> Duration {
    let first = interval.min(Duration::from_secs(1)).as_secs_f64();
    let exp = failures.saturating_sub(1).min(32) as i32;
    let cap = max_interval.as_secs_f64();
    let full = (first * 2f64.powi(exp)).min(cap);
    let backoff = Duration::from_secs_f64(full / 2.0 + full / 2.0 * unit.clamp(0.0, 1.0));
    backoff.max(retry_after.unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(f64) -> Duration = Duration::from_secs_f64;

    #[test]
    fn progress_grows_from_interval_to_the_cap() {
        let (i, max) = (S(5.0), S(30.0));
        assert_eq!(progress_delay(1, i, max, 0.5), S(5.0));
        assert_eq!(progress_delay(2, i, max, 0.5), S(7.5));
        assert_eq!(progress_delay(3, i, max, 0.5), S(11.25));
        assert_eq!(progress_delay(20, i, max, 0.5), S(30.0));
        assert_eq!(progress_delay(u32::MAX, i, max, 0.5), S(30.0));
    }

    #[test]
    fn progress_jitter_stays_within_ten_percent_and_under_the_cap() {
        let (i, max) = (S(5.0), S(30.0));
        assert_eq!(progress_delay(1, i, max, 0.0), S(4.5));
        assert!((progress_delay(1, i, max, 0.999_999).as_secs_f64() - 5.5).abs() < 1e-4);
        // Jitter never lifts a capped delay above max-interval.
        assert_eq!(progress_delay(30, i, max, 0.999), S(30.0));
        assert!(progress_delay(30, i, max, 0.0) >= S(27.0));
    }

    #[test]
    fn retries_double_with_equal_jitter_and_honour_retry_after() {
        let (i, max) = (S(5.0), S(30.0));
        assert_eq!(retry_delay(1, i, max, None, 0.0), S(0.5));
        assert_eq!(retry_delay(1, i, max, None, 1.0), S(1.0));
        assert_eq!(retry_delay(3, i, max, None, 1.0), S(4.0));
        assert_eq!(retry_delay(10, i, max, None, 1.0), S(30.0));
        assert_eq!(retry_delay(10, i, max, None, 0.0), S(15.0));
        assert_eq!(retry_delay(1, i, max, Some(S(7.0)), 0.3), S(7.0));
        // A short interval (tests, the demo) retries sooner.
        assert_eq!(retry_delay(1, S(0.2), max, None, 1.0), S(0.2));
    }
}
