//! Who used what, when: CloudTrail evidence, reduced to the last time each way of naming a
//! user touched each account and permission set.
//!
//! Every source (log files, CloudTrail Lake, Athena, CloudWatch Logs, event history) yields the same
//! [`Evidence`]: a map from [`UsageKey`] to the latest event time. The key keeps the user as
//! the event named them ([`UserRef`]); deciding which directory user that is happens in the
//! join (`crate::report`), with the same rules for every source. The same sources also give
//! the access changes in the window ([`changes`]).

mod aggregate;
pub mod athena;
pub(crate) mod changes;
pub mod cloudwatch;
pub(crate) mod event;
mod json_value;
pub(crate) mod lake;
pub mod logs;
pub(crate) mod lookup;
pub mod query;
pub(crate) mod query_rows;
pub(crate) mod scim;
mod source;
mod window;

pub use source::EvidenceSource;
pub use window::{parse_as_of, Window, WindowError};

use serde::Serialize;
use std::collections::HashMap;

/// What kind of activity an event proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseKind {
    /// `sso.amazonaws.com` `Federate`: console access to an account through a permission set.
    Console,
    /// `sso.amazonaws.com` `GetRoleCredentials`: CLI/SDK credentials.
    Cli,
    /// `signin.amazonaws.com` `UserAuthentication` with `Success` and the user in `onBehalfOf`
    /// or `LoginTo` the access portal ([`PORTAL_LOGIN_TO`]): sign-in to the access portal.
    PortalSignIn,
}

/// `additionalEventData.LoginTo` of an Identity Center access-portal sign-in, as SQL `LIKE`
/// patterns (`%` any text): the portal `https://<id>.awsapps.com/start` (`.cn` in China) and
/// its dual-stack form `https://ssoins-<id>.portal.<region>.app.aws`. `signin.amazonaws.com`
/// writes `UserAuthentication` for other services' sign-ins too (WorkSpaces Personal, in the
/// same shape): one that names its user only by name counts as a portal sign-in only when
/// `LoginTo` is the portal. One with `onBehalfOf` is judged by its identity store instead.
pub const PORTAL_LOGIN_TO: [&str; 3] = [
    "https://%.awsapps.com/start%",
    "https://%.awsapps.cn/start%",
    "https://%.portal.%.app.aws%",
];

/// Whether `login_to` matches one of [`PORTAL_LOGIN_TO`], with SQL `LIKE`'s meaning (case
/// sensitive, `%` any text), so that every source applies the same rule.
pub fn is_portal_login(login_to: &str) -> bool {
    PORTAL_LOGIN_TO
        .iter()
        .any(|pattern| like(pattern, login_to))
}

/// The SQL condition of a portal sign-in, over the expressions a source reads
/// `onBehalfOf.userId` and `LoginTo` with: the same rule as [`is_portal_login`].
pub(crate) fn portal_sign_in_sql(on_behalf_of_user_id: &str, login_to: &str) -> String {
    let patterns: Vec<String> = PORTAL_LOGIN_TO
        .iter()
        .map(|p| format!("{login_to} LIKE '{p}'"))
        .collect();
    format!(
        "(({on_behalf_of_user_id} IS NOT NULL AND {on_behalf_of_user_id} <> '') OR {})",
        patterns.join(" OR ")
    )
}

fn like(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('%');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The user as a CloudTrail event names them, in every format Identity Center has used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserRef {
    /// `userIdentity.onBehalfOf.userId` (events since 2025-07).
    pub on_behalf_of_user_id: Option<String>,
    /// `userIdentity.onBehalfOf.identityStoreArn`.
    pub identity_store_arn: Option<String>,
    /// `userIdentity.principalId` (older events; often the identity-store user id).
    pub principal_id: Option<String>,
    /// `userIdentity.userName` (older events).
    pub user_name: Option<String>,
}

impl UserRef {
    pub fn is_empty(&self) -> bool {
        self.on_behalf_of_user_id.is_none()
            && self.principal_id.is_none()
            && self.user_name.is_none()
    }
}

/// One thing a user did, without its time. Portal sign-ins have no account or role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    pub user: UserRef,
    pub kind: UseKind,
    /// `serviceEventDetails.account_id`; empty for portal sign-ins.
    pub account_id: String,
    /// `serviceEventDetails.role_name`, the permission set's name; empty for portal sign-ins.
    pub role_name: String,
}

