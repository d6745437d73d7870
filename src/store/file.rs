//! Files replaced whole: written to a temporary file beside the destination (mode 0600,
//! synced) and renamed into place, so a reader sees the old content or the complete new one,
//! never a part; temporary files that killed runs left behind are swept first.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Writes `value` as pretty JSON to `path` through a temporary file, so that `path` holds
/// either its old content or the complete new one.
pub fn write_json_file<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), WriteError> {
    let mut body = Vec::new();
    write_json(&mut body, value).map_err(|source| WriteError {
        path: path.to_owned(),
        source,
    })?;
    write_bytes_file(path, &body)
}

/// Writes `body` to `path` through a temporary file, so that `path` holds either its old
/// content or the complete new one.
pub fn write_bytes_file(path: &Path, body: &[u8]) -> Result<(), WriteError> {
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
pub(crate) fn temp_path(path: &Path) -> PathBuf {
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
pub(crate) fn sweep_stale_temps(path: &Path) {
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

fn rename(from: &Path, to: &Path) -> Result<(), WriteError> {
    std::fs::rename(from, to).map_err(|source| WriteError {
        path: to.to_owned(),
        source,
    })
}

/// Writes a new file, readable by its owner only (it holds names and e-mail addresses), and
/// syncs it to disk.
pub(crate) fn write_file(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), WriteError> {
    let io_error = |source| WriteError {
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
}
