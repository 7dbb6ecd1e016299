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
//! With **progress hints** (Alibaba `Process`, ARM `percentComplete`) the progress poll is
//! aimed instead: [`adaptive_delay`] estimates the time left from the recent rate of
//! progress (or, with one sample, from the provider's start time) and asks again at the
//! expected completion — sparse while completion is far, dense when it is near (never
//! sooner than `min(interval, 1 s)`), never beyond `max-interval`, ±5 % jitter. A poll that
//! finds the operation not yet done at the estimated time gets a fresh, shorter estimate, so
//! the detection lag is bounded by that floor. No usable hint (no progress, progress not
//! moving, 100 % but not terminal) falls back to the growth curve.
//!
//! The engine clips all of them to the deadline and the provider's rate limit spaces the
//! calls; nothing outside this module computes a delay.

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
    crate::duration::secs_f64(jittered.min(max_interval.as_secs_f64()))
}

/// What the provider told us about an operation's progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// Recent `(time since the wait started, percent complete)` samples, oldest first.
    pub progress: &'a [(Duration, f64)],
    /// How long ago the provider says the operation started, as of the last sample.
    pub started_ago: Option<Duration>,
}

/// How many recent samples the rate of progress is measured over.
pub const RATE_WINDOW: usize = 5;

/// The time left, estimated from the hints; `None` when they say nothing usable. This is
/// the completion the last reading implies at the measured rate: read as exact, a reading
/// of `p` % means at least `p` % (providers round down), so the true end is no later than
/// this unless the rate itself is off — which [`estimate`] adds a margin for.
pub fn estimate_remaining(h: &Hints<'_>) -> Option<Duration> {
    estimate(h).map(|e| e.remaining)
}

/// When an operation should finish, from its progress hints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The time left at the measured rate ([`estimate_remaining`]).
    pub remaining: Duration,
    /// How much later it may finish because of the jitter of the measured rate: the
    /// readings' resolution over the progress they span, and the sample times' own jitter.
    pub margin: Duration,
}

/// How much of the rate's worst-case quantisation error the margin covers. The readings are
/// rounded down, so the last one is no overstatement; the error is in the rate, and the
/// worst case (both readings a whole step apart in the wrong directions) is rare: a quarter
/// of it keeps nearly every aimed poll after the end (see `BENCHMARKS.md`) for a fraction of
/// the lag.
pub const RESOLUTION_MARGIN: f64 = 0.25;

/// The sample times are when the answers arrived, not when the server read the progress.
pub const TIMING_MARGIN: Duration = Duration::from_millis(50);

/// The resolution of progress readings: whole percents when every reading is whole (Alibaba
/// `Process`, ARM `percentComplete` in practice), else a tenth of one.
fn resolution(samples: &[(Duration, f64)]) -> f64 {
    if samples.iter().all(|(_, p)| p.fract() == 0.0) {
        1.0
    } else {
        0.1
    }
}

/// [`Estimate`] from the hints; `None` when they say nothing usable (no samples, progress
/// not moving and no start time, 100 % but not terminal).
pub fn estimate(h: &Hints<'_>) -> Option<Estimate> {
    let &(t_last, p_last) = h.progress.last()?;
    if !(0.0..100.0).contains(&p_last) {
        return None;
    }
    let window = &h.progress[h.progress.len().saturating_sub(RATE_WINDOW)..];
    let step = resolution(window);
    // The rate, and its relative uncertainty (one resolution step, or one second of a
    // provider start time given in whole seconds, over what it was measured on).
    let (rate, unsure) = match window.iter().find(|(_, p)| *p < p_last) {
        Some(&(t0, p0)) if t_last > t0 => (
            (p_last - p0) / (t_last - t0).as_secs_f64(),
            step / (p_last - p0),
        ),
        _ => match h.started_ago {
            Some(age) if p_last > 0.0 && !age.is_zero() => {
                let age = age.as_secs_f64();
                (p_last / age, step / p_last + 1.0 / age)
            }
            _ => return None,
        },
    };
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let remaining = crate::duration::secs_f64(((100.0 - p_last) / rate).min(1e7));
    let margin =
        crate::duration::mul_f64(remaining, RESOLUTION_MARGIN * unsure.min(1.0)) + TIMING_MARGIN;
    Some(Estimate { remaining, margin })
}

