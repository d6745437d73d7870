//! The evidence window: `[as_of - lookback_days, as_of]`, both ends included, to the second.

use chrono::{DateTime, Duration, SubsecRound, Utc};

pub const MIN_LOOKBACK_DAYS: u32 = 1;
pub const MAX_LOOKBACK_DAYS: u32 = 3653;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub as_of: DateTime<Utc>,
    pub lookback_days: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("--lookback-days must be between {MIN_LOOKBACK_DAYS} and {MAX_LOOKBACK_DAYS}, not {0}")]
pub struct WindowError(pub u32);

impl Window {
    /// `as_of` is truncated to the second: CloudTrail times have no finer resolution.
    pub fn new(as_of: DateTime<Utc>, lookback_days: u32) -> Result<Self, WindowError> {
        if !(MIN_LOOKBACK_DAYS..=MAX_LOOKBACK_DAYS).contains(&lookback_days) {
            return Err(WindowError(lookback_days));
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
}
