//! The deployed function's settings, read once from its environment.

use super::*;
use crate::aws::RetryPolicy;
use crate::directory::aws::{AssignmentStrategy, DirectoryOptions, Rates};
use crate::evidence::EvidenceSource;
use crate::review::{PreviousSource, Privileged, ReviewOptions};
use crate::store::s3::S3Target;
use crate::store::Location;

/// Everything a deployed run needs.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    pub directory: DirectoryOptions,
    /// Its queries' deadline is each invocation's own ([`EvidenceSource::with_deadline`]).
    pub evidence: EvidenceSource,
    pub output: S3Target,
    pub lookback_days: u32,
    /// Users not seen for this many days are INACTIVE in the user summary.
    pub inactive_days: u32,
    /// The exceptions file, if any (an S3 object), and what counts as privileged. The previous
    /// report is always the latest under `output`, when there is one.
    pub review: ReviewOptions,
}

impl FunctionSettings {
    /// Reads the `IDC_*` variables through `var` (the process environment, or a map in
    /// tests): every one first, then each is checked.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let env = Env(var);
        let bucket = env.setting(&REPORT_BUCKET);
        let prefix = env.setting(&REPORT_PREFIX).unwrap_or_default();
        let kms_key_arn = env.setting(&KMS_KEY_ARN);
        let lookback_days = env.whole_number(LOOKBACK_DAYS.name(Entry::Environment), 90);
        let inactive_days = env.whole_number(INACTIVE_DAYS.name(Entry::Environment), 90);
        let strategy = env.setting(&ASSIGNMENT_STRATEGY);
        let (instance_arn, identity_store_id) =
            (env.setting(&INSTANCE_ARN), env.setting(&IDENTITY_STORE_ID));
        let evidence = EvidenceConfig::from_env(&env);
        let (exceptions, privileged) = (env.setting(&EXCEPTIONS), env.setting(&PRIVILEGED));

        let bucket = bucket.ok_or_else(|| SettingsError("IDC_REPORT_BUCKET is not set".into()))?;
        let output = S3Target::parse(&format!("s3://{bucket}/{prefix}"), kms_key_arn)
            .map_err(|e| SettingsError(format!("IDC_REPORT_BUCKET/IDC_REPORT_PREFIX: {e}")))?;
        let strategy = match strategy {
            None => AssignmentStrategy::Auto,
            Some(v) => v
                .parse()
                .map_err(|e| SettingsError(format!("IDC_ASSIGNMENT_STRATEGY: {e}")))?,
        };
        let review = ReviewOptions {
            previous: Some(PreviousSource::LatestIfAny(output.clone())),
            exceptions: exceptions.map(|uri| exceptions_object(&uri)).transpose()?,
            privileged: match privileged {
                None => Privileged::default(),
                Some(list) => Privileged::parse(&list)
                    .map_err(|e| SettingsError(format!("IDC_PRIVILEGED_PERMISSION_SETS: {e}")))?,
            },
        };
        Ok(FunctionSettings {
            directory: DirectoryOptions {
                instance_arn,
                identity_store_id,
                strategy,
                rates: Rates::default(),
                retry: RetryPolicy::default(),
                stats: Default::default(),
            },
            evidence: evidence?.validate(Entry::Environment)?,
            output,
            lookback_days: lookback_days?,
            inactive_days: inactive_days?,
            review,
        })
    }
}

