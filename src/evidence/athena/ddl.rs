//! `athena-ddl`: a CloudTrail table for an organization trail with partition projection,
//! holding only the columns this report reads (the JSON SerDe skips the rest), so queries
//! scan days of one account and Region and never need `MSCK REPAIR`.

use super::sql::{NameError, TableRef};
use crate::aws::{check_account, check_region};

/// Columns and their Hive types: what the evidence and change queries read, nothing more.
pub const COLUMNS: [(&str, &str); 13] = [
    ("eventversion", "string"),
    (
        "useridentity",
        "struct<type:string,principalid:string,arn:string,accountid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>>",
    ),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("errorcode", "string"),
    ("eventid", "string"),
    ("serviceeventdetails", "string"),
    ("additionaleventdata", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
];

pub struct DdlOptions {
    pub table: TableRef,
    /// The trail's bucket and the path to `AWSLogs/<org id>/`, e.g. `my-trail-bucket/AWSLogs/o-abc123`.
    pub location: String,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// First day of the projection, `yyyy/MM/dd`.
    pub start: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DdlError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(
        "--location {0:?}: expected BUCKET/AWSLogs/o-ORGID (letters, digits, '-', '_', '.', '/')"
    )]
    Location(String),
    #[error("--start {0:?}: expected yyyy/MM/dd")]
    Start(String),
    #[error("--accounts and --regions are required: projection needs to know them")]
    Missing,
}

pub fn create_table(options: &DdlOptions) -> Result<String, DdlError> {
    let location = options
        .location
        .trim_start_matches("s3://")
        .trim_end_matches('/');
    if location.is_empty()
        || !location
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        return Err(DdlError::Location(options.location.clone()));
    }
    if chrono::NaiveDate::parse_from_str(&options.start, "%Y/%m/%d").is_err() {
        return Err(DdlError::Start(options.start.clone()));
    }
    if options.accounts.is_empty() || options.regions.is_empty() {
        return Err(DdlError::Missing);
    }
    options
        .accounts
        .iter()
        .try_for_each(|a| check_account(a).map_err(NameError::from))?;
    options
        .regions
        .iter()
        .try_for_each(|r| check_region(r).map_err(NameError::from))?;
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, kind)| format!("  {name} {kind}"))
        .collect();
    Ok(format!(
        "CREATE EXTERNAL TABLE `{database}`.`{table}` (
{columns}
)
PARTITIONED BY (account string, region string, `timestamp` string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://{location}/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account.type'='enum',
  'projection.account.values'='{accounts}',
  'projection.region.type'='enum',
  'projection.region.values'='{regions}',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.range'='{start},NOW',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'storage.location.template'='s3://{location}/${{account}}/CloudTrail/${{region}}/${{timestamp}}'
);
",
        database = options.table.database,
        table = options.table.table,
        columns = columns.join(",\n"),
        accounts = options.accounts.join(","),
        regions = options.regions.join(","),
        start = options.start,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::athena::table::{shape, Style};
    use aws_sdk_glue::types::{Column, StorageDescriptor, Table};

    fn options() -> DdlOptions {
        DdlOptions {
            table: TableRef::parse("security.idc_trail").unwrap(),
            location: "s3://trail-bucket/AWSLogs/o-abc123/".into(),
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
            start: "2025/01/01".into(),
        }
    }

    #[test]
    fn the_table_projects_account_region_and_day() {
        let ddl = create_table(&options()).unwrap();
        assert!(ddl.starts_with("CREATE EXTERNAL TABLE `security`.`idc_trail` ("));
        assert!(ddl.contains("'storage.location.template'='s3://trail-bucket/AWSLogs/o-abc123/${account}/CloudTrail/${region}/${timestamp}'"));
        assert!(ddl.contains("'projection.account.values'='111122223333'"));
        assert!(ddl.contains("onbehalfof:struct<userid:string,identitystorearn:string>"));
    }

    #[test]
    fn the_tool_reads_the_table_it_proposes() {
        let columns: Vec<Column> = COLUMNS
            .iter()
            .map(|(n, t)| Column::builder().name(*n).r#type(*t).build().unwrap())
            .collect();
        let partition = |n: &str| Column::builder().name(n).r#type("string").build().unwrap();
        let table = Table::builder()
            .name("idc_trail")
            .storage_descriptor(
                StorageDescriptor::builder()
                    .set_columns(Some(columns))
                    .build(),
            )
            .partition_keys(partition("account"))
            .partition_keys(partition("region"))
            .partition_keys(partition("timestamp"))
            .parameters("projection.timestamp.format", "yyyy/MM/dd")
            .build()
            .unwrap();
        let found = shape("security.idc_trail", &table).unwrap();
        assert_eq!(found.user_identity, Style::Struct);
        assert!(found.has_change_columns);
        assert_eq!(found.additional_is_map, Some(false));
        assert!(
            found.partitions.account.is_some()
                && found.partitions.region.is_some()
                && found.partitions.date.is_some()
        );
    }

    #[test]
    fn a_table_without_on_behalf_of_is_refused() {
        let columns: Vec<Column> = COLUMNS
            .iter()
            .map(|(n, t)| {
                let t = if *n == "useridentity" {
                    "struct<type:string,principalid:string,username:string>"
                } else {
                    t
                };
                Column::builder().name(*n).r#type(t).build().unwrap()
            })
            .collect();
        let table = Table::builder()
            .name("old")
            .storage_descriptor(
                StorageDescriptor::builder()
                    .set_columns(Some(columns))
                    .build(),
            )
            .build()
            .unwrap();
        let error = shape("db.old", &table).unwrap_err().to_string();
        assert!(error.contains("no onbehalfof field"), "{error}");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut bad = options();
        bad.location = "trail-bucket'; DROP".into();
        assert!(create_table(&bad).is_err());
        let mut bad = options();
        bad.start = "2025-01-01".into();
        assert!(create_table(&bad).is_err());
        let mut bad = options();
        bad.accounts = vec!["x".into()];
        assert!(create_table(&bad).is_err());
    }
}
