//! The report as one self-contained HTML page.

use super::Manifest;
use crate::report::Report;

/// Renders the page: no external resources, everything inline.
pub fn render_html(report: &Report, manifest: &Manifest) -> String {
    let _ = (report, manifest);
    String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>IAM Identity Center credential report</title></head><body></body></html>\n")
}
