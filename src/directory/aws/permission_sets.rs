//! The Identity Center instance and its permission sets (sso-admin).

use super::{Context, DirectoryOptions, IN_FLIGHT};
use crate::aws::{paginate, AwsError};
use crate::directory::PermissionSet;
use futures::{StreamExt, TryStreamExt};

pub(super) struct Instance {
    pub instance_arn: String,
    pub identity_store_id: String,
}

/// The instance to report on: as configured, or the only one `ListInstances` returns.
pub(super) async fn instance(
    ctx: &Context,
    options: &DirectoryOptions,
) -> Result<Instance, AwsError> {
    if let (Some(instance_arn), Some(identity_store_id)) =
        (&options.instance_arn, &options.identity_store_id)
    {
        return Ok(Instance {
            instance_arn: instance_arn.clone(),
            identity_store_id: identity_store_id.clone(),
        });
    }
    let client = &ctx.clients.sso_admin;
    let listed = paginate(
        "sso:ListInstances",
        "IAM Identity Center",
        |token| async move {
            let out = ctx
                .caller
                .call(
                    &ctx.limits.sso_admin,
                    "sso:ListInstances",
                    "IAM Identity Center",
                    || {
                        client
                            .list_instances()
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    },
                )
                .await?;
            Ok((out.instances.unwrap_or_default(), out.next_token))
        },
    )
    .await?;
    let matching: Vec<_> = listed
        .into_iter()
        .filter(|i| {
            options
                .instance_arn
                .as_ref()
                .is_none_or(|arn| i.instance_arn() == Some(arn.as_str()))
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok(Instance {
            instance_arn: one.instance_arn().unwrap_or_default().to_owned(),
            identity_store_id: options
                .identity_store_id
                .clone()
                .unwrap_or_else(|| one.identity_store_id().unwrap_or_default().to_owned()),
        }),
        [] => Err(AwsError::Other(
            "no IAM Identity Center instance found in this account and Region (set the Region of the instance, or pass --instance-arn and --identity-store-id)".into(),
        )),
        many => Err(AwsError::Other(format!(
            "{} IAM Identity Center instances found: pass --instance-arn to choose one",
            many.len()
        ))),
    }
}

/// Every permission set, with its name and description, sorted by name.
pub(super) async fn read(
    ctx: &Context,
    instance_arn: &str,
) -> Result<Vec<PermissionSet>, AwsError> {
    let client = &ctx.clients.sso_admin;
    let arns = ctx
        .paginate("sso:ListPermissionSets", instance_arn, |token| async move {
            let out = ctx
                .caller
                .call(
                    &ctx.limits.sso_admin,
                    "sso:ListPermissionSets",
                    instance_arn,
                    || {
                        client
                            .list_permission_sets()
                            .instance_arn(instance_arn)
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    },
                )
                .await?;
            Ok((out.permission_sets.unwrap_or_default(), out.next_token))
        })
        .await?;
    let mut sets: Vec<PermissionSet> = futures::stream::iter(arns)
        .map(|arn| describe(ctx, instance_arn, arn))
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sets)
}

async fn describe(
    ctx: &Context,
    instance_arn: &str,
    arn: String,
) -> Result<PermissionSet, AwsError> {
    let action = "sso:DescribePermissionSet";
    let arn = arn.as_str();
    ctx.single(action, arn, || async move {
        let out = ctx
            .caller
            .call(&ctx.limits.sso_admin, action, arn, || {
                ctx.clients
                    .sso_admin
                    .describe_permission_set()
                    .instance_arn(instance_arn)
                    .permission_set_arn(arn)
                    .send()
            })
            .await?;
        let described = out.permission_set;
        Ok(PermissionSet {
            name: described
                .as_ref()
                .and_then(|d| d.name.clone())
                .unwrap_or_default(),
            description: described.and_then(|d| d.description),
            arn: arn.to_owned(),
        })
    })
    .await
}
