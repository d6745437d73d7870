//! Which evidence source a report reads, validated (see `crate::config`).

use super::athena::AthenaOptions;
use super::cloudwatch::CloudWatchOptions;
use super::lake::LakeOptions;
use super::logs::LogsOptions;
use super::lookup::LookupOptions;
use std::path::PathBuf;
use tokio::time::Instant;

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
    pub(crate) fn in_regions(&self, regions: &[String]) -> EvidenceSource {
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

impl EvidenceSource {
    /// The source with its query cancelled at `deadline` (so that it stops billing); log files
    /// and event history run no query.
    pub fn with_deadline(mut self, deadline: Instant) -> EvidenceSource {
        match &mut self {
            EvidenceSource::CloudTrailLake(options) => options.deadline = deadline,
            EvidenceSource::Athena(options) => options.deadline = deadline,
            EvidenceSource::CloudWatchLogs(options) => options.deadline = deadline,
            EvidenceSource::CloudTrailLogs { .. } | EvidenceSource::CloudTrailLookup(_) => {}
        }
        self
    }
}
