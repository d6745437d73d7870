//! What a CloudTrail table in the Glue Data Catalog looks like, from `GetTable`: which of the
//! two styles in the wild (AWS's DDL with `useridentity` a struct, or every column a JSON
//! string), and which partitions can prune the scan.

use aws_sdk_glue::types::Table;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `useridentity struct<..., onbehalfof:struct<userid, identitystorearn>>`.
    Struct,
    /// `useridentity string` holding the event's JSON, read with `json_extract_scalar`.
    JsonText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    pub user_identity: Style,
    /// `serviceeventdetails` as a map (else JSON text).
    pub details_is_map: bool,
    /// `additionaleventdata` (its `LoginTo` tells a portal sign-in) as a map (`Some(true)`) or
    /// JSON text (`Some(false)`); `None` when the table lacks it.
    pub additional_is_map: Option<bool>,
    pub partitions: Partitions,
    /// Whether the table has the columns the access changes need ([`CHANGE_COLUMNS`]), all
    /// JSON text.
    pub has_change_columns: bool,
}

/// The columns the change query reads besides the evidence query's.
pub(crate) const CHANGE_COLUMNS: [&str; 4] = [
    "awsregion",
    "sourceipaddress",
    "requestparameters",
    "responseelements",
];

/// Partition columns the query can restrict, when the table has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partitions {
    pub account: Option<String>,
    pub region: Option<String>,
    /// The date column and its chrono format (from `projection.<col>.format`).
    pub date: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("table {0} has no column {1}: is it a CloudTrail table?")]
    MissingColumn(String, &'static str),
    #[error("table {0}: useridentity has no onbehalfof field, so events since 2025-07 (which name users only there) cannot be attributed and every user would look unused. Recreate the table with the DDL from `idc-credential-report athena-ddl`")]
    NoOnBehalfOf(String),
    #[error("table {0}: column {1} has type {2}, which this tool does not read")]
    UnsupportedType(String, &'static str, String),
}

pub(crate) fn shape(name: &str, table: &Table) -> Result<TableShape, TableError> {
    let columns = table
        .storage_descriptor
        .as_ref()
        .and_then(|s| s.columns.as_deref())
        .unwrap_or_default();
    let type_of = |column: &'static str| {
        columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column))
            .map(|c| {
                c.r#type
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .replace(' ', "")
            })
            .ok_or_else(|| TableError::MissingColumn(name.to_owned(), column))
    };
    let identity = type_of("useridentity")?;
    let user_identity = if identity == "string" {
        Style::JsonText
    } else if identity.starts_with("struct<") {
        let has_on_behalf_of = identity.contains("onbehalfof:struct<")
            && identity.contains("userid:")
            && identity.contains("identitystorearn:");
        if !has_on_behalf_of {
            return Err(TableError::NoOnBehalfOf(name.to_owned()));
        }
        Style::Struct
    } else {
        return Err(TableError::UnsupportedType(
            name.to_owned(),
            "useridentity",
            identity,
        ));
    };
    // JSON text (AWS's DDL) or a map<string,string>: the two forms in the wild.
    let is_map = |column: &'static str| -> Result<bool, TableError> {
        match type_of(column)?.as_str() {
            "string" => Ok(false),
            t if t.starts_with("map<string,string>") => Ok(true),
            t => Err(TableError::UnsupportedType(
                name.to_owned(),
                column,
                t.to_owned(),
            )),
        }
    };
    let details_is_map = is_map("serviceeventdetails")?;
    // Tables from this tool's earlier DDL lack it: then portal sign-ins go unchecked, with a warning.
    let additional_is_map = match type_of("additionaleventdata") {
        Ok(_) => Some(is_map("additionaleventdata")?),
        Err(_) => None,
    };
    let event_time = type_of("eventtime")?;
    if event_time != "string" {
        return Err(TableError::UnsupportedType(
            name.to_owned(),
            "eventtime",
            event_time,
        ));
    }
    let has_change_columns = CHANGE_COLUMNS
        .iter()
        .all(|column| type_of(column).is_ok_and(|t| t == "string"));
    Ok(TableShape {
        user_identity,
        details_is_map,
        additional_is_map,
        partitions: partitions(table),
        has_change_columns,
    })
}

fn partitions(table: &Table) -> Partitions {
    let mut found = Partitions::default();
    let parameters = table.parameters.as_ref();
    for key in table.partition_keys.as_deref().unwrap_or_default() {
        let name = key.name.to_ascii_lowercase();
        match name.as_str() {
            "account" | "accountid" | "account_id" => found.account = Some(name),
            "region" => found.region = Some(name),
            "timestamp" | "date" | "dt" | "day" => {
                let format = parameters
                    .and_then(|p| p.get(&format!("projection.{name}.format")))
                    .map(String::as_str)
                    .unwrap_or("yyyy/MM/dd");
                if let Some(format) = chrono_format(format) {
                    found.date = Some((name, format));
                }
            }
            _ => {}
        }
    }
    found
}

/// The Java date formats partition projection uses for days, as chrono formats.
fn chrono_format(java: &str) -> Option<String> {
    match java {
        "yyyy/MM/dd" => Some("%Y/%m/%d".into()),
        "yyyy-MM-dd" => Some("%Y-%m-%d".into()),
        "yyyyMMdd" => Some("%Y%m%d".into()),
        _ => None,
    }
}
