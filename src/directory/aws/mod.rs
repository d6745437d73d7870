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
mod entitlements;
mod identity_store;
pub use identity_store::member_user_ids;
mod permission_sets;
mod regions;
pub(crate) mod resume;

pub use assignments::AssignmentStrategy;

use super::Snapshot;
use crate::aws::{
    paginate, paginate_from, ActionCount, AwsError, CallStats, Caller, PagesSoFar, RateLimiter,
    RetryPolicy,
};
use aws_config::SdkConfig;
use resume::{Journal, Recorder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
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
    /// Account access manager, all its APIs together.
    pub account_access: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            sso_admin: 20.0,
            identity_store: 20.0,
            organizations: 2.0,
            account_access: 20.0,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct DirectoryReadInfo {
    pub assignment_strategy_requested: String,
    pub assignment_strategy_used: String,
    /// Why `auto` chose what it chose, or why a strategy fell back.
    pub assignment_strategy_reason: String,
    pub calls: BTreeMap<String, ActionCount>,
    pub warnings: Vec<String>,
    /// Why account access manager entitlements are missing or incomplete, if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlements_unread: Option<String>,
    /// Why the instance's Regions are assumed rather than listed, if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions_unlisted: Option<String>,
    /// Runs a resumable read took (the calls above are those of all of them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocations: Option<u32>,
}

/// The SDK clients, made once from one configuration.
struct Clients {
    sso_admin: aws_sdk_ssoadmin::Client,
    identity_store: aws_sdk_identitystore::Client,
    organizations: aws_sdk_organizations::Client,
    account_access: aws_sdk_accountaccess::Client,
}

/// The limiters, one per quota.
struct Limiters {
    sso_admin: RateLimiter,
    list_users: RateLimiter,
    list_groups: RateLimiter,
    list_group_memberships: RateLimiter,
    organizations: RateLimiter,
    account_access: RateLimiter,
}

/// What every reader needs: clients, limiters, the caller that counts and retries, and (for
/// a resumable read) the journal of what has been listed.
pub(crate) struct Context {
    clients: Clients,
    limits: Limiters,
    caller: Caller,
    journal: Option<Arc<Journal>>,
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
                account_access: aws_sdk_accountaccess::Client::new(config),
            },
            limits: Limiters {
                sso_admin: RateLimiter::per_second(rates.sso_admin),
                list_users: RateLimiter::per_second(rates.identity_store),
                list_groups: RateLimiter::per_second(rates.identity_store),
                list_group_memberships: RateLimiter::per_second(rates.identity_store),
                organizations: RateLimiter::per_second(rates.organizations),
                account_access: RateLimiter::per_second(rates.account_access),
            },
            caller: Caller {
                policy: retry,
                stats,
            },
            journal: None,
        }
    }

    /// Lists every page of `action` on `resource`. In a resumable read, a listing finished by
    /// an earlier run is answered from the journal, one begun goes on from its cursor (or
    /// from the start, if the service no longer takes that cursor), and no page is requested
    /// after the deadline.
    async fn paginate<T, F, Fut>(
        &self,
        action: &'static str,
        resource: &str,
        mut page: F,
    ) -> Result<Vec<T>, AwsError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
    {
        let Some(journal) = &self.journal else {
            return paginate(action, resource, page).await;
        };
        let key = format!("{action} {resource}");
        let (start, complete) = journal.resume::<T>(&key)?;
        if complete {
            return Ok(start.items);
        }
        let resumed = start.next_token.is_some();
        let mut recorder = Recorder {
            journal,
            key: &key,
            action,
            resource,
        };
        match paginate_from(action, resource, start, &mut recorder, &mut page).await {
            Err(error) if resumed && is_stale_cursor(&error) => {
                journal.restart(&key);
                paginate_from(action, resource, PagesSoFar::default(), &mut recorder, page).await
            }
            other => other,
        }
    }

    /// The assignment listing has `total` units of this kind (for the progress message).
    fn expect_units(&self, unit: resume::Unit, total: usize) {
        if let Some(journal) = &self.journal {
            journal.expect_units(unit, total);
        }
    }

    /// One call that returns one item, journaled like a listing of one page.
    async fn single<T, F, Fut>(
        &self,
        action: &'static str,
        resource: &str,
        call: F,
    ) -> Result<T, AwsError>
    where
        T: Serialize + DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut items = self
            .paginate(action, resource, |_| {
                let item = call();
                async move { Ok((vec![item.await?], None)) }
            })
            .await?;
        items
            .pop()
            .ok_or_else(|| AwsError::Other(format!("{action} on {resource} returned nothing")))
    }
}

