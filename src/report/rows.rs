//! Report rows: what one assignment means for one user.

use super::acceptance::Acceptance;
use super::changes::ChangeIndex;
use super::Usage;
use crate::directory::{
    Account, Assignment, Entitlement, Group, PermissionSet, PrincipalType, Snapshot, User,
    UserStatus,
};
use crate::evidence::Window;
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageStatus {
    Used,
    /// Held for the whole window and not used in it: the only status removal may act on.
    Unused,
    /// Not used, but held only since a time inside the window (granted, joined the group, or
    /// the user created): too new to be judged unused, and never planned for removal.
    New,
    /// No evidence of use can be read for it (account access manager entitlements): never
    /// taken for unused.
    Unknown,
}

impl UsageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageStatus::Used => "USED",
            UsageStatus::Unused => "UNUSED",
            UsageStatus::New => "NEW",
            UsageStatus::Unknown => "UNKNOWN",
        }
    }
}

/// Why an entitlement row's use is UNKNOWN, for the manifest.
pub const ENTITLEMENT_USE_UNKNOWN: &str = "an account access manager entitlement lets its user assume an IAM role directly; no published CloudTrail event confirms which event records that use, so these rows are UNKNOWN, never UNUSED, and plan-removal never plans them";

/// Whether the row's user (or group) exists in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserState {
    Found,
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub account_id: String,
    pub account_name: String,
    pub permission_set_name: String,
    pub permission_set_arn: String,
    pub permission_set_description: String,
    pub assignment_type: PrincipalType,
    pub group_id: String,
    pub group_name: String,
    pub user_id: String,
    pub user_name: String,
    pub display_name: String,
    pub email: String,
    pub user_status: Option<UserStatus>,
    pub user_state: UserState,
    pub last_console_use: Option<i64>,
    pub last_cli_use: Option<i64>,
    pub last_portal_sign_in: Option<i64>,
    /// The latest grant of the row's assignment in the window (to the group, for a group's
    /// member), and who made it.
    pub granted_at: Option<i64>,
    pub granted_by: String,
    /// GROUP rows: the latest addition of the user to the group in the window, and who made it.
    pub member_since: Option<i64>,
    pub member_added_by: String,
    /// GROUP rows: the latest change of the group's members in the window that does not say
    /// whose membership it changed (a SCIM event with hidden values).
    pub members_unknown_since: Option<i64>,
    /// `as_of`, in Unix seconds: `days_since_last_used` counts from it.
    pub as_of: i64,
    /// When the judged period began: the window's start, or the later time the access began
    /// (see [`Row::set_judged_since`]).
    pub judged_since: i64,
    /// The window's start, in Unix seconds.
    pub window_start: i64,
    /// ENTITLEMENT rows: the IAM role the entitlement lets the user assume (else empty).
    pub role_arn: String,
    /// The accepted exception that covers the row (set by the review, `crate::review`).
    pub accepted: Option<Acceptance>,
}

impl Row {
    /// A row of a principal not (yet) found, with nothing but its window: the join fills it.
    pub(crate) fn empty(as_of: i64, window_start: i64) -> Row {
        Row {
            account_id: String::new(),
            account_name: String::new(),
            permission_set_name: String::new(),
            permission_set_arn: String::new(),
            permission_set_description: String::new(),
            assignment_type: PrincipalType::User,
            group_id: String::new(),
            group_name: String::new(),
            user_id: String::new(),
            user_name: String::new(),
            display_name: String::new(),
            email: String::new(),
            user_status: None,
            user_state: UserState::NotFound,
            last_console_use: None,
            last_cli_use: None,
            last_portal_sign_in: None,
            granted_at: None,
            granted_by: String::new(),
            member_since: None,
            members_unknown_since: None,
            member_added_by: String::new(),
            as_of,
            judged_since: window_start,
            window_start,
            role_arn: String::new(),
            accepted: None,
        }
    }

    pub fn last_used(&self) -> Option<i64> {
        self.last_console_use.max(self.last_cli_use)
    }

