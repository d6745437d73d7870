//! The Athena queries of a report (the evidence, then the access changes): the same as
//! CloudTrail Lake's, for the table's style, bounded by `eventtime` and, when the table is partitioned, by its partitions (so
//! that a run scans days of the Identity Center account and Region, not all history).
//! Only validated names and tool-formatted values reach the text.

use super::table::{Style, TableShape};
use crate::aws::InvalidName;
use crate::evidence::query_rows::{
    change_events_filter, change_select, lowercase_column, ChangeFields,
};
use crate::evidence::{portal_sign_in_sql, Window};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("--athena-table {0:?} must be DATABASE.TABLE, each of letters, digits and '_'")]
    Table(String),
    #[error(transparent)]
    Name(#[from] InvalidName),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    pub database: String,
    pub table: String,
}

impl TableRef {
    pub fn parse(input: &str) -> Result<TableRef, NameError> {
        let valid = |s: &str| {
            (1..=255).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        match input.split_once('.') {
            Some((database, table)) if valid(database) && valid(table) => Ok(TableRef {
                database: database.to_ascii_lowercase(),
                table: table.to_ascii_lowercase(),
            }),
            _ => Err(NameError::Table(input.to_owned())),
        }
    }
}

/// Which partitions to read, beyond the window's days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table's user identity field at `json_path` (the event's camelCase path).
fn identity_field(shape: &TableShape, json_path: &str) -> String {
    match shape.user_identity {
        Style::Struct => format!("useridentity.{}", json_path.to_ascii_lowercase()),
        Style::JsonText => format!("json_extract_scalar(useridentity, '$.{json_path}')"),
    }
}

/// The conditions every query of the report shares: the window, and the partitions that
/// hold it.
fn window_filters(shape: &TableShape, window: &Window, scope: &Scope) -> Vec<String> {
    let mut filters = vec![format!(
        "eventtime >= '{}' AND eventtime <= '{}'",
        window.start().format("%Y-%m-%dT%H:%M:%SZ"),
        window.as_of.format("%Y-%m-%dT%H:%M:%SZ")
    )];
    let parts = &shape.partitions;
    if let Some((column, format)) = &parts.date {
        filters.push(format!(
            "\"{column}\" BETWEEN '{}' AND '{}'",
            window.start().format(format),
            window.as_of.format(format)
        ));
    }
    if let (Some(column), false) = (&parts.account, scope.accounts.is_empty()) {
        filters.push(format!(
            "\"{column}\" IN ({})",
            quoted_list(&scope.accounts)
        ));
    }
    if let (Some(column), false) = (&parts.region, scope.regions.is_empty()) {
        filters.push(format!("\"{column}\" IN ({})", quoted_list(&scope.regions)));
    }
    filters
}

pub fn evidence_query(
    table: &TableRef,
    shape: &TableShape,
    window: &Window,
    scope: &Scope,
) -> String {
    let identity = |json_path: &str| identity_field(shape, json_path);
    let detail = |key: &str| match shape.details_is_map {
        true => format!("element_at(serviceeventdetails, '{key}')"),
        false => format!("json_extract_scalar(serviceeventdetails, '$.{key}')"),
    };
    let filters = window_filters(shape, window, scope);
    // Without additionaleventdata no sign-in can be checked (the source warns instead).
    let login_to = shape.additional_is_map.map(|is_map| match is_map {
        true => "element_at(additionaleventdata, 'LoginTo')",
        false => "json_extract_scalar(additionaleventdata, '$.LoginTo')",
    });
    let portal = login_to.map_or_else(
        || "TRUE".to_owned(),
        |login_to| portal_sign_in_sql(&identity("onBehalfOf.userId"), login_to),
    );
    format!(
        "SELECT {obo_user} AS on_behalf_of_user_id,
       {obo_store} AS identity_store_arn,
       {principal} AS principal_id,
       {user_name} AS user_name,
       eventname AS event_name,
       {account} AS account_id,
       {role} AS role_name,
       max(eventtime) AS last_event_time,
       count(DISTINCT eventid) AS event_count
FROM \"{database}\".\"{table}\"
WHERE {filters}
  AND (errorcode IS NULL OR errorcode = '')
  AND ((eventsource = 'sso.amazonaws.com' AND eventname IN ('Federate', 'GetRoleCredentials'))
    OR (eventsource = 'signin.amazonaws.com' AND eventname = 'UserAuthentication'
        AND {outcome} = 'Success'
        AND {portal}))
GROUP BY 1, 2, 3, 4, 5, 6, 7",
        obo_user = identity("onBehalfOf.userId"),
        obo_store = identity("onBehalfOf.identityStoreArn"),
        principal = identity("principalId"),
        user_name = identity("userName"),
        account = detail("account_id"),
        role = detail("role_name"),
        outcome = detail("UserAuthentication"),
        database = table.database,
        table = table.table,
        filters = filters.join("\n  AND "),
    )
}

/// The access-change query: the change events in the window, one row each, only the
/// columns a change needs, pruned like the evidence query. `requestparameters` and
/// `responseelements` are JSON text in both table styles.
pub fn change_query(
    table: &TableRef,
    shape: &TableShape,
    window: &Window,
    scope: &Scope,
) -> String {
    let identity = |json_path: &str| identity_field(shape, json_path);
    let request = |path: &str| format!("json_extract_scalar(requestparameters, '$.{path}')");
    let response = |path: &str| format!("json_extract_scalar(responseelements, '$.{path}')");
    let object = |path: &str| format!("json_format(json_extract(requestparameters, '$.{path}'))");
    let fields = ChangeFields {
        column: &lowercase_column,
        identity: &identity,
        request: &request,
        response: &response,
        request_object: &object,
    };
    format!(
        "SELECT {select}
FROM \"{database}\".\"{table}\"
WHERE {filters}
  AND {filter}",
        select = change_select(&fields),
        filter = change_events_filter(&lowercase_column),
        database = table.database,
        table = table.table,
        filters = window_filters(shape, window, scope).join("\n  AND "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::athena::table::Partitions;

    fn window() -> Window {
        Window::new("2026-11-22T00:00:00Z".parse().unwrap(), 90).unwrap()
    }

    #[test]
    fn names_are_validated() {
        assert_eq!(
            TableRef::parse("Default.CloudTrail_Logs").unwrap().table,
            "cloudtrail_logs"
        );
        for bad in ["nodot", "a.b.c", "a;.b", "a.b'--", ".b", "a."] {
            assert!(TableRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn both_styles_read_the_same_fields() {
        let mut shape = TableShape {
            user_identity: Style::Struct,
            details_is_map: false,
            additional_is_map: Some(false),
            partitions: Partitions::default(),
            has_change_columns: true,
        };
        let table = TableRef::parse("db.t").unwrap();
        let sql = evidence_query(&table, &shape, &window(), &Scope::default());
        assert!(sql.contains("useridentity.onbehalfof.userid AS on_behalf_of_user_id"));
        assert!(
            sql.contains("json_extract_scalar(serviceeventdetails, '$.role_name') AS role_name")
        );
        assert!(sql.contains(
            "eventtime >= '2026-08-24T00:00:00Z' AND eventtime <= '2026-11-22T00:00:00Z'"
        ));
        shape.user_identity = Style::JsonText;
        let sql = evidence_query(&table, &shape, &window(), &Scope::default());
        assert!(sql.contains(
            "json_extract_scalar(useridentity, '$.onBehalfOf.userId') AS on_behalf_of_user_id"
        ));
    }

    #[test]
    fn partitions_prune_to_the_window_account_and_region() {
        let shape = TableShape {
            user_identity: Style::Struct,
            details_is_map: false,
            additional_is_map: Some(false),
            partitions: Partitions {
                account: Some("account".into()),
                region: Some("region".into()),
                date: Some(("timestamp".into(), "%Y/%m/%d".into())),
            },
            has_change_columns: true,
        };
        let scope = Scope {
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
        };
        let sql = evidence_query(&TableRef::parse("db.t").unwrap(), &shape, &window(), &scope);
        assert!(
            sql.contains("\"timestamp\" BETWEEN '2026/08/24' AND '2026/11/22'"),
            "{sql}"
        );
        assert!(sql.contains("\"account\" IN ('111122223333')"));
        assert!(sql.contains("\"region\" IN ('us-east-1', 'eu-west-1')"));
        let unscoped = evidence_query(
            &TableRef::parse("db.t").unwrap(),
            &shape,
            &window(),
            &Scope::default(),
        );
        assert!(!unscoped.contains("\"account\" IN"));
    }
}
