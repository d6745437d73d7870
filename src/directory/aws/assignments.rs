//! Account assignments, by the strategy that needs the fewest sso-admin calls.
//!
//! - per permission set: `ListAccountsForProvisionedPermissionSet` for each set, then
//!   `ListAccountAssignments` only for the (account, set) pairs where the set is provisioned:
//!   one call per set plus one per provisioned pair (more for long pages).
//! - per principal: `ListAccountAssignmentsForPrincipal` for each user and group: one call
//!   per principal. Valid only in the management account; it cannot see assignments whose
//!   user or group was deleted (nobody is left to ask about).
//!
//! Listing every account x every permission set, as the scripts this replaces do, costs
//! accounts x sets calls: 50,000 for 500 accounts and 100 sets, 42 minutes at 20 calls/s.

use super::resume::Unit;
use super::{Context, IN_FLIGHT};
use crate::aws::AwsError;
use crate::directory::{Assignment, Group, PermissionSet, PrincipalType, User};
use aws_sdk_ssoadmin::types::PrincipalType as SdkPrincipalType;
use futures::{StreamExt, TryStreamExt};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssignmentStrategy {
    /// Per permission set, unless per principal needs less than half the calls; falls back
    /// to per permission set when per principal is refused.
    #[default]
    Auto,
    PerPermissionSet,
    PerPrincipal,
}

impl AssignmentStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStrategy::Auto => "auto",
            AssignmentStrategy::PerPermissionSet => "per-permission-set",
            AssignmentStrategy::PerPrincipal => "per-principal",
        }
    }
}

impl FromStr for AssignmentStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Auto, Self::PerPermissionSet, Self::PerPrincipal]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown assignment strategy {s:?}: use auto, per-permission-set or per-principal"))
    }
}

pub(super) struct Listed {
    pub assignments: Vec<Assignment>,
    pub strategy: AssignmentStrategy,
    pub reason: String,
}

type Pair = (String, String);

pub(super) async fn read(
    ctx: &Context,
    instance_arn: &str,
    requested: AssignmentStrategy,
    permission_sets: &[PermissionSet],
    users: &[User],
    groups: &[Group],
) -> Result<Listed, AwsError> {
    let principals: Vec<(PrincipalType, &str)> = users
        .iter()
        .map(|u| (PrincipalType::User, u.user_id.as_str()))
        .chain(
            groups
                .iter()
                .map(|g| (PrincipalType::Group, g.group_id.as_str())),
        )
        .collect();
    let (pairs, reason) = match requested {
        AssignmentStrategy::PerPermissionSet => {
            let pairs = provisioned_pairs(ctx, instance_arn, permission_sets).await?;
            return finish(
                per_pair(ctx, instance_arn, &pairs).await?,
                requested,
                "requested".into(),
            );
        }
        AssignmentStrategy::PerPrincipal => (None, "requested".to_owned()),
        AssignmentStrategy::Auto => {
            let pairs = provisioned_pairs(ctx, instance_arn, permission_sets).await?;
            let reason = format!(
                "{} provisioned (account, permission set) pairs vs {} users and groups",
                pairs.len(),
                principals.len()
            );
            // Per permission set also sees assignments of deleted principals: prefer it unless
            // per principal needs less than half the calls.
            if pairs.len() <= 2 * principals.len() {
                return finish(
                    per_pair(ctx, instance_arn, &pairs).await?,
                    AssignmentStrategy::PerPermissionSet,
                    reason,
                );
            }
            (Some(pairs), reason)
        }
    };
    match per_principal(ctx, instance_arn, &principals).await {
        Ok(found) => finish(found, AssignmentStrategy::PerPrincipal, reason),
        Err(error) if error.is_access_or_validation() => {
            let pairs = match pairs {
                Some(pairs) => pairs,
                None => provisioned_pairs(ctx, instance_arn, permission_sets).await?,
            };
            let reason = format!("{reason}; per-principal listing was refused ({error}), so fell back to per-permission-set");
            finish(
                per_pair(ctx, instance_arn, &pairs).await?,
                AssignmentStrategy::PerPermissionSet,
                reason,
            )
        }
        Err(error) => Err(error),
    }
}

fn finish(
    mut assignments: Vec<Assignment>,
    strategy: AssignmentStrategy,
    reason: String,
) -> Result<Listed, AwsError> {
    assignments.sort_by(|a, b| {
        (
            &a.account_id,
            &a.permission_set_arn,
            a.principal_type,
            &a.principal_id,
        )
            .cmp(&(
                &b.account_id,
                &b.permission_set_arn,
                b.principal_type,
                &b.principal_id,
            ))
    });
    assignments.dedup();
    Ok(Listed {
        assignments,
        strategy,
        reason,
    })
}

