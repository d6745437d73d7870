//! Directory reads that outlast one run: sliced by a time budget, killed, resumed from a
//! checkpoint (file or S3), and the Lambda's read-directory/report steps, against the moto
//! emulator with AWS's quotas enforced. A sliced read must equal a one-shot read exactly.

use crate::emulators::{command_with_endpoints, moto, moto_with_buckets, run_against, Emulator};
use crate::lambda::{
    assert_least_privilege, invoke_bootstrap_driven, observed_actions, Answers, CONDITIONAL,
};
use crate::util::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Pages of two: listings need several pages, so runs stop with cursors open.
fn paged() -> Value {
    json!({"max_page_size": 2})
}

fn emulator(s: &Scratch) -> Emulator {
    moto(
        &example().join("snapshot.json"),
        Some(&paged()),
        s.dir.path(),
    )
}

fn snapshot_args(output: &Path, extra: &[&str]) -> Vec<String> {
    let mut words = args(&["snapshot", "--output", &output.display().to_string()]);
    words.extend(args(extra));
    words
}

/// The snapshot's bytes without `captured_at` (when the read started) and `read` (how: its
/// calls and runs differ between a one-shot and a sliced read by design).
fn without_capture_time(path: &Path) -> String {
    let mut snapshot = read_json(path);
    snapshot["captured_at"] = Value::Null;
    snapshot["read"] = Value::Null;
    serde_json::to_string_pretty(&snapshot).unwrap()
}

/// The snapshot a one-shot read writes, to compare sliced reads with.
fn one_shot_snapshot(s: &Scratch, directory: &Emulator) -> PathBuf {
    let one_shot = s.path("one-shot.json");
    assert_success(&run_against(
        &directory.endpoint(),
        &snapshot_args(&one_shot, &[]),
    ));
    one_shot
}

/// Runs `words` until it succeeds; returns the runs that stopped incomplete (exit code 3).
fn run_until_complete(endpoint: &str, words: &[String]) -> Vec<Output> {
    let mut incomplete = Vec::new();
    for _ in 0..100 {
        let out = run_against(endpoint, words);
        match out.status.code() {
            Some(0) => return incomplete,
            Some(3) => incomplete.push(out),
            _ => panic!("the run failed: {}", stderr(&out)),
        }
    }
    panic!("no run completed in 100 tries");
}

#[test]
fn a_budget_sliced_read_gives_the_one_shot_snapshot_and_report() {
    let s = Scratch::new();
    let directory = emulator(&s);
    let one_shot = one_shot_snapshot(&s, &directory);

    let sliced = s.path("sliced.json");
    let checkpoint = s.path("read.checkpoint.json");
    let checkpoint_flag = checkpoint.display().to_string();
    let words = snapshot_args(
        &sliced,
        &["--checkpoint", &checkpoint_flag, "--time-budget", "1"],
    );
    let stops = run_until_complete(&directory.endpoint(), &words);
    assert!(
        stops.len() >= 5,
        "{} resumptions, expected at least 5",
        stops.len()
    );
    for out in &stops {
        let message = stderr(out);
        assert!(
            message.contains(
                " (account, permission set) pairs read; run the same command again to resume"
            ) && message.starts_with("reading the directory")
                && message.contains("\nincomplete: "),
            "{message}"
        );
    }
    let last = stderr(&stops[stops.len() - 1]);
    assert!(
        last.contains("incomplete: ") && !last.contains("incomplete: 0 of"),
        "{last}"
    );
    assert!(!checkpoint.exists(), "the last run removes the checkpoint");
    assert_eq!(
        without_capture_time(&sliced),
        without_capture_time(&one_shot)
    );

    // The report from either snapshot is the same, byte for byte.
    let report = |snapshot: &Path, name: &str| {
        let output = s.path(name);
        assert_success(&run(&args(&[
            "generate",
            "--directory-snapshot",
            &snapshot.display().to_string(),
            "--cloudtrail-logs",
            &example().join("logs").display().to_string(),
            "--as-of",
            AS_OF,
            "--output",
            &output.display().to_string(),
        ])));
        std::fs::read(output).unwrap()
    };
    assert_eq!(
        report(&sliced, "sliced.csv"),
        report(&one_shot, "one-shot.csv")
    );
}

