//! What changed between the previous report and this one: one [`DiffRow`] per change of an
//! assignment row (keyed by account, permission set ARN, assignment type, group, user and, for
//! entitlements, role) and one [`UserDiffRow`] per change of a user in the summary.

use super::previous::{ReportRow, UserRow};
use crate::report::{format_opt_time, Row, UsageStatus, UserSummary};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiffKind {
    /// In this report, not in the previous one.
    Added,
    /// In the previous report, not in this one.
    Removed,
    /// `usage_status` is UNUSED now, and was not.
    BecameUnused,
    /// `usage_status` is USED now, and was not.
    BecameUsed,
    /// `user_status` differs (ENABLED, DISABLED, NOT_FOUND).
    UserStatusChanged,
    /// The user summary's `activity_status` differs.
    ActivityStatusChanged,
}

impl DiffKind {
    /// The kinds of the assignment difference, in the manifest's order.
    pub const ASSIGNMENT_KINDS: [DiffKind; 5] = [
        DiffKind::Added,
        DiffKind::Removed,
        DiffKind::BecameUnused,
        DiffKind::BecameUsed,
        DiffKind::UserStatusChanged,
    ];
    /// The kinds of the user difference.
    pub const USER_KINDS: [DiffKind; 4] = [
        DiffKind::Added,
        DiffKind::Removed,
        DiffKind::ActivityStatusChanged,
        DiffKind::UserStatusChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Added => "added",
            DiffKind::Removed => "removed",
            DiffKind::BecameUnused => "became_unused",
            DiffKind::BecameUsed => "became_used",
            DiffKind::UserStatusChanged => "user_status_changed",
            DiffKind::ActivityStatusChanged => "activity_status_changed",
        }
    }
}

/// Who and what a row is about, as both reports name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowIds {
    pub account_id: String,
    pub account_name: String,
    pub permission_set_name: String,
    pub permission_set_arn: String,
    pub assignment_type: String,
    pub group_id: String,
    pub group_name: String,
    pub user_id: String,
    pub user_name: String,
    pub role_arn: String,
}

type RowKey = (String, String, String, String, String, String);

impl RowIds {
    fn key(&self) -> RowKey {
        (
            self.account_id.clone(),
            self.permission_set_arn.clone(),
            self.assignment_type.clone(),
            self.group_id.clone(),
            self.user_id.clone(),
            self.role_arn.clone(),
        )
    }
}

/// The cells of one row that a change is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowState {
    pub usage_status: String,
    pub user_status: String,
    pub last_used: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    pub change: DiffKind,
    pub ids: RowIds,
    pub previous: Option<RowState>,
    pub current: Option<RowState>,
}

/// The cells of one user that a change is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserState {
    pub user_name: String,
    pub activity_status: String,
    pub user_status: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDiffRow {
    pub change: DiffKind,
    pub user_id: String,
    pub previous: Option<UserState>,
    pub current: Option<UserState>,
}

impl UserDiffRow {
    /// The user's name now, else as the previous report had it.
    pub fn user_name(&self) -> &str {
        (self.current.as_ref().or(self.previous.as_ref())).map_or("", |s| s.user_name.as_str())
    }
}

/// Every change of the assignment rows, sorted by key, then kind.
pub(super) fn assignments(previous: &[ReportRow], current: &[Row]) -> Vec<DiffRow> {
    let keyed = |pairs: Vec<(RowIds, RowState)>| -> BTreeMap<RowKey, (RowIds, RowState)> {
        pairs.into_iter().map(|p| (p.0.key(), p)).collect()
    };
    let before = keyed(previous.iter().map(previous_row).collect());
    let after = keyed(current.iter().map(current_row).collect());
    compare(
        before,
        after,
        |(_, was): &(RowIds, RowState), (_, now): &(RowIds, RowState)| {
            let became = |status: UsageStatus| {
                (now.usage_status == status.as_str() && was.usage_status != status.as_str())
                    .then_some(())
            };
            [
                became(UsageStatus::Unused).map(|_| DiffKind::BecameUnused),
                became(UsageStatus::Used).map(|_| DiffKind::BecameUsed),
                (was.user_status != now.user_status).then_some(DiffKind::UserStatusChanged),
            ]
            .into_iter()
            .flatten()
            .collect()
        },
    )
    .into_iter()
    .map(|(_, (change, before, after))| {
        let ids = (after.as_ref().or(before.as_ref()))
            .map(|(ids, _)| ids.clone())
            .unwrap_or_default();
        DiffRow {
            change,
            ids,
            previous: before.map(|(_, state)| state),
            current: after.map(|(_, state)| state),
        }
    })
    .collect()
}

/// Every change of the user summary, sorted by user id, then kind.
pub(super) fn users(previous: &[UserRow], current: &[UserSummary]) -> Vec<UserDiffRow> {
    let before: BTreeMap<String, UserState> = (previous.iter())
        .map(|u| {
            let state = UserState {
                user_name: u.user_name.clone(),
                activity_status: u.activity_status.clone(),
                user_status: u.user_status.clone(),
            };
            (u.user_id.clone(), state)
        })
        .collect();
    let after: BTreeMap<String, UserState> = (current.iter())
        .map(|u| {
            let state = UserState {
                user_name: u.user_name.clone(),
                activity_status: u.activity_status.as_str().to_owned(),
                user_status: u.user_status.map_or("", |s| s.as_str()).to_owned(),
            };
            (u.user_id.clone(), state)
        })
        .collect();
    compare(before, after, |was, now| {
        [
            (was.activity_status != now.activity_status).then_some(DiffKind::ActivityStatusChanged),
            (was.user_status != now.user_status).then_some(DiffKind::UserStatusChanged),
        ]
        .into_iter()
        .flatten()
        .collect()
    })
    .into_iter()
    .map(|(user_id, (change, previous, current))| UserDiffRow {
        change,
        user_id,
        previous,
        current,
    })
    .collect()
}

