//! Evidence from a CloudWatch Logs log group that a trail writes its events to (Control
//! Tower's `aws-controltower/CloudTrailLogs`, for one): one Logs Insights query for the
//! evidence, aggregated like CloudTrail Lake's, and one for the access changes, both in
//! OpenSearch SQL and bounded by the window.
//!
//! Logs Insights returns at most 10,000 rows and says nothing when it cut a result short, so
//! a query that returns the limit is taken as cut: its part of the window is split in halves,
//! and each half queried, until every part fits. `GetQueryResults` is polled with backoff; a
//! query still running near the deadline is stopped, so that nothing keeps billing.

pub mod setup;
pub mod sql;

use super::query::{run_query, Poll, QueryError, QueryService, Row};
use super::query_rows::{changes_from_events, evidence_from_rows, RowError};
use super::{Evidence, QueryRecord, SourceInfo, SourceWarning, Window};
use crate::aws::{with_role, AwsError, Caller, RateLimiter};
use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass, QueryLanguage, QueryStatus};
use aws_sdk_cloudwatchlogs::Client;
use sql::{LogGroupRef, Range};
use tokio::time::Instant;

/// The most rows Logs Insights returns for one SQL query.
pub const MAX_ROWS: u32 = 10_000;
/// The log event's timestamp is set when CloudTrail delivers the event, which can be minutes
/// after it happened: each query's time range reaches this far past its part of the window
/// (the `eventTime` filter keeps the bound exact).
const DELIVERY_SLACK_SECS: i64 = 3_600;
/// Logs Insights allows a few StartQuery calls a second; polling stays well below it.
const LOGS_RATE: f64 = 5.0;

#[derive(Debug, Clone)]
pub struct CloudWatchOptions {
    pub log_groups: Vec<LogGroupRef>,
    /// The log groups' Region, when not the Region in use.
    pub region: Option<String>,
    /// A role to assume for every CloudWatch Logs call (log groups in another account).
    pub role_arn: Option<String>,
    /// Rows a query may return before its part of the window is split ([`MAX_ROWS`]).
    pub max_rows: u32,
    /// The latest moment a query may still run; it is stopped when this comes near.
    pub deadline: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum CloudWatchError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("CloudWatch Logs: log group {group} was not found in {region} (check the name, --cloudwatch-region, and, for another account's group, its ARN)")]
    NotFound { group: String, region: String },
    #[error("CloudWatch Logs: log group {group} is of class {class}, which SQL cannot query: send the trail to a STANDARD log group")]
    NotStandard { group: String, class: String },
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("Logs Insights returned {rows} rows, its limit, for the single second {second}: the result cannot be split further")]
    Unsplittable { rows: usize, second: i64 },
    #[error("CloudWatch Logs: {0}")]
    Row(#[from] RowError),
}

pub async fn read_cloudwatch(
    config: &SdkConfig,
    options: &CloudWatchOptions,
    window: &Window,
    caller: &Caller,
) -> Result<Evidence, CloudWatchError> {
    let mut config = with_role(config, options.role_arn.as_deref()).await;
    if let Some(region) = &options.region {
        config = config
            .to_builder()
            .region(aws_config::Region::new(region.clone()))
            .build();
    }
    let logs = Logs {
        client: Client::new(&config),
        options,
        caller,
        limiter: RateLimiter::per_second(LOGS_RATE),
        region: config.region().map(|r| r.to_string()).unwrap_or_default(),
        groups: options
            .log_groups
            .iter()
            .map(LogGroupRef::as_str)
            .collect::<Vec<_>>()
            .join(","),
    };
    let mut info = SourceInfo {
        kind: "cloudwatch-logs".into(),
        location: logs.groups.clone(),
        ..SourceInfo::default()
    };
    info.warnings = logs.preflight(window).await?;
    let whole = Range {
        start: window.start_secs(),
        end: window.end_secs(),
    };
    let rows = logs
        .query_all(whole, sql::evidence_query, &mut info.queries)
        .await?;
    let query_ids = used_query_ids(&info.queries[..]);
    let mut evidence = evidence_from_rows(rows, &query_ids, info)?;
    // A failed change query leaves the report without changes, loudly, not without a report.
    let first_change_query = evidence.source.queries.len();
    match logs
        .query_all(whole, sql::change_query, &mut evidence.source.queries)
        .await
    {
        Ok(rows) => {
            let query_ids = used_query_ids(&evidence.source.queries[first_change_query..]);
            evidence.changes = changes_from_events(rows, &query_ids)?;
        }
        Err(CloudWatchError::Query(QueryError::Ended {
            query_id, status, ..
        })) => {
            evidence.source.warnings.push(SourceWarning::misses_changes(&format!(
                "the access-change query {query_id} ended {status}; run the report again, and if it fails again check the query in the Logs Insights console"
            )));
        }
        Err(error) => return Err(error),
    }
    Ok(evidence)
}

