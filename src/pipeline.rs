//! One report run, start to finish: the same steps for the CLI and the Lambda.

use crate::aws::{AwsError, AwsSession, Caller};
use crate::directory::aws::{read_directory, DirectoryOptions, DirectoryReadInfo};
use crate::directory::checkpoint::{read_directory_resumable, ResumeError, ResumeOptions};
use crate::directory::{load_snapshot, Snapshot, SnapshotError};
use crate::evidence::athena::{read_athena, AthenaError};
use crate::evidence::cloudwatch::{read_cloudwatch, CloudWatchError};
use crate::evidence::lake::{read_lake, LakeError};
use crate::evidence::logs::{find_log_files, read_logs, LogsError};
use crate::evidence::lookup::{read_lookup, LookupError};
use crate::evidence::{Evidence, EvidenceSource, Window};
use crate::output::{
    describe, directory_info, report_warnings, review_warnings, DirectoryInfo, Manifest,
    OutputError,
};
use crate::report::{build_report, Report};
use crate::review::{self, Review, ReviewError, ReviewInputs, ReviewOptions};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Logs(#[from] LogsError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Athena(#[from] AthenaError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    CloudWatch(#[from] CloudWatchError),
    #[error(transparent)]
    Resume(#[from] ResumeError),
    #[error(transparent)]
    Review(#[from] ReviewError),
}

impl Error {
    /// The directory read stopped at its time budget and saved a checkpoint to go on from.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Error::Resume(ResumeError::Incomplete { .. }))
    }
}

/// Where the directory comes from.
#[derive(Debug, Clone)]
pub enum DirectorySource {
    SnapshotFile(PathBuf),
    Aws(DirectoryOptions),
    /// Read live, going on from a checkpoint and stopping at a deadline.
    AwsResumable(DirectoryOptions, ResumeOptions),
    /// Read live earlier (by another run), kept at `location`.
    Read {
        snapshot: Box<Snapshot>,
        read: DirectoryReadInfo,
        location: String,
    },
}

/// A validated request for one report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub directory: DirectorySource,
    pub evidence: EvidenceSource,
    pub window: Window,
    /// Users not seen for this many days are inactive in the user summary.
    pub inactive_days: u32,
    /// The previous report to compare with, the exceptions, what counts as privileged.
    pub review: ReviewOptions,
}

/// Hooks for showing progress; all optional.
pub trait Progress: Send + Sync {
    fn files_found(&self, _count: u64) {}
    fn file_done(&self) {}
    fn finished(&self) {}
    /// Something the user should know that is not a warning about the report.
    fn notice(&self, message: &str) {
        tracing::warn!(message);
    }
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// A finished report, its review and its manifest (whose files' names and SHA-256 the writer
/// fills).
pub struct Generated {
    pub report: Report,
    pub review: Review,
    pub manifest: Manifest,
}

pub async fn run(request: &ReportRequest, progress: Arc<dyn Progress>) -> Result<Generated, Error> {
    run_in(request, progress, &AwsSession::default()).await
}

/// [`run`] with a given AWS session, so that the caller can publish with the same configuration.
pub async fn run_in(
    request: &ReportRequest,
    progress: Arc<dyn Progress>,
    session: &AwsSession,
) -> Result<Generated, Error> {
    run_with(request, &request.evidence, progress, session).await
}

/// Where a run's evidence comes from: an [`EvidenceSource`], or, in a test, a fake.
pub trait EvidenceReader: Sync {
    /// The evidence in `window`, for an instance enabled in `regions`.
    fn read(
        &self,
        regions: &[String],
        window: &Window,
        progress: Arc<dyn Progress>,
        session: &AwsSession,
    ) -> impl std::future::Future<Output = Result<Evidence, Error>>;
}

impl EvidenceReader for EvidenceSource {
    async fn read(
        &self,
        regions: &[String],
        window: &Window,
        progress: Arc<dyn Progress>,
        session: &AwsSession,
    ) -> Result<Evidence, Error> {
        load_evidence(&self.in_regions(regions), window, progress, session).await
    }
}

/// [`run_in`] with the evidence from `reader` instead of the request's source.
pub async fn run_with(
    request: &ReportRequest,
    reader: &impl EvidenceReader,
    progress: Arc<dyn Progress>,
    session: &AwsSession,
) -> Result<Generated, Error> {
    // The review's inputs first: a refused previous report should not cost an evidence query.
    let as_of = request.window.end_secs();
    let review_inputs = review::load(&request.review, as_of, session).await?;
    let (snapshot, directory_info) =
        load_directory(&request.directory, session, progress.as_ref()).await?;
    let regions = snapshot.region_names();
    let evidence = reader
        .read(&regions, &request.window, progress, session)
        .await?;
    let joined = Joined {
        snapshot: &snapshot,
        directory: directory_info,
        evidence,
    };
    assemble(joined, request, review_inputs)
}

/// What a run read: the directory, where it came from, and the evidence.
pub struct Joined<'a> {
    pub snapshot: &'a Snapshot,
    pub directory: DirectoryInfo,
    pub evidence: Evidence,
}

/// Reads the live directory, for the `snapshot` command and the Lambda's first step; with
/// `resume`, from and to a checkpoint (remove it with [`remove_checkpoint`] once the result is
/// written).
pub async fn read_live_directory(
    session: &AwsSession,
    options: &DirectoryOptions,
    resume: Option<&ResumeOptions>,
    progress: &dyn Progress,
) -> Result<(Snapshot, DirectoryReadInfo), Error> {
    let config = session.config().await;
    match resume {
        None => Ok(read_directory(config, options).await?),
        Some(resume) => {
            let notice = |message: &str| progress.notice(message);
            Ok(read_directory_resumable(config, options, resume, &notice).await?)
        }
    }
}

