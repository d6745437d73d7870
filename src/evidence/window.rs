//! The evidence window: `[as_of - lookback_days, as_of]`, both ends included, to the second.

use chrono::{DateTime, Duration, SubsecRound, Utc};

pub(super) const MIN_LOOKBACK_DAYS: u32 = 1;
pub(super) const MAX_LOOKBACK_DAYS: u32 = 3653;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub as_of: DateTime<Utc>,
    pub lookback_days: u32,
}

/// How far `as_of` may pass the clock: skew between this machine and AWS, not a future.
pub(super) const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error(
        "--lookback-days must be between {MIN_LOOKBACK_DAYS} and {MAX_LOOKBACK_DAYS}, not {0}"
    )]
    LookbackDays(u32),
    #[error("--as-of {as_of} is in the future (now is {now}): no evidence exists yet for its last days, so every assignment would look unused. Give a time up to now (a plain date means its midnight UTC), or leave --as-of out for now")]
    Future {
        as_of: DateTime<Utc>,
        now: DateTime<Utc>,
    },
}

/// An `--as-of` value: RFC 3339 (`2026-11-22T00:00:00Z`), or a plain date (`2026-11-22`),
/// which means its midnight UTC.
pub fn parse_as_of(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: give RFC 3339 (2026-11-22T00:00:00Z) or a date (2026-11-22, its midnight UTC)"))
}

impl Window {
    /// `as_of` is truncated to the second: CloudTrail times have no finer resolution. A
    /// window that ends more than [`CLOCK_SKEW_MINUTES`] after the clock is refused.
    pub fn new(as_of: DateTime<Utc>, lookback_days: u32) -> Result<Self, WindowError> {
        if !(MIN_LOOKBACK_DAYS..=MAX_LOOKBACK_DAYS).contains(&lookback_days) {
            return Err(WindowError::LookbackDays(lookback_days));
        }
        let now = Utc::now().trunc_subsecs(0);
        if as_of > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
            return Err(WindowError::Future { as_of, now });
        }
        Ok(Window {
            as_of: as_of.trunc_subsecs(0),
            lookback_days,
        })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(i64::from(self.lookback_days))
    }

    pub fn start_secs(&self) -> i64 {
        self.start().timestamp()
    }

    pub fn end_secs(&self) -> i64 {
        self.as_of.timestamp()
    }

    pub fn contains(&self, time: i64) -> bool {
        (self.start_secs()..=self.end_secs()).contains(&time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        let as_of = "2026-11-22T00:00:00.900Z".parse().unwrap();
        Window::new(as_of, 90).unwrap()
    }

    #[test]
    fn both_ends_are_included() {
        let w = window();
        assert_eq!(w.as_of.to_rfc3339(), "2026-11-22T00:00:00+00:00");
        assert_eq!(w.start().to_rfc3339(), "2026-08-24T00:00:00+00:00");
        assert!(w.contains(w.start_secs()));
        assert!(w.contains(w.end_secs()));
        assert!(!w.contains(w.start_secs() - 1));
        assert!(!w.contains(w.end_secs() + 1));
    }

    #[test]
    fn lookback_days_are_bounded() {
        let as_of = Utc::now();
        assert!(Window::new(as_of, 0).is_err());
        assert!(Window::new(as_of, 1).is_ok());
        assert!(Window::new(as_of, 3653).is_ok());
        assert!(Window::new(as_of, 3654).is_err());
    }

    #[test]
    fn as_of_takes_rfc3339_or_a_plain_date() {
        let midnight = parse_as_of("2026-11-22T00:00:00Z").unwrap();
        assert_eq!(parse_as_of("2026-11-22"), Ok(midnight));
        assert_eq!(
            parse_as_of("2026-11-22T01:00:00+01:00"),
            Ok(midnight),
            "offsets are turned into UTC"
        );
        for bad in ["2026-11-31", "22/11/2026", "2026-11-22 00:00", ""] {
            assert!(parse_as_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_future_end_is_refused_beyond_the_clock_skew() {
        let now = Utc::now();
        assert!(Window::new(now + Duration::minutes(4), 90).is_ok());
        let error = Window::new(now + Duration::minutes(6), 90).unwrap_err();
        assert!(error.to_string().contains("is in the future"), "{error}");
    }
}
