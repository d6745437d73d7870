//! The evidence settings as given, and the one validation both entry points run on them.

use super::*;
use crate::aws::{check_account, check_region};
use crate::evidence::athena::sql::{Scope, TableRef};
use crate::evidence::athena::AthenaOptions;
use crate::evidence::cloudwatch::sql::{LogGroupRef, MAX_LOG_GROUPS};
use crate::evidence::cloudwatch::{CloudWatchOptions, MAX_ROWS};
use crate::evidence::lake::sql::StoreRef;
use crate::evidence::lake::LakeOptions;
use crate::evidence::logs::LogsOptions;
use crate::evidence::lookup::LookupOptions;
use crate::evidence::EvidenceSource;
use std::path::PathBuf;

/// Which source: named by the flag that gives it (CLI) or by `IDC_EVIDENCE_SOURCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    CloudTrailLogs,
    CloudTrailLake,
    Athena,
    CloudWatchLogs,
    CloudTrailLookup,
}

impl SourceKind {
    /// `IDC_EVIDENCE_SOURCE`'s values.
    pub const NAMES: [(&'static str, SourceKind); 4] = [
        ("cloudtrail-lake", SourceKind::CloudTrailLake),
        ("athena", SourceKind::Athena),
        ("cloudwatch-logs", SourceKind::CloudWatchLogs),
        ("cloudtrail-lookup", SourceKind::CloudTrailLookup),
    ];
}

/// Every evidence setting as given, before any check.
#[derive(Debug, Clone, Default)]
pub struct EvidenceConfig {
    pub kind: Option<SourceKind>,
    pub cloudtrail_logs: Option<PathBuf>,
    pub allow_malformed_logs: bool,
    pub event_data_store: Option<String>,
    pub lake_owner_account_id: Option<String>,
    pub lake_role_arn: Option<String>,
    pub athena_table: Option<String>,
    pub athena_workgroup: Option<String>,
    pub athena_output: Option<String>,
    pub athena_accounts: Vec<String>,
    pub athena_regions: Vec<String>,
    /// Empty: every Region of the instance.
    pub lookup_regions: Vec<String>,
    pub cloudwatch_log_groups: Vec<String>,
    pub cloudwatch_region: Option<String>,
    pub cloudwatch_role_arn: Option<String>,
    pub cloudwatch_max_rows: Option<u32>,
}

impl EvidenceConfig {
    /// The function's variables; without `IDC_EVIDENCE_SOURCE`, CloudTrail Lake.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        let kind = match env.setting(&EVIDENCE_SOURCE) {
            None => SourceKind::CloudTrailLake,
            Some(name) => SourceKind::NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, kind)| *kind)
                .ok_or_else(|| {
                    SettingsError(format!("IDC_EVIDENCE_SOURCE {name:?}: use cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup"))
                })?,
        };
        Ok(EvidenceConfig {
            kind: Some(kind),
            cloudtrail_logs: None,
            allow_malformed_logs: false,
            event_data_store: env.setting(&EVENT_DATA_STORE),
            lake_owner_account_id: env.setting(&LAKE_OWNER_ACCOUNT_ID),
            lake_role_arn: env.setting(&LAKE_ROLE_ARN),
            athena_table: env.setting(&ATHENA_TABLE),
            athena_workgroup: env.setting(&ATHENA_WORKGROUP),
            athena_output: env.setting(&ATHENA_OUTPUT),
            athena_accounts: env.list(&ATHENA_ACCOUNTS),
            athena_regions: env.list(&ATHENA_REGIONS),
            lookup_regions: env.list(&LOOKUP_REGIONS),
            cloudwatch_log_groups: env.list(&CLOUDWATCH_LOG_GROUPS),
            cloudwatch_region: env.setting(&CLOUDWATCH_REGION),
            cloudwatch_role_arn: env.setting(&CLOUDWATCH_ROLE_ARN),
            cloudwatch_max_rows: env
                .whole_number(CLOUDWATCH_MAX_ROWS.name(Entry::Environment), MAX_ROWS)
                .map(Some)?,
        })
    }

    /// The source, every value checked; its queries' deadline is set by the caller
    /// ([`EvidenceSource::with_deadline`]).
    pub fn validate(&self, entry: Entry) -> Result<EvidenceSource, SettingsError> {
        let check = Check(entry);
        match self.kind {
            None => Err(SettingsError("choose the evidence: --cloudtrail-logs DIR, --event-data-store ID_OR_ARN, --athena-table DB.TABLE, --cloudwatch-log-group NAME or --cloudtrail-lookup [REGION]".into())),
            Some(SourceKind::CloudTrailLogs) => Ok(EvidenceSource::CloudTrailLogs {
                root: check.given(&CLOUDTRAIL_LOGS, self.cloudtrail_logs.clone())?,
                options: LogsOptions {
                    allow_malformed: self.allow_malformed_logs,
                },
            }),
            Some(SourceKind::CloudTrailLake) => self.lake(check),
            Some(SourceKind::Athena) => self.athena(check),
            Some(SourceKind::CloudWatchLogs) => self.cloudwatch(check),
            Some(SourceKind::CloudTrailLookup) => {
                check.each(&LOOKUP_REGIONS, &self.lookup_regions, check_region)?;
                Ok(EvidenceSource::CloudTrailLookup(LookupOptions {
                    regions: self.lookup_regions.clone(),
                }))
            }
        }
    }

    fn lake(&self, check: Check) -> Result<EvidenceSource, SettingsError> {
        let store = check.given(&EVENT_DATA_STORE, self.event_data_store.as_deref())?;
        if let Some(owner) = &self.lake_owner_account_id {
            check.named(&LAKE_OWNER_ACCOUNT_ID, check_account(owner))?;
        }
        Ok(EvidenceSource::CloudTrailLake(LakeOptions {
            store: check.named(&EVENT_DATA_STORE, StoreRef::parse(store))?,
            owner_account_id: self.lake_owner_account_id.clone(),
            role_arn: self.lake_role_arn.clone(),
            deadline: tokio::time::Instant::now(),
            instance_regions: Vec::new(),
        }))
    }

    fn athena(&self, check: Check) -> Result<EvidenceSource, SettingsError> {
        let table = check.given(&ATHENA_TABLE, self.athena_table.as_deref())?;
        check.each(&ATHENA_ACCOUNTS, &self.athena_accounts, check_account)?;
        check.each(&ATHENA_REGIONS, &self.athena_regions, check_region)?;
        if let Some(output) = &self.athena_output {
            if !output.starts_with("s3://") {
                return Err(check.error(
                    &ATHENA_OUTPUT,
                    format!("must be an s3:// location, not {output:?}"),
                ));
            }
        }
        Ok(EvidenceSource::Athena(AthenaOptions {
            table: check.named(&ATHENA_TABLE, TableRef::parse(table))?,
            workgroup: self
                .athena_workgroup
                .clone()
                .unwrap_or_else(|| "primary".into()),
            output: self.athena_output.clone(),
            scope: Scope {
                accounts: self.athena_accounts.clone(),
                regions: self.athena_regions.clone(),
            },
            deadline: tokio::time::Instant::now(),
        }))
    }

    fn cloudwatch(&self, check: Check) -> Result<EvidenceSource, SettingsError> {
        let groups = &self.cloudwatch_log_groups;
        if groups.is_empty() {
            return Err(check.error(&CLOUDWATCH_LOG_GROUPS, "is not set".into()));
        }
        if groups.len() > MAX_LOG_GROUPS {
            let message = format!(
                "names {} log groups: one query reads at most {MAX_LOG_GROUPS}",
                groups.len()
            );
            return Err(check.error(&CLOUDWATCH_LOG_GROUPS, message));
        }
        let max_rows = self.cloudwatch_max_rows.unwrap_or(MAX_ROWS);
        if !(1..=MAX_ROWS).contains(&max_rows) {
            let message = format!("must be between 1 and {MAX_ROWS}");
            return Err(check.error(&CLOUDWATCH_MAX_ROWS, message));
        }
        if let Some(region) = &self.cloudwatch_region {
            check.named(&CLOUDWATCH_REGION, check_region(region))?;
        }
        let log_groups = groups
            .iter()
            .map(|g| check.named(&CLOUDWATCH_LOG_GROUPS, LogGroupRef::parse(g)))
            .collect::<Result<_, _>>()?;
        Ok(EvidenceSource::CloudWatchLogs(CloudWatchOptions {
            log_groups,
            region: self.cloudwatch_region.clone(),
            role_arn: self.cloudwatch_role_arn.clone(),
            max_rows,
            deadline: tokio::time::Instant::now(),
        }))
    }
}

/// Errors that name the setting as the entry point's user wrote it.
#[derive(Clone, Copy)]
struct Check(Entry);

impl Check {
    fn error(self, setting: &Setting, message: String) -> SettingsError {
        SettingsError(format!("{} {message}", setting.name(self.0)))
    }

    fn named<T, E: std::fmt::Display>(
        self,
        setting: &Setting,
        result: Result<T, E>,
    ) -> Result<T, SettingsError> {
        result.map_err(|e| SettingsError(format!("{}: {e}", setting.name(self.0))))
    }

    fn given<T>(self, setting: &Setting, value: Option<T>) -> Result<T, SettingsError> {
        value.ok_or_else(|| self.error(setting, "is not set".into()))
    }

    fn each<E: std::fmt::Display>(
        self,
        setting: &Setting,
        values: &[String],
        check: impl Fn(&str) -> Result<(), E>,
    ) -> Result<(), SettingsError> {
        values
            .iter()
            .try_for_each(|v| self.named(setting, check(v)))
    }
}
