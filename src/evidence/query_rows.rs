//! Rows of the evidence query (CloudTrail Lake, Athena, CloudWatch Logs) into [`Evidence`], by the same rules
//! the log reader applies to single events. Each row is one evidence key: the user as the
//! events named them, the event name, account and role, the latest time and the event count.
//! The change query's rows are single change events, read into [`Change`]s.

use super::changes::{normalize, Actor, Change, ChangeKind};
use super::event::{observe, parse_event_time, use_kind, Observation};
use super::scim;
use super::{Evidence, SourceInfo, UsageKey, UseKind, UserRef};
use std::collections::{BTreeMap, HashMap};

/// The columns of the evidence query's result, in order (the tests hold each query to it).
#[cfg(test)]
pub(crate) const COLUMNS: [&str; 9] = [
    "on_behalf_of_user_id",
    "identity_store_arn",
    "principal_id",
    "user_name",
    "event_name",
    "account_id",
    "role_name",
    "last_event_time",
    "event_count",
];

/// A result row that cannot be read: the run stops rather than drop evidence silently.
#[derive(Debug, thiserror::Error)]
#[error("query {query} returned a row whose {column} cannot be read ({value:?}); the row: {row:?}. Evidence is never dropped silently: run the report again, and if the row comes back, look at the query in the service's console")]
pub struct RowError {
    /// The id of the query (or queries) the row came from.
    pub query: String,
    pub column: &'static str,
    pub value: String,
    /// The row, sorted by column.
    pub row: BTreeMap<String, String>,
}

impl RowError {
    fn new(query: &str, column: &'static str, row: HashMap<String, String>) -> RowError {
        RowError {
            query: query.to_owned(),
            column,
            value: row.get(column).cloned().unwrap_or_default(),
            row: row.into_iter().collect(),
        }
    }
}

