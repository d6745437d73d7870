//! What a resumable read has listed so far: every listing's pages and its open cursor, kept
//! as it goes, so that a run stopped by its time budget can be saved to a checkpoint and the
//! next run goes on where it stopped, making only the calls that are left.
//!
//! A listing is known by its IAM action and resource (`sso:ListAccountAssignments account
//! 111..., permission set arn:...`), which the readers already name for error messages. A
//! page's items and the cursor after it are recorded together, so the journal never holds a
//! page without knowing where the next one starts.

use crate::aws::{AwsError, PageHooks, PagesSoFar};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::time::Instant;

/// One listing as far as it was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub items: Vec<serde_json::Value>,
    /// Where the next page starts; `None` with `complete` false means nothing was read yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub complete: bool,
}

/// The unit of work the progress message counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `ListAccountAssignments` per (account, permission set) pair.
    Pairs,
    /// `ListAccountAssignmentsForPrincipal` per user and group.
    Principals,
}

impl Unit {
    fn action(self) -> &'static str {
        match self {
            Unit::Pairs => "sso:ListAccountAssignments",
            Unit::Principals => "sso:ListAccountAssignmentsForPrincipal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Unit::Pairs => "(account, permission set) pairs",
            Unit::Principals => "users and groups",
        }
    }
}

/// How far the assignment listing got, for "incomplete: N of M ... read".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadProgress {
    pub unit: Unit,
    pub done: usize,
    /// `None` while the pairs themselves are still being listed.
    pub total: Option<usize>,
}

impl std::fmt::Display for ReadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.total {
            Some(total) => write!(f, "{} of {total} {} read", self.done, self.unit.label()),
            None => write!(
                f,
                "{} of a number not yet known of {} read",
                self.done,
                self.unit.label()
            ),
        }
    }
}

/// The listings of one read, shared by every concurrent reader.
#[derive(Debug)]
pub struct Journal {
    listings: Mutex<BTreeMap<String, Listing>>,
    /// No page is requested at or after this instant, once this run has read one.
    deadline: Option<Instant>,
    /// Pages read by this run: the first is read even past the deadline, so that every run
    /// moves the read on and a loop of runs always ends, however slow its start-up.
    pages_read: AtomicUsize,
    units: Mutex<(Unit, Option<usize>)>,
}

impl Journal {
    pub fn new(listings: BTreeMap<String, Listing>, deadline: Option<Instant>) -> Self {
        Journal {
            listings: Mutex::new(listings),
            deadline,
            pages_read: AtomicUsize::new(0),
            units: Mutex::new((Unit::Pairs, None)),
        }
    }

    /// Every listing as read so far (for the checkpoint).
    pub fn listings(&self) -> BTreeMap<String, Listing> {
        self.lock().clone()
    }

    /// The assignment listing has `total` units of this kind to read.
    pub fn expect_units(&self, unit: Unit, total: usize) {
        *self.units.lock().expect("units lock") = (unit, Some(total));
    }

    pub fn progress(&self) -> ReadProgress {
        let (unit, total) = *self.units.lock().expect("units lock");
        let prefix = format!("{} ", unit.action());
        let done = self
            .lock()
            .iter()
            .filter(|(key, listing)| key.starts_with(&prefix) && listing.complete)
            .count();
        ReadProgress { unit, done, total }
    }

    /// Where the listing `key` stands: its pages so far (typed), and whether it is complete.
    pub fn resume<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<(PagesSoFar<T>, bool), AwsError> {
        let listings = self.lock();
        let Some(listing) = listings.get(key) else {
            return Ok((PagesSoFar::default(), false));
        };
        let items = listing
            .items
            .iter()
            .map(|v| serde_json::from_value(v.clone()))
            .collect::<Result<Vec<T>, _>>()
            .map_err(|e| {
                AwsError::Other(format!(
                    "the checkpoint's listing {key:?} does not hold what this version reads: {e}"
                ))
            })?;
        let pages = PagesSoFar {
            items,
            next_token: listing.next_token.clone(),
        };
        Ok((pages, listing.complete))
    }

