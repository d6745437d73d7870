//! `cloudwatch-setup`: prints what the log groups must hold and how to check them.

use clap::Args;
use idc_credential_report::evidence::cloudwatch::setup::setup_guide;
use idc_credential_report::evidence::cloudwatch::sql::LogGroupRef;

#[derive(Args)]
pub struct CloudWatchSetupArgs {
    /// The log group(s) the trail writes to (names or ARNs, comma-separated).
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        default_value = "aws-controltower/CloudTrailLogs"
    )]
    log_group: Vec<String>,

    /// The report's window, which the log groups' retention must cover.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    lookback_days: u32,
}

impl CloudWatchSetupArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let groups = self
            .log_group
            .iter()
            .map(|g| LogGroupRef::parse(g))
            .collect::<Result<Vec<_>, _>>()?;
        print!("{}", setup_guide(&groups, self.lookback_days));
        Ok(())
    }
}
