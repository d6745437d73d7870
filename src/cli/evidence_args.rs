//! Flags that choose the evidence source: exactly one of log files or CloudTrail Lake.

use clap::Args;
use idc_credential_report::evidence::lake::sql::StoreRef;
use idc_credential_report::evidence::lake::LakeOptions;
use idc_credential_report::evidence::logs::LogsOptions;
use idc_credential_report::pipeline::EvidenceSource;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
#[group(skip)]
pub struct EvidenceArgs {
    /// CloudTrail log files as delivered to S3 (AWSLogs/...; *.json.gz and *.json), read recursively.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["event_data_store", "lake_owner_account_id", "lake_role_arn"])]
    cloudtrail_logs: Option<PathBuf>,

    /// CloudTrail Lake event data store (id or ARN) that records the Identity Center account's
    /// management events, read and write.
    #[arg(long, value_name = "ID_OR_ARN")]
    event_data_store: Option<String>,

    /// Account that owns the event data store, when it is shared with this one by a resource policy.
    #[arg(long, value_name = "ACCOUNT_ID", requires = "event_data_store")]
    lake_owner_account_id: Option<String>,

    /// Role to assume for every CloudTrail Lake call (a store in another account).
    #[arg(long, value_name = "ARN", requires = "event_data_store")]
    lake_role_arn: Option<String>,

    /// Seconds the evidence query may run before it is cancelled (so that it stops billing).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    query_timeout: u64,
}

impl EvidenceArgs {
    pub fn source(&self, allow_malformed_logs: bool) -> anyhow::Result<EvidenceSource> {
        if let Some(root) = &self.cloudtrail_logs {
            return Ok(EvidenceSource::CloudTrailLogs {
                root: root.clone(),
                options: LogsOptions {
                    allow_malformed: allow_malformed_logs,
                },
            });
        }
        let store = self
            .event_data_store
            .as_deref()
            .expect("clap requires one evidence source");
        if let Some(owner) = &self.lake_owner_account_id {
            anyhow::ensure!(
                owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()),
                "--lake-owner-account-id must be a 12-digit account id, not {owner:?}"
            );
        }
        anyhow::ensure!(
            (5..=86_400).contains(&self.query_timeout),
            "--query-timeout must be between 5 and 86400 seconds"
        );
        Ok(EvidenceSource::CloudTrailLake(LakeOptions {
            store: StoreRef::parse(store)?,
            owner_account_id: self.lake_owner_account_id.clone(),
            role_arn: self.lake_role_arn.clone(),
            deadline: tokio::time::Instant::now() + Duration::from_secs(self.query_timeout),
        }))
    }
}
