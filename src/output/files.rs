//! Putting the report and manifest in place: both are written to temporary files beside the
//! destination and renamed only when complete, so a failed run never leaves a partial file and
//! never destroys the previous report.

use super::html::render_html;
use super::report_csv::{write_changes_csv, write_csv, write_users_csv};
use super::Manifest;
use crate::report::Report;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
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
    let result = (|| {
        for ((tmp, _), artifact) in paths.iter().zip(artifacts) {
            write_file(tmp, |w| w.write_all(&artifact.body))?;
        }
        paths.iter().try_for_each(|(tmp, path)| rename(tmp, path))
    })();
    if result.is_err() {
        for (tmp, _) in &paths {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// Writes `value` as pretty JSON to `path` through a temporary file, so that `path` holds
/// either its old content or the complete new one.
pub fn write_json_file<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut body = Vec::new();
    write_json(&mut body, value).map_err(|source| OutputError::Io {
        path: path.to_owned(),
        source,
    })?;
    write_bytes_file(path, &body)
}

/// Writes `body` to `path` through a temporary file, so that `path` holds either its old
/// content or the complete new one.
pub fn write_bytes_file(path: &Path, body: &[u8]) -> Result<(), OutputError> {
    let tmp = temp_path(path);
    let result = write_file(&tmp, |w| w.write_all(body)).and_then(|_| rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_json<T: serde::Serialize>(w: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    w.write_all(b"\n")
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn rename(from: &Path, to: &Path) -> Result<(), OutputError> {
    std::fs::rename(from, to).map_err(|source| OutputError::Io {
        path: to.to_owned(),
        source,
    })
}

/// Writes a file and syncs it to disk.
fn write_file(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), OutputError> {
    let io_error = |source| OutputError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::create(path).map_err(io_error)?;
    let mut writer = BufWriter::new(file);
    body(&mut writer).map_err(io_error)?;
    writer.flush().map_err(io_error)?;
    writer.get_ref().sync_all().map_err(io_error)
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

/// Renders the report, the user summary, the HTML view, the changes file and, last, the
/// manifest that records the other files' names and SHA-256. `report_name` is the report's file name.
pub fn render_report(report: &Report, mut manifest: Manifest, report_name: &str) -> Vec<Artifact> {
    let stem = stem_of(report_name);
    let artifact = |suffix: &'static str, content_type, body: Vec<u8>| Artifact {
        name: if suffix == ".csv" {
            report_name.to_owned()
        } else {
            format!("{stem}{suffix}")
        },
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

/// SHA-256 in lowercase hex, as the manifest and plans record it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
