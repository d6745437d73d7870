//! The two SQL statements the tool sends to CloudTrail Lake (the evidence, the access
//! changes), and the validation of the only outside value in them, the event data store id.
//!
//! The query is bounded by `eventTime` (Lake bills per byte scanned in the window), reads
//! only the columns the evidence rules need, and aggregates in SQL, so the rows returned grow
//! with the (user, account, permission set) keys in use, not with events. It stays in the
//! subset of SQL that Lake (Trino) and DuckDB (the test emulator) share.

use crate::evidence::{portal_sign_in_sql, Window};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--event-data-store {0:?} is not an event data store id or ARN (expected letters, digits and '-', or arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID)")]
pub struct StoreIdError(pub String);

/// An event data store, as given: the id for the query, the ARN (if given) for API calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRef {
    pub id: String,
    pub arn: Option<String>,
}

impl StoreRef {
    /// Accepts an id or an ARN; an ARN is reduced to its id for the query.
    pub fn parse(input: &str) -> Result<StoreRef, StoreIdError> {
        let error = || StoreIdError(input.to_owned());
        let (id, arn) = match input.strip_prefix("arn:") {
            Some(rest) => {
                let parts: Vec<&str> = rest.splitn(5, ':').collect();
                let valid =
                    parts.len() == 5 && parts[0].starts_with("aws") && parts[1] == "cloudtrail";
                let id = parts
                    .get(4)
                    .and_then(|r| r.strip_prefix("eventdatastore/"))
                    .filter(|_| valid)
                    .ok_or_else(error)?;
                (id, Some(input.to_owned()))
            }
            None => (input, None),
        };
        let well_formed = (1..=128).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !well_formed {
            return Err(error());
        }
        Ok(StoreRef {
            id: id.to_owned(),
            arn,
        })
    }

    /// What the CloudTrail APIs take as `EventDataStore`.
    pub fn api_name(&self) -> &str {
        self.arn.as_deref().unwrap_or(&self.id)
    }
}

use crate::evidence::query_rows::{
    change_events_filter, change_select, lowercase_column, ChangeFields,
};

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("timestamp '%Y-%m-%d %H:%M:%S'").to_string()
}

/// The evidence query for `window` over `store`.
pub(crate) fn evidence_query(store: &StoreRef, window: &Window) -> String {
    format!(
        "SELECT userIdentity.onBehalfOf.userId AS on_behalf_of_user_id,
       userIdentity.onBehalfOf.identityStoreArn AS identity_store_arn,
       userIdentity.principalId AS principal_id,
       userIdentity.userName AS user_name,
       eventName AS event_name,
       element_at(serviceEventDetails, 'account_id') AS account_id,
       element_at(serviceEventDetails, 'role_name') AS role_name,
       max(eventTime) AS last_event_time,
       count(DISTINCT eventID) AS event_count
FROM {id}
WHERE eventTime >= {start} AND eventTime <= {end}
  AND (errorCode IS NULL OR errorCode = '')
  AND ((eventSource = 'sso.amazonaws.com' AND eventName IN ('Federate', 'GetRoleCredentials'))
    OR (eventSource = 'signin.amazonaws.com' AND eventName = 'UserAuthentication'
        AND element_at(serviceEventDetails, 'UserAuthentication') = 'Success'
        AND {portal}))
GROUP BY 1, 2, 3, 4, 5, 6, 7",
        portal = portal_sign_in_sql(
            "userIdentity.onBehalfOf.userId",
            "element_at(additionalEventData, 'LoginTo')"
        ),
        id = store.id,
        start = timestamp(window.start()),
        end = timestamp(window.as_of),
    )
}

/// The access-change query for `window` over `store`: the change events, one row each,
/// only the columns a change needs, bounded by the same window.
pub(crate) fn change_query(store: &StoreRef, window: &Window) -> String {
    // Lake's free-form objects are `map<string,string>`: a nested object (`memberId`) is
    // held as its JSON text.
    let identity = |path: &str| format!("userIdentity.{path}");
    let request = |path: &str| map_field("requestParameters", path);
    let response = |path: &str| map_field("responseElements", path);
    let fields = ChangeFields {
        column: &lowercase_column,
        identity: &identity,
        request: &request,
        response: &response,
        request_object: &request,
    };
    format!(
        "SELECT {select}
FROM {id}
WHERE eventTime >= {start} AND eventTime <= {end}
  AND {filter}",
        select = change_select(&fields),
        filter = change_events_filter(&lowercase_column),
        id = store.id,
        start = timestamp(window.start()),
        end = timestamp(window.as_of),
    )
}

fn map_field(column: &str, path: &str) -> String {
    match path.split_once('.') {
        None => format!("element_at({column}, '{path}')"),
        Some((key, rest)) => {
            format!("json_extract_scalar(element_at({column}, '{key}'), '$.{rest}')")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::query_rows::COLUMNS;

    #[test]
    fn ids_and_arns_are_accepted() {
        let id = "EXAMPLE-ee54-4813-92d5-999aeEXAMPLE";
        assert_eq!(
            StoreRef::parse(id).unwrap(),
            StoreRef {
                id: id.into(),
                arn: None
            }
        );
        let arn = format!("arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/{id}");
        let parsed = StoreRef::parse(&arn).unwrap();
        assert_eq!((parsed.id.as_str(), parsed.api_name()), (id, arn.as_str()));
        assert!(StoreRef::parse(&format!(
            "arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:eventdatastore/{id}"
        ))
        .is_ok());
    }

    #[test]
    fn anything_that_could_change_the_query_is_refused() {
        for bad in [
            "",
            "abc def",
            "abc'; DROP TABLE x; --",
            "abc)--",
            "a/b",
            "arn:aws:s3:::bucket/eventdatastore/abc",
            "arn:aws:cloudtrail:us-east-1:1:trail/abc",
            "arn:aws:cloudtrail:us-east-1:1:eventdatastore/ab'c",
            &"a".repeat(129),
        ] {
            assert!(StoreRef::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn the_query_is_bounded_by_the_window() {
        let window = Window::new("2026-11-22T00:00:00Z".parse().unwrap(), 90).unwrap();
        let sql = evidence_query(&StoreRef::parse("eds-1").unwrap(), &window);
        assert!(sql.contains("FROM eds-1\n"));
        assert!(sql.contains("eventTime >= timestamp '2026-08-24 00:00:00' AND eventTime <= timestamp '2026-11-22 00:00:00'"));
        for column in COLUMNS {
            assert!(sql.contains(&format!("AS {column}")), "{column}");
        }
    }

    #[test]
    fn the_change_query_is_bounded_and_reads_only_change_columns() {
        let window = Window::new("2026-11-22T00:00:00Z".parse().unwrap(), 90).unwrap();
        let sql = change_query(&StoreRef::parse("eds-1").unwrap(), &window);
        assert!(sql.contains("FROM eds-1\n"));
        assert!(sql.contains("eventTime >= timestamp '2026-08-24 00:00:00' AND eventTime <= timestamp '2026-11-22 00:00:00'"));
        for column in crate::evidence::query_rows::CHANGE_COLUMNS {
            assert!(sql.contains(&format!("AS {column}")), "{column}");
        }
        assert!(sql.contains(
            "json_extract_scalar(element_at(requestParameters, 'memberId'), '$.userId') AS member_user_id"
        ));
        assert!(!sql.contains('*'));
    }
}
