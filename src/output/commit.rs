//! Putting a report set in place as one step for its readers. Five renames cannot be one
//! atomic step, so: one writer at a time (a lock file beside the set, held for the whole run),
//! the previous set kept aside until every new file is in place and put back if a rename fails,
//! and the manifest renamed last. A reader who finds every file's SHA-256 in the manifest has a
//! complete set; a set caught mid-commit (a killed run) fails that check.

use super::files::OutputError;
use crate::store::file::{temp_path_with, WriteError};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// The exclusive hold on a report set's folder entry, released when dropped (or when the
/// process dies, so a killed run never blocks the next one).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// `.STEM.lock` beside `report`.
pub fn lock_path(report: &Path) -> PathBuf {
    let name = report
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    report.with_file_name(format!(".{stem}.lock"))
}

/// Takes the writer lock of the report set at `report`, or refuses at once if another run
/// holds it. The lock file stays (removing it would let two runs lock two different files).
pub fn lock_report_set(report: &Path) -> Result<WriterLock, OutputError> {
    let path = lock_path(report);
    let io_error = |source| {
        OutputError::from(WriteError {
            path: path.clone(),
            source,
        })
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => Ok(WriterLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(OutputError::Busy {
            report: report.to_owned(),
            lock: path,
        }),
        Err(TryLockError::Error(source)) => Err(io_error(source)),
    }
}

/// Renames each `(temporary, target)` into place in order (the manifest last). If one rename
/// fails, the targets already replaced get their previous content back (or are removed if
/// they did not exist), so the folder keeps the whole previous set.
pub(crate) fn commit(pairs: &[(PathBuf, PathBuf)]) -> Result<(), OutputError> {
    let mut kept = Vec::with_capacity(pairs.len());
    for (_, target) in pairs {
        match keep_previous(target) {
            Ok(previous) => kept.push(previous),
            Err(error) => {
                discard(&kept);
                return Err(error);
            }
        }
    }
    for (done, (temporary, target)) in pairs.iter().enumerate() {
        if let Err(source) = std::fs::rename(temporary, target) {
            restore(&pairs[..done], &kept[..done]);
            discard(&kept);
            return Err(WriteError {
                path: target.clone(),
                source,
            }
            .into());
        }
    }
    discard(&kept);
    Ok(())
}

/// A hard link to `target`'s current content (`.NAME.PID.old`), if it exists.
fn keep_previous(target: &Path) -> Result<Option<PathBuf>, OutputError> {
    if !target.exists() {
        return Ok(None);
    }
    let kept = temp_path_with(target, "old");
    let _ = std::fs::remove_file(&kept);
    std::fs::hard_link(target, &kept)
        .or_else(|_| std::fs::copy(target, &kept).map(|_| ()))
        .map_err(|source| WriteError {
            path: kept.clone(),
            source,
        })?;
    Ok(Some(kept))
}

fn restore(replaced: &[(PathBuf, PathBuf)], kept: &[Option<PathBuf>]) {
    for ((_, target), previous) in replaced.iter().zip(kept).rev() {
        match previous {
            Some(previous) => {
                let _ = std::fs::rename(previous, target);
            }
            None => {
                let _ = std::fs::remove_file(target);
            }
        }
    }
}

fn discard(kept: &[Option<PathBuf>]) {
    for previous in kept.iter().flatten() {
        let _ = std::fs::remove_file(previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rename_puts_the_previous_set_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("a.csv"), "old a").unwrap();
        std::fs::write(path("b.csv"), "old b").unwrap();
        std::fs::write(path("c.json"), "old c").unwrap();
        let pairs: Vec<(PathBuf, PathBuf)> = ["a.csv", "b.csv", "new.html", "c.json"]
            .iter()
            .map(|name| {
                let temporary = path(&format!(".{name}.tmp"));
                std::fs::write(&temporary, format!("new {name}")).unwrap();
                (temporary, path(name))
            })
            .collect();
        // The last rename fails: its temporary file is gone.
        std::fs::remove_file(&pairs[3].0).unwrap();
        assert!(commit(&pairs).is_err());
        assert_eq!(std::fs::read_to_string(path("c.json")).unwrap(), "old c");
        assert_eq!(std::fs::read_to_string(path("a.csv")).unwrap(), "old a");
        assert_eq!(std::fs::read_to_string(path("b.csv")).unwrap(), "old b");
        assert!(
            !path("new.html").exists(),
            "a file the old set lacked is removed"
        );
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".old"))
            .collect();
        left.sort();
        assert!(left.is_empty(), "no copies left: {left:?}");
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.csv");
        let first = lock_report_set(&report).unwrap();
        let refused = lock_report_set(&report).unwrap_err().to_string();
        assert!(refused.contains("another run"), "{refused}");
        drop(first);
        lock_report_set(&report).expect("free once the first is done");
        assert_eq!(lock_path(&report), dir.path().join(".report.lock"));
    }
}
