//! The report as a service: settings from the environment, one invocation in, the report
//! published to S3 and a summary out. The Lambda is a thin wrapper over [`run_once`]; the CLI's
//! `--output s3://...` uses [`publish_generated`].

mod steps;

pub use steps::{handle, Answer};

use crate::aws::RetryPolicy;
use crate::directory::aws::{AssignmentStrategy, DirectoryOptions, Rates};
use crate::evidence::athena::sql::{check_account, check_region, NameError, Scope, TableRef};
use crate::evidence::athena::AthenaOptions;
use crate::evidence::cloudwatch::sql::LogGroupRef;
use crate::evidence::cloudwatch::{CloudWatchOptions, MAX_ROWS};
use crate::evidence::lake::sql::StoreRef;
use crate::evidence::lake::LakeOptions;
use crate::evidence::lookup::LookupOptions;
use crate::evidence::Window;
use crate::output::render_report;
use crate::output::s3::{publish, Published, S3Target};
use crate::pipeline::{
    self, AwsSession, DirectorySource, EvidenceSource, Generated, NoProgress, ReportRequest,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::time::Instant;

/// Everything a deployed run needs, read once from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub directory: DirectoryOptions,
    pub evidence: EvidenceSettings,
    pub output: S3Target,
    pub lookback_days: u32,
    /// Users not seen for this many days are INACTIVE in the user summary.
    pub inactive_days: u32,
}

#[derive(Debug, Clone)]
pub enum EvidenceSettings {
    CloudTrailLake {
        store: StoreRef,
        owner_account_id: Option<String>,
        role_arn: Option<String>,
    },
    Athena {
        table: TableRef,
        workgroup: String,
        output: Option<String>,
        scope: Scope,
    },
    CloudTrailLookup(LookupOptions),
    CloudWatchLogs {
        log_groups: Vec<LogGroupRef>,
        region: Option<String>,
        role_arn: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(pub String);

/// Environment variables read through a function (the process environment, or a map in
/// tests), trimmed; an empty value counts as unset.
pub struct Env<F>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<String, SettingsError> {
        self.get(name)
            .ok_or_else(|| SettingsError(format!("{name} is not set")))
    }

    /// A whole number, `default` when unset.
    pub fn whole_number<T: std::str::FromStr>(
        &self,
        name: &str,
        default: T,
    ) -> Result<T, SettingsError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| SettingsError(format!("{name} must be a whole number, not {v:?}"))),
        }
    }
}

impl Settings {
    /// Reads `IDC_*` variables through `var` (the process environment, or a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let env = Env(var);
        let get = |name: &str| env.get(name);
        let required = |name: &str| env.required(name);
        let bucket = required("IDC_REPORT_BUCKET")?;
        let prefix = get("IDC_REPORT_PREFIX").unwrap_or_default();
        let output = S3Target::parse(
            &format!("s3://{bucket}/{prefix}"),
            get("IDC_REPORT_KMS_KEY_ARN"),
        )
        .map_err(|e| SettingsError(format!("IDC_REPORT_BUCKET/IDC_REPORT_PREFIX: {e}")))?;
        let lookback_days = env.whole_number("IDC_LOOKBACK_DAYS", 90)?;
        let inactive_days = env.whole_number("IDC_INACTIVE_DAYS", 90)?;
        let strategy = match get("IDC_ASSIGNMENT_STRATEGY") {
            None => AssignmentStrategy::Auto,
            Some(v) => v
                .parse()
                .map_err(|e| SettingsError(format!("IDC_ASSIGNMENT_STRATEGY: {e}")))?,
        };
        let evidence = evidence_from_env(&get)?;
        Ok(Settings {
            directory: DirectoryOptions {
                instance_arn: get("IDC_INSTANCE_ARN"),
                identity_store_id: get("IDC_IDENTITY_STORE_ID"),
                strategy,
                rates: Rates::default(),
                retry: RetryPolicy::default(),
                stats: Default::default(),
            },
            evidence,
            output,
            lookback_days,
            inactive_days,
        })
    }
}

