//! The HTML report in a real browser: `generate` writes report.html, headless Chromium opens it
//! (driven by tests/html/inspect.js through playwright-core) and uses it as a reader would; the
//! test checks what it saw against the CSVs and the manifest written beside it.
//!
//! Needs Debian's chromium at /usr/bin/chromium, Node.js and `npm ci`'s node_modules: `make
//! setup` installs them. Without them the tests fail, saying so; they never skip.

use crate::util::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const HOSTILE_DISPLAY_NAME: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_ACCOUNT_NAME: &str = "</script><script>alert(2)</script>";
const HOSTILE_GROUP_NAME: &str = "\"><svg onload=alert(3)>";
const HOSTILE_DESCRIPTION: &str = "<b>bold</b> & <iframe src=x></iframe>";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Fails, with what to run, when the browser or its driver is missing.
fn require_browser() {
    let setup = "run `make setup` (it runs `npm ci` and installs Debian's chromium)";
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: {setup}, or `apt-get install chromium`"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: install Node.js 20 or later (Debian: apt-get install nodejs npm), then {setup}"
    );
    assert!(
        repo()
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "node_modules/playwright-core is missing: {setup}"
    );
}

/// Where the screenshots are kept after the test, for people to look at.
fn screenshot_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Opens `html` in Chromium and returns what inspect.js saw.
fn inspect(html: &Path, name: &str, filter: &str, sort: &[&str]) -> Value {
    require_browser();
    let screenshot = screenshot_path(&format!("{name}.png"));
    let table_screenshot = screenshot_path(&format!("{name}-filtered.png"));
    let review_screenshot = screenshot_path(&format!("{name}-review-queue.png"));
    let provenance_screenshot = screenshot_path(&format!("{name}-provenance.png"));
    for path in [
        &screenshot,
        &table_screenshot,
        &review_screenshot,
        &provenance_screenshot,
    ] {
        let _ = std::fs::remove_file(path);
    }
    let options = json!({
        "html": html, "screenshot": screenshot, "table_screenshot": table_screenshot,
        "review_screenshot": review_screenshot, "provenance_screenshot": provenance_screenshot,
        "filter": filter, "sort": sort,
    });
    let out = Command::new("node")
        .arg(repo().join("tests/html/inspect.js"))
        .arg(options.to_string())
        .output()
        .unwrap();
    assert_success(&out);
    for path in [
        &screenshot,
        &table_screenshot,
        &review_screenshot,
        &provenance_screenshot,
    ] {
        assert_png(path);
        eprintln!("screenshot: {}", path.display());
    }
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 10_000, "{} is nearly empty", path.display());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn table(value: &Value) -> Vec<Vec<String>> {
    value.as_array().unwrap().iter().map(strings).collect()
}

/// A CSV cell as the report holds it, without the quote that keeps spreadsheets from running
/// it: the page shows the value itself.
fn value(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// The CSV rows, in order, cut to `columns`.
fn project(rows: &[Row], columns: &[String]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| columns.iter().map(|c| value(&r[c])).collect())
        .collect()
}

/// Ascending as the page sorts: empty cells first, integers as numbers.
fn sorted_column(rows: &[Row], column: &str, numeric: bool) -> Vec<String> {
    let mut values: Vec<String> = rows.iter().map(|r| value(&r[column])).collect();
    values.sort_by(|a, b| match (a.is_empty(), b.is_empty()) {
        (false, false) if numeric => a.parse::<i64>().unwrap().cmp(&b.parse().unwrap()),
        _ => (!a.is_empty(), a).cmp(&(!b.is_empty(), b)),
    });
    values
}

/// Runs `generate` with the given inputs into the scratch's out/ and returns the report rows,
/// the user summary rows and the manifest.
fn generate(s: &Scratch, inputs: &[&str]) -> (Vec<Row>, Vec<Row>, Value) {
    std::fs::create_dir_all(s.path("out")).unwrap();
    let report = s.report().display().to_string();
    let mut words = args(&["generate", "--as-of", AS_OF, "--output", &report]);
    words.extend(args(inputs));
    assert_success(&run(&words));
    let users = read_rows(&s.path("out/report.users.csv"));
    (read_rows(&s.report()), users, s.manifest())
}

