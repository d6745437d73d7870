//! Putting the report and manifest in place: both are written to temporary files beside the
//! destination and renamed only when complete, so a failed run never leaves a partial file and
//! never destroys the previous report.

use super::report_csv::write_csv;
use super::Manifest;
use crate::report::Row;
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
    let stem = name.strip_suffix(".csv").unwrap_or(&name);
    report.with_file_name(format!("{stem}.manifest.json"))
}

/// Writes the CSV to `report` and the manifest beside it; `finish_manifest` receives the
/// report's SHA-256 before the manifest is written.
pub fn write_report_files(
    report: &Path,
    rows: &[Row],
    finish_manifest: impl FnOnce(String) -> Manifest,
) -> Result<(), OutputError> {
    let manifest_path = manifest_path_for(report);
    let csv_tmp = temp_path(report);
    let manifest_tmp = temp_path(&manifest_path);
    let result = (|| {
        let sha256 = write_file(&csv_tmp, |w| write_csv(w, rows).map_err(io::Error::other))?;
        let manifest = finish_manifest(sha256);
        write_file(&manifest_tmp, |w| write_json(w, &manifest))?;
        rename(&csv_tmp, report)?;
        rename(&manifest_tmp, &manifest_path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&csv_tmp);
        let _ = std::fs::remove_file(&manifest_tmp);
    }
    result
}

/// Writes `value` as pretty JSON to `path` through a temporary file, so that `path` holds
/// either its old content or the complete new one.
pub fn write_json_file<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    let tmp = temp_path(path);
    let result = write_file(&tmp, |w| write_json(w, value)).and_then(|_| rename(&tmp, path));
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

/// Writes a file through a hashing writer, syncs it, and returns its SHA-256 in hex.
fn write_file(
    path: &Path,
    body: impl FnOnce(&mut HashingWriter<BufWriter<File>>) -> io::Result<()>,
) -> Result<String, OutputError> {
    let io_error = |source| OutputError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::create(path).map_err(io_error)?;
    let mut writer = HashingWriter {
        inner: BufWriter::new(file),
        hasher: Sha256::new(),
    };
    body(&mut writer).map_err(io_error)?;
    writer.inner.flush().map_err(io_error)?;
    writer.inner.get_ref().sync_all().map_err(io_error)?;
    Ok(hex(&writer.hasher.finalize()))
}

/// The report and its manifest in memory (for S3): CSV bytes, and the manifest as JSON with
/// the CSV's SHA-256 filled in by `finish_manifest`.
pub fn render_report(
    rows: &[Row],
    finish_manifest: impl FnOnce(String) -> Manifest,
) -> (Vec<u8>, Vec<u8>) {
    let mut csv = Vec::new();
    write_csv(&mut csv, rows).expect("writing CSV to memory cannot fail");
    let manifest = finish_manifest(hex(&Sha256::digest(&csv)));
    let mut json = serde_json::to_vec_pretty(&manifest).expect("the manifest serializes");
    json.push(b'\n');
    (csv, json)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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
