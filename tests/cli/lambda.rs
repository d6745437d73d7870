//! The Lambda end to end: the `bootstrap` binary under a local Lambda Runtime API (a small
//! one here), with the emulators for sso-admin, identitystore, organizations, S3 (moto) and
//! CloudTrail Lake; invoked with the SSM runbook's payload and with the schedule's input.
//! Every AWS operation it makes is recorded and checked against the Terraform policy.

use crate::emulators::{
    calls, example_with_bucket, lake, lake_calls, moto_with_buckets, run_against, Emulator,
};
use crate::util::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const STORE: &str = "EXAMPLE-ee54-4813-92d5-999aeEXAMPLE";
const BUCKET: &str = "security-bucket";

/// The answers so far (`Ok(response body)` or `Err(error body)`).
pub type Answers = [Result<Value, Value>];

/// What the Runtime API hands out next, given the answers so far: an event and the time the
/// invocation may take, or `None` to stop.
pub type NextEvent = Box<dyn FnMut(&Answers) -> Option<(Value, Duration)> + Send>;

/// The answers, and the runtime's last poll (held open).
type Exchange = (Vec<Result<Value, Value>>, Option<TcpStream>);

/// Serves the Runtime API, one event after another as `next` says, and returns each answer
/// with the connection of the runtime's next poll, to be closed only after the function is
/// stopped (else it would log the closed connection).
fn runtime_api(listener: TcpListener, mut next: NextEvent) -> Exchange {
    let mut answers = Vec::new();
    let mut waiting = None;
    for stream in listener.incoming() {
        let mut stream = stream.unwrap();
        let (method, path, body) = read_request(&mut stream);
        if method == "GET" && path.ends_with("/invocation/next") {
            let n = answers.len();
            let Some((event, time)) = next(&answers) else {
                // Nothing left: hold the connection until the test ends the process.
                waiting = Some(stream);
                break;
            };
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + time;
            let headers = [
                ("Lambda-Runtime-Aws-Request-Id", format!("request-{n}")),
                (
                    "Lambda-Runtime-Deadline-Ms",
                    deadline.as_millis().to_string(),
                ),
                (
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:910178986558:function:idc-credential-report".into(),
                ),
                (
                    "Lambda-Runtime-Trace-Id",
                    "Root=1-00000000-000000000000000000000000".into(),
                ),
            ];
            respond(&mut stream, 200, &headers, &event.to_string());
        } else if method == "POST" && path.contains("/invocation/") {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            answers.push(if path.ends_with("/response") {
                Ok(answer)
            } else {
                Err(answer)
            });
            respond(&mut stream, 202, &[], "");
        } else {
            respond(&mut stream, 404, &[], "");
        }
    }
    (answers, waiting)
}

fn read_request(stream: &mut TcpStream) -> (String, String, Vec<u8>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (method, path, body)
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    // One request per connection: without `connection: close` the runtime's client may send
    // its next request on this connection after the server dropped it (connection reset).
    let mut text = format!(
        "HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
}

/// Runs `bootstrap` under a local Runtime API with `env` (besides the Lambda's own variables
/// and test credentials) for `events`, 15 minutes each; returns the answers and everything it
/// logged.
fn invoke_bootstrap(
    env: &[(&str, String)],
    events: Vec<Value>,
) -> (Vec<Result<Value, Value>>, String) {
    let time = Duration::from_secs(900);
    invoke_bootstrap_driven(
        env,
        Box::new(move |answers| events.get(answers.len()).map(|e| (e.clone(), time))),
    )
}

/// [`invoke_bootstrap`], with each event chosen by `next` from the answers so far.
pub fn invoke_bootstrap_driven(
    env: &[(&str, String)],
    next: NextEvent,
) -> (Vec<Result<Value, Value>>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let (done, server) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(runtime_api(listener, next)));
    let mut lambda = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "idc-credential-report")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/idc-credential-report",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let logs = [
        drain(lambda.stdout.take().unwrap()),
        drain(lambda.stderr.take().unwrap()),
    ];
    let outcome = wait_for_runtime_api(&server, &mut lambda);
    lambda.kill().unwrap_or(());
    lambda.wait().unwrap();
    let logs: String = logs.into_iter().map(|t| t.join().unwrap()).collect();
    let Some((answers, pending_poll)) = outcome else {
        panic!("bootstrap ended before its last event was answered or took too long:\n{logs}");
    };
    drop(pending_poll);
    (answers, logs)
}