/// The ids of the queries whose rows were used (not those cut at the row limit).
fn used_query_ids(queries: &[QueryRecord]) -> String {
    let ids: Vec<&str> = queries
        .iter()
        .filter(|q| !q.truncated)
        .map(|q| q.query_id.as_str())
        .collect();
    ids.join(", ")
}

struct Logs<'a> {
    client: Client,
    options: &'a CloudWatchOptions,
    caller: &'a Caller,
    limiter: RateLimiter,
    region: String,
    /// The log groups, comma-separated: the resource every call names.
    groups: String,
}

impl Logs<'_> {
    /// Every log group exists and SQL can query it; a retention shorter than the window is
    /// a warning (the oldest uses are gone).
    async fn preflight(&self, window: &Window) -> Result<Vec<SourceWarning>, CloudWatchError> {
        let identifiers: Vec<String> = self
            .options
            .log_groups
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect();
        let out = self
            .caller
            .call(
                &self.limiter,
                "logs:DescribeLogGroups",
                &self.groups,
                || {
                    self.client
                        .describe_log_groups()
                        .set_log_group_identifiers(Some(identifiers.clone()))
                        .send()
                },
            )
            .await?;
        let found = out.log_groups.unwrap_or_default();
        let mut warnings = Vec::new();
        for group in &self.options.log_groups {
            let described = found
                .iter()
                .find(|d| is_described(group, d))
                .ok_or_else(|| CloudWatchError::NotFound {
                    group: group.as_str().to_owned(),
                    region: self.region.clone(),
                })?;
            if let Some(class) = described
                .log_group_class
                .as_ref()
                .filter(|c| **c != LogGroupClass::Standard)
            {
                return Err(CloudWatchError::NotStandard {
                    group: group.as_str().to_owned(),
                    class: class.as_str().to_owned(),
                });
            }
            if let Some(days) = described.retention_in_days {
                if i64::from(days) < i64::from(window.lookback_days) {
                    warnings.push(SourceWarning::new(
                        "cloudwatch_retention_shorter_than_window",
                        format!("log group {} keeps events {days} days, less than the {}-day window: older uses are gone", group.as_str(), window.lookback_days),
                    ));
                }
            }
        }
        Ok(warnings)
    }

    /// Runs the query `build` makes for `whole`, splitting any part whose result reached the
    /// row limit, and returns the rows of the parts that fit.
    async fn query_all(
        &self,
        whole: Range,
        build: fn(&[LogGroupRef], Range) -> String,
        records: &mut Vec<QueryRecord>,
    ) -> Result<Vec<Row>, CloudWatchError> {
        let limit = self.options.max_rows as usize;
        let mut pending = vec![whole];
        let mut rows = Vec::new();
        while let Some(part) = pending.pop() {
            let (mut record, part_rows) = self
                .query(build(&self.options.log_groups, part), part)
                .await?;
            let cut = part_rows.len() >= limit;
            record.truncated = cut;
            records.push(record);
            if !cut {
                rows.extend(part_rows);
                continue;
            }
            let (first, second) = part.halves().ok_or(CloudWatchError::Unsplittable {
                rows: part_rows.len(),
                second: part.start,
            })?;
            pending.extend([second, first]);
        }
        Ok(rows)
    }

    /// Runs one query over `part` of the window to its end and reads its rows.
    async fn query(
        &self,
        sql: String,
        part: Range,
    ) -> Result<(QueryRecord, Vec<Row>), CloudWatchError> {
        let query = PartQuery { logs: self, part };
        Ok(run_query(&query, sql, self.options.deadline).await?)
    }
}

