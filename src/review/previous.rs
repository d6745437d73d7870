//! Reading a report back: the CSV, its manifest, and the user summary, checked against the
//! SHA-256 the manifest recorded so that neither a plan nor a comparison rests on an edited file.

use super::ReviewError;
use crate::aws::AwsSession;
use crate::store::file::sha256_hex;
use crate::store::s3::S3Target;
use crate::store::Location;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize};

/// What a plan needs from the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportManifest {
    pub generated_at: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub lookback_days: u32,
    pub directory: ManifestDirectory,
    pub report: ManifestFile,
    pub users: ManifestFile,
    pub warnings: Vec<ManifestWarning>,
    /// Absent in reports made before the review existed.
    #[serde(default)]
    pub review: Option<ManifestReview>,
}

/// What a report was compared with, as far as a later run needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestReview {
    pub previous: Option<ManifestPrevious>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestPrevious {
    /// Where it was read: a file path or `s3://BUCKET/KEY`.
    pub report: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestDirectory {
    pub instance_arn: String,
    pub identity_store_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestFile {
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct ManifestWarning {
    pub code: String,
    pub message: String,
}

/// One report row, as far as a plan needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportRow {
    pub account_id: String,
    pub account_name: String,
    pub permission_set_name: String,
    pub permission_set_arn: String,
    /// `USER`, `GROUP`, or `ENTITLEMENT` (never planned: its use cannot be proven).
    pub assignment_type: String,
    pub group_id: String,
    pub group_name: String,
    pub user_id: String,
    pub user_name: String,
    pub user_status: String,
    pub last_used: String,
    pub days_since_last_used: Option<i64>,
    /// `NEW` rows (held only since a time inside the window) are never planned.
    pub usage_status: String,
    /// ENTITLEMENT rows: the role the entitlement lets the user assume.
    #[serde(default)]
    pub role_arn: String,
    /// `ACCEPTED` rows (an exception covers them) are never planned; empty in reports made
    /// before exceptions existed.
    #[serde(default)]
    pub review_status: String,
}

/// One user summary row, as far as a plan needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub user_id: String,
    pub user_name: String,
    #[serde(default)]
    pub user_status: String,
    pub created_at: String,
    pub last_used: String,
    pub last_portal_sign_in: String,
    pub days_since_last_activity: Option<i64>,
    pub activity_status: String,
}

pub struct ReportInput {
    pub location: Location,
    pub manifest: ReportManifest,
    pub manifest_sha256: String,
    pub rows: Vec<ReportRow>,
    pub users: Vec<UserRow>,
}

/// The report set `latest.json` under `target` points to, if any (a first run has none).
pub async fn latest_report(
    target: &S3Target,
    session: &AwsSession,
) -> Result<Option<Location>, ReviewError> {
    let pointer = Location::S3 {
        bucket: target.bucket.clone(),
        key: target.pointer_key(),
        kms_key_arn: None,
    };
    let Some((body, _)) = pointer.read(session.config().await).await? else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Pointer {
        archive_stem: String,
    }
    let pointer: Pointer = serde_json::from_slice(&body).map_err(|e| ReviewError::Input {
        location: pointer.to_string(),
        message: format!("not this tool's pointer to the latest report: {e}"),
    })?;
    Ok(Some(Location::S3 {
        bucket: target.bucket.clone(),
        key: format!("{}.csv", pointer.archive_stem),
        kms_key_arn: None,
    }))
}

/// Reads the report at `location`, the manifest beside it, and the user summary it names.
pub async fn read_report(
    location: &Location,
    session: &AwsSession,
) -> Result<ReportInput, ReviewError> {
    let manifest_location = location.sibling(&manifest_name(&location.file_name()));
    let config = session.config().await;
    let manifest_bytes = manifest_location.read_existing(config).await.map_err(|e| {
        ReviewError::Refused(format!(
            "the manifest of {location} could not be read ({e}): without it nothing proves how the report was made"
        ))
    })?;
    let manifest: ReportManifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ReviewError::Input {
            location: manifest_location.to_string(),
            message: format!("not a manifest of this tool's reports: {e}"),
        })?;
    let report_bytes = location.read_existing(config).await?;
    check_sha256(location, &report_bytes, &manifest.report.sha256)?;
    let users_location = location.sibling(&manifest.users.file);
    let users_bytes = users_location.read_existing(config).await?;
    check_sha256(&users_location, &users_bytes, &manifest.users.sha256)?;
    let mut rows: Vec<ReportRow> = parse_csv(location, &report_bytes)?;
    for row in &mut rows {
        for name in [
            &mut row.account_name,
            &mut row.permission_set_name,
            &mut row.group_name,
            &mut row.user_name,
        ] {
            unquote(name);
        }
    }
    let mut users: Vec<UserRow> = parse_csv(&users_location, &users_bytes)?;
    users.iter_mut().for_each(|u| unquote(&mut u.user_name));
    Ok(ReportInput {
        rows,
        users,
        location: location.clone(),
        manifest_sha256: sha256_hex(&manifest_bytes),
        manifest,
    })
}

/// `report.csv` -> `report.manifest.json`, as the report writer names it.
fn manifest_name(report_name: &str) -> String {
    manifest_path_for(std::path::Path::new(report_name))
        .to_string_lossy()
        .into_owned()
}

/// `report.csv` -> `report.manifest.json`; other names get `.manifest.json` appended.
pub fn manifest_path_for(report: &std::path::Path) -> std::path::PathBuf {
    let name = report
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    report.with_file_name(format!("{stem}.manifest.json"))
}

/// Undoes the report's spreadsheet safety (`'=x` was `=x`), so that names compare equal to the
/// live directory's: a permission set may well be named `=Admin`.
fn unquote(cell: &mut String) {
    let quoted = matches!(
        cell.as_bytes(),
        [b'\'', b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r', ..]
    );
    if quoted {
        cell.remove(0);
    }
}

fn check_sha256(location: &Location, bytes: &[u8], expected: &str) -> Result<(), ReviewError> {
    let actual = sha256_hex(bytes);
    if actual == expected {
        return Ok(());
    }
    Err(ReviewError::Refused(format!(
        "{location} has SHA-256 {actual}, but its manifest recorded {expected}: the file was changed after the report was made"
    )))
}

fn parse_csv<T: DeserializeOwned>(
    location: &Location,
    bytes: &[u8],
) -> Result<Vec<T>, ReviewError> {
    csv::Reader::from_reader(bytes)
        .deserialize()
        .map(|row| {
            row.map_err(|e| ReviewError::Input {
                location: location.to_string(),
                message: format!("not a report of this tool: {e}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_quotes_are_undone() {
        for (cell, name) in [
            ("'=Admin", "=Admin"),
            ("'-bob", "-bob"),
            ("'quoted", "'quoted"),
            ("alice", "alice"),
            ("", ""),
        ] {
            let mut cell = cell.to_owned();
            unquote(&mut cell);
            assert_eq!(cell, name);
        }
    }

    #[test]
    fn the_manifest_is_named_like_the_writer_names_it() {
        assert_eq!(manifest_name("report.csv"), "report.manifest.json");
        assert_eq!(
            manifest_name("credential-report-20261122T000000Z.csv"),
            "credential-report-20261122T000000Z.manifest.json"
        );
    }
}
