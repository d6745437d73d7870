//! The per-user view: for every directory user, what they hold and when they were last active.
//!
//! Activity counts every use attributed to the user, also of accounts they no longer hold an
//! assignment for: a person who worked yesterday is active, whatever the directory says today.

use super::{Row, Usage, UsageStatus, UserState};
use crate::directory::{Snapshot, UserStatus};
use std::collections::{HashMap, HashSet};

/// A user's standing against `--inactive-days N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActivityStatus {
    /// Used an assignment or signed in to the portal within the last N days.
    Active,
    /// Last seen more than N days ago.
    Inactive,
    /// Not seen in the whole evidence window, and older than N days.
    NeverSeen,
    /// Created within the last N days and not seen since: too new to call inactive.
    New,
}

impl ActivityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Active => "ACTIVE",
            ActivityStatus::Inactive => "INACTIVE",
            ActivityStatus::NeverSeen => "NEVER_SEEN",
            ActivityStatus::New => "NEW",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user_id: String,
    pub user_name: String,
    pub display_name: String,
    pub email: String,
    pub user_status: Option<UserStatus>,
    pub created_at: Option<i64>,
    /// Distinct (account, permission set) the user holds, directly or through groups.
    pub assignments: usize,
    pub assignments_used: usize,
    /// Of those, held only since a time inside the window and not used (usage_status NEW).
    pub assignments_new: usize,
    pub last_console_use: Option<i64>,
    pub last_cli_use: Option<i64>,
    pub last_portal_sign_in: Option<i64>,
    pub activity_status: ActivityStatus,
    pub as_of: i64,
}

impl UserSummary {
    pub fn last_used(&self) -> Option<i64> {
        self.last_console_use.max(self.last_cli_use)
    }

    /// The later of the last use and the last portal sign-in.
    pub fn last_activity(&self) -> Option<i64> {
        self.last_used().max(self.last_portal_sign_in)
    }

    pub fn days_since_last_activity(&self) -> Option<i64> {
        self.last_activity()
            .map(|t| (self.as_of - t).div_euclid(86_400))
    }
}

/// Whole days between two Unix times, rounded down.
fn days_between(from: i64, to: i64) -> i64 {
    (to - from).div_euclid(86_400)
}

/// What the summary is computed from: the report's rows and every attributed use.
pub(super) struct Activity<'a> {
    pub rows: &'a [Row],
    /// (user_id, account_id, permission_set_name) -> last uses.
    pub uses: &'a HashMap<(String, String, String), Usage>,
    pub portal: &'a HashMap<String, i64>,
    pub as_of: i64,
    pub inactive_days: u32,
}

/// One summary per directory user, sorted by user name, then id.
pub(super) fn summarize(snapshot: &Snapshot, activity: &Activity) -> Vec<UserSummary> {
    let mut held: HashMap<&str, HashSet<(&str, &str)>> = HashMap::new();
    let mut used: HashMap<&str, HashSet<(&str, &str)>> = HashMap::new();
    let mut new: HashMap<&str, HashSet<(&str, &str)>> = HashMap::new();
    for row in activity.rows {
        if row.user_state != UserState::Found {
            continue;
        }
        let granted = match row.is_entitlement() {
            true => row.role_arn.as_str(),
            false => row.permission_set_arn.as_str(),
        };
        let pair = (row.account_id.as_str(), granted);
        held.entry(&row.user_id).or_default().insert(pair);
        if row.last_used().is_some() {
            used.entry(&row.user_id).or_default().insert(pair);
        } else if row.usage_status() == UsageStatus::New {
            new.entry(&row.user_id).or_default().insert(pair);
        }
    }
    let mut last: HashMap<&str, Usage> = HashMap::new();
    for ((user_id, _, _), usage) in activity.uses {
        let entry = last.entry(user_id).or_default();
        entry.console = entry.console.max(usage.console);
        entry.cli = entry.cli.max(usage.cli);
    }
    let mut summaries: Vec<UserSummary> = snapshot
        .users
        .iter()
        .map(|user| {
            let id = user.user_id.as_str();
            let usage = last.get(id).copied().unwrap_or_default();
            let mut summary = UserSummary {
                user_id: user.user_id.clone(),
                user_name: user.user_name.clone(),
                display_name: user.display_name.clone().unwrap_or_default(),
                email: user.email.clone().unwrap_or_default(),
                user_status: user.status,
                created_at: user.created_at.map(|t| t.timestamp()),
                assignments: held.get(id).map_or(0, HashSet::len),
                assignments_used: used.get(id).map_or(0, HashSet::len),
                assignments_new: new.get(id).map_or(0, HashSet::len),
                last_console_use: usage.console,
                last_cli_use: usage.cli,
                last_portal_sign_in: activity.portal.get(id).copied(),
                activity_status: ActivityStatus::NeverSeen,
                as_of: activity.as_of,
            };
            summary.activity_status = status(&summary, activity.inactive_days);
            summary
        })
        .collect();
    summaries.sort_by(|a, b| (&a.user_name, &a.user_id).cmp(&(&b.user_name, &b.user_id)));
    summaries
}

fn status(summary: &UserSummary, inactive_days: u32) -> ActivityStatus {
    let limit = i64::from(inactive_days);
    match summary.days_since_last_activity() {
        Some(days) if days < limit => ActivityStatus::Active,
        _ if summary
            .created_at
            .is_some_and(|created| days_between(created, summary.as_of) < limit) =>
        {
            ActivityStatus::New
        }
        Some(_) => ActivityStatus::Inactive,
        None => ActivityStatus::NeverSeen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const AS_OF: i64 = 1_000 * DAY;

    fn summary(last_cli: Option<i64>, portal: Option<i64>, created: Option<i64>) -> UserSummary {
        UserSummary {
            user_id: "u".into(),
            user_name: "alice".into(),
            display_name: String::new(),
            email: String::new(),
            user_status: None,
            created_at: created,
            assignments: 1,
            assignments_used: 0,
            assignments_new: 0,
            last_console_use: None,
            last_cli_use: last_cli,
            last_portal_sign_in: portal,
            activity_status: ActivityStatus::NeverSeen,
            as_of: AS_OF,
        }
    }

    #[test]
    fn activity_within_the_limit_is_active_and_the_limit_itself_is_not() {
        let s = summary(Some(AS_OF - 89 * DAY), None, None);
        assert_eq!(status(&s, 90), ActivityStatus::Active);
        let s = summary(Some(AS_OF - 90 * DAY), None, None);
        assert_eq!(status(&s, 90), ActivityStatus::Inactive);
    }

    #[test]
    fn a_portal_sign_in_alone_is_activity() {
        let s = summary(None, Some(AS_OF - DAY), None);
        assert_eq!(status(&s, 90), ActivityStatus::Active);
        assert_eq!(s.days_since_last_activity(), Some(1));
    }

    #[test]
    fn users_created_inside_the_period_are_new_not_inactive() {
        let s = summary(None, None, Some(AS_OF - 10 * DAY));
        assert_eq!(status(&s, 90), ActivityStatus::New);
        let s = summary(None, None, Some(AS_OF - 400 * DAY));
        assert_eq!(status(&s, 90), ActivityStatus::NeverSeen);
        let s = summary(None, None, None);
        assert_eq!(status(&s, 90), ActivityStatus::NeverSeen);
    }
}
