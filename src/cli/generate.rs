//! `generate`: the report and its manifest.

use crate::directory_args::{DirectoryArgs, ResumeArgs};
use crate::progress::{CallTicker, TerminalProgress};
use crate::review_args::ReviewArgs;
use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use idc_credential_report::aws::AwsSession;
use idc_credential_report::config::{EvidenceArgs, SOURCE_FLAGS};
use idc_credential_report::evidence::EvidenceSource;
use idc_credential_report::evidence::{parse_as_of, Window};
use idc_credential_report::function::publish_generated;
use idc_credential_report::output::commit::{lock_report_set, WriterLock};
use idc_credential_report::output::target::{check_local_output, Inputs};
use idc_credential_report::output::{artifact_names, render_report, write_csv, write_report_files};
use idc_credential_report::pipeline::{self, DirectorySource, Generated, ReportRequest};
use idc_credential_report::store::s3::S3Target;
use idc_credential_report::store::Location;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args)]
#[command(
    group(clap::ArgGroup::new("evidence_source").required(true).multiple(false).args(SOURCE_FLAGS)),
    after_help = EXAMPLES
)]
pub struct GenerateArgs {
    /// Directory snapshot (who holds what), JSON as documented in docs/snapshot-format.md.
    /// Without it, the directory is read live from AWS (see the directory flags).
    #[arg(long, value_name = "FILE")]
    directory_snapshot: Option<PathBuf>,

    #[command(flatten)]
    directory: DirectoryArgs,

    #[command(flatten)]
    resume: ResumeArgs,

    #[command(flatten)]
    evidence: EvidenceArgs,

    /// End of the evidence window, RFC 3339 (2026-11-22T00:00:00Z) or a date (2026-11-22,
    /// its midnight UTC); not in the future. Default: now.
    #[arg(help_heading = "Window", long, value_name = "TIME", value_parser = parse_as_of)]
    as_of: Option<DateTime<Utc>>,

    /// Length of the evidence window in days, 1 to 3653.
    #[arg(help_heading = "Window", long, value_name = "DAYS", default_value_t = 90, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..=3653))]
    lookback_days: u32,

    /// In the user summary, users not seen for this many days are INACTIVE (PCI DSS 8.2.6: 90).
    #[arg(help_heading = "Window", long, value_name = "DAYS", default_value_t = 90, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..=3653))]
    inactive_days: u32,

    /// Skip log files that are not valid gzip/JSON (they are listed in the manifest's warnings)
    /// instead of stopping.
    #[arg(
        help_heading = "Evidence (exactly one source: logs, Lake, Athena, CloudWatch Logs or event history)",
        long
    )]
    allow_malformed_logs: bool,

    /// Where to write the report set: FILE.csv and, beside it, FILE.users.csv, FILE.html,
    /// FILE.changes.csv and FILE.manifest.json. `-` writes the CSV alone to standard output.
    /// `s3://BUCKET/PREFIX/` writes the set under a dated archive key (never overwritten), copies
    /// it to PREFIX/latest/ and points PREFIX/latest.json to it.
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    output: PathBuf,

    /// KMS key for SSE-KMS of the objects written to S3.
    #[arg(help_heading = "Output", long, value_name = "ARN")]
    kms_key_arn: Option<String>,

    #[command(flatten)]
    review: ReviewArgs,
}

const EXAMPLES: &str = "Examples:
  # Offline, from the bundled example:
  idc-credential-report generate --directory-snapshot examples/small/snapshot.json \\
      --cloudtrail-logs examples/small/logs --as-of 2026-11-22 --output report.csv
  # Live directory, evidence from a Control Tower organization's CloudWatch Logs:
  idc-credential-report generate --cloudwatch-log-group aws-controltower/CloudTrailLogs \\
      --output report.csv
  # A periodic review: what changed since the last report, and the accepted exceptions:
  idc-credential-report generate --directory-snapshot snapshot.json --cloudtrail-logs logs \\
      --previous-report reviews/2026-10/report.csv --exceptions exceptions.csv \\
      --output reviews/2026-11/report.csv
  # Live directory, evidence from CloudTrail event history (last 90 days), into S3:
  idc-credential-report generate --cloudtrail-lookup --output s3://security-bucket/idc/

Exit codes: 0 done, 1 the run failed, 2 wrong flags, 3 a budgeted read stopped (run it again).";

