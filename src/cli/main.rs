//! The command-line tool: flags in, a validated request to the library, files out.
//! Everything else lives in the library, shared with the Lambda.

mod athena_ddl;
mod cloudwatch_setup;
mod directory_args;
mod generate;
mod progress;
mod removal;
mod review_args;
mod snapshot;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

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
    /// Write the report set: the report (CSV), the user summary, the access changes, the HTML
    /// view and the manifest.
    Generate(Box<generate::GenerateArgs>),
    /// Read the live directory from AWS and write it as a snapshot file.
    Snapshot(snapshot::SnapshotArgs),
    /// Print a CREATE EXTERNAL TABLE (with partition projection) for an organization trail,
    /// holding only what this report reads.
    AthenaDdl(athena_ddl::AthenaDdlArgs),
    /// Print what a CloudWatch Logs log group must hold for this report, and the AWS CLI
    /// commands that check it.
    CloudwatchSetup(cloudwatch_setup::CloudWatchSetupArgs),
    /// Plan the removal of assignments (and users) a report shows unused, for review.
    PlanRemoval(removal::PlanRemovalArgs),
    /// Apply a reviewed plan: re-check each item, delete it, record every call (dry run
    /// unless --yes).
    ApplyRemoval(removal::ApplyRemovalArgs),
    /// Print shell completions to standard output (e.g. `completions bash >
    /// /etc/bash_completion.d/idc-credential-report`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output; `make man` writes it.
    Man,
}

const BIN: &str = "idc-credential-report";

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => args.run().await,
        Command::Snapshot(args) => args.run().await,
        Command::AthenaDdl(args) => args.run(),
        Command::CloudwatchSetup(args) => args.run(),
        Command::PlanRemoval(args) => args.run().await,
        Command::ApplyRemoval(args) => args.run().await,
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, BIN, &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_incomplete(&error) => {
            eprintln!("{error}");
            ExitCode::from(INCOMPLETE)
        }
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: most of this tool's errors already end with
/// their cause, which anyhow's `{:#}` would print again.
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

/// The exit code of a read that stopped at its --time-budget and saved its checkpoint.
const INCOMPLETE: u8 = 3;

fn is_incomplete(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<idc_credential_report::pipeline::Error>()
        .is_some_and(|e| e.is_incomplete())
}

#[cfg(test)]
mod tests {
    use super::*;
    use idc_credential_report::config::SETTINGS;

    /// Every flag of `generate` is a setting the deployed function has too, or is listed as
    /// the CLI's alone with the reason (the library's test holds the variables to the list).
    #[test]
    fn every_flag_of_generate_is_a_listed_setting() {
        let command = Cli::command();
        let generate = command.find_subcommand("generate").unwrap();
        let flags: Vec<String> = generate
            .get_arguments()
            .filter_map(|a| a.get_long())
            .filter(|long| !["help", "version"].contains(long))
            .map(|long| format!("--{long}"))
            .collect();
        let listed: Vec<&str> = SETTINGS.iter().filter_map(|s| s.flag).collect();
        for flag in &flags {
            assert!(
                listed.contains(&flag.as_str()),
                "{flag} is not in config::SETTINGS"
            );
        }
        for flag in listed {
            assert!(
                flags.iter().any(|f| f == flag),
                "{flag} is listed but not a flag of generate"
            );
        }
    }
}
