//! idc-synth: a synthetic Identity Center organization, its CloudTrail log tree, and the
//! answer a correct credential report must give for it.
//!
//! Real trails cannot be shared and never come with the truth, so tests and benchmarks use
//! this instead. The output is deterministic in the arguments: the same seed gives the same
//! bytes, however many threads write it.
//!
//! - `snapshot.json`: the directory (accounts, permission sets, users, groups, assignments);
//! - `logs/`: the trail, with genuine uses in every `userIdentity` format and many events that
//!   must not count, and some access changes (grants, group memberships);
//! - `expected.json`: the last uses inside the window, computed from the plan.
//!
//! `--no-logs` writes the snapshot alone, quickly, for benchmarks of the directory
//! enumeration that need a big organization and no trail.

mod access;
mod control_tower;
mod events;
mod expected;
mod grants;
mod json;
mod names;
mod noise;
mod org;
mod plan;
mod shape;
mod writer;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use clap::Parser;
use json::derive_rng;
use shape::{AssignmentShape, ShapeStats};
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const SALT_ORG: u64 = 0x6f72_6700;
const SALT_PLAN: u64 = 0x706c_6e00;
const SALT_NOISE_WORLD: u64 = 0x776f_726c;
const SALT_ACCESS: u64 = 0x6163_6365;

