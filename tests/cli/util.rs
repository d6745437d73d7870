//! A scratch directory with a snapshot and a CloudTrail log tree, and a way to run the binary
//! on them.

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const STORE: &str = "d-1111111111";
pub const STORE_ARN: &str = "arn:aws:identitystore::999999999999:identitystore/d-1111111111";
pub const AS_OF: &str = "2026-11-22T00:00:00Z";
pub const PS_ADMIN: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-admin";
pub const PS_READ: &str = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-read";

pub fn published_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/cloudtrail/published");
    assert!(
        dir.is_dir(),
        "{} is missing: CI and the tests expect ../shared beside the checkout",
        dir.display()
    );
    dir
}

/// The committed generated example (snapshot, logs, expected truth).
pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/small")
}

/// Command-line words as owned strings.
pub fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub struct Scratch {
    pub dir: tempfile::TempDir,
    file_counter: std::cell::Cell<u32>,
}

impl Scratch {
    pub fn new() -> Self {
        let scratch = Scratch {
            dir: tempfile::tempdir().unwrap(),
            file_counter: 0.into(),
        };
        std::fs::create_dir_all(scratch.logs()).unwrap();
        scratch
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn logs(&self) -> PathBuf {
        self.path("logs")
    }

    pub fn snapshot(&self) -> PathBuf {
        self.path("snapshot.json")
    }

    pub fn report(&self) -> PathBuf {
        self.path("out/report.csv")
    }

    pub fn write_snapshot(&self, snapshot: &Value) {
        std::fs::write(
            self.snapshot(),
            serde_json::to_vec_pretty(snapshot).unwrap(),
        )
        .unwrap();
    }

    /// Writes events as one delivered log file, gzipped, in the S3 layout.
    pub fn deliver(&self, events: &[Value]) -> PathBuf {
        self.deliver_in("us-east-1", events)
    }

    /// [`Scratch::deliver`] under `region`'s folder, each event's `awsRegion` set to it.
    pub fn deliver_in(&self, region: &str, events: &[Value]) -> PathBuf {
        let n = self.file_counter.get();
        self.file_counter.set(n + 1);
        let dir = self.logs().join(format!(
            "AWSLogs/o-abcdefghij/999999999999/CloudTrail/{region}/2026/11/20"
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "999999999999_CloudTrail_{region}_20261120T0000Z_{n:016}.json.gz"
        ));
        let events: Vec<Value> = events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e["awsRegion"] = json!(region);
                e
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "Records": events })).unwrap();
        std::fs::write(&path, gzip(&body)).unwrap();
        path
    }

    pub fn write_raw_log(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.logs().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs `generate` with the scratch inputs and the given extra flags.
    pub fn generate(&self, extra: &[&str]) -> Output {
        std::fs::create_dir_all(self.path("out")).unwrap();
        let mut args = vec![
            "generate".to_owned(),
            "--directory-snapshot".into(),
            self.snapshot().display().to_string(),
            "--cloudtrail-logs".into(),
            self.logs().display().to_string(),
            "--as-of".into(),
            AS_OF.into(),
        ];
        if !extra.contains(&"--output") {
            args.extend(["--output".into(), self.report().display().to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args)
    }

    /// Runs `generate`, expects success, and returns the report rows as maps.
    pub fn rows(&self, extra: &[&str]) -> Vec<Row> {
        let out = self.generate(extra);
        assert_success(&out);
        read_rows(&self.report())
    }

    pub fn manifest(&self) -> Value {
        let text = std::fs::read_to_string(self.path("out/report.manifest.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idc-credential-report"))
        .args(args)
        .output()
        .unwrap()
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "the command failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `field` of each object of the JSON array `array`, as text.
pub fn field_of<'a>(array: &'a Value, field: &str) -> Vec<&'a str> {
    (array.as_array().unwrap().iter())
        .map(|item| item[field].as_str().unwrap())
        .collect()
}

/// The run failed, and its standard error says `expected`.
pub fn assert_fails_with(out: &Output, expected: &str) {
    assert!(!out.status.success(), "the run succeeded: {}", stderr(out));
    assert_stderr_has(out, expected);
}

/// The run's standard error says `expected`.
pub fn assert_stderr_has(out: &Output, expected: &str) {
    let text = stderr(out);
    assert!(text.contains(expected), "expected {expected:?} in: {text}");
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub type Row = std::collections::BTreeMap<String, String>;

pub fn read_rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// The row of `user_name` for `permission_set_name` (and, when given, `group_name`).
pub fn row<'a>(rows: &'a [Row], user_name: &str, permission_set_name: &str) -> &'a Row {
    let found: Vec<&Row> = rows
        .iter()
        .filter(|r| r["user_name"] == user_name && r["permission_set_name"] == permission_set_name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one row for {user_name} {permission_set_name}, got {found:?}"
    );
    found[0]
}

/// `generate` over `snapshot` with evidence from `evidence` (`--cloudtrail-logs DIR` or
/// `--event-data-store ID`), writing `name`.
pub fn generate_args(
    s: &Scratch,
    snapshot: &Path,
    evidence: &[&str],
    extra: &[&str],
    name: &str,
) -> Vec<String> {
    let mut all = args(&[
        "generate",
        "--directory-snapshot",
        &snapshot.display().to_string(),
        "--as-of",
        AS_OF,
    ]);
    all.extend(args(evidence));
    all.extend(args(extra));
    all.extend(["--output".to_owned(), s.path(name).display().to_string()]);
    all
}

/// `generate` over the example's logs with `snapshot` at `as_of`, writing `out` (its folder
/// created), with `extra` flags.
pub fn generate_example(snapshot: &Path, as_of: &str, out: &Path, extra: &[&str]) -> Output {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut parts = args(&[
        "generate",
        "--directory-snapshot",
        &snapshot.display().to_string(),
        "--cloudtrail-logs",
        &example().join("logs").display().to_string(),
        "--as-of",
        as_of,
        "--output",
        &out.display().to_string(),
    ]);
    parts.extend(args(extra));
    run(&parts)
}

/// [`generate_example`] over the example's own snapshot, which must succeed.
pub fn example_report(out: &Path, as_of: &str, extra: &[&str]) {
    let snapshot = example().join("snapshot.json");
    assert_success(&generate_example(&snapshot, as_of, out, extra));
}

pub fn report_from_logs(s: &Scratch, snapshot: &Path, logs: &Path, extra: &[&str]) -> Vec<u8> {
    assert_success(&run(&generate_args(
        s,
        snapshot,
        &["--cloudtrail-logs", &logs.display().to_string()],
        extra,
        "logs.csv",
    )));
    std::fs::read(s.path("logs.csv")).unwrap()
}

// ---- a small organization ---------------------------------------------------------------

pub fn user(id: &str, name: &str, created_at: &str) -> Value {
    json!({"user_id": id, "user_name": name, "display_name": name.to_uppercase(),
           "email": format!("{name}@example.com"), "status": "ENABLED", "created_at": created_at})
}

pub fn assign(
    account: &str,
    permission_set: &str,
    principal_type: &str,
    principal_id: &str,
) -> Value {
    json!({"account_id": account, "permission_set_arn": permission_set, "principal_type": principal_type, "principal_id": principal_id})
}

/// Two accounts, two permission sets, three users, a group with two of them.
pub fn organization(assignments: Vec<Value>) -> Value {
    json!({
        "instance_arn": "arn:aws:sso:::instance/ssoins-1111111111111111",
        "identity_store_id": STORE,
        "captured_at": AS_OF,
        "accounts": [{"id": "111111111111", "name": "prod", "status": "ACTIVE"},
                     {"id": "222222222222", "name": "dev", "status": "ACTIVE"}],
        "permission_sets": [{"arn": PS_ADMIN, "name": "AdministratorAccess", "description": "Admin"},
                            {"arn": PS_READ, "name": "ReadOnlyAccess", "description": null}],
        "users": [user("u-alice", "alice", "2024-01-01T00:00:00Z"),
                  user("u-bob", "bob", "2024-01-01T00:00:00Z"),
                  user("u-carol", "carol", "2026-10-01T00:00:00Z")],
        "groups": [{"group_id": "g-ops", "display_name": "Ops", "member_user_ids": ["u-alice", "u-bob"]},
                   {"group_id": "g-empty", "display_name": "Empty", "member_user_ids": []}],
        "assignments": assignments,
    })
}

// ---- events in each userIdentity generation -------------------------------------------

static EVENT_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn event(source: &str, name: &str, time: &str, identity: Value, details: Value) -> Value {
    let id = EVENT_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({
        "eventVersion": "1.11", "userIdentity": identity, "eventTime": time,
        "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1", "userAgent": "test", "requestParameters": null,
        "responseElements": null, "requestID": format!("req-{id}"),
        "eventID": format!("00000000-0000-0000-0000-{id:012}"), "readOnly": true,
        "eventType": "AwsServiceEvent", "managementEvent": true,
        "recipientAccountId": "999999999999", "serviceEventDetails": details,
        "eventCategory": "Management"
    })
}

/// `userIdentity` since 2025-07: only `onBehalfOf`.
pub fn new_identity(user_id: &str) -> Value {
    json!({"type": "IdentityCenterUser", "accountId": "999999999999",
           "onBehalfOf": {"userId": user_id, "identityStoreArn": STORE_ARN}, "credentialId": "c"})
}

/// `userIdentity` before 2025-07: `userName`, and `principalId` (a user id, or an account id).
pub fn old_identity(principal_id: &str, user_name: &str) -> Value {
    json!({"type": "Unknown", "principalId": principal_id, "accountId": "999999999999", "userName": user_name})
}

pub fn federate(identity: Value, account: &str, role: &str, time: &str) -> Value {
    event(
        "sso.amazonaws.com",
        "Federate",
        time,
        identity,
        json!({"role_name": role, "account_id": account}),
    )
}

pub fn get_role_credentials(identity: Value, account: &str, role: &str, time: &str) -> Value {
    event(
        "sso.amazonaws.com",
        "GetRoleCredentials",
        time,
        identity,
        json!({"role_name": role, "account_id": account}),
    )
}

/// An access-portal sign-in: `LoginTo` is the instance's portal, as in the published events.
pub fn user_authentication(identity: Value, outcome: &str, time: &str) -> Value {
    sign_in_to(
        identity,
        outcome,
        time,
        "https://d-1111111111.awsapps.com/start/",
    )
}

/// A `UserAuthentication` whose `additionalEventData.LoginTo` is `login_to`.
pub fn sign_in_to(identity: Value, outcome: &str, time: &str, login_to: &str) -> Value {
    let mut event = event(
        "signin.amazonaws.com",
        "UserAuthentication",
        time,
        identity,
        json!({"UserAuthentication": outcome}),
    );
    event["additionalEventData"] = json!({"LoginTo": login_to, "CredentialType": "PASSWORD"});
    event
}