/// Turns the rows of `query` into evidence by the same rules the log reader applies to events.
pub(crate) fn evidence_from_rows(
    rows: Vec<HashMap<String, String>>,
    query: &str,
    mut info: SourceInfo,
) -> Result<Evidence, RowError> {
    let mut evidence = Evidence::default();
    for row in rows {
        let text = |column: &str| {
            row.get(column)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let event_name = text("event_name").unwrap_or_default();
        let source = if event_name == "UserAuthentication" {
            "signin.amazonaws.com"
        } else {
            "sso.amazonaws.com"
        };
        // The query asks for the use events only: another name means a row it cannot be.
        let Some(kind) = use_kind(source, event_name) else {
            return Err(RowError::new(query, "event_name", row));
        };
        let (account_id, role_name) = match (kind, text("account_id"), text("role_name")) {
            (UseKind::PortalSignIn, _, _) => (String::new(), String::new()),
            (_, Some(account), Some(role)) => (account.to_owned(), role.to_owned()),
            // Application sign-ins carry no account and role: not an assignment use.
            _ => continue,
        };
        let user = UserRef {
            on_behalf_of_user_id: text("on_behalf_of_user_id").map(str::to_owned),
            identity_store_arn: text("identity_store_arn").map(str::to_owned),
            principal_id: text("principal_id").map(str::to_owned),
            user_name: text("user_name").map(str::to_owned),
        };
        if user.is_empty() {
            continue;
        }
        let time = text("last_event_time").and_then(parse_event_time);
        let count = text("event_count").and_then(|c| c.parse::<u64>().ok());
        let (Some(time), Some(count)) = (time, count) else {
            let column = match time {
                None => "last_event_time",
                Some(_) => "event_count",
            };
            return Err(RowError::new(query, column, row));
        };
        info.evidence_events += count;
        match kind {
            UseKind::Console => info.console_events += count,
            UseKind::Cli => info.cli_events += count,
            UseKind::PortalSignIn => info.portal_sign_in_events += count,
        }
        evidence.record(
            UsageKey {
                user,
                kind,
                account_id,
                role_name,
            },
            time,
        );
    }
    evidence.source = info;
    Ok(evidence)
}

/// The columns of the change query's result (CloudTrail Lake, Athena), in order (the tests
/// hold each query to it).
#[cfg(test)]
pub(crate) const CHANGE_COLUMNS: [&str; 18] = [
    "event_time",
    "event_source",
    "event_name",
    "event_id",
    "aws_region",
    "source_ip_address",
    "actor_arn",
    "actor_on_behalf_of_user_id",
    "actor_identity_store_arn",
    "instance_arn",
    "account_id",
    "target_type",
    "permission_set_arn",
    "principal_type",
    "principal_id",
    "identity_store_id",
    "group_id",
    "member_user_id",
];

/// The change query's membership id column: the request's, else the response's.
pub(crate) const MEMBERSHIP_ID_COLUMN: &str = "membership_id";

/// SCIM events' group: `id` of the request, else of the response.
const SCIM_GROUP_COLUMN: &str = "scim_group_id";
/// SCIM events' request body, as JSON text.
const SCIM_BODY_COLUMN: &str = "scim_body";

/// Turns the change query's rows into changes, as the log reader reads the same events.
pub(crate) fn changes_from_rows(
    rows: Vec<HashMap<String, String>>,
    query: &str,
) -> Result<Vec<Change>, RowError> {
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |column: &str| row.get(column).cloned().unwrap_or_default();
        let Some(kind) = ChangeKind::of_event(&text("event_source"), &text("event_name")) else {
            let column = match ChangeKind::ALL
                .iter()
                .any(|k| k.event_name() == text("event_name"))
            {
                true => "event_source",
                false => "event_name",
            };
            return Err(RowError::new(query, column, row));
        };
        let Some(time) = row.get("event_time").and_then(|t| parse_event_time(t)) else {
            return Err(RowError::new(query, "event_time", row));
        };
        let mut change = Change::new(kind, time);
        change.event_id = text("event_id");
        change.aws_region = text("aws_region");
        change.source_ip_address = text("source_ip_address");
        change.actor = Actor {
            arn: text("actor_arn"),
            on_behalf_of_user_id: text("actor_on_behalf_of_user_id"),
            identity_store_arn: text("actor_identity_store_arn"),
        };
        change.instance_arn = text("instance_arn");
        change.account_id = text("account_id");
        change.target_type = text("target_type");
        change.permission_set_arn = text("permission_set_arn");
        change.principal_type = text("principal_type");
        change.principal_id = text("principal_id");
        change.identity_store_id = text("identity_store_id");
        change.group_id = text("group_id");
        change.member_user_id = text("member_user_id");
        change.membership_id = text(MEMBERSHIP_ID_COLUMN);
        if kind.is_scim() {
            let body = serde_json::from_str(&text(SCIM_BODY_COLUMN)).ok();
            let group_id = text(SCIM_GROUP_COLUMN);
            changes.extend(scim::member_changes(&change, &group_id, body.as_ref()));
        } else {
            changes.push(change);
        }
    }
    Ok(normalize(changes))
}

/// The change query's rows when each is a whole event (`event_json`, as Logs Insights'
/// `@message` holds it), read by the log reader's own rules.
pub(crate) fn changes_from_events(
    rows: Vec<HashMap<String, String>>,
    query: &str,
) -> Result<Vec<Change>, RowError> {
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let json = row.get(EVENT_JSON_COLUMN).map(String::as_str).unwrap_or("");
        match observe(json.as_bytes()) {
            Ok(Some(Observation::Changes(found))) => changes.extend(found),
            // The query asks for change events only; a failed one is no change.
            Ok(Some(Observation::Failed) | None) => {}
            Ok(Some(Observation::Use { .. })) | Err(_) => {
                return Err(RowError::new(query, EVENT_JSON_COLUMN, row))
            }
        }
    }
    Ok(normalize(changes))
}

/// The column of a change query that returns whole events.
pub(crate) const EVENT_JSON_COLUMN: &str = "event_json";

