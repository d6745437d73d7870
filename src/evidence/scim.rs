//! SCIM group changes. An external identity provider provisions Identity Center over SCIM, and
//! CloudTrail records each call on `identitystore-scim.amazonaws.com`: the request body under
//! `requestParameters.httpBody`, the group under `requestParameters.id` (`PatchGroup`) or
//! `responseElements.id` (`CreateGroup`). AWS's SCIM logging page shows values it deems
//! sensitive replaced by `HIDDEN_DUE_TO_SECURITY_REASONS`, so a membership operation may not
//! say whose membership changed: it becomes one change of unknown members, which the report
//! counts, warns about and judges conservatively, instead of guessing.

use super::changes::{Change, ChangeKind, MemberChange};
use serde_json::Value;

pub(crate) const EVENT_SOURCE: &str = "identitystore-scim.amazonaws.com";

/// The text AWS writes in place of a hidden SCIM value.
const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// The group attributes other than members that Identity Center's PatchGroup accepts.
const OTHER_ATTRIBUTES: [&str; 2] = ["displayname", "externalid"];

/// The membership changes of one SCIM event, each a copy of `base` naming one member, plus one
/// `Unknown` change when a membership operation cannot be read. An event that touches no
/// membership (a rename) gives none.
pub(crate) fn member_changes(base: &Change, group_id: &str, body: Option<&Value>) -> Vec<Change> {
    let mut read = Members::default();
    match (base.kind, body) {
        (ChangeKind::ScimCreateGroup, Some(body)) if body.is_object() => {
            if let Some(members) = field(body, "members") {
                read.list(members, MemberChange::Added);
            }
        }
        (ChangeKind::ScimPatchGroup, Some(body)) => match field(body, "operations") {
            Some(Value::Array(operations)) => operations.iter().for_each(|o| read.operation(o)),
            _ => read.unreadable = true,
        },
        _ => read.unreadable = true,
    }
    let mut changes: Vec<Change> = read
        .found
        .into_iter()
        .map(|(change, user)| member_change(base, group_id, change, user))
        .collect();
    if read.unreadable {
        changes.push(member_change(
            base,
            group_id,
            MemberChange::Unknown,
            String::new(),
        ));
    }
    changes.dedup();
    changes
}

fn member_change(base: &Change, group_id: &str, change: MemberChange, user: String) -> Change {
    Change {
        group_id: group_id.to_owned(),
        member_user_id: user,
        member_change: Some(change),
        ..base.clone()
    }
}

#[derive(Default)]
struct Members {
    found: Vec<(MemberChange, String)>,
    unreadable: bool,
}

impl Members {
    /// One PatchGroup operation: `op` add, remove or replace; `path` `members`, a member filter
    /// (`members[value eq "ID"]`), another attribute, or none (then `value` holds attributes).
    fn operation(&mut self, operation: &Value) {
        let op = field(operation, "op").and_then(Value::as_str);
        let change = match op.map(str::to_ascii_lowercase).as_deref() {
            Some("add") => MemberChange::Added,
            Some("remove") => MemberChange::Removed,
            // Replacing the member list says neither who joined nor who left.
            Some("replace") => MemberChange::Unknown,
            _ => return self.unreadable = true,
        };
        let value = field(operation, "value");
        match field(operation, "path") {
            None => match value {
                Some(attributes @ Value::Object(_)) => {
                    if let Some(members) = field(attributes, "members") {
                        self.list(members, change);
                    }
                }
                _ => self.unreadable = true,
            },
            Some(Value::String(path)) => self.path(path, change, value),
            Some(_) => self.unreadable = true,
        }
    }

    fn path(&mut self, path: &str, change: MemberChange, value: Option<&Value>) {
        let lower = path.trim().to_ascii_lowercase();
        if OTHER_ATTRIBUTES.contains(&lower.as_str()) {
            return;
        }
        if lower == "members" {
            return match value {
                Some(members) => self.list(members, change),
                None => self.unreadable = true,
            };
        }
        match member_filter(path) {
            Some(user) if change != MemberChange::Unknown => self.add(change, user),
            _ => self.unreadable = true,
        }
    }

    /// `[{"value": "USER_ID"}, ...]`; anything else (a hidden value) is unreadable.
    fn list(&mut self, members: &Value, change: MemberChange) {
        if change == MemberChange::Unknown {
            return self.unreadable = true;
        }
        let Value::Array(members) = members else {
            return self.unreadable = true;
        };
        for member in members {
            match field(member, "value").and_then(Value::as_str) {
                Some(user) => self.add(change, user),
                None => self.unreadable = true,
            }
        }
    }

    fn add(&mut self, change: MemberChange, user: &str) {
        let user = user.trim();
        if user.is_empty() || user == HIDDEN {
            self.unreadable = true;
        } else {
            self.found.push((change, user.to_owned()));
        }
    }
}