#[test]
fn a_budget_sliced_generate_writes_the_one_shot_report() {
    let s = Scratch::new();
    let directory = emulator(&s);
    let generate = |output: &Path, extra: &[&str]| {
        let mut words = args(&[
            "generate",
            "--cloudtrail-logs",
            &example().join("logs").display().to_string(),
            "--as-of",
            AS_OF,
            "--output",
            &output.display().to_string(),
        ]);
        words.extend(args(extra));
        words
    };
    let one_shot = s.path("one-shot.csv");
    assert_success(&run_against(
        &directory.endpoint(),
        &generate(&one_shot, &[]),
    ));
    let sliced = s.path("sliced.csv");
    let checkpoint = s.path("generate.checkpoint.json").display().to_string();
    let stops = run_until_complete(
        &directory.endpoint(),
        &generate(
            &sliced,
            &["--checkpoint", &checkpoint, "--time-budget", "1"],
        ),
    );
    assert!(stops.len() >= 5, "{} resumptions", stops.len());
    assert_eq!(
        std::fs::read(&sliced).unwrap(),
        std::fs::read(&one_shot).unwrap()
    );
    let manifest = read_json(&sliced.with_file_name("sliced.manifest.json"));
    let invocations = manifest["directory"]["read"]["invocations"]
        .as_u64()
        .unwrap();
    assert_eq!(invocations as usize, stops.len() + 1);
}

/// Starts `words` and kills it (SIGKILL) after `delay`; true if it was still running.
fn kill_after(endpoint: &str, words: &[String], delay: Duration) -> bool {
    let mut child = command_with_endpoints(&[("AWS_ENDPOINT_URL", endpoint)], words)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap_or(());
    child.wait().unwrap();
    running
}

#[test]
fn runs_killed_at_random_moments_resume_to_the_same_snapshot() {
    let s = Scratch::new();
    let directory = emulator(&s);
    let one_shot = one_shot_snapshot(&s, &directory);
    let sliced = s.path("sliced.json");
    let checkpoint = s.path("killed.checkpoint.json").display().to_string();
    let words = snapshot_args(
        &sliced,
        &["--checkpoint", &checkpoint, "--time-budget", "1"],
    );
    // Kills around the moment the checkpoint is written (the budget's end, after start-up).
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut state = seed | 1;
    let mut killed = 0;
    for _ in 0..8 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_millis(700 + state % 900);
        killed += kill_after(&directory.endpoint(), &words, delay) as u32;
    }
    assert!(killed > 0, "no run was killed while running (seed {seed})");
    run_until_complete(&directory.endpoint(), &words);
    assert_eq!(
        without_capture_time(&sliced),
        without_capture_time(&one_shot),
        "seed {seed}"
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("killed.checkpoint") && p.exists())
        .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A checkpoint left by one budgeted run (it stops incomplete).
fn stopped_read(s: &Scratch, directory: &Emulator) -> (PathBuf, Vec<String>) {
    let checkpoint = s.path("stopped.checkpoint.json");
    let words = snapshot_args(
        &s.path("out.json"),
        &[
            "--checkpoint",
            &checkpoint.display().to_string(),
            "--time-budget",
            "1",
        ],
    );
    let out = run_against(&directory.endpoint(), &words);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    (checkpoint, words)
}

