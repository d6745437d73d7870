//! The report file itself: columns, order, determinism, spreadsheet safety, stdout.

use crate::util::*;
use serde_json::json;

const HEADER: &str = "account_id,account_name,permission_set_name,permission_set_arn,permission_set_description,assignment_type,group_id,group_name,user_id,user_name,display_name,email,user_status,last_console_use,last_cli_use,last_used,days_since_last_used,usage_status,last_portal_sign_in,granted_at,granted_by,member_since,member_added_by,role_arn,judged_since,review_status,review_note";

fn scratch() -> Scratch {
    let s = Scratch::new();
    let mut org = organization(vec![
        assign("222222222222", PS_READ, "USER", "u-bob"),
        assign("111111111111", PS_ADMIN, "GROUP", "g-ops"),
        assign("111111111111", PS_ADMIN, "USER", "u-bob"),
        assign("111111111111", PS_READ, "USER", "u-alice"),
        assign("111111111111", PS_READ, "USER", "u-alice"),
    ]);
    org["permission_sets"][0]["description"] = json!("=HYPERLINK(\"http://x\")");
    org["users"][1]["display_name"] = json!("-bob, \"the\" admin");
    s.write_snapshot(&org);
    s.deliver(&[get_role_credentials(
        new_identity("u-bob"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T12:00:00Z",
    )]);
    s
}

#[test]
fn header_order_and_rows_are_fixed() {
    let s = scratch();
    assert_success(&s.generate(&[]));
    let text = std::fs::read_to_string(s.report()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], HEADER);
    let keys: Vec<String> = read_rows(&s.report())
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["account_id"], r["permission_set_name"], r["user_name"], r["assignment_type"]
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "111111111111 AdministratorAccess alice GROUP",
            "111111111111 AdministratorAccess bob GROUP",
            "111111111111 AdministratorAccess bob USER",
            "111111111111 ReadOnlyAccess alice USER",
            "222222222222 ReadOnlyAccess bob USER",
        ],
        "sorted, and a duplicate assignment gives one row"
    );
}

#[test]
fn same_input_gives_a_byte_identical_file() {
    let s = scratch();
    assert_success(&s.generate(&[]));
    let first = std::fs::read(s.report()).unwrap();
    let sha = s.manifest()["report"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_success(&s.generate(&[]));
    assert_eq!(first, std::fs::read(s.report()).unwrap());
    assert_eq!(sha, s.manifest()["report"]["sha256"]);
    let digest = sha2_hex(&first);
    assert_eq!(sha, digest);
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn cells_that_look_like_formulas_are_defused() {
    let s = scratch();
    assert_success(&s.generate(&[]));
    let text = std::fs::read_to_string(s.report()).unwrap();
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{text}"
    );
    assert!(text.contains(",\"'-bob, \"\"the\"\" admin\","), "{text}");
}

#[test]
fn output_dash_writes_csv_to_stdout_and_no_manifest() {
    let s = scratch();
    let out = s.generate(&["--output", "-"]);
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with(HEADER));
    assert_eq!(stdout.matches("\r\n").count(), 6);
    assert!(std::fs::read_dir(s.path("out")).unwrap().next().is_none());
}

#[test]
fn manifest_records_how_the_report_was_made() {
    let s = scratch();
    let out = s.generate(&["--lookback-days", "30"]);
    assert_success(&out);
    assert_stderr_has(&out, "5 rows, 2 used, 3 unused");
    let m = s.manifest();
    assert_eq!(m["tool"]["name"], "idc-credential-report");
    assert_eq!(m["lookback_days"], 30);
    assert_eq!(m["window_start"], "2026-10-23T00:00:00Z");
    assert_eq!(m["evidence"]["kind"], "cloudtrail-logs");
    assert_eq!(m["evidence"]["files_read"], 1);
    assert_eq!(m["evidence"]["cli_events"], 1);
    assert_eq!(m["directory"]["users"], 3);
    assert_eq!(m["directory"]["assignments"], 5);
    assert_eq!(
        (
            m["report"]["rows"].as_u64(),
            m["report"]["used"].as_u64(),
            m["report"]["unused"].as_u64()
        ),
        (Some(5), Some(2), Some(3))
    );
    assert_eq!(m["report"]["file"], "report.csv");
    assert!(chrono::DateTime::parse_from_rfc3339(m["generated_at"].as_str().unwrap()).is_ok());
}

const USERS_HEADER: &str = "user_id,user_name,display_name,email,user_status,created_at,assignments,assignments_used,last_console_use,last_cli_use,last_used,last_portal_sign_in,days_since_last_activity,activity_status,assignments_new";

#[test]
fn the_user_summary_has_one_row_per_user_and_their_activity() {
    let s = Scratch::new();
    let mut org = organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-alice"),
        assign("111111111111", PS_READ, "GROUP", "g-ops"),
        assign("222222222222", PS_READ, "USER", "u-carol"),
    ]);
    org["users"]
        .as_array_mut()
        .unwrap()
        .push(user("u-dave", "dave", "2024-01-01T00:00:00Z"));
    s.write_snapshot(&org);
    s.deliver(&[
        // alice: CLI use of an account she holds no assignment for still makes her active.
        get_role_credentials(
            new_identity("u-alice"),
            "222222222222",
            "AdministratorAccess",
            "2026-11-20T10:00:00Z",
        ),
        // bob: a portal sign-in 113 days ago, inside a 180-day window.
        user_authentication(new_identity("u-bob"), "Success", "2026-08-01T00:00:00Z"),
    ]);
    assert_success(&s.generate(&["--lookback-days", "180", "--inactive-days", "90"]));
    let path = s.path("out/report.users.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.split("\r\n").next().unwrap(), USERS_HEADER);
    let summary: Vec<String> = read_rows(&path)
        .iter()
        .map(|r| {
            format!(
                "{} {}/{} {} {} {}",
                r["user_name"],
                r["assignments_used"],
                r["assignments"],
                r["last_used"],
                r["days_since_last_activity"],
                r["activity_status"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "alice 0/2 2026-11-20T10:00:00Z 1 ACTIVE",
            "bob 0/1  113 INACTIVE",
            // carol was created 52 days ago: too new to call inactive.
            "carol 0/1   NEW",
            "dave 0/0   NEVER_SEEN",
        ]
    );
    let new: Vec<String> = read_rows(&path)
        .iter()
        .map(|r| r["assignments_new"].clone())
        .collect();
    assert_eq!(
        new,
        ["0", "0", "1", "0"],
        "carol's one assignment began inside the window"
    );
    let counts = &s.manifest()["users"];
    assert_eq!(
        (
            counts["users"].as_u64(),
            counts["active"].as_u64(),
            counts["inactive"].as_u64(),
            counts["never_seen"].as_u64(),
            counts["new"].as_u64(),
            counts["inactive_days"].as_u64()
        ),
        (Some(4), Some(1), Some(1), Some(1), Some(1), Some(90))
    );
}
