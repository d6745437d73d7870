//! Where a local report set may be written, decided before any work: an output that would
//! replace an input, a device or a folder, or that the next run would read as evidence, is
//! refused with what to do, so that a long run never ends in a write that destroys something.

use std::path::{Path, PathBuf};

/// The local files and folders a run reads, which its outputs must never replace.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The snapshot and checkpoint files.
    pub files: Vec<PathBuf>,
    /// The folder of log files read as evidence.
    pub evidence_folder: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("--output {0} names a folder: give a file in it, such as {0}/report.csv")]
    Folder(String),
    #[error("--output {output}: the folder {folder} does not exist; create it (mkdir -p {folder}) or choose another --output")]
    MissingFolder { output: String, folder: String },
    #[error("--output {output} would replace {path}, which is not a regular file (a device, FIFO, socket or folder): choose another --output")]
    NotRegular { output: String, path: String },
    #[error(
        "--output {output} would replace {path}, an input of this run: choose another --output"
    )]
    Input { output: String, path: String },
    #[error("--output {output}: the report set's file {name} would be {length} bytes long, over the {NAME_MAX} a file name may have: choose a report name of at most {most} bytes")]
    NameTooLong {
        output: String,
        name: String,
        length: usize,
        most: usize,
    },
    #[error("--output {output} writes {path} inside the evidence folder {folder}, whose files the next run would read as logs: write the report elsewhere")]
    InsideEvidence {
        output: String,
        path: String,
        folder: String,
    },
}

/// The longest file name Linux, macOS and Windows file systems take, in bytes.
const NAME_MAX: usize = 255;

/// Every file of the set must have a name the file system takes: the longest suffix decides.
fn check_name_lengths(report: &Path, names: &[String]) -> Result<(), TargetError> {
    let report_length = report.file_name().map_or(0, |n| n.len());
    let Some(longest) = names.iter().max_by_key(|n| n.len()) else {
        return Ok(());
    };
    if longest.len() <= NAME_MAX {
        return Ok(());
    }
    Err(TargetError::NameTooLong {
        output: report.display().to_string(),
        name: longest.clone(),
        length: longest.len(),
        most: (NAME_MAX + report_length).saturating_sub(longest.len()),
    })
}

/// Checks the files a report set at `report` would write (`names`, beside it) against the
/// run's `inputs`.
pub fn check_local_output(
    report: &Path,
    names: &[String],
    inputs: &Inputs,
) -> Result<(), TargetError> {
    let output = report.display().to_string();
    if output.ends_with('/') || report.is_dir() || report.file_name().is_none() {
        return Err(TargetError::Folder(output.trim_end_matches('/').to_owned()));
    }
    let folder = match report.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let real_folder = std::fs::canonicalize(&folder)
        .ok()
        .filter(|f| f.is_dir())
        .ok_or_else(|| TargetError::MissingFolder {
            output: output.clone(),
            folder: folder.display().to_string(),
        })?;
    let input_files: Vec<PathBuf> = inputs.files.iter().filter_map(|f| real(f)).collect();
    let evidence = inputs.evidence_folder.as_deref().and_then(real);
    check_name_lengths(report, names)?;
    for name in names {
        let path = folder.join(name);
        let real_path = real(&path).unwrap_or_else(|| real_folder.join(name));
        let shown = path.display().to_string();
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(TargetError::NotRegular {
                output,
                path: shown,
            });
        }
        if input_files.contains(&real_path) {
            return Err(TargetError::Input {
                output,
                path: shown,
            });
        }
        if let Some(evidence) = &evidence {
            if real_path.starts_with(evidence) {
                return Err(TargetError::InsideEvidence {
                    output,
                    path: shown,
                    folder: evidence.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// The path with links resolved: its own when it exists, else its folder's (a checkpoint a
/// run has yet to write is an input all the same).
fn real(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok().or_else(|| {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(folder).ok()?.join(path.file_name()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["report.csv".into(), "report.manifest.json".into()]
    }

    #[test]
    fn a_plain_new_file_in_an_existing_folder_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.csv");
        assert!(check_local_output(&report, &names(), &Inputs::default()).is_ok());
    }

    #[test]
    fn folders_missing_folders_inputs_and_evidence_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let snapshot = dir.path().join("snapshot.json");
        std::fs::write(&snapshot, "{}").unwrap();
        let inputs = Inputs {
            files: vec![snapshot.clone()],
            evidence_folder: Some(logs.clone()),
        };
        let check = |report: PathBuf, names: Vec<String>| {
            check_local_output(&report, &names, &inputs)
                .unwrap_err()
                .to_string()
        };
        let with_slash = PathBuf::from(format!("{}/", logs.display()));
        assert!(check(with_slash, names()).contains("names a folder"));
        assert!(check(logs.clone(), names()).contains("names a folder"));
        let missing = dir.path().join("missing/report.csv");
        assert!(check(missing, names()).contains("does not exist"));
        let same = vec!["snapshot.json".to_owned()];
        assert!(check(snapshot.clone(), same).contains("an input of this run"));
        let inside = logs.join("sub/../report.json");
        std::fs::create_dir(logs.join("sub")).unwrap();
        assert!(check(inside, vec!["report.json".into()]).contains("inside the evidence folder"));
        std::fs::create_dir(dir.path().join("report.manifest.json")).unwrap();
        let blocked = check(dir.path().join("report.csv"), names());
        assert!(blocked.contains("not a regular file"), "{blocked}");
    }
}