/// How one SQL dialect (Lake's schema, an Athena table's style, Logs Insights' discovered
/// fields) reads the fields of the change query; each takes the field's path in the event's
/// JSON (`eventTime`, `onBehalfOf.userId`).
pub(crate) struct ChangeFields<'a> {
    /// A top-level field of the event.
    pub column: &'a dyn Fn(&str) -> String,
    pub identity: &'a dyn Fn(&str) -> String,
    pub request: &'a dyn Fn(&str) -> String,
    pub response: &'a dyn Fn(&str) -> String,
    /// The JSON text of an object in the request parameters (`httpBody`).
    pub request_object: &'a dyn Fn(&str) -> String,
}

/// The change query's select list, columns in `CHANGE_COLUMNS` order, then the membership id.
pub(crate) fn change_select(fields: &ChangeFields) -> String {
    let request_keys = [
        ("instanceArn", "instance_arn"),
        ("targetId", "account_id"),
        ("targetType", "target_type"),
        ("permissionSetArn", "permission_set_arn"),
        ("principalType", "principal_type"),
        ("principalId", "principal_id"),
        ("identityStoreId", "identity_store_id"),
        ("groupId", "group_id"),
        ("memberId.userId", "member_user_id"),
    ];
    let top_level = [
        ("eventTime", "event_time"),
        ("eventSource", "event_source"),
        ("eventName", "event_name"),
        ("eventID", "event_id"),
        ("awsRegion", "aws_region"),
        ("sourceIPAddress", "source_ip_address"),
    ];
    let mut items: Vec<String> = top_level
        .iter()
        .map(|(name, alias)| format!("{} AS {alias}", (fields.column)(name)))
        .collect();
    items.extend([
        format!("{} AS actor_arn", (fields.identity)("arn")),
        format!(
            "{} AS actor_on_behalf_of_user_id",
            (fields.identity)("onBehalfOf.userId")
        ),
        format!(
            "{} AS actor_identity_store_arn",
            (fields.identity)("onBehalfOf.identityStoreArn")
        ),
    ]);
    items.extend(
        request_keys
            .iter()
            .map(|(path, alias)| format!("{} AS {alias}", (fields.request)(path))),
    );
    items.push(format!(
        "coalesce({}, {}) AS {MEMBERSHIP_ID_COLUMN}",
        (fields.request)("membershipId"),
        (fields.response)("membershipId")
    ));
    items.push(format!(
        "coalesce({}, {}) AS {}",
        (fields.request)("id"),
        (fields.response)("id"),
        SCIM_GROUP_COLUMN
    ));
    items.push(format!(
        "{} AS {}",
        (fields.request_object)("httpBody"),
        SCIM_BODY_COLUMN
    ));
    items.join(",\n       ")
}

/// The change query's condition on the events, after the window: the change events that
/// succeeded, with top-level fields written by `column`.
pub(crate) fn change_events_filter(column: &dyn Fn(&str) -> String) -> String {
    let error = column("errorCode");
    format!(
        "({error} IS NULL OR {error} = '')
  AND {}",
        change_events_condition(column)
    )
}

/// The change events, by source and name, with top-level fields written by `column`.
pub(crate) fn change_events_condition(column: &dyn Fn(&str) -> String) -> String {
    let (source, name) = (column("eventSource"), column("eventName"));
    let mut by_source: Vec<(&str, Vec<&str>)> = Vec::new();
    for kind in ChangeKind::ALL {
        match by_source
            .iter_mut()
            .find(|(s, _)| *s == kind.event_source())
        {
            Some((_, names)) => names.push(kind.event_name()),
            None => by_source.push((kind.event_source(), vec![kind.event_name()])),
        }
    }
    let alternatives: Vec<String> = by_source
        .iter()
        .map(|(event_source, names)| {
            let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!(
                "({source} = '{event_source}'
        AND {name} IN ({}))",
                names.join(", ")
            )
        })
        .collect();
    format!("({})", alternatives.join("\n    OR "))
}

/// Lake's and Athena's way of naming a top-level field: lower case (Athena's columns are;
/// Lake's are case-insensitive).
pub(crate) fn lowercase_column(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
#[path = "query_rows_tests.rs"]
mod tests;
