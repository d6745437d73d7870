//! Applying a plan: every item re-checked against the live directory, then deleted (or, in a
//! dry run, reported as deletable), every AWS call recorded with its outcome.

use super::plan::{Plan, PLAN_FORMAT};
use super::RemediationError;
use crate::aws::{AwsError, Caller, RateLimiter};
use aws_config::SdkConfig;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// More planned deletions than this and nothing is deleted.
    pub max_deletions: usize,
    /// Re-check and report, delete nothing.
    pub dry_run: bool,
    /// Users are deleted only when this is set (they cannot be restored).
    pub allow_user_deletion: bool,
    /// Who approved the plan, for the audit log.
    pub approved_by: Option<String>,
    /// When set, the plan must have been made for this instance and identity store.
    pub instance_arn: Option<String>,
    pub identity_store_id: Option<String>,
    /// When set, the plan's SHA-256 must be this (the plan that was approved).
    pub expected_plan_sha256: Option<String>,
    /// How long to wait for one assignment deletion to finish.
    pub deletion_timeout: Duration,
    /// Items not started by then are skipped, so that the audit log is still written (Lambda).
    pub deadline: Option<tokio::time::Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Deleted,
    WouldDelete,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub action: &'static str,
    pub resource: String,
    /// `ok`, or the error.
    pub result: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditItem {
    /// `assignment` or `user`.
    pub kind: &'static str,
    pub target: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub calls: Vec<CallRecord>,
    /// How to undo the deletion.
    pub restore: String,
}

/// What an application of a plan did, call by call.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLog {
    pub tool: String,
    pub plan: String,
    pub plan_sha256: String,
    pub report_sha256: String,
    pub approved_by: Option<String>,
    pub dry_run: bool,
    pub max_deletions: usize,
    pub started_at: String,
    pub finished_at: String,
    pub deleted_assignments: usize,
    pub deleted_users: usize,
    pub would_delete: usize,
    pub skipped: usize,
    pub failed: usize,
    pub items: Vec<AuditItem>,
}

impl AuditLog {
    /// Items of `kind` (any kind when `None`) that ended in `outcome`.
    fn count(&self, kind: Option<&str>, outcome: Outcome) -> usize {
        self.items
            .iter()
            .filter(|i| kind.is_none_or(|k| i.kind == k) && i.outcome == outcome)
            .count()
    }
}

/// Applies `plan` (read from `plan_location`, whose bytes hash to `plan_sha256`).
/// Refusals happen before any AWS call; after that, each item stands alone.
pub async fn apply_plan(
    config: &SdkConfig,
    plan: &Plan,
    plan_location: &str,
    plan_sha256: &str,
    options: &ApplyOptions,
) -> Result<AuditLog, RemediationError> {
    check_plan(plan, plan_sha256, options)?;
    let started_at = now();
    let remover = Remover::new(config, plan);
    let mut items = Vec::new();
    for assignment in &plan.assignments {
        items.push(match out_of_time(options) {
            Some(skipped) => skipped("assignment", remover.describe_assignment(assignment)),
            None => remover.remove_assignment(assignment, options).await,
        });
    }
    for user in &plan.users {
        items.push(match out_of_time(options) {
            Some(skipped) => skipped("user", remover.describe_user(user)),
            None => remover.remove_user(user, options).await,
        });
    }
    let mut log = AuditLog {
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        plan: plan_location.to_owned(),
        plan_sha256: plan_sha256.to_owned(),
        report_sha256: plan.evidence.report_sha256.clone(),
        approved_by: options.approved_by.clone(),
        dry_run: options.dry_run,
        max_deletions: options.max_deletions,
        started_at,
        finished_at: now(),
        deleted_assignments: 0,
        deleted_users: 0,
        would_delete: 0,
        skipped: 0,
        failed: 0,
        items,
    };
    log.deleted_assignments = log.count(Some("assignment"), Outcome::Deleted);
    log.deleted_users = log.count(Some("user"), Outcome::Deleted);
    log.would_delete = log.count(None, Outcome::WouldDelete);
    log.skipped = log.count(None, Outcome::Skipped);
    log.failed = log.count(None, Outcome::Failed);
    Ok(log)
}

/// Past the deadline (less the time one item may take), a maker of "not attempted" items.
fn out_of_time(options: &ApplyOptions) -> Option<fn(&'static str, String) -> AuditItem> {
    let deadline = options.deadline?;
    if tokio::time::Instant::now() + options.deletion_timeout < deadline {
        return None;
    }
    Some(|kind, target| AuditItem {
        kind,
        target,
        outcome: Outcome::Skipped,
        reason: Some("not attempted: the run was out of time; apply the plan again".into()),
        calls: Vec::new(),
        restore: String::new(),
    })
}

pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn check_plan(
    plan: &Plan,
    plan_sha256: &str,
    options: &ApplyOptions,
) -> Result<(), RemediationError> {
    let refuse = |why: String| Err(RemediationError::ApplyRefused(why));
    if plan.plan_format != PLAN_FORMAT {
        return refuse(format!(
            "plan format {} is not {PLAN_FORMAT}, which this version applies",
            plan.plan_format
        ));
    }
    if let Some(expected) = &options.expected_plan_sha256 {
        if expected != plan_sha256 {
            return refuse(format!("the plan's SHA-256 is {plan_sha256}, not the approved {expected}: it changed after approval"));
        }
    }
    let evidence = &plan.evidence;
    if let Some(instance) = options
        .instance_arn
        .as_ref()
        .filter(|i| **i != evidence.instance_arn)
    {
        return refuse(format!(
            "the plan is for instance {}, not {instance}",
            evidence.instance_arn
        ));
    }
    if let Some(store) = options
        .identity_store_id
        .as_ref()
        .filter(|s| **s != evidence.identity_store_id)
    {
        return refuse(format!(
            "the plan is for identity store {}, not {store}",
            evidence.identity_store_id
        ));
    }
    if !plan.users.is_empty() && !options.allow_user_deletion {
        return refuse(format!("it deletes {} user(s), which cannot be restored; allow it explicitly (--allow-user-deletion) or plan without --include-users", plan.users.len()));
    }
    let deletions = plan.assignments.len() + plan.users.len();
    if deletions > options.max_deletions {
        return refuse(format!("it holds {deletions} deletions, more than the cap of {}; review a smaller plan (--unused-days) or raise --max-deletions", options.max_deletions));
    }
    Ok(())
}

/// Keeps the call's outcome in `calls` and passes the result on.
pub(super) fn record<T>(
    calls: &mut Vec<CallRecord>,
    action: &'static str,
    resource: &str,
    result: Result<T, AwsError>,
) -> Result<T, AwsError> {
    calls.push(CallRecord {
        action,
        resource: resource.to_owned(),
        result: match &result {
            Ok(_) => "ok".into(),
            Err(error) => error.to_string(),
        },
    });
    result
}

pub(super) fn is_not_found(error: &AwsError) -> bool {
    error.code() == Some("ResourceNotFoundException")
}

/// What a re-check found: go ahead, or skip and why.
pub(super) type Recheck = Result<Option<String>, AwsError>;

/// An item's outcome from its re-check: deleted (by `delete`, only when the re-check found
/// nothing and this is no dry run), would be deleted, skipped or failed, and why.
pub(super) async fn decide<F: std::future::Future<Output = Result<(), AwsError>>>(
    checked: Recheck,
    dry_run: bool,
    delete: impl FnOnce() -> F,
) -> (Outcome, Option<String>) {
    match checked {
        Err(error) => (Outcome::Failed, Some(format!("re-check failed: {error}"))),
        Ok(Some(why)) => (Outcome::Skipped, Some(why)),
        Ok(None) if dry_run => (Outcome::WouldDelete, None),
        Ok(None) => match delete().await {
            Ok(()) => (Outcome::Deleted, None),
            Err(error) => (Outcome::Failed, Some(error.to_string())),
        },
    }
}

pub(super) struct Remover {
    pub(super) sso: aws_sdk_ssoadmin::Client,
    pub(super) ids: aws_sdk_identitystore::Client,
    pub(super) caller: Caller,
    pub(super) sso_limit: RateLimiter,
    pub(super) ids_limit: RateLimiter,
    pub(super) instance_arn: String,
    pub(super) store_id: String,
}

impl Remover {
    fn new(config: &SdkConfig, plan: &Plan) -> Self {
        Remover {
            sso: aws_sdk_ssoadmin::Client::new(config),
            ids: aws_sdk_identitystore::Client::new(config),
            caller: Caller::default(),
            // Far under the quotas: a remediation must not starve the weekly report.
            sso_limit: RateLimiter::per_second(5.0),
            ids_limit: RateLimiter::per_second(5.0),
            instance_arn: plan.evidence.instance_arn.clone(),
            store_id: plan.evidence.identity_store_id.clone(),
        }
    }
}