/// What every page must show whatever its data: the manifest's figures and warnings, every
/// row as in the CSV, and no request, dialog, error or injected element.
fn assert_page_matches(page: &Value, rows: &[Row], users: &[Row], manifest: &Value) {
    for (figure, section, key) in [
        ("rows", "report", "rows"),
        ("used", "report", "used"),
        ("unused", "report", "unused"),
        ("new_access", "report", "new"),
        ("principals_not_found", "report", "principals_not_found"),
        ("users", "users", "users"),
        ("active", "users", "active"),
        ("inactive", "users", "inactive"),
        ("never_seen", "users", "never_seen"),
        ("new", "users", "new"),
    ] {
        assert_eq!(
            page["figures"][figure].as_str(),
            Some(manifest[section][key].to_string().as_str()),
            "headline figure {figure}"
        );
    }
    let window = page["window"].as_str().unwrap();
    for part in [
        manifest["window_start"].as_str().unwrap().to_owned(),
        manifest["as_of"].as_str().unwrap().to_owned(),
        format!("({} days)", manifest["lookback_days"]),
    ] {
        assert!(window.contains(&part), "{window} lacks {part}");
    }
    let text = |key: &str| page[key].as_str().unwrap().to_owned();
    assert!(text("evidence").starts_with(manifest["evidence"]["kind"].as_str().unwrap()));
    assert!(text("directory").starts_with(manifest["directory"]["source"].as_str().unwrap()));
    assert!(text("generated").contains(manifest["tool"]["version"].as_str().unwrap()));
    assert!(
        !text("generated").contains(manifest["generated_at"].as_str().unwrap()),
        "the page does not change with the time of the run"
    );

    let warnings: Vec<(String, String)> = page["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["code"].to_string(), w["message"].to_string()))
        .collect();
    let expected: Vec<(String, String)> = manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["code"].to_string(), w["message"].to_string()))
        .collect();
    assert_eq!(warnings, expected, "every manifest warning, in order");
    assert!(text("warnings_heading").starts_with(&format!("{} warning", expected.len())));

    let headers = strings(&page["headers"]);
    assert_eq!(
        table(&page["rows"]),
        project(rows, &headers),
        "the table is the CSV"
    );
    assert_eq!(text("row_count"), format!("{} rows", rows.len()));
    let idle: Vec<Row> = users
        .iter()
        .filter(|u| ["INACTIVE", "NEVER_SEEN"].contains(&u["activity_status"].as_str()))
        .cloned()
        .collect();
    let idle_headers = strings(&page["idle_user_headers"]);
    assert_eq!(table(&page["idle_users"]), project(&idle, &idle_headers));

    let elements = &page["elements"];
    assert_eq!(
        elements["script"], 2,
        "the data block and the page's script"
    );
    assert_eq!(
        elements["svg"], elements["chart_svg"],
        "no svg but the charts"
    );
    for tag in ["img", "iframe", "b", "link"] {
        assert_eq!(elements[tag], 0, "no {tag} element: {elements}");
    }
    assert_eq!(elements["loading_attributes"], json!([]), "no on*/src/href");
    assert_eq!(
        page["requests"],
        json!([page["url"]]),
        "no request but the page itself"
    );
    for key in ["csp_violations", "dialogs", "console_errors", "page_errors"] {
        assert_eq!(page[key], json!([]), "{key}");
    }
}

/// The filter kept exactly the rows with `needle` in a shown cell, any case, and emptying it
/// brought every row back.
fn assert_filtered(page: &Value, rows: &[Row], needle: &str) {
    let headers = strings(&page["headers"]);
    let lower = needle.to_lowercase();
    let matching: Vec<Row> = rows
        .iter()
        .filter(|r| {
            headers
                .iter()
                .any(|h| value(&r[h]).to_lowercase().contains(&lower))
        })
        .cloned()
        .collect();
    let filter = &page["filter"];
    assert!(
        !matching.is_empty() && matching.len() < rows.len(),
        "{needle}"
    );
    assert_eq!(
        table(&filter["rows"]),
        project(&matching, &headers),
        "filtered by {needle}"
    );
    assert_eq!(
        filter["row_count"].as_str().unwrap(),
        format!("{} of {} rows", matching.len(), rows.len())
    );
    assert_eq!(filter["restored"], rows.len());
}

