//! Access changes: the CloudTrail events that grant or take away access, read from the same
//! sources as the evidence of use. `CreateAccountAssignment` and `DeleteAccountAssignment`
//! (sso.amazonaws.com) change who holds a permission set in an account;
//! `CreateGroupMembership` and `DeleteGroupMembership` (identitystore.amazonaws.com) change
//! who inherits a group's assignments, and so do an external IdP's SCIM `PatchGroup` and
//! `CreateGroup` (identitystore-scim.amazonaws.com, see [`super::scim`]). Each change keeps who
//! made it, when, and its request.

use std::collections::HashSet;

/// The change events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    CreateAccountAssignment,
    DeleteAccountAssignment,
    CreateGroupMembership,
    DeleteGroupMembership,
    /// SCIM: a group created with members.
    ScimCreateGroup,
    /// SCIM: members added to or removed from a group (among other attributes).
    ScimPatchGroup,
}

/// What a change did to one group membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberChange {
    Added,
    Removed,
    /// The event changed the group's members without saying which (AWS hides SCIM values).
    Unknown,
}

impl MemberChange {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberChange::Added => "added",
            MemberChange::Removed => "removed",
            MemberChange::Unknown => "unknown",
        }
    }
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::CreateAccountAssignment,
        ChangeKind::DeleteAccountAssignment,
        ChangeKind::CreateGroupMembership,
        ChangeKind::DeleteGroupMembership,
        ChangeKind::ScimCreateGroup,
        ChangeKind::ScimPatchGroup,
    ];

    pub fn event_name(self) -> &'static str {
        match self {
            ChangeKind::CreateAccountAssignment => "CreateAccountAssignment",
            ChangeKind::DeleteAccountAssignment => "DeleteAccountAssignment",
            ChangeKind::CreateGroupMembership => "CreateGroupMembership",
            ChangeKind::DeleteGroupMembership => "DeleteGroupMembership",
            ChangeKind::ScimCreateGroup => "CreateGroup",
            ChangeKind::ScimPatchGroup => "PatchGroup",
        }
    }

    pub fn event_source(self) -> &'static str {
        match self {
            ChangeKind::CreateAccountAssignment | ChangeKind::DeleteAccountAssignment => {
                "sso.amazonaws.com"
            }
            ChangeKind::CreateGroupMembership | ChangeKind::DeleteGroupMembership => {
                "identitystore.amazonaws.com"
            }
            ChangeKind::ScimCreateGroup | ChangeKind::ScimPatchGroup => super::scim::EVENT_SOURCE,
        }
    }

    pub fn is_membership(self) -> bool {
        !matches!(
            self,
            ChangeKind::CreateAccountAssignment | ChangeKind::DeleteAccountAssignment
        )
    }

    pub fn is_scim(self) -> bool {
        self.event_source() == super::scim::EVENT_SOURCE
    }

    /// The change an event is, by its source and name.
    pub fn of_event(event_source: &str, event_name: &str) -> Option<ChangeKind> {
        ChangeKind::ALL
            .into_iter()
            .find(|k| k.event_source() == event_source && k.event_name() == event_name)
    }
}

/// Who made a change, as the event's `userIdentity` names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// `userIdentity.arn`: the IAM principal (an assumed-role session, a user, root).
    pub arn: String,
    /// `userIdentity.onBehalfOf.userId`: the Identity Center user behind the session.
    pub on_behalf_of_user_id: String,
    pub identity_store_arn: String,
}

impl Actor {
    /// The session name of an `AWSReservedSSO_` role (an Identity Center user's session in
    /// an account), which Identity Center sets to the user's name.
    pub fn sso_session_user_name(&self) -> Option<&str> {
        let rest = self.arn.split_once(":assumed-role/")?.1;
        let (role, session) = rest.split_once('/')?;
        (role.starts_with("AWSReservedSSO_") && !session.is_empty()).then_some(session)
    }
}

