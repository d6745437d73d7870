//! The join: one row per account assignment and user, with that user's last use of it.
//!
//! Evidence keys are first attributed to directory users ([`attribution`]), then folded into
//! the last console and CLI use per (user, account, permission set name) and the last portal
//! sign-in per user. Assignments are then expanded (groups to their members) and each row
//! takes the uses of its (user, account, permission set). Uses that match no assignment are
//! counted, never turned into rows. The access changes in the window ([`changes`]) give each
//! row its latest grant and group membership.

mod acceptance;
pub(crate) mod attribution;
pub(crate) mod changes;
mod rows;
#[cfg(test)]
pub(crate) mod tests_support;
mod time;
mod users;

pub use acceptance::Acceptance;
pub use rows::{Row, UsageStatus, UserState, ENTITLEMENT_USE_UNKNOWN};
pub use time::{format_opt_time, format_time};
pub use users::{ActivityStatus, UserSummary};

use crate::directory::Snapshot;
use crate::evidence::{Evidence, UseKind, Window};
use attribution::{Attribution, Attributor};
pub use changes::ChangeRow;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The last console and CLI use of one (user, account, permission set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub console: Option<i64>,
    pub cli: Option<i64>,
}

impl Usage {
    fn add(&mut self, kind: UseKind, time: i64) {
        let slot = match kind {
            UseKind::Console => &mut self.console,
            UseKind::Cli => &mut self.cli,
            UseKind::PortalSignIn => return,
        };
        *slot = Some(slot.map_or(time, |t| t.max(time)));
    }

    pub fn last_used(&self) -> Option<i64> {
        self.console.max(self.cli)
    }
}

/// How the evidence was matched to the directory, for the manifest. Counts are of distinct
/// evidence keys (user as named by the event x kind x account x permission set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JoinStats {
    pub keys_attributed: u64,
    pub keys_unknown_user: u64,
    pub keys_other_identity_store: u64,
    pub keys_user_name_before_creation: u64,
    /// Distinct (user, account, permission set name) used without an assignment that grants it.
    pub uses_without_assignment: u64,
    /// Examples of those, `user_id account_id permission_set_name`, at most ten.
    pub uses_without_assignment_examples: Vec<String>,
}

pub struct Report {
    pub rows: Vec<Row>,
    /// Every access change in the window, named through the directory, sorted by time.
    pub changes: Vec<ChangeRow>,
    /// One per directory user, see [`users`].
    pub users: Vec<UserSummary>,
    pub join: JoinStats,
}

type UseKey = (String, String, String);

/// Builds the report rows and the user summary, both sorted. Users count as inactive when
/// not seen for `inactive_days`.
pub fn build_report(
    snapshot: &Snapshot,
    evidence: &Evidence,
    window: &Window,
    inactive_days: u32,
) -> Report {
    let (uses, portal, mut join) = attribute_evidence(snapshot, evidence);
    let mut granted: HashSet<UseKey> = HashSet::new();
    let mut rows = Vec::new();
    let context = rows::Context::new(snapshot, window);
    let changes = changes::name_changes(snapshot, &evidence.changes);
    let change_index = changes::index_changes(&changes);
    for assignment in unique(&snapshot.assignments) {
        for mut row in context.expand(assignment) {
            row.set_changes(&change_index);
            row.set_judged_since(context.began(&row));
            if row.user_state == UserState::Found {
                let key = (
                    row.user_id.clone(),
                    row.account_id.clone(),
                    row.permission_set_name.clone(),
                );
                row.set_usage(
                    uses.get(&key).copied().unwrap_or_default(),
                    portal.get(&row.user_id).copied(),
                );
                granted.insert(key);
            }
            rows.push(row);
        }
    }
    for entitlement in unique(&snapshot.entitlements) {
        for mut row in context.expand_entitlement(entitlement) {
            row.set_judged_since(context.began(&row));
            if row.user_state == UserState::Found {
                row.last_portal_sign_in = portal.get(&row.user_id).copied();
            }
            rows.push(row);
        }
    }
    let mut without: Vec<String> = uses
        .keys()
        .filter(|k| !granted.contains(*k))
        .map(|(u, a, p)| format!("{u} {a} {p}"))
        .collect();
    without.sort();
    join.uses_without_assignment = without.len() as u64;
    without.truncate(10);
    join.uses_without_assignment_examples = without;
    rows.sort_by(Row::order);
    let users = users::summarize(
        snapshot,
        &users::Activity {
            rows: &rows,
            uses: &uses,
            portal: &portal,
            as_of: window.end_secs(),
            inactive_days,
        },
    );
    Report {
        rows,
        changes,
        users,
        join,
    }
}

fn attribute_evidence(
    snapshot: &Snapshot,
    evidence: &Evidence,
) -> (HashMap<UseKey, Usage>, HashMap<String, i64>, JoinStats) {
    let attributor = Attributor::new(snapshot);
    let mut uses: HashMap<UseKey, Usage> = HashMap::new();
    let mut portal: HashMap<String, i64> = HashMap::new();
    let mut stats = JoinStats::default();
    for (key, &time) in &evidence.last_seen {
        let user_id = match attributor.attribute(&key.user, time) {
            Attribution::User(id) => id,
            Attribution::Unknown => {
                stats.keys_unknown_user += 1;
                continue;
            }
            Attribution::OtherIdentityStore => {
                stats.keys_other_identity_store += 1;
                continue;
            }
            Attribution::BeforeUserCreated => {
                stats.keys_user_name_before_creation += 1;
                continue;
            }
        };
        stats.keys_attributed += 1;
        if key.kind == UseKind::PortalSignIn {
            let last = portal.entry(user_id.to_owned()).or_insert(time);
            *last = (*last).max(time);
        } else {
            let use_key = (
                user_id.to_owned(),
                key.account_id.clone(),
                key.role_name.clone(),
            );
            uses.entry(use_key).or_default().add(key.kind, time);
        }
    }
    (uses, portal, stats)
}

/// The snapshot's assignments (or entitlements) without exact duplicates, which would
/// otherwise double rows.
fn unique<T: Eq + std::hash::Hash>(items: &[T]) -> impl Iterator<Item = &T> {
    let mut seen = HashSet::new();
    items.iter().filter(move |a| seen.insert(*a))
}
