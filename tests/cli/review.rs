//! The review: the difference from a previous report (each kind of change, and the refusal of
//! a previous report that does not match its manifest), accepted exceptions (ACCEPTED rows,
//! kept out of the plan, expired and unmatched exceptions warned about), and bad inputs.

use crate::util::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const EARLIER: &str = "2026-10-15T00:00:00Z";

/// The example's snapshot, with one assignment gone, one new, and an ENABLED user disabled.
fn changed_example(s: &Scratch) -> (std::path::PathBuf, Value) {
    let mut snapshot = read_json(&example().join("snapshot.json"));
    let assignments = snapshot["assignments"].as_array_mut().unwrap();
    let removed = assignments
        .iter()
        .position(|a| a["principal_type"] == "USER")
        .unwrap();
    let gone = assignments.remove(removed);
    let mut added = gone.clone();
    let other_set = (snapshot["permission_sets"].as_array().unwrap().iter())
        .map(|p| p["arn"].clone())
        .find(|arn| *arn != gone["permission_set_arn"])
        .unwrap();
    added["permission_set_arn"] = other_set;
    added["account_id"] = json!("111122223333");
    snapshot["assignments"].as_array_mut().unwrap().push(added);
    let disabled = (snapshot["users"].as_array_mut().unwrap().iter_mut())
        .find(|u| u["status"] == "ENABLED")
        .unwrap();
    disabled["status"] = json!("DISABLED");
    let path = s.path("changed-snapshot.json");
    std::fs::write(&path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    (path, gone)
}

fn kinds(path: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in read_rows(path) {
        *counts.entry(row["change"].clone()).or_default() += 1;
    }
    counts
}

#[test]
fn two_reports_of_the_example_give_every_kind_of_change() {
    let s = Scratch::new();
    let before = s.path("before/report.csv");
    example_report(&before, EARLIER, &[]);
    let (snapshot, gone) = changed_example(&s);
    let after = s.path("after/report.csv");
    let previous = before.display().to_string();
    assert_success(&generate_example(
        &snapshot,
        AS_OF,
        &after,
        &["--previous-report", &previous],
    ));

    let diff = kinds(&s.path("after/report.diff.csv"));
    for kind in [
        "added",
        "removed",
        "became_unused",
        "became_used",
        "user_status_changed",
    ] {
        assert!(
            diff.get(kind).is_some_and(|n| *n > 0),
            "no {kind}: {diff:?}"
        );
    }
    let rows = read_rows(&s.path("after/report.diff.csv"));
    let removed: Vec<&Row> = rows.iter().filter(|r| r["change"] == "removed").collect();
    assert!(removed
        .iter()
        .any(|r| r["user_id"] == gone["principal_id"].as_str().unwrap()
            && r["account_id"] == gone["account_id"].as_str().unwrap()
            && r["usage_status"].is_empty()
            && !r["previous_usage_status"].is_empty()));
    assert!(rows
        .iter()
        .filter(|r| r["change"] == "added")
        .all(|r| r["account_id"] == "111122223333" && r["previous_usage_status"].is_empty()));
    for row in rows.iter().filter(|r| r["change"] == "became_unused") {
        assert_eq!(row["usage_status"], "UNUSED");
        assert_ne!(row["previous_usage_status"], "UNUSED");
    }
    for row in rows.iter().filter(|r| r["change"] == "user_status_changed") {
        assert_eq!(
            (
                row["previous_user_status"].as_str(),
                row["user_status"].as_str()
            ),
            ("ENABLED", "DISABLED")
        );
    }
    let users = kinds(&s.path("after/report.users.diff.csv"));
    for kind in ["activity_status_changed", "user_status_changed"] {
        assert!(
            users.get(kind).is_some_and(|n| *n > 0),
            "no user {kind}: {users:?}"
        );
    }

    let manifest = read_json(&s.path("after/report.manifest.json"));
    let review = &manifest["review"];
    assert_eq!(review["previous"]["as_of"], EARLIER);
    assert_eq!(review["previous"]["report"], previous);
    let before_manifest = read_json(&s.path("before/report.manifest.json"));
    assert_eq!(
        review["previous"]["report_sha256"],
        before_manifest["report"]["sha256"]
    );
    for (kind, count) in &diff {
        assert_eq!(review["diff"]["by_change"][kind], json!(count), "{kind}");
    }
    assert_eq!(review["diff"]["rows"], json!(rows.len()));
    assert_eq!(review["diff"]["file"], "report.diff.csv");
}

#[test]
fn a_previous_report_that_does_not_verify_is_refused_and_nothing_is_written() {
    let s = Scratch::new();
    let before = s.path("before/report.csv");
    example_report(&before, EARLIER, &[]);
    let after = s.path("after/report.csv");
    let previous = before.display().to_string();

    let later = s.path("later/report.csv");
    example_report(&later, AS_OF, &[]);
    let out = generate_example(
        &example().join("snapshot.json"),
        EARLIER,
        &after,
        &["--previous-report", &later.display().to_string()],
    );
    assert_fails_with(&out, "not before this report's");

    let mut csv = std::fs::read_to_string(&before).unwrap();
    csv = csv.replacen("UNUSED", "USED", 1);
    std::fs::write(&before, csv).unwrap();
    let out = generate_example(
        &example().join("snapshot.json"),
        AS_OF,
        &after,
        &["--previous-report", &previous],
    );
    assert_fails_with(&out, "changed after the report was made");
    assert!(
        !after.exists(),
        "no report is written from a refused comparison"
    );

    std::fs::remove_file(s.path("before/report.manifest.json")).unwrap();
    let out = generate_example(
        &example().join("snapshot.json"),
        AS_OF,
        &after,
        &["--previous-report", &previous],
    );
    assert_fails_with(&out, "nothing proves how the report was made");
}

#[test]
fn the_report_set_never_overwrites_the_previous_report_or_the_exceptions() {
    let s = Scratch::new();
    let report = s.path("out/report.csv");
    example_report(&report, EARLIER, &[]);
    let before = std::fs::read(&report).unwrap();
    let path = report.display().to_string();
    let out = generate_example(
        &example().join("snapshot.json"),
        AS_OF,
        &report,
        &["--previous-report", &path],
    );
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&report).unwrap(), before);
}

