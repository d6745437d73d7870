//! `generate`'s flags that choose the evidence source (exactly one of log files, CloudTrail
//! Lake, Athena, CloudWatch Logs or event history), declared for clap beside the settings they
//! fill, so that a new source's flags are written here and nowhere in the entry points.

use super::{Entry, EvidenceConfig, SettingsError, SourceKind};
use crate::evidence::cloudwatch::MAX_ROWS;
use crate::evidence::EvidenceSource;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// The flags that name an evidence source: exactly one is required.
pub const SOURCE_FLAGS: [&str; 5] = [
    "cloudtrail_logs",
    "event_data_store",
    "athena_table",
    "cloudwatch_log_group",
    "cloudtrail_lookup",
];

#[derive(Args, Debug, Clone)]
#[group(skip)]
#[command(
    next_help_heading = "Evidence (exactly one source: logs, Lake, Athena, CloudWatch Logs or event history)"
)]
pub struct EvidenceArgs {
    /// CloudTrail log files as delivered to S3 (AWSLogs/...; *.json.gz and *.json), read recursively.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["event_data_store", "lake_owner_account_id", "lake_role_arn", "athena_table"])]
    cloudtrail_logs: Option<PathBuf>,

    /// CloudTrail Lake event data store (id or ARN) that records the Identity Center account's
    /// management events, read and write.
    #[arg(long, value_name = "ID_OR_ARN", conflicts_with = "athena_table")]
    event_data_store: Option<String>,

    /// Account that owns the event data store, when it is shared with this one by a resource policy.
    #[arg(long, value_name = "ACCOUNT_ID", requires = "event_data_store")]
    lake_owner_account_id: Option<String>,

    /// Role to assume for every CloudTrail Lake call (a store in another account).
    #[arg(long, value_name = "ARN", requires = "event_data_store")]
    lake_role_arn: Option<String>,

    /// Athena table over the organization trail's S3 logs, DATABASE.TABLE (AWS's CloudTrail DDL,
    /// or every column a JSON string; `athena-ddl` prints one with partition projection).
    #[arg(long, value_name = "DB.TABLE")]
    athena_table: Option<String>,

    /// Athena workgroup to run the query in.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "primary",
        requires = "athena_table"
    )]
    athena_workgroup: String,

    /// Where Athena writes results (s3://...). Default: the workgroup's output location.
    #[arg(long, value_name = "S3_URI", requires = "athena_table")]
    athena_output: Option<String>,

    /// Account(s) whose partitions to read: the one that owns the Identity Center instance
    /// (comma-separated). Default: every account's.
    #[arg(
        long,
        value_name = "ACCOUNT_ID",
        value_delimiter = ',',
        requires = "athena_table"
    )]
    athena_account: Vec<String>,

    /// Region(s) whose partitions to read (comma-separated). Default: every Region's, also of
    /// Regions removed from the instance during the window.
    #[arg(
        long,
        value_name = "REGION",
        value_delimiter = ',',
        requires = "athena_table"
    )]
    athena_region: Vec<String>,

    /// CloudTrail event history (LookupEvents, the last 90 days) of the Identity Center account,
    /// for organizations with neither Lake nor a trail in S3: in these Regions (comma-separated),
    /// or, given without Regions, in every Region of the instance.
    #[arg(long, value_name = "REGION", value_delimiter = ',', num_args = 0.., conflicts_with_all = ["event_data_store", "athena_table", "cloudtrail_logs"])]
    cloudtrail_lookup: Option<Vec<String>>,

    /// CloudWatch Logs log group(s) the organization trail writes to (names, or ARNs for another
    /// account's groups shared by cross-account observability; comma-separated), read with
    /// Logs Insights SQL. Control Tower's: aws-controltower/CloudTrailLogs.
    #[arg(long, value_name = "NAME", value_delimiter = ',', conflicts_with_all = ["event_data_store", "athena_table", "cloudtrail_logs", "cloudtrail_lookup"])]
    cloudwatch_log_group: Vec<String>,

    /// The log groups' Region. Default: the Region in use.
    #[arg(long, value_name = "REGION", requires = "cloudwatch_log_group")]
    cloudwatch_region: Option<String>,

    /// Role to assume for every CloudWatch Logs call (log groups in another account).
    #[arg(long, value_name = "ARN", requires = "cloudwatch_log_group")]
    cloudwatch_role_arn: Option<String>,

    /// Rows a Logs Insights query may return before its part of the window is split in halves
    /// and queried again (Logs Insights returns at most 10,000, silently cut).
    #[arg(long, value_name = "N", default_value_t = MAX_ROWS)]
    cloudwatch_max_rows: u32,

    /// Seconds the evidence query may run before it is cancelled (so that it stops billing).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    query_timeout: u64,
}

impl EvidenceArgs {
    /// The source, checked by the same validation as the deployed function's.
    pub fn source(&self, allow_malformed_logs: bool) -> Result<EvidenceSource, SettingsError> {
        let source = self.config(allow_malformed_logs).validate(Entry::Flags)?;
        if matches!(source, EvidenceSource::CloudTrailLogs { .. }) {
            return Ok(source);
        }
        if !(5..=86_400).contains(&self.query_timeout) {
            let message = "--query-timeout must be between 5 and 86400 seconds";
            return Err(SettingsError(message.into()));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.query_timeout);
        Ok(source.with_deadline(deadline))
    }

    fn config(&self, allow_malformed_logs: bool) -> EvidenceConfig {
        EvidenceConfig {
            kind: self.kind(),
            cloudtrail_logs: self.cloudtrail_logs.clone(),
            allow_malformed_logs,
            event_data_store: self.event_data_store.clone(),
            lake_owner_account_id: self.lake_owner_account_id.clone(),
            lake_role_arn: self.lake_role_arn.clone(),
            athena_table: self.athena_table.clone(),
            athena_workgroup: Some(self.athena_workgroup.clone()),
            athena_output: self.athena_output.clone(),
            athena_accounts: self.athena_account.clone(),
            athena_regions: self.athena_region.clone(),
            lookup_regions: self.cloudtrail_lookup.clone().unwrap_or_default(),
            cloudwatch_log_groups: self.cloudwatch_log_group.clone(),
            cloudwatch_region: self.cloudwatch_region.clone(),
            cloudwatch_role_arn: self.cloudwatch_role_arn.clone(),
            cloudwatch_max_rows: Some(self.cloudwatch_max_rows),
        }
    }

    /// The source whose flag was given (clap lets only one through).
    fn kind(&self) -> Option<SourceKind> {
        if self.cloudtrail_logs.is_some() {
            Some(SourceKind::CloudTrailLogs)
        } else if self.athena_table.is_some() {
            Some(SourceKind::Athena)
        } else if !self.cloudwatch_log_group.is_empty() {
            Some(SourceKind::CloudWatchLogs)
        } else if self.cloudtrail_lookup.is_some() {
            Some(SourceKind::CloudTrailLookup)
        } else {
            self.event_data_store
                .as_ref()
                .map(|_| SourceKind::CloudTrailLake)
        }
    }
}