/// Everything `pipe` gives until it closes, read on a thread so that the function never
/// blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).unwrap_or(0);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The Runtime API's answers once it is done; `None` if the function exits first or the whole
/// exchange outlasts 20 minutes (a test must fail, not hang).
fn wait_for_runtime_api(
    server: &std::sync::mpsc::Receiver<Exchange>,
    lambda: &mut std::process::Child,
) -> Option<Exchange> {
    let give_up = std::time::Instant::now() + Duration::from_secs(1200);
    while std::time::Instant::now() < give_up {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(done) => return Some(done),
            Err(_) if lambda.try_wait().unwrap().is_some() => return server.try_recv().ok(),
            Err(_) => {}
        }
    }
    None
}

/// Every IAM action named in the policy document `name` in the Terraform file `file`.
fn policy_actions(file: &str, name: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let start = text
        .find(&format!("data \"aws_iam_policy_document\" \"{name}\" {{"))
        .unwrap_or_else(|| panic!("the policy document {name} in {file}"));
    let end = start + text[start..].find("\n}\n").unwrap();
    let block = &text[start..end];
    let mut actions = BTreeSet::new();
    for line in block
        .lines()
        .filter(|l| l.trim_start().starts_with("actions"))
    {
        actions.extend(line.split('"').skip(1).step_by(2).map(str::to_owned));
    }
    let multiline = block
        .split("actions = [")
        .skip(1)
        .map(|rest| &rest[..rest.find(']').unwrap()]);
    for list in multiline {
        actions.extend(list.split('"').skip(1).step_by(2).map(str::to_owned));
    }
    actions
}

/// IAM actions the run needed, from the emulators' logs. A copy needs read on the source too.
pub fn observed_actions(dir: &Path) -> BTreeSet<String> {
    let mut actions = iam_actions(&calls(dir));
    actions.extend(
        lake_calls(dir)
            .into_iter()
            .map(|(op, _)| format!("cloudtrail:{op}")),
    );
    actions
}

/// The IAM actions behind the calls the directory emulator logged.
fn iam_actions(calls: &[(String, u64)]) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for (action, _) in calls {
        match action.as_str() {
            "s3:CopyObject" => {
                actions.extend(["s3:GetObject".to_owned(), "s3:PutObject".to_owned()])
            }
            // HeadObject has no action of its own: IAM authorizes it as GetObject.
            "s3:HeadObject" => {
                actions.insert("s3:GetObject".to_owned());
            }
            _ => {
                actions.insert(action.clone());
            }
        }
    }
    actions
}