/// Comma-separated values, each checked.
fn list(
    value: Option<String>,
    name: &str,
    check: impl Fn(&str) -> Result<(), NameError>,
) -> Result<Vec<String>, SettingsError> {
    let items: Vec<String> = value
        .unwrap_or_default()
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    for item in &items {
        check(item).map_err(|e| SettingsError(format!("{name}: {e}")))?;
    }
    Ok(items)
}

fn evidence_from_env(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<EvidenceSettings, SettingsError> {
    let required =
        |name: &str| get(name).ok_or_else(|| SettingsError(format!("{name} is not set")));
    match get("IDC_EVIDENCE_SOURCE").as_deref() {
        Some("cloudtrail-lake") | None => Ok(EvidenceSettings::CloudTrailLake {
            store: StoreRef::parse(&required("IDC_EVENT_DATA_STORE")?)
                .map_err(|e| SettingsError(format!("IDC_EVENT_DATA_STORE: {e}")))?,
            owner_account_id: get("IDC_LAKE_OWNER_ACCOUNT_ID"),
            role_arn: get("IDC_LAKE_ROLE_ARN"),
        }),
        Some("athena") => Ok(EvidenceSettings::Athena {
            table: TableRef::parse(&required("IDC_ATHENA_TABLE")?)
                .map_err(|e| SettingsError(format!("IDC_ATHENA_TABLE: {e}")))?,
            workgroup: get("IDC_ATHENA_WORKGROUP").unwrap_or_else(|| "primary".into()),
            output: get("IDC_ATHENA_OUTPUT"),
            scope: Scope {
                accounts: list(
                    get("IDC_ATHENA_ACCOUNTS"),
                    "IDC_ATHENA_ACCOUNTS",
                    check_account,
                )?,
                regions: list(
                    get("IDC_ATHENA_REGIONS"),
                    "IDC_ATHENA_REGIONS",
                    check_region,
                )?,
            },
        }),
        // Without Regions: the instance's (ListRegions), else the function's own.
        Some("cloudtrail-lookup") => Ok(EvidenceSettings::CloudTrailLookup(LookupOptions {
            regions: list(
                get("IDC_CLOUDTRAIL_LOOKUP_REGIONS"),
                "IDC_CLOUDTRAIL_LOOKUP_REGIONS",
                check_region,
            )?,
        })),
        Some("cloudwatch-logs") => cloudwatch_from_env(get),
        Some(other) => Err(SettingsError(format!(
            "IDC_EVIDENCE_SOURCE {other:?}: use cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup"
        ))),
    }
}

fn cloudwatch_from_env(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<EvidenceSettings, SettingsError> {
    let name = "IDC_CLOUDWATCH_LOG_GROUPS";
    let log_groups = get(name)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| LogGroupRef::parse(g).map_err(|e| SettingsError(format!("{name}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if log_groups.is_empty() {
        return Err(SettingsError(format!("{name} is not set")));
    }
    let region = get("IDC_CLOUDWATCH_REGION");
    if let Some(region) = &region {
        check_region(region).map_err(|e| SettingsError(format!("IDC_CLOUDWATCH_REGION: {e}")))?;
    }
    Ok(EvidenceSettings::CloudWatchLogs {
        log_groups,
        region,
        role_arn: get("IDC_CLOUDWATCH_ROLE_ARN"),
    })
}

/// What an invocation may override (the SSM document sends `lookback_days`), and, under Step
/// Functions, which step of a run it is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Invocation {
    #[serde(default)]
    pub lookback_days: Option<u32>,
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
    /// None: the whole report in this invocation.
    #[serde(default)]
    pub step: Option<Step>,
    /// The state machine's execution name: the run's state lives under `PREFIX/state/RUN_ID/`.
    #[serde(default)]
    pub run_id: Option<String>,
}

/// The steps of a run that spans several invocations (see `terraform/`, orchestration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Read the directory for this invocation's time, then answer CONTINUE or DONE.
    ReadDirectory,
    /// Evidence, report and publish, from the directory the first step read.
    Report,
}

/// The invocation's answer: where the report is, and its counts.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    #[serde(flatten)]
    pub published: Published,
    pub rows: usize,
    pub used: usize,
    pub unused: usize,
    pub warnings: usize,
}

/// One report: read, join, publish. `deadline` bounds the evidence query.
pub async fn run_once(
    settings: &Settings,
    invocation: &Invocation,
    deadline: Instant,
) -> Result<Response, crate::pipeline::Error> {
    let directory = DirectorySource::Aws(fresh_directory_options(settings));
    report_from(settings, invocation, directory, deadline).await
}

/// The directory options with calls counted from zero: a warm Lambda serves many invocations.
pub(crate) fn fresh_directory_options(settings: &Settings) -> DirectoryOptions {
    DirectoryOptions {
        stats: Default::default(),
        ..settings.directory.clone()
    }
}

/// Evidence, join and publish, over the directory from `directory`.
pub(crate) async fn report_from(
    settings: &Settings,
    invocation: &Invocation,
    directory: DirectorySource,
    deadline: Instant,
) -> Result<Response, crate::pipeline::Error> {
    let lookback_days = invocation.lookback_days.unwrap_or(settings.lookback_days);
    let window = Window::new(invocation.as_of.unwrap_or_else(Utc::now), lookback_days)
        .map_err(|e| crate::aws::AwsError::Other(e.to_string()))?;
    let evidence = evidence_source(&settings.evidence, deadline);
    let request = ReportRequest {
        directory,
        evidence,
        window,
        inactive_days: settings.inactive_days,
    };
    let session = AwsSession::default();
    let generated = pipeline::run_in(&request, Arc::new(NoProgress), &session).await?;
    publish_generated(&session, &settings.output, &window, generated).await
}

fn evidence_source(settings: &EvidenceSettings, deadline: Instant) -> EvidenceSource {
    match settings {
        EvidenceSettings::CloudTrailLake {
            store,
            owner_account_id,
            role_arn,
        } => EvidenceSource::CloudTrailLake(LakeOptions {
            store: store.clone(),
            owner_account_id: owner_account_id.clone(),
            role_arn: role_arn.clone(),
            deadline,
            instance_regions: Vec::new(),
        }),
        EvidenceSettings::Athena {
            table,
            workgroup,
            output,
            scope,
        } => EvidenceSource::Athena(AthenaOptions {
            table: table.clone(),
            workgroup: workgroup.clone(),
            output: output.clone(),
            scope: scope.clone(),
            deadline,
        }),
        EvidenceSettings::CloudTrailLookup(options) => {
            EvidenceSource::CloudTrailLookup(options.clone())
        }
        EvidenceSettings::CloudWatchLogs {
            log_groups,
            region,
            role_arn,
        } => EvidenceSource::CloudWatchLogs(CloudWatchOptions {
            log_groups: log_groups.clone(),
            region: region.clone(),
            role_arn: role_arn.clone(),
            max_rows: MAX_ROWS,
            deadline,
        }),
    }
}

/// Renders a generated report and publishes it to `target`.
pub async fn publish_generated(
    session: &AwsSession,
    target: &S3Target,
    window: &Window,
    generated: Generated,
) -> Result<Response, crate::pipeline::Error> {
    let Generated { report, manifest } = generated;
    let warnings = manifest.warnings.len();
    let counts = manifest.report.clone();
    let stem = target.archive_stem(window.as_of);
    let report_name = format!("{}.csv", stem.rsplit('/').next().unwrap_or_default());
    let artifacts = render_report(&report, manifest, &report_name);
    let client = crate::output::s3::client(session.config().await);
    let published = publish(&client, target, window.as_of, &artifacts).await?;
    Ok(Response {
        published,
        rows: counts.rows,
        used: counts.used,
        unused: counts.unused,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_env(|name| map.get(name).cloned())
    }

    #[test]
    fn a_minimal_environment_is_enough() {
        let s = settings(&[
            ("IDC_REPORT_BUCKET", "security-bucket"),
            ("IDC_EVENT_DATA_STORE", "eds-1"),
        ])
        .unwrap();
        assert_eq!(s.lookback_days, 90);
        assert_eq!(s.output.prefix, "");
        assert_eq!(s.directory.strategy, AssignmentStrategy::Auto);
    }

    #[test]
    fn wrong_settings_name_the_variable() {
        let message = |vars: &[(&str, &str)]| settings(vars).unwrap_err().to_string();
        assert!(
            message(&[("IDC_EVENT_DATA_STORE", "eds-1")]).contains("IDC_REPORT_BUCKET is not set")
        );
        assert!(message(&[
            ("IDC_REPORT_BUCKET", "b-1"),
            ("IDC_EVENT_DATA_STORE", "x'y")
        ])
        .contains("IDC_EVENT_DATA_STORE"));
        assert!(message(&[
            ("IDC_REPORT_BUCKET", "b-1"),
            ("IDC_EVENT_DATA_STORE", "e"),
            ("IDC_LOOKBACK_DAYS", "ninety")
        ])
        .contains("IDC_LOOKBACK_DAYS"));
        assert!(message(&[
            ("IDC_REPORT_BUCKET", "b-1"),
            ("IDC_EVENT_DATA_STORE", "e"),
            ("IDC_ASSIGNMENT_STRATEGY", "all")
        ])
        .contains("IDC_ASSIGNMENT_STRATEGY"));
        assert!(
            message(&[("IDC_REPORT_BUCKET", "B!"), ("IDC_EVENT_DATA_STORE", "e")])
                .contains("IDC_REPORT_BUCKET")
        );
    }

    #[test]
    fn every_evidence_source_is_configurable() {
        let base = [("IDC_REPORT_BUCKET", "b-1")];
        let with = |extra: &[(&str, &str)]| settings(&[&base[..], extra].concat());
        let athena = with(&[
            ("IDC_EVIDENCE_SOURCE", "athena"),
            ("IDC_ATHENA_TABLE", "db.trail"),
            ("IDC_ATHENA_REGIONS", "us-east-1, eu-west-1"),
        ])
        .unwrap();
        assert!(
            matches!(athena.evidence, EvidenceSettings::Athena { ref scope, .. } if scope.regions.len() == 2)
        );
        let lookup = with(&[
            ("IDC_EVIDENCE_SOURCE", "cloudtrail-lookup"),
            ("IDC_CLOUDTRAIL_LOOKUP_REGIONS", "us-east-1"),
        ])
        .unwrap();
        assert!(matches!(
            lookup.evidence,
            EvidenceSettings::CloudTrailLookup(_)
        ));
        let cloudwatch = with(&[
            ("IDC_EVIDENCE_SOURCE", "cloudwatch-logs"),
            (
                "IDC_CLOUDWATCH_LOG_GROUPS",
                "aws-controltower/CloudTrailLogs, other",
            ),
        ])
        .unwrap();
        assert!(matches!(
            cloudwatch.evidence,
            EvidenceSettings::CloudWatchLogs { ref log_groups, .. } if log_groups.len() == 2
        ));
        assert!(with(&[("IDC_EVIDENCE_SOURCE", "cloudwatch-logs")]).is_err());
        assert!(with(&[
            ("IDC_EVIDENCE_SOURCE", "cloudwatch-logs"),
            ("IDC_CLOUDWATCH_LOG_GROUPS", "a'b"),
        ])
        .is_err());
        // Without Regions: every Region of the instance.
        let every_region = with(&[("IDC_EVIDENCE_SOURCE", "cloudtrail-lookup")]).unwrap();
        assert!(matches!(
            every_region.evidence,
            EvidenceSettings::CloudTrailLookup(LookupOptions { ref regions }) if regions.is_empty()
        ));
        assert!(with(&[
            ("IDC_EVIDENCE_SOURCE", "athena"),
            ("IDC_ATHENA_TABLE", "db.t"),
            ("IDC_ATHENA_ACCOUNTS", "12")
        ])
        .is_err());
        assert!(with(&[("IDC_EVIDENCE_SOURCE", "splunk")])
            .unwrap_err()
            .to_string()
            .contains("use cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup"));
    }

    #[test]
    fn the_payload_overrides_lookback_and_as_of() {
        let i: Invocation =
            serde_json::from_str(r#"{"lookback_days": 30, "as_of": "2026-11-22T00:00:00Z"}"#)
                .unwrap();
        assert_eq!(i.lookback_days, Some(30));
        let scheduled: Invocation = serde_json::from_str(r#"{"source": "schedule"}"#).unwrap();
        assert_eq!(scheduled.lookback_days, None);
    }
}
