//! Evidence from a CloudTrail Lake event data store: one bounded, aggregated SQL query, then
//! one bounded query for the access changes (skipped when the store keeps no write events).
//!
//! `StartQuery`, then `DescribeQuery` with backoff until the query ends, then
//! `GetQueryResults` at 1,000 rows a page (the lifecycle is `super::query`'s). Every row is one evidence key with its latest
//! time, read into the same [`Evidence`] the log reader builds, so the report is the same
//! whichever source held the events. A query still running at the deadline is cancelled, so
//! that nothing keeps billing.

mod preflight;
pub(crate) mod sql;

use super::query::{run_query, Poll, QueryError, QueryService, Row};
use super::query_rows::{changes_from_rows, evidence_from_rows, RowError};
use super::{Evidence, QueryRecord, SourceInfo, Window};
use crate::aws::{paginate, with_role, AwsError, Caller, RateLimiter};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::operation::get_event_data_store::GetEventDataStoreOutput;
use aws_sdk_cloudtrail::types::QueryStatus;
use aws_sdk_cloudtrail::Client;
use sql::{change_query, evidence_query, StoreRef};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct LakeOptions {
    pub store: StoreRef,
    /// `EventDataStoreOwnerAccountId`, for a store in another account shared by resource policy.
    pub owner_account_id: Option<String>,
    /// A role to assume for every Lake call (a store in another account).
    pub role_arn: Option<String>,
    /// The latest moment the query may still run; it is cancelled when this comes near.
    pub deadline: Instant,
    /// The instance's Regions, which the store must record (empty: not known).
    pub instance_regions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("CloudTrail Lake: {0}")]
    Row(#[from] RowError),
}

/// Lake APIs have per-account quotas well above what one report needs; this pace only keeps
/// polling polite.
const LAKE_RATE: f64 = 5.0;

pub(crate) async fn read_lake(
    config: &SdkConfig,
    options: &LakeOptions,
    window: &Window,
    caller: &Caller,
) -> Result<Evidence, LakeError> {
    let config = with_role(config, options.role_arn.as_deref()).await;
    let lake = Lake {
        client: Client::new(&config),
        options,
        caller,
        limiter: RateLimiter::per_second(LAKE_RATE),
    };
    let mut info = SourceInfo {
        kind: "cloudtrail-lake".into(),
        location: options.store.api_name().to_owned(),
        ..SourceInfo::default()
    };
    let store = lake.describe_store().await?;
    info.warnings = preflight::check(&store, window.lookback_days);
    info.regions = preflight::regions_recorded(&store, &options.instance_regions, config.region());
    let (record, rows) = lake.query(evidence_query(&options.store, window)).await?;
    let query_id = record.query_id.clone();
    info.queries.push(record);
    let mut evidence = evidence_from_rows(rows, &query_id, info)?;
    let holds_changes = !evidence
        .source
        .warnings
        .iter()
        .any(|w| w.code == crate::evidence::MISSES_CHANGES);
    // A store that keeps no write events holds no changes: do not pay to scan it for them.
    if holds_changes {
        let (record, rows) = lake.query(change_query(&options.store, window)).await?;
        evidence.changes = changes_from_rows(rows, &record.query_id)?;
        evidence.source.queries.push(record);
    }
    Ok(evidence)
}

struct Lake<'a> {
    client: Client,
    options: &'a LakeOptions,
    caller: &'a Caller,
    limiter: RateLimiter,
}

impl Lake<'_> {
    fn owner(&self) -> Option<String> {
        self.options.owner_account_id.clone()
    }

    async fn describe_store(&self) -> Result<GetEventDataStoreOutput, LakeError> {
        let store = self.options.store.api_name();
        let out = self
            .caller
            .call(&self.limiter, "cloudtrail:GetEventDataStore", store, || {
                self.client
                    .get_event_data_store()
                    .event_data_store(store)
                    .send()
            })
            .await?;
        Ok(out)
    }

    /// Runs one query to its end and reads its rows.
    async fn query(&self, sql: String) -> Result<(QueryRecord, Vec<Row>), LakeError> {
        Ok(run_query(self, sql, self.options.deadline).await?)
    }
}

impl QueryService for Lake<'_> {
    const QUERY: &'static str = "CloudTrail Lake query";
    const CANCELLED: &'static str = "cancelled";

    async fn start(&self, sql: &str) -> Result<String, AwsError> {
        let store = self.options.store.api_name();
        let out = self
            .caller
            .call(&self.limiter, "cloudtrail:StartQuery", store, || {
                self.client
                    .start_query()
                    .query_statement(sql)
                    .set_event_data_store_owner_account_id(self.owner())
                    .send()
            })
            .await?;
        out.query_id
            .ok_or_else(|| AwsError::Other("StartQuery returned no QueryId".into()))
    }

    async fn poll(&self, query_id: &str) -> Result<Poll, AwsError> {
        let out = self
            .caller
            .call(&self.limiter, "cloudtrail:DescribeQuery", query_id, || {
                self.client
                    .describe_query()
                    .query_id(query_id)
                    .set_event_data_store_owner_account_id(self.owner())
                    .send()
            })
            .await?;
        let stats = out.query_statistics.as_ref();
        Ok(match out.query_status {
            Some(QueryStatus::Finished) => Poll::Finished {
                bytes_scanned: stats.and_then(|s| s.bytes_scanned).unwrap_or(0),
                events_scanned: stats.and_then(|s| s.events_scanned).unwrap_or(0),
                rows: None,
            },
            Some(QueryStatus::Queued | QueryStatus::Running) | None => Poll::Running,
            Some(status) => Poll::Ended {
                status: status.as_str().to_owned(),
                detail: out.error_message.unwrap_or_default(),
            },
        })
    }

    async fn cancel(&self, query_id: &str) -> Result<(), AwsError> {
        self.caller
            .call(&self.limiter, "cloudtrail:CancelQuery", query_id, || {
                self.client
                    .cancel_query()
                    .query_id(query_id)
                    .set_event_data_store_owner_account_id(self.owner())
                    .send()
            })
            .await?;
        Ok(())
    }

    async fn rows(&self, query_id: &str) -> Result<Vec<Row>, AwsError> {
        let action = "cloudtrail:GetQueryResults";
        paginate(action, query_id, |token| async move {
            let out = self
                .caller
                .call(&self.limiter, action, query_id, || {
                    self.client
                        .get_query_results()
                        .query_id(query_id)
                        .set_event_data_store_owner_account_id(self.owner())
                        .max_query_results(1000)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            // Each row is a list of single-column maps; merge them into one map per row.
            let rows = out
                .query_result_rows
                .unwrap_or_default()
                .into_iter()
                .map(|cells| cells.into_iter().flatten().collect::<Row>())
                .collect();
            Ok((rows, out.next_token))
        })
        .await
    }
}
