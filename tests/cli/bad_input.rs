//! Bad input stops the run with a message that names it, and nothing already written is lost.

use crate::damaged::alice_holds_admin;
use crate::util::*;
use serde_json::json;

fn scratch_with_previous_report() -> Scratch {
    let s = alice_holds_admin();
    s.deliver(&[get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    s.rows(&[]);
    s
}

/// Every file in `out/`, by name, with its content.
/// The files in `out`, except the writer lock that every run leaves (empty, see README).
fn output_files(s: &Scratch) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(s.path("out"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != ".report.lock")
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Runs `generate`, expects failure with `expected` in the message, and checks that the
/// previous report, user summary, HTML, changes and manifest are untouched and no temporary file is left.
fn assert_fails_keeping_previous(s: &Scratch, extra: &[&str], expected: &[&str]) {
    let before = output_files(s);
    let names: Vec<&String> = before.keys().collect();
    assert_eq!(
        names,
        [
            "report.changes.csv",
            "report.csv",
            "report.diff.csv",
            "report.html",
            "report.manifest.json",
            "report.users.csv",
            "report.users.diff.csv"
        ],
        "the previous run should have written seven files"
    );
    let out = s.generate(extra);
    assert!(!out.status.success(), "the run should have failed");
    let message = stderr(&out);
    for part in expected {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
    assert!(
        before == output_files(s),
        "the previous report was changed or a file was left behind"
    );
}

#[test]
fn truncated_gzip_names_the_file() {
    let s = scratch_with_previous_report();
    let good = s.deliver(&[federate(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&good, &bytes[..bytes.len() / 2]).unwrap();
    let name = good.file_name().unwrap().to_string_lossy().into_owned();
    assert_fails_keeping_previous(&s, &[], &[&name, "truncated", "--allow-malformed-logs"]);
}

#[test]
fn not_gzip_names_the_file() {
    let s = scratch_with_previous_report();
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/20/broken.json.gz",
        b"{\"Records\": []}",
    );
    assert_fails_keeping_previous(&s, &[], &["broken.json.gz", "gzip"]);
}

#[test]
fn invalid_json_names_the_file_and_place() {
    let s = scratch_with_previous_report();
    s.write_raw_log(
        "extra/one.json",
        b"{\"Records\": [{\"eventName\": \"Federate\",}]}",
    );
    assert_fails_keeping_previous(&s, &[], &["one.json", "Records[0]", "JSON"]);
    std::fs::write(
        s.logs().join("extra/one.json"),
        b"{\"Records\": [{\"a\": 1}, 42]}",
    )
    .unwrap();
    assert_fails_keeping_previous(&s, &[], &["one.json", "byte 23"]);
}

#[test]
fn a_use_event_of_the_wrong_type_names_the_field() {
    let s = scratch_with_previous_report();
    let mut event = federate(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    );
    event["eventTime"] = json!(20261121);
    let path = s.deliver(&[json!({"eventName": "x"}), event]);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert_fails_keeping_previous(&s, &[], &[&name, "Records[1]", "eventTime"]);
}

#[test]
fn malformed_files_can_be_skipped_and_are_listed() {
    let s = scratch_with_previous_report();
    let bad = s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/20/bad.json.gz",
        &gzip(b"{\"Records\": [")[..10],
    );
    let out = s.generate(&["--allow-malformed-logs"]);
    assert_success(&out);
    assert!(stderr(&out).contains("skipped"), "{}", stderr(&out));
    let manifest = s.manifest();
    assert_eq!(manifest["warnings"][0]["code"], "skipped_files");
    assert_eq!(
        manifest["evidence"]["skipped_files"][0]["path"],
        bad.display().to_string()
    );
    assert_eq!(manifest["evidence"]["files_read"], 1);
    assert_eq!(
        row(
            &s.rows(&["--allow-malformed-logs"]),
            "alice",
            "AdministratorAccess"
        )["usage_status"],
        "USED"
    );
}

#[test]
fn digest_and_insight_folders_are_not_read() {
    let s = scratch_with_previous_report();
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail-Digest/us-east-1/2026/11/20/d.json.gz",
        b"not gzip",
    );
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail-Insight/us-east-1/2026/11/20/i.json.gz",
        b"not gzip",
    );
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/20/notes.txt",
        b"not a log",
    );
    assert_success(&s.generate(&[]));
    assert_eq!(s.manifest()["evidence"]["files_read"], 1);
}

#[test]
fn an_empty_log_directory_is_an_error() {
    let s = scratch_with_previous_report();
    std::fs::remove_dir_all(s.logs()).unwrap();
    std::fs::create_dir_all(s.logs().join("AWSLogs")).unwrap();
    assert_fails_keeping_previous(
        &s,
        &[],
        &["no CloudTrail log files", &s.logs().display().to_string()],
    );
    std::fs::remove_dir_all(s.logs()).unwrap();
    assert_fails_keeping_previous(&s, &[], &["cannot read CloudTrail logs"]);
}

#[test]
fn a_broken_snapshot_names_the_file_and_place() {
    let s = scratch_with_previous_report();
    let snapshot = s.snapshot().display().to_string();
    std::fs::write(
        s.snapshot(),
        b"{\n  \"identity_store_id\": \"d-1\",\n  \"users\": 7\n}",
    )
    .unwrap();
    assert_fails_keeping_previous(&s, &[], &[&snapshot, "line 3"]);
    std::fs::write(s.snapshot(), b"{\"instance_arn\": \"x\"}").unwrap();
    assert_fails_keeping_previous(&s, &[], &[&snapshot, "identity_store_id"]);
    std::fs::write(s.snapshot(), b"{\"instance_arn\": \"x\", \"identity_store_id\": \"d-1\", \"users\": [{\"user_id\": \"u\"}]}").unwrap();
    assert_fails_keeping_previous(&s, &[], &[&snapshot, "user_name"]);
    std::fs::remove_file(s.snapshot()).unwrap();
    assert_fails_keeping_previous(&s, &[], &[&snapshot, "cannot read"]);
    let message = stderr(&s.generate(&[]));
    assert_eq!(
        message.matches("(os error 2)").count(),
        1,
        "the cause once: {message}"
    );
}

#[test]
fn a_snapshot_with_unknown_permission_sets_is_refused() {
    let s = scratch_with_previous_report();
    let mut org = organization(vec![assign(
        "111111111111",
        "arn:aws:sso:::permissionSet/ssoins-1/ps-missing",
        "USER",
        "u-alice",
    )]);
    s.write_snapshot(&org);
    assert_fails_keeping_previous(&s, &[], &["ps-missing", "not in permission_sets"]);
    org["assignments"] = json!([]);
    org["permission_sets"][1]["name"] = json!("AdministratorAccess");
    s.write_snapshot(&org);
    assert_fails_keeping_previous(&s, &[], &["two permission sets are named"]);
}

#[test]
fn nullable_and_unknown_snapshot_fields_are_accepted() {
    let s = Scratch::new();
    s.write_snapshot(&json!({
        "instance_arn": "arn:aws:sso:::instance/ssoins-1", "identity_store_id": STORE, "future_field": {"x": 1},
        "accounts": [{"id": "111111111111", "name": null, "status": null}],
        "permission_sets": [{"arn": PS_ADMIN, "name": "AdministratorAccess"}],
        "users": [{"user_id": "u-alice", "user_name": "alice", "email": null, "status": null, "created_at": null}],
        "groups": [], "assignments": [assign("111111111111", PS_ADMIN, "USER", "u-alice")]}));
    s.deliver(&[get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let rows = s.rows(&[]);
    let r = row(&rows, "alice", "AdministratorAccess");
    assert_eq!(
        (
            r["account_name"].as_str(),
            r["user_status"].as_str(),
            r["usage_status"].as_str()
        ),
        ("", "", "USED")
    );
}

#[test]
fn wrong_flags_are_refused() {
    let s = scratch_with_previous_report();
    assert_fails_keeping_previous(
        &s,
        &["--lookback-days", "0"],
        &["--lookback-days <DAYS>", "0 is not in 1..=3653"],
    );
    assert_fails_keeping_previous(&s, &["--lookback-days", "3654"], &["3654"]);
    assert_fails_keeping_previous(&s, &["--as-of", "yesterday"], &["--as-of"]);
}

/// `generate` on the scratch's inputs, ending its window at `as_of`.
fn generate_as_of(s: &Scratch, as_of: &str) -> std::process::Output {
    run(&args(&[
        "generate",
        "--directory-snapshot",
        &s.snapshot().display().to_string(),
        "--cloudtrail-logs",
        &s.logs().display().to_string(),
        "--as-of",
        as_of,
        "--output",
        &s.report().display().to_string(),
    ]))
}

#[test]
fn a_future_as_of_is_refused_and_a_plain_date_is_its_midnight_utc() {
    let s = scratch_with_previous_report();
    let before = output_files(&s);
    let out = generate_as_of(&s, "2030-01-01T00:00:00Z");
    assert_fails_with(&out, "--as-of 2030-01-01 00:00:00 UTC is in the future");
    assert!(
        before == output_files(&s),
        "the previous report was changed"
    );
    assert_success(&generate_as_of(&s, "2026-11-22"));
    assert_eq!(s.manifest()["as_of"].as_str(), Some(AS_OF));
}

#[test]
fn a_snapshot_that_lists_a_group_or_account_twice_is_refused() {
    let s = scratch_with_previous_report();
    let mut org = organization(vec![assign("111111111111", PS_ADMIN, "GROUP", "g-ops")]);
    org["groups"]
        .as_array_mut()
        .unwrap()
        .push(json!({"group_id": "g-ops", "display_name": "Ops", "member_user_ids": ["u-carol"]}));
    s.write_snapshot(&org);
    assert_fails_keeping_previous(
        &s,
        &[],
        &["groups[2] has the id g-ops, already listed as groups[0]"],
    );
    let mut org = organization(vec![]);
    org["accounts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "111111111111", "name": "prod-old"}));
    s.write_snapshot(&org);
    assert_fails_keeping_previous(
        &s,
        &[],
        &["accounts[2] has the id 111111111111, already listed as accounts[0]"],
    );
}

#[test]
fn a_kms_key_for_a_local_checkpoint_is_refused() {
    let s = Scratch::new();
    let out = run(&args(&[
        "snapshot",
        "--checkpoint",
        &s.path("read.checkpoint.json").display().to_string(),
        "--kms-key-arn",
        "arn:aws:kms:us-east-1:111122223333:key/1",
        "--output",
        &s.path("snapshot.json").display().to_string(),
    ]));
    assert_fails_with(&out, "--kms-key-arn applies only to an s3:// --checkpoint");
    assert!(!s.path("snapshot.json").exists());
}

#[test]
fn a_snapshot_written_over_its_own_checkpoint_is_refused() {
    let s = Scratch::new();
    let checkpoint = s.path("read.checkpoint.json").display().to_string();
    let out = run(&args(&[
        "snapshot",
        "--checkpoint",
        &checkpoint,
        "--output",
        &checkpoint,
    ]));
    assert_fails_with(&out, "an input of this run");
    assert!(!s.path("read.checkpoint.json").exists());
}

#[test]
fn an_output_that_would_replace_an_input_or_a_device_is_refused_before_any_work() {
    let s = scratch_with_previous_report();
    let snapshot_before = std::fs::read(s.snapshot()).unwrap();
    let snapshot = s.snapshot().display().to_string();
    assert_fails_keeping_previous(&s, &["--output", &snapshot], &["an input of this run"]);
    assert_eq!(std::fs::read(s.snapshot()).unwrap(), snapshot_before);

    let log = s.deliver(&[]);
    let log_before = std::fs::read(&log).unwrap();
    let log_text = log.display().to_string();
    assert_fails_keeping_previous(
        &s,
        &["--output", &log_text],
        &["inside the evidence folder"],
    );
    assert_eq!(
        std::fs::read(&log).unwrap(),
        log_before,
        "evidence untouched"
    );
    let inside = s.logs().join("report.json").display().to_string();
    assert_fails_keeping_previous(&s, &["--output", &inside], &["inside the evidence folder"]);
    assert!(!s.logs().join("report.json").exists());

    let fifo = s.path("fifo.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo (coreutils) is needed for this test");
    let fifo_text = fifo.display().to_string();
    assert_fails_keeping_previous(&s, &["--output", &fifo_text], &["not a regular file"]);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    let folder = format!("{}/", s.path("out").display());
    assert_fails_keeping_previous(&s, &["--output", &folder], &["names a folder"]);
    let missing = s.path("missing/report.csv").display().to_string();
    let missing_folder = s.path("missing").display().to_string();
    assert_fails_keeping_previous(
        &s,
        &["--output", &missing],
        &["the folder", &missing_folder, "does not exist"],
    );
}

#[test]
fn a_long_file_name_that_fits_the_file_system_is_written_and_one_that_does_not_is_refused() {
    let s = scratch_with_previous_report();
    // The longest file of the set is NAME.users.diff.csv: 240 + 15 bytes is the most there is.
    let name = format!("{}.csv", "r".repeat(240));
    let output = s.path(&format!("out/{name}")).display().to_string();
    assert_success(&s.generate(&["--output", &output]));
    let written = read_rows(std::path::Path::new(&output));
    assert_eq!(written.len(), 1);
    let before = output_files(&s);
    let output = s.path(&format!("out/r{name}")).display().to_string();
    let out = s.generate(&["--output", &output]);
    assert_fails_with(&out, "over the 255 a file name may have");
    assert_stderr_has(&out, "at most 244 bytes");
    assert!(before == output_files(&s), "refused before any write");
}

#[test]
fn a_second_run_writing_the_same_report_set_is_refused_before_any_work() {
    let s = scratch_with_previous_report();
    // Another run holds the writer lock (as `generate` does from its checks to its last rename).
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.path("out").join(".report.lock"))
        .expect("the previous run left its (empty) lock file");
    lock.lock().unwrap();
    assert_fails_keeping_previous(&s, &[], &["another run is writing", ".report.lock"]);
    drop(lock);
    assert_success(&s.generate(&[]));
}
