//! CloudTrail's event times, in the spellings the sources write them.

/// Parses CloudTrail's `2026-07-01T00:08:20Z` quickly, and any other RFC 3339 time, or Lake's
/// `2026-07-01 00:08:20.000`, through chrono.
pub(crate) fn parse_event_time(text: &str) -> Option<i64> {
    if let Some(secs) = parse_plain_utc(text.as_bytes()) {
        return Some(secs);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

fn parse_plain_utc(b: &[u8]) -> Option<i64> {
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)? as u32, num(8..10)? as u32)?;
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_in_every_spelling() {
        let expected = 1_751_328_500;
        assert_eq!(parse_event_time("2025-07-01T00:08:20Z"), Some(expected));
        assert_eq!(parse_event_time("2025-07-01T00:08:20.000Z"), Some(expected));
        assert_eq!(
            parse_event_time("2025-07-01T02:08:20+02:00"),
            Some(expected)
        );
        assert_eq!(parse_event_time("2025-07-01 00:08:20.000"), Some(expected));
        assert_eq!(parse_event_time("2025-02-30T00:00:00Z"), None);
        assert_eq!(parse_event_time("2025-07-01T24:00:00Z"), None);
    }
}