    /// Forgets a listing, so that it is read again from its first page.
    pub fn restart(&self, key: &str) {
        self.lock().remove(key);
    }

    fn out_of_time(&self) -> bool {
        let past = self.deadline.is_some_and(|d| Instant::now() >= d);
        past && self.pages_read.load(Ordering::SeqCst) > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Listing>> {
        self.listings.lock().expect("journal lock")
    }
}

/// The hooks that keep one listing in the journal and stop it at the deadline.
pub(crate) struct Recorder<'a> {
    pub journal: &'a Journal,
    pub key: &'a str,
    pub action: &'static str,
    pub resource: &'a str,
}

impl<T: Serialize> PageHooks<T> for Recorder<'_> {
    fn before_page(&mut self) -> Result<(), AwsError> {
        if self.journal.out_of_time() {
            return Err(AwsError::OutOfTime {
                action: self.action,
                resource: self.resource.to_owned(),
            });
        }
        Ok(())
    }

    fn after_page(&mut self, items: &[T], next_token: Option<&str>) -> Result<(), AwsError> {
        let values = items
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AwsError::Other(format!("cannot record {}: {e}", self.key)))?;
        let mut listings = self.journal.lock();
        let listing = listings.entry(self.key.to_owned()).or_default();
        listing.items.extend(values);
        listing.next_token = next_token.map(str::to_owned);
        listing.complete = next_token.is_none();
        self.journal.pages_read.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::paginate_from;

    async fn list_three(journal: &Journal) -> Result<Vec<u32>, AwsError> {
        let key = "x:List r";
        let (start, complete) = journal.resume::<u32>(key)?;
        if complete {
            return Ok(start.items);
        }
        let mut recorder = Recorder {
            journal,
            key,
            action: "x:List",
            resource: "r",
        };
        paginate_from("x:List", "r", start, &mut recorder, |token| async move {
            Ok(match token.as_deref() {
                None => (vec![1], Some("a".to_owned())),
                Some("a") => (vec![2], Some("b".to_owned())),
                Some("b") => (vec![3], None),
                _ => unreachable!(),
            })
        })
        .await
    }

    #[tokio::test]
    async fn a_listing_goes_on_from_its_cursor() {
        let journal = Journal::new(
            BTreeMap::from([(
                "x:List r".to_owned(),
                Listing {
                    items: vec![serde_json::json!(1)],
                    next_token: Some("a".into()),
                    complete: false,
                },
            )]),
            None,
        );
        assert_eq!(list_three(&journal).await.unwrap(), vec![1, 2, 3]);
        assert!(journal.listings()["x:List r"].complete);
        assert_eq!(list_three(&journal).await.unwrap(), vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn past_the_deadline_a_run_reads_one_page_then_stops() {
        let journal = Journal::new(BTreeMap::new(), Some(Instant::now()));
        let error = list_three(&journal).await.unwrap_err();
        assert!(matches!(error, AwsError::OutOfTime { .. }));
        assert_eq!(
            journal.listings()["x:List r"].items,
            vec![serde_json::json!(1)]
        );
        let next_run = Journal::new(journal.listings(), Some(Instant::now()));
        assert!(list_three(&next_run).await.is_err());
        assert_eq!(next_run.listings()["x:List r"].items.len(), 2);
    }

    #[test]
    fn progress_counts_complete_units() {
        let done = Listing {
            complete: true,
            ..Listing::default()
        };
        let journal = Journal::new(
            BTreeMap::from([
                (
                    "sso:ListAccountAssignments account 1, ps a".into(),
                    done.clone(),
                ),
                (
                    "sso:ListAccountAssignments account 2, ps a".into(),
                    Listing::default(),
                ),
                ("sso:ListAccountAssignmentsForPrincipal u-1".into(), done),
            ]),
            None,
        );
        journal.expect_units(Unit::Pairs, 5);
        assert_eq!(
            journal.progress().to_string(),
            "1 of 5 (account, permission set) pairs read"
        );
    }
}
