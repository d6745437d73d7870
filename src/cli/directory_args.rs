//! Flags that choose and pace the live directory, shared by `generate` and `snapshot`.

use clap::Args;
use idc_credential_report::aws::RetryPolicy;
use idc_credential_report::directory::aws::{AssignmentStrategy, DirectoryOptions, Rates};

#[derive(Args, Debug, Clone)]
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
    #[arg(long, value_name = "RATE", default_value_t = Rates::default().sso_admin)]
    pub sso_admin_rps: f64,

    /// Requests per second for each identitystore API (AWS quota: 20 per API).
    #[arg(long, value_name = "RATE", default_value_t = Rates::default().identity_store)]
    pub identitystore_rps: f64,

    /// Requests per second for organizations ListAccounts.
    #[arg(long, value_name = "RATE", default_value_t = Rates::default().organizations)]
    pub organizations_rps: f64,

    /// Attempts per AWS call before a throttling or server error stops the run (1 to 20).
    #[arg(long, value_name = "N", default_value_t = RetryPolicy::default().max_attempts)]
    pub max_attempts: u32,
}

impl DirectoryArgs {
    pub fn options(&self) -> anyhow::Result<DirectoryOptions> {
        for (flag, rate) in [
            ("--sso-admin-rps", self.sso_admin_rps),
            ("--identitystore-rps", self.identitystore_rps),
            ("--organizations-rps", self.organizations_rps),
        ] {
            anyhow::ensure!(
                rate > 0.0 && rate <= 1000.0,
                "{flag} must be above 0 and at most 1000, not {rate}"
            );
        }
        anyhow::ensure!(
            (1..=20).contains(&self.max_attempts),
            "--max-attempts must be between 1 and 20, not {}",
            self.max_attempts
        );
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
            },
        })
    }
}
