//! The access changes, named through the directory: one [`ChangeRow`] per change for the
//! changes file, and the latest grant and group membership per assignment and member for the
//! report's `granted_at`/`granted_by` and `member_since`/`member_added_by`.

use super::attribution::{Attribution, Attributor};
use crate::directory::Snapshot;
use crate::evidence::changes::{Change, ChangeKind, MemberChange};
use crate::evidence::UserRef;
use std::collections::HashMap;

/// One change as the changes file shows it: ids with the names the directory gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub change: Change,
    pub account_name: String,
    pub permission_set_name: String,
    pub principal_name: String,
    pub group_id: String,
    pub group_name: String,
    pub user_id: String,
    pub user_name: String,
    /// The Identity Center user who made the change, when the event names one.
    pub actor_user_id: String,
    pub actor_user_name: String,
    /// Why a value is missing (a membership deleted without its creation in the window).
    pub note: String,
}

impl ChangeRow {
    /// Who made the change, in one cell: the Identity Center user's name when known, else
    /// the IAM principal.
    pub fn made_by(&self) -> &str {
        [
            &self.actor_user_name,
            &self.change.actor.arn,
            &self.actor_user_id,
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or("", String::as_str)
    }
}

/// An account assignment: account, permission set ARN, principal type, principal id.
pub(crate) type AssignmentKey = (String, String, String, String);

/// The latest grant of each assignment, the latest addition of each (group, user), and the
/// latest change of unknown members of each group in the window: (time, made by).
#[derive(Debug, Default)]
pub(crate) struct ChangeIndex {
    pub grants: HashMap<AssignmentKey, (i64, String)>,
    pub memberships: HashMap<(String, String), (i64, String)>,
    pub unknown_memberships: HashMap<String, (i64, String)>,
}

/// The changes file's note for a change that does not say which members it changed.
pub(crate) const UNKNOWN_MEMBERS_NOTE: &str =
    "the event does not say which members changed (AWS hides SCIM request values): any member of the group may have joined here";

/// Names every change through the snapshot, in the changes' order.
pub(crate) fn name_changes(snapshot: &Snapshot, changes: &[Change]) -> Vec<ChangeRow> {
    let names = Names::new(snapshot);
    let created_memberships: HashMap<&str, &Change> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::CreateGroupMembership && !c.membership_id.is_empty())
        .map(|c| (c.membership_id.as_str(), c))
        .collect();
    changes
        .iter()
        .map(|change| {
            let mut row = names.row(change);
            if change.member_change == Some(MemberChange::Unknown) {
                row.note = UNKNOWN_MEMBERS_NOTE.into();
            }
            if change.kind == ChangeKind::DeleteGroupMembership && row.user_id.is_empty() {
                match created_memberships.get(change.membership_id.as_str()) {
                    Some(created) => {
                        row.group_id = created.group_id.clone();
                        row.user_id = created.member_user_id.clone();
                        names.name_member(&mut row);
                    }
                    None => {
                        row.note =
                            "membership created before the window: its group and user are unknown"
                                .into()
                    }
                }
            }
            row
        })
        .collect()
}

/// The latest grant and membership addition in `rows`.
pub(crate) fn index_changes(rows: &[ChangeRow]) -> ChangeIndex {
    let mut index = ChangeIndex::default();
    let later = |slot: &mut (i64, String), row: &ChangeRow| {
        if row.change.time >= slot.0 {
            *slot = (row.change.time, row.made_by().to_owned());
        }
    };
    for row in rows {
        let change = &row.change;
        match (change.kind, change.member_change) {
            (ChangeKind::CreateAccountAssignment, _) => {
                let key = (
                    change.account_id.clone(),
                    change.permission_set_arn.clone(),
                    change.principal_type.clone(),
                    change.principal_id.clone(),
                );
                later(
                    index.grants.entry(key).or_insert((i64::MIN, String::new())),
                    row,
                );
            }
            (_, Some(MemberChange::Added)) => {
                let key = (row.group_id.clone(), row.user_id.clone());
                later(
                    index
                        .memberships
                        .entry(key)
                        .or_insert((i64::MIN, String::new())),
                    row,
                );
            }
            (_, Some(MemberChange::Unknown)) => {
                let slot = index.unknown_memberships.entry(row.group_id.clone());
                later(slot.or_insert((i64::MIN, String::new())), row);
            }
            _ => {}
        }
    }
    index
}

struct Names<'a> {
    attributor: Attributor<'a>,
    accounts: HashMap<&'a str, &'a str>,
    permission_sets: HashMap<&'a str, &'a str>,
    users: HashMap<&'a str, &'a str>,
    groups: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        Names {
            attributor: Attributor::new(snapshot),
            accounts: snapshot
                .accounts
                .iter()
                .filter_map(|a| Some((a.id.as_str(), a.name.as_deref()?)))
                .collect(),
            permission_sets: snapshot
                .permission_sets
                .iter()
                .map(|p| (p.arn.as_str(), p.name.as_str()))
                .collect(),
            users: snapshot
                .users
                .iter()
                .map(|u| (u.user_id.as_str(), u.user_name.as_str()))
                .collect(),
            groups: snapshot
                .groups
                .iter()
                .filter_map(|g| Some((g.group_id.as_str(), g.display_name.as_deref()?)))
                .collect(),
        }
    }

    fn name(map: &HashMap<&str, &str>, id: &str) -> String {
        map.get(id).map(|n| n.to_string()).unwrap_or_default()
    }

    fn row(&self, change: &Change) -> ChangeRow {
        let mut row = ChangeRow {
            change: change.clone(),
            account_name: Self::name(&self.accounts, &change.account_id),
            permission_set_name: Self::name(&self.permission_sets, &change.permission_set_arn),
            principal_name: String::new(),
            group_id: String::new(),
            group_name: String::new(),
            user_id: String::new(),
            user_name: String::new(),
            actor_user_id: String::new(),
            actor_user_name: String::new(),
            note: String::new(),
        };
        if change.kind.is_membership() {
            row.group_id = change.group_id.clone();
            row.user_id = change.member_user_id.clone();
        } else if change.principal_type == "GROUP" {
            row.group_id = change.principal_id.clone();
        } else {
            row.user_id = change.principal_id.clone();
        }
        self.name_member(&mut row);
        if !change.kind.is_membership() {
            row.principal_name = match change.principal_type.as_str() {
                "GROUP" => row.group_name.clone(),
                _ => row.user_name.clone(),
            };
        }
        self.name_actor(&mut row);
        row
    }

    fn name_member(&self, row: &mut ChangeRow) {
        row.group_name = Self::name(&self.groups, &row.group_id);
        row.user_name = Self::name(&self.users, &row.user_id);
    }

    /// The Identity Center user behind the change: `onBehalfOf`, else the session name of an
    /// `AWSReservedSSO_` role, matched by the same rules as the evidence of use.
    fn name_actor(&self, row: &mut ChangeRow) {
        let actor = &row.change.actor;
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let user = UserRef {
            on_behalf_of_user_id: non_empty(&actor.on_behalf_of_user_id),
            identity_store_arn: non_empty(&actor.identity_store_arn),
            principal_id: None,
            user_name: actor.sso_session_user_name().map(str::to_owned),
        };
        if user.is_empty() {
            return;
        }
        if let Attribution::User(id) = self.attributor.attribute(&user, row.change.time) {
            row.actor_user_id = id.to_owned();
            row.actor_user_name = Self::name(&self.users, id);
        } else {
            row.actor_user_id = actor.on_behalf_of_user_id.clone();
        }
    }
}
