//! Evidence from Athena over the organization trail in S3 (for organizations without
//! CloudTrail Lake): Glue `GetTable` to learn the table's style and partitions, then one
//! aggregated, partition-pruned query, read into the same [`Evidence`] as every source, and
//! one more, as pruned, for the access changes.

pub mod ddl;
pub mod sql;
pub(crate) mod table;

use super::query::{run_query, Poll, QueryError, QueryService, Row};
use super::query_rows::{changes_from_rows, evidence_from_rows, RowError};
use super::{Evidence, QueryRecord, SourceInfo, SourceWarning, Window};
use crate::aws::{paginate, AwsError, Caller, RateLimiter};
use aws_config::SdkConfig;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use sql::{change_query, evidence_query, Scope, TableRef};
use table::TableError;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct AthenaOptions {
    pub table: TableRef,
    pub workgroup: String,
    /// `s3://...` for results; None uses the workgroup's own output location.
    pub output: Option<String>,
    /// Partitions to read: the Identity Center account(s) and Region(s).
    pub scope: Scope,
    pub deadline: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("Athena: {0}")]
    Row(#[from] RowError),
}

const ATHENA_RATE: f64 = 5.0;

pub async fn read_athena(
    config: &SdkConfig,
    options: &AthenaOptions,
    window: &Window,
    caller: &Caller,
) -> Result<Evidence, AthenaError> {
    let athena = Athena {
        client: aws_sdk_athena::Client::new(config),
        options,
        caller,
        limiter: RateLimiter::per_second(ATHENA_RATE),
    };
    let name = format!("{}.{}", options.table.database, options.table.table);
    let glue = aws_sdk_glue::Client::new(config);
    let described = caller
        .call(&athena.limiter, "glue:GetTable", &name, || {
            glue.get_table()
                .database_name(&options.table.database)
                .name(&options.table.table)
                .send()
        })
        .await?;
    let table = described
        .table
        .ok_or_else(|| AwsError::Other(format!("Glue returned no table for {name}")))?;
    let shape = table::shape(&name, &table)?;
    let mut info = SourceInfo {
        kind: "athena".into(),
        location: name.clone(),
        ..SourceInfo::default()
    };
    if shape.partitions == table::Partitions::default() {
        info.warnings.push(SourceWarning::new(
            "athena_table_not_partitioned",
            format!("{name} has no partitions the query can restrict: every run scans (and pays for) the whole trail. See `idc-credential-report athena-ddl`"),
        ));
    }
    // Without --athena-region every Region's partitions are read (a Region removed from the
    // instance during the window is listed nowhere now); the account and days still prune.
    let scope = options.scope.clone();
    if shape.partitions.region.is_some() {
        info.regions = scope.regions.clone();
    }
    if shape.partitions.account.is_some() && scope.accounts.is_empty() {
        info.warnings.push(SourceWarning::new(
            "athena_not_pruned_by_account",
            "the query reads every account's partitions: pass --athena-account with the account that owns the Identity Center instance to scan only its logs".into(),
        ));
    }
    let (record, rows) = athena
        .query(evidence_query(&options.table, &shape, window, &scope))
        .await?;
    let query_id = record.query_id.clone();
    info.queries.push(record);
    let mut evidence = evidence_from_rows(rows, &query_id, info)?;
    if shape.additional_is_map.is_none() {
        evidence.source.warnings.push(SourceWarning::new(
            "portal_sign_ins_unchecked",
            format!("{name} lacks the column additionaleventdata, whose LoginTo tells an access-portal sign-in from another service's (WorkSpaces signs in through the same UserAuthentication event): every successful UserAuthentication counts as a portal sign-in, so a user may look active who is not. Recreate the table with the DDL from `idc-credential-report athena-ddl`"),
        ));
    }
    if shape.has_change_columns {
        let (record, rows) = athena
            .query(change_query(&options.table, &shape, window, &scope))
            .await?;
        evidence.changes = changes_from_rows(rows, &record.query_id)?;
        evidence.source.queries.push(record);
    } else {
        evidence.source.warnings.push(SourceWarning::misses_changes(&format!(
            "{name} lacks one of the columns {} (as JSON text); recreate the table with the DDL from `idc-credential-report athena-ddl`",
            table::CHANGE_COLUMNS.join(", ")
        )));
    }
    Ok(evidence)
}

