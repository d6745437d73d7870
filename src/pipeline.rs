//! One report run, start to finish: the same steps for the CLI and the Lambda.

use crate::aws::{load_sdk_config, AwsError, Caller};
use crate::directory::aws::{
    read_directory, AssignmentStrategy, DirectoryOptions, DirectoryReadInfo,
};
use crate::directory::checkpoint::{read_directory_resumable, ResumeError, ResumeOptions};
use crate::directory::{load_snapshot, Snapshot, SnapshotError};
use crate::evidence::athena::{read_athena, AthenaError, AthenaOptions};
use crate::evidence::changes::{ChangeKind, MemberChange};
use crate::evidence::cloudwatch::{read_cloudwatch, CloudWatchError, CloudWatchOptions};
use crate::evidence::lake::{read_lake, LakeError, LakeOptions};
use crate::evidence::logs::{find_log_files, read_logs, LogsError, LogsOptions};
use crate::evidence::lookup::{read_lookup, LookupError, LookupOptions, HISTORY_DAYS};
use crate::evidence::{Evidence, SourceInfo, Window};
use crate::output::{
    format_time, ChangeCounts, DirectoryInfo, FileInfo, Manifest, OutputError, ReportCounts,
    ToolInfo, UserCounts, Warning,
};
use crate::report::{
    build_report, ActivityStatus, ChangeRow, JoinStats, Report, UsageStatus, UserState,
    UserSummary, ENTITLEMENT_USE_UNKNOWN,
};
use aws_config::SdkConfig;
use chrono::{SecondsFormat, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Logs(#[from] LogsError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Athena(#[from] AthenaError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    CloudWatch(#[from] CloudWatchError),
    #[error(transparent)]
    Resume(#[from] ResumeError),
}

impl Error {
    /// The directory read stopped at its time budget and saved a checkpoint to go on from.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Error::Resume(ResumeError::Incomplete { .. }))
    }
}

/// Where the directory comes from.
#[derive(Debug, Clone)]
pub enum DirectorySource {
    SnapshotFile(PathBuf),
    Aws(DirectoryOptions),
    /// Read live, going on from a checkpoint and stopping at a deadline.
    AwsResumable(DirectoryOptions, ResumeOptions),
    /// Read live earlier (by another run), kept at `location`.
    Read {
        snapshot: Box<Snapshot>,
        read: DirectoryReadInfo,
        location: String,
    },
}

/// Where the evidence comes from.
#[derive(Debug, Clone)]
pub enum EvidenceSource {
    CloudTrailLogs { root: PathBuf, options: LogsOptions },
    CloudTrailLake(LakeOptions),
    Athena(AthenaOptions),
    CloudTrailLookup(LookupOptions),
    CloudWatchLogs(CloudWatchOptions),
}

impl EvidenceSource {
    /// The source, told the instance's Regions: LookupEvents reads them unless Regions were
    /// given, and Lake checks that its store records them. Athena reads every Region's
    /// partitions unless Regions were given: a Region removed from the instance during the
    /// window is no longer listed, and its uses must still count.
    fn in_regions(&self, regions: &[String]) -> EvidenceSource {
        let mut source = self.clone();
        match &mut source {
            EvidenceSource::CloudTrailLookup(options) if options.regions.is_empty() => {
                options.regions = regions.to_vec();
            }
            EvidenceSource::CloudTrailLake(options) => options.instance_regions = regions.to_vec(),
            _ => {}
        }
        source
    }
}

/// A validated request for one report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub directory: DirectorySource,
    pub evidence: EvidenceSource,
    pub window: Window,
    /// Users not seen for this many days are inactive in the user summary.
    pub inactive_days: u32,
}

