//! Evidence from CloudTrail log files on disk, laid out as CloudTrail delivers them to S3.
//!
//! Files are found first, then read in parallel, each thread folding events into its own
//! small aggregate; the aggregates are merged at the end. Memory grows with the number of
//! distinct usage keys (and about 32 bytes per qualifying event, to count duplicate deliveries once),
//! not with the volume of logs.

mod records;

pub use records::RecordsError;

use super::aggregate::Aggregate;
use super::event::observe;
use super::{Evidence, Window};
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error("cannot read CloudTrail logs under {path}: {source}")]
    Walk {
        path: PathBuf,
        source: walkdir::Error,
    },
    #[error("no CloudTrail log files (*.json.gz or *.json) under {0}")]
    NoFiles(PathBuf),
    #[error("CloudTrail log file {path}: {error}\n(pass --allow-malformed-logs to skip unreadable files and list them in the manifest)")]
    Malformed { path: PathBuf, error: String },
}

/// Options for reading a log tree.
#[derive(Debug, Clone, Default)]
pub struct LogsOptions {
    /// Skip files that cannot be read, and list them in the manifest, instead of failing.
    pub allow_malformed: bool,
}

/// Lists the log files under `root` (or `root` itself), sorted, skipping digests and insights.
pub fn find_log_files(root: &Path) -> Result<Vec<PathBuf>, LogsError> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root).follow_links(true).into_iter();
    for entry in walker.filter_entry(|e| !is_skipped_dir(e.file_name())) {
        let entry = entry.map_err(|source| LogsError::Walk {
            path: root.to_owned(),
            source,
        })?;
        if entry.file_type().is_file() && is_log_file_name(entry.file_name()) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(LogsError::NoFiles(root.to_owned()));
    }
    Ok(files)
}

fn is_skipped_dir(name: &std::ffi::OsStr) -> bool {
    name == "CloudTrail-Digest" || name == "CloudTrail-Insight"
}

fn is_log_file_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.ends_with(".json.gz") || name.ends_with(".json")
}

/// Reads every file and aggregates the evidence inside `window`.
/// `on_file_done` is called once per file, from any thread (for progress).
pub fn read_logs(
    root: &Path,
    files: &[PathBuf],
    window: &Window,
    options: &LogsOptions,
    on_file_done: &(dyn Fn() + Sync),
) -> Result<Evidence, LogsError> {
    let partial = files
        .par_iter()
        .map(|path| {
            let result = read_file(path, window);
            on_file_done();
            match result {
                Ok(part) => Ok(part),
                Err(error) if options.allow_malformed => Ok(Aggregate::skipped(path, error)),
                Err(error) => Err(LogsError::Malformed {
                    path: path.clone(),
                    error,
                }),
            }
        })
        .try_reduce(Aggregate::default, |a, b| Ok(a.merge(b)))?;
    Ok(partial.into_evidence("cloudtrail-logs", &root.display().to_string()))
}

fn read_file(path: &Path, window: &Window) -> Result<Aggregate, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            128 * 1024,
            file,
        )))
    } else {
        Box::new(file)
    };
    let mut part = Aggregate::default();
    let events = records::for_each_event(reader, |_, event| {
        if let Some(observation) = observe(event).map_err(|e| e.to_string())? {
            part.observe(observation, window);
        }
        Ok(())
    })
    .map_err(|e| describe_read_error(&e))?;
    part.info.files_read = 1;
    part.info.events_read = events;
    Ok(part)
}

fn describe_read_error(error: &RecordsError) -> String {
    match error {
        RecordsError::Io(e)
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::InvalidData =>
        {
            format!("not a valid gzip file ({e})")
        }
        RecordsError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            format!("the gzip stream ends early (truncated file?): {e}")
        }
        other => other.to_string(),
    }
}
