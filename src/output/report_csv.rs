//! The report, the user summary and the changes file as CSV (RFC 4180, UTF-8, header row, CRLF), safe to open in
//! a spreadsheet.

use crate::evidence::changes::MemberChange;
use crate::report::{ChangeRow, Row, UserSummary};
use crate::review::{DiffRow, RowState, UserDiffRow, UserState};
use std::io::Write;

/// The report's columns, in order. More may be appended later; none will be reordered.
pub const COLUMNS: [&str; 27] = [
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
    "granted_at",
    "granted_by",
    "member_since",
    "member_added_by",
    "role_arn",
    "judged_since",
    "review_status",
    "review_note",
];

/// The changes file's columns, in order, under the same promise.
pub const CHANGE_COLUMNS: [&str; 25] = [
    "event_time",
    "event_name",
    "event_source",
    "account_id",
    "account_name",
    "permission_set_arn",
    "permission_set_name",
    "principal_type",
    "principal_id",
    "principal_name",
    "group_id",
    "group_name",
    "user_id",
    "user_name",
    "membership_id",
    "actor_arn",
    "actor_user_id",
    "actor_user_name",
    "source_ip_address",
    "aws_region",
    "event_id",
    "instance_arn",
    "identity_store_id",
    "note",
    "member_change",
];

/// The difference from the previous report: one row per change of a row, both reports'
/// values side by side (`previous_*` empty for `added`, the others for `removed`).
pub const DIFF_COLUMNS: [&str; 17] = [
    "change",
    "account_id",
    "account_name",
    "permission_set_name",
    "permission_set_arn",
    "assignment_type",
    "group_id",
    "group_name",
    "user_id",
    "user_name",
    "role_arn",
    "previous_usage_status",
    "usage_status",
    "previous_user_status",
    "user_status",
    "previous_last_used",
    "last_used",
];

/// The user summary's difference from the previous report's, under the same promise.
pub const USER_DIFF_COLUMNS: [&str; 7] = [
    "change",
    "user_id",
    "user_name",
    "previous_activity_status",
    "activity_status",
    "previous_user_status",
    "user_status",
];

/// The user summary's columns, in order, under the same promise.
pub const USER_COLUMNS: [&str; 15] = [
    "user_id",
    "user_name",
    "display_name",
    "email",
    "user_status",
    "created_at",
    "assignments",
    "assignments_used",
    "last_console_use",
    "last_cli_use",
    "last_used",
    "last_portal_sign_in",
    "days_since_last_activity",
    "activity_status",
    "assignments_new",
];

pub use crate::report::{format_opt_time, format_time};

fn format_opt_number(n: Option<i64>) -> String {
    n.map(|d| d.to_string()).unwrap_or_default()
}

/// A cell a spreadsheet would run as a formula gets a leading `'`.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

pub(super) fn report_cells(row: &Row) -> [String; 27] {
    [
        row.account_id.clone(),
        row.account_name.clone(),
        row.permission_set_name.clone(),
        row.permission_set_arn.clone(),
        row.permission_set_description.clone(),
        row.assignment_type_str().to_owned(),
        row.group_id.clone(),
        row.group_name.clone(),
        row.user_id.clone(),
        row.user_name.clone(),
        row.display_name.clone(),
        row.email.clone(),
        row.user_status_str().to_owned(),
        format_opt_time(row.last_console_use),
        format_opt_time(row.last_cli_use),
        format_opt_time(row.last_used()),
        format_opt_number(row.days_since_last_used()),
        row.usage_status().as_str().to_owned(),
        format_opt_time(row.last_portal_sign_in),
        format_opt_time(row.granted_at),
        row.granted_by.clone(),
        format_opt_time(row.member_since),
        row.member_added_by.clone(),
        row.role_arn.clone(),
        format_time(row.judged_since),
        row.review_status().to_owned(),
        row.review_note(),
    ]
}

pub(super) fn change_cells(row: &ChangeRow) -> [String; 25] {
    let change = &row.change;
    [
        format_time(change.time),
        change.kind.event_name().to_owned(),
        change.kind.event_source().to_owned(),
        change.account_id.clone(),
        row.account_name.clone(),
        change.permission_set_arn.clone(),
        row.permission_set_name.clone(),
        change.principal_type.clone(),
        change.principal_id.clone(),
        row.principal_name.clone(),
        row.group_id.clone(),
        row.group_name.clone(),
        row.user_id.clone(),
        row.user_name.clone(),
        change.membership_id.clone(),
        change.actor.arn.clone(),
        row.actor_user_id.clone(),
        row.actor_user_name.clone(),
        change.source_ip_address.clone(),
        change.aws_region.clone(),
        change.event_id.clone(),
        change.instance_arn.clone(),
        change.identity_store_id.clone(),
        row.note.clone(),
        change
            .member_change
            .map_or("", MemberChange::as_str)
            .to_owned(),
    ]
}

