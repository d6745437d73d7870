//! Query rows read into evidence and changes, and rows that must be refused.

use super::*;

fn row(cells: &[(&str, &str)]) -> HashMap<String, String> {
    cells
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn use_row(event_name: &str, time: &str, count: &str) -> HashMap<String, String> {
    row(&[
        ("on_behalf_of_user_id", "u-1"),
        ("event_name", event_name),
        ("account_id", "111122223333"),
        ("role_name", "ReadOnly"),
        ("last_event_time", time),
        ("event_count", count),
    ])
}

fn evidence_error(row: HashMap<String, String>) -> RowError {
    evidence_from_rows(vec![row], "q-1", SourceInfo::default()).unwrap_err()
}

#[test]
fn a_readable_row_is_evidence() {
    let good = use_row("Federate", "2026-07-01T00:00:00Z", "3");
    let evidence = evidence_from_rows(vec![good], "q-1", SourceInfo::default()).unwrap();
    assert_eq!(evidence.source.console_events, 3);
}

#[test]
fn an_unreadable_cell_stops_the_run_naming_the_query_and_the_cell() {
    for (bad, column) in [
        (
            use_row("ConsoleLogin", "2026-07-01T00:00:00Z", "1"),
            "event_name",
        ),
        (use_row("Federate", "yesterday", "1"), "last_event_time"),
        (
            use_row("Federate", "2026-07-01T00:00:00Z", "-1"),
            "event_count",
        ),
        (
            use_row("Federate", "2026-07-01T00:00:00Z", ""),
            "event_count",
        ),
    ] {
        let error = evidence_error(bad);
        assert_eq!((error.query.as_str(), error.column), ("q-1", column));
        let message = error.to_string();
        assert!(
            message.starts_with("query q-1 returned a row whose"),
            "{message}"
        );
    }
    let changes = |cells: &[(&str, &str)]| changes_from_rows(vec![row(cells)], "q-2");
    let unknown = changes(&[
        ("event_source", "sso.amazonaws.com"),
        ("event_name", "Other"),
    ]);
    assert_eq!(unknown.unwrap_err().column, "event_name");
    let moved = changes(&[
        ("event_source", "iam.amazonaws.com"),
        ("event_name", "CreateGroup"),
    ]);
    assert_eq!(moved.unwrap_err().column, "event_source");
    let untimed = changes(&[
        ("event_source", "identitystore.amazonaws.com"),
        ("event_name", "CreateGroupMembership"),
        ("event_time", "soon"),
    ]);
    assert_eq!(untimed.unwrap_err().value, "soon");
    let damaged = changes_from_events(vec![row(&[(EVENT_JSON_COLUMN, "{\"eventName\"")])], "q-3");
    assert_eq!(damaged.unwrap_err().query, "q-3");
}