/// An exceptions file: the first line's row accepted, the second's expired, the third unmatched.
fn exceptions_for(s: &Scratch, accepted: &Row, expired: &Row) -> String {
    let path = s.path("exceptions.csv");
    let text = format!(
        "# break-glass and service access, reviewed quarterly\n\
         account,permission_set,principal,reason,approved_by,expires,ticket\n\
         {},{},{},Break-glass administrator kept unused on purpose,CISO,2099-12-31,SEC-1\n\
         *,{},{},Quarterly batch user,Security lead,2026-01-31,SEC-2\n\
         *,NoSuchPermissionSet,nobody,Misspelt,Security lead,2099-12-31,SEC-3\n",
        accepted["account_id"],
        accepted["permission_set_name"],
        accepted["user_name"],
        expired["permission_set_name"],
        expired["user_id"],
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn an_exception_accepts_a_break_glass_row_keeps_it_out_of_the_plan_and_expired_ones_warn() {
    let s = Scratch::new();
    let plain = s.path("plain/report.csv");
    example_report(&plain, AS_OF, &[]);
    let rows = read_rows(&plain);
    let unused_admin: Vec<&Row> = (rows.iter())
        .filter(|r| r["usage_status"] == "UNUSED" && r["assignment_type"] == "USER")
        .filter(|r| r["permission_set_name"] == "AdministratorAccess")
        .collect();
    let (accepted, expired) = (
        unused_admin[0],
        unused_admin
            .iter()
            .find(|r| r["user_id"] != unused_admin[0]["user_id"])
            .unwrap(),
    );
    let exceptions = exceptions_for(&s, accepted, expired);

    let report = s.report();
    assert_success(&generate_example(
        &example().join("snapshot.json"),
        AS_OF,
        &report,
        &["--exceptions", &exceptions],
    ));
    let rows = read_rows(&report);
    let same = |a: &Row, b: &Row| {
        a["user_id"] == b["user_id"]
            && a["account_id"] == b["account_id"]
            && a["permission_set_arn"] == b["permission_set_arn"]
    };
    let now_accepted = rows.iter().find(|r| same(r, accepted)).unwrap();
    assert_eq!(now_accepted["review_status"], "ACCEPTED");
    assert_eq!(
        now_accepted["usage_status"], "UNUSED",
        "the evidence still speaks"
    );
    assert!(now_accepted["review_note"].contains(
        "Break-glass administrator kept unused on purpose (approved by CISO, until 2099-12-31)"
    ));
    assert!(rows
        .iter()
        .filter(|r| r["review_status"] == "ACCEPTED")
        .all(|r| r["user_name"] == accepted["user_name"]));
    assert_eq!(
        rows.iter().find(|r| same(r, expired)).unwrap()["review_status"],
        ""
    );

    let manifest = s.manifest();
    let outcome = &manifest["review"]["exceptions"];
    assert_eq!(outcome["exceptions"], 3);
    assert_eq!(field_of(&outcome["expired"], "expires"), ["2026-01-31"]);
    assert_eq!(field_of(&outcome["unmatched"], "principal"), ["nobody"]);
    assert_eq!(outcome["applied"][0]["line"], 3);
    let codes = field_of(&manifest["warnings"], "code");
    assert!(
        codes.contains(&"exceptions_expired") && codes.contains(&"exceptions_unmatched"),
        "{codes:?}"
    );

    let plan_path = s.path("plan.json").display().to_string();
    let accept = format!(
        "stale_report,exceptions_expired,exceptions_unmatched,{}",
        manifest_codes(&manifest)
    );
    let out = run(&args(&[
        "plan-removal",
        "--report",
        &report.display().to_string(),
        "--unused-days",
        "30",
        "--accept-warnings",
        &accept,
        "--output",
        &plan_path,
    ]));
    assert_success(&out);
    let plan = read_json(Path::new(&plan_path));
    let planned: Vec<(&str, &str, &str)> = (plan["assignments"].as_array().unwrap().iter())
        .map(|a| {
            (
                a["principal_id"].as_str().unwrap(),
                a["account_id"].as_str().unwrap(),
                a["permission_set_arn"].as_str().unwrap(),
            )
        })
        .collect();
    let key = |r: &Row| {
        (
            r["user_id"].clone(),
            r["account_id"].clone(),
            r["permission_set_arn"].clone(),
        )
    };
    let has = |r: &Row| {
        let (u, a, p) = key(r);
        planned.contains(&(u.as_str(), a.as_str(), p.as_str()))
    };
    assert!(!has(accepted), "an accepted row is never planned");
    assert!(
        has(expired),
        "an expired exception accepts nothing: its row is planned like any other"
    );
}

fn manifest_codes(manifest: &Value) -> String {
    field_of(&manifest["warnings"], "code").join(",")
}

#[test]
fn a_bad_exceptions_file_is_refused_naming_the_file_and_the_line() {
    let s = Scratch::new();
    let report = s.report();
    let path = s.path("exceptions.csv");
    let file = path.display().to_string();
    for (text, expected) in [
        ("account,permission_set,principal\n", "the header lacks reason, approved_by, expires"),
        ("account,permission_set,principal,reason,approved_by,expires\n*,Admin,bob,why,me,next year\n", "line 2: expires \"next year\" is not a date"),
        ("account,permission_set,principal,reason,approved_by,expires\n12,Admin,bob,why,me,2027-01-01\n", "line 2:"),
        ("account,permission_set,principal,reason,approved_by,expires\n*,Admin,bob,,me,2027-01-01\n", "line 2: reason is empty"),
    ] {
        std::fs::write(&path, text).unwrap();
        let out = generate_example(&example().join("snapshot.json"), AS_OF, &report, &["--exceptions", &file]);
        assert_fails_with(&out, expected);
        assert_stderr_has(&out, &file);
        assert!(!report.exists());
    }
}