    /// `NOT_FOUND` for a principal missing from the directory, else the directory's status.
    pub fn user_status_str(&self) -> &'static str {
        match (self.user_state, self.user_status) {
            (UserState::NotFound, _) => "NOT_FOUND",
            (_, Some(status)) => status.as_str(),
            (_, None) => "",
        }
    }

    /// An account access manager entitlement, not an account assignment.
    pub fn is_entitlement(&self) -> bool {
        !self.role_arn.is_empty()
    }

    /// `ENTITLEMENT`, else the assignment's principal type (`USER`, `GROUP`).
    pub fn assignment_type_str(&self) -> &'static str {
        match self.is_entitlement() {
            true => "ENTITLEMENT",
            false => self.assignment_type.as_str(),
        }
    }

    pub fn usage_status(&self) -> UsageStatus {
        if self.is_entitlement() {
            UsageStatus::Unknown
        } else if self.last_used().is_some() {
            UsageStatus::Used
        } else if self.judged_since > self.window_start {
            UsageStatus::New
        } else {
            UsageStatus::Unused
        }
    }

    /// The judged period starts at the latest of the window's start and every known start of
    /// this access: its latest grant, the user's latest joining of the group, and the user's
    /// creation (`user_created`), and a change of the group's members that does not say whose
    /// (the user may have joined then). As IAM Access Analyzer judges only permissions held for
    /// its whole tracking period, an access that began inside the window is never called unused.
    pub(super) fn set_judged_since(&mut self, user_created: Option<i64>) {
        let starts = [
            self.granted_at,
            self.member_since,
            self.members_unknown_since,
            user_created,
        ];
        self.judged_since = starts
            .into_iter()
            .flatten()
            .fold(self.window_start, i64::max);
    }

    /// Whole days from the last use to `as_of`, rounded down.
    pub fn days_since_last_used(&self) -> Option<i64> {
        self.last_used()
            .map(|t| (self.as_of - t).div_euclid(86_400))
    }

    pub(super) fn set_usage(&mut self, usage: Usage, portal: Option<i64>) {
        self.last_console_use = usage.console;
        self.last_cli_use = usage.cli;
        self.last_portal_sign_in = portal;
    }

    /// Takes the latest grant of its assignment and, for a group's member, of its membership.
    pub(super) fn set_changes(&mut self, index: &ChangeIndex) {
        let principal_id = match self.assignment_type {
            PrincipalType::Group => &self.group_id,
            PrincipalType::User => &self.user_id,
        };
        let key = (
            self.account_id.clone(),
            self.permission_set_arn.clone(),
            self.assignment_type.as_str().to_owned(),
            principal_id.clone(),
        );
        if let Some((time, by)) = index.grants.get(&key) {
            (self.granted_at, self.granted_by) = (Some(*time), by.clone());
        }
        if self.assignment_type == PrincipalType::Group {
            let key = (self.group_id.clone(), self.user_id.clone());
            if let Some((time, by)) = index.memberships.get(&key) {
                (self.member_since, self.member_added_by) = (Some(*time), by.clone());
            }
            self.members_unknown_since = index
                .unknown_memberships
                .get(&self.group_id)
                .map(|(time, _)| *time);
        }
    }

    /// (account_id, permission_set_name, user_name, assignment_type, group_name), then ids
    /// so that rows without names still sort the same every time.
    pub fn order(a: &Row, b: &Row) -> Ordering {
        (
            &a.account_id,
            &a.permission_set_name,
            &a.user_name,
            a.assignment_type.as_str(),
            &a.group_name,
            &a.user_id,
            &a.group_id,
            &a.role_arn,
        )
            .cmp(&(
                &b.account_id,
                &b.permission_set_name,
                &b.user_name,
                b.assignment_type.as_str(),
                &b.group_name,
                &b.user_id,
                &b.group_id,
                &b.role_arn,
            ))
    }
}

/// Lookups that turn an assignment into rows.
pub(super) struct Context<'a> {
    accounts: HashMap<&'a str, &'a Account>,
    permission_sets: HashMap<&'a str, &'a PermissionSet>,
    users: HashMap<&'a str, &'a User>,
    groups: HashMap<&'a str, &'a Group>,
    as_of: i64,
    window_start: i64,
}