/// Hooks for showing progress; all optional.
pub trait Progress: Send + Sync {
    fn files_found(&self, _count: u64) {}
    fn file_done(&self) {}
    fn finished(&self) {}
    /// Something the user should know that is not a warning about the report.
    fn notice(&self, message: &str) {
        tracing::warn!(message);
    }
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// A finished report and its manifest (whose `report.sha256` and `report.file` the writer fills).
pub struct Generated {
    pub report: Report,
    pub manifest: Manifest,
}

/// The AWS configuration, loaded once and only if a source needs it.
#[derive(Default)]
pub struct AwsSession(OnceCell<SdkConfig>);

impl AwsSession {
    pub async fn config(&self) -> &SdkConfig {
        self.0.get_or_init(load_sdk_config).await
    }
}

pub async fn run(request: &ReportRequest, progress: Arc<dyn Progress>) -> Result<Generated, Error> {
    run_in(request, progress, &AwsSession::default()).await
}

/// [`run`] with a given AWS session, so that the caller can publish with the same configuration.
pub async fn run_in(
    request: &ReportRequest,
    progress: Arc<dyn Progress>,
    session: &AwsSession,
) -> Result<Generated, Error> {
    let (snapshot, directory_info) =
        load_directory(&request.directory, session, progress.as_ref()).await?;
    let source = request.evidence.in_regions(&snapshot.region_names());
    let evidence = load_evidence(&source, &request.window, progress, session).await?;
    Ok(assemble(
        &snapshot,
        directory_info,
        evidence,
        &request.window,
        request.inactive_days,
    ))
}

/// Reads the live directory, for the `snapshot` command and the Lambda's first step; with
/// `resume`, from and to a checkpoint (remove it with [`remove_checkpoint`] once the result is
/// written).
pub async fn read_live_directory(
    session: &AwsSession,
    options: &DirectoryOptions,
    resume: Option<&ResumeOptions>,
    progress: &dyn Progress,
) -> Result<(Snapshot, DirectoryReadInfo), Error> {
    let config = session.config().await;
    match resume {
        None => Ok(read_directory(config, options).await?),
        Some(resume) => {
            let notice = |message: &str| progress.notice(message);
            Ok(read_directory_resumable(config, options, resume, &notice).await?)
        }
    }
}

/// Removes a finished read's checkpoint.
pub async fn remove_checkpoint(session: &AwsSession, resume: &ResumeOptions) -> Result<(), Error> {
    resume
        .location
        .remove(session.config().await)
        .await
        .map_err(|e| Error::Resume(e.into()))
}

async fn load_directory(
    source: &DirectorySource,
    session: &AwsSession,
    progress: &dyn Progress,
) -> Result<(Snapshot, DirectoryInfo), Error> {
    match source {
        DirectorySource::SnapshotFile(path) => {
            let snapshot = load_snapshot(path)?;
            let info = directory_info(
                &snapshot,
                "snapshot-file",
                &path.display().to_string(),
                snapshot.read.clone(),
            );
            Ok((snapshot, info))
        }
        DirectorySource::Aws(options) => {
            let (snapshot, read) = read_directory(session.config().await, options).await?;
            let info = directory_info(&snapshot, "aws", &snapshot.instance_arn, Some(read));
            Ok((snapshot, info))
        }
        DirectorySource::AwsResumable(options, resume) => {
            let (snapshot, read) =
                read_live_directory(session, options, Some(resume), progress).await?;
            let info = directory_info(&snapshot, "aws", &snapshot.instance_arn, Some(read));
            Ok((snapshot, info))
        }
        DirectorySource::Read {
            snapshot,
            read,
            location,
        } => {
            let info = directory_info(snapshot, "aws", location, Some(read.clone()));
            Ok((*snapshot.clone(), info))
        }
    }
}

async fn load_evidence(
    source: &EvidenceSource,
    window: &Window,
    progress: Arc<dyn Progress>,
    session: &AwsSession,
) -> Result<Evidence, Error> {
    match source {
        EvidenceSource::CloudTrailLake(options) => {
            Ok(read_lake(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudTrailLookup(options) => {
            Ok(read_lookup(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::Athena(options) => {
            Ok(read_athena(session.config().await, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudWatchLogs(options) => {
            let config = session.config().await;
            Ok(read_cloudwatch(config, options, window, &Caller::default()).await?)
        }
        EvidenceSource::CloudTrailLogs { root, options } => {
            let (root, options, window) = (root.clone(), options.clone(), *window);
            // CPU-bound and parallel on its own: keep it off the async workers.
            let evidence = tokio::task::spawn_blocking(move || {
                let files = find_log_files(&root)?;
                progress.files_found(files.len() as u64);
                let evidence =
                    read_logs(&root, &files, &window, &options, &|| progress.file_done());
                progress.finished();
                evidence
            })
            .await
            .expect("the log reader does not panic")?;
            Ok(evidence)
        }
    }
}

pub fn directory_info(
    snapshot: &Snapshot,
    source: &str,
    location: &str,
    read: Option<DirectoryReadInfo>,
) -> DirectoryInfo {
    DirectoryInfo {
        source: source.into(),
        location: location.into(),
        instance_arn: snapshot.instance_arn.clone(),
        identity_store_id: snapshot.identity_store_id.clone(),
        captured_at: snapshot
            .captured_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        regions: snapshot.region_names(),
        accounts: snapshot.accounts.len(),
        permission_sets: snapshot.permission_sets.len(),
        users: snapshot.users.len(),
        groups: snapshot.groups.len(),
        assignments: snapshot.assignments.len(),
        read,
    }
}

/// Joins directory and evidence and describes the result.
pub fn assemble(
    snapshot: &Snapshot,
    directory: DirectoryInfo,
    evidence: Evidence,
    window: &Window,
    inactive_days: u32,
) -> Generated {
    let report = build_report(snapshot, &evidence, window, inactive_days);
    let count = |status| {
        report
            .rows
            .iter()
            .filter(|r| r.usage_status() == status)
            .count()
    };
    let (used, unused, new, unknown) = (
        count(UsageStatus::Used),
        count(UsageStatus::Unused),
        count(UsageStatus::New),
        count(UsageStatus::Unknown),
    );
    let manifest_kind = evidence.source.kind.clone();
    let mut warnings = directory_warnings(&directory);
    warnings.extend(region_warning(snapshot, &evidence.source));
    warnings.extend(evidence_warnings(&evidence, &report.join));
    warnings.extend(unknown_members_warning(&report.changes));
    let manifest = Manifest {
        tool: ToolInfo::default(),
        generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        as_of: format_time(window.end_secs()),
        window_start: format_time(window.start_secs()),
        lookback_days: window.lookback_days,
        directory,
        warnings,
        evidence: evidence.source,
        attribution: report.join.clone(),
        report: ReportCounts {
            file: String::new(),
            rows: report.rows.len(),
            used,
            unused,
            new,
            unknown,
            unknown_reason: (unknown > 0).then_some(ENTITLEMENT_USE_UNKNOWN),
            principals_not_found: report
                .rows
                .iter()
                .filter(|r| r.user_state == UserState::NotFound)
                .count(),
            sha256: String::new(),
        },
        users: user_counts(&report.users, inactive_days),
        html: FileInfo::default(),
        changes: change_counts(&report.changes, &manifest_kind),
    };
    Generated { report, manifest }
}

fn change_counts(changes: &[ChangeRow], source_kind: &str) -> ChangeCounts {
    let mut by_event_name: BTreeMap<&'static str, usize> = ChangeKind::ALL
        .iter()
        .map(|k| (k.event_name(), 0))
        .collect();
    for row in changes {
        *by_event_name
            .entry(row.change.kind.event_name())
            .or_default() += 1;
    }
    ChangeCounts {
        file: String::new(),
        rows: changes.len(),
        by_event_name,
        memberships_unresolved: changes
            .iter()
            .filter(|r| !r.note.is_empty() && !is_unknown_members(r))
            .count(),
        memberships_unknown: changes.iter().filter(|r| is_unknown_members(r)).count(),
        coverage: (source_kind == "cloudtrail-lookup").then(|| {
            format!("CloudTrail event history holds the last {HISTORY_DAYS} days of the Identity Center account, in the Regions looked up: changes made elsewhere or earlier are not listed")
        }),
        sha256: String::new(),
    }
}

fn is_unknown_members(row: &ChangeRow) -> bool {
    row.change.member_change == Some(MemberChange::Unknown)
}

/// SCIM events that changed a group's members without saying whose: every member of the group
/// may have joined then, so its members are judged only from that time (NEW, never UNUSED).
fn unknown_members_warning(changes: &[ChangeRow]) -> Option<Warning> {
    let unknown: Vec<&ChangeRow> = changes.iter().filter(|r| is_unknown_members(r)).collect();
    let groups: BTreeSet<&str> = unknown.iter().map(|r| r.group_id.as_str()).collect();
    (!unknown.is_empty()).then(|| Warning {
        code: "membership_changes_unknown",
        message: format!(
            "{} SCIM group change(s) in {} group(s) do not say which members changed (AWS hides SCIM request values): each member of those groups is judged only from the group's latest such change, so unused access there shows as NEW rather than UNUSED until a full window has passed",
            unknown.len(),
            groups.len()
        ),
    })
}

fn user_counts(users: &[UserSummary], inactive_days: u32) -> UserCounts {
    let count = |status| users.iter().filter(|u| u.activity_status == status).count();
    UserCounts {
        file: String::new(),
        inactive_days,
        users: users.len(),
        active: count(ActivityStatus::Active),
        inactive: count(ActivityStatus::Inactive),
        never_seen: count(ActivityStatus::NeverSeen),
        new: count(ActivityStatus::New),
        sha256: String::new(),
    }
}

fn directory_warnings(directory: &DirectoryInfo) -> Vec<Warning> {
    directory
        .read
        .as_ref()
        .map(read_warnings)
        .unwrap_or_default()
}

/// What a live read of the directory could not see, as the manifest's warnings.
pub fn read_warnings(read: &DirectoryReadInfo) -> Vec<Warning> {
    let mut warnings: Vec<Warning> = read
        .warnings
        .iter()
        .map(|message| Warning {
            code: "account_names_unavailable",
            message: message.clone(),
        })
        .collect();
    if let Some(message) = &read.entitlements_unread {
        warnings.push(Warning {
            code: "entitlements_not_read",
            message: message.clone(),
        });
    }
    if let Some(message) = &read.regions_unlisted {
        warnings.push(Warning {
            code: "regions_not_listed",
            message: message.clone(),
        });
    }
    if read.assignment_strategy_used == AssignmentStrategy::PerPrincipal.as_str() {
        warnings.push(Warning {
            code: "deleted_principals_not_listed",
            message: "assignments were listed per principal, which cannot see assignments whose user or group was deleted; use --assignment-strategy per-permission-set to list those too".into(),
        });
    }
    warnings
}

/// A source that read some Regions but not every Region of the instance misses the sign-ins
/// and credentials recorded there: its users would show as UNUSED.
fn region_warning(snapshot: &Snapshot, source: &SourceInfo) -> Option<Warning> {
    if source.regions.is_empty() {
        return None;
    }
    let missing: Vec<String> = snapshot
        .region_names()
        .into_iter()
        .filter(|r| !source.regions.contains(r))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let (code, fix) = match source.kind.as_str() {
        "cloudtrail-lake" => ("lake_store_misses_regions", "use a multi-Region event data store (or an organization store that is multi-Region)"),
        "athena" => ("evidence_misses_regions", "leave --athena-region (IDC_ATHENA_REGIONS) unset to read every Region of the instance, or list them all"),
        _ => ("evidence_misses_regions", "give --cloudtrail-lookup (IDC_CLOUDTRAIL_LOOKUP_REGIONS) no Regions to read every Region of the instance, or list them all"),
    };
    Some(Warning {
        code,
        message: format!(
            "the instance is also enabled in {}, which the evidence does not cover (it reads {}): sign-ins and credentials there are missing, so users who work only there show as UNUSED. Fix: {fix}",
            missing.join(", "),
            source.regions.join(", ")
        ),
    })
}

/// What limits the report's proof, in the order an auditor should read it.
fn evidence_warnings(evidence: &Evidence, join: &JoinStats) -> Vec<Warning> {
    let source = &evidence.source;
    let mut warnings: Vec<Warning> = source
        .warnings
        .iter()
        .map(|w| Warning {
            code: w.code,
            message: w.message.clone(),
        })
        .collect();
    let mut warn = |code, message: String| warnings.push(Warning { code, message });
    if !source.skipped_files.is_empty() {
        warn(
            "skipped_files",
            format!(
                "{} log file(s) could not be read and were skipped (--allow-malformed-logs): uses recorded only there are missing",
                source.skipped_files.len()
            ),
        );
    }
    if source.evidence_events == 0 {
        warn(
            "no_evidence",
            "no Federate, GetRoleCredentials or UserAuthentication event in the window: check that the source covers the Identity Center account and Region".into(),
        );
    } else if source.cli_events == 0 {
        warn(
            "no_cli_events",
            "no GetRoleCredentials event in the window: the source may not record read-only management events, so CLI/SDK use is invisible and CLI users show as UNUSED".into(),
        );
    }
    if join.uses_without_assignment > 0 {
        warn(
            "uses_without_assignment",
            format!(
                "{} (user, account, permission set) combination(s) were used without an assignment in the directory (removed since, or the snapshot is incomplete)",
                join.uses_without_assignment
            ),
        );
    }
    if join.keys_unknown_user > 0 {
        warn(
            "unknown_users",
            format!(
                "{} evidence key(s) name users that are not in the directory (deleted users?)",
                join.keys_unknown_user
            ),
        );
    }
    warnings
}