/// A cursor saved by an earlier run that the service refuses now (expired tokens): sso-admin
/// and identitystore answer a validation error or InvalidNextToken, Organizations
/// InvalidInputException (reason INVALID_PAGINATION_TOKEN). Only asked of a resumed listing,
/// whose one changed input is the cursor; a listing restarted without it fails for real.
fn is_stale_cursor(error: &AwsError) -> bool {
    error.code().is_some_and(|c| {
        c.contains("Validation") || c.contains("InvalidNextToken") || c == "InvalidInputException"
    })
}

/// Reads the whole directory. Fails on anything that would make the snapshot incomplete,
/// except account names, which only label rows (a warning says they are missing).
pub async fn read_directory(
    config: &SdkConfig,
    options: &DirectoryOptions,
) -> Result<(Snapshot, DirectoryReadInfo), AwsError> {
    read_directory_with(config, options, None).await
}

/// The instance and identity store to read: as configured, or found by `ListInstances`.
pub async fn resolve_instance(
    config: &SdkConfig,
    options: &DirectoryOptions,
) -> Result<(String, String), AwsError> {
    let ctx = Context::new(config, options.rates, options.retry, options.stats.clone());
    let instance = permission_sets::instance(&ctx, options).await?;
    Ok((instance.instance_arn, instance.identity_store_id))
}

/// [`read_directory`], keeping every listing in `journal` (when given) so that a read stopped
/// at the journal's deadline can go on in a later run.
pub async fn read_directory_with(
    config: &SdkConfig,
    options: &DirectoryOptions,
    journal: Option<Arc<Journal>>,
) -> Result<(Snapshot, DirectoryReadInfo), AwsError> {
    let mut ctx = Context::new(config, options.rates, options.retry, options.stats.clone());
    ctx.journal = journal;
    let instance = permission_sets::instance(&ctx, options).await?;
    let region_in_use = config.region().map(|r| r.as_ref());
    let (people, permission_sets, accounts, regions) = tokio::join!(
        identity_store::read(&ctx, &instance.identity_store_id),
        permission_sets::read(&ctx, &instance.instance_arn),
        accounts::read(&ctx),
        regions::read(&ctx, &instance.instance_arn, region_in_use),
    );
    let (users, groups) = people?;
    let permission_sets = permission_sets?;
    let (regions, regions_unlisted) = regions?;
    let mut info = DirectoryReadInfo {
        assignment_strategy_requested: options.strategy.as_str().into(),
        regions_unlisted,
        ..DirectoryReadInfo::default()
    };
    let accounts = accounts?.unwrap_or_else(|warning| {
        info.warnings.push(warning);
        Vec::new()
    });
    // Entitlements have their own quota: read them while the assignments are listed.
    let (listed, entitlements) = tokio::join!(
        assignments::read(
            &ctx,
            &instance.instance_arn,
            options.strategy,
            &permission_sets,
            &users,
            &groups,
        ),
        entitlements::read(&ctx, &instance.instance_arn, &accounts),
    );
    let listed = listed?;
    let (entitlements, entitlements_unread) = entitlements?;
    info.entitlements_unread = entitlements_unread;
    info.assignment_strategy_used = listed.strategy.as_str().into();
    info.assignment_strategy_reason = listed.reason;
    info.calls = ctx.caller.stats.snapshot();
    let snapshot = Snapshot {
        instance_arn: instance.instance_arn,
        identity_store_id: instance.identity_store_id,
        captured_at: Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0)),
        regions,
        accounts,
        permission_sets,
        users,
        groups,
        assignments: listed.assignments,
        entitlements,
        read: None,
    };
    Ok((snapshot, info))
}

/// An SDK timestamp as chrono's.
fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

#[cfg(test)]
mod stale_cursor_tests {
    use super::*;

    fn service_error(code: &str) -> AwsError {
        AwsError::Service {
            action: "organizations:ListAccounts",
            resource: "the organization".into(),
            code: code.into(),
            message: "You provided a value that does not match the required pattern.".into(),
        }
    }

    #[test]
    fn every_service_s_refused_cursor_is_stale() {
        for code in [
            "ValidationException",
            "InvalidNextTokenException",
            "InvalidInputException",
        ] {
            assert!(is_stale_cursor(&service_error(code)), "{code}");
        }
        for code in [
            "ThrottlingException",
            "ServiceException",
            "AccessDeniedException",
        ] {
            assert!(!is_stale_cursor(&service_error(code)), "{code}");
        }
    }
}
