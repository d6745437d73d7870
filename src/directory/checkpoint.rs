//! A directory read that outlasts one run. The largest organizations cannot be read within
//! Lambda's 15 minutes at any speed (the quotas are the floor), so a read may stop at its time
//! budget, save a checkpoint (every listing read so far and each open cursor), and the next
//! run goes on from there. The last run's snapshot equals a one-shot read's.
//!
//! A checkpoint is sealed with the SHA-256 of its content and bound to the tool version, the
//! instance, the identity store and the strategy: a damaged or foreign checkpoint is refused,
//! never mixed into a read. One older than the maximum age is discarded (the directory it saw
//! is too old to join with today's), and the read starts over.

use super::aws::resume::{Journal, Listing, ReadProgress};
use super::aws::{read_directory_with, resolve_instance, DirectoryOptions, DirectoryReadInfo};
use super::Snapshot;
use crate::aws::{ActionCount, AwsError};
use crate::store::file::sha256_hex;
use crate::store::{Location, StoreError, Version};
use aws_config::SdkConfig;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::time::Instant;

/// Where the checkpoint is kept and how long a run may read.
#[derive(Debug, Clone)]
pub struct ResumeOptions {
    pub location: Location,
    /// No page is requested at or after this instant; the checkpoint is saved instead.
    pub deadline: Option<Instant>,
    /// A checkpoint whose read started longer ago than this is discarded.
    pub max_age: chrono::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// Not a failure: the budget ran out and the checkpoint holds the progress.
    #[error("incomplete: {progress}; run the same command again to resume")]
    Incomplete { progress: ReadProgress },
    #[error("checkpoint {location} is damaged ({problem}); delete it to start the read over")]
    Damaged { location: String, problem: String },
    #[error("checkpoint {location} belongs to another read ({field} {found:?}, this read's is {expected:?}): it is refused, never mixed in; delete it or pass another --checkpoint")]
    Foreign {
        location: String,
        field: &'static str,
        found: String,
        expected: String,
    },
    #[error(transparent)]
    State(#[from] StoreError),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

const FORMAT: &str = "idc-credential-report directory checkpoint";

/// What a checkpoint holds (documented in docs/snapshot-format.md, "Checkpoints").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Checkpoint {
    format: String,
    tool_version: String,
    instance_arn: String,
    identity_store_id: String,
    assignment_strategy: String,
    /// When the first run of this read started: the snapshot's `captured_at`.
    started_at: DateTime<Utc>,
    saved_at: DateTime<Utc>,
    /// Runs that saved this checkpoint so far.
    invocations: u32,
    /// AWS calls of those runs, per IAM action.
    calls: BTreeMap<String, ActionCount>,
    listings: BTreeMap<String, Listing>,
}

/// The file as written: the checkpoint and the SHA-256 of its JSON.
#[derive(Serialize, Deserialize)]
struct Sealed {
    sha256: String,
    checkpoint: Checkpoint,
}

/// Reads the live directory, going on from the checkpoint at `resume.location` if there is
/// one. `notice` is told when a checkpoint is discarded as too old. On success the checkpoint
/// is left in place: remove it once the result is safely written.
pub async fn read_directory_resumable(
    config: &SdkConfig,
    options: &DirectoryOptions,
    resume: &ResumeOptions,
    notice: &(dyn Fn(&str) + Sync),
) -> Result<(Snapshot, DirectoryReadInfo), ResumeError> {
    let location = &resume.location;
    let (instance_arn, identity_store_id) = resolve_instance(config, options).await?;
    let expected = Checkpoint {
        format: FORMAT.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        instance_arn,
        identity_store_id,
        assignment_strategy: options.strategy.as_str().into(),
        started_at: Utc::now().trunc_subsecs(0),
        saved_at: Utc::now().trunc_subsecs(0),
        invocations: 0,
        calls: BTreeMap::new(),
        listings: BTreeMap::new(),
    };
    let (mut checkpoint, version) = match load(config, location).await? {
        None => (expected, Version::default()),
        Some((found, version)) => {
            check_belongs(&found, &expected, location)?;
            if expected.started_at - found.started_at > resume.max_age {
                notice(&format!(
                    "checkpoint {location} is from a read started at {}, longer ago than the maximum age: discarded, the read starts over",
                    found.started_at.to_rfc3339()
                ));
                (expected, version)
            } else {
                (found, version)
            }
        }
    };
    let journal = Arc::new(Journal::new(
        std::mem::take(&mut checkpoint.listings),
        resume.deadline,
    ));
    let options = DirectoryOptions {
        instance_arn: Some(checkpoint.instance_arn.clone()),
        identity_store_id: Some(checkpoint.identity_store_id.clone()),
        ..options.clone()
    };
    let result = read_directory_with(config, &options, Some(journal.clone())).await;
    let calls = merge_calls(&checkpoint.calls, &options.stats.snapshot());
    match result {
        Ok((mut snapshot, mut info)) => {
            snapshot.captured_at = Some(checkpoint.started_at);
            info.calls = calls;
            info.invocations = Some(checkpoint.invocations + 1);
            Ok((snapshot, info))
        }
        Err(error) => {
            checkpoint.listings = journal.listings();
            checkpoint.calls = calls;
            checkpoint.invocations += 1;
            checkpoint.saved_at = Utc::now().trunc_subsecs(0);
            save(config, location, &checkpoint, &version).await?;
            match error {
                AwsError::OutOfTime { .. } => Err(ResumeError::Incomplete {
                    progress: journal.progress(),
                }),
                error => Err(error.into()),
            }
        }
    }
}

async fn load(
    config: &SdkConfig,
    location: &Location,
) -> Result<Option<(Checkpoint, Version)>, ResumeError> {
    let Some((body, version)) = location.read(config).await? else {
        return Ok(None);
    };
    let damaged = |problem: String| ResumeError::Damaged {
        location: location.to_string(),
        problem,
    };
    let sealed: Sealed = serde_json::from_slice(&body).map_err(|e| damaged(e.to_string()))?;
    let content = serde_json::to_vec(&sealed.checkpoint).map_err(|e| damaged(e.to_string()))?;
    if sha256_hex(&content) != sealed.sha256 {
        return Err(damaged("its SHA-256 does not match its content".into()));
    }
    if sealed.checkpoint.format != FORMAT {
        return Err(damaged(format!("format {:?}", sealed.checkpoint.format)));
    }
    Ok(Some((sealed.checkpoint, version)))
}

async fn save(
    config: &SdkConfig,
    location: &Location,
    checkpoint: &Checkpoint,
    version: &Version,
) -> Result<(), StoreError> {
    let content = serde_json::to_vec(checkpoint).expect("a checkpoint serializes");
    let sealed = Sealed {
        sha256: sha256_hex(&content),
        checkpoint: checkpoint.clone(),
    };
    let body = serde_json::to_vec(&sealed).expect("a checkpoint serializes");
    location.write(config, &body, version).await?;
    Ok(())
}

/// Refuses a checkpoint of another tool version, instance, identity store or strategy.
fn check_belongs(
    found: &Checkpoint,
    expected: &Checkpoint,
    location: &Location,
) -> Result<(), ResumeError> {
    let fields = [
        ("tool_version", &found.tool_version, &expected.tool_version),
        ("instance_arn", &found.instance_arn, &expected.instance_arn),
        (
            "identity_store_id",
            &found.identity_store_id,
            &expected.identity_store_id,
        ),
        (
            "assignment_strategy",
            &found.assignment_strategy,
            &expected.assignment_strategy,
        ),
    ];
    match fields
        .into_iter()
        .find(|(_, found, expected)| found != expected)
    {
        None => Ok(()),
        Some((field, found, expected)) => Err(ResumeError::Foreign {
            location: location.to_string(),
            field,
            found: found.clone(),
            expected: expected.clone(),
        }),
    }
}

fn merge_calls(
    earlier: &BTreeMap<String, ActionCount>,
    now: &BTreeMap<String, ActionCount>,
) -> BTreeMap<String, ActionCount> {
    let mut total = earlier.clone();
    for (action, count) in now {
        let sum = total.entry(action.clone()).or_default();
        sum.calls += count.calls;
        sum.throttled += count.throttled;
        sum.server_errors += count.server_errors;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            format: FORMAT.into(),
            tool_version: "0.1.0".into(),
            instance_arn: "arn:aws:sso:::instance/ssoins-1".into(),
            identity_store_id: "d-1".into(),
            assignment_strategy: "auto".into(),
            started_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            saved_at: DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
            invocations: 2,
            calls: BTreeMap::new(),
            listings: BTreeMap::from([(
                "sso:ListPermissionSets arn".into(),
                Listing {
                    items: vec![serde_json::json!("arn:ps-1")],
                    next_token: Some("t".into()),
                    complete: false,
                },
            )]),
        }
    }

