//! What limits a report's proof, as the manifest's warnings, in the order an auditor should
//! read them: what the directory read could not see, Regions the evidence misses, the
//! evidence's own limits, and group changes that hide their members.

use super::{DirectoryInfo, Warning};
use crate::directory::aws::{AssignmentStrategy, DirectoryReadInfo};
use crate::directory::Snapshot;
use crate::evidence::changes::MemberChange;
use crate::evidence::{Evidence, SourceInfo};
use crate::report::{ChangeRow, JoinStats, Report};
use crate::review::{Exception, Review};
use std::collections::BTreeSet;

/// Every warning of a report, in order.
pub fn report_warnings(
    snapshot: &Snapshot,
    directory: &DirectoryInfo,
    evidence: &Evidence,
    report: &Report,
) -> Vec<Warning> {
    let mut warnings = directory_warnings(directory);
    warnings.extend(region_warning(snapshot, &evidence.source));
    warnings.extend(evidence_warnings(evidence, &report.join));
    warnings.extend(unknown_members_warning(&report.changes));
    warnings
}

/// Exceptions that accept nothing: expired ones (the reviewer must renew or drop them) and
/// ones that match no row (misspelt, or the access is gone).
pub fn review_warnings(review: &Review) -> Vec<Warning> {
    let Some(outcome) = &review.exceptions else {
        return Vec::new();
    };
    let warning = |code, exceptions: &[Exception], what: &str| {
        let items: Vec<String> = (exceptions.iter())
            .map(|e| {
                let (account, set, principal) = (&e.account, &e.permission_set, &e.principal);
                format!(
                    "line {} ({account} / {set} / {principal}, expires {})",
                    e.line, e.expires
                )
            })
            .collect();
        (!exceptions.is_empty()).then(|| Warning {
            code,
            message: format!(
                "{} exception(s) in {} {what}: {}",
                exceptions.len(),
                outcome.file,
                items.join("; ")
            ),
        })
    };
    [
        warning("exceptions_expired", &outcome.expired, "have expired and accept nothing: their rows are reviewed like any other until the exception is renewed or removed"),
        warning("exceptions_unmatched", &outcome.unmatched, "match no row of this report (misspelt, or the access is gone)"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(crate) fn is_unknown_members(row: &ChangeRow) -> bool {
    row.change.member_change == Some(MemberChange::Unknown)
}

/// SCIM events that changed a group's members without saying whose: every member of the group
/// may have joined then, so its members are judged only from that time (NEW, never UNUSED).
fn unknown_members_warning(changes: &[ChangeRow]) -> Option<Warning> {
    let unknown: Vec<&ChangeRow> = changes.iter().filter(|r| is_unknown_members(r)).collect();
    let groups: BTreeSet<&str> = unknown.iter().map(|r| r.group_id.as_str()).collect();
    (!unknown.is_empty()).then(|| Warning {
        code: "membership_changes_unknown",
        message: format!(
            "{} SCIM group change(s) in {} group(s) do not say which members changed (AWS hides SCIM request values): each member of those groups is judged only from the group's latest such change, so unused access there shows as NEW rather than UNUSED until a full window has passed",
            unknown.len(),
            groups.len()
        ),
    })
}

fn directory_warnings(directory: &DirectoryInfo) -> Vec<Warning> {
    directory
        .read
        .as_ref()
        .map(read_warnings)
        .unwrap_or_default()
}

/// What a live read of the directory could not see, as the manifest's warnings.
pub fn read_warnings(read: &DirectoryReadInfo) -> Vec<Warning> {
    let mut warnings: Vec<Warning> = read
        .warnings
        .iter()
        .map(|message| Warning {
            code: "account_names_unavailable",
            message: message.clone(),
        })
        .collect();
    if let Some(message) = &read.entitlements_unread {
        warnings.push(Warning {
            code: "entitlements_not_read",
            message: message.clone(),
        });
    }
    if let Some(message) = &read.regions_unlisted {
        warnings.push(Warning {
            code: "regions_not_listed",
            message: message.clone(),
        });
    }
    if read.assignment_strategy_used == AssignmentStrategy::PerPrincipal.as_str() {
        warnings.push(Warning {
            code: "deleted_principals_not_listed",
            message: "assignments were listed per principal, which cannot see assignments whose user or group was deleted; use --assignment-strategy per-permission-set to list those too".into(),
        });
    }
    warnings
}

/// A source that read some Regions but not every Region of the instance misses the sign-ins
/// and credentials recorded there: its users would show as UNUSED.
fn region_warning(snapshot: &Snapshot, source: &SourceInfo) -> Option<Warning> {
    if source.regions.is_empty() {
        return None;
    }
    let missing: Vec<String> = snapshot
        .region_names()
        .into_iter()
        .filter(|r| !source.regions.contains(r))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let (code, fix) = match source.kind.as_str() {
        "cloudtrail-lake" => ("lake_store_misses_regions", "use a multi-Region event data store (or an organization store that is multi-Region)"),
        "athena" => ("evidence_misses_regions", "leave --athena-region (IDC_ATHENA_REGIONS) unset to read every Region of the instance, or list them all"),
        _ => ("evidence_misses_regions", "give --cloudtrail-lookup (IDC_CLOUDTRAIL_LOOKUP_REGIONS) no Regions to read every Region of the instance, or list them all"),
    };
    Some(Warning {
        code,
        message: format!(
            "the instance is also enabled in {}, which the evidence does not cover (it reads {}): sign-ins and credentials there are missing, so users who work only there show as UNUSED. Fix: {fix}",
            missing.join(", "),
            source.regions.join(", ")
        ),
    })
}

/// What limits the report's proof, in the order an auditor should read it.
fn evidence_warnings(evidence: &Evidence, join: &JoinStats) -> Vec<Warning> {
    let source = &evidence.source;
    let mut warnings: Vec<Warning> = source
        .warnings
        .iter()
        .map(|w| Warning {
            code: w.code,
            message: w.message.clone(),
        })
        .collect();
    let mut warn = |code, message: String| warnings.push(Warning { code, message });
    if !source.skipped_files.is_empty() {
        warn(
            "skipped_files",
            format!(
                "{} log file(s) could not be read and were skipped (--allow-malformed-logs): uses recorded only there are missing",
                source.skipped_files.len()
            ),
        );
    }
    if source.evidence_events == 0 {
        warn(
            "no_evidence",
            "no Federate, GetRoleCredentials or UserAuthentication event in the window: check that the source covers the Identity Center account and Region".into(),
        );
    } else if source.cli_events == 0 {
        warn(
            "no_cli_events",
            "no GetRoleCredentials event in the window: the source may not record read-only management events, so CLI/SDK use is invisible and CLI users show as UNUSED".into(),
        );
    }
    if join.uses_without_assignment > 0 {
        warn(
            "uses_without_assignment",
            format!(
                "{} (user, account, permission set) combination(s) were used without an assignment in the directory (removed since, or the snapshot is incomplete)",
                join.uses_without_assignment
            ),
        );
    }
    if join.keys_unknown_user > 0 {
        warn(
            "unknown_users",
            format!(
                "{} evidence key(s) name users that are not in the directory (deleted users?)",
                join.keys_unknown_user
            ),
        );
    }
    warnings
}