/// One change, with the request parameters that say what changed. Fields the event does not
/// carry are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// `eventTime`, Unix seconds.
    pub time: i64,
    pub event_id: String,
    pub aws_region: String,
    pub source_ip_address: String,
    pub actor: Actor,
    pub instance_arn: String,
    /// `targetId`: the account.
    pub account_id: String,
    pub target_type: String,
    pub permission_set_arn: String,
    pub principal_type: String,
    pub principal_id: String,
    pub identity_store_id: String,
    pub group_id: String,
    /// `memberId.userId`.
    pub member_user_id: String,
    /// The request's `membershipId` (deletions) or the response's (creations).
    pub membership_id: String,
    /// What a membership change did to `member_user_id`'s membership of `group_id`.
    pub member_change: Option<MemberChange>,
}

impl Change {
    /// An empty change of `kind` at `time`, for the readers to fill.
    pub fn new(kind: ChangeKind, time: i64) -> Change {
        Change {
            kind,
            time,
            event_id: String::new(),
            aws_region: String::new(),
            source_ip_address: String::new(),
            actor: Actor::default(),
            instance_arn: String::new(),
            account_id: String::new(),
            target_type: String::new(),
            permission_set_arn: String::new(),
            principal_type: String::new(),
            principal_id: String::new(),
            identity_store_id: String::new(),
            group_id: String::new(),
            member_user_id: String::new(),
            membership_id: String::new(),
            member_change: match kind {
                ChangeKind::CreateGroupMembership => Some(MemberChange::Added),
                ChangeKind::DeleteGroupMembership => Some(MemberChange::Removed),
                _ => None,
            },
        }
    }

    #[allow(clippy::type_complexity)]
    fn order_key(&self) -> (i64, &str, ChangeKind, Option<MemberChange>, &str, &str) {
        (
            self.time,
            &self.event_id,
            self.kind,
            self.member_change,
            &self.member_user_id,
            &self.actor.arn,
        )
    }
}

/// Every source's changes in one order: by time, then event id; an event delivered twice
/// (same `eventID`) is kept once. A SCIM event gives one change per member it names, all
/// with its `eventID`.
pub(crate) fn normalize(mut changes: Vec<Change>) -> Vec<Change> {
    changes.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut seen = HashSet::new();
    changes.retain(|c| {
        let key = (
            c.event_id.clone(),
            c.member_change,
            c.member_user_id.clone(),
        );
        c.event_id.is_empty() || seen.insert(key)
    });
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_match_source_and_name() {
        assert_eq!(
            ChangeKind::of_event("sso.amazonaws.com", "CreateAccountAssignment"),
            Some(ChangeKind::CreateAccountAssignment)
        );
        assert_eq!(
            ChangeKind::of_event("identitystore.amazonaws.com", "DeleteGroupMembership"),
            Some(ChangeKind::DeleteGroupMembership)
        );
        assert_eq!(
            ChangeKind::of_event("sso.amazonaws.com", "CreateGroupMembership"),
            None
        );
    }

    #[test]
    fn the_user_behind_an_identity_center_session() {
        let actor = |arn: &str| Actor {
            arn: arn.into(),
            ..Actor::default()
        };
        assert_eq!(
            actor("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com")
                .sso_session_user_name(),
            Some("alice@example.com")
        );
        assert_eq!(
            actor("arn:aws:sts::111122223333:assumed-role/Deployer/ci").sso_session_user_name(),
            None
        );
        assert_eq!(
            actor("arn:aws:iam::111122223333:root").sso_session_user_name(),
            None
        );
    }

    #[test]
    fn changes_are_sorted_and_delivered_once() {
        let change = |time, id: &str| Change {
            event_id: id.into(),
            ..Change::new(ChangeKind::CreateAccountAssignment, time)
        };
        let sorted = normalize(vec![
            change(2, "b"),
            change(1, "c"),
            change(2, "a"),
            change(1, "c"),
        ]);
        let ids: Vec<_> = sorted.iter().map(|c| c.event_id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
    }
}
