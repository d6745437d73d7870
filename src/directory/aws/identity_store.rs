//! Users, groups and group members (identitystore), each fetched once: never per assignment.

use super::{to_chrono, Context, IN_FLIGHT};
use crate::aws::AwsError;
use crate::directory::{Group, User, UserStatus};
use aws_sdk_identitystore::types::{MemberId, UserStatus as SdkUserStatus};
use futures::{StreamExt, TryStreamExt};

pub(super) async fn read(
    ctx: &Context,
    store_id: &str,
) -> Result<(Vec<User>, Vec<Group>), AwsError> {
    let (users, groups) = tokio::try_join!(users(ctx, store_id), groups(ctx, store_id))?;
    Ok((users, groups))
}

async fn users(ctx: &Context, store_id: &str) -> Result<Vec<User>, AwsError> {
    let client = &ctx.clients.identity_store;
    let mut users = ctx
        .paginate("identitystore:ListUsers", store_id, |token| async move {
            let out = ctx
                .caller
                .call(
                    &ctx.limits.list_users,
                    "identitystore:ListUsers",
                    store_id,
                    || {
                        client
                            .list_users()
                            .identity_store_id(store_id)
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    },
                )
                .await?;
            Ok((out.users.into_iter().map(to_user).collect(), out.next_token))
        })
        .await?;
    users.sort_by(|a, b| a.user_name.cmp(&b.user_name));
    Ok(users)
}

fn to_user(user: aws_sdk_identitystore::types::User) -> User {
    let emails = user.emails.unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| emails.first())
        .and_then(|e| e.value.clone());
    User {
        user_name: user.user_name.unwrap_or_default(),
        display_name: user.display_name,
        email,
        status: user.user_status.and_then(|s| match s {
            SdkUserStatus::Enabled => Some(UserStatus::Enabled),
            SdkUserStatus::Disabled => Some(UserStatus::Disabled),
            _ => None,
        }),
        created_at: user.created_at.as_ref().and_then(to_chrono),
        user_id: user.user_id,
    }
}

async fn groups(ctx: &Context, store_id: &str) -> Result<Vec<Group>, AwsError> {
    let client = &ctx.clients.identity_store;
    let listed = ctx
        .paginate("identitystore:ListGroups", store_id, |token| async move {
            let out = ctx
                .caller
                .call(
                    &ctx.limits.list_groups,
                    "identitystore:ListGroups",
                    store_id,
                    || {
                        client
                            .list_groups()
                            .identity_store_id(store_id)
                            .set_next_token(token.clone())
                            .max_results(100)
                            .send()
                    },
                )
                .await?;
            let groups = out.groups.into_iter().map(|group| Group {
                group_id: group.group_id,
                display_name: group.display_name,
                member_user_ids: Vec::new(),
            });
            Ok((groups.collect(), out.next_token))
        })
        .await?;
    let mut groups: Vec<Group> = futures::stream::iter(listed)
        .map(|group: Group| async move {
            Ok::<_, AwsError>(Group {
                member_user_ids: members(ctx, store_id, &group.group_id).await?,
                ..group
            })
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    groups.sort_by(|a, b| (&a.display_name, &a.group_id).cmp(&(&b.display_name, &b.group_id)));
    Ok(groups)
}

/// The user ids among a page of group memberships.
pub fn member_user_ids(
    memberships: Vec<aws_sdk_identitystore::types::GroupMembership>,
) -> Vec<String> {
    memberships
        .into_iter()
        .filter_map(|m| match m.member_id {
            Some(MemberId::UserId(id)) => Some(id),
            _ => None,
        })
        .collect()
}

async fn members(ctx: &Context, store_id: &str, group_id: &str) -> Result<Vec<String>, AwsError> {
    let client = &ctx.clients.identity_store;
    let mut ids = ctx
        .paginate(
            "identitystore:ListGroupMemberships",
            group_id,
            |token| async move {
                let out = ctx
                    .caller
                    .call(
                        &ctx.limits.list_group_memberships,
                        "identitystore:ListGroupMemberships",
                        group_id,
                        || {
                            client
                                .list_group_memberships()
                                .identity_store_id(store_id)
                                .group_id(group_id)
                                .set_next_token(token.clone())
                                .max_results(100)
                                .send()
                        },
                    )
                    .await?;
                Ok((member_user_ids(out.group_memberships), out.next_token))
            },
        )
        .await?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}
