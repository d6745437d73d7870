//! The manifest of a report: what it counts, where its directory and evidence came from,
//! and what limits its proof, built from the joined report before any file is written.

use super::warnings::is_unknown_members;
use super::{
    format_time, ChangeCounts, DiffCounts, DirectoryInfo, FileInfo, Manifest, ReportCounts,
    ReviewInfo, ToolInfo, UserCounts, Warning,
};
use crate::directory::aws::DirectoryReadInfo;
use crate::directory::Snapshot;
use crate::evidence::changes::ChangeKind;
use crate::evidence::lookup::HISTORY_DAYS;
use crate::evidence::{SourceInfo, Window};
use crate::report::{
    ActivityStatus, ChangeRow, Report, UsageStatus, UserState, UserSummary, ENTITLEMENT_USE_UNKNOWN,
};
use crate::review::{DiffKind, Review};
use chrono::{SecondsFormat, Utc};
use std::collections::BTreeMap;

/// The manifest of a joined report (the writer fills in each file's name and SHA-256).
pub fn describe(
    report: &Report,
    review: &Review,
    directory: DirectoryInfo,
    source: SourceInfo,
    warnings: Vec<Warning>,
    window: &Window,
    inactive_days: u32,
) -> Manifest {
    let count = |status| {
        report
            .rows
            .iter()
            .filter(|r| r.usage_status() == status)
            .count()
    };
    let (used, unused, new, unknown) = (
        count(UsageStatus::Used),
        count(UsageStatus::Unused),
        count(UsageStatus::New),
        count(UsageStatus::Unknown),
    );
    let changes = change_counts(&report.changes, &source.kind);
    Manifest {
        tool: ToolInfo::default(),
        generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        as_of: format_time(window.end_secs()),
        window_start: format_time(window.start_secs()),
        lookback_days: window.lookback_days,
        directory,
        warnings,
        evidence: source,
        attribution: report.join.clone(),
        report: ReportCounts {
            file: String::new(),
            rows: report.rows.len(),
            used,
            unused,
            new,
            unknown,
            unknown_reason: (unknown > 0).then_some(ENTITLEMENT_USE_UNKNOWN),
            principals_not_found: report
                .rows
                .iter()
                .filter(|r| r.user_state == UserState::NotFound)
                .count(),
            sha256: String::new(),
        },
        users: user_counts(&report.users, inactive_days),
        html: FileInfo::default(),
        changes,
        review: review_info(review),
    }
}

fn review_info(review: &Review) -> ReviewInfo {
    let counts = |kinds: &[DiffKind], changes: Vec<DiffKind>| DiffCounts {
        rows: changes.len(),
        by_change: (kinds.iter())
            .map(|k| (k.as_str(), changes.iter().filter(|c| *c == k).count()))
            .collect(),
        ..DiffCounts::default()
    };
    ReviewInfo {
        previous: review.previous.clone(),
        diff: counts(
            &DiffKind::ASSIGNMENT_KINDS,
            review.diff.iter().map(|d| d.change).collect(),
        ),
        users_diff: counts(
            &DiffKind::USER_KINDS,
            review.user_diff.iter().map(|d| d.change).collect(),
        ),
        exceptions: review.exceptions.clone(),
        privileged_permission_sets: review.privileged.clone(),
    }
}

/// Where the directory came from and what it holds.
pub fn directory_info(
    snapshot: &Snapshot,
    source: &str,
    location: &str,
    read: Option<DirectoryReadInfo>,
) -> DirectoryInfo {
    DirectoryInfo {
        source: source.into(),
        location: location.into(),
        instance_arn: snapshot.instance_arn.clone(),
        identity_store_id: snapshot.identity_store_id.clone(),
        captured_at: snapshot
            .captured_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        regions: snapshot.region_names(),
        accounts: snapshot.accounts.len(),
        permission_sets: snapshot.permission_sets.len(),
        users: snapshot.users.len(),
        groups: snapshot.groups.len(),
        assignments: snapshot.assignments.len(),
        read,
    }
}

fn change_counts(changes: &[ChangeRow], source_kind: &str) -> ChangeCounts {
    let mut by_event_name: BTreeMap<&'static str, usize> = ChangeKind::ALL
        .iter()
        .map(|k| (k.event_name(), 0))
        .collect();
    for row in changes {
        *by_event_name
            .entry(row.change.kind.event_name())
            .or_default() += 1;
    }
    ChangeCounts {
        file: String::new(),
        rows: changes.len(),
        by_event_name,
        memberships_unresolved: changes
            .iter()
            .filter(|r| !r.note.is_empty() && !is_unknown_members(r))
            .count(),
        memberships_unknown: changes.iter().filter(|r| is_unknown_members(r)).count(),
        coverage: (source_kind == "cloudtrail-lookup").then(|| {
            format!("CloudTrail event history holds the last {HISTORY_DAYS} days of the Identity Center account, in the Regions looked up: changes made elsewhere or earlier are not listed")
        }),
        sha256: String::new(),
    }
}

fn user_counts(users: &[UserSummary], inactive_days: u32) -> UserCounts {
    let count = |status| users.iter().filter(|u| u.activity_status == status).count();
    UserCounts {
        file: String::new(),
        inactive_days,
        users: users.len(),
        active: count(ActivityStatus::Active),
        inactive: count(ActivityStatus::Inactive),
        never_seen: count(ActivityStatus::NeverSeen),
        new: count(ActivityStatus::New),
        sha256: String::new(),
    }
}