/// The user of `members[value eq "USER_ID"]`.
fn member_filter(path: &str) -> Option<&str> {
    let (attribute, filter) = path.trim().split_once('[')?;
    if !attribute.trim().eq_ignore_ascii_case("members") {
        return None;
    }
    let filter = filter.strip_suffix(']')?.trim();
    let (name, rest) = filter.split_once(char::is_whitespace)?;
    let (operator, operand) = rest.trim_start().split_once(char::is_whitespace)?;
    let valid = name.eq_ignore_ascii_case("value") && operator.eq_ignore_ascii_case("eq");
    let user = operand.trim().strip_prefix('"')?.strip_suffix('"')?;
    (valid && !user.contains('"')).then_some(user)
}

/// A member of a JSON object by name, ignoring case (SCIM attribute names are
/// case-insensitive, and CloudTrail writes `operations` where the request says `Operations`).
fn field<'v>(object: &'v Value, name: &str) -> Option<&'v Value> {
    object
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(kind: ChangeKind, body: Value) -> Vec<(MemberChange, String)> {
        member_changes(&Change::new(kind, 0), "g-1", Some(&body))
            .into_iter()
            .inspect(|c| assert_eq!(c.group_id, "g-1"))
            .map(|c| (c.member_change.unwrap(), c.member_user_id))
            .collect()
    }

    fn patch(operations: Value) -> Vec<(MemberChange, String)> {
        changes(
            ChangeKind::ScimPatchGroup,
            json!({ "operations": operations }),
        )
    }

    const ADDED: MemberChange = MemberChange::Added;
    const REMOVED: MemberChange = MemberChange::Removed;
    const UNKNOWN: MemberChange = MemberChange::Unknown;

    #[test]
    fn members_added_and_removed_are_read() {
        let read = patch(json!([
            {"op": "add", "path": "members", "value": [{"value": "u-1"}, {"value": "u-2"}]},
            {"op": "Remove", "path": "members[value eq \"u-3\"]"},
            {"op": "REMOVE", "path": "members", "value": [{"value": "u-4"}]},
            {"op": "add", "value": {"members": [{"value": "u-5"}]}},
        ]));
        assert_eq!(
            read,
            [
                (ADDED, "u-1".to_owned()),
                (ADDED, "u-2".to_owned()),
                (REMOVED, "u-3".to_owned()),
                (REMOVED, "u-4".to_owned()),
                (ADDED, "u-5".to_owned()),
            ]
        );
    }

    #[test]
    fn other_attributes_are_no_membership_change() {
        let read = patch(json!([
            {"op": "replace", "path": "displayName", "value": "Admins"},
            {"op": "replace", "value": {"id": "g-1", "displayName": "Group Foo New"}},
        ]));
        assert!(read.is_empty(), "{read:?}");
    }

    #[test]
    fn hidden_or_unreadable_members_are_one_unknown_change() {
        let unknown = vec![(UNKNOWN, String::new())];
        // AWS's published failed PatchGroup: no path, the value hidden.
        let published = json!([{"op": "REMOVE", "value": HIDDEN}]);
        for operations in [
            published,
            json!([{"op": "add", "path": "members", "value": HIDDEN}]),
            json!([{"op": "add", "path": "members", "value": [{"value": HIDDEN}]}]),
            json!([{"op": "replace", "path": "members", "value": [{"value": "u-1"}]}]),
            json!([{"op": "remove", "path": HIDDEN}]),
            json!([{"op": "move", "path": "members"}]),
            json!([{"op": "add", "path": "members", "value": [{"value": 7}]}]),
            json!("not a list"),
        ] {
            assert_eq!(patch(operations.clone()), unknown, "{operations}");
        }
        assert_eq!(
            member_changes(&Change::new(ChangeKind::ScimPatchGroup, 0), "g", None).len(),
            1
        );
        let partly = patch(json!([
            {"op": "add", "path": "members", "value": [{"value": "u-1"}, {"value": HIDDEN}]},
        ]));
        assert_eq!(
            partly,
            [(ADDED, "u-1".to_owned()), (UNKNOWN, String::new())]
        );
    }

    #[test]
    fn a_group_created_with_members_adds_them() {
        let body =
            json!({"displayName": "Group Bar", "members": [{"value": "u-9", "type": "User"}]});
        assert_eq!(
            changes(ChangeKind::ScimCreateGroup, body),
            [(ADDED, "u-9".to_owned())]
        );
        let empty = json!({"displayName": "Group Bar"});
        assert!(changes(ChangeKind::ScimCreateGroup, empty).is_empty());
        let hidden = json!({"displayName": HIDDEN, "members": HIDDEN});
        assert_eq!(
            changes(ChangeKind::ScimCreateGroup, hidden),
            [(UNKNOWN, String::new())]
        );
    }

    #[test]
    fn member_filters_are_parsed_strictly() {
        assert_eq!(member_filter("members[value eq \"u-1\"]"), Some("u-1"));
        assert_eq!(member_filter(" Members[ VALUE  EQ \"u-1\" ] "), Some("u-1"));
        for bad in [
            "members[value ne \"u-1\"]",
            "emails[value eq \"u-1\"]",
            "members[value eq u-1]",
            "members[value eq \"u\"1\"]",
            "members",
        ] {
            assert_eq!(member_filter(bad), None, "{bad}");
        }
    }
}
