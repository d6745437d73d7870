//! Putting the report and manifest in place: both are written to temporary files beside the
//! destination (mode 0600) and renamed only when complete (a set of files through
//! [`super::commit`]), so a failed run never leaves a partial file and never destroys the
//! previous report; temporary files of killed runs are swept before writing.

use super::html::render_html;
use super::report_csv::{write_changes_csv, write_csv, write_users_csv};
use super::Manifest;
use crate::report::Report;
use crate::store::file::{sha256_hex, sweep_stale_temps, temp_path, write_file, WriteError};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("another run is writing the report set {report} (it holds {lock}): wait for it to finish, or choose another --output")]
    Busy { report: PathBuf, lock: PathBuf },
}

/// `report.csv` -> `report.manifest.json`; other names get `.manifest.json` appended.
pub fn manifest_path_for(report: &Path) -> PathBuf {
    let name = report
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    report.with_file_name(format!("{}.manifest.json", stem_of(&name)))
}

/// Writes every artifact beside `report` (the report under its own name, the others as
/// `<stem><suffix>`), each through a temporary file; nothing is renamed into place until all
/// are written, and the manifest goes last.
pub fn write_report_files(report: &Path, artifacts: &[Artifact]) -> Result<(), OutputError> {
    let paths: Vec<(PathBuf, PathBuf)> = artifacts
        .iter()
        .map(|a| {
            let path = report.with_file_name(&a.name);
            (temp_path(&path), path)
        })
        .collect();
    paths.iter().for_each(|(_, path)| sweep_stale_temps(path));
    let result = (|| {
        for ((tmp, _), artifact) in paths.iter().zip(artifacts) {
            write_file(tmp, |w| w.write_all(&artifact.body))?;
        }
        super::commit::commit(&paths)
    })();
    if result.is_err() {
        for (tmp, _) in &paths {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// One file of a report, rendered in memory.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The file name: the report's own, or its stem with [`Self::suffix`].
    pub name: String,
    /// `.csv`, `.users.csv`, `.html`, `.changes.csv` or `.manifest.json`.
    pub suffix: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// `report.csv` -> `report`; other names are their own stem.
fn stem_of(report_name: &str) -> &str {
    report_name.strip_suffix(".csv").unwrap_or(report_name)
}

/// The suffixes of a report set's files, in the order they are written (the manifest last).
const SUFFIXES: [&str; 5] = [
    ".csv",
    ".users.csv",
    ".html",
    ".changes.csv",
    ".manifest.json",
];

/// The file name of a report set's file: the report's own for `.csv`, else its stem and suffix.
fn artifact_name(report_name: &str, suffix: &str) -> String {
    match suffix {
        ".csv" => report_name.to_owned(),
        _ => format!("{}{suffix}", stem_of(report_name)),
    }
}

/// The names of every file a report named `report_name` writes beside it.
pub fn artifact_names(report_name: &str) -> Vec<String> {
    SUFFIXES
        .iter()
        .map(|s| artifact_name(report_name, s))
        .collect()
}

/// Renders the report, the user summary, the HTML view, the changes file and, last, the
/// manifest that records the other files' names and SHA-256. `report_name` is the report's file name.
pub fn render_report(report: &Report, mut manifest: Manifest, report_name: &str) -> Vec<Artifact> {
    let artifact = |suffix: &'static str, content_type, body: Vec<u8>| Artifact {
        name: artifact_name(report_name, suffix),
        suffix,
        content_type,
        body,
    };
    let mut csv = Vec::new();
    write_csv(&mut csv, &report.rows).expect("writing CSV to memory cannot fail");
    let mut users = Vec::new();
    write_users_csv(&mut users, &report.users).expect("writing CSV to memory cannot fail");
    let mut changes = Vec::new();
    write_changes_csv(&mut changes, &report.changes).expect("writing CSV to memory cannot fail");
    let html = render_html(report, &manifest).into_bytes();
    let mut artifacts = vec![
        artifact(".csv", "text/csv; charset=utf-8", csv),
        artifact(".users.csv", "text/csv; charset=utf-8", users),
        artifact(".html", "text/html; charset=utf-8", html),
        artifact(".changes.csv", "text/csv; charset=utf-8", changes),
    ];
    manifest.report.file = artifacts[0].name.clone();
    manifest.report.sha256 = sha256_hex(&artifacts[0].body);
    manifest.users.file = artifacts[1].name.clone();
    manifest.users.sha256 = sha256_hex(&artifacts[1].body);
    manifest.html.file = artifacts[2].name.clone();
    manifest.html.sha256 = sha256_hex(&artifacts[2].body);
    manifest.changes.file = artifacts[3].name.clone();
    manifest.changes.sha256 = sha256_hex(&artifacts[3].body);
    let mut json = serde_json::to_vec_pretty(&manifest).expect("the manifest serializes");
    json.push(b'\n');
    artifacts.push(artifact(".manifest.json", "application/json", json));
    artifacts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_sits_beside_the_report() {
        assert_eq!(
            manifest_path_for(Path::new("out/report.csv")),
            Path::new("out/report.manifest.json")
        );
        assert_eq!(
            manifest_path_for(Path::new("r.txt")),
            Path::new("r.txt.manifest.json")
        );
    }
}
