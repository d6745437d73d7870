//! Account names and status (AWS Organizations). Optional: names only label rows, so without
//! permission (or outside the management account) the report runs with empty names.

use super::Context;
use crate::aws::{paginate, AwsError};
use crate::directory::Account;

/// The accounts, sorted by id; or, when they cannot be read, the warning to record.
pub(super) async fn read(ctx: &Context) -> Result<Vec<Account>, String> {
    let client = &ctx.clients.organizations;
    let listed = paginate(
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
            Ok((out.accounts.unwrap_or_default(), out.next_token))
        },
    )
    .await
    .map_err(|e: AwsError| format!("account names are empty: {e}"))?;
    let mut accounts: Vec<Account> = listed
        .into_iter()
        .map(|a| Account {
            id: a.id.unwrap_or_default(),
            name: a.name,
            status: a
                .state
                .map(|s| s.as_str().to_owned())
                .or_else(|| a.status.map(|s| s.as_str().to_owned())),
        })
        .collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(accounts)
}
