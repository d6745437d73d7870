//! The report as CSV (RFC 4180, UTF-8, header row), safe to open in a spreadsheet.

use crate::report::Row;
use chrono::{DateTime, Utc};
use std::io::Write;

/// The columns, in order. More may be appended later; none will be reordered.
pub const COLUMNS: [&str; 19] = [
    "account_id",
    "account_name",
    "permission_set_name",
    "permission_set_arn",
    "permission_set_description",
    "assignment_type",
    "group_id",
    "group_name",
    "user_id",
    "user_name",
    "display_name",
    "email",
    "user_status",
    "last_console_use",
    "last_cli_use",
    "last_used",
    "days_since_last_used",
    "usage_status",
    "last_portal_sign_in",
];

/// RFC 3339, UTC, to the second: `2026-11-20T10:00:00Z`.
pub fn format_time(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn format_opt_time(secs: Option<i64>) -> String {
    secs.map(format_time).unwrap_or_default()
}

/// A cell a spreadsheet would run as a formula gets a leading `'`.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn user_status(row: &Row) -> &'static str {
    match (row.user_state, row.user_status) {
        (crate::report::UserState::NotFound, _) => "NOT_FOUND",
        (_, Some(status)) => status.as_str(),
        (_, None) => "",
    }
}

fn cells(row: &Row) -> [String; 19] {
    [
        row.account_id.clone(),
        row.account_name.clone(),
        row.permission_set_name.clone(),
        row.permission_set_arn.clone(),
        row.permission_set_description.clone(),
        row.assignment_type.as_str().to_owned(),
        row.group_id.clone(),
        row.group_name.clone(),
        row.user_id.clone(),
        row.user_name.clone(),
        row.display_name.clone(),
        row.email.clone(),
        user_status(row).to_owned(),
        format_opt_time(row.last_console_use),
        format_opt_time(row.last_cli_use),
        format_opt_time(row.last_used()),
        row.days_since_last_used()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        row.usage_status().as_str().to_owned(),
        format_opt_time(row.last_portal_sign_in),
    ]
}

/// Writes the header and every row.
pub fn write_csv<W: Write>(out: W, rows: &[Row]) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    for row in rows {
        writer.write_record(cells(row).iter().map(|c| spreadsheet_safe(c).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        for cell in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"));
        }
        for cell in ["", "alice", "1=1", "a-b"] {
            assert_eq!(spreadsheet_safe(cell), cell);
        }
    }

    #[test]
    fn times_are_rfc3339_utc_seconds() {
        assert_eq!(format_time(1_795_168_800), "2026-11-20T10:00:00Z");
    }
}