pub(super) fn user_cells(user: &UserSummary) -> [String; 15] {
    [
        user.user_id.clone(),
        user.user_name.clone(),
        user.display_name.clone(),
        user.email.clone(),
        user.user_status
            .map(|s| s.as_str())
            .unwrap_or_default()
            .to_owned(),
        format_opt_time(user.created_at),
        user.assignments.to_string(),
        user.assignments_used.to_string(),
        format_opt_time(user.last_console_use),
        format_opt_time(user.last_cli_use),
        format_opt_time(user.last_used()),
        format_opt_time(user.last_portal_sign_in),
        format_opt_number(user.days_since_last_activity()),
        user.activity_status.as_str().to_owned(),
        user.assignments_new.to_string(),
    ]
}

pub(super) fn diff_cells(row: &DiffRow) -> [String; 17] {
    let ids = &row.ids;
    let state = |side: &Option<RowState>, cell: fn(&RowState) -> &String| {
        side.as_ref().map_or_else(String::new, |s| cell(s).clone())
    };
    let (was, now) = (&row.previous, &row.current);
    [
        row.change.as_str().to_owned(),
        ids.account_id.clone(),
        ids.account_name.clone(),
        ids.permission_set_name.clone(),
        ids.permission_set_arn.clone(),
        ids.assignment_type.clone(),
        ids.group_id.clone(),
        ids.group_name.clone(),
        ids.user_id.clone(),
        ids.user_name.clone(),
        ids.role_arn.clone(),
        state(was, |s| &s.usage_status),
        state(now, |s| &s.usage_status),
        state(was, |s| &s.user_status),
        state(now, |s| &s.user_status),
        state(was, |s| &s.last_used),
        state(now, |s| &s.last_used),
    ]
}

pub(super) fn user_diff_cells(row: &UserDiffRow) -> [String; 7] {
    let state = |side: &Option<UserState>, cell: fn(&UserState) -> &String| {
        side.as_ref().map_or_else(String::new, |s| cell(s).clone())
    };
    let (was, now) = (&row.previous, &row.current);
    [
        row.change.as_str().to_owned(),
        row.user_id.clone(),
        row.user_name().to_owned(),
        state(was, |s| &s.activity_status),
        state(now, |s| &s.activity_status),
        state(was, |s| &s.user_status),
        state(now, |s| &s.user_status),
    ]
}

/// Writes a header and one record per item, every cell spreadsheet-safe.
pub(super) fn write_table<W: Write, T, const N: usize>(
    out: W,
    columns: [&str; N],
    items: &[T],
    cells: impl Fn(&T) -> [String; N],
) -> csv::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(columns)?;
    for item in items {
        writer.write_record(cells(item).iter().map(|c| spreadsheet_safe(c).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes the report: header and every row.
pub fn write_csv<W: Write>(out: W, rows: &[Row]) -> csv::Result<()> {
    write_table(out, COLUMNS, rows, report_cells)
}

/// Writes the changes file: every access change in the window.
pub fn write_changes_csv<W: Write>(out: W, changes: &[ChangeRow]) -> csv::Result<()> {
    write_table(out, CHANGE_COLUMNS, changes, change_cells)
}

/// Writes the difference of the rows from the previous report.
pub(super) fn write_diff_csv<W: Write>(out: W, rows: &[DiffRow]) -> csv::Result<()> {
    write_table(out, DIFF_COLUMNS, rows, diff_cells)
}

/// Writes the difference of the users from the previous report.
pub(super) fn write_users_diff_csv<W: Write>(out: W, rows: &[UserDiffRow]) -> csv::Result<()> {
    write_table(out, USER_DIFF_COLUMNS, rows, user_diff_cells)
}

/// Writes the user summary.
pub fn write_users_csv<W: Write>(out: W, users: &[UserSummary]) -> csv::Result<()> {
    write_table(out, USER_COLUMNS, users, user_cells)
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