/// Makes a synthetic Identity Center organization, its CloudTrail logs and the expected report.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Seed for everything; the same arguments give byte-identical output.
    #[arg(long)]
    seed: u64,
    /// Output folder: snapshot.json, expected.json, logs/.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 20)]
    accounts: usize,
    #[arg(long, default_value_t = 8)]
    permission_sets: usize,
    #[arg(long, default_value_t = 60)]
    users: usize,
    #[arg(long, default_value_t = 6)]
    groups: usize,
    /// Assignments in the snapshot, counting the one listed twice.
    #[arg(long, default_value_t = 150)]
    assignments: usize,
    /// How assignments spread: at random, or concentrated as in real organizations (few
    /// permission sets per account, mostly to groups, every user in 1-3 groups).
    #[arg(long, value_enum, default_value_t = AssignmentShape::Uniform)]
    assignment_shape: AssignmentShape,
    /// The end of the window, and the snapshot's capture time.
    #[arg(long, default_value = "2026-11-22T00:00:00Z")]
    as_of: DateTime<Utc>,
    /// The window is [as-of - lookback-days, as-of].
    #[arg(long, default_value_t = 90)]
    lookback_days: u32,
    /// How many days of activity before as-of to generate (some of it before the window).
    #[arg(long, default_value_t = 120)]
    days: u32,
    /// Background (non-Identity Center) events per day.
    #[arg(long, default_value_t = 2)]
    noise_per_day: u64,
    /// Add background events until the logs hold this many uncompressed bytes.
    #[arg(long, conflicts_with = "no_logs")]
    target_bytes: Option<u64>,
    /// Share of genuine uses written in an older userIdentity format whatever their date.
    #[arg(long, default_value_t = 0.3)]
    old_format_share: f64,
    /// Replace an existing <out>/logs folder (and, with --no-logs, remove it and expected.json).
    #[arg(long)]
    force: bool,
    /// Write snapshot.json only: no logs, no expected.json (directory benchmarks).
    #[arg(long)]
    no_logs: bool,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idc-synth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    validate(args)?;
    let logs = prepare_out(&args.out, args.force, !args.no_logs)?;
    let as_of = args.as_of.trunc_subsecs(0);
    let cfg = plan::PlanConfig {
        as_of: as_of.timestamp(),
        window_start: (as_of - Duration::days(args.lookback_days.into())).timestamp(),
        history_start: (as_of - Duration::days(args.days.into())).timestamp(),
        old_format_share: args.old_format_share,
    };
    let org = org::build(
        &org::OrgParams {
            accounts: args.accounts,
            permission_sets: args.permission_sets,
            users: args.users,
            groups: args.groups,
            assignments: args.assignments,
            shape: args.assignment_shape,
            as_of: cfg.as_of,
            window_start: cfg.window_start,
            for_logs: !args.no_logs,
        },
        &mut derive_rng(args.seed, SALT_ORG, 0),
    );
    write_json(&args.out.join("snapshot.json"), &org.snapshot)?;
    eprintln!("idc-synth: {}", ShapeStats::of(&org.snapshot));
    let Some(logs) = logs else {
        eprintln!(
            "idc-synth: snapshot only, {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    };
    let mut plan = plan::build(&org, &cfg, derive_rng(args.seed, SALT_PLAN, 0));
    plan.placed.extend(access::plan(
        &org,
        &cfg,
        &mut derive_rng(args.seed, SALT_ACCESS, 0),
    ));
    let expected = expected::compute(&org, &plan.uses, &cfg, args.lookback_days);
    write_json(&args.out.join("expected.json"), &expected)?;

    let noise = noise::NoiseWorld::new(&org, &mut derive_rng(args.seed, SALT_NOISE_WORLD, 0));
    let writer = writer::LogWriter {
        root: logs,
        org: &org,
        cfg: &cfg,
        noise: &noise,
        seed: args.seed,
    };
    let totals = write_logs(&writer, &plan, args)?;
    eprintln!(
        "idc-synth: {} files, {} events, {} bytes uncompressed ({} compressed), {} expected uses, {:.1} s",
        totals.files,
        totals.events,
        totals.bytes,
        totals.compressed,
        expected.uses.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn validate(args: &Args) -> Result<(), String> {
    let checks = [
        (
            args.accounts >= 2,
            "--accounts must be at least 2 (management and a member)",
        ),
        (
            args.permission_sets >= 1,
            "--permission-sets must be at least 1",
        ),
        (args.users >= 1, "--users must be at least 1"),
        (args.groups >= 1, "--groups must be at least 1"),
        (args.assignments >= 1, "--assignments must be at least 1"),
        (
            (1..=3653).contains(&args.lookback_days),
            "--lookback-days must be between 1 and 3653",
        ),
        (
            (1..=3653).contains(&args.days),
            "--days must be between 1 and 3653",
        ),
        (
            (0.0..=1.0).contains(&args.old_format_share),
            "--old-format-share must be between 0 and 1",
        ),
    ];
    if let Some((_, message)) = checks.iter().find(|(ok, _)| !ok) {
        return Err(message.to_string());
    }
    let (sets, groups) = (
        control_tower::MIN_PERMISSION_SETS,
        control_tower::MIN_GROUPS,
    );
    if args.assignment_shape == AssignmentShape::ControlTower
        && (args.permission_sets < sets || args.groups < groups)
    {
        return Err(format!(
            "--assignment-shape control-tower needs at least {sets} permission sets \
             (its six and a team's) and {groups} groups (its six, a team's, an empty one)"
        ));
    }
    Ok(())
}

/// Creates `out` and clears what an earlier run left in it, so that a folder never pairs a new
/// snapshot with another organization's logs or truth. Returns the empty logs folder to fill,
/// or `None` when writing the snapshot alone.
fn prepare_out(out: &Path, force: bool, with_logs: bool) -> Result<Option<PathBuf>, String> {
    let logs = out.join("logs");
    let expected = out.join("expected.json");
    let stale: Vec<&PathBuf> = match with_logs {
        true => vec![&logs],
        false => vec![&logs, &expected],
    };
    for path in stale.into_iter().filter(|p| p.exists()) {
        if !force {
            return Err(format!(
                "{} already exists; remove it or pass --force",
                path.display()
            ));
        }
        let removed = match path.is_dir() {
            true => fs::remove_dir_all(path),
            false => fs::remove_file(path),
        };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    let made = if with_logs { &logs } else { out };
    fs::create_dir_all(made).map_err(|e| format!("cannot create {}: {e}", made.display()))?;
    Ok(with_logs.then_some(logs))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), String> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?;
    text.push(b'\n');
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The planned events, then noise: `--noise-per-day`, or up to `--target-bytes`.
fn write_logs(
    writer: &writer::LogWriter,
    plan: &plan::Plan,
    args: &Args,
) -> Result<writer::Totals, String> {
    let io = |e: std::io::Error| format!("cannot write the logs: {e}");
    let mut totals = writer.write_planned(plan).map_err(io)?;
    let base = args.noise_per_day * u64::from(args.days);
    let Some(target) = args.target_bytes else {
        return Ok(totals + writer.write_noise(base, 0).map_err(io)?);
    };
    let average = writer.average_noise_event();
    let needed = |have: u64| (target.saturating_sub(have) as f64 / average * 1.01).ceil() as u64;
    totals = totals
        + writer
            .write_noise(base.max(needed(totals.bytes)), 0)
            .map_err(io)?;
    let mut round = 1;
    while totals.bytes < target {
        totals = totals
            + writer
                .write_noise(needed(totals.bytes).max(1), round)
                .map_err(io)?;
        round += 1;
    }
    Ok(totals)
}
