//! The log tree, laid out as an organization trail delivers it to S3:
//! `AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz`.
//!
//! Every file is a job with its own random stream (seed, kind, index), so the jobs run in
//! parallel and the tree is the same byte for byte on every run. The planned events (a few
//! thousand) go to one file per account, region and day (second deliveries to files of their
//! own); noise fills files of about 2.5 MB.

use crate::json::{chars, derive_rng, format_time, pick, ALNUM};
use crate::noise::NoiseWorld;
use crate::org::{Org, HOME_REGION};
use crate::plan::{Plan, PlanConfig};
use flate2::write::GzEncoder;
use flate2::Compression;
use rand::rngs::SmallRng;
use rand::Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// About 2.5 MB uncompressed.
const EVENTS_PER_NOISE_FILE: u64 = 2000;
const MIN_EVENTS_PER_NOISE_FILE: u64 = 25;
const DAY: i64 = 86_400;
const SLOT: i64 = 300;

const SALT_PLANNED: u64 = 0x706c_616e;
const SALT_NOISE: u64 = 0x6e6f_6973;
const SALT_LAYOUT: u64 = 0x6c61_796f;
const SALT_SAMPLE: u64 = 0x7361_6d70;

#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub files: u64,
    pub events: u64,
    pub bytes: u64,
    pub compressed: u64,
}

impl std::ops::Add for Totals {
    type Output = Totals;
    fn add(self, other: Totals) -> Totals {
        Totals {
            files: self.files + other.files,
            events: self.events + other.events,
            bytes: self.bytes + other.bytes,
            compressed: self.compressed + other.compressed,
        }
    }
}

/// A batch of background events: `count` events of one account and region within five minutes.
struct NoiseJob {
    account: usize,
    region: &'static str,
    start: i64,
    count: u64,
}

pub struct LogWriter<'a> {
    /// `<out>/logs`.
    pub root: PathBuf,
    pub org: &'a Org,
    pub cfg: &'a PlanConfig,
    pub noise: &'a NoiseWorld,
    pub seed: u64,
}