fn previous_row(row: &ReportRow) -> (RowIds, RowState) {
    let ids = RowIds {
        account_id: row.account_id.clone(),
        account_name: row.account_name.clone(),
        permission_set_name: row.permission_set_name.clone(),
        permission_set_arn: row.permission_set_arn.clone(),
        assignment_type: row.assignment_type.clone(),
        group_id: row.group_id.clone(),
        group_name: row.group_name.clone(),
        user_id: row.user_id.clone(),
        user_name: row.user_name.clone(),
        role_arn: row.role_arn.clone(),
    };
    let state = RowState {
        usage_status: row.usage_status.clone(),
        user_status: row.user_status.clone(),
        last_used: row.last_used.clone(),
    };
    (ids, state)
}

fn current_row(row: &Row) -> (RowIds, RowState) {
    let ids = RowIds {
        account_id: row.account_id.clone(),
        account_name: row.account_name.clone(),
        permission_set_name: row.permission_set_name.clone(),
        permission_set_arn: row.permission_set_arn.clone(),
        assignment_type: row.assignment_type_str().to_owned(),
        group_id: row.group_id.clone(),
        group_name: row.group_name.clone(),
        user_id: row.user_id.clone(),
        user_name: row.user_name.clone(),
        role_arn: row.role_arn.clone(),
    };
    let state = RowState {
        usage_status: row.usage_status().as_str().to_owned(),
        user_status: row.user_status_str().to_owned(),
        last_used: format_opt_time(row.last_used()),
    };
    (ids, state)
}

type Change<T> = (DiffKind, Option<T>, Option<T>);

/// Added, removed, and what `changed` finds between the two values of a key in both; sorted
/// by key, then kind.
fn compare<K: Ord + Clone, T: Clone>(
    mut before: BTreeMap<K, T>,
    after: BTreeMap<K, T>,
    changed: impl Fn(&T, &T) -> Vec<DiffKind>,
) -> Vec<(K, Change<T>)> {
    let mut changes: Vec<(K, Change<T>)> = Vec::new();
    for (key, now) in after {
        let Some(was) = before.remove(&key) else {
            changes.push((key, (DiffKind::Added, None, Some(now))));
            continue;
        };
        for kind in changed(&was, &now) {
            changes.push((key.clone(), (kind, Some(was.clone()), Some(now.clone()))));
        }
    }
    changes
        .extend((before.into_iter()).map(|(key, was)| (key, (DiffKind::Removed, Some(was), None))));
    changes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1 .0.cmp(&b.1 .0)));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn previous(user: &str, usage: &str, status: &str) -> ReportRow {
        let csv = format!(
            "account_id,account_name,permission_set_name,permission_set_arn,assignment_type,group_id,group_name,user_id,user_name,user_status,last_used,days_since_last_used,usage_status\n\
             111122223333,prod,Admin,arn:ps-1,USER,,,u-{user},{user},{status},,,{usage}\n"
        );
        csv::Reader::from_reader(csv.as_bytes())
            .deserialize()
            .next()
            .unwrap()
            .unwrap()
    }

    fn current(user: &str, used: bool, status: crate::directory::UserStatus) -> Row {
        let mut row = crate::report::tests_support::empty_row();
        (row.account_id, row.account_name) = ("111122223333".into(), "prod".into());
        (row.permission_set_name, row.permission_set_arn) = ("Admin".into(), "arn:ps-1".into());
        (row.user_id, row.user_name) = (format!("u-{user}"), user.into());
        row.user_status = Some(status);
        row.last_cli_use = used.then_some(row.as_of - 86_400);
        row
    }

    #[test]
    fn each_kind_of_change_is_found_once_in_key_order() {
        use crate::directory::UserStatus::{Disabled, Enabled};
        let before = [
            previous("ann", "USED", "ENABLED"),
            previous("bob", "UNUSED", "ENABLED"),
            previous("cy", "USED", "ENABLED"),
            previous("dee", "USED", "ENABLED"),
        ];
        let after = [
            current("bob", true, Enabled),
            current("cy", false, Disabled),
            current("dee", true, Enabled),
            current("eve", false, Enabled),
        ];
        let diff = assignments(&before, &after);
        let changes: Vec<(&str, &str)> = (diff.iter())
            .map(|d| (d.ids.user_name.as_str(), d.change.as_str()))
            .collect();
        assert_eq!(
            changes,
            [
                ("ann", "removed"),
                ("bob", "became_used"),
                ("cy", "became_unused"),
                ("cy", "user_status_changed"),
                ("eve", "added"),
            ]
        );
        let removed = &diff[0];
        assert_eq!(removed.previous.as_ref().unwrap().usage_status, "USED");
        assert!(removed.current.is_none());
    }
}
