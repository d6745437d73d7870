//! `generate`'s review flags: the previous report to compare with, the accepted exceptions,
//! and what counts as privileged.

use clap::Args;
use idc_credential_report::output::manifest_path_for;
use idc_credential_report::review::{PreviousSource, Privileged, ReviewOptions};
use idc_credential_report::store::s3::S3Target;
use idc_credential_report::store::Location;
use std::path::PathBuf;

#[derive(Args)]
#[command(next_help_heading = "Review")]
pub struct ReviewArgs {
    /// The previous report to compare with: its CSV (FILE.csv or s3://BUCKET/KEY.csv, its
    /// manifest and user summary beside it), or s3://BUCKET/PREFIX/ for the latest set there.
    /// Writes the changes to FILE.diff.csv and FILE.users.diff.csv; a report whose files do
    /// not match its manifest is refused.
    #[arg(long, value_name = "REPORT")]
    previous_report: Option<String>,

    /// Accepted exceptions, CSV (docs/review.md), FILE or s3://BUCKET/KEY: a row one
    /// matches is ACCEPTED, and plan-removal never plans it.
    #[arg(long, value_name = "FILE")]
    exceptions: Option<String>,

    /// Permission sets the HTML view's review queue counts as privileged, comma-separated,
    /// `*` for any text.
    #[arg(
        long,
        value_name = "NAMES",
        default_value = "AdministratorAccess,PowerUserAccess,IAMFullAccess,*Admin*"
    )]
    privileged_permission_sets: String,
}

impl ReviewArgs {
    pub fn options(&self) -> anyhow::Result<ReviewOptions> {
        let previous = match self.previous_report.as_deref() {
            None => None,
            Some(prefix) if prefix.starts_with("s3://") && prefix.ends_with('/') => {
                Some(PreviousSource::Latest(
                    S3Target::parse(prefix, None).map_err(flag("--previous-report"))?,
                ))
            }
            Some(report) => Some(PreviousSource::Report(
                Location::parse(report, None).map_err(flag("--previous-report"))?,
            )),
        };
        let exceptions = (self.exceptions.as_deref())
            .map(|e| Location::parse(e, None).map_err(flag("--exceptions")))
            .transpose()?;
        let privileged = Privileged::parse(&self.privileged_permission_sets)
            .map_err(flag("--privileged-permission-sets"))?;
        Ok(ReviewOptions {
            previous,
            exceptions,
            privileged,
        })
    }

    /// Local files the review reads, which the report set must not overwrite.
    pub fn local_inputs(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(report) = (self.previous_report.as_deref()).filter(|r| !r.starts_with("s3://"))
        {
            files.push(PathBuf::from(report));
            files.push(manifest_path_for(&PathBuf::from(report)));
        }
        if let Some(exceptions) = (self.exceptions.as_deref()).filter(|e| !e.starts_with("s3://")) {
            files.push(PathBuf::from(exceptions));
        }
        files
    }
}

fn flag<E: std::fmt::Display>(name: &'static str) -> impl Fn(E) -> anyhow::Error {
    move |e| anyhow::anyhow!("{name}: {e}")
}
