//! Writing the report: the CSV, the user summary, the changes file, the differences from the
//! previous report, the HTML view and the manifest, put in place
//! without ever leaving a partial file where a previous report was.

pub mod commit;
mod describe;
mod files;
mod html;
mod latest;
mod manifest;
mod report_csv;
pub(crate) mod s3;
pub mod target;
mod warnings;

pub use describe::{describe, directory_info};
pub use files::{
    artifact_names, manifest_path_for, render_report, write_report_files, Artifact, OutputError,
};
pub use html::render_html;
pub use manifest::{
    ChangeCounts, DiffCounts, DirectoryInfo, FileInfo, Manifest, ReportCounts, ReviewInfo,
    ToolInfo, UserCounts, Warning,
};
pub use report_csv::{
    format_opt_time, format_time, spreadsheet_safe, write_changes_csv, write_csv, write_users_csv,
    CHANGE_COLUMNS, COLUMNS, DIFF_COLUMNS, USER_COLUMNS, USER_DIFF_COLUMNS,
};
pub use warnings::{read_warnings, report_warnings, review_warnings};
