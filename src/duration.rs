//! Humane durations (`90s`, `15m`, `1h30m`, `250ms`, or bare seconds: `90`, `1.5`), and the
//! total time arithmetic everything else uses.
//!
//! Delays come from users (inputs) and from servers (`Retry-After`, progress rates): any of
//! them may be absurd. `Duration::from_secs_f64` panics on a negative, NaN or huge value and
//! `Instant + Duration` panics on overflow, and with `panic = "abort"` a panic loses every
//! output. So nothing computes a delay or a point in time with them directly: [`secs_f64`],
//! [`mul_f64`] and [`after`] saturate at [`FAR`], a bound far beyond any deadline.

use std::time::Duration;

use tokio::time::Instant;

/// The longest delay the arithmetic here yields (about 100 years): far beyond any deadline,
/// and far from overflowing an [`Instant`].
pub const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The longest duration an input may be written as (about 31 years); each input has its own,
/// tighter range on top.
pub const MAX_INPUT: Duration = Duration::from_secs(1_000_000_000);

/// `secs` seconds, saturating: NaN and negative values are zero, values beyond [`FAR`] are
/// [`FAR`].
pub fn secs_f64(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else if secs >= FAR.as_secs_f64() {
        FAR
    } else {
        Duration::from_secs_f64(secs)
    }
}

/// `d × factor`, saturating as [`secs_f64`] does.
pub fn mul_f64(d: Duration, factor: f64) -> Duration {
    secs_f64(d.as_secs_f64() * factor)
}

/// `at + d`, saturating: `d` is capped at [`FAR`], so the result never overflows.
pub fn after(at: Instant, d: Duration) -> Instant {
    at.checked_add(d.min(FAR))
        .or_else(|| at.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(at)
}

/// Parses a humane duration or a number of seconds, at most [`MAX_INPUT`].
pub fn parse(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<f64>() {
        return (0.0..=MAX_INPUT.as_secs_f64())
            .contains(&secs)
            .then(|| secs_f64(secs));
    }
    humantime::parse_duration(t)
        .ok()
        .filter(|d| *d <= MAX_INPUT)
}

/// Formats a duration compactly: `250ms`, `12s`, `1.5s`, `2m05s`, `1h02m`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    if secs < 60 {
        let tenths = (ms % 1000) / 100;
        return if tenths == 0 || secs >= 10 {
            format!("{secs}s")
        } else {
            format!("{secs}.{tenths}s")
        };
    }
    if secs < 3600 {
        return format!("{}m{:02}s", secs / 60, secs % 60);
    }
    format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_humane_and_bare_forms() {
        assert_eq!(parse("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("1h 30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse(" 90 "), Some(Duration::from_secs(90)));
        assert_eq!(parse("1.5"), Some(Duration::from_millis(1500)));
        for bad in ["", "abc", "5x", "-3", "NaN", "inf", "10 parsecs"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn absurd_lengths_are_refused_not_overflowed() {
        for bad in [
            "300000000000y",
            "1e300",
            "1e10",
            "10000000000000000000",
            "99999999999999999999999s",
            "584942417355y",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("1000000000"), Some(MAX_INPUT));
        assert_eq!(parse("1000000001"), None);
        assert_eq!(parse("31y").map(|d| d <= MAX_INPUT), Some(true));
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(secs_f64(f64::NAN), Duration::ZERO);
        assert_eq!(secs_f64(-1.0), Duration::ZERO);
        assert_eq!(secs_f64(f64::NEG_INFINITY), Duration::ZERO);
        assert_eq!(secs_f64(1e300), FAR);
        assert_eq!(secs_f64(f64::INFINITY), FAR);
        assert_eq!(secs_f64(1.5), Duration::from_millis(1500));
        assert_eq!(mul_f64(Duration::from_secs(2), 0.5), Duration::from_secs(1));
        assert_eq!(mul_f64(Duration::MAX, 2.0), FAR);
        assert_eq!(mul_f64(Duration::from_secs(2), -1.0), Duration::ZERO);
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + FAR);
        assert_eq!(
            after(now, Duration::from_secs(3)),
            now + Duration::from_secs(3)
        );
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::from_secs(12)), "12s");
        assert_eq!(format(Duration::from_secs(125)), "2m05s");
        assert_eq!(format(Duration::from_secs(3720)), "1h02m");
    }
}
