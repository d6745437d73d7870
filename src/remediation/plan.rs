//! The removal plan: which assignments (and, on request, users) the report shows unused for at
//! least N days, each with the evidence that justifies it. Made from the report's files only.

use super::RemediationError;
use crate::review::previous::{ManifestWarning, ReportInput, ReportRow, UserRow};
use crate::store::file::sha256_hex;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const PLAN_FORMAT: u32 = 1;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Plan what was not used for at least this many days.
    pub unused_days: u32,
    /// Also plan users inactive for as long that would hold no assignment after the plan.
    pub include_users: bool,
    /// Warning codes the reviewer has checked and accepts.
    pub accept_warnings: Vec<String>,
    /// A report whose evidence ends more than a day before this is stale.
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Plan {
    pub plan_format: u32,
    pub created_at: String,
    pub tool: String,
    pub unused_days: u32,
    pub evidence: PlanEvidence,
    /// Warnings that would have stopped the plan, accepted by name.
    pub accepted_warnings: Vec<ManifestWarning>,
    pub assignments: Vec<PlannedAssignment>,
    pub users: Vec<PlannedUser>,
}

/// The report a plan rests on, pinned by SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanEvidence {
    pub report: String,
    pub report_sha256: String,
    pub manifest_sha256: String,
    pub users_sha256: String,
    pub generated_at: String,
    pub window_start: String,
    pub as_of: String,
    pub lookback_days: u32,
    pub instance_arn: String,
    pub identity_store_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlannedAssignment {
    pub account_id: String,
    pub account_name: String,
    pub permission_set_arn: String,
    pub permission_set_name: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    pub principal_id: String,
    pub principal_name: String,
    /// For a group: its members when the report was made, none of whom used it.
    #[serde(default)]
    pub member_user_ids: Vec<String>,
    pub last_used: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlannedUser {
    pub user_id: String,
    pub user_name: String,
    pub activity_status: String,
    pub last_activity: Option<String>,
    pub reason: String,
}

impl Plan {
    /// One line for people: what the plan removes and on what evidence.
    pub fn summary(&self) -> String {
        format!(
            "{} account assignment(s) and {} user(s) unused for at least {} days, from the report of {} (evidence {} to {}, report SHA-256 {}){}",
            self.assignments.len(),
            self.users.len(),
            self.unused_days,
            self.evidence.generated_at,
            self.evidence.window_start,
            self.evidence.as_of,
            self.evidence.report_sha256,
            if self.accepted_warnings.is_empty() {
                String::new()
            } else {
                let codes: Vec<&str> = self.accepted_warnings.iter().map(|w| w.code.as_str()).collect();
                format!("; accepted warnings: {}", codes.join(", "))
            }
        )
    }
}

/// Makes the plan, or refuses while the report carries warnings nobody accepted.
pub fn make_plan(input: &ReportInput, options: &PlanOptions) -> Result<Plan, RemediationError> {
    let accepted = check_warnings(input, options)?;
    let manifest = &input.manifest;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let assignments = plan_assignments(input, options.unused_days);
    let users = if options.include_users {
        plan_users(input, &assignments, options.unused_days)
    } else {
        Vec::new()
    };
    Ok(Plan {
        plan_format: PLAN_FORMAT,
        created_at: time(options.now),
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        unused_days: options.unused_days,
        evidence: PlanEvidence {
            report: input.location.to_string(),
            report_sha256: manifest.report.sha256.clone(),
            manifest_sha256: input.manifest_sha256.clone(),
            users_sha256: manifest.users.sha256.clone(),
            generated_at: time(manifest.generated_at),
            window_start: time(manifest.window_start),
            as_of: time(manifest.as_of),
            lookback_days: manifest.lookback_days,
            instance_arn: manifest.directory.instance_arn.clone(),
            identity_store_id: manifest.directory.identity_store_id.clone(),
        },
        accepted_warnings: accepted,
        assignments,
        users,
    })
}

/// The plan's bytes as written, and their SHA-256 (what an approver approves).
pub fn plan_bytes(plan: &Plan) -> (Vec<u8>, String) {
    let mut body = serde_json::to_vec_pretty(plan).expect("a plan serializes");
    body.push(b'\n');
    let sha256 = sha256_hex(&body);
    (body, sha256)
}

/// The manifest's warnings and the plan's own (window too short, stale report): all must be
/// accepted by code, or nothing is planned.
fn check_warnings(
    input: &ReportInput,
    options: &PlanOptions,
) -> Result<Vec<ManifestWarning>, RemediationError> {
    let manifest = &input.manifest;
    let mut warnings = manifest.warnings.clone();
    if manifest.lookback_days < options.unused_days {
        warnings.push(ManifestWarning {
            code: "window_shorter_than_unused_days".into(),
            message: format!(
                "the evidence window is {} days, shorter than --unused-days {}: it cannot show that anything went unused that long",
                manifest.lookback_days, options.unused_days
            ),
        });
    }
    if options.now - manifest.as_of > Duration::days(1) {
        warnings.push(ManifestWarning {
            code: "stale_report".into(),
            message: format!(
                "the report's evidence ends at {}, more than a day ago: uses since then are not in it",
                manifest.as_of.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        });
    }
    let (accepted, refused): (Vec<_>, Vec<_>) = warnings
        .into_iter()
        .partition(|w| options.accept_warnings.contains(&w.code));
    if refused.is_empty() {
        return Ok(accepted);
    }
    let lines: Vec<String> = refused
        .iter()
        .map(|w| format!("  {}: {}", w.code, w.message))
        .collect();
    let codes: Vec<&str> = refused.iter().map(|w| w.code.as_str()).collect();
    Err(RemediationError::Refused(format!(
        "the report's evidence carries warnings, so it may not prove that anything is unused:\n{}\nFix the evidence and make a new report, or, once you have checked each one, name them: --accept-warnings {}",
        lines.join("\n"),
        codes.join(",")
    )))
}

type AssignmentKey = (String, String, String, String);

/// (account, permission set ARN, principal type, principal id) of a row's assignment.
fn assignment_key(row: &ReportRow) -> AssignmentKey {
    let principal = if row.assignment_type == "GROUP" {
        &row.group_id
    } else {
        &row.user_id
    };
    (
        row.account_id.clone(),
        row.permission_set_arn.clone(),
        row.assignment_type.clone(),
        principal.clone(),
    )
}

/// Not used for `days`, and held for the whole window: a `NEW` row began inside it.
fn unused_for(row: &ReportRow, days: u32) -> bool {
    row.usage_status != "NEW"
        && row
            .days_since_last_used
            .is_none_or(|since| since >= i64::from(days))
}

/// Assignments whose every row (one per user; per member for a group) is unused for `days`.
/// Principals missing from the directory are left alone: nothing can re-check them.
fn plan_assignments(input: &ReportInput, days: u32) -> Vec<PlannedAssignment> {
    let mut by_assignment: BTreeMap<AssignmentKey, Vec<&ReportRow>> = BTreeMap::new();
    for row in input
        .rows
        .iter()
        .filter(|r| r.assignment_type != "ENTITLEMENT")
    {
        by_assignment
            .entry(assignment_key(row))
            .or_default()
            .push(row);
    }
    // A user created within the period cannot have held an assignment for all of it.
    let oldest_allowed = input.manifest.as_of - Duration::days(i64::from(days));
    let new_users: BTreeSet<&str> = input
        .users
        .iter()
        .filter(|u| !created_before(u, oldest_allowed))
        .map(|u| u.user_id.as_str())
        .collect();
    by_assignment
        .into_iter()
        .filter(|((_, _, kind, principal), rows)| {
            let missing = rows[0].user_status == "NOT_FOUND"
                && (kind == "USER" || rows[0].user_id.is_empty());
            let new_user = kind == "USER" && new_users.contains(principal.as_str());
            // An exception accepting one member's row keeps the group's whole assignment.
            let accepted = rows.iter().any(|r| r.review_status == "ACCEPTED");
            !principal.is_empty()
                && !missing
                && !new_user
                && !accepted
                && rows.iter().all(|r| unused_for(r, days))
        })
        .map(
            |((account_id, permission_set_arn, kind, principal_id), rows)| {
                let first = rows[0];
                let last_used = rows
                    .iter()
                    .map(|r| r.last_used.as_str())
                    .filter(|t| !t.is_empty())
                    .max()
                    .map(str::to_owned);
                let group = kind == "GROUP";
                PlannedAssignment {
                    reason: assignment_reason(input, last_used.as_deref(), days, group),
                    account_id,
                    account_name: first.account_name.clone(),
                    permission_set_arn,
                    permission_set_name: first.permission_set_name.clone(),
                    principal_name: if group {
                        first.group_name.clone()
                    } else {
                        first.user_name.clone()
                    },
                    member_user_ids: if group {
                        rows.iter().map(|r| r.user_id.clone()).collect()
                    } else {
                        Vec::new()
                    },
                    principal_type: kind,
                    principal_id,
                    last_used,
                }
            },
        )
        .collect()
}

fn assignment_reason(
    input: &ReportInput,
    last_used: Option<&str>,
    days: u32,
    group: bool,
) -> String {
    let who = if group { "by any member " } else { "" };
    let manifest = &input.manifest;
    match last_used {
        None => format!(
            "no console or CLI use {who}between {} and {} ({} days)",
            manifest
                .window_start
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            manifest.as_of.to_rfc3339_opts(SecondsFormat::Secs, true),
            manifest.lookback_days
        ),
        Some(last) => format!(
            "last console or CLI use {who}at {last}, at least {days} days before {}",
            manifest.as_of.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
    }
}

/// Users inactive for `days`, not created within them, left with no assignment by the plan.
fn plan_users(input: &ReportInput, planned: &[PlannedAssignment], days: u32) -> Vec<PlannedUser> {
    let removed: BTreeSet<AssignmentKey> = planned
        .iter()
        .map(|a| {
            (
                a.account_id.clone(),
                a.permission_set_arn.clone(),
                a.principal_type.clone(),
                a.principal_id.clone(),
            )
        })
        .collect();
    let keeps_access: BTreeSet<&str> = input
        .rows
        .iter()
        .filter(|r| !removed.contains(&assignment_key(r)))
        .map(|r| r.user_id.as_str())
        .collect();
    let oldest_allowed = input.manifest.as_of - Duration::days(i64::from(days));
    input
        .users
        .iter()
        .filter(|u| matches!(u.activity_status.as_str(), "INACTIVE" | "NEVER_SEEN"))
        .filter(|u| u.days_since_last_activity.is_none_or(|d| d >= i64::from(days)))
        .filter(|u| created_before(u, oldest_allowed))
        .filter(|u| !keeps_access.contains(u.user_id.as_str()))
        .map(|u| {
            let last_activity = [&u.last_used, &u.last_portal_sign_in]
                .into_iter()
                .filter(|t| !t.is_empty())
                .max()
                .cloned();
            PlannedUser {
                reason: match &last_activity {
                    None => "no sign-in or use in the whole evidence window, and no assignment left after this plan".into(),
                    Some(t) => format!("last active at {t}, at least {days} days ago, and no assignment left after this plan"),
                },
                user_id: u.user_id.clone(),
                user_name: u.user_name.clone(),
                activity_status: u.activity_status.clone(),
                last_activity,
            }
        })
        .collect()
}

/// A user of unknown creation time counts as old enough: the window already covers `days`.
fn created_before(user: &UserRow, limit: DateTime<Utc>) -> bool {
    user.created_at.is_empty()
        || user
            .created_at
            .parse::<DateTime<Utc>>()
            .is_ok_and(|created| created <= limit)
}
