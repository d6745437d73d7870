//! Settings, once for both entry points: the CLI's flags and the deployed function's `IDC_*`
//! variables fill the same [`EvidenceConfig`], and one validation turns it into the evidence
//! source, with errors that name the setting as its user wrote it (`--athena-region` or
//! `IDC_ATHENA_REGIONS`). [`SETTINGS`] lists every setting under both names, or says why only
//! one entry point has it; a test holds `generate`'s flags and the function's variables to it.

mod env;
mod evidence;
mod flags;
mod function;

pub use env::Env;
pub use evidence::{EvidenceConfig, SourceKind};
pub use flags::{EvidenceArgs, SOURCE_FLAGS};
pub use function::FunctionSettings;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(pub String);

/// Which entry point the settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `generate`'s command-line flags.
    Flags,
    /// The deployed function's environment.
    Environment,
}

/// One setting: its flag of `generate` and its variable of the deployed function, or, where
/// only one entry point has it, why.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub flag: Option<&'static str>,
    pub variable: Option<&'static str>,
    pub only_one_because: &'static str,
}

impl Setting {
    const fn both(flag: &'static str, variable: &'static str) -> Setting {
        Setting {
            flag: Some(flag),
            variable: Some(variable),
            only_one_because: "",
        }
    }

    const fn flag_only(flag: &'static str, because: &'static str) -> Setting {
        Setting {
            flag: Some(flag),
            variable: None,
            only_one_because: because,
        }
    }

    const fn variable_only(variable: &'static str, because: &'static str) -> Setting {
        Setting {
            flag: None,
            variable: Some(variable),
            only_one_because: because,
        }
    }

    /// The name its user wrote.
    pub fn name(&self, entry: Entry) -> &'static str {
        match entry {
            Entry::Flags => self.flag,
            Entry::Environment => self.variable,
        }
        .unwrap_or("?")
    }
}

pub(crate) const CLOUDTRAIL_LOGS: Setting =
    Setting::flag_only("--cloudtrail-logs", "the function reads no local files");
pub(crate) const ALLOW_MALFORMED_LOGS: Setting =
    Setting::flag_only("--allow-malformed-logs", "it goes with --cloudtrail-logs");
pub(crate) const EVIDENCE_SOURCE: Setting = Setting::variable_only(
    "IDC_EVIDENCE_SOURCE",
    "the CLI names the source by the flag that gives it",
);
pub(crate) const EVENT_DATA_STORE: Setting =
    Setting::both("--event-data-store", "IDC_EVENT_DATA_STORE");
pub(crate) const LAKE_OWNER_ACCOUNT_ID: Setting =
    Setting::both("--lake-owner-account-id", "IDC_LAKE_OWNER_ACCOUNT_ID");
pub(crate) const LAKE_ROLE_ARN: Setting = Setting::both("--lake-role-arn", "IDC_LAKE_ROLE_ARN");
pub(crate) const ATHENA_TABLE: Setting = Setting::both("--athena-table", "IDC_ATHENA_TABLE");
pub(crate) const ATHENA_WORKGROUP: Setting =
    Setting::both("--athena-workgroup", "IDC_ATHENA_WORKGROUP");
pub(crate) const ATHENA_OUTPUT: Setting = Setting::both("--athena-output", "IDC_ATHENA_OUTPUT");
pub(crate) const ATHENA_ACCOUNTS: Setting =
    Setting::both("--athena-account", "IDC_ATHENA_ACCOUNTS");
pub(crate) const ATHENA_REGIONS: Setting = Setting::both("--athena-region", "IDC_ATHENA_REGIONS");
pub(crate) const LOOKUP_REGIONS: Setting =
    Setting::both("--cloudtrail-lookup", "IDC_CLOUDTRAIL_LOOKUP_REGIONS");
pub(crate) const CLOUDWATCH_LOG_GROUPS: Setting =
    Setting::both("--cloudwatch-log-group", "IDC_CLOUDWATCH_LOG_GROUPS");
pub(crate) const CLOUDWATCH_REGION: Setting =
    Setting::both("--cloudwatch-region", "IDC_CLOUDWATCH_REGION");
