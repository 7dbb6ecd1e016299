//! When to replace a temporary credential (an access token, an STS session) before it
//! expires, so that a long wait never fails on an expired one.

use std::time::Duration;

/// How long before expiry a token is replaced: a tenth of its life, at least 30 s and at
/// most 5 minutes, and never more than half its life (so short-lived tokens still get used).
pub fn refresh_margin(lifetime: Duration) -> Duration {
    let margin = (lifetime / 10).clamp(Duration::from_secs(30), Duration::from_secs(300));
    margin.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin_scales_with_the_lifetime() {
        let s = Duration::from_secs;
        assert_eq!(refresh_margin(s(3599)), s(300));
        assert_eq!(refresh_margin(s(600)), s(60));
        assert_eq!(refresh_margin(s(120)), s(30));
        assert_eq!(refresh_margin(s(2)), s(1));
        // A 40-minute wait with one-hour tokens: the token in use always has > 4 min left.
        assert!(s(3599) - refresh_margin(s(3599)) < s(3599) - s(240));
    }
}
