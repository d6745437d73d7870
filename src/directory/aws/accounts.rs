//! Account names and status (AWS Organizations). Optional: names only label rows, so without
//! permission (or outside the management account) the report runs with empty names.

use super::Context;
use crate::aws::AwsError;
use crate::directory::Account;

/// The accounts, sorted by id; or, when they cannot be read, the warning to record (the
/// outer error is a read that must stop, like one out of time).
pub(super) async fn read(ctx: &Context) -> Result<Result<Vec<Account>, String>, AwsError> {
    match list(ctx).await {
        Ok(accounts) => Ok(Ok(accounts)),
        Err(error @ AwsError::OutOfTime { .. }) => Err(error),
        Err(error) => Ok(Err(format!("account names are empty: {error}"))),
    }
}

async fn list(ctx: &Context) -> Result<Vec<Account>, AwsError> {
    let client = &ctx.clients.organizations;
    let mut accounts = ctx
        .paginate(
            "organizations:ListAccounts",
            "the organization",
            |token| async move {
                let out = ctx
                    .caller
                    .call(
                        &ctx.limits.organizations,
                        "organizations:ListAccounts",
                        "the organization",
                        || {
                            client
                                .list_accounts()
                                .set_next_token(token.clone())
                                .max_results(20)
                                .send()
                        },
                    )
                    .await?;
                let accounts = out.accounts.unwrap_or_default().into_iter().map(to_account);
                Ok((accounts.collect(), out.next_token))
            },
        )
        .await?;
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(accounts)
}

fn to_account(a: aws_sdk_organizations::types::Account) -> Account {
    Account {
        id: a.id.unwrap_or_default(),
        name: a.name,
        status: a
            .state
            .map(|s| s.as_str().to_owned())
            .or_else(|| a.status.map(|s| s.as_str().to_owned())),
    }
}
