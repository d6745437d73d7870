//! Writing the report: the CSV, its manifest, and putting them in place without ever leaving
//! a partial file where a previous report was.

mod files;
mod manifest;
mod report_csv;
pub mod s3;

pub use files::{
    manifest_path_for, render_report, write_json_file, write_report_files, OutputError,
};
pub use manifest::{DirectoryInfo, Manifest, ReportCounts, ToolInfo, Warning};
pub use report_csv::{format_time, write_csv, COLUMNS};
