//! Time: arithmetic that cannot panic, whatever a caller configures or a server sends
//! (`expires_in`, `Retry-After`, huge timeouts), and Vietnam's time zone.

use std::time::Duration;

use chrono::FixedOffset;
use tokio::time::Instant;

/// Vietnam's offset (UTC+7, no daylight saving): the API reads and writes dates in this zone.
pub(crate) const fn vietnam() -> FixedOffset {
    const VN: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
        Some(o) => o,
        None => panic!("UTC+7 is a valid offset"),
    };
    VN
}

/// A century: the stand-in for "no deadline" when a duration would overflow the clock.
const FAR: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `from + d`, capped instead of overflowing.
pub(crate) fn after(from: Instant, d: Duration) -> Instant {
    from.checked_add(d)
        .or_else(|| from.checked_add(FAR))
        .unwrap_or(from)
}

/// `d × factor` for a finite, non-negative factor, saturating at [`FAR`].
pub(crate) fn scale(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor)
        .unwrap_or(FAR)
        .min(FAR)
}

/// Seconds as a duration, `None` for negative, NaN or absurd values.
pub(crate) fn secs(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics() {
        let now = Instant::now();
        assert!(after(now, Duration::MAX) > now);
        assert_eq!(scale(Duration::MAX, 1.5), FAR);
        assert_eq!(scale(Duration::from_secs(2), 1.5), Duration::from_secs(3));
        assert_eq!(secs(1e300), None);
        assert_eq!(secs(-1.0), None);
        assert_eq!(secs(f64::NAN), None);
    }
}
