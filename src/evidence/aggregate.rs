//! Folding observed events into [`Evidence`], shared by the sources that see single events
//! (log files, LookupEvents).

use super::changes::{normalize, Change};
use super::event::Observation;
use super::{Evidence, SkippedFile, SourceInfo, UsageKey, UseKind, Window};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Events folded into evidence: the latest time per key, each event (by `eventID`) counted
/// once. One per thread; merged at the end.
#[derive(Default)]
pub(crate) struct Aggregate {
    last_seen: HashMap<UsageKey, i64>,
    /// Qualifying event ids seen, with the kind they were counted under.
    event_ids: HashMap<u128, UseKind>,
    pub(crate) info: SourceInfo,
    by_kind: [u64; 3],
    changes: Vec<Change>,
    /// The `awsRegion`s of the evidence events.
    regions: BTreeSet<String>,
}

impl Aggregate {
    pub(crate) fn skipped(path: &Path, error: String) -> Self {
        let mut part = Aggregate::default();
        part.info.skipped_files.push(SkippedFile {
            path: path.display().to_string(),
            error,
        });
        part
    }

    pub(crate) fn observe(&mut self, observation: Observation, window: &Window) {
        let (key, time, event_id, region) = match observation {
            Observation::Failed => {
                self.info.failed_events += 1;
                return;
            }
            Observation::Changes(changes) => {
                let in_window = changes.into_iter().filter(|c| window.contains(c.time));
                self.changes.extend(in_window);
                return;
            }
            Observation::Use {
                key,
                time,
                event_id,
                region,
            } => (key, time, event_id, region),
        };
        if !window.contains(time) {
            return;
        }
        if let Some(id) = event_id {
            if self.event_ids.insert(id, key.kind).is_some() {
                self.info.duplicate_events += 1;
                return;
            }
        }
        self.info.evidence_events += 1;
        if !region.is_empty() {
            self.regions.insert(region);
        }
        self.by_kind[kind_index(key.kind)] += 1;
        let entry = self.last_seen.entry(key).or_insert(time);
        *entry = (*entry).max(time);
    }

    pub(crate) fn merge(mut self, mut other: Aggregate) -> Aggregate {
        if other.last_seen.len() > self.last_seen.len() {
            std::mem::swap(&mut self, &mut other);
        }
        for (key, time) in other.last_seen {
            let entry = self.last_seen.entry(key).or_insert(time);
            *entry = (*entry).max(time);
        }
        // An event delivered twice may have landed in two threads: count it once.
        for (id, kind) in other.event_ids {
            if self.event_ids.insert(id, kind).is_some() {
                self.info.duplicate_events += 1;
                self.info.evidence_events -= 1;
                self.by_kind[kind_index(kind)] -= 1;
            }
        }
        let info = &mut self.info;
        info.files_read += other.info.files_read;
        info.events_read += other.info.events_read;
        info.evidence_events += other.info.evidence_events;
        info.duplicate_events += other.info.duplicate_events;
        info.failed_events += other.info.failed_events;
        info.skipped_files.append(&mut other.info.skipped_files);
        self.changes.append(&mut other.changes);
        self.regions.append(&mut other.regions);
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            *mine += theirs;
        }
        self
    }

    pub(crate) fn into_evidence(mut self, kind: &str, location: &str) -> Evidence {
        self.info.kind = kind.into();
        self.info.location = location.into();
        self.info.skipped_files.sort();
        [
            self.info.console_events,
            self.info.cli_events,
            self.info.portal_sign_in_events,
        ] = self.by_kind;
        self.info.regions_with_evidence = self.regions.into_iter().collect();
        Evidence {
            last_seen: self.last_seen,
            changes: normalize(self.changes),
            source: self.info,
        }
    }
}

fn kind_index(kind: UseKind) -> usize {
    match kind {
        UseKind::Console => 0,
        UseKind::Cli => 1,
        UseKind::PortalSignIn => 2,
    }
}
