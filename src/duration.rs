//! Humane durations: `90s`, `15m`, `1h30m`, `250ms`, or bare seconds (`90`, `1.5`).

use std::time::Duration;

/// Parses a humane duration or a number of seconds.
pub fn parse(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<f64>() {
        return (0.0..1e9)
            .contains(&secs)
            .then(|| Duration::from_secs_f64(secs));
    }
    humantime::parse_duration(t).ok()
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
    fn formats_compactly() {
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::from_secs(12)), "12s");
        assert_eq!(format(Duration::from_secs(125)), "2m05s");
        assert_eq!(format(Duration::from_secs(3720)), "1h02m");
    }
}
