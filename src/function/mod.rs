//! The deployed report function: settings from the environment (`crate::config`), one
//! invocation in, the report published to S3 and a summary out. The Lambda is a thin wrapper over [`run_once`]; the CLI's
//! `--output s3://...` uses [`publish_generated`].

mod steps;

pub use steps::{handle, InvocationResult};

use crate::aws::AwsSession;
use crate::config::FunctionSettings;
use crate::directory::aws::DirectoryOptions;
use crate::evidence::Window;
use crate::output::render_report;
use crate::output::s3::{publish, Published};
use crate::pipeline::{self, DirectorySource, Generated, NoProgress, ReportRequest};
use crate::store::s3::{self, S3Target};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::time::Instant;

/// What an invocation may override (the SSM document sends `lookback_days`), and, under Step
/// Functions, which step of a run it is.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Invocation {
    #[serde(default)]
    pub lookback_days: Option<u32>,
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
    /// None: the whole report in this invocation.
    #[serde(default)]
    pub step: Option<Step>,
    /// The state machine's execution name: the run's state lives under `PREFIX/state/RUN_ID/`.
    #[serde(default)]
    pub run_id: Option<String>,
}

/// The steps of a run that spans several invocations (see `terraform/`, orchestration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Read the directory for this invocation's time, then answer CONTINUE or DONE.
    ReadDirectory,
    /// Evidence, report and publish, from the directory the first step read.
    Report,
}

/// The invocation's answer: where the report is, and its counts.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedReport {
    #[serde(flatten)]
    pub published: Published,
    pub rows: usize,
    pub used: usize,
    pub unused: usize,
    pub warnings: usize,
    /// The as-of of the report the differences were taken from (the latest before this one).
    pub previous_as_of: Option<String>,
    /// Rows of the difference from that report.
    pub changes_since_previous: usize,
}

/// One report: read, join, publish. `deadline` bounds the evidence query.
pub async fn run_once(
    settings: &FunctionSettings,
    invocation: &Invocation,
    deadline: Instant,
) -> Result<PublishedReport, crate::pipeline::Error> {
    let directory = DirectorySource::Aws(fresh_directory_options(settings));
    report_from(settings, invocation, directory, deadline).await
}

/// The directory options with calls counted from zero: a warm Lambda serves many invocations.
pub(crate) fn fresh_directory_options(settings: &FunctionSettings) -> DirectoryOptions {
    DirectoryOptions {
        stats: Default::default(),
        ..settings.directory.clone()
    }
}

/// Evidence, join and publish, over the directory from `directory`.
pub(crate) async fn report_from(
    settings: &FunctionSettings,
    invocation: &Invocation,
    directory: DirectorySource,
    deadline: Instant,
) -> Result<PublishedReport, crate::pipeline::Error> {
    let lookback_days = invocation.lookback_days.unwrap_or(settings.lookback_days);
    let window = Window::new(invocation.as_of.unwrap_or_else(Utc::now), lookback_days)
        .map_err(|e| crate::aws::AwsError::Other(e.to_string()))?;
    let evidence = settings.evidence.clone().with_deadline(deadline);
    let request = ReportRequest {
        directory,
        evidence,
        window,
        inactive_days: settings.inactive_days,
        review: settings.review.clone(),
    };
    let session = AwsSession::default();
    let generated = pipeline::run_in(&request, Arc::new(NoProgress), &session).await?;
    publish_generated(&session, &settings.output, &window, generated).await
}

/// Renders a generated report and publishes it to `target`.
pub async fn publish_generated(
    session: &AwsSession,
    target: &S3Target,
    window: &Window,
    generated: Generated,
) -> Result<PublishedReport, crate::pipeline::Error> {
    let Generated {
        report,
        review,
        manifest,
    } = generated;
    let warnings = manifest.warnings.len();
    let previous_as_of = review.previous.as_ref().map(|p| p.as_of.clone());
    let changes_since_previous = review.diff.len();
    let counts = manifest.report.clone();
    let stem = target.archive_stem(window.as_of);
    let report_name = format!("{}.csv", stem.rsplit('/').next().unwrap_or_default());
    let artifacts = render_report(&report, &review, manifest, &report_name);
    let client = s3::client(session.config().await);
    let published = publish(&client, target, window.as_of, &artifacts).await?;
    Ok(PublishedReport {
        published,
        rows: counts.rows,
        used: counts.used,
        unused: counts.unused,
        warnings,
        previous_as_of,
        changes_since_previous,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_overrides_lookback_and_as_of() {
        let i: Invocation =
            serde_json::from_str(r#"{"lookback_days": 30, "as_of": "2026-11-22T00:00:00Z"}"#)
                .unwrap();
        assert_eq!(i.lookback_days, Some(30));
        let scheduled: Invocation = serde_json::from_str(r#"{"source": "schedule"}"#).unwrap();
        assert_eq!(scheduled.lookback_days, None);
    }
}
