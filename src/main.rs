//! The command-line tool: parses flags into a [`ReportRequest`], runs the library, writes files.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use idc_credential_report::evidence::logs::LogsOptions;
use idc_credential_report::evidence::Window;
use idc_credential_report::output::{write_csv, write_report_files};
use idc_credential_report::pipeline::{
    self, DirectorySource, EvidenceSource, Generated, Progress, ReportRequest,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// A credential report for AWS IAM Identity Center: every account assignment, and when its user
/// last used it, from CloudTrail evidence.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the report (CSV) and its manifest (JSON, beside it).
    Generate(GenerateArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// Directory snapshot (who holds what), JSON as documented in docs/snapshot-format.md.
    #[arg(long, value_name = "FILE")]
    directory_snapshot: PathBuf,

    /// CloudTrail log files as delivered to S3 (AWSLogs/...; *.json.gz and *.json), read recursively.
    #[arg(long, value_name = "DIR")]
    cloudtrail_logs: PathBuf,

    /// End of the evidence window, RFC 3339 (e.g. 2026-11-22T00:00:00Z). Default: now.
    #[arg(long, value_name = "TIME")]
    as_of: Option<DateTime<Utc>>,

    /// Length of the evidence window in days, 1 to 3653.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    lookback_days: u32,

    /// Skip log files that are not valid gzip/JSON (they are listed in the manifest's warnings)
    /// instead of stopping.
    #[arg(long)]
    allow_malformed_logs: bool,

    /// Where to write the CSV; the manifest goes beside it (report.csv -> report.manifest.json).
    /// `-` writes the CSV to standard output and no manifest.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

impl GenerateArgs {
    fn request(&self) -> anyhow::Result<ReportRequest> {
        let window = Window::new(self.as_of.unwrap_or_else(Utc::now), self.lookback_days)?;
        Ok(ReportRequest {
            directory: DirectorySource::SnapshotFile(self.directory_snapshot.clone()),
            evidence: EvidenceSource::CloudTrailLogs {
                root: self.cloudtrail_logs.clone(),
                options: LogsOptions {
                    allow_malformed: self.allow_malformed_logs,
                },
            },
            window,
        })
    }

    fn run(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        let request = self.request()?;
        let generated = pipeline::run(&request, &TerminalProgress::new())?;
        for warning in &generated.manifest.warnings {
            eprintln!("warning: {}", warning.message);
        }
        let counts = generated.manifest.report.clone();
        self.write(generated)?;
        eprintln!(
            "{}: {} rows, {} used, {} unused, in {:.1} s",
            self.output.display(),
            counts.rows,
            counts.used,
            counts.unused,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    fn write(&self, generated: Generated) -> anyhow::Result<()> {
        let Generated {
            report,
            mut manifest,
        } = generated;
        if self.output.as_os_str() == "-" {
            let stdout = std::io::stdout().lock();
            return write_csv(stdout, &report.rows)
                .context("cannot write the report to standard output");
        }
        manifest.report.file = self
            .output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        write_report_files(&self.output, &report.rows, |sha256| {
            manifest.report.sha256 = sha256;
            manifest
        })?;
        Ok(())
    }
}

/// A progress bar on standard error, only when it is a terminal and there is much to read.
struct TerminalProgress(Option<ProgressBar>);

impl TerminalProgress {
    fn new() -> Self {
        TerminalProgress(std::io::stderr().is_terminal().then(ProgressBar::hidden))
    }
}

impl Progress for TerminalProgress {
    fn files_found(&self, count: u64) {
        if let Some(bar) = &self.0 {
            if count >= 100 {
                bar.set_length(count);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} log files {elapsed}")
                        .expect("valid template"),
                );
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        }
    }
    fn file_done(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
    fn finished(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Generate(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
