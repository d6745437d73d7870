//! Which directory user an event's [`UserRef`] names. The order matters and is the rule:
//! 1. `onBehalfOf.userId` (events since 2025-07), if `onBehalfOf.identityStoreArn` (when
//!    present) names this snapshot's identity store; any other store is another instance.
//!    An id that is not in the directory is an unknown (deleted) user: no fallback.
//! 2. else `principalId`, when it equals a user id in the directory;
//! 3. else `userName`, case-insensitively, and only if the event is not older than the
//!    user's `created_at`: an older event belongs to an earlier user of the same name.

use crate::directory::{Snapshot, User};
use crate::evidence::UserRef;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attribution<'a> {
    User(&'a str),
    /// The event names another Identity Center instance's identity store.
    OtherIdentityStore,
    /// The user name matches a user created after the event.
    BeforeUserCreated,
    /// No user of this directory is named by the event.
    Unknown,
}

pub(crate) struct Attributor<'a> {
    snapshot: &'a Snapshot,
    by_id: HashMap<&'a str, &'a User>,
    by_lower_name: HashMap<String, &'a User>,
}

impl<'a> Attributor<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Self {
        Attributor {
            snapshot,
            by_id: snapshot
                .users
                .iter()
                .map(|u| (u.user_id.as_str(), u))
                .collect(),
            by_lower_name: snapshot
                .users
                .iter()
                .map(|u| (u.user_name.to_lowercase(), u))
                .collect(),
        }
    }

    /// The user behind `user`, for an event (or the latest of a group of events) at `time`.
    pub(crate) fn attribute<'r>(&self, user: &'r UserRef, time: i64) -> Attribution<'r>
    where
        'a: 'r,
    {
        if let Some(arn) = &user.identity_store_arn {
            if !self.snapshot.owns_identity_store_arn(arn) {
                return Attribution::OtherIdentityStore;
            }
        }
        if let Some(id) = &user.on_behalf_of_user_id {
            // Rule 1 decides alone: a user id we do not know is a deleted (or foreign) user,
            // never a reason to fall back to a name that may belong to someone else.
            return match self.by_id.get(id.as_str()) {
                Some(found) => Attribution::User(&found.user_id),
                None => Attribution::Unknown,
            };
        }
        if let Some(found) = user
            .principal_id
            .as_deref()
            .and_then(|id| self.by_id.get(id))
        {
            return Attribution::User(&found.user_id);
        }
        let Some(name) = &user.user_name else {
            return Attribution::Unknown;
        };
        match self.by_lower_name.get(&name.to_lowercase()) {
            None => Attribution::Unknown,
            Some(found) if found.created_at.is_some_and(|c| time < c.timestamp()) => {
                Attribution::BeforeUserCreated
            }
            Some(found) => Attribution::User(&found.user_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::User;

    fn snapshot() -> Snapshot {
        let user = |id: &str, name: &str, created: Option<&str>| User {
            user_id: id.into(),
            user_name: name.into(),
            display_name: None,
            email: None,
            status: None,
            created_at: created.map(|c| c.parse().unwrap()),
        };
        Snapshot {
            identity_store_id: "d-1111111111".into(),
            users: vec![
                user("u-alice", "Alice", Some("2024-01-01T00:00:00Z")),
                user("u-bob", "bob", None),
            ],
            ..Snapshot::default()
        }
    }

    fn r(
        obo: Option<&str>,
        store: Option<&str>,
        principal: Option<&str>,
        name: Option<&str>,
    ) -> UserRef {
        UserRef {
            on_behalf_of_user_id: obo.map(Into::into),
            identity_store_arn: store.map(Into::into),
            principal_id: principal.map(Into::into),
            user_name: name.map(Into::into),
        }
    }

    const OURS: &str = "arn:aws:identitystore::111111111111:identitystore/d-1111111111";
    const THEIRS: &str = "arn:aws:identitystore::111111111111:identitystore/d-2222222222";
    const T2025: i64 = 1_735_689_600;

    #[test]
    fn on_behalf_of_comes_first() {
        let s = snapshot();
        let a = Attributor::new(&s);
        let user = r(Some("u-bob"), Some(OURS), Some("u-alice"), Some("alice"));
        assert_eq!(a.attribute(&user, T2025), Attribution::User("u-bob"));
        let user = r(Some("u-bob"), None, None, None);
        assert_eq!(a.attribute(&user, T2025), Attribution::User("u-bob"));
        // A user id that is not in the directory does not fall back to the name.
        let user = r(
            Some("u-deleted"),
            Some(OURS),
            Some("u-alice"),
            Some("alice"),
        );
        assert_eq!(a.attribute(&user, T2025), Attribution::Unknown);
    }

    #[test]
    fn another_identity_store_is_ignored() {
        let s = snapshot();
        let a = Attributor::new(&s);
        let user = r(Some("u-alice"), Some(THEIRS), None, Some("alice"));
        assert_eq!(a.attribute(&user, T2025), Attribution::OtherIdentityStore);
    }

    #[test]
    fn principal_id_counts_only_when_it_is_a_user_id() {
        let s = snapshot();
        let a = Attributor::new(&s);
        assert_eq!(
            a.attribute(&r(None, None, Some("u-bob"), Some("alice")), T2025),
            Attribution::User("u-bob")
        );
        // An account id or an AD SID in principalId falls through to the user name.
        let user = r(None, None, Some("111122223333"), Some("ALICE"));
        assert_eq!(a.attribute(&user, T2025), Attribution::User("u-alice"));
        assert_eq!(
            a.attribute(&r(None, None, Some("111122223333"), None), T2025),
            Attribution::Unknown
        );
    }

    #[test]
    fn user_name_matches_case_insensitively_but_not_before_creation() {
        let s = snapshot();
        let a = Attributor::new(&s);
        let alice = r(None, None, None, Some("aLiCe"));
        assert_eq!(a.attribute(&alice, T2025), Attribution::User("u-alice"));
        let created = 1_704_067_200; // 2024-01-01T00:00:00Z
        assert_eq!(a.attribute(&alice, created), Attribution::User("u-alice"));
        assert_eq!(
            a.attribute(&alice, created - 1),
            Attribution::BeforeUserCreated
        );
        // Without created_at there is nothing to compare against.
        assert_eq!(
            a.attribute(&r(None, None, None, Some("BOB")), 0),
            Attribution::User("u-bob")
        );
        assert_eq!(
            a.attribute(&r(None, None, None, Some("carol")), T2025),
            Attribution::Unknown
        );
    }
}