impl GenerateArgs {
    fn request(&self) -> anyhow::Result<ReportRequest> {
        let window = Window::new(self.as_of.unwrap_or_else(Utc::now), self.lookback_days)?;
        let resume = self.resume.options(self.kms_key_arn.clone())?;
        let directory = match (&self.directory_snapshot, resume) {
            (Some(_), Some(_)) => {
                anyhow::bail!("--checkpoint resumes a live directory read: drop --directory-snapshot, or --checkpoint")
            }
            (Some(path), None) => DirectorySource::SnapshotFile(path.clone()),
            (None, Some(resume)) => {
                DirectorySource::AwsResumable(self.directory.options()?, resume)
            }
            (None, None) => DirectorySource::Aws(self.directory.options()?),
        };
        Ok(ReportRequest {
            directory,
            // The flag names the problem; "configuration:" is for the function's logs.
            evidence: (self.evidence.source(self.allow_malformed_logs))
                .map_err(|e| anyhow::anyhow!(e.0))?,
            window,
            inactive_days: self.inactive_days,
            review: self.review.options()?,
        })
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        let request = self.request()?;
        let s3_target = self.s3_target()?;
        // One writer per report set, from the checks to the last rename.
        let _writer = match s3_target.is_none() && self.output.as_os_str() != "-" {
            true => Some(self.check_local_output(&request)?),
            false => None,
        };
        let session = AwsSession::default();
        let ticker = match &request.directory {
            DirectorySource::Aws(options) | DirectorySource::AwsResumable(options, _) => {
                Some(CallTicker::start(options.stats.clone()))
            }
            DirectorySource::SnapshotFile(_) | DirectorySource::Read { .. } => None,
        };
        let generated =
            pipeline::run_in(&request, Arc::new(TerminalProgress::new()), &session).await?;
        drop(ticker);
        for warning in &generated.manifest.warnings {
            eprintln!("warning: {}", warning.message);
        }
        let counts = generated.manifest.report.clone();
        match s3_target {
            Some(target) => {
                let response =
                    publish_generated(&session, &target, &request.window, generated).await?;
                eprintln!(
                    "{} (copied to {})",
                    response.published.report_s3_uri, response.published.latest_s3_uri
                );
            }
            None => self.write(generated)?,
        }
        if let DirectorySource::AwsResumable(_, resume) = &request.directory {
            pipeline::remove_checkpoint(&session, resume).await?;
        }
        eprintln!(
            "{}: {} rows, {} used, {} unused, {} new (access that began inside the window), in {:.1} s",
            self.output.display(),
            counts.rows,
            counts.used,
            counts.unused,
            counts.new,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    fn s3_target(&self) -> anyhow::Result<Option<S3Target>> {
        let output = self.output.to_string_lossy();
        if !output.starts_with("s3://") {
            anyhow::ensure!(
                self.kms_key_arn.is_none(),
                "--kms-key-arn applies only to an s3:// --output"
            );
            return Ok(None);
        }
        Ok(Some(S3Target::parse(&output, self.kms_key_arn.clone())?))
    }

    /// Refuses, before any work, an --output that would replace an input, a device or a
    /// folder, or that the next run would read as evidence, or that another run is writing;
    /// returns the writer lock.
    fn check_local_output(&self, request: &ReportRequest) -> anyhow::Result<WriterLock> {
        let mut inputs = Inputs::default();
        match &request.directory {
            DirectorySource::SnapshotFile(path) => inputs.files.push(path.clone()),
            DirectorySource::AwsResumable(_, resume) => {
                if let Location::File(path) = &resume.location {
                    inputs.files.push(path.clone());
                }
            }
            DirectorySource::Aws(_) | DirectorySource::Read { .. } => {}
        }
        inputs.files.extend(self.review.local_inputs());
        if let EvidenceSource::CloudTrailLogs { root, .. } = &request.evidence {
            inputs.evidence_folder = Some(root.clone());
        }
        let name = self
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        check_local_output(&self.output, &artifact_names(&name), &inputs)?;
        Ok(lock_report_set(&self.output)?)
    }

    fn write(&self, generated: Generated) -> anyhow::Result<()> {
        let Generated {
            report,
            review,
            manifest,
        } = generated;
        if self.output.as_os_str() == "-" {
            let stdout = std::io::stdout().lock();
            return write_csv(stdout, &report.rows)
                .context("cannot write the report to standard output");
        }
        let name = self
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| format!("--output {} names no file", self.output.display()))?;
        write_report_files(
            &self.output,
            &render_report(&report, &review, manifest, &name),
        )?;
        Ok(())
    }
}