/// The function reads no local files: the exceptions are an S3 object.
fn exceptions_object(uri: &str) -> Result<Location, SettingsError> {
    let not_an_object = || {
        SettingsError(format!(
            "IDC_EXCEPTIONS_S3_URI: {uri:?} is not an S3 object (s3://BUCKET/KEY.csv)"
        ))
    };
    match Location::parse(uri, None) {
        Ok(location @ Location::S3 { .. }) => Ok(location),
        _ => Err(not_an_object()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    fn settings(vars: &[(&str, &str)]) -> Result<FunctionSettings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FunctionSettings::from_env(|name| map.get(name).cloned())
    }

    #[test]
    fn a_minimal_environment_is_enough() {
        let s = settings(&[
            ("IDC_REPORT_BUCKET", "security-bucket"),
            ("IDC_EVENT_DATA_STORE", "eds-1"),
        ])
        .unwrap();
        assert_eq!(s.lookback_days, 90);
        assert_eq!(s.output.prefix, "");
        assert_eq!(s.directory.strategy, AssignmentStrategy::Auto);
        assert!(matches!(
            s.review.previous,
            Some(PreviousSource::LatestIfAny(ref t)) if t == &s.output
        ));
        assert!(s.review.exceptions.is_none());
        assert!(s.review.privileged.contains("AdministratorAccess"));
    }

    #[test]
    fn wrong_settings_name_the_variable() {
        let message = |vars: &[(&str, &str)]| settings(vars).unwrap_err().to_string();
        assert!(
            message(&[("IDC_EVENT_DATA_STORE", "eds-1")]).contains("IDC_REPORT_BUCKET is not set")
        );
        let base = [("IDC_REPORT_BUCKET", "b-1"), ("IDC_EVENT_DATA_STORE", "e")];
        let with = |extra: &[(&str, &str)]| message(&[&base[..], extra].concat());
        assert!(
            message(&[("IDC_REPORT_BUCKET", "b-1")]).contains("IDC_EVENT_DATA_STORE is not set")
        );
        assert!(with(&[("IDC_EVENT_DATA_STORE", "x'y")]).contains("IDC_EVENT_DATA_STORE"));
        assert!(with(&[("IDC_LOOKBACK_DAYS", "ninety")]).contains("IDC_LOOKBACK_DAYS"));
        assert!(with(&[("IDC_ASSIGNMENT_STRATEGY", "all")]).contains("IDC_ASSIGNMENT_STRATEGY"));
        assert!(with(&[("IDC_REPORT_BUCKET", "B!")]).contains("IDC_REPORT_BUCKET"));
        assert!(with(&[("IDC_LAKE_OWNER_ACCOUNT_ID", "12")]).contains("IDC_LAKE_OWNER_ACCOUNT_ID"));
        for (variable, value) in [
            ("IDC_EXCEPTIONS_S3_URI", "exceptions.csv"),
            ("IDC_EXCEPTIONS_S3_URI", "s3://b-1/idc/"),
            ("IDC_PRIVILEGED_PERMISSION_SETS", "Admin,,Power"),
        ] {
            assert!(with(&[(variable, value)]).contains(variable), "{value}");
        }
    }

    #[test]
    fn every_evidence_source_is_configurable() {
        let base = [("IDC_REPORT_BUCKET", "b-1")];
        let with = |extra: &[(&str, &str)]| settings(&[&base[..], extra].concat());
        let athena = with(&[
            ("IDC_EVIDENCE_SOURCE", "athena"),
            ("IDC_ATHENA_TABLE", "db.trail"),
            ("IDC_ATHENA_REGIONS", "us-east-1, eu-west-1"),
        ])
        .unwrap();
        assert!(
            matches!(athena.evidence, EvidenceSource::Athena(ref a) if a.scope.regions.len() == 2)
        );
        let lookup = with(&[
            ("IDC_EVIDENCE_SOURCE", "cloudtrail-lookup"),
            ("IDC_CLOUDTRAIL_LOOKUP_REGIONS", "us-east-1"),
        ])
        .unwrap();
        assert!(
            matches!(lookup.evidence, EvidenceSource::CloudTrailLookup(ref l) if l.regions.len() == 1)
        );
        let cloudwatch = with(&[
            ("IDC_EVIDENCE_SOURCE", "cloudwatch-logs"),
            (
                "IDC_CLOUDWATCH_LOG_GROUPS",
                "aws-controltower/CloudTrailLogs, other",
            ),
            ("IDC_CLOUDWATCH_MAX_ROWS", "500"),
        ])
        .unwrap();
        assert!(matches!(
            cloudwatch.evidence,
            EvidenceSource::CloudWatchLogs(ref c) if c.log_groups.len() == 2 && c.max_rows == 500
        ));
        let fails = |extra: &[(&str, &str)], name: &str| {
            let error = with(extra).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        };
        fails(
            &[("IDC_EVIDENCE_SOURCE", "cloudwatch-logs")],
            "IDC_CLOUDWATCH_LOG_GROUPS is not set",
        );
        fails(
            &[
                ("IDC_EVIDENCE_SOURCE", "cloudwatch-logs"),
                ("IDC_CLOUDWATCH_LOG_GROUPS", "a'b"),
            ],
            "IDC_CLOUDWATCH_LOG_GROUPS",
        );
        fails(
            &[
                ("IDC_EVIDENCE_SOURCE", "cloudwatch-logs"),
                ("IDC_CLOUDWATCH_LOG_GROUPS", "g"),
                ("IDC_CLOUDWATCH_MAX_ROWS", "0"),
            ],
            "IDC_CLOUDWATCH_MAX_ROWS must be between 1 and",
        );
        fails(
            &[
                ("IDC_EVIDENCE_SOURCE", "athena"),
                ("IDC_ATHENA_TABLE", "db.t"),
                ("IDC_ATHENA_ACCOUNTS", "12"),
            ],
            "IDC_ATHENA_ACCOUNTS",
        );
        fails(
            &[
                ("IDC_EVIDENCE_SOURCE", "athena"),
                ("IDC_ATHENA_TABLE", "db.t"),
                ("IDC_ATHENA_OUTPUT", "bucket/x"),
            ],
            "IDC_ATHENA_OUTPUT must be an s3:// location",
        );
        fails(
            &[("IDC_EVIDENCE_SOURCE", "splunk")],
            "use cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup",
        );
        // Without Regions: every Region of the instance.
        let every_region = with(&[("IDC_EVIDENCE_SOURCE", "cloudtrail-lookup")]).unwrap();
        assert!(
            matches!(every_region.evidence, EvidenceSource::CloudTrailLookup(ref l) if l.regions.is_empty())
        );
    }

    /// The variables the function reads are exactly those of [`SETTINGS`] (the CLI's test
    /// holds `generate`'s flags to the same list).
    #[test]
    fn the_function_reads_every_variable_of_the_settings_and_no_other() {
        let asked = RefCell::new(BTreeSet::new());
        let _ = FunctionSettings::from_env(|name| {
            asked.borrow_mut().insert(name.to_owned());
            None
        });
        let listed: BTreeSet<String> = SETTINGS
            .iter()
            .filter_map(|s| s.variable.map(str::to_owned))
            .collect();
        assert_eq!(asked.into_inner(), listed);
        for setting in SETTINGS {
            let both = setting.flag.is_some() && setting.variable.is_some();
            assert_eq!(both, setting.only_one_because.is_empty(), "{setting:?}");
        }
    }
}