/// Removes a finished read's checkpoint.
pub async fn remove_checkpoint(session: &AwsSession, resume: &ResumeOptions) -> Result<(), Error> {
    resume
        .location
        .remove(session.config().await)
        .await
        .map_err(|e| Error::Resume(e.into()))
}

async fn load_directory(
    source: &DirectorySource,
    session: &AwsSession,
    progress: &dyn Progress,
) -> Result<(Snapshot, DirectoryInfo), Error> {
    match source {
        DirectorySource::SnapshotFile(path) => {
            let snapshot = load_snapshot(path)?;
            let info = directory_info(
                &snapshot,
                "snapshot-file",
                &path.display().to_string(),
                snapshot.read.clone(),
            );
            Ok((snapshot, info))
        }
        DirectorySource::Aws(options) => {
            let (snapshot, read) = read_directory(session.config().await, options).await?;
            let info = directory_info(&snapshot, "aws", &snapshot.instance_arn, Some(read));
            Ok((snapshot, info))
        }
        DirectorySource::AwsResumable(options, resume) => {
            let (snapshot, read) =
                read_live_directory(session, options, Some(resume), progress).await?;
            let info = directory_info(&snapshot, "aws", &snapshot.instance_arn, Some(read));
            Ok((snapshot, info))
        }
        DirectorySource::Read {
            snapshot,
            read,
            location,
        } => {
            let info = directory_info(snapshot, "aws", location, Some(read.clone()));
            Ok((*snapshot.clone(), info))
        }
    }
}

async fn load_evidence(
    source: &EvidenceSource,
    window: &Window,
    progress: Arc<dyn Progress>,
    session: &AwsSession,
) -> Result<Evidence, Error> {
    match source {
        EvidenceSource::CloudTrailLake(options) => {
            Ok(read_lake(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudTrailLookup(options) => {
            Ok(read_lookup(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::Athena(options) => {
            Ok(read_athena(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudWatchLogs(options) => {
            let config = session.config().await;
            Ok(read_cloudwatch(config, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudTrailLogs { root, options } => {
            let (root, options, window) = (root.clone(), options.clone(), *window);
            // CPU-bound and parallel on its own: keep it off the async workers.
            let evidence = tokio::task::spawn_blocking(move || {
                let files = find_log_files(&root)?;
                progress.files_found(files.len() as u64);
                let evidence =
                    read_logs(&root, &files, &window, &options, &|| progress.file_done());
                progress.finished();
                evidence
            })
            .await
            .expect("the log reader does not panic")?;
            Ok(evidence)
        }
    }
}

/// Joins directory and evidence, reviews the result, and describes both.
pub fn assemble(
    joined: Joined<'_>,
    request: &ReportRequest,
    review_inputs: ReviewInputs,
) -> Result<Generated, Error> {
    let Joined {
        snapshot,
        directory,
        evidence,
    } = joined;
    let (window, inactive_days) = (&request.window, request.inactive_days);
    let mut report = build_report(snapshot, &evidence, window, inactive_days);
    let review = review::review(
        &mut report,
        review_inputs,
        window.end_secs(),
        &snapshot.instance_arn,
        &request.review.privileged,
    )?;
    let mut warnings = report_warnings(snapshot, &directory, &evidence, &report);
    warnings.extend(review_warnings(&review));
    let manifest = describe(
        &report,
        &review,
        directory,
        evidence.source,
        warnings,
        window,
        inactive_days,
    );
    Ok(Generated {
        report,
        review,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::logs::LogsOptions;
    use crate::evidence::{UsageKey, UseKind, UserRef};
    use crate::report::UsageStatus;

    /// Evidence handed over whole: aidan used his sandbox assignment by console.
    struct Fake;

    impl EvidenceReader for Fake {
        async fn read(
            &self,
            _regions: &[String],
            window: &Window,
            _progress: Arc<dyn Progress>,
            _session: &AwsSession,
        ) -> Result<Evidence, Error> {
            let mut evidence = Evidence::default();
            evidence.source.kind = "fake".into();
            evidence.source.evidence_events = 1;
            let key = UsageKey {
                user: UserRef {
                    user_name: Some("aidan".into()),
                    ..UserRef::default()
                },
                kind: UseKind::Console,
                account_id: "950363612855".into(),
                role_name: "AdministratorAccess".into(),
            };
            evidence.record(key, window.end_secs() - 86_400);
            Ok(evidence)
        }
    }

    #[tokio::test]
    async fn any_reader_gives_the_join_and_its_warnings() {
        let snapshot = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/published-snapshot.json"
        );
        let request = ReportRequest {
            directory: DirectorySource::SnapshotFile(snapshot.into()),
            evidence: EvidenceSource::CloudTrailLogs {
                root: "never-read".into(),
                options: LogsOptions::default(),
            },
            window: Window::new("2026-11-22T00:00:00Z".parse().unwrap(), 90).unwrap(),
            inactive_days: 90,
            review: ReviewOptions::default(),
        };
        let session = AwsSession::default();
        let generated = run_with(&request, &Fake, Arc::new(NoProgress), &session)
            .await
            .unwrap();
        let used: Vec<_> = (generated.report.rows.iter())
            .filter(|r| r.usage_status() == UsageStatus::Used)
            .map(|r| (r.user_name.as_str(), r.account_id.as_str()))
            .collect();
        assert!(used.contains(&("aidan", "950363612855")), "{used:?}");
        assert_eq!(generated.manifest.evidence.kind, "fake");
        let codes: Vec<_> = generated.manifest.warnings.iter().map(|w| w.code).collect();
        assert!(codes.contains(&"no_cli_events"), "{codes:?}");
    }
}
