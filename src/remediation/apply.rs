//! Applying a plan: every item re-checked against the live directory, then deleted (or, in a
//! dry run, reported as deletable), every AWS call recorded with its outcome.

use super::plan::{Plan, PlannedAssignment, PlannedUser, PLAN_FORMAT};
use super::RemediationError;
use crate::aws::{paginate, AwsError, Caller, PollPacer, RateLimiter};
use crate::directory::aws::member_user_ids;
use aws_config::SdkConfig;
use aws_sdk_identitystore::types::MemberId;
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, StatusValues, TargetType,
};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashSet;
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

fn now() -> String {
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
fn record<T>(
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

fn is_not_found(error: &AwsError) -> bool {
    error.code() == Some("ResourceNotFoundException")
}

/// What a re-check found: go ahead, or skip and why.
type Recheck = Result<Option<String>, AwsError>;

/// An item's outcome from its re-check: deleted (by `delete`, only when the re-check found
/// nothing and this is no dry run), would be deleted, skipped or failed, and why.
async fn decide<F: std::future::Future<Output = Result<(), AwsError>>>(
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

struct Remover {
    sso: aws_sdk_ssoadmin::Client,
    ids: aws_sdk_identitystore::Client,
    caller: Caller,
    sso_limit: RateLimiter,
    ids_limit: RateLimiter,
    instance_arn: String,
    store_id: String,
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

    async fn remove_assignment(&self, a: &PlannedAssignment, options: &ApplyOptions) -> AuditItem {
        let mut calls = Vec::new();
        let checked = self.recheck_assignment(a, &mut calls).await;
        let (outcome, reason) = decide(checked, options.dry_run, || {
            self.delete_assignment(a, options, &mut calls)
        })
        .await;
        AuditItem {
            kind: "assignment",
            target: self.describe_assignment(a),
            outcome,
            reason,
            calls,
            restore: format!(
                "aws sso-admin create-account-assignment --instance-arn {} --target-id {} --target-type AWS_ACCOUNT --permission-set-arn {} --principal-type {} --principal-id {}",
                self.instance_arn, a.account_id, a.permission_set_arn, a.principal_type, a.principal_id
            ),
        }
    }

    fn describe_assignment(&self, a: &PlannedAssignment) -> String {
        format!(
            "{} {} ({}) in account {} ({}), permission set {}",
            a.principal_type,
            a.principal_name,
            a.principal_id,
            a.account_id,
            a.account_name,
            a.permission_set_name
        )
    }

    async fn recheck_assignment(
        &self,
        a: &PlannedAssignment,
        calls: &mut Vec<CallRecord>,
    ) -> Recheck {
        let action = "sso:DescribePermissionSet";
        let described = self
            .caller
            .call(&self.sso_limit, action, &a.permission_set_arn, || {
                self.sso
                    .describe_permission_set()
                    .instance_arn(&self.instance_arn)
                    .permission_set_arn(&a.permission_set_arn)
                    .send()
            })
            .await;
        let name = match record(calls, action, &a.permission_set_arn, described) {
            Err(error) if is_not_found(&error) => {
                return Ok(Some("the permission set no longer exists".into()))
            }
            other => other?
                .permission_set
                .and_then(|p| p.name)
                .unwrap_or_default(),
        };
        if name != a.permission_set_name {
            return Ok(Some(format!(
                "the permission set is now named {name:?}; the report's evidence is for {:?}",
                a.permission_set_name
            )));
        }
        if !self.still_assigned(a, calls).await? {
            return Ok(Some("the assignment no longer exists".into()));
        }
        if a.principal_type == "GROUP" {
            let members = match self.group_members(&a.principal_id, calls).await {
                Err(error) if is_not_found(&error) => {
                    return Ok(Some("the group no longer exists".into()))
                }
                other => other?,
            };
            let planned: HashSet<&str> = a.member_user_ids.iter().map(String::as_str).collect();
            let joined = members
                .iter()
                .filter(|m| !planned.contains(m.as_str()))
                .count();
            if joined > 0 {
                return Ok(Some(format!(
                    "{joined} user(s) joined the group after the report; their use of it was not checked"
                )));
            }
        }
        Ok(None)
    }

    async fn still_assigned(
        &self,
        a: &PlannedAssignment,
        calls: &mut Vec<CallRecord>,
    ) -> Result<bool, AwsError> {
        let action = "sso:ListAccountAssignments";
        let resource = format!(
            "account {}, permission set {}",
            a.account_id, a.permission_set_arn
        );
        let resource = resource.as_str();
        let listed = paginate(action, resource, |token| async move {
            let out = self
                .caller
                .call(&self.sso_limit, action, resource, || {
                    self.sso
                        .list_account_assignments()
                        .instance_arn(&self.instance_arn)
                        .account_id(&a.account_id)
                        .permission_set_arn(&a.permission_set_arn)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            let found: Vec<(String, String)> = out
                .account_assignments
                .unwrap_or_default()
                .into_iter()
                .filter_map(|x| Some((x.principal_type?.as_str().to_owned(), x.principal_id?)))
                .collect();
            Ok((found, out.next_token))
        })
        .await;
        let listed = record(calls, action, resource, listed)?;
        Ok(listed.contains(&(a.principal_type.clone(), a.principal_id.clone())))
    }

    async fn group_members(
        &self,
        group_id: &str,
        calls: &mut Vec<CallRecord>,
    ) -> Result<Vec<String>, AwsError> {
        let action = "identitystore:ListGroupMemberships";
        let listed = paginate(action, group_id, |token| async move {
            let out = self
                .caller
                .call(&self.ids_limit, action, group_id, || {
                    self.ids
                        .list_group_memberships()
                        .identity_store_id(&self.store_id)
                        .group_id(group_id)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            Ok((member_user_ids(out.group_memberships), out.next_token))
        })
        .await;
        record(calls, action, group_id, listed)
    }

    async fn delete_assignment(
        &self,
        a: &PlannedAssignment,
        options: &ApplyOptions,
        calls: &mut Vec<CallRecord>,
    ) -> Result<(), AwsError> {
        let action = "sso:DeleteAccountAssignment";
        let resource = format!(
            "{} {} in account {}, permission set {}",
            a.principal_type, a.principal_id, a.account_id, a.permission_set_arn
        );
        let deleted = self
            .caller
            .call(&self.sso_limit, action, &resource, || {
                self.sso
                    .delete_account_assignment()
                    .instance_arn(&self.instance_arn)
                    .target_id(&a.account_id)
                    .target_type(TargetType::AwsAccount)
                    .permission_set_arn(&a.permission_set_arn)
                    .principal_type(PrincipalType::from(a.principal_type.as_str()))
                    .principal_id(&a.principal_id)
                    .send()
            })
            .await;
        let mut status =
            record(calls, action, &resource, deleted)?.account_assignment_deletion_status;
        let mut pacer = PollPacer::new(tokio::time::Instant::now() + options.deletion_timeout);
        loop {
            let current = status.as_ref().and_then(|s| s.status.clone());
            let request_id = status
                .as_ref()
                .and_then(|s| s.request_id.clone())
                .unwrap_or_default();
            match current {
                Some(StatusValues::Succeeded) => return Ok(()),
                Some(StatusValues::Failed) => return Err(deletion_failed(&resource, status.as_ref())),
                _ if !pacer.wait().await => {
                    return Err(AwsError::Other(format!(
                        "the deletion of {resource} was still in progress after {} s; see `aws sso-admin describe-account-assignment-deletion-status --instance-arn {} --account-assignment-deletion-request-id {request_id}`",
                        options.deletion_timeout.as_secs(), self.instance_arn
                    )))
                }
                _ => status = self.deletion_status(&request_id, calls).await?,
            }
        }
    }

    async fn deletion_status(
        &self,
        request_id: &str,
        calls: &mut Vec<CallRecord>,
    ) -> Result<Option<AccountAssignmentOperationStatus>, AwsError> {
        let action = "sso:DescribeAccountAssignmentDeletionStatus";
        let described = self
            .caller
            .call(&self.sso_limit, action, request_id, || {
                self.sso
                    .describe_account_assignment_deletion_status()
                    .instance_arn(&self.instance_arn)
                    .account_assignment_deletion_request_id(request_id)
                    .send()
            })
            .await;
        Ok(record(calls, action, request_id, described)?.account_assignment_deletion_status)
    }

    async fn remove_user(&self, u: &PlannedUser, options: &ApplyOptions) -> AuditItem {
        let mut calls = Vec::new();
        let checked = self.recheck_user(u, &mut calls).await;
        let (outcome, reason) =
            decide(checked, options.dry_run, || self.delete_user(u, &mut calls)).await;
        AuditItem {
            kind: "user",
            target: self.describe_user(u),
            outcome,
            reason,
            calls,
            restore: format!(
                "not reversible: recreate the user with `aws identitystore create-user --identity-store-id {} --user-name {} ...` (it gets a new user id) and add its groups and assignments again",
                self.store_id, u.user_name
            ),
        }
    }

    fn describe_user(&self, u: &PlannedUser) -> String {
        format!(
            "user {} ({}) in identity store {}",
            u.user_name, u.user_id, self.store_id
        )
    }

    async fn recheck_user(&self, u: &PlannedUser, calls: &mut Vec<CallRecord>) -> Recheck {
        let action = "identitystore:DescribeUser";
        let described = self
            .caller
            .call(&self.ids_limit, action, &u.user_id, || {
                self.ids
                    .describe_user()
                    .identity_store_id(&self.store_id)
                    .user_id(&u.user_id)
                    .send()
            })
            .await;
        let user = match record(calls, action, &u.user_id, described) {
            Err(error) if is_not_found(&error) => {
                return Ok(Some("the user no longer exists".into()))
            }
            other => other?,
        };
        if user.user_name.as_deref() != Some(u.user_name.as_str()) {
            return Ok(Some(format!(
                "the user is now named {:?}",
                user.user_name.unwrap_or_default()
            )));
        }
        if !user.external_ids.unwrap_or_default().is_empty() {
            return Ok(Some("the user is provisioned from an external identity provider: remove it there, or it comes back at the next sync".into()));
        }
        match self.principal_assignments("USER", &u.user_id, calls).await {
            Err(error) if error.is_access_or_validation() => {
                return Ok(Some(format!(
                    "cannot confirm that the user holds no assignment ({error})"
                )))
            }
            Err(error) => return Err(error),
            Ok(0) => {}
            Ok(n) => return Ok(Some(format!("the user still holds {n} assignment(s)"))),
        }
        for group in self.groups_of(&u.user_id, calls).await? {
            match self.principal_assignments("GROUP", &group, calls).await? {
                0 => {}
                n => {
                    return Ok(Some(format!(
                        "the user is a member of group {group}, which holds {n} assignment(s)"
                    )))
                }
            }
        }
        Ok(None)
    }

    async fn principal_assignments(
        &self,
        kind: &str,
        id: &str,
        calls: &mut Vec<CallRecord>,
    ) -> Result<usize, AwsError> {
        let action = "sso:ListAccountAssignmentsForPrincipal";
        let listed = paginate(action, id, |token| async move {
            let out = self
                .caller
                .call(&self.sso_limit, action, id, || {
                    self.sso
                        .list_account_assignments_for_principal()
                        .instance_arn(&self.instance_arn)
                        .principal_type(PrincipalType::from(kind))
                        .principal_id(id)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            Ok((out.account_assignments.unwrap_or_default(), out.next_token))
        })
        .await;
        Ok(record(calls, action, id, listed)?.len())
    }

    async fn groups_of(
        &self,
        user_id: &str,
        calls: &mut Vec<CallRecord>,
    ) -> Result<Vec<String>, AwsError> {
        let action = "identitystore:ListGroupMembershipsForMember";
        let listed = paginate(action, user_id, |token| async move {
            let out = self
                .caller
                .call(&self.ids_limit, action, user_id, || {
                    self.ids
                        .list_group_memberships_for_member()
                        .identity_store_id(&self.store_id)
                        .member_id(MemberId::UserId(user_id.to_owned()))
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            let groups: Vec<String> = out
                .group_memberships
                .into_iter()
                .filter_map(|m| m.group_id)
                .collect();
            Ok((groups, out.next_token))
        })
        .await;
        record(calls, action, user_id, listed)
    }

    async fn delete_user(
        &self,
        u: &PlannedUser,
        calls: &mut Vec<CallRecord>,
    ) -> Result<(), AwsError> {
        let action = "identitystore:DeleteUser";
        let deleted = self
            .caller
            .call(&self.ids_limit, action, &u.user_id, || {
                self.ids
                    .delete_user()
                    .identity_store_id(&self.store_id)
                    .user_id(&u.user_id)
                    .send()
            })
            .await;
        record(calls, action, &u.user_id, deleted).map(|_| ())
    }
}

fn deletion_failed(resource: &str, status: Option<&AccountAssignmentOperationStatus>) -> AwsError {
    let reason = status
        .and_then(|s| s.failure_reason.clone())
        .unwrap_or_else(|| "no reason given".into());
    AwsError::Other(format!("the deletion of {resource} failed: {reason}"))
}
