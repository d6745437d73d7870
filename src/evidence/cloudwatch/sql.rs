//! The Logs Insights queries of a report, in OpenSearch SQL (`queryLanguage` `SQL`): the
//! evidence query, aggregated like Lake's, and the access-change query. CloudTrail events in a
//! log group are JSON, and Logs Insights discovers their fields under dotted names
//! (`userIdentity.onBehalfOf.userId`), which SQL quotes with backticks. The log groups are
//! named in the query text (`logGroups(logGroupIdentifier: [...])`); each name or ARN is
//! validated before it gets there.

use crate::evidence::portal_sign_in_sql;
use crate::evidence::query_rows::{change_events_condition, EVENT_JSON_COLUMN};
use chrono::DateTime;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--cloudwatch-log-group {0:?} is not a log group name (letters, digits and . - _ / #, up to 512) or ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME)")]
pub struct LogGroupError(pub String);

/// The most log groups one Logs Insights query can name.
pub const MAX_LOG_GROUPS: usize = 50;

/// A log group, by name (in the Region queried) or by ARN (another account's, shared through
/// cross-account observability).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupRef(String);

impl LogGroupRef {
    pub fn parse(input: &str) -> Result<LogGroupRef, LogGroupError> {
        let name = match input.strip_prefix("arn:") {
            Some(rest) => {
                let parts: Vec<&str> = rest.splitn(6, ':').collect();
                let valid = parts.len() == 6
                    && parts[0].starts_with("aws")
                    && parts[1] == "logs"
                    && parts[4] == "log-group";
                valid
                    .then(|| parts[5])
                    .ok_or_else(|| LogGroupError(input.to_owned()))?
            }
            None => input,
        };
        let valid_name = (1..=512).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b));
        valid_name
            .then(|| LogGroupRef(input.to_owned()))
            .ok_or_else(|| LogGroupError(input.to_owned()))
    }

    /// The name or ARN, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_arn(&self) -> bool {
        self.0.starts_with("arn:")
    }
}

/// Inclusive bounds of a part of the window, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    pub end: i64,
}

impl Range {
    /// The two halves, or None for a range of one second.
    pub fn halves(self) -> Option<(Range, Range)> {
        (self.end > self.start).then(|| {
            let middle = self.start + (self.end - self.start) / 2;
            (
                Range {
                    start: self.start,
                    end: middle,
                },
                Range {
                    start: middle + 1,
                    end: self.end,
                },
            )
        })
    }
}

/// A field every CloudTrail event has.
fn field(path: &str) -> String {
    format!("`{path}`")
}

/// A field that may be missing from every event of the range. What Logs Insights SQL does
/// with such a field is not documented; AWS's recommendations for querying CloudWatch Logs in
/// OpenSearch SQL say to use COALESCE to handle missing columns, so every such field is read
/// through it (a missing field reads as empty text, which the row readers treat as absent).
fn optional(path: &str) -> String {
    format!("COALESCE(`{path}`, '')")
}

fn source(groups: &[LogGroupRef]) -> String {
    let quoted: Vec<String> = groups.iter().map(|g| format!("'{}'", g.as_str())).collect();
    format!("`logGroups(logGroupIdentifier: [{}])`", quoted.join(", "))
}

/// `eventTime` within `range`: CloudTrail writes it as `YYYY-MM-DDTHH:MM:SSZ`, so the text
/// compares in time order.
fn time_filter(range: Range) -> String {
    let text = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .expect("a time within the window")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    format!(
        "`eventTime` >= '{}' AND `eventTime` <= '{}'",
        text(range.start),
        text(range.end)
    )
}