/// Actions in the policy that this run does not call, and why that is right.
pub const CONDITIONAL: [(&str, &str); 27] = [
    ("logs:StartQuery", "CloudWatch Logs evidence source"),
    ("logs:GetQueryResults", "CloudWatch Logs evidence source"),
    ("logs:DescribeLogGroups", "CloudWatch Logs evidence source"),
    (
        "logs:StopQuery",
        "CloudWatch Logs, only when the query outlives the deadline",
    ),
    (
        "account-access:ListEntitlements",
        "only when account access manager has an application of this instance",
    ),
    (
        "s3:DeleteObject",
        "the Step Functions read-directory step (removes its checkpoint under PREFIX/state/), and a first publish whose copy to latest/ failed",
    ),
    (
        "sso:ListAccountAssignmentsForPrincipal",
        "per-principal strategy (this organization takes per-permission-set)",
    ),
    ("sts:AssumeRole", "only with lake_role_arn"),
    ("athena:StartQueryExecution", "Athena evidence source"),
    ("athena:GetQueryExecution", "Athena evidence source"),
    ("athena:GetQueryResults", "Athena evidence source"),
    ("athena:StopQueryExecution", "Athena evidence source"),
    ("glue:GetDatabase", "Athena evidence source"),
    ("glue:GetTable", "Athena evidence source"),
    ("glue:GetPartitions", "Athena evidence source"),
    (
        "s3:ListBucket",
        "Athena evidence source (trail bucket and results)",
    ),
    ("s3:GetBucketLocation", "Athena evidence source"),
    ("s3:ListBucketMultipartUploads", "Athena results location"),
    ("s3:ListMultipartUploadParts", "Athena results location"),
    ("s3:AbortMultipartUpload", "Athena results location"),
    ("kms:Decrypt", "only with a KMS key"),
    ("kms:GenerateDataKey", "only with a KMS key"),
    ("cloudtrail:LookupEvents", "LookupEvents evidence source"),
    (
        "cloudtrail:CancelQuery",
        "only when the query outlives the deadline",
    ),
    (
        "logs:CreateLogStream",
        "called by the Lambda service, not the code",
    ),
    (
        "logs:PutLogEvents",
        "called by the Lambda service, not the code",
    ),
    (
        "sqs:SendMessage",
        "the Lambda service's dead-letter delivery",
    ),
];

#[test]
fn the_lambda_publishes_reports_for_the_runbook_and_the_schedule_with_least_privilege() {
    let s = Scratch::new();
    let directory = example_with_bucket(s.dir.path(), BUCKET);
    let evidence = lake(&example().join("logs"), STORE, None, s.dir.path());
    let events = vec![
        json!({"lookback_days": 90, "as_of": AS_OF}),
        json!({"source": "schedule"}),
    ];
    let (answers, logs) = invoke_bootstrap(&lake_function(&directory, &evidence), events);
    assert_eq!(answers.len(), 2, "two answers; logs:\n{logs}");
    let runbook = answers[0]
        .clone()
        .unwrap_or_else(|e| panic!("the runbook's invocation failed: {e}\n{logs}"));
    assert_eq!(runbook["report_s3_uri"], "s3://security-bucket/idc/reports/year=2026/month=11/day=22/credential-report-20261122T000000Z.csv");
    assert_eq!(
        runbook["latest_s3_uri"],
        "s3://security-bucket/idc/latest/credential-report.csv"
    );
    assert_eq!(
        (runbook["rows"].as_u64(), runbook["used"].as_u64()),
        (Some(851), Some(63))
    );
    let scheduled = answers[1]
        .clone()
        .unwrap_or_else(|e| panic!("the scheduled invocation failed: {e}\n{logs}"));
    assert!(scheduled["report_s3_uri"]
        .as_str()
        .unwrap()
        .contains("/reports/year="));
    // The scheduled run compared itself with the runbook's report, found through latest.json.
    assert_eq!(runbook["previous_as_of"], Value::Null);
    assert_eq!(scheduled["previous_as_of"], AS_OF);
    assert!(scheduled["changes_since_previous"].as_u64().unwrap() > 0);

    // Structured logs: one JSON object per line, and no e-mail address anywhere.
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed.get("level").is_some(), "{line}");
    }
    assert!(
        !logs.contains("@example.com"),
        "an e-mail address was logged"
    );

    assert_least_privilege(
        &observed_actions(s.dir.path()),
        "terraform/iam.tf",
        "lambda",
        &CONDITIONAL,
    );
}