#[test]
fn the_example_report_reads_sorts_and_filters_in_a_browser() {
    let s = Scratch::new();
    let example = example();
    let (rows, users, manifest) = generate(
        &s,
        &[
            "--directory-snapshot",
            example.join("snapshot.json").to_str().unwrap(),
            "--cloudtrail-logs",
            example.join("logs").to_str().unwrap(),
        ],
    );
    assert!(rows.len() > 100 && !manifest["warnings"].as_array().unwrap().is_empty());
    let needle = rows
        .iter()
        .map(|r| r["user_name"].as_str())
        .find(|n| !n.is_empty())
        .unwrap()
        .to_uppercase();
    let page = inspect(
        &s.path("out/report.html"),
        "example",
        &needle,
        &["user_name", "days_since_last_used"],
    );
    assert_page_matches(&page, &rows, &users, &manifest);

    assert_filtered(&page, &rows, &needle);
    let usage = &page["usage_filter"];
    assert_eq!(usage["rows"], manifest["report"]["unused"]);
    assert_eq!(usage["restored"], rows.len());

    for (column, numeric) in [("user_name", false), ("days_since_last_used", true)] {
        let sort = &page["sort"][column];
        let ascending = sorted_column(&rows, column, numeric);
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        assert_eq!(sort["first"]["aria_sort"], "ascending", "{column}");
        assert_eq!(strings(&sort["first"]["values"]), ascending, "{column}");
        assert_eq!(sort["second"]["aria_sort"], "descending", "{column}");
        assert_eq!(strings(&sort["second"]["values"]), descending, "{column}");
    }

    let by_permission_set = &page["charts"]["unused-by-permission-set"]["bars"];
    let charted: u64 = strings(by_permission_set)
        .iter()
        .map(|bar| bar.rsplit(": ").next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        charted,
        manifest["report"]["unused"].as_u64().unwrap(),
        "the example has fewer than 15 permission sets: the bars add up to every unused row"
    );
}

#[test]
fn directory_text_shows_as_text_and_injects_nothing() {
    let s = Scratch::new();
    let mut org = organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-alice"),
        assign("222222222222", PS_READ, "GROUP", "g-ops"),
        assign("111111111111", PS_READ, "USER", "u-bob"),
    ]);
    org["users"][0]["display_name"] = json!(HOSTILE_DISPLAY_NAME);
    org["accounts"][0]["name"] = json!(HOSTILE_ACCOUNT_NAME);
    org["groups"][0]["display_name"] = json!(HOSTILE_GROUP_NAME);
    org["permission_sets"][0]["description"] = json!(HOSTILE_DESCRIPTION);
    s.write_snapshot(&org);
    s.deliver(&[get_role_credentials(
        new_identity("u-bob"),
        "111111111111",
        "ReadOnlyAccess",
        "2026-11-21T12:00:00Z",
    )]);
    s.write_raw_log("broken.json.gz", b"not gzip");
    let snapshot = s.snapshot().display().to_string();
    let logs = s.logs().display().to_string();
    let (rows, users, manifest) = generate(
        &s,
        &[
            "--directory-snapshot",
            &snapshot,
            "--cloudtrail-logs",
            &logs,
            "--allow-malformed-logs",
        ],
    );
    let codes: Vec<&str> = field_of(&manifest["warnings"], "code");
    assert!(codes.contains(&"skipped_files"), "{codes:?}");

    let page = inspect(&s.path("out/report.html"), "hostile", "ONERROR", &[]);
    assert_page_matches(&page, &rows, &users, &manifest);
    assert_filtered(&page, &rows, "ONERROR");
    let cells: Vec<String> = table(&page["rows"]).concat();
    for hostile in [
        HOSTILE_DISPLAY_NAME,
        HOSTILE_ACCOUNT_NAME,
        HOSTILE_GROUP_NAME,
    ] {
        assert!(
            cells.iter().any(|c| c == hostile),
            "{hostile} shows as text"
        );
    }
    let idle = table(&page["idle_users"]).concat();
    assert!(idle.iter().any(|c| c == HOSTILE_DISPLAY_NAME), "{idle:?}");
    let bars = strings(&page["charts"]["unused-by-account"]["bars"]);
    let account = format!("111111111111 {HOSTILE_ACCOUNT_NAME}");
    assert!(bars.iter().any(|b| b.starts_with(&account)), "{bars:?}");
    assert!(page["title"].as_str().unwrap().contains(AS_OF));
}

