//! The published CloudTrail events (../shared/fixtures), read as plain `.json` files and as a
//! gzipped delivery tree, give the report in tests/data/published-report.csv.

use crate::util::*;

fn generate(logs: &std::path::Path, output: &std::path::Path) {
    let args: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &data_dir()
            .join("published-snapshot.json")
            .display()
            .to_string(),
        "--cloudtrail-logs",
        &logs.display().to_string(),
        "--as-of",
        AS_OF,
        "--lookback-days",
        "3653",
        "--output",
        &output.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_success(&run(&args));
}

#[test]
fn published_events_give_the_expected_report() {
    let s = Scratch::new();
    generate(&published_dir(), &s.path("report.csv"));
    let expected = std::fs::read_to_string(data_dir().join("published-report.csv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(s.path("report.csv")).unwrap(),
        expected
    );
}

#[test]
fn gzipped_delivery_tree_gives_the_same_report() {
    let s = Scratch::new();
    for entry in std::fs::read_dir(published_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let records = value
                .get("Records")
                .cloned()
                .unwrap_or_else(|| serde_json::json!([value]));
            let body = serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap();
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".json", ".json.gz");
            s.write_raw_log(
                &format!(
                    "AWSLogs/o-abcdefghij/607481581596/CloudTrail/us-east-1/2026/07/01/{name}"
                ),
                &gzip(&body),
            );
        }
    }
    generate(&s.logs(), &s.path("report.csv"));
    let expected = std::fs::read_to_string(data_dir().join("published-report.csv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(s.path("report.csv")).unwrap(),
        expected
    );
}