/// The (account, permission set) pairs where each set is provisioned.
async fn provisioned_pairs(
    ctx: &Context,
    instance_arn: &str,
    permission_sets: &[PermissionSet],
) -> Result<Vec<Pair>, AwsError> {
    let per_set: Vec<Vec<Pair>> = futures::stream::iter(permission_sets)
        .map(|set| async move {
            let accounts = provisioned_accounts(ctx, instance_arn, &set.arn).await?;
            Ok::<_, AwsError>(accounts.into_iter().map(|a| (a, set.arn.clone())).collect())
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    let mut pairs: Vec<Pair> = per_set.into_iter().flatten().collect();
    pairs.sort();
    pairs.dedup();
    ctx.expect_units(Unit::Pairs, pairs.len());
    Ok(pairs)
}

async fn provisioned_accounts(
    ctx: &Context,
    instance_arn: &str,
    set_arn: &str,
) -> Result<Vec<String>, AwsError> {
    let action = "sso:ListAccountsForProvisionedPermissionSet";
    ctx.paginate(action, set_arn, |token| async move {
        let out = ctx
            .caller
            .call(&ctx.limits.sso_admin, action, set_arn, || {
                ctx.clients
                    .sso_admin
                    .list_accounts_for_provisioned_permission_set()
                    .instance_arn(instance_arn)
                    .permission_set_arn(set_arn)
                    .set_next_token(token.clone())
                    .max_results(100)
                    .send()
            })
            .await?;
        Ok((out.account_ids.unwrap_or_default(), out.next_token))
    })
    .await
}

async fn per_pair(
    ctx: &Context,
    instance_arn: &str,
    pairs: &[Pair],
) -> Result<Vec<Assignment>, AwsError> {
    let action = "sso:ListAccountAssignments";
    let lists: Vec<Vec<Assignment>> = futures::stream::iter(pairs)
        .map(|(account, set_arn)| async move {
            let resource = format!("account {account}, permission set {set_arn}");
            let resource = resource.as_str();
            ctx.paginate(action, resource, |token| async move {
                let out = ctx
                    .caller
                    .call(&ctx.limits.sso_admin, action, resource, || {
                        ctx.clients
                            .sso_admin
                            .list_account_assignments()
                            .instance_arn(instance_arn)
                            .account_id(account)
                            .permission_set_arn(set_arn)
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    })
                    .await?;
                let found = out
                    .account_assignments
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|a| {
                        Some(Assignment {
                            account_id: a.account_id.unwrap_or_else(|| account.clone()),
                            permission_set_arn: a
                                .permission_set_arn
                                .unwrap_or_else(|| set_arn.clone()),
                            principal_type: principal_type(a.principal_type.as_ref()?)?,
                            principal_id: a.principal_id?,
                        })
                    })
                    .collect();
                Ok((found, out.next_token))
            })
            .await
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

async fn per_principal(
    ctx: &Context,
    instance_arn: &str,
    principals: &[(PrincipalType, &str)],
) -> Result<Vec<Assignment>, AwsError> {
    let action = "sso:ListAccountAssignmentsForPrincipal";
    ctx.expect_units(Unit::Principals, principals.len());
    let lists: Vec<Vec<Assignment>> = futures::stream::iter(principals)
        .map(|&(kind, id)| async move {
            ctx.paginate(action, id, |token| async move {
                let out = ctx
                    .caller
                    .call(&ctx.limits.sso_admin, action, id, || {
                        ctx.clients
                            .sso_admin
                            .list_account_assignments_for_principal()
                            .instance_arn(instance_arn)
                            .principal_id(id)
                            .principal_type(sdk_principal_type(kind))
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    })
                    .await?;
                // Only this principal's own assignments: a user's list may name its groups'.
                let found = out
                    .account_assignments
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| {
                        a.principal_id.as_deref() == Some(id)
                            && a.principal_type.as_ref().and_then(principal_type) == Some(kind)
                    })
                    .filter_map(|a| {
                        Some(Assignment {
                            account_id: a.account_id?,
                            permission_set_arn: a.permission_set_arn?,
                            principal_type: kind,
                            principal_id: id.to_owned(),
                        })
                    })
                    .collect();
                Ok((found, out.next_token))
            })
            .await
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

fn principal_type(t: &SdkPrincipalType) -> Option<PrincipalType> {
    match t {
        SdkPrincipalType::User => Some(PrincipalType::User),
        SdkPrincipalType::Group => Some(PrincipalType::Group),
        _ => None,
    }
}

fn sdk_principal_type(t: PrincipalType) -> SdkPrincipalType {
    match t {
        PrincipalType::User => SdkPrincipalType::User,
        PrincipalType::Group => SdkPrincipalType::Group,
    }
}
