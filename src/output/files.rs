//! Putting the report and manifest in place: both are written to temporary files beside the
//! destination (mode 0600) and renamed only when complete (a set of files through
//! [`super::commit`]), so a failed run never leaves a partial file and never destroys the
//! previous report; temporary files of killed runs are swept before writing.

use super::html::render_html;
use super::report_csv::{
    write_changes_csv, write_csv, write_diff_csv, write_users_csv, write_users_diff_csv,
};
use super::Manifest;
use crate::report::Report;
use crate::review::Review;
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

pub use crate::review::previous::manifest_path_for;

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
    /// One of [`SUFFIXES`].
    pub suffix: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// `report.csv` -> `report`; other names are their own stem.
fn stem_of(report_name: &str) -> &str {
    report_name.strip_suffix(".csv").unwrap_or(report_name)
}

/// The suffixes of a report set's files, in the order they are written (the manifest last).
const SUFFIXES: [&str; 7] = [
    ".csv",
    ".users.csv",
    ".changes.csv",
    ".diff.csv",
    ".users.diff.csv",
    ".html",
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

const CSV: &str = "text/csv; charset=utf-8";

/// Renders the report, the user summary, the changes file, the two difference files, the HTML
/// view (which shows the CSVs' SHA-256) and, last, the manifest that records every other file's
/// name and SHA-256. `report_name` is the report's file name.
pub fn render_report(
    report: &Report,
    review: &Review,
    mut manifest: Manifest,
    report_name: &str,
) -> Vec<Artifact> {
    let artifact = |suffix: &'static str, content_type, body: Vec<u8>| Artifact {
        name: artifact_name(report_name, suffix),
        suffix,
        content_type,
        body,
    };
    let in_memory = |write: &dyn Fn(&mut Vec<u8>) -> csv::Result<()>| {
        let mut body = Vec::new();
        write(&mut body).expect("writing CSV to memory cannot fail");
        body
    };
    let mut artifacts = vec![
        artifact(".csv", CSV, in_memory(&|b| write_csv(b, &report.rows))),
        artifact(
            ".users.csv",
            CSV,
            in_memory(&|b| write_users_csv(b, &report.users)),
        ),
        artifact(
            ".changes.csv",
            CSV,
            in_memory(&|b| write_changes_csv(b, &report.changes)),
        ),
        artifact(
            ".diff.csv",
            CSV,
            in_memory(&|b| write_diff_csv(b, &review.diff)),
        ),
        artifact(
            ".users.diff.csv",
            CSV,
            in_memory(&|b| write_users_diff_csv(b, &review.user_diff)),
        ),
    ];
    let record = |(file, sha256): (&mut String, &mut String), artifact: &Artifact| {
        *file = artifact.name.clone();
        *sha256 = sha256_hex(&artifact.body);
    };
    let m = &mut manifest;
    record((&mut m.report.file, &mut m.report.sha256), &artifacts[0]);
    record((&mut m.users.file, &mut m.users.sha256), &artifacts[1]);
    record((&mut m.changes.file, &mut m.changes.sha256), &artifacts[2]);
    let (diff, users_diff) = (&mut m.review.diff, &mut m.review.users_diff);
    record((&mut diff.file, &mut diff.sha256), &artifacts[3]);
    record(
        (&mut users_diff.file, &mut users_diff.sha256),
        &artifacts[4],
    );
    let html = render_html(report, review, &manifest).into_bytes();
    artifacts.push(artifact(".html", "text/html; charset=utf-8", html));
    record(
        (&mut manifest.html.file, &mut manifest.html.sha256),
        &artifacts[5],
    );
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
