//! The live directory, read from AWS: Identity Center (sso-admin), its identity store, and
//! AWS Organizations, into the same [`Snapshot`] a file holds.
//!
//! Identity Center's quotas shape the design: sso-admin allows 20 requests/s for all its APIs
//! together, identitystore 20/s per API. Every call is paced by a limiter per quota
//! ([`Rates`]); the identity store, the permission sets and the accounts are read at the same
//! time because their quotas are separate; and assignments are listed by whichever strategy
//! needs fewer calls for this organization ([`AssignmentStrategy`]).

mod accounts;
mod assignments;
mod identity_store;
pub use identity_store::member_user_ids;
mod permission_sets;

pub use assignments::AssignmentStrategy;

use super::Snapshot;
use crate::aws::{ActionCount, AwsError, CallStats, Caller, RateLimiter, RetryPolicy};
use aws_config::SdkConfig;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Requests per second allowed per quota; defaults are AWS's documented quotas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// All sso-admin APIs together.
    pub sso_admin: f64,
    /// Each identitystore API separately.
    pub identity_store: f64,
    /// AWS Organizations ListAccounts.
    pub organizations: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            sso_admin: 20.0,
            identity_store: 20.0,
            organizations: 2.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DirectoryOptions {
    pub instance_arn: Option<String>,
    pub identity_store_id: Option<String>,
    pub strategy: AssignmentStrategy,
    pub rates: Rates,
    pub retry: RetryPolicy,
    /// Where calls are counted; shared so that a caller can show progress while it runs.
    pub stats: Arc<CallStats>,
}

/// How the directory was read, for the manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectoryReadInfo {
    pub assignment_strategy_requested: String,
    pub assignment_strategy_used: String,
    /// Why `auto` chose what it chose, or why a strategy fell back.
    pub assignment_strategy_reason: String,
    pub calls: BTreeMap<String, ActionCount>,
    pub warnings: Vec<String>,
}

/// The SDK clients, made once from one configuration.
struct Clients {
    sso_admin: aws_sdk_ssoadmin::Client,
    identity_store: aws_sdk_identitystore::Client,
    organizations: aws_sdk_organizations::Client,
}

/// The limiters, one per quota.
struct Limiters {
    sso_admin: RateLimiter,
    list_users: RateLimiter,
    list_groups: RateLimiter,
    list_group_memberships: RateLimiter,
    organizations: RateLimiter,
}

/// What every reader needs: clients, limiters, the caller that counts and retries.
pub(crate) struct Context {
    clients: Clients,
    limits: Limiters,
    caller: Caller,
}

/// Concurrent calls in flight per quota: enough to keep the pace when calls are slow.
const IN_FLIGHT: usize = 16;

impl Context {
    fn new(config: &SdkConfig, rates: Rates, retry: RetryPolicy, stats: Arc<CallStats>) -> Self {
        Context {
            clients: Clients {
                sso_admin: aws_sdk_ssoadmin::Client::new(config),
                identity_store: aws_sdk_identitystore::Client::new(config),
                organizations: aws_sdk_organizations::Client::new(config),
            },
            limits: Limiters {
                sso_admin: RateLimiter::per_second(rates.sso_admin),
                list_users: RateLimiter::per_second(rates.identity_store),
                list_groups: RateLimiter::per_second(rates.identity_store),
                list_group_memberships: RateLimiter::per_second(rates.identity_store),
                organizations: RateLimiter::per_second(rates.organizations),
            },
            caller: Caller {
                policy: retry,
                stats,
            },
        }
    }
}

/// Reads the whole directory. Fails on anything that would make the snapshot incomplete,
/// except account names, which only label rows (a warning says they are missing).
pub async fn read_directory(
    config: &SdkConfig,
    options: &DirectoryOptions,
) -> Result<(Snapshot, DirectoryReadInfo), AwsError> {
    let ctx = Context::new(config, options.rates, options.retry, options.stats.clone());
    let instance = permission_sets::instance(&ctx, options).await?;
    let (people, permission_sets, accounts) = tokio::join!(
        identity_store::read(&ctx, &instance.identity_store_id),
        permission_sets::read(&ctx, &instance.instance_arn),
        accounts::read(&ctx),
    );
    let (users, groups) = people?;
    let permission_sets = permission_sets?;
    let mut info = DirectoryReadInfo {
        assignment_strategy_requested: options.strategy.as_str().into(),
        ..DirectoryReadInfo::default()
    };
    let accounts = accounts.unwrap_or_else(|warning| {
        info.warnings.push(warning);
        Vec::new()
    });
    let listed = assignments::read(
        &ctx,
        &instance.instance_arn,
        options.strategy,
        &permission_sets,
        &users,
        &groups,
    )
    .await?;
    info.assignment_strategy_used = listed.strategy.as_str().into();
    info.assignment_strategy_reason = listed.reason;
    info.calls = ctx.caller.stats.snapshot();
    let snapshot = Snapshot {
        instance_arn: instance.instance_arn,
        identity_store_id: instance.identity_store_id,
        captured_at: Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0)),
        accounts,
        permission_sets,
        users,
        groups,
        assignments: listed.assignments,
    };
    Ok((snapshot, info))
}

/// An SDK timestamp as chrono's.
fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
