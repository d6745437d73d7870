//! Rows of the evidence query (CloudTrail Lake, Athena) into [`Evidence`], by the same rules
//! the log reader applies to single events. Each row is one evidence key: the user as the
//! events named them, the event name, account and role, the latest time and the event count.

use super::cloudtrail::{parse_event_time, use_kind};
use super::{Evidence, SourceInfo, UsageKey, UseKind, UserRef};
use std::collections::HashMap;

/// The columns of the evidence query's result, in order.
pub const COLUMNS: [&str; 9] = [
    "on_behalf_of_user_id",
    "identity_store_arn",
    "principal_id",
    "user_name",
    "event_name",
    "account_id",
    "role_name",
    "last_event_time",
    "event_count",
];

#[derive(Debug, thiserror::Error)]
#[error("a result row has no readable {column}: {row:?}")]
pub struct RowError {
    pub column: &'static str,
    pub row: HashMap<String, String>,
}

/// Turns result rows into evidence by the same rules the log reader applies to events.
pub(crate) fn evidence_from_rows(
    rows: Vec<HashMap<String, String>>,
    mut info: SourceInfo,
) -> Result<Evidence, RowError> {
    let mut evidence = Evidence::default();
    for row in rows {
        let text = |column: &str| {
            row.get(column)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let event_name = text("event_name").unwrap_or_default();
        let source = if event_name == "UserAuthentication" {
            "signin.amazonaws.com"
        } else {
            "sso.amazonaws.com"
        };
        let Some(kind) = use_kind(source, event_name) else {
            continue;
        };
        let (account_id, role_name) = match (kind, text("account_id"), text("role_name")) {
            (UseKind::PortalSignIn, _, _) => (String::new(), String::new()),
            (_, Some(account), Some(role)) => (account.to_owned(), role.to_owned()),
            // Application sign-ins carry no account and role: not an assignment use.
            _ => continue,
        };
        let user = UserRef {
            on_behalf_of_user_id: text("on_behalf_of_user_id").map(str::to_owned),
            identity_store_arn: text("identity_store_arn").map(str::to_owned),
            principal_id: text("principal_id").map(str::to_owned),
            user_name: text("user_name").map(str::to_owned),
        };
        if user.is_empty() {
            continue;
        }
        let time = text("last_event_time").and_then(parse_event_time);
        let count = text("event_count").and_then(|c| c.parse::<u64>().ok());
        let (Some(time), Some(count)) = (time, count) else {
            return Err(RowError {
                column: if time.is_none() {
                    "last_event_time"
                } else {
                    "event_count"
                },
                row,
            });
        };
        info.evidence_events += count;
        match kind {
            UseKind::Console => info.console_events += count,
            UseKind::Cli => info.cli_events += count,
            UseKind::PortalSignIn => info.portal_sign_in_events += count,
        }
        evidence.record(
            UsageKey {
                user,
                kind,
                account_id,
                role_name,
            },
            time,
        );
    }
    evidence.source = info;
    Ok(evidence)
}
