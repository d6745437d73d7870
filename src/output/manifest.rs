//! The manifest: how a report was made, so that an auditor can judge what it proves.

use crate::evidence::SourceInfo;
use crate::report::JoinStats;
use crate::review::{ExceptionOutcome, PreviousInfo, Privileged};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: ToolInfo,
    pub generated_at: String,
    pub as_of: String,
    pub window_start: String,
    pub lookback_days: u32,
    pub directory: DirectoryInfo,
    pub evidence: SourceInfo,
    pub attribution: JoinStats,
    pub report: ReportCounts,
    /// The per-user summary (`.users.csv`).
    pub users: UserCounts,
    /// The HTML view of the same data (`.html`).
    pub html: FileInfo,
    /// The access changes in the window (`.changes.csv`).
    pub changes: ChangeCounts,
    /// The difference from the previous report, the accepted exceptions, and what counts as
    /// privileged.
    pub review: ReviewInfo,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DirectoryInfo {
    /// `snapshot-file`, or `aws` (read live).
    pub source: String,
    pub location: String,
    pub instance_arn: String,
    pub identity_store_id: String,
    pub captured_at: Option<String>,
    /// The instance's Regions, primary first (empty: the snapshot does not say).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    pub accounts: usize,
    pub permission_sets: usize,
    pub users: usize,
    pub groups: usize,
    pub assignments: usize,
    /// How a live directory was read: strategy, calls per IAM action, warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<crate::directory::aws::DirectoryReadInfo>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportCounts {
    pub file: String,
    pub rows: usize,
    pub used: usize,
    pub unused: usize,
    /// Rows not used but held only since a time inside the window (usage_status NEW).
    pub new: usize,
    /// Rows whose use cannot be known (account access manager entitlements), with why.
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<&'static str>,
    /// Rows whose user or group no longer exists in the directory.
    pub principals_not_found: usize,
    pub sha256: String,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UserCounts {
    pub file: String,
    /// Users count as inactive when not seen for this many days (`--inactive-days`).
    pub inactive_days: u32,
    pub users: usize,
    pub active: usize,
    pub inactive: usize,
    pub never_seen: usize,
    pub new: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeCounts {
    pub file: String,
    pub rows: usize,
    /// Changes per event name, every change event named.
    pub by_event_name: BTreeMap<&'static str, usize>,
    /// `DeleteGroupMembership` events whose group and user could not be found.
    pub memberships_unresolved: usize,
    /// SCIM events that changed a group's members without saying whose.
    pub memberships_unknown: usize,
    /// What the source can hold, when it holds less than the window (event history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReviewInfo {
    /// The report the differences were taken from; none: no difference was taken, and the
    /// difference files hold only their header.
    pub previous: Option<PreviousInfo>,
    /// `.diff.csv`: the changes of assignment rows since the previous report.
    pub diff: DiffCounts,
    /// `.users.diff.csv`: the changes of users since the previous report.
    pub users_diff: DiffCounts,
    /// The exceptions file and what it accepted; none: no file was given.
    pub exceptions: Option<ExceptionOutcome>,
    /// Permission set names (`*` for any text) the HTML view's review queue treats as privileged.
    pub privileged_permission_sets: Privileged,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffCounts {
    pub file: String,
    pub rows: usize,
    /// Rows per kind of change, every kind named.
    pub by_change: BTreeMap<&'static str, usize>,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileInfo {
    pub file: String,
    pub sha256: String,
}

/// Something that limits what the report proves. `code` is stable; `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}
