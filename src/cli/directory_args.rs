//! Flags that choose and pace the live directory, shared by `generate` and `snapshot`.

use clap::Args;
use idc_credential_report::aws::RetryPolicy;
use idc_credential_report::directory::aws::{AssignmentStrategy, DirectoryOptions, Rates};
use idc_credential_report::directory::checkpoint::ResumeOptions;
use idc_credential_report::store::Location;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Directory (read live from AWS when no --directory-snapshot)")]
pub struct DirectoryArgs {
    /// Identity Center instance ARN. Default: the only instance `sso-admin ListInstances` returns.
    #[arg(long, value_name = "ARN")]
    pub instance_arn: Option<String>,

    /// Identity store id (d-...). Default: the instance's.
    #[arg(long, value_name = "ID")]
    pub identity_store_id: Option<String>,

    /// How to list account assignments: `per-permission-set` (ListAccountsForProvisionedPermissionSet,
    /// then ListAccountAssignments per provisioned pair), `per-principal`
    /// (ListAccountAssignmentsForPrincipal per user and group; management account only), or
    /// `auto`, the one needing fewer calls, falling back to per-permission-set if refused.
    #[arg(long, value_name = "STRATEGY", default_value = "auto")]
    pub assignment_strategy: AssignmentStrategy,

    /// Requests per second for all sso-admin APIs together (AWS quota: 20).
    #[arg(help_heading = "Rates and retries", long, value_name = "RATE", default_value_t = Rates::default().sso_admin, value_parser = parse_rate)]
    pub sso_admin_rps: f64,

    /// Requests per second for each identitystore API (AWS quota: 20 per API).
    #[arg(help_heading = "Rates and retries", long, value_name = "RATE", default_value_t = Rates::default().identity_store, value_parser = parse_rate)]
    pub identitystore_rps: f64,

    /// Requests per second for organizations ListAccounts.
    #[arg(help_heading = "Rates and retries", long, value_name = "RATE", default_value_t = Rates::default().organizations, value_parser = parse_rate)]
    pub organizations_rps: f64,

    /// Attempts per AWS call before a throttling or server error stops the run (1 to 20).
    #[arg(help_heading = "Rates and retries", long, value_name = "N", default_value_t = RetryPolicy::default().max_attempts, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
}

impl DirectoryArgs {
    pub fn options(&self) -> anyhow::Result<DirectoryOptions> {
        Ok(DirectoryOptions {
            stats: Default::default(),
            retry: RetryPolicy {
                max_attempts: self.max_attempts,
                ..RetryPolicy::default()
            },
            instance_arn: self.instance_arn.clone(),
            identity_store_id: self.identity_store_id.clone(),
            strategy: self.assignment_strategy,
            rates: Rates {
                sso_admin: self.sso_admin_rps,
                identity_store: self.identitystore_rps,
                organizations: self.organizations_rps,
                ..Rates::default()
            },
        })
    }
}

/// A request rate: above 0 and at most 1000 per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text.parse().map_err(|e| format!("{e}"))?;
    match rate > 0.0 && rate <= 1000.0 {
        true => Ok(rate),
        false => Err(format!("{rate} is not above 0 and at most 1000")),
    }
}

/// Flags that let a live read outlast one run, shared by `generate` and `snapshot`.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Reads that outlast one run")]
pub struct ResumeArgs {
    /// Keep the read's progress here (a file, or s3://BUCKET/KEY): a run that stops at its
    /// --time-budget saves it, and the same command run again goes on from it. Removed when the
    /// read's result is written.
    #[arg(long, value_name = "FILE|s3://BUCKET/KEY")]
    pub checkpoint: Option<String>,

    /// Stop reading the directory after this many seconds (between calls), save the
    /// checkpoint and exit with code 3; needs --checkpoint.
    #[arg(long, value_name = "SECONDS", requires = "checkpoint", value_parser = clap::value_parser!(u64).range(1..))]
    pub time_budget: Option<u64>,

    /// Discard a checkpoint whose read started longer ago than this and start over
    /// (e.g. 24h, 90m, 3600s).
    #[arg(long, value_name = "AGE", default_value = "24h", value_parser = parse_age)]
    pub checkpoint_max_age: Duration,
}

impl ResumeArgs {
    /// The resume options, the budget counted from now; `None` without --checkpoint.
    pub fn options(&self, kms_key_arn: Option<String>) -> anyhow::Result<Option<ResumeOptions>> {
        let Some(checkpoint) = &self.checkpoint else {
            return Ok(None);
        };
        let location = Location::parse(checkpoint, kms_key_arn)
            .map_err(|e| anyhow::anyhow!("--checkpoint: {e}"))?;
        Ok(Some(ResumeOptions {
            location,
            deadline: self
                .time_budget
                .map(|s| tokio::time::Instant::now() + Duration::from_secs(s)),
            max_age: chrono::Duration::from_std(self.checkpoint_max_age)?,
        }))
    }
}

/// `24h`, `90m`, `3600s`, `2d`, or plain seconds.
fn parse_age(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: use a number with s, m, h or d (e.g. 24h)"
            ))
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: use a number with s, m, h or d (e.g. 24h)"))?;
    Ok(Duration::from_secs(number.saturating_mul(seconds_per)))
}
