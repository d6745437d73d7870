//! The generator and the report engine must agree: the truth the generator planned
//! (`expected.json`) is what the report engine finds in the tree it wrote. The generator
//! computes its truth from its plan, never by reading events, so the two are independent.

use idc_credential_report::evidence::logs::LogsOptions;
use idc_credential_report::evidence::{EvidenceSource, Window};
use idc_credential_report::output::format_time;
use idc_credential_report::pipeline::{run, DirectorySource, NoProgress, ReportRequest};
use idc_credential_report::report::UserState;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A generated tree in the temporary folder, removed when dropped (also on failure).
struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn generate(seed: u64, name: &str, extra: &[&str]) -> Tree {
    let out = std::env::temp_dir().join(format!("idc-synth-test-{}-{name}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_idc-synth"))
        .args(["--seed", &seed.to_string(), "--force", "--out"])
        .arg(&out)
        .args(extra)
        .status()
        .expect("idc-synth runs");
    assert!(status.success());
    Tree(out)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn time(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, |s| json!(format_time(s)))
}

/// Runs the report engine on a generated tree and restates its answer in expected.json's shape.
fn report_as_expected(out: &Path, expected: &Value) -> Value {
    let as_of = expected["as_of"].as_str().unwrap().parse().unwrap();
    let window = Window::new(as_of, expected["lookback_days"].as_u64().unwrap() as u32).unwrap();
    let request = ReportRequest {
        directory: DirectorySource::SnapshotFile(out.join("snapshot.json")),
        evidence: EvidenceSource::CloudTrailLogs {
            root: out.join("logs"),
            options: LogsOptions::default(),
        },
        window,
        inactive_days: 90,
        review: Default::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let generated = runtime
        .block_on(run(&request, std::sync::Arc::new(NoProgress)))
        .expect("the report runs");
    let mut uses = BTreeMap::new();
    let mut portal = BTreeMap::new();
    for row in generated
        .report
        .rows
        .iter()
        .filter(|r| r.user_state == UserState::Found)
    {
        if row.last_used().is_some() {
            let key = (
                row.user_id.clone(),
                row.account_id.clone(),
                row.permission_set_name.clone(),
            );
            uses.insert(key, (row.last_console_use, row.last_cli_use));
        }
        if let Some(t) = row.last_portal_sign_in {
            portal.insert(row.user_id.clone(), t);
        }
    }
    json!({
        "uses": uses.into_iter().map(|((u, a, p), (console, cli))| json!({
            "user_id": u, "account_id": a, "permission_set_name": p,
            "last_console_use": time(console), "last_cli_use": time(cli)})).collect::<Vec<_>>(),
        "portal_sign_ins": portal.into_iter().map(|(u, t)| json!({"user_id": u, "last_portal_sign_in": time(Some(t))})).collect::<Vec<_>>(),
        "uses_without_assignment": generated.manifest.attribution.uses_without_assignment,
        "uses_without_assignment_examples": generated.manifest.attribution.uses_without_assignment_examples,
    })
}

/// expected.json, restricted to what the report can show: portal sign-ins appear only for
/// users with at least one row.
fn expected_as_reported(expected: &Value, users_with_rows: &BTreeSet<String>) -> Value {
    let without: Vec<&str> = expected["uses_without_assignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    json!({
        "uses": expected["uses"],
        "portal_sign_ins": expected["portal_sign_ins"].as_array().unwrap().iter()
            .filter(|p| users_with_rows.contains(p["user_id"].as_str().unwrap())).cloned().collect::<Vec<_>>(),
        "uses_without_assignment": without.len(),
        "uses_without_assignment_examples": without.iter().take(10).collect::<Vec<_>>(),
    })
}

