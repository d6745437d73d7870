//! `snapshot`: the live directory, written as a snapshot file.

use crate::directory_args::{DirectoryArgs, ResumeArgs};
use crate::progress::{CallTicker, TerminalProgress};
use clap::Args;
use idc_credential_report::aws::AwsSession;
use idc_credential_report::directory::checkpoint::ResumeOptions;
use idc_credential_report::directory::Snapshot;
use idc_credential_report::output::read_warnings;
use idc_credential_report::output::target::{check_local_output, Inputs};
use idc_credential_report::pipeline::{read_live_directory, remove_checkpoint};
use idc_credential_report::store::file::write_json_file;
use idc_credential_report::store::Location;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    directory: DirectoryArgs,

    #[command(flatten)]
    resume: ResumeArgs,

    /// Where to write the snapshot (JSON, docs/snapshot-format.md). Written whole or not at all.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,

    /// KMS key for SSE-KMS of an s3:// checkpoint (it holds the directory read so far).
    #[arg(long, value_name = "ARN")]
    kms_key_arn: Option<String>,
}

impl SnapshotArgs {
    /// Refuses, before the read, an --output that is the checkpoint, a device or a folder.
    fn check_output(&self, resume: Option<&ResumeOptions>) -> anyhow::Result<()> {
        let mut inputs = Inputs::default();
        if let Some(Location::File(path)) = resume.map(|r| &r.location) {
            inputs.files.push(path.clone());
        }
        let name = self
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        check_local_output(&self.output, &[name], &inputs)?;
        Ok(())
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        let options = self.directory.options()?;
        let to_s3 = self
            .resume
            .checkpoint
            .as_deref()
            .is_some_and(|c| c.starts_with("s3://"));
        anyhow::ensure!(
            self.kms_key_arn.is_none() || to_s3,
            "--kms-key-arn applies only to an s3:// --checkpoint (the snapshot itself is a local file)"
        );
        let resume = self.resume.options(self.kms_key_arn.clone())?;
        self.check_output(resume.as_ref())?;
        let session = AwsSession::default();
        eprintln!("reading the directory from AWS ...");
        let ticker = CallTicker::start(options.stats.clone());
        let progress = TerminalProgress::new();
        let (snapshot, read) =
            read_live_directory(&session, &options, resume.as_ref(), &progress).await?;
        drop(ticker);
        for warning in read_warnings(&read) {
            eprintln!("warning: {} ({})", warning.message, warning.code);
        }
        // The read goes with the snapshot: a report from the file warns as a live one would.
        let snapshot = Snapshot {
            read: Some(read.clone()),
            ..snapshot
        };
        write_json_file(&self.output, &snapshot)?;
        if let Some(resume) = &resume {
            remove_checkpoint(&session, resume).await?;
        }
        let calls: u64 = read.calls.values().map(|c| c.calls).sum();
        eprintln!(
            "{}: {} accounts, {} permission sets, {} users, {} groups, {} assignments ({}: {}); {} calls in {:.1} s",
            self.output.display(),
            snapshot.accounts.len(),
            snapshot.permission_sets.len(),
            snapshot.users.len(),
            snapshot.groups.len(),
            snapshot.assignments.len(),
            read.assignment_strategy_used,
            read.assignment_strategy_reason,
            calls,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