impl LogWriter<'_> {
    fn trail_dir(&self, account: &str) -> PathBuf {
        self.root
            .join("AWSLogs")
            .join(&self.org.org_id)
            .join(account)
    }

    /// The path of a delivered file, named after its delivery time.
    fn log_path(
        &self,
        account: usize,
        region: &str,
        delivered: i64,
        rng: &mut SmallRng,
    ) -> PathBuf {
        let account = self.org.account_id(account);
        let t = format_time(delivered);
        let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
        let stamp = format!("{y}{m}{d}T{}{}Z", &t[11..13], &t[14..16]);
        let name = format!(
            "{account}_CloudTrail_{region}_{stamp}_{}.json.gz",
            chars(rng, ALNUM, 16)
        );
        self.trail_dir(account)
            .join("CloudTrail")
            .join(region)
            .join(y)
            .join(m)
            .join(d)
            .join(name)
    }

    /// Writes the planned events, the plain `.json` export and the digest folder.
    pub fn write_planned(&self, plan: &Plan) -> io::Result<Totals> {
        let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
        for (i, p) in plan.placed.iter().enumerate().filter(|(_, p)| !p.plain) {
            let day = p.place_time.div_euclid(DAY);
            groups
                .entry((p.account, p.region, day, p.redelivered))
                .or_default()
                .push(i);
        }
        let jobs: Vec<_> = groups.into_iter().collect();
        let totals = jobs
            .par_iter()
            .enumerate()
            .map(|(index, ((account, region, _, _), events))| {
                let mut rng = derive_rng(self.seed, SALT_PLANNED, index as u64);
                let mut events = events.clone();
                events.sort_by_key(|&i| (plan.placed[i].event_time, i));
                let records = records(events.iter().map(|&i| plan.placed[i].json.as_slice()));
                let last = events
                    .iter()
                    .map(|&i| plan.placed[i].place_time)
                    .max()
                    .unwrap_or_default();
                let path =
                    self.log_path(*account, region, last + rng.gen_range(300..900), &mut rng);
                write_gzip(&path, &records, events.len() as u64)
            })
            .try_reduce(Totals::default, |a, b| Ok(a + b))?;
        Ok(totals + self.write_plain(plan)? + self.write_digest()?)
    }

    /// A single event as its own `.json` file (not a `Records` list), as exported by hand.
    fn write_plain(&self, plan: &Plan) -> io::Result<Totals> {
        let mut totals = Totals::default();
        for p in plan.placed.iter().filter(|p| p.plain) {
            let dir = self.root.join("exported");
            fs::create_dir_all(&dir)?;
            let mut json = p.json.clone();
            json.push(b'\n');
            let path = dir.join(format!(
                "event-{}.json",
                format_time(p.event_time).replace(':', "")
            ));
            fs::write(&path, &json)?;
            totals = totals
                + Totals {
                    files: 1,
                    events: 1,
                    bytes: json.len() as u64,
                    compressed: json.len() as u64,
                };
        }
        Ok(totals)
    }

    /// A digest file that is not even gzip: the reader must skip `CloudTrail-Digest`.
    fn write_digest(&self) -> io::Result<Totals> {
        let mgmt = self.org.mgmt();
        let t = format_time(self.cfg.as_of);
        let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
        let dir = self
            .trail_dir(mgmt)
            .join("CloudTrail-Digest")
            .join(HOME_REGION)
            .join(y)
            .join(m)
            .join(d);
        fs::create_dir_all(&dir)?;
        let stamp = format!("{y}{m}{d}T{}{}{}Z", &t[11..13], &t[14..16], &t[17..19]);
        let name = format!(
            "{mgmt}_CloudTrail-Digest_{HOME_REGION}_org-trail_{HOME_REGION}_{stamp}.json.gz"
        );
        fs::write(
            dir.join(name),
            b"not gzip: a stand-in for a CloudTrail digest file\n",
        )?;
        Ok(Totals::default())
    }

    /// The average size of a noise event, from a fixed sample.
    pub fn average_noise_event(&self) -> f64 {
        let mut rng = derive_rng(self.seed, SALT_SAMPLE, 0);
        let mut out = Vec::new();
        const SAMPLE: usize = 2000;
        for _ in 0..SAMPLE {
            let account = rng.gen_range(0..self.org.snapshot.accounts.len());
            let region = pick(&mut rng, &self.org.regions[account]);
            self.noise
                .write_event(&mut out, &mut rng, account, region, self.cfg.as_of);
            out.push(b',');
        }
        out.len() as f64 / SAMPLE as f64
    }

    /// Writes `count` noise events spread evenly over the history, as batch `round`.
    pub fn write_noise(&self, count: u64, round: u64) -> io::Result<Totals> {
        let jobs = self.noise_jobs(count, round);
        jobs.par_iter()
            .enumerate()
            .map(|(index, job)| {
                let mut rng = derive_rng(self.seed, SALT_NOISE ^ (round << 32), index as u64);
                let mut times: Vec<i64> = (0..job.count)
                    .map(|_| job.start + rng.gen_range(0..SLOT))
                    .collect();
                times.sort_unstable();
                let mut records = Vec::with_capacity(job.count as usize * 1400 + 16);
                records.extend_from_slice(b"{\"Records\":[");
                for (i, &time) in times.iter().enumerate() {
                    if i > 0 {
                        records.push(b',');
                    }
                    self.noise
                        .write_event(&mut records, &mut rng, job.account, job.region, time);
                }
                records.extend_from_slice(b"]}");
                let delivered = job.start + SLOT + rng.gen_range(60..600);
                let path = self.log_path(job.account, job.region, delivered, &mut rng);
                write_gzip(&path, &records, job.count)
            })
            .try_reduce(Totals::default, |a, b| Ok(a + b))
    }

    /// Files of up to [`EVENTS_PER_NOISE_FILE`] events, spread evenly over the days of the
    /// history: a file a day or more, unless that would leave fewer than
    /// [`MIN_EVENTS_PER_NOISE_FILE`] events in a file (small trees compress better in few files).
    fn noise_jobs(&self, count: u64, round: u64) -> Vec<NoiseJob> {
        let mut rng = derive_rng(self.seed, SALT_LAYOUT, round);
        let days = ((self.cfg.as_of - self.cfg.history_start) / DAY).max(1);
        let daily = (count / MIN_EVENTS_PER_NOISE_FILE).min(days as u64);
        let files = count.div_ceil(EVENTS_PER_NOISE_FILE).max(daily);
        let accounts = self.org.snapshot.accounts.len();
        (0..files)
            .map(|file| {
                let day = (file as i64 * days) / files as i64;
                let account = rng.gen_range(0..accounts);
                let slot =
                    (self.cfg.history_start + day * DAY + rng.gen_range(0..DAY)) / SLOT * SLOT;
                NoiseJob {
                    account,
                    region: pick(&mut rng, &self.org.regions[account]),
                    start: slot.min(self.cfg.as_of - SLOT),
                    count: count / files + u64::from(file < count % files),
                }
            })
            .collect()
    }
}

/// `{"Records":[...]}` around already serialized events.
fn records<'e>(events: impl Iterator<Item = &'e [u8]>) -> Vec<u8> {
    let mut out = b"{\"Records\":[".to_vec();
    for (i, event) in events.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(event);
    }
    out.extend_from_slice(b"]}");
    out
}

fn write_gzip(path: &Path, json: &[u8], events: u64) -> io::Result<Totals> {
    let dir = path.parent().expect("log paths have a folder");
    fs::create_dir_all(dir)?;
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(256 * 1024, file),
        Compression::fast(),
    );
    gz.write_all(json)?;
    let mut file = gz.finish()?;
    file.flush()?;
    let compressed = file.get_ref().metadata()?.len();
    Ok(Totals {
        files: 1,
        events,
        bytes: json.len() as u64,
        compressed,
    })
}
