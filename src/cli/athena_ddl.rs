//! `athena-ddl`: prints the CREATE EXTERNAL TABLE for an organization trail.

use clap::Args;
use idc_credential_report::evidence::athena::ddl::{create_table, DdlOptions};
use idc_credential_report::evidence::athena::sql::TableRef;

#[derive(Args)]
pub struct AthenaDdlArgs {
    /// The table to create, DATABASE.TABLE.
    #[arg(
        long,
        value_name = "DB.TABLE",
        default_value = "default.idc_cloudtrail"
    )]
    table: String,

    /// The organization trail's logs: s3://BUCKET/AWSLogs/o-ORGID (or with a prefix before AWSLogs).
    #[arg(long, value_name = "S3_URI")]
    location: String,

    /// The account(s) that own the Identity Center instance (comma-separated).
    #[arg(
        long,
        value_name = "ACCOUNT_ID",
        value_delimiter = ',',
        required = true
    )]
    accounts: Vec<String>,

    /// The Identity Center Region(s) (comma-separated).
    #[arg(long, value_name = "REGION", value_delimiter = ',', required = true)]
    regions: Vec<String>,

    /// First day the projection covers, yyyy/MM/dd.
    #[arg(long, value_name = "DAY", default_value = "2024/01/01")]
    start: String,
}

impl AthenaDdlArgs {
    pub fn run(self) -> anyhow::Result<()> {
        let ddl = create_table(&DdlOptions {
            table: TableRef::parse(&self.table)?,
            location: self.location,
            accounts: self.accounts,
            regions: self.regions,
            start: self.start,
        })?;
        print!("{ddl}");
        Ok(())
    }
}