struct Athena<'a> {
    client: aws_sdk_athena::Client,
    options: &'a AthenaOptions,
    caller: &'a Caller,
    limiter: RateLimiter,
}

impl Athena<'_> {
    /// Runs one query to its end and reads its rows.
    async fn query(&self, sql: String) -> Result<(QueryRecord, Vec<Row>), AthenaError> {
        Ok(run_query(self, sql, self.options.deadline).await?)
    }
}

impl QueryService for Athena<'_> {
    const QUERY: &'static str = "Athena query";
    const CANCELLED: &'static str = "stopped";

    async fn start(&self, sql: &str) -> Result<String, AwsError> {
        let options = self.options;
        let context = QueryExecutionContext::builder()
            .database(&options.table.database)
            .catalog("AwsDataCatalog")
            .build();
        let results = options
            .output
            .as_ref()
            .map(|o| ResultConfiguration::builder().output_location(o).build());
        let action = "athena:StartQueryExecution";
        let out = self
            .caller
            .call(&self.limiter, action, &options.workgroup, || {
                self.client
                    .start_query_execution()
                    .query_string(sql)
                    .query_execution_context(context.clone())
                    .work_group(&options.workgroup)
                    .set_result_configuration(results.clone())
                    .send()
            })
            .await?;
        out.query_execution_id
            .ok_or_else(|| AwsError::Other("StartQueryExecution returned no id".into()))
    }

    async fn poll(&self, query_id: &str) -> Result<Poll, AwsError> {
        let out = self
            .caller
            .call(&self.limiter, "athena:GetQueryExecution", query_id, || {
                self.client
                    .get_query_execution()
                    .query_execution_id(query_id)
                    .send()
            })
            .await?;
        let execution = out
            .query_execution
            .unwrap_or_else(|| aws_sdk_athena::types::QueryExecution::builder().build());
        let status = execution.status.as_ref();
        Ok(match status.and_then(|s| s.state.clone()) {
            Some(QueryExecutionState::Succeeded) => Poll::Finished {
                bytes_scanned: (execution.statistics.as_ref())
                    .and_then(|s| s.data_scanned_in_bytes)
                    .unwrap_or(0),
                events_scanned: 0,
                rows: None,
            },
            Some(QueryExecutionState::Queued | QueryExecutionState::Running) | None => {
                Poll::Running
            }
            Some(state) => Poll::Ended {
                status: state.as_str().to_owned(),
                detail: status
                    .and_then(|s| s.state_change_reason.clone())
                    .unwrap_or_default(),
            },
        })
    }

    async fn cancel(&self, query_id: &str) -> Result<(), AwsError> {
        self.caller
            .call(&self.limiter, "athena:StopQueryExecution", query_id, || {
                self.client
                    .stop_query_execution()
                    .query_execution_id(query_id)
                    .send()
            })
            .await?;
        Ok(())
    }

    async fn rows(&self, query_id: &str) -> Result<Vec<Row>, AwsError> {
        let action = "athena:GetQueryResults";
        let mut header: Option<Vec<String>> = None;
        let header = &mut header;
        let pages = paginate(action, query_id, |token| async move {
            let out = self
                .caller
                .call(&self.limiter, action, query_id, || {
                    self.client
                        .get_query_results()
                        .query_execution_id(query_id)
                        .max_results(1000)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            let rows = out.result_set.and_then(|r| r.rows).unwrap_or_default();
            let cells: Vec<Vec<Option<String>>> = rows
                .into_iter()
                .map(|row| {
                    row.data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| d.var_char_value)
                        .collect()
                })
                .collect();
            Ok((vec![cells], out.next_token))
        })
        .await?;
        // The first page's first row is the header; later pages have none.
        let mut rows = Vec::new();
        for page in pages {
            let mut page = page.into_iter();
            if header.is_none() {
                *header = page
                    .next()
                    .map(|h| h.into_iter().map(Option::unwrap_or_default).collect());
            }
            let names = header.as_deref().unwrap_or_default();
            for row in page {
                rows.push(
                    names
                        .iter()
                        .cloned()
                        .zip(row)
                        .filter_map(|(name, value)| Some((name, value?)))
                        .collect(),
                );
            }
        }
        Ok(rows)
    }
}