impl<'a> Context<'a> {
    pub(super) fn new(snapshot: &'a Snapshot, window: &Window) -> Self {
        Context {
            accounts: snapshot
                .accounts
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect(),
            permission_sets: snapshot
                .permission_sets
                .iter()
                .map(|p| (p.arn.as_str(), p))
                .collect(),
            users: snapshot
                .users
                .iter()
                .map(|u| (u.user_id.as_str(), u))
                .collect(),
            groups: snapshot
                .groups
                .iter()
                .map(|g| (g.group_id.as_str(), g))
                .collect(),
            as_of: window.end_secs(),
            window_start: window.start_secs(),
        }
    }

    /// When the directory says the row's user came to be, where it knows: a start
    /// [`Row::set_judged_since`] weighs besides the changes.
    pub(super) fn began(&self, row: &Row) -> Option<i64> {
        let user = self.users.get(row.user_id.as_str())?;
        user.created_at.map(|t| t.timestamp())
    }

    /// A USER assignment gives one row; a GROUP assignment one per member (none if empty).
    /// A principal missing from the directory gives one NOT_FOUND row.
    pub(super) fn expand(&self, assignment: &Assignment) -> Vec<Row> {
        let base = self.base_row(assignment);
        self.expand_principal(base, assignment.principal_type, &assignment.principal_id)
    }

    /// An entitlement gives rows like an assignment: one per user, a group's per member.
    pub(super) fn expand_entitlement(&self, entitlement: &Entitlement) -> Vec<Row> {
        let account = self.accounts.get(entitlement.account_id.as_str());
        let base = Row {
            account_id: entitlement.account_id.clone(),
            account_name: account
                .and_then(|a| a.name.clone())
                .or_else(|| entitlement.account_name.clone())
                .unwrap_or_default(),
            assignment_type: entitlement.principal_type,
            role_arn: entitlement.role_arn.clone(),
            ..self.empty_row()
        };
        self.expand_principal(base, entitlement.principal_type, &entitlement.principal_id)
    }

    fn expand_principal(
        &self,
        base: Row,
        principal_type: PrincipalType,
        principal_id: &str,
    ) -> Vec<Row> {
        match principal_type {
            PrincipalType::User => vec![self.user_row(base, principal_id)],
            PrincipalType::Group => match self.groups.get(principal_id) {
                None => vec![Row {
                    group_id: principal_id.to_owned(),
                    ..base
                }],
                Some(group) => {
                    let mut members = group.member_user_ids.clone();
                    members.sort();
                    members.dedup();
                    members
                        .iter()
                        .map(|member| {
                            let row = Row {
                                group_id: group.group_id.clone(),
                                group_name: group.display_name.clone().unwrap_or_default(),
                                ..base.clone()
                            };
                            self.user_row(row, member)
                        })
                        .collect()
                }
            },
        }
    }

    fn base_row(&self, assignment: &Assignment) -> Row {
        let account = self.accounts.get(assignment.account_id.as_str());
        let permission_set = self
            .permission_sets
            .get(assignment.permission_set_arn.as_str())
            .expect("snapshot consistency is checked when it is loaded");
        Row {
            account_id: assignment.account_id.clone(),
            account_name: account.and_then(|a| a.name.clone()).unwrap_or_default(),
            permission_set_name: permission_set.name.clone(),
            permission_set_arn: permission_set.arn.clone(),
            permission_set_description: permission_set.description.clone().unwrap_or_default(),
            assignment_type: assignment.principal_type,
            ..self.empty_row()
        }
    }

    /// A row with only its window set.
    fn empty_row(&self) -> Row {
        Row::empty(self.as_of, self.window_start)
    }

    fn user_row(&self, base: Row, user_id: &str) -> Row {
        let Some(user) = self.users.get(user_id) else {
            return Row {
                user_id: user_id.to_owned(),
                ..base
            };
        };
        Row {
            user_id: user.user_id.clone(),
            user_name: user.user_name.clone(),
            display_name: user.display_name.clone().unwrap_or_default(),
            email: user.email.clone().unwrap_or_default(),
            user_status: user.status,
            user_state: UserState::Found,
            ..base
        }
    }
}