pub(crate) const CLOUDWATCH_ROLE_ARN: Setting =
    Setting::both("--cloudwatch-role-arn", "IDC_CLOUDWATCH_ROLE_ARN");
pub(crate) const CLOUDWATCH_MAX_ROWS: Setting =
    Setting::both("--cloudwatch-max-rows", "IDC_CLOUDWATCH_MAX_ROWS");
pub(crate) const INSTANCE_ARN: Setting = Setting::both("--instance-arn", "IDC_INSTANCE_ARN");
pub(crate) const IDENTITY_STORE_ID: Setting =
    Setting::both("--identity-store-id", "IDC_IDENTITY_STORE_ID");
pub(crate) const ASSIGNMENT_STRATEGY: Setting =
    Setting::both("--assignment-strategy", "IDC_ASSIGNMENT_STRATEGY");
pub(crate) const LOOKBACK_DAYS: Setting = Setting::both("--lookback-days", "IDC_LOOKBACK_DAYS");
pub(crate) const INACTIVE_DAYS: Setting = Setting::both("--inactive-days", "IDC_INACTIVE_DAYS");
pub(crate) const REPORT_BUCKET: Setting = Setting::both("--output", "IDC_REPORT_BUCKET");
pub(crate) const REPORT_PREFIX: Setting = Setting::variable_only(
    "IDC_REPORT_PREFIX",
    "the CLI's --output takes s3://BUCKET/PREFIX/ whole",
);
pub(crate) const KMS_KEY_ARN: Setting = Setting::both("--kms-key-arn", "IDC_REPORT_KMS_KEY_ARN");
pub(crate) const EXCEPTIONS: Setting = Setting::both("--exceptions", "IDC_EXCEPTIONS_S3_URI");
pub(crate) const PRIVILEGED: Setting = Setting::both(
    "--privileged-permission-sets",
    "IDC_PRIVILEGED_PERMISSION_SETS",
);

/// Every setting of a report run.
pub const SETTINGS: &[Setting] = &[
    CLOUDTRAIL_LOGS,
    ALLOW_MALFORMED_LOGS,
    EVIDENCE_SOURCE,
    EVENT_DATA_STORE,
    LAKE_OWNER_ACCOUNT_ID,
    LAKE_ROLE_ARN,
    ATHENA_TABLE,
    ATHENA_WORKGROUP,
    ATHENA_OUTPUT,
    ATHENA_ACCOUNTS,
    ATHENA_REGIONS,
    LOOKUP_REGIONS,
    CLOUDWATCH_LOG_GROUPS,
    CLOUDWATCH_REGION,
    CLOUDWATCH_ROLE_ARN,
    CLOUDWATCH_MAX_ROWS,
    Setting::flag_only(
        "--query-timeout",
        "the function's queries stop at its own deadline, less time to publish",
    ),
    INSTANCE_ARN,
    IDENTITY_STORE_ID,
    ASSIGNMENT_STRATEGY,
    Setting::flag_only(
        "--directory-snapshot",
        "the function reads the directory live; Step Functions hands the read between steps",
    ),
    Setting::flag_only("--checkpoint", "Step Functions keeps the function's read under PREFIX/state/"),
    Setting::flag_only("--time-budget", "the function's budget is its own deadline"),
    Setting::flag_only("--checkpoint-max-age", "each Step Functions execution starts its own read"),
    Setting::flag_only("--sso-admin-rps", "the function keeps AWS's quotas (the defaults) and shares them with no other caller it knows"),
    Setting::flag_only("--identitystore-rps", "as --sso-admin-rps"),
    Setting::flag_only("--organizations-rps", "as --sso-admin-rps"),
    Setting::flag_only("--max-attempts", "as --sso-admin-rps"),
    Setting::flag_only("--as-of", "an invocation's payload gives as_of"),
    LOOKBACK_DAYS,
    INACTIVE_DAYS,
    REPORT_BUCKET,
    REPORT_PREFIX,
    KMS_KEY_ARN,
    Setting::flag_only(
        "--previous-report",
        "the function compares with the latest report under its own prefix, when there is one",
    ),
    EXCEPTIONS,
    PRIVILEGED,
];
