//! Reading a snapshot file, with errors that name the file and the place.

use super::Snapshot;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read directory snapshot {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("directory snapshot {path} is not valid (line {line}, column {column}): {message}")]
    Format {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("directory snapshot {path} is inconsistent: {message}")]
    Inconsistent { path: PathBuf, message: String },
}

/// Reads and checks a snapshot file.
pub fn load_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    // Read whole: snapshots are small, and serde then reports the exact place of an error.
    let bytes = std::fs::read(path).map_err(|source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    })?;
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Format {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    check_consistency(&snapshot).map_err(|message| SnapshotError::Inconsistent {
        path: path.to_owned(),
        message,
    })?;
    Ok(snapshot)
}

/// serde_json appends " at line L column C", which the error already says.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Rejects snapshots the report could only get wrong: assignments to permission sets the
/// snapshot does not describe (the row would have no name to match evidence against), and
/// duplicate ids or names that would make attribution ambiguous.
pub(crate) fn check_consistency(snapshot: &Snapshot) -> Result<(), String> {
    if snapshot.identity_store_id.trim().is_empty() {
        return Err("identity_store_id is empty".into());
    }
    check_regions(snapshot)?;
    let mut arns = HashSet::new();
    let mut names = HashSet::new();
    for ps in &snapshot.permission_sets {
        if !arns.insert(ps.arn.as_str()) {
            return Err(format!("permission set {} is listed twice", ps.arn));
        }
        if !names.insert(ps.name.as_str()) {
            return Err(format!("two permission sets are named {:?}", ps.name));
        }
    }
    let mut user_ids = HashSet::new();
    let mut user_names = HashSet::new();
    for user in &snapshot.users {
        if !user_ids.insert(user.user_id.as_str()) {
            return Err(format!("user {} is listed twice", user.user_id));
        }
        if !user_names.insert(user.user_name.to_lowercase()) {
            return Err(format!("two users are named {:?}", user.user_name));
        }
    }
    check_listed_once("accounts", snapshot.accounts.iter().map(|a| a.id.as_str()))?;
    check_listed_once(
        "groups",
        snapshot.groups.iter().map(|g| g.group_id.as_str()),
    )?;
    for (index, entitlement) in snapshot.entitlements.iter().enumerate() {
        if !entitlement.role_arn.starts_with("arn:") {
            return Err(format!(
                "entitlements[{index}] has role_arn {:?}, not an IAM role ARN",
                entitlement.role_arn
            ));
        }
    }
    for (index, assignment) in snapshot.assignments.iter().enumerate() {
        if !arns.contains(assignment.permission_set_arn.as_str()) {
            return Err(format!(
                "assignments[{index}] references permission set {} which is not in permission_sets",
                assignment.permission_set_arn
            ));
        }
    }
    Ok(())
}

/// An account or group listed twice could carry two names or two member lists, and the report
/// would silently take one: refuse it, naming both places.
fn check_listed_once<'a>(list: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut first = std::collections::HashMap::new();
    for (index, id) in ids.enumerate() {
        if let Some(before) = first.insert(id, index) {
            return Err(format!(
                "{list}[{index}] has the id {id}, already listed as {list}[{before}]: keep one entry per id"
            ));
        }
    }
    Ok(())
}

/// Region names are put in queries and API calls: they must be names, each listed once, and
/// only one of them the primary.
fn check_regions(snapshot: &Snapshot) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (index, region) in snapshot.regions.iter().enumerate() {
        crate::aws::check_region(&region.name).map_err(|e| format!("regions[{index}]: {e}"))?;
        if !seen.insert(region.name.as_str()) {
            return Err(format!("Region {} is listed twice", region.name));
        }
    }
    if snapshot.regions.iter().filter(|r| r.primary).count() > 1 {
        return Err("more than one Region is marked primary".into());
    }
    Ok(())
}
