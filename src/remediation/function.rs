//! The remediation function (same package as the report, `IDC_FUNCTION=remediation`): shows a
//! plan to its approver, then applies exactly the plan that was approved.

use super::apply::{apply_plan, ApplyOptions};
use super::{read_plan, write_audit_log, RemediationError};
use crate::aws::AwsSession;
use crate::config::{Env, SettingsError};
use crate::store::Location;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Settings read once from the environment.
#[derive(Debug, Clone)]
pub struct RemediationSettings {
    pub instance_arn: String,
    pub identity_store_id: String,
    pub bucket: String,
    /// Empty, or ending in `/`.
    pub prefix: String,
    pub kms_key_arn: Option<String>,
    pub max_deletions: usize,
    pub allow_user_deletion: bool,
}

impl RemediationSettings {
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<RemediationSettings, SettingsError> {
        let env = Env(var);
        let max_deletions = env.whole_number("IDC_MAX_DELETIONS", 25)?;
        let allow_user_deletion = match env.get("IDC_ALLOW_USER_DELETION").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(SettingsError(format!(
                    "IDC_ALLOW_USER_DELETION must be true or false, not {other:?}"
                )))
            }
        };
        Ok(RemediationSettings {
            instance_arn: env.required("IDC_INSTANCE_ARN")?,
            identity_store_id: env.required("IDC_IDENTITY_STORE_ID")?,
            bucket: env.required("IDC_REPORT_BUCKET")?,
            prefix: match env.get("IDC_REPORT_PREFIX") {
                None => String::new(),
                Some(p) => format!("{}/", p.trim_matches('/')),
            },
            kms_key_arn: env.get("IDC_REPORT_KMS_KEY_ARN"),
            max_deletions,
            allow_user_deletion,
        })
    }

    fn plans_prefix(&self) -> String {
        format!("s3://{}/{}remediation/plans/", self.bucket, self.prefix)
    }

    /// Only plans under the plans prefix: that is all the function's role may read anyway,
    /// and a clear refusal beats an access-denied error.
    fn plan_location(&self, uri: &str) -> Result<Location, RemediationError> {
        let prefix = self.plans_prefix();
        if !uri.starts_with(&prefix) || !uri.ends_with(".json") {
            return Err(RemediationError::ApplyRefused(format!(
                "{uri} is not a plan under {prefix}: upload the plan there (a .json file)"
            )));
        }
        Ok(Location::parse(uri, None)?)
    }

    fn audit_location(&self, plan: &Location, dry_run: bool) -> Location {
        let name = plan.file_name();
        let stem = name.strip_suffix(".json").unwrap_or(&name);
        Location::S3 {
            bucket: self.bucket.clone(),
            key: format!(
                "{}remediation/audit/{stem}-{}{}.json",
                self.prefix,
                Utc::now().format("%Y%m%dT%H%M%SZ"),
                if dry_run { "-dry-run" } else { "" }
            ),
            kms_key_arn: self.kms_key_arn.clone(),
        }
    }
}

/// The function's payload.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RemediationRequest {
    Summarize {
        plan_s3_uri: String,
    },
    Apply {
        plan_s3_uri: String,
        /// From `summarize`: the plan the approver saw.
        plan_sha256: String,
        approved_by: String,
        #[serde(default)]
        dry_run: bool,
        #[serde(default)]
        max_deletions: Option<usize>,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RemediationResponse {
    Summary {
        plan_s3_uri: String,
        plan_sha256: String,
        assignments: usize,
        users: usize,
        report_sha256: String,
        report_as_of: String,
        unused_days: u32,
        summary: String,
    },
    Applied {
        audit_log_s3_uri: String,
        deleted_assignments: usize,
        deleted_users: usize,
        would_delete: usize,
        skipped: usize,
        failed: usize,
        dry_run: bool,
    },
}

/// Handles one request; deletions not started by `deadline` are left for another run.
pub async fn handle_remediation(
    settings: &RemediationSettings,
    request: RemediationRequest,
    deadline: tokio::time::Instant,
) -> Result<RemediationResponse, RemediationError> {
    let session = AwsSession::default();
    match request {
        RemediationRequest::Summarize { plan_s3_uri } => {
            let location = settings.plan_location(&plan_s3_uri)?;
            let (plan, plan_sha256) = read_plan(&session, &location).await?;
            Ok(RemediationResponse::Summary {
                plan_s3_uri,
                plan_sha256,
                assignments: plan.assignments.len(),
                users: plan.users.len(),
                report_sha256: plan.evidence.report_sha256.clone(),
                report_as_of: plan.evidence.as_of.clone(),
                unused_days: plan.unused_days,
                summary: plan.summary(),
            })
        }
        RemediationRequest::Apply {
            plan_s3_uri,
            plan_sha256,
            approved_by,
            dry_run,
            max_deletions,
        } => {
            let location = settings.plan_location(&plan_s3_uri)?;
            let (plan, actual_sha256) = read_plan(&session, &location).await?;
            let options = ApplyOptions {
                max_deletions: max_deletions
                    .unwrap_or(settings.max_deletions)
                    .min(settings.max_deletions),
                dry_run,
                allow_user_deletion: settings.allow_user_deletion,
                approved_by: Some(approved_by),
                instance_arn: Some(settings.instance_arn.clone()),
                identity_store_id: Some(settings.identity_store_id.clone()),
                expected_plan_sha256: Some(plan_sha256),
                deletion_timeout: Duration::from_secs(60),
                deadline: Some(deadline),
            };
            let config = session.config().await;
            let log = apply_plan(config, &plan, &plan_s3_uri, &actual_sha256, &options).await?;
            let audit = settings.audit_location(&location, dry_run);
            write_audit_log(&session, &audit, &log).await?;
            Ok(RemediationResponse::Applied {
                audit_log_s3_uri: audit.to_string(),
                deleted_assignments: log.deleted_assignments,
                deleted_users: log.deleted_users,
                would_delete: log.would_delete,
                skipped: log.skipped,
                failed: log.failed,
                dry_run,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RemediationSettings {
        let vars = [
            ("IDC_INSTANCE_ARN", "arn:aws:sso:::instance/ssoins-1"),
            ("IDC_IDENTITY_STORE_ID", "d-1"),
            ("IDC_REPORT_BUCKET", "sec"),
            ("IDC_REPORT_PREFIX", "idc"),
        ];
        RemediationSettings::from_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn defaults_are_cautious() {
        let s = settings();
        assert_eq!((s.max_deletions, s.allow_user_deletion), (25, false));
    }

    #[test]
    fn plans_are_read_only_from_the_plans_prefix() {
        let s = settings();
        assert!(s
            .plan_location("s3://sec/idc/remediation/plans/p.json")
            .is_ok());
        for bad in [
            "s3://sec/idc/reports/p.json",
            "s3://other/idc/remediation/plans/p.json",
            "s3://sec/idc/remediation/plans/p.csv",
        ] {
            assert!(s.plan_location(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_apply_needs_the_approved_hash_and_the_approver() {
        let missing: Result<RemediationRequest, _> =
            serde_json::from_str(r#"{"action": "apply", "plan_s3_uri": "s3://b/k.json"}"#);
        assert!(missing.is_err());
    }
}