fn users_with_rows(snapshot: &Value) -> BTreeSet<String> {
    let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in snapshot["groups"].as_array().unwrap() {
        let ids = g["member_user_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        members.insert(g["group_id"].as_str().unwrap(), ids);
    }
    let mut users = BTreeSet::new();
    for a in snapshot["assignments"].as_array().unwrap() {
        let id = a["principal_id"].as_str().unwrap();
        match a["principal_type"].as_str().unwrap() {
            "USER" => {
                users.insert(id.to_owned());
            }
            _ => users.extend(members.get(id).into_iter().flatten().map(|s| s.to_string())),
        }
    }
    users
}

fn assert_report_finds_the_plan(out: &Path) {
    let expected = read_json(&out.join("expected.json"));
    let users = users_with_rows(&read_json(&out.join("snapshot.json")));
    assert!(
        !expected["uses"].as_array().unwrap().is_empty(),
        "the plan has uses"
    );
    assert_eq!(
        report_as_expected(out, &expected),
        expected_as_reported(&expected, &users)
    );
}

#[test]
fn the_report_finds_what_the_generator_planned() {
    for seed in [1, 2, 3] {
        let tree = generate(seed, &format!("default-{seed}"), &[]);
        assert_report_finds_the_plan(&tree.0);
    }
}

#[test]
fn across_the_format_change_and_in_old_formats_only() {
    let tree = generate(
        7,
        "2025",
        &["--as-of", "2025-09-01T00:00:00Z", "--days", "200"],
    );
    assert_report_finds_the_plan(&tree.0);
    let tree = generate(8, "old", &["--old-format-share", "1"]);
    assert_report_finds_the_plan(&tree.0);
}

#[test]
fn the_realistic_shape_keeps_the_truth() {
    let tree = generate(5, "realistic", &["--assignment-shape", "realistic"]);
    assert_report_finds_the_plan(&tree.0);
    let tree = generate(
        6,
        "realistic-mid",
        &[
            "--assignment-shape",
            "realistic",
            "--accounts",
            "60",
            "--permission-sets",
            "25",
            "--users",
            "300",
            "--groups",
            "30",
            "--assignments",
            "1500",
        ],
    );
    assert_report_finds_the_plan(&tree.0);
}

/// The directory benchmark's organization: its enumeration cost is decided by the distinct
/// (account, permission set) pairs, which must be few, as in a real organization.
#[test]
fn the_benchmark_org_is_concentrated_and_snapshot_only() {
    let tree = generate(
        1,
        "benchmark",
        &[
            "--accounts",
            "500",
            "--permission-sets",
            "100",
            "--users",
            "5000",
            "--groups",
            "300",
            "--assignments",
            "20000",
            "--assignment-shape",
            "realistic",
            "--no-logs",
        ],
    );
    assert!(!tree.0.join("logs").exists() && !tree.0.join("expected.json").exists());
    let snapshot = read_json(&tree.0.join("snapshot.json"));
    let listed = snapshot["assignments"].as_array().unwrap();
    let distinct: BTreeSet<String> = listed.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        (listed.len(), distinct.len()),
        (20_000, 19_999),
        "one listed twice"
    );
    let pairs: BTreeSet<(&str, &str)> = listed
        .iter()
        .map(|a| {
            let field = |key: &str| a[key].as_str().unwrap();
            (field("account_id"), field("permission_set_arn"))
        })
        .collect();
    assert!(
        (2_000..=3_500).contains(&pairs.len()),
        "{} pairs",
        pairs.len()
    );
    let to_groups = listed
        .iter()
        .filter(|a| a["principal_type"] == "GROUP")
        .count();
    let share = to_groups as f64 / listed.len() as f64;
    assert!((0.80..=0.90).contains(&share), "{share} to groups");
    assert_memberships(&snapshot);
}

/// The top of the range's shape, small: Control Tower's six sets on every account (held by
/// its six groups), every other set on a few accounts, and the truth still found.
#[test]
fn the_control_tower_shape_lands_six_sets_everywhere() {
    let org = [
        "--assignment-shape",
        "control-tower",
        "--accounts",
        "40",
        "--permission-sets",
        "30",
        "--users",
        "300",
        "--groups",
        "30",
        "--assignments",
        "600",
    ];
    let tree = generate(9, "control-tower", &org);
    assert_report_finds_the_plan(&tree.0);
    let snapshot = read_json(&tree.0.join("snapshot.json"));
    let sets = snapshot["permission_sets"].as_array().unwrap();
    let names: Vec<&str> = sets.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names[..7],
        [
            "AWSAdministratorAccess",
            "AWSPowerUserAccess",
            "AWSReadOnlyAccess",
            "AWSOrganizationsFullAccess",
            "AWSServiceCatalogAdminFullAccess",
            "AWSServiceCatalogEndUserAccess",
            "Team01Developer",
        ]
    );
    let mut accounts_per_set: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in snapshot["assignments"].as_array().unwrap() {
        accounts_per_set
            .entry(a["permission_set_arn"].as_str().unwrap())
            .or_default()
            .insert(a["account_id"].as_str().unwrap());
    }
    for (i, set) in sets.iter().enumerate() {
        let on = accounts_per_set[set["arn"].as_str().unwrap()].len();
        match i < 6 {
            true => assert_eq!(on, 40, "{} on every account", names[i]),
            false => assert!((1..=10).contains(&on), "{} on {on} accounts", names[i]),
        }
    }
    assert_memberships(&snapshot);
    let refused = Command::new(env!("CARGO_BIN_EXE_idc-synth"))
        .args(["--seed", "1", "--no-logs", "--out"])
        .arg(tree.0.join("refused"))
        .args(["--assignment-shape", "control-tower", "--groups", "7"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("and 8 groups"));
}

/// Every user in one to three groups; every group has members but the last, empty on purpose.
fn assert_memberships(snapshot: &Value) {
    let groups = snapshot["groups"].as_array().unwrap();
    let mut per_user: BTreeMap<&str, usize> = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["user_id"].as_str().unwrap(), 0))
        .collect();
    for (i, g) in groups.iter().enumerate() {
        let members = g["member_user_ids"].as_array().unwrap();
        assert_eq!(members.is_empty(), i + 1 == groups.len(), "group {i}");
        for m in members {
            *per_user.get_mut(m.as_str().unwrap()).expect("a known user") += 1;
        }
    }
    assert!(per_user.values().all(|n| (1..=3).contains(n)));
}

#[test]
fn the_committed_example_is_current() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/small");
    assert_report_finds_the_plan(&example);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let a = generate(11, "same-a", &["--users", "30", "--noise-per-day", "5"]);
    let b = generate(11, "same-b", &["--users", "30", "--noise-per-day", "5"]);
    let files = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        for entry in walk(root) {
            out.push((
                entry.strip_prefix(root).unwrap().to_owned(),
                std::fs::read(&entry).unwrap(),
            ));
        }
        out.sort();
        out
    };
    assert!(files(&a.0) == files(&b.0), "two runs with one seed differ");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