    #[test]
    fn another_instance_or_strategy_is_foreign() {
        let location = Location::File("c.json".into());
        let ours = checkpoint();
        assert!(check_belongs(&ours, &ours, &location).is_ok());
        let other = Checkpoint {
            assignment_strategy: "per-principal".into(),
            ..checkpoint()
        };
        let message = check_belongs(&other, &ours, &location)
            .unwrap_err()
            .to_string();
        assert!(message.contains("assignment_strategy"), "{message}");
    }

    #[tokio::test]
    async fn a_changed_byte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::File(dir.path().join("c.json"));
        let config = SdkConfig::builder().build();
        save(&config, &location, &checkpoint(), &Version::default())
            .await
            .unwrap();
        let (loaded, _) = load(&config, &location).await.unwrap().unwrap();
        assert_eq!(loaded, checkpoint());
        let path = dir.path().join("c.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("arn:ps-1", "arn:ps-2")).unwrap();
        let error = load(&config, &location).await.unwrap_err().to_string();
        assert!(error.contains("is damaged"), "{error}");
    }

    #[test]
    fn calls_add_up_over_runs() {
        let one = ActionCount {
            calls: 3,
            throttled: 1,
            server_errors: 0,
        };
        let earlier = BTreeMap::from([("sso:A".to_owned(), one.clone())]);
        let total = merge_calls(&earlier, &earlier);
        assert_eq!(total["sso:A"].calls, 6);
        assert_eq!(total["sso:A"].throttled, 2);
    }
}
