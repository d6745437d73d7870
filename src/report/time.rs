//! Times as every file of the report writes them.

use chrono::{DateTime, Utc};

/// RFC 3339, UTC, to the second: `2026-11-20T10:00:00Z`.
pub fn format_time(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Empty when there is no time (see docs/report.md for what an empty cell means).
pub fn format_opt_time(secs: Option<i64>) -> String {
    secs.map(format_time).unwrap_or_default()
}
