//! `plan-removal` and `apply-removal`: acting on a report, with a reviewed plan in between.

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use idc_credential_report::aws::AwsSession;
use idc_credential_report::remediation::apply::AuditItem;
use idc_credential_report::remediation::{
    apply_plan, plan_bytes, plan_removal, read_plan, write_audit_log, ApplyOptions, Outcome,
    PlanOptions,
};
use idc_credential_report::store::Location;
use std::time::Duration;

#[derive(Args)]
pub struct PlanRemovalArgs {
    /// The report CSV (a file or s3://BUCKET/KEY); its manifest and user summary are read from
    /// beside it, and their SHA-256 checked against the manifest.
    #[arg(long, value_name = "REPORT")]
    report: String,

    /// Plan assignments that nobody used for at least this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3653))]
    unused_days: u32,

    /// Also plan users inactive as long who would hold no assignment after the plan.
    #[arg(long)]
    include_users: bool,

    /// Warning codes you have checked and accept (comma-separated); without them a report
    /// with warnings gives no plan.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    accept_warnings: Vec<String>,

    /// Where to write the plan (a file or s3://BUCKET/KEY.json).
    #[arg(long, value_name = "PLAN")]
    output: String,

    /// KMS key for SSE-KMS when the plan is written to S3.
    #[arg(long, value_name = "ARN")]
    kms_key_arn: Option<String>,
}

impl PlanRemovalArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let session = AwsSession::default();
        let options = PlanOptions {
            unused_days: self.unused_days,
            include_users: self.include_users,
            accept_warnings: self.accept_warnings.clone(),
            now: Utc::now(),
        };
        let plan = plan_removal(&session, &Location::parse(&self.report, None)?, &options).await?;
        let (body, sha256) = plan_bytes(&plan);
        let output = Location::parse(&self.output, self.kms_key_arn)?;
        output.write_new(session.config().await, &body).await?;
        for a in &plan.assignments {
            eprintln!(
                "remove {} {} from account {} ({}), permission set {}: {}",
                a.principal_type,
                a.principal_name,
                a.account_id,
                a.account_name,
                a.permission_set_name,
                a.reason
            );
        }
        for u in &plan.users {
            eprintln!("delete user {} ({}): {}", u.user_name, u.user_id, u.reason);
        }
        eprintln!("{}", plan.summary());
        eprintln!("plan written to {output} (SHA-256 {sha256}); review it, then: idc-credential-report apply-removal --plan {output} --audit-log ...");
        Ok(())
    }
}

#[derive(Args)]
pub struct ApplyRemovalArgs {
    /// The plan from plan-removal (a file or s3://BUCKET/KEY).
    #[arg(long, value_name = "PLAN")]
    plan: String,

    /// Delete for real. Without it, every item is re-checked and nothing is deleted.
    #[arg(long)]
    yes: bool,

    /// Refuse a plan with more deletions than this.
    #[arg(long, value_name = "N", default_value_t = 25)]
    max_deletions: usize,

    /// Allow deleting the users the plan lists (they cannot be restored).
    #[arg(long)]
    allow_user_deletion: bool,

    /// The plan's SHA-256 as reviewed; the plan is refused if it changed since.
    #[arg(long, value_name = "HEX")]
    plan_sha256: Option<String>,

    /// Who approved the plan, for the audit log.
    #[arg(long, value_name = "NAME")]
    approved_by: Option<String>,

    /// Where to write the audit log of every call and its outcome (a file or s3://BUCKET/KEY.json).
    #[arg(long, value_name = "LOG")]
    audit_log: String,

    /// KMS key for SSE-KMS when the audit log is written to S3.
    #[arg(long, value_name = "ARN")]
    kms_key_arn: Option<String>,

    /// How long to wait for one assignment deletion to finish, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    deletion_timeout: u64,
}

impl ApplyRemovalArgs {
    pub async fn run(self) -> anyhow::Result<()> {
        let session = AwsSession::default();
        let plan_location = Location::parse(&self.plan, None)?;
        let audit_location = Location::parse(&self.audit_log, self.kms_key_arn.clone())?;
        let (plan, sha256) = read_plan(&session, &plan_location).await?;
        let options = ApplyOptions {
            max_deletions: self.max_deletions,
            dry_run: !self.yes,
            allow_user_deletion: self.allow_user_deletion,
            approved_by: self.approved_by.clone(),
            instance_arn: None,
            identity_store_id: None,
            expected_plan_sha256: self.plan_sha256.clone(),
            deletion_timeout: Duration::from_secs(self.deletion_timeout),
            deadline: None,
        };
        let log = apply_plan(
            session.config().await,
            &plan,
            &plan_location.to_string(),
            &sha256,
            &options,
        )
        .await?;
        write_audit_log(&session, &audit_location, &log)
            .await
            .with_context(|| {
                format!(
                    "the audit log could not be written; its content:\n{}",
                    serde_json::to_string_pretty(&log).unwrap_or_default()
                )
            })?;
        log.items.iter().for_each(print_item);
        eprintln!(
            "{}{} assignment(s) and {} user(s) deleted, {} skipped, {} failed{}; audit log: {audit_location}",
            if log.dry_run { "dry run: " } else { "" },
            if log.dry_run { log.would_delete } else { log.deleted_assignments },
            log.deleted_users,
            log.skipped,
            log.failed,
            if log.dry_run { " (would be deleted; nothing was: add --yes)" } else { "" },
        );
        anyhow::ensure!(
            log.failed == 0,
            "{} item(s) failed; see the audit log",
            log.failed
        );
        Ok(())
    }
}

fn print_item(item: &AuditItem) {
    let outcome = match item.outcome {
        Outcome::Deleted => "deleted",
        Outcome::WouldDelete => "would delete",
        Outcome::Skipped => "skipped",
        Outcome::Failed => "FAILED",
    };
    let reason = item
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    eprintln!("{outcome} {}{reason}", item.target);
    if item.outcome == Outcome::Deleted {
        eprintln!("  to undo: {}", item.restore);
    }
}