/// How much later than aimed an aimed poll may be, drawn per sweep: parallel jobs drift
/// apart, and the poll is never aimed earlier than the estimate and its margin.
pub const AIM_JITTER: f64 = 0.02;

/// The delay after the `n`-th pending poll: aimed just after the estimated completion (the
/// estimate plus its margin) when the hints allow it, else [`progress_delay`]. A hinted wait
/// thus costs the immediate poll, one poll to measure the rate and one just after the end.
pub fn adaptive_delay(
    n: u32,
    interval: Duration,
    max_interval: Duration,
    hints: &Hints<'_>,
    unit: f64,
) -> Duration {
    let Some(e) = estimate(hints) else {
        return progress_delay(n, interval, max_interval, unit);
    };
    let floor = interval.min(Duration::from_secs(1));
    let aimed = crate::duration::mul_f64(
        e.remaining + e.margin,
        1.0 + AIM_JITTER * unit.clamp(0.0, 1.0),
    );
    aimed.clamp(floor, max_interval.max(floor))
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
    let backoff = crate::duration::secs_f64(full / 2.0 + full / 2.0 * unit.clamp(0.0, 1.0));
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

    fn hints(progress: &[(f64, f64)]) -> Vec<(Duration, f64)> {
        progress.iter().map(|&(t, p)| (S(t), p)).collect()
    }

    #[test]
    fn remaining_time_from_the_recent_rate_of_progress() {
        let h = hints(&[(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)]);
        let r = estimate_remaining(&Hints {
            progress: &h,
            started_ago: None,
        })
        .unwrap();
        assert!((r.as_secs_f64() - 70.0).abs() < 1e-9, "{r:?}");
        // One sample: the rate since the provider's start time.
        let h = hints(&[(0.0, 25.0)]);
        let r = estimate_remaining(&Hints {
            progress: &h,
            started_ago: Some(S(30.0)),
        })
        .unwrap();
        assert!((r.as_secs_f64() - 90.0).abs() < 1e-9);
        // Nothing usable: no samples, no movement and no start, 100 % but not terminal.
        assert!(estimate_remaining(&Hints::default()).is_none());
        let h = hints(&[(0.0, 40.0), (10.0, 40.0)]);
        assert!(
            estimate_remaining(&Hints {
                progress: &h,
                started_ago: None
            })
            .is_none()
        );
        let h = hints(&[(0.0, 90.0), (10.0, 100.0)]);
        assert!(
            estimate_remaining(&Hints {
                progress: &h,
                started_ago: None
            })
            .is_none()
        );
    }

    #[test]
    fn the_rate_is_measured_over_recent_samples_only() {
        // Queued at 0 % for a long time, then fast: the old samples must not slow the estimate.
        let h = hints(&[
            (0.0, 0.0),
            (100.0, 0.0),
            (200.0, 0.0),
            (210.0, 10.0),
            (220.0, 20.0),
            (230.0, 30.0),
            (240.0, 40.0),
            (250.0, 50.0),
        ]);
        let r = estimate_remaining(&Hints {
            progress: &h,
            started_ago: None,
        })
        .unwrap();
        assert!((r.as_secs_f64() - 50.0).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn adaptive_aims_at_completion_within_the_floor_and_the_cap() {
        let (i, max) = (S(5.0), S(30.0));
        let near = hints(&[(0.0, 80.0), (10.0, 90.0)]);
        let d = adaptive_delay(
            2,
            i,
            max,
            &Hints {
                progress: &near,
                started_ago: None,
            },
            0.0,
        );
        // 10 s left at 1 %/s; whole-percent readings over 10 points: a quarter of a tenth of
        // it, plus the timing margin, is 300 ms after.
        assert_eq!(d, S(10.3), "aimed just after the estimated completion");
        for unit in [0.0, 0.5, 0.999] {
            let d = adaptive_delay(
                2,
                i,
                max,
                &Hints {
                    progress: &near,
                    started_ago: None,
                },
                unit,
            );
            assert!(d >= S(10.3) && d <= S(10.3 * 1.02), "{unit}: {d:?}");
        }
        let far = hints(&[(0.0, 1.0), (10.0, 2.0)]);
        assert_eq!(
            adaptive_delay(
                2,
                i,
                max,
                &Hints {
                    progress: &far,
                    started_ago: None
                },
                0.5
            ),
            max
        );
        let done_soon = hints(&[(0.0, 98.0), (10.0, 99.9)]);
        assert_eq!(
            adaptive_delay(
                2,
                i,
                max,
                &Hints {
                    progress: &done_soon,
                    started_ago: None
                },
                0.5
            ),
            S(1.0),
            "the floor"
        );
        // No hints: the growth curve.
        assert_eq!(
            adaptive_delay(3, i, max, &Hints::default(), 0.5),
            progress_delay(3, i, max, 0.5)
        );
    }

    #[test]
    fn the_margin_follows_the_resolution_and_the_span_of_the_readings() {
        let est = |samples: &[(f64, f64)], started: Option<f64>| {
            let h = hints(samples);
            estimate(&Hints {
                progress: &h,
                started_ago: started.map(S),
            })
            .unwrap()
        };
        // A 36 s Alibaba task read at 0 % and 13 % (5 s): 1 step over 13, a quarter of it.
        let e = est(&[(0.0, 0.0), (5.0, 13.0)], None);
        let remaining = 87.0 / 2.6;
        assert!((e.remaining.as_secs_f64() - remaining).abs() < 1e-9);
        let margin = remaining * RESOLUTION_MARGIN / 13.0 + 0.05;
        assert!((e.margin.as_secs_f64() - margin).abs() < 1e-6, "{e:?}");
        // A 6 s task read at 83 %: the margin is small.
        let e = est(&[(0.0, 0.0), (5.0, 83.0)], None);
        assert!(e.margin < S(0.06), "{e:?}");
        // Fractional readings are finer: a tenth of a step.
        let e = est(&[(0.0, 0.5), (5.0, 13.5)], None);
        let margin = 86.5 / 2.6 * RESOLUTION_MARGIN * 0.1 / 13.0 + 0.05;
        assert!((e.margin.as_secs_f64() - margin).abs() < 1e-6, "{e:?}");
        // One reading and a start time in whole seconds: that second counts too.
        let e = est(&[(0.0, 20.0)], Some(10.0));
        let margin = 40.0 * RESOLUTION_MARGIN * (1.0 / 20.0 + 1.0 / 10.0) + 0.05;
        assert!((e.margin.as_secs_f64() - margin).abs() < 1e-6, "{e:?}");
        // A step as large as the progress seen: the margin is bounded.
        let e = est(&[(0.0, 0.0), (5.0, 1.0)], None);
        assert!(e.margin <= e.remaining.mul_f64(RESOLUTION_MARGIN) + TIMING_MARGIN);
    }

    #[test]
    fn estimates_of_absurd_readings_saturate() {
        // Progress crawling at 1e-300 %/s: the estimate is clamped, not overflowed.
        let h = hints(&[(0.0, 0.0), (1e9, 1e-290)]);
        let e = estimate(&Hints {
            progress: &h,
            started_ago: None,
        });
        assert!(e.is_none_or(|e| e.remaining <= crate::duration::FAR));
        let h = hints(&[(0.0, 50.0)]);
        let e = estimate(&Hints {
            progress: &h,
            started_ago: Some(Duration::MAX),
        });
        assert!(e.is_none_or(|e| e.remaining <= crate::duration::FAR));
        assert!(
            adaptive_delay(
                2,
                S(5.0),
                S(30.0),
                &Hints {
                    progress: &h,
                    started_ago: Some(Duration::from_nanos(1))
                },
                0.5
            ) >= S(1.0)
        );
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
