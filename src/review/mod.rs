//! The review of a report: what changed since the previous report ([`diff`]), which rows an
//! accepted exception covers ([`exceptions`]), and which permission sets count as privileged
//! ([`privileged`]). Its two inputs, the previous report set and the exceptions file, are read
//! through the store; the joined report is only annotated, never re-judged: `usage_status`
//! still says what the evidence says.

pub mod diff;
pub mod exceptions;
pub mod previous;
pub mod privileged;

pub use diff::{DiffKind, DiffRow, RowState, UserDiffRow, UserState};
pub use exceptions::{Exception, ExceptionOutcome, Exceptions};
pub use privileged::Privileged;

use crate::aws::AwsSession;
use crate::report::{format_time, Report};
use crate::store::s3::S3Target;
use crate::store::{Location, StoreError};
use previous::{latest_report, read_report, ReportInput};
use serde::Serialize;

/// Where the previous report comes from.
#[derive(Debug, Clone)]
pub enum PreviousSource {
    /// A report CSV, with its manifest and user summary beside it.
    Report(Location),
    /// The set `latest.json` under a prefix points to; there must be one.
    Latest(S3Target),
    /// The same, when there is one: the function's own earlier report (none on a first run).
    LatestIfAny(S3Target),
}

/// What the review reads and how it marks the report.
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    pub previous: Option<PreviousSource>,
    pub exceptions: Option<Location>,
    pub privileged: Privileged,
}

/// The review's inputs, read and verified.
#[derive(Default)]
pub struct ReviewInputs {
    pub previous: Option<ReportInput>,
    pub exceptions: Option<Exceptions>,
}

/// The previous report a difference was taken from, pinned by SHA-256.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviousInfo {
    pub report: String,
    pub as_of: String,
    pub generated_at: String,
    pub report_sha256: String,
    pub users_sha256: String,
    pub manifest_sha256: String,
}

/// The review of one report.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub previous: Option<PreviousInfo>,
    pub diff: Vec<DiffRow>,
    pub user_diff: Vec<UserDiffRow>,
    pub exceptions: Option<ExceptionOutcome>,
    pub privileged: Privileged,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{location}: {message}")]
    Input { location: String, message: String },
    #[error("{0}")]
    Refused(String),
    #[error("the previous report cannot be compared with: {0}")]
    Previous(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the previous report (verified against its manifest) and the exceptions file, for a
/// report whose evidence ends at `as_of`.
pub async fn load(
    options: &ReviewOptions,
    as_of: i64,
    session: &AwsSession,
) -> Result<ReviewInputs, ReviewError> {
    let previous = match &options.previous {
        None => None,
        Some(PreviousSource::Report(location)) => Some(read_previous(location, session).await?),
        Some(PreviousSource::Latest(target)) => {
            let found = latest_before(target, as_of, session).await?;
            Some(found.ok_or_else(|| {
                ReviewError::Previous(format!(
                    "{} holds no report before this one (see {}): name a report CSV, or drop --previous-report",
                    target.uri(&target.prefix),
                    target.pointer_key()
                ))
            })?)
        }
        Some(PreviousSource::LatestIfAny(target)) => latest_before(target, as_of, session).await?,
    };
    let exceptions = match &options.exceptions {
        None => None,
        Some(location) => Some(Exceptions::read(location, session).await?),
    };
    Ok(ReviewInputs {
        previous,
        exceptions,
    })
}

async fn read_previous(
    location: &Location,
    session: &AwsSession,
) -> Result<ReportInput, ReviewError> {
    (read_report(location, session).await).map_err(|e| ReviewError::Previous(e.to_string()))
}

/// The latest report under `target` that ends before `as_of`. When the latest ends at `as_of`
/// (this run again, after a reply was lost), the report it was compared with, so that the run
/// gives the same files again; when it ends later (a report for an earlier time), none.
async fn latest_before(
    target: &S3Target,
    as_of: i64,
    session: &AwsSession,
) -> Result<Option<ReportInput>, ReviewError> {
    let Some(location) = latest_report(target, session).await? else {
        return Ok(None);
    };
    let latest = read_previous(&location, session).await?;
    let latest_as_of = latest.manifest.as_of.timestamp();
    if latest_as_of < as_of {
        return Ok(Some(latest));
    }
    let compared_with = (latest.manifest.review.as_ref())
        .and_then(|r| r.previous.as_ref())
        .map(|p| p.report.clone());
    match compared_with {
        Some(report) if latest_as_of == as_of => {
            let location = Location::parse(&report, None)
                .map_err(|e| ReviewError::Previous(format!("{location}: {e}")))?;
            Ok(Some(read_previous(&location, session).await?))
        }
        _ => Ok(None),
    }
}

/// Marks the rows exceptions accept and compares the report with the previous one, which must
/// be of the same instance and end before this one.
pub fn review(
    report: &mut Report,
    inputs: ReviewInputs,
    as_of: i64,
    instance_arn: &str,
    privileged: &Privileged,
) -> Result<Review, ReviewError> {
    let exceptions = (inputs.exceptions).map(|e| e.apply(&mut report.rows, as_of));
    let mut review = Review {
        exceptions,
        privileged: privileged.clone(),
        ..Review::default()
    };
    if let Some(previous) = inputs.previous {
        check_comparable(&previous, as_of, instance_arn)?;
        review.diff = diff::assignments(&previous.rows, &report.rows);
        review.user_diff = diff::users(&previous.users, &report.users);
        review.previous = Some(previous_info(&previous));
    }
    Ok(review)
}

fn check_comparable(
    previous: &ReportInput,
    as_of: i64,
    instance_arn: &str,
) -> Result<(), ReviewError> {
    let manifest = &previous.manifest;
    let refuse = |why: String| {
        Err(ReviewError::Previous(format!(
            "{}: {why}",
            previous.location
        )))
    };
    if manifest.directory.instance_arn != instance_arn {
        return refuse(format!(
            "it describes the instance {:?}, this report {instance_arn:?}",
            manifest.directory.instance_arn
        ));
    }
    if manifest.as_of.timestamp() >= as_of {
        return refuse(format!(
            "its evidence ends at {}, not before this report's ({})",
            format_time(manifest.as_of.timestamp()),
            format_time(as_of)
        ));
    }
    Ok(())
}

fn previous_info(previous: &ReportInput) -> PreviousInfo {
    let manifest = &previous.manifest;
    PreviousInfo {
        report: previous.location.to_string(),
        as_of: format_time(manifest.as_of.timestamp()),
        generated_at: format_time(manifest.generated_at.timestamp()),
        report_sha256: manifest.report.sha256.clone(),
        users_sha256: manifest.users.sha256.clone(),
        manifest_sha256: previous.manifest_sha256.clone(),
    }
}