/// The evidence query over `groups` for `range`: the same columns, filter and aggregation as
/// Lake's. The grouping repeats the expressions, the form CloudWatch's own SQL pages show.
pub fn evidence_query(groups: &[LogGroupRef], range: Range) -> String {
    let keys = [
        ("userIdentity.onBehalfOf.userId", "on_behalf_of_user_id"),
        (
            "userIdentity.onBehalfOf.identityStoreArn",
            "identity_store_arn",
        ),
        ("userIdentity.principalId", "principal_id"),
        ("userIdentity.userName", "user_name"),
        ("eventName", "event_name"),
        ("serviceEventDetails.account_id", "account_id"),
        ("serviceEventDetails.role_name", "role_name"),
    ];
    let read = |path: &str| match path {
        "eventName" => field(path),
        _ => optional(path),
    };
    let select: Vec<String> = keys
        .iter()
        .map(|(path, alias)| format!("{} AS {alias}", read(path)))
        .collect();
    let group_by: Vec<String> = keys.iter().map(|(path, _)| read(path)).collect();
    format!(
        "SELECT {select},
       MAX(`eventTime`) AS last_event_time,
       COUNT(DISTINCT `eventID`) AS event_count
FROM {source}
WHERE {time}
  AND {error} = ''
  AND ((`eventSource` = 'sso.amazonaws.com' AND `eventName` IN ('Federate', 'GetRoleCredentials'))
    OR (`eventSource` = 'signin.amazonaws.com' AND `eventName` = 'UserAuthentication'
        AND {outcome} = 'Success'
        AND {portal}))
GROUP BY {group_by}",
        error = optional("errorCode"),
        outcome = optional("serviceEventDetails.UserAuthentication"),
        portal = portal_sign_in_sql(
            &optional("userIdentity.onBehalfOf.userId"),
            &optional("additionalEventData.LoginTo")
        ),
        select = select.join(",\n       "),
        source = source(groups),
        time = time_filter(range),
        group_by = group_by.join(", "),
    )
}

/// The access-change query over `groups` for `range`: one row per change event, the whole
/// event (`@message`), read by the log reader's rules. Logs Insights discovers scalar fields
/// only, and a SCIM event's members are in a list; and the query names no field an event may
/// lack.
pub fn change_query(groups: &[LogGroupRef], range: Range) -> String {
    format!(
        "SELECT `@message` AS {EVENT_JSON_COLUMN}
FROM {source}
WHERE {time}
  AND {filter}",
        source = source(groups),
        time = time_filter(range),
        filter = change_events_condition(&field),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns_are_validated() {
        assert!(LogGroupRef::parse("aws-controltower/CloudTrailLogs").is_ok());
        let arn = "arn:aws:logs:us-east-1:111122223333:log-group:org/trail";
        assert!(LogGroupRef::parse(arn).unwrap().is_arn());
        for bad in [
            "",
            "a'b",
            "a`b",
            "a b",
            "arn:aws:logs:us-east-1:1:log-group:x:*",
            "arn:aws:s3:::bucket",
        ] {
            assert!(LogGroupRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn halves_cover_the_range_without_overlap() {
        let (a, b) = Range { start: 10, end: 21 }.halves().unwrap();
        assert_eq!(
            (a, b),
            (Range { start: 10, end: 15 }, Range { start: 16, end: 21 })
        );
        assert!(Range { start: 5, end: 5 }.halves().is_none());
    }

    #[test]
    fn the_query_names_the_groups_and_bounds_event_time() {
        let groups = [
            LogGroupRef::parse("a/b").unwrap(),
            LogGroupRef::parse("c").unwrap(),
        ];
        let sql = evidence_query(
            &groups,
            Range {
                start: 0,
                end: 86_400,
            },
        );
        assert!(sql.contains("FROM `logGroups(logGroupIdentifier: ['a/b', 'c'])`"));
        assert!(sql.contains(
            "`eventTime` >= '1970-01-01T00:00:00Z' AND `eventTime` <= '1970-01-02T00:00:00Z'"
        ));
        assert!(
            sql.contains("COALESCE(`userIdentity.onBehalfOf.userId`, '') AS on_behalf_of_user_id")
        );
        let changes = change_query(&groups, Range { start: 0, end: 1 });
        assert!(changes.starts_with("SELECT `@message` AS event_json"));
        assert!(changes.contains("'PatchGroup'"));
    }
}
