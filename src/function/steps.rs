//! A run in steps, for directories too large to read in one Lambda invocation. The state
//! machine calls `read-directory` until it answers DONE (each call reads until its deadline
//! and saves a checkpoint), then `report`. The run's state lives under `PREFIX/state/RUN_ID/`:
//! the checkpoint while reading, then the directory read, which the report step joins with
//! the evidence.

use super::{fresh_directory_options, report_from, run_once, Invocation, PublishedReport, Step};
use crate::aws::AwsSession;
use crate::config::FunctionSettings;
use crate::directory::aws::DirectoryReadInfo;
use crate::directory::checkpoint::{ResumeError, ResumeOptions};
use crate::directory::Snapshot;
use crate::pipeline::{self, DirectorySource, Error, NoProgress};
use crate::store::{Location, StoreError, Version};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// What an invocation answers: the read step's status, or the published report.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InvocationResult {
    Read(ReadProgress),
    Report(Box<PublishedReport>),
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadProgress {
    /// `CONTINUE` (call again) or `DONE`.
    pub status: &'static str,
    /// Units of the assignment listing read so far, and of how many (when known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// Where the finished read is kept, when DONE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

/// The directory read, as the first step leaves it for the second.
#[derive(Serialize, Deserialize)]
struct DirectoryRead {
    snapshot: Snapshot,
    read: DirectoryReadInfo,
}

/// Checkpoints older than this are stale: a weekly run's steps follow each other in minutes.
const MAX_AGE_HOURS: i64 = 24;

/// Runs the step the invocation names (or the whole report, without one).
pub async fn handle(
    settings: &FunctionSettings,
    invocation: &Invocation,
    deadline: Instant,
) -> Result<InvocationResult, Error> {
    let Some(step) = invocation.step else {
        return Ok(InvocationResult::Report(Box::new(
            run_once(settings, invocation, deadline).await?,
        )));
    };
    let state = RunState::new(settings, invocation.run_id.as_deref())?;
    let session = AwsSession::default();
    match step {
        Step::ReadDirectory => Ok(InvocationResult::Read(
            state.read(settings, &session, deadline).await?,
        )),
        Step::Report => {
            let (read, location) = state.directory_read(&session).await?;
            let directory = DirectorySource::Read {
                snapshot: Box::new(read.snapshot),
                read: read.read,
                location,
            };
            let response = Box::pin(report_from(settings, invocation, directory, deadline)).await?;
            Ok(InvocationResult::Report(Box::new(response)))
        }
    }
}

/// Where one run keeps its state.
struct RunState {
    checkpoint: Location,
    directory: Location,
}

impl RunState {
    fn new(settings: &FunctionSettings, run_id: Option<&str>) -> Result<RunState, Error> {
        let run_id = run_id.ok_or_else(|| other("a step needs run_id (the execution's name)"))?;
        let valid = !run_id.is_empty()
            && run_id.len() <= 80
            && run_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !run_id.starts_with('.');
        if !valid {
            return Err(other(&format!(
                "run_id {run_id:?} must be 1 to 80 letters, digits, '-', '_' or '.'"
            )));
        }
        let target = &settings.output;
        let place = |name: &str| Location::S3 {
            bucket: target.bucket.clone(),
            key: format!("{}state/{run_id}/{name}", target.prefix),
            kms_key_arn: target.kms_key_arn.clone(),
        };
        Ok(RunState {
            checkpoint: place("directory.checkpoint.json"),
            directory: place("directory.json"),
        })
    }

    /// Reads until `deadline`; DONE once the directory is kept for the report step.
    async fn read(
        &self,
        settings: &FunctionSettings,
        session: &AwsSession,
        deadline: Instant,
    ) -> Result<ReadProgress, Error> {
        let config = session.config().await;
        let done = ReadProgress {
            status: "DONE",
            read: None,
            total: None,
            snapshot: Some(self.directory.to_string()),
        };
        // A repeated invocation (a retry after a lost answer) finds the read already done.
        if self
            .directory
            .read(config)
            .await
            .map_err(state_error)?
            .is_some()
        {
            return Ok(done);
        }
        let resume = ResumeOptions {
            location: self.checkpoint.clone(),
            deadline: Some(deadline),
            max_age: chrono::Duration::hours(MAX_AGE_HOURS),
        };
        let options = fresh_directory_options(settings);
        let result = pipeline::read_live_directory(session, &options, Some(&resume), &NoProgress);
        let (snapshot, read) = match result.await {
            Err(Error::Resume(ResumeError::Incomplete { progress })) => {
                return Ok(ReadProgress {
                    status: "CONTINUE",
                    read: Some(progress.done),
                    total: progress.total,
                    snapshot: None,
                })
            }
            other => other?,
        };
        let body =
            serde_json::to_vec(&DirectoryRead { snapshot, read }).expect("a snapshot serializes");
        self.directory
            .write(config, &body, &Version::default())
            .await
            .map_err(state_error)?;
        pipeline::remove_checkpoint(session, &resume).await?;
        Ok(done)
    }

    async fn directory_read(&self, session: &AwsSession) -> Result<(DirectoryRead, String), Error> {
        let location = self.directory.to_string();
        let body = self
            .directory
            .read(session.config().await)
            .await
            .map_err(state_error)?
            .ok_or_else(|| {
                other(&format!(
                    "{location} is missing: the read-directory step must answer DONE before the report step"
                ))
            })?
            .0;
        let read = serde_json::from_slice(&body)
            .map_err(|e| other(&format!("{location} is not a directory read: {e}")))?;
        Ok((read, location))
    }
}

fn other(message: &str) -> Error {
    Error::Aws(crate::aws::AwsError::Other(message.to_owned()))
}

fn state_error(error: StoreError) -> Error {
    Error::Resume(error.into())
}
