//! Putting the report and manifest in place: both are written to temporary files beside the
//! destination (mode 0600) and renamed only when complete (a set of files through
//! [`super::commit`]), so a failed run never leaves a partial file and never destroys the
//! previous report; temporary files of killed runs are swept before writing.

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
    sweep_stale_temps(path);
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

/// Longest file name most file systems take (ext4, APFS, NTFS: 255 bytes).
const NAME_MAX: usize = 255;

/// `.NAME.PID.tmp` beside `path`; a name too long for that is cut and given a hash, so that
/// any name that fits the file system can be written.
fn temp_path(path: &Path) -> PathBuf {
    temp_path_with(path, "tmp")
}

/// `.NAME.PID.<extension>` beside `path` (`tmp`: a file being written; `old`: the previous
/// content, kept while a report set is committed).
pub(crate) fn temp_path_with(path: &Path, extension: &str) -> PathBuf {
    let name = format!(".{}.{}.{extension}", temp_stem(path), std::process::id());
    path.with_file_name(name)
}

fn temp_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `.` + `.` + up to 10 PID digits + `.tmp`
    let room = NAME_MAX - 16;
    if name.len() <= room {
        return name;
    }
    let mut cut = room - 17;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{}", &name[..cut], &sha256_hex(name.as_bytes())[..16])
}

/// Removes the temporary files of `path` that runs which no longer exist left behind (a
/// killed run leaves its `.NAME.PID.tmp`, which may hold names and e-mail addresses).
/// Without `/proc` no process can be checked, and nothing is removed.
fn sweep_stale_temps(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{}.", temp_stem(path));
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp").or(rest.strip_suffix(".old")))
            .and_then(|pid| pid.parse::<u32>().ok());
        let stale = pid.is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), OutputError> {
    std::fs::rename(from, to).map_err(|source| OutputError::Io {
        path: to.to_owned(),
        source,
    })
}

/// Writes a new file, readable by its owner only (it holds names and e-mail addresses), and
/// syncs it to disk.
fn write_file(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), OutputError> {
    let io_error = |source| OutputError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(io_error)?;
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
    fn a_long_name_gets_a_temporary_name_that_fits() {
        let long = "r".repeat(245) + ".csv";
        let tmp = temp_path(&Path::new("out").join(&long));
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.len() <= NAME_MAX, "{} bytes", name.len());
        let short = temp_path(Path::new("out/report.csv"));
        let expected = format!(".report.csv.{}.tmp", std::process::id());
        assert_eq!(short.file_name().unwrap().to_string_lossy(), expected);
    }

    #[test]
    fn stale_temporary_files_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.csv");
        let dead = dir.path().join(".report.csv.99999999.tmp");
        let live = dir.path().join(".report.csv.1.tmp");
        let other = dir.path().join(".other.csv.99999999.tmp");
        for path in [&dead, &live, &other] {
            std::fs::write(path, "x").unwrap();
        }
        write_bytes_file(&report, b"new").unwrap();
        assert!(!dead.exists(), "a dead run's file is swept");
        assert!(live.exists(), "a live process's (PID 1) is kept");
        assert!(other.exists(), "another target's file is left alone");
        assert_eq!(std::fs::read(&report).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&report).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

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
