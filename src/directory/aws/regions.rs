//! The Regions of the instance (sso-admin `ListRegions`). A multi-Region instance has an
//! access portal in each, and each records its own sign-ins and credentials, so every
//! evidence source must read them all. The directory itself is read in the primary Region
//! only: permission sets and assignments cannot be read in the others.

use super::{to_chrono, Context};
use crate::aws::AwsError;
use crate::directory::InstanceRegion;

/// The instance's Regions, primary first; or, when `ListRegions` is refused or unknown (an
/// older partition, a policy without `sso:ListRegions`), the Region in use alone and the
/// warning to record. The outer error is a read that must stop, like one out of time.
pub(super) async fn read(
    ctx: &Context,
    instance_arn: &str,
    region_in_use: Option<&str>,
) -> Result<(Vec<InstanceRegion>, Option<String>), AwsError> {
    match list(ctx, instance_arn).await {
        Ok(regions) if !regions.is_empty() => Ok((regions, None)),
        Err(error @ AwsError::OutOfTime { .. }) => Err(error),
        outcome => {
            let why = match outcome {
                Err(error) => error.to_string(),
                Ok(_) => "sso:ListRegions returned no Region".to_owned(),
            };
            let assumed = region_in_use.map(|name| InstanceRegion {
                name: name.to_owned(),
                primary: true,
                status: None,
                added_at: None,
            });
            let read = assumed.as_ref().map_or("no Region", |r| r.name.as_str());
            let warning = format!("the instance's Regions could not be listed, so evidence is read in {read} only: sign-ins and credentials in other Regions of a multi-Region instance are missing ({why})");
            Ok((assumed.into_iter().collect(), Some(warning)))
        }
    }
}

async fn list(ctx: &Context, instance_arn: &str) -> Result<Vec<InstanceRegion>, AwsError> {
    let action = "sso:ListRegions";
    let client = &ctx.clients.sso_admin;
    let mut regions = ctx
        .paginate(action, instance_arn, |token| async move {
            let out = ctx
                .caller
                .call(&ctx.limits.sso_admin, action, instance_arn, || {
                    client
                        .list_regions()
                        .instance_arn(instance_arn)
                        .set_next_token(token.clone())
                        .max_results(100)
                        .send()
                })
                .await?;
            let regions = out.regions.unwrap_or_default().into_iter().map(to_region);
            Ok((regions.collect(), out.next_token))
        })
        .await?;
    regions.sort_by(|a, b| a.order().cmp(&b.order()));
    Ok(regions)
}

fn to_region(r: aws_sdk_ssoadmin::types::RegionMetadata) -> InstanceRegion {
    InstanceRegion {
        name: r.region_name.unwrap_or_default(),
        primary: r.is_primary_region,
        status: r.status.map(|s| s.as_str().to_owned()),
        added_at: r.added_date.as_ref().and_then(to_chrono),
    }
}