#[test]
fn the_lambda_compares_with_its_latest_report_and_a_rerun_gives_the_same_set() {
    let s = Scratch::new();
    let directory = example_with_bucket(s.dir.path(), BUCKET);
    let evidence = lake(&example().join("logs"), STORE, None, s.dir.path());
    let earlier = "2026-11-01T00:00:00Z";
    let events = vec![
        json!({"as_of": earlier}),
        json!({"as_of": AS_OF}),
        // The same run again (a retry after a lost reply): the same previous report, the same files.
        json!({"as_of": AS_OF}),
    ];
    let (answers, logs) = invoke_bootstrap(&lake_function(&directory, &evidence), events);
    let answers: Vec<Value> = (answers.into_iter())
        .map(|a| a.unwrap_or_else(|e| panic!("an invocation failed: {e}\n{logs}")))
        .collect();
    assert_eq!(answers.len(), 3, "{logs}");
    assert_eq!(
        answers[0]["previous_as_of"],
        Value::Null,
        "nothing to compare with yet"
    );
    assert_eq!(
        answers[1]["previous_as_of"], earlier,
        "found through latest.json"
    );
    assert_eq!(answers[2]["previous_as_of"], earlier, "not itself");
    let changes = answers[1]["changes_since_previous"].as_u64().unwrap();
    assert!(changes > 0);
    assert_eq!(answers[2]["changes_since_previous"].as_u64(), Some(changes));
    let key = |uri: &Value| {
        uri.as_str()
            .unwrap()
            .trim_start_matches("s3://security-bucket/")
            .to_owned()
    };
    let diff = crate::s3_output::get_from(&directory, BUCKET, &key(&answers[1]["diff_s3_uri"]));
    let rows = csv::Reader::from_reader(&diff.body[..]).records().count();
    assert_eq!(rows as u64, changes);
    let manifest: Value = serde_json::from_slice(
        &crate::s3_output::get_from(&directory, BUCKET, &key(&answers[2]["manifest_s3_uri"])).body,
    )
    .unwrap();
    assert_eq!(manifest["review"]["previous"]["as_of"], earlier);
    assert!(manifest["review"]["previous"]["report"]
        .as_str()
        .unwrap()
        .starts_with("s3://security-bucket/idc/reports/year=2026/month=11/day=01/"));
}

/// The function's environment for the example's directory (with the bucket) and a Lake store.
fn lake_function(directory: &Emulator, evidence: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", directory.endpoint()),
        ("AWS_ENDPOINT_URL_CLOUDTRAIL", evidence.endpoint()),
        ("IDC_REPORT_BUCKET", BUCKET.into()),
        ("IDC_REPORT_PREFIX", "idc".into()),
        ("IDC_EVIDENCE_SOURCE", "cloudtrail-lake".into()),
        ("IDC_EVENT_DATA_STORE", STORE.into()),
    ]
}

/// Every observed action is allowed by the policy, and every allowed one was observed or is
/// listed in `conditional` with the reason it was not needed here.
pub fn assert_least_privilege(
    observed: &BTreeSet<String>,
    file: &str,
    policy_name: &str,
    conditional: &[(&str, &str)],
) {
    let policy = policy_actions(file, policy_name);
    let not_allowed: Vec<_> = observed.difference(&policy).collect();
    assert!(
        not_allowed.is_empty(),
        "called but not allowed by {file} ({policy_name}): {not_allowed:?}"
    );
    let conditional: BTreeSet<&str> = conditional.iter().map(|(a, _)| *a).collect();
    let unused: Vec<_> = policy
        .iter()
        .filter(|a| !observed.contains(*a) && !conditional.contains(a.as_str()))
        .collect();
    assert!(
        unused.is_empty(),
        "allowed by {file} ({policy_name}) but never called (and not listed as conditional): {unused:?}"
    );
}

/// Actions in the remediation policy that this run does not call, and why that is right.
const REMEDIATION_CONDITIONAL: [(&str, &str); 4] = [
    ("kms:Decrypt", "only with a KMS key"),
    ("kms:GenerateDataKey", "only with a KMS key"),
    (
        "logs:CreateLogStream",
        "called by the Lambda service, not the code",
    ),
    (
        "logs:PutLogEvents",
        "called by the Lambda service, not the code",
    ),
];

