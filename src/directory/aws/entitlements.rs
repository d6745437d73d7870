//! Account access manager entitlements (`account-access`): a user or group of the instance
//! may assume an existing IAM role through an application, outside account assignments.
//! Its applications are listed, those whose identity source is this instance kept
//! (`GetApplication`), and each one's entitlements listed, under the service's own limiter.
//! `ListEntitlements` requires a filter but none of its criteria: one listing per application
//! with an empty filter is tried first, and if the service wants a criterion
//! (ValidationException), the entitlements are listed per account instead.

use super::{to_chrono, Context, IN_FLIGHT};
use crate::aws::AwsError;
use crate::directory::{Account, Entitlement, PrincipalType};
use aws_sdk_accountaccess::types::{
    EntitlementFilter, EntitlementSummary, EntitlementsListMember, IdentityCenterPrincipal,
    Principal, PrincipalRoleEntitlementFilter,
};
use futures::{StreamExt, TryStreamExt};

/// The instance's entitlements, sorted; or, when the service cannot be read (refused, or
/// absent in this Region), none and the warning to record. The outer error is a read that
/// must stop, like one out of time.
pub(super) async fn read(
    ctx: &Context,
    instance_arn: &str,
    accounts: &[Account],
) -> Result<(Vec<Entitlement>, Option<String>), AwsError> {
    match list(ctx, instance_arn, accounts).await {
        Ok((entitlements, skipped)) => {
            let warning = (skipped > 0).then(|| format!("{skipped} account access manager entitlement(s) have a principal or kind this version cannot read, and are not in the report: upgrade the tool"));
            Ok((entitlements, warning))
        }
        Err(error @ AwsError::OutOfTime { .. }) => Err(error),
        Err(error) => Ok((Vec::new(), Some(format!("account access manager entitlements could not be read, so access granted through them is not in the report ({error})")))),
    }
}

async fn list(
    ctx: &Context,
    instance_arn: &str,
    accounts: &[Account],
) -> Result<(Vec<Entitlement>, usize), AwsError> {
    let applications: Vec<String> = futures::stream::iter(list_applications(ctx).await?)
        .map(|arn| async move {
            let ours = application_instance(ctx, &arn).await?.as_deref() == Some(instance_arn);
            Ok::<_, AwsError>(ours.then_some(arn))
        })
        .buffer_unordered(IN_FLIGHT)
        .try_filter_map(|arn| async move { Ok(arn) })
        .try_collect()
        .await?;
    let mut entitlements = Vec::new();
    let mut skipped = 0;
    for application in &applications {
        for member in application_entitlements(ctx, application, accounts).await? {
            match member {
                Some(entitlement) => entitlements.push(entitlement),
                None => skipped += 1,
            }
        }
    }
    entitlements.sort_by(|a, b| {
        (&a.account_id, &a.role_arn, &a.principal_id).cmp(&(
            &b.account_id,
            &b.role_arn,
            &b.principal_id,
        ))
    });
    Ok((entitlements, skipped))
}

/// One listing with an empty filter; per account if the service wants a criterion.
async fn application_entitlements(
    ctx: &Context,
    application: &str,
    accounts: &[Account],
) -> Result<Vec<Option<Entitlement>>, AwsError> {
    match list_entitlements(ctx, application, None).await {
        Err(error) if is_validation(&error) && !accounts.is_empty() => {
            let mut members = Vec::new();
            for account in accounts {
                members.extend(list_entitlements(ctx, application, Some(&account.id)).await?);
            }
            Ok(members)
        }
        other => other,
    }
}

fn is_validation(error: &AwsError) -> bool {
    error.code().is_some_and(|c| c.contains("Validation"))
}

async fn list_applications(ctx: &Context) -> Result<Vec<String>, AwsError> {
    let action = "account-access:ListApplications";
    let client = &ctx.clients.account_access;
    ctx.paginate(action, "account access manager", |token| async move {
        let out = ctx
            .caller
            .call(
                &ctx.limits.account_access,
                action,
                "account access manager",
                || {
                    client
                        .list_applications()
                        .max_results(100)
                        .set_next_token(token.clone())
                        .send()
                },
            )
            .await?;
        let arns = out.applications.into_iter().map(|a| a.application_arn);
        Ok((arns.collect(), out.next_token))
    })
    .await
}

/// The instance an application takes its users from (None: another kind of source).
async fn application_instance(ctx: &Context, arn: &str) -> Result<Option<String>, AwsError> {
    let action = "account-access:GetApplication";
    ctx.single(action, arn, || async move {
        let out = ctx
            .caller
            .call(&ctx.limits.account_access, action, arn, || {
                ctx.clients
                    .account_access
                    .get_application()
                    .application_arn(arn)
                    .send()
            })
            .await?;
        let source = out
            .identity_source
            .as_ref()
            .and_then(|s| s.as_identity_center().ok());
        Ok(source.map(|s| s.instance_arn.clone()))
    })
    .await
}

/// The application's entitlements (in `account`, when given); None for one whose shape this
/// version cannot read.
async fn list_entitlements(
    ctx: &Context,
    application: &str,
    account: Option<&str>,
) -> Result<Vec<Option<Entitlement>>, AwsError> {
    let action = "account-access:ListEntitlements";
    let client = &ctx.clients.account_access;
    let resource = match account {
        Some(account) => format!("{application} account {account}"),
        None => application.to_owned(),
    };
    let resource = resource.as_str();
    let criteria = PrincipalRoleEntitlementFilter::builder()
        .set_account(account.map(str::to_owned))
        .build();
    let filter = &EntitlementFilter::builder()
        .principal_role(criteria)
        .build();
    ctx.paginate(action, resource, |token| async move {
        let out = ctx
            .caller
            .call(&ctx.limits.account_access, action, resource, || {
                client
                    .list_entitlements()
                    .application_arn(application)
                    .filter(filter.clone())
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        let entitlements = out
            .entitlements
            .into_iter()
            .map(|m| to_entitlement(application, m));
        Ok((entitlements.collect(), out.next_token))
    })
    .await
}

fn to_entitlement(application: &str, member: EntitlementsListMember) -> Option<Entitlement> {
    let Some(EntitlementSummary::PrincipalRole(role)) = member.entitlement else {
        return None;
    };
    let (principal_type, principal_id) = match role.principal? {
        Principal::IdentityCenter(IdentityCenterPrincipal::UserId(id)) => (PrincipalType::User, id),
        Principal::IdentityCenter(IdentityCenterPrincipal::GroupId(id)) => {
            (PrincipalType::Group, id)
        }
        _ => return None,
    };
    Some(Entitlement {
        application_arn: application.to_owned(),
        entitlement_id: member.entitlement_id,
        principal_type,
        principal_id,
        role_arn: role.role_arn,
        account_id: role.account,
        account_name: role.account_name,
        created_at: to_chrono(&member.created_at),
    })
}