/// One Logs Insights query: its time range is part of the request, not of the SQL.
struct PartQuery<'a> {
    logs: &'a Logs<'a>,
    part: Range,
}

impl QueryService for PartQuery<'_> {
    const QUERY: &'static str = "Logs Insights query";
    const CANCELLED: &'static str = "stopped";

    async fn start(&self, sql: &str) -> Result<String, AwsError> {
        let logs = self.logs;
        let out = logs
            .caller
            .call(&logs.limiter, "logs:StartQuery", &logs.groups, || {
                logs.client
                    .start_query()
                    .query_language(QueryLanguage::Sql)
                    .query_string(sql)
                    .start_time(self.part.start)
                    .end_time(self.part.end + DELIVERY_SLACK_SECS)
                    .limit(logs.options.max_rows as i32)
                    .send()
            })
            .await?;
        out.query_id
            .ok_or_else(|| AwsError::Other("StartQuery returned no queryId".into()))
    }

    /// A completed query's answer carries its rows.
    async fn poll(&self, query_id: &str) -> Result<Poll, AwsError> {
        let logs = self.logs;
        let out = logs
            .caller
            .call(&logs.limiter, "logs:GetQueryResults", query_id, || {
                logs.client.get_query_results().query_id(query_id).send()
            })
            .await?;
        let stats = out.statistics.as_ref();
        Ok(match out.status {
            Some(QueryStatus::Complete) => Poll::Finished {
                bytes_scanned: stats.map_or(0.0, |s| s.bytes_scanned) as i64,
                events_scanned: stats.map_or(0.0, |s| s.records_scanned) as i64,
                rows: Some(rows_of(out.results.unwrap_or_default())),
            },
            Some(QueryStatus::Scheduled | QueryStatus::Running) | None => Poll::Running,
            Some(status) => Poll::Ended {
                status: status.as_str().to_owned(),
                detail: String::new(),
            },
        })
    }

    async fn cancel(&self, query_id: &str) -> Result<(), AwsError> {
        let logs = self.logs;
        logs.caller
            .call(&logs.limiter, "logs:StopQuery", query_id, || {
                logs.client.stop_query().query_id(query_id).send()
            })
            .await?;
        Ok(())
    }

    /// Never called: a completed poll carries the rows.
    async fn rows(&self, query_id: &str) -> Result<Vec<Row>, AwsError> {
        Err(AwsError::Other(format!(
            "Logs Insights query {query_id}: its rows come with its completion"
        )))
    }
}

/// Whether `described` is the group `group` names (by name in this account, or by ARN).
fn is_described(group: &LogGroupRef, described: &LogGroup) -> bool {
    let arn = described.log_group_arn.as_deref().unwrap_or_default();
    match group.is_arn() {
        true => arn == group.as_str() || described.arn.as_deref() == Some(group.as_str()),
        false => described.log_group_name.as_deref() == Some(group.as_str()),
    }
}

/// Result rows as column maps; Logs Insights' own `@ptr` is not a column of the query.
fn rows_of(results: Vec<Vec<aws_sdk_cloudwatchlogs::types::ResultField>>) -> Vec<Row> {
    results
        .into_iter()
        .map(|fields| {
            fields
                .into_iter()
                .filter_map(|f| Some((f.field?, f.value?)))
                .filter(|(field, _)| field != "@ptr")
                .collect()
        })
        .collect()
}