#[test]
fn the_remediation_function_applies_only_the_approved_plan_with_least_privilege() {
    let s = crate::removal::reported();
    let directory = moto_with_buckets(&s.snapshot(), None, s.dir.path(), &[BUCKET]);
    let plan_uri = format!("s3://{BUCKET}/idc/remediation/plans/review-2026-11.json");
    let out = run_against(
        &directory.endpoint(),
        &args(&[
            "plan-removal",
            "--report",
            &s.report().display().to_string(),
            "--include-users",
            "--accept-warnings",
            "stale_report",
            "--output",
            &plan_uri,
        ]),
    );
    assert_success(&out);
    let message = stderr(&out);
    let sha256 = message
        .split("(SHA-256 ")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .unwrap_or_else(|| panic!("no SHA-256 in: {message}"))
        .to_owned();
    let before = calls(s.dir.path()).len();

    // What the runbook sends: summarize, (approval), apply with the summarized hash.
    let apply = |sha: &str| {
        json!({"action": "apply", "plan_s3_uri": plan_uri, "plan_sha256": sha,
               "approved_by": "arn:aws:iam::910178986558:role/SecurityReviewer"})
    };
    let events = vec![
        json!({"action": "summarize", "plan_s3_uri": plan_uri}),
        json!({"action": "summarize", "plan_s3_uri": format!("s3://{BUCKET}/idc/latest/credential-report.manifest.json")}),
        apply(&"0".repeat(64)),
        apply(&sha256),
    ];
    let (answers, logs) = invoke_bootstrap(
        &[
            ("AWS_ENDPOINT_URL", directory.endpoint()),
            ("IDC_FUNCTION", "remediation".into()),
            (
                "IDC_INSTANCE_ARN",
                "arn:aws:sso:::instance/ssoins-1111111111111111".into(),
            ),
            ("IDC_IDENTITY_STORE_ID", crate::util::STORE.into()),
            ("IDC_REPORT_BUCKET", BUCKET.into()),
            ("IDC_REPORT_PREFIX", "idc".into()),
            ("IDC_ALLOW_USER_DELETION", "true".into()),
        ],
        events,
    );
    assert_eq!(answers.len(), 4, "four answers; logs:\n{logs}");
    let summary = answers[0].clone().unwrap_or_else(|e| panic!("{e}\n{logs}"));
    assert_eq!(summary["plan_sha256"], sha256.as_str());
    assert_eq!(
        (summary["assignments"].as_u64(), summary["users"].as_u64()),
        (Some(2), Some(1))
    );
    let outside = answers[1]
        .clone()
        .expect_err("a plan outside the plans prefix");
    assert!(
        outside.to_string().contains("is not a plan under"),
        "{outside}"
    );
    let unapproved = answers[2]
        .clone()
        .expect_err("a plan other than the approved one");
    assert!(
        unapproved.to_string().contains("changed after approval"),
        "{unapproved}"
    );
    let applied = answers[3].clone().unwrap_or_else(|e| panic!("{e}\n{logs}"));
    assert_eq!(
        (
            applied["deleted_assignments"].as_u64(),
            applied["deleted_users"].as_u64(),
            applied["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(0))
    );
    assert!(applied["audit_log_s3_uri"]
        .as_str()
        .unwrap()
        .starts_with(&format!(
            "s3://{BUCKET}/idc/remediation/audit/review-2026-11-"
        )));
    assert!(
        !logs.contains("@example.com"),
        "an e-mail address was logged"
    );

    let observed = iam_actions(&calls(s.dir.path())[before..]);
    assert_least_privilege(
        &observed,
        "terraform/remediation.tf",
        "remediation",
        &REMEDIATION_CONDITIONAL,
    );
}
