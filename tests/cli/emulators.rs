//! Starts the emulators from tests/emulators/ (Python, in the project's .venv) and points the
//! binary at them through the SDK's standard endpoint variables.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};

fn python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make setup` (or `make test`) to create the venv with the emulators' packages",
        python.display()
    );
    python
}

/// A running emulator; stopped when dropped (closing its stdin ends it).
pub struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
}

impl Emulator {
    /// Runs `tests/emulators/<script>` with `args`, waits for its `{"port": N}` line.
    pub fn start(script: &str, args: &[String]) -> Emulator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/emulators")
            .join(script);
        let mut child = Command::new(python())
            .arg(&path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{script} did not start ({e}): {line:?}"));
        let port = ready["port"].as_u64().expect("a port") as u16;
        Emulator { child, stdin, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The moto-based directory emulator, preloaded with a snapshot and configured by `config`.
pub fn moto(snapshot: &Path, config: Option<&serde_json::Value>, dir: &Path) -> Emulator {
    moto_with_buckets(snapshot, config, dir, &[])
}

/// The example's directory in [`moto`], with the security bucket `bucket` created.
pub fn example_with_bucket(dir: &Path, bucket: &str) -> Emulator {
    moto_with_buckets(
        &crate::util::example().join("snapshot.json"),
        None,
        dir,
        &[bucket],
    )
}

/// [`moto`], with S3 buckets created beforehand.
pub fn moto_with_buckets(
    snapshot: &Path,
    config: Option<&serde_json::Value>,
    dir: &Path,
    buckets: &[&str],
) -> Emulator {
    let mut args = vec![
        "--snapshot".to_owned(),
        snapshot.display().to_string(),
        "--calls-log".to_owned(),
        dir.join("moto-calls.jsonl").display().to_string(),
    ];
    if let Some(config) = config {
        let path = dir.join("moto-config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    for bucket in buckets {
        args.extend(["--bucket".to_owned(), bucket.to_string()]);
    }
    Emulator::start("moto_server.py", &args)
}

/// The CloudTrail Lake emulator over the events under `events`, for store `store_id`.
pub fn lake(
    events: &Path,
    store_id: &str,
    config: Option<&serde_json::Value>,
    dir: &Path,
) -> Emulator {
    let mut args = vec![
        "--events".to_owned(),
        events.display().to_string(),
        "--event-data-store-id".to_owned(),
        store_id.to_owned(),
        "--calls-log".to_owned(),
        dir.join("lake-calls.jsonl").display().to_string(),
    ];
    if let Some(config) = config {
        let path = dir.join("lake-config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    Emulator::start("lake.py", &args)
}

/// Control Tower's log group for the organization trail, as the CloudWatch Logs tests name it.
pub const LOG_GROUP: &str = "aws-controltower/CloudTrailLogs";

/// The CloudWatch Logs emulator with the events under `events` in log group [`LOG_GROUP`].
pub fn cloudwatch_logs(events: &Path, config: Option<&serde_json::Value>, dir: &Path) -> Emulator {
    let mut args = vec![
        "--events".to_owned(),
        events.display().to_string(),
        "--log-group".to_owned(),
        LOG_GROUP.to_owned(),
        "--calls-log".to_owned(),
        dir.join("cloudwatch-calls.jsonl").display().to_string(),
    ];
    if let Some(config) = config {
        let path = dir.join("cloudwatch-config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    Emulator::start("cloudwatch_logs.py", &args)
}

/// The Athena + Glue emulator over the events under `events`, as table `db.trail` in `style`
/// (`struct` or `strings`), `partitioning` `none` or `projected`.
pub fn athena(
    events: &Path,
    style: &str,
    partitioning: &str,
    config: Option<&serde_json::Value>,
    dir: &Path,
) -> Emulator {
    let mut args: Vec<String> = [
        "--database",
        "db",
        "--table",
        "trail",
        "--style",
        style,
        "--partitioning",
        partitioning,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["--events".to_owned(), events.display().to_string()]);
    args.extend([
        "--calls-log".to_owned(),
        dir.join("athena-calls.jsonl").display().to_string(),
    ]);
    if let Some(config) = config {
        let path = dir.join("athena-config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        args.extend(["--config".to_owned(), path.display().to_string()]);
    }
    Emulator::start("athena.py", &args)
}

/// An emulator's calls log (`<name>-calls.jsonl`): (operation, params).
pub fn logged_calls(dir: &Path, name: &str) -> Vec<(String, serde_json::Value)> {
    std::fs::read_to_string(dir.join(format!("{name}-calls.jsonl")))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["operation"].as_str().unwrap_or_default().to_owned(),
                v["params"].clone(),
            )
        })
        .collect()
}

/// The Lake emulator's calls log: (operation, params).
pub fn lake_calls(dir: &Path) -> Vec<(String, serde_json::Value)> {
    logged_calls(dir, "lake")
}

/// Runs the binary with AWS settings that reach only the given emulator.
pub fn run_against(endpoint: &str, args: &[String]) -> Output {
    run_with_endpoints(&[("AWS_ENDPOINT_URL", endpoint)], args)
}

/// Runs the binary with the given endpoint variables (`AWS_ENDPOINT_URL[_SERVICE]`).
pub fn run_with_endpoints(endpoints: &[(&str, &str)], args: &[String]) -> Output {
    command_with_endpoints(endpoints, args).output().unwrap()
}

/// The binary with `args`, AWS settings that reach only the given endpoints, and test
/// credentials; not started yet.
pub fn command_with_endpoints(endpoints: &[(&str, &str)], args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idc-credential-report"));
    command
        .args(args)
        .envs(endpoints.iter().copied())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    command
}

/// The calls the emulator logged, as (service:operation, status).
pub fn calls(dir: &Path) -> Vec<(String, u64)> {
    std::fs::read_to_string(dir.join("moto-calls.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["action"].as_str().unwrap_or_default().to_owned(),
                v["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// `generate` with the live directory from moto, `action` denied, and the scratch's log
/// files; returns the manifest (of `denied.csv`).
pub fn generate_with_denied(s: &crate::util::Scratch, action: &str) -> serde_json::Value {
    let denied = serde_json::json!({"deny": [action]});
    let emulator = moto(&s.snapshot(), Some(&denied), s.dir.path());
    let logs = s.logs().display().to_string();
    let out = run_against(
        &emulator.endpoint(),
        &crate::util::args(&[
            "generate",
            "--cloudtrail-logs",
            &logs,
            "--as-of",
            crate::util::AS_OF,
            "--output",
            &s.path("denied.csv").display().to_string(),
        ]),
    );
    crate::util::assert_success(&out);
    crate::util::read_json(&s.path("denied.manifest.json"))
}

/// How many roles the run assumed (moto's STS).
pub fn roles_assumed(dir: &Path) -> usize {
    calls(dir)
        .iter()
        .filter(|(a, _)| a == "sts:AssumeRole")
        .count()
}

/// The fault-injecting proxy in front of `upstream` (tests/emulators/fault_proxy.py).
pub fn fault_proxy(upstream: &Emulator) -> Emulator {
    Emulator::start(
        "fault_proxy.py",
        &["--upstream".to_owned(), upstream.endpoint()],
    )
}

/// Arms the proxy to fail its `request`-th request from now on with `kind` (0: disarm);
/// answers how many requests it saw since it was last armed, and whether the fault fired.
pub fn arm_fault(proxy: &Emulator, request: usize, kind: &str) -> (u64, bool) {
    let body = serde_json::json!({"request": request, "kind": kind}).to_string();
    fault_control(proxy, &format!("POST /__fault HTTP/1.1\r\nHost: proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()))
}

fn fault_control(proxy: &Emulator, request: &str) -> (u64, bool) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let status: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("the fault proxy answered {answer:?}: {e}"));
    (
        status["requests"].as_u64().unwrap(),
        status["fired"].as_bool().unwrap(),
    )
}