/// Where evidence came from, as recorded in the manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceInfo {
    /// `cloudtrail-logs`, `cloudtrail-lake`, `athena`, `cloudtrail-lookup` or `cloudwatch-logs`.
    pub kind: String,
    pub location: String,
    pub files_read: u64,
    pub events_read: u64,
    /// Distinct qualifying events (by `eventID`) inside the window.
    pub evidence_events: u64,
    /// Qualifying events seen again under an `eventID` already counted.
    pub duplicate_events: u64,
    /// Distinct qualifying events by kind, inside the window.
    pub console_events: u64,
    pub cli_events: u64,
    pub portal_sign_in_events: u64,
    /// Qualifying events that failed (`errorCode`), and so are not evidence.
    pub failed_events: u64,
    /// Files skipped with `--allow-malformed-logs`, with the reason.
    pub skipped_files: Vec<SkippedFile>,
    /// The Regions the source read (LookupEvents' Regions, Athena's Region partitions, the
    /// Regions a Lake store records); empty for log files, which hold whatever was delivered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// The Regions (`awsRegion`) the evidence events came from, where a source sees events.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions_with_evidence: Vec<String>,
    /// Queries run (CloudTrail Lake, Athena, CloudWatch Logs): id, SQL, bytes scanned, run time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryRecord>,
    /// What the source's own checks found (e.g. a store that records no read-only events).
    #[serde(skip)]
    pub warnings: Vec<SourceWarning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryRecord {
    pub query_id: String,
    pub sql: String,
    pub bytes_scanned: i64,
    pub events_scanned: i64,
    pub run_time_ms: u64,
    /// The result reached the row limit (CloudWatch Logs), so its part of the window was
    /// queried again in halves and these rows were not used.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// A finding of a source's preflight checks, carried to the manifest's warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWarning {
    pub code: &'static str,
    pub message: String,
}

/// The warning code of a source that shows no access changes.
pub const MISSES_CHANGES: &str = "source_misses_access_changes";

impl SourceWarning {
    pub fn new(code: &'static str, message: String) -> Self {
        SourceWarning { code, message }
    }

    /// The source shows no access changes (`why`, and what to do): the judged period of each
    /// row cannot be shortened to when its access began, so an UNUSED row may be new access.
    /// plan-removal refuses the report until this warning is accepted by name.
    pub fn misses_changes(why: &str) -> Self {
        SourceWarning::new(
            MISSES_CHANGES,
            format!("{why}. Without the access changes (granted_at, member_since, the changes file), access granted inside the window cannot be told apart from access held all along: an UNUSED row may be new access"),
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SkippedFile {
    pub path: String,
    pub error: String,
}

/// The last time (Unix seconds, UTC) of every distinct [`UsageKey`] in the window.
#[derive(Debug, Default)]
pub struct Evidence {
    pub last_seen: HashMap<UsageKey, i64>,
    /// The access changes in the window, in [`changes::normalize`]'s order.
    pub changes: Vec<changes::Change>,
    pub source: SourceInfo,
}

impl Evidence {
    /// Keeps the later of the known and the new time: the aggregation every source shares.
    pub fn record(&mut self, key: UsageKey, time: i64) {
        self.last_seen
            .entry(key)
            .and_modify(|t| *t = (*t).max(time))
            .or_insert(time);
    }
}

#[cfg(test)]
mod portal_tests {
    use super::*;

    #[test]
    fn the_access_portal_in_every_published_form_is_a_portal_login() {
        for url in [
            "https://masked.awsapps.com/start/",
            "https://d-1234567890.awsapps.com/start/?state=QVlB&organization=d-9067230c03",
            "https://example.awsapps.com/start/",
            "https://d-1234567890.awsapps.com/start",
            "https://d-1234567890.awsapps.cn/start/#/",
            "https://ssoins-1111111111111111.portal.eu-west-1.app.aws/",
        ] {
            assert!(is_portal_login(url), "{url}");
        }
    }

    #[test]
    fn other_services_and_look_alikes_are_not() {
        for url in [
            "https://clients.amazonaws.com/workspaces/",
            "https://console.aws.amazon.com/",
            "http://d-1234567890.awsapps.com/start/",
            "https://d-1234567890.awsapps.com.evil.example/start/",
            "https://evil.example/?next=awsapps.com/start",
            "",
        ] {
            assert!(!is_portal_login(url), "{url}");
        }
    }
}
