//! What a newcomer meets first: a missing AWS sign-in, Region or network, and wrong flags,
//! each answered with what to do and one exit-code convention (2 usage, 1 failed run).

use crate::util::*;
use std::process::{Command, Output};

/// `generate` reading the live directory, with nothing of the caller's AWS setup: no profile,
/// no instance role, and the variables given.
fn live_generate(vars: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_idc-credential-report"))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied())
        .args([
            "generate",
            "--cloudtrail-logs",
            &example().join("logs").display().to_string(),
            "--output",
            &home.path().join("report.csv").display().to_string(),
        ])
        .output()
        .unwrap()
}

#[test]
fn no_credentials_says_how_to_sign_in_or_run_offline() {
    let out = live_generate(&[("AWS_REGION", "us-east-1")]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    for hint in [
        "no AWS credentials were found",
        "tried Environment, Profile",
        "aws sso login --profile NAME",
        "AWS_PROFILE",
        "--directory-snapshot FILE and --cloudtrail-logs DIR",
    ] {
        assert!(message.contains(hint), "{hint:?} not in: {message}");
    }
    assert_eq!(message.lines().count(), 1, "one line: {message}");
}

#[test]
fn no_region_says_which_region_to_set() {
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let out = live_generate(&keys);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("no AWS Region is set")
            && message.contains("Region of your IAM Identity Center instance"),
        "{message}"
    );
}

#[test]
fn an_unreachable_endpoint_is_named_without_retrying() {
    let out = live_generate(&[
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("cannot connect to AWS")
            && message.contains("AWS_ENDPOINT_URL is http://127.0.0.1:9"),
        "{message}"
    );
}

#[test]
fn wrong_flags_exit_2_and_a_missing_source_is_named() {
    let usage = |extra: &[&str]| {
        let mut all = vec!["generate", "--output", "r.csv"];
        all.extend(extra);
        run(&args(&all))
    };
    let missing = usage(&[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--cloudtrail-logs <DIR>|--event-data-store"));
    let two = usage(&["--cloudtrail-logs", "a", "--athena-table", "db.t"]);
    assert_eq!(two.status.code(), Some(2), "{}", stderr(&two));
    for days in ["0", "-1", "3654"] {
        let out = usage(&["--cloudtrail-logs", "a", "--lookback-days", days]);
        assert_eq!(out.status.code(), Some(2), "--lookback-days {days}");
        assert_stderr_has(&out, "is not in 1..=3653");
    }
    let help = run(&args(&["generate", "--help"]));
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for heading in [
        "Directory",
        "Evidence (exactly one source",
        "Window:",
        "Output:",
        "Rates and retries:",
        "Examples:",
        "Exit codes:",
    ] {
        assert!(help.contains(heading), "{heading:?} not in --help");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_flags() {
    for (shell, mark) in [
        ("bash", "complete -F _idc__credential__report"),
        ("zsh", "#compdef idc-credential-report"),
        ("fish", "complete -c idc-credential-report"),
    ] {
        let out = run(&args(&["completions", shell]));
        assert_success(&out);
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(script.contains(mark), "{shell}: {mark:?} not in the script");
        assert!(
            script.contains("cloudwatch-log-group"),
            "{shell} lacks a flag"
        );
    }
    let man = run(&args(&["man"]));
    assert_success(&man);
    let page = String::from_utf8_lossy(&man.stdout).into_owned();
    assert!(page.contains(".TH idc-credential-report 1"), "{page}");
    assert!(
        page.contains("generate"),
        "the man page names the subcommands"
    );
}

/// Every `--flag` a document names, outside link targets.
fn flags_in(text: &str) -> std::collections::BTreeSet<String> {
    let without_links: String = text
        .split("](")
        .enumerate()
        .map(|(i, part)| match i {
            0 => part,
            _ => part.split_once(')').map_or("", |(_, rest)| rest),
        })
        .collect();
    let mut flags = std::collections::BTreeSet::new();
    for (at, _) in without_links.match_indices("--") {
        let name: String = without_links[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let preceded_by_word = without_links[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '-');
        if name.starts_with(|c: char| c.is_ascii_lowercase()) && !preceded_by_word {
            flags.insert(format!("--{}", name.trim_end_matches('-')));
        }
    }
    flags
}

#[test]
fn the_documents_and_the_help_name_the_same_flags() {
    let mut cli = std::collections::BTreeSet::new();
    for command in [
        "generate",
        "snapshot",
        "athena-ddl",
        "cloudwatch-setup",
        "plan-removal",
        "apply-removal",
        "completions",
        "man",
    ] {
        let help = run(&args(&[command, "--help"]));
        cli.extend(flags_in(&String::from_utf8_lossy(&help.stdout)));
    }
    // Flags of other tools the documents show: the AWS CLI, cargo, the benchmark scripts.
    let others = [
        "--document-name",
        "--parameters",
        "--permission-set-arn",
        "--principal-id",
        "--principal-type",
        "--profile",
        "--target-id",
        "--target-type",
        "--locked",
        "--path",
        "--release",
        "--assignment-shape",
        "--top",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documented = std::collections::BTreeSet::new();
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    for document in &documents {
        let flags = flags_in(&std::fs::read_to_string(document).unwrap());
        let unknown: Vec<&String> = flags
            .iter()
            .filter(|f| !cli.contains(*f) && !others.contains(&f.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "{} names flags the tool lacks: {unknown:?}",
            document.display()
        );
        documented.extend(flags);
    }
    let undocumented: Vec<&String> = cli
        .iter()
        .filter(|f| !documented.contains(*f) && !["--help", "--version"].contains(&f.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "flags no document explains: {undocumented:?}"
    );
}