#[test]
fn the_review_queue_follows_the_warnings_and_the_provenance_names_every_file() {
    let s = Scratch::new();
    let previous = s.path("previous/report.csv");
    example_report(&previous, "2026-10-15T00:00:00Z", &[]);
    let rows = read_rows(&previous);
    let admin = (rows.iter())
        .find(|r| {
            r["usage_status"] == "UNUSED" && r["permission_set_name"] == "AdministratorAccess"
        })
        .unwrap();
    let exceptions = s.path("exceptions.csv");
    std::fs::write(
        &exceptions,
        format!(
            "account,permission_set,principal,reason,approved_by,expires\n\
             *,AdministratorAccess,{},Break-glass,CISO,2099-12-31\n\
             *,ReadOnlyAccess,nobody,Gone,CISO,2099-12-31\n",
            admin["user_name"]
        ),
    )
    .unwrap();
    let report = s.path("out/report.csv");
    example_report(
        &report,
        AS_OF,
        &[
            "--previous-report",
            previous.to_str().unwrap(),
            "--exceptions",
            exceptions.to_str().unwrap(),
        ],
    );
    let (rows, manifest) = (
        read_rows(&report),
        read_json(&s.path("out/report.manifest.json")),
    );
    let page = inspect(&s.path("out/report.html"), "review", "", &[]);
    let review = &page["review"];

    let queue = [
        "privileged-unused",
        "inactive-principals",
        "grants",
        "since-previous",
        "exceptions",
    ];
    let sections = strings(&review["sections"]);
    let position = |id: &str| {
        sections
            .iter()
            .position(|s| s == id)
            .unwrap_or_else(|| panic!("{id} in {sections:?}"))
    };
    let order: Vec<usize> = ["warnings"]
        .iter()
        .chain(&queue)
        .chain(&["assignments", "provenance"])
        .map(|id| position(id))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{sections:?}");

    let section = |id: &str| {
        review["queue"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .unwrap()
            .clone()
    };
    let privileged = |name: &str| {
        ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"].contains(&name)
            || name.contains("Admin")
    };
    let unused_privileged: Vec<&Row> = (rows.iter())
        .filter(|r| {
            r["usage_status"] == "UNUSED"
                && r["review_status"].is_empty()
                && privileged(&r["permission_set_name"])
        })
        .collect();
    let mut assignments: Vec<(&str, &str, &str)> = (unused_privileged.iter())
        .map(|r| {
            let principal = match r["assignment_type"].as_str() {
                "USER" => &r["user_id"],
                _ => &r["group_id"],
            };
            (
                r["account_id"].as_str(),
                r["permission_set_arn"].as_str(),
                principal.as_str(),
            )
        })
        .collect();
    assignments.sort();
    assignments.dedup();
    assert!(!assignments.is_empty() && assignments.len() < unused_privileged.len());
    let privileged_section = section("privileged-unused");
    assert_eq!(
        privileged_section["rows"].as_array().unwrap().len(),
        assignments.len()
    );
    let intro = privileged_section["intro"].as_str().unwrap();
    assert!(
        intro.contains(&format!(
            "{} assignments, {} rows",
            assignments.len(),
            unused_privileged.len()
        )),
        "{intro}"
    );
    let mut holders: Vec<&str> = (rows.iter())
        .filter(|r| ["DISABLED", "NOT_FOUND"].contains(&r["user_status"].as_str()))
        .map(|r| {
            if r["user_id"].is_empty() {
                r["group_id"].as_str()
            } else {
                r["user_id"].as_str()
            }
        })
        .collect();
    holders.sort();
    holders.dedup();
    assert!(!holders.is_empty());
    let listed: Vec<String> = table(&section("inactive-principals")["rows"])
        .iter()
        .map(|r| r[1].clone())
        .collect();
    assert_eq!(listed.len(), holders.len(), "one line per user: {listed:?}");
    let changes = read_rows(&s.path("out/report.changes.csv"));
    let grants = (changes.iter())
        .filter(|c| {
            c["event_name"].starts_with("Create")
                && !(c["event_name"] == "CreateGroup" && c["member_change"] != "added")
        })
        .count();
    assert_eq!(section("grants")["rows"].as_array().unwrap().len(), grants);
    let diff = read_rows(&s.path("out/report.diff.csv")).len()
        + read_rows(&s.path("out/report.users.diff.csv")).len();
    assert!(diff > 0);
    assert_eq!(
        section("since-previous")["rows"].as_array().unwrap().len(),
        diff
    );
    assert!(section("since-previous")["intro"]
        .as_str()
        .unwrap()
        .contains("2026-10-15T00:00:00Z"));
    let states: Vec<String> = table(&section("exceptions")["rows"])
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(
        states[0].starts_with("accepts ") && states[1] == "matches no row",
        "{states:?}"
    );

    let headers = strings(&page["headers"]);
    assert_eq!(
        headers[..6],
        [
            "user_name",
            "account_id",
            "account_name",
            "permission_set_name",
            "usage_status",
            "last_used"
        ]
    );
    assert_eq!(review["header_position"], "sticky");
    let provenance = review["provenance"].as_str().unwrap();
    for sha in [
        &manifest["report"]["sha256"],
        &manifest["users"]["sha256"],
        &manifest["changes"]["sha256"],
        &manifest["review"]["diff"]["sha256"],
        &manifest["review"]["users_diff"]["sha256"],
        &manifest["review"]["previous"]["report_sha256"],
        &manifest["review"]["exceptions"]["sha256"],
    ] {
        assert!(
            provenance.contains(sha.as_str().unwrap()),
            "{sha} in {provenance}"
        );
    }
    assert!(provenance.contains(manifest["directory"]["instance_arn"].as_str().unwrap()));
    for key in ["csp_violations", "dialogs", "console_errors", "page_errors"] {
        assert_eq!(page[key], json!([]), "{key}");
    }
}
