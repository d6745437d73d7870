//! Removing one planned assignment: re-checked against the live directory (still assigned,
//! still unused by the plan's evidence), then deleted and its deletion awaited.

use super::apply::{
    decide, is_not_found, record, ApplyOptions, AuditItem, CallRecord, Recheck, Remover,
};
use super::plan::PlannedAssignment;
use crate::aws::{paginate, AwsError, PollPacer};
use crate::directory::aws::member_user_ids;
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, StatusValues, TargetType,
};
use std::collections::HashSet;

impl Remover {
    pub(super) async fn remove_assignment(
        &self,
        a: &PlannedAssignment,
        options: &ApplyOptions,
    ) -> AuditItem {
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

    pub(super) fn describe_assignment(&self, a: &PlannedAssignment) -> String {
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
}

fn deletion_failed(resource: &str, status: Option<&AccountAssignmentOperationStatus>) -> AwsError {
    let reason = status
        .and_then(|s| s.failure_reason.clone())
        .unwrap_or_else(|| "no reason given".into());
    AwsError::Other(format!("the deletion of {resource} failed: {reason}"))
}