#[test]
fn a_damaged_or_foreign_checkpoint_is_refused_and_a_stale_one_discarded() {
    let s = Scratch::new();
    let directory = emulator(&s);
    let (checkpoint, words) = stopped_read(&s, &directory);
    let kept = std::fs::read(&checkpoint).unwrap();

    let mut other_strategy = words.clone();
    other_strategy.extend(args(&["--assignment-strategy", "per-principal"]));
    let out = run_against(&directory.endpoint(), &other_strategy);
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_has(&out, "belongs to another read (assignment_strategy");
    let mut other_store = words.clone();
    other_store.extend(args(&["--identity-store-id", "d-0000000000"]));
    let out = run_against(&directory.endpoint(), &other_store);
    assert!(
        stderr(&out).contains("belongs to another read (identity_store_id")
            && stderr(&out).contains("this read's is \"d-0000000000\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&checkpoint).unwrap(),
        kept,
        "a refused run changes nothing"
    );

    // One byte changed (a listing's item), or the file cut short: damaged.
    let text = String::from_utf8(kept.clone()).unwrap();
    let changed = text.replacen("\"complete\":true", "\"complete\":false", 1);
    assert_ne!(changed, text);
    for damaged in [changed.as_bytes(), &kept[..kept.len() / 2]] {
        std::fs::write(&checkpoint, damaged).unwrap();
        let out = run_against(&directory.endpoint(), &words);
        assert_eq!(out.status.code(), Some(1));
        let message = stderr(&out);
        assert!(
            message.contains(&format!("checkpoint {} is damaged", checkpoint.display()))
                && message.contains("delete it to start the read over"),
            "{message}"
        );
    }

    // Older than --checkpoint-max-age: discarded, and the read starts over.
    std::fs::write(&checkpoint, &kept).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let mut stale = words.clone();
    stale.extend(args(&["--checkpoint-max-age", "1s"]));
    let out = run_against(&directory.endpoint(), &stale);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_stderr_has(
        &out,
        "longer ago than the maximum age: discarded, the read starts over",
    );
}

#[test]
fn a_checkpoint_in_s3_is_replaced_only_by_the_run_that_read_it() {
    let s = Scratch::new();
    let directory = moto_with_buckets(
        &example().join("snapshot.json"),
        Some(&paged()),
        s.dir.path(),
        &["state-bucket"],
    );
    let one_shot = one_shot_snapshot(&s, &directory);
    let sliced = s.path("sliced.json");
    let key = "arn:aws:kms:us-east-1:910178986558:key/11111111-2222-3333-4444-555555555555";
    let checkpoint = "idc/state/manual/directory.checkpoint.json";
    let words = snapshot_args(
        &sliced,
        &[
            "--checkpoint",
            &format!("s3://state-bucket/{checkpoint}"),
            "--time-budget",
            "2",
            "--kms-key-arn",
            key,
        ],
    );
    let first = run_against(&directory.endpoint(), &words);
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    let kept = crate::s3_output::get_from(&directory, "state-bucket", checkpoint);
    assert_eq!(
        (kept.encryption.as_deref(), kept.kms_key.as_deref()),
        (Some("aws:kms"), Some(key)),
        "the checkpoint holds the directory: encrypted with the key given"
    );
    let mut stops = vec![first];
    stops.extend(run_until_complete(&directory.endpoint(), &words));
    assert!(!stops.is_empty());
    assert_eq!(
        without_capture_time(&sliced),
        without_capture_time(&one_shot)
    );
    let puts: Vec<_> = crate::emulators::calls(s.dir.path())
        .into_iter()
        .filter(|(action, _)| action == "s3:PutObject" || action == "s3:DeleteObject")
        .collect();
    assert_eq!(puts.len(), stops.len() + 1, "{puts:?}");
}

/// The state machine's loop, as terraform/ defines it: read-directory until DONE, then report.
fn state_machine(run_id: &'static str, budget: Duration) -> crate::lambda::NextEvent {
    let margin = Duration::from_secs(60);
    Box::new(move |answers: &Answers| {
        let read = json!({"step": "read-directory", "run_id": run_id});
        let report =
            json!({"step": "report", "run_id": run_id, "as_of": AS_OF, "lookback_days": 90});
        match answers.last() {
            // The state machine's own cap on the loop (terraform's default is 40).
            _ if answers.len() > 100 => None,
            None => Some((read, margin + budget)),
            Some(Ok(answer)) if answer["status"] == "CONTINUE" => Some((read, margin + budget)),
            Some(Ok(answer))
                if answer["status"] == "DONE" && answer.get("report_s3_uri").is_none() =>
            {
                Some((report, Duration::from_secs(900)))
            }
            _ => None,
        }
    })
}

#[test]
fn the_lambda_answers_continue_until_the_directory_is_read_then_publishes() {
    const BUCKET: &str = "security-bucket";
    let s = Scratch::new();
    let directory = moto_with_buckets(
        &example().join("snapshot.json"),
        Some(&paged()),
        s.dir.path(),
        &[BUCKET],
    );
    let evidence = crate::emulators::lake(
        &example().join("logs"),
        crate::lambda::STORE,
        None,
        s.dir.path(),
    );
    let env = [
        ("AWS_ENDPOINT_URL", directory.endpoint()),
        ("AWS_ENDPOINT_URL_CLOUDTRAIL", evidence.endpoint()),
        ("IDC_REPORT_BUCKET", BUCKET.into()),
        ("IDC_REPORT_PREFIX", "idc".into()),
        ("IDC_EVIDENCE_SOURCE", "cloudtrail-lake".into()),
        ("IDC_EVENT_DATA_STORE", crate::lambda::STORE.into()),
    ];
    let (answers, logs) =
        invoke_bootstrap_driven(&env, state_machine("weekly-1", Duration::from_secs(1)));
    let answers: Vec<Value> = answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|e| panic!("an invocation failed: {e}\n{logs}")))
        .collect();
    let continues = answers.iter().filter(|a| a["status"] == "CONTINUE").count();
    assert!(continues >= 5, "{continues} CONTINUE answers: {answers:?}");
    let done = &answers[answers.len() - 2];
    assert_eq!(
        done["snapshot"],
        "s3://security-bucket/idc/state/weekly-1/directory.json"
    );
    let report = &answers[answers.len() - 1];
    assert_eq!(
        (report["rows"].as_u64(), report["used"].as_u64()),
        (Some(851), Some(63)),
        "the same counts as the one-shot Lambda run"
    );
    assert!(answers[..answers.len() - 2]
        .iter()
        .all(|a| a["status"] == "CONTINUE"));
    assert_least_privilege(
        &observed_actions(s.dir.path()),
        "terraform/iam.tf",
        "lambda",
        &CONDITIONAL,
    );
}
