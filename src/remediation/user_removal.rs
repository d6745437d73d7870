//! Removing one planned user: re-checked (still in the directory, holding no assignment and
//! in no group the plan does not remove), then deleted.

use super::apply::{
    decide, is_not_found, record, ApplyOptions, AuditItem, CallRecord, Recheck, Remover,
};
use super::plan::PlannedUser;
use crate::aws::{paginate, AwsError};
use aws_sdk_identitystore::types::MemberId;
use aws_sdk_ssoadmin::types::PrincipalType;

impl Remover {
    pub(super) async fn remove_user(&self, u: &PlannedUser, options: &ApplyOptions) -> AuditItem {
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

    pub(super) fn describe_user(&self, u: &PlannedUser) -> String {
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
