//! The record splitter on well-formed, damaged and oversized files.

use super::*;

fn events(text: &str) -> Result<Vec<String>, RecordsError> {
    let mut out = Vec::new();
    for_each_event(text.as_bytes(), |_, e| {
        out.push(String::from_utf8(e.to_vec()).unwrap());
        Ok(())
    })?;
    Ok(out)
}

/// A reader that hands out one byte at a time, to cross every buffer boundary.
struct Trickle<'a>(&'a [u8]);
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

#[test]
fn an_event_past_the_cap_is_refused_while_the_file_may_be_any_size() {
    use std::io::Read as _;
    // One endless string inside one event: refused just past the cap, not read to the end.
    let endless = b"{\"Records\": [{\"a\": \"".chain(io::repeat(b'x'));
    let error = for_each_event(endless, |_, _| Ok(())).unwrap_err();
    let RecordsError::TooLarge { offset } = error else {
        panic!("{error}");
    };
    assert!((MAX_EVENT_BYTES as u64..MAX_EVENT_BYTES as u64 * 2).contains(&offset));
    // Many small events make a large file, which streams.
    let event = b"{\"eventName\": \"x\"},".repeat(2_000_000);
    let file = [b"{\"Records\": [".as_slice(), &event, b"{}]}"].concat();
    assert!(file.len() > 2 * MAX_EVENT_BYTES);
    assert_eq!(
        for_each_event(file.as_slice(), |_, _| Ok(())).unwrap(),
        2_000_001
    );
}

#[test]
fn splits_records() {
    let text = r#"{"Records": [{"a": "}{\"]"}, {"b": [1, {"c": 2}]}], "x": 1}"#;
    assert_eq!(
        events(text).unwrap(),
        vec![r#"{"a": "}{\"]"}"#, r#"{"b": [1, {"c": 2}]}"#]
    );
}

#[test]
fn a_single_event_file_is_one_event() {
    let text = r#"{"eventName": "Federate", "Recordsx": [1]}"#;
    assert_eq!(events(text).unwrap(), vec![text]);
}

#[test]
fn empty_records_gives_no_events() {
    assert!(events(r#"{"Records": []}"#).unwrap().is_empty());
}

#[test]
fn works_across_buffer_boundaries() {
    let big = "x".repeat(3 * CHUNK);
    let text = format!(r#"{{"Records":[{{"a":"{big}"}},{{"b":"\"}}"}}]}}"#);
    let mut out = Vec::new();
    for_each_event(Trickle(text.as_bytes()), |_, e| {
        out.push(e.len());
        Ok(())
    })
    .unwrap();
    assert_eq!(out, vec![big.len() + 8, 11]);
}

#[test]
fn rejects_broken_structure() {
    for bad in [
        "",
        "   ",
        "[1, 2]",
        r#"{"Records": [{"a": 1}"#,
        r#"{"Records": [{"a": "unterminated"#,
        r#"{"Records": [1, 2]}"#,
        r#"{"Records": [{"a": 1} {"b": 2}]}"#,
        r#"{"Records": [{"a": 1},]}"#,
        r#"{"Records": [{"a": 1]}]}"#,
        r#"{"Records": []} {"again": 1}"#,
    ] {
        assert!(events(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn records_is_read_by_its_decoded_name_once_and_only_as_a_list() {
    let escaped = r#"{"\u0052ecords": [{"eventName": "Federate"}]}"#;
    assert_eq!(
        events(escaped).unwrap(),
        vec![r#"{"eventName": "Federate"}"#]
    );
    for (bad, message) in [
        (
            r#"{"Records": {"0": {"eventName": "Federate"}}}"#,
            "Records must be a list",
        ),
        (
            r#"{"Records": [], "Records": [{"eventName": "Federate"}]}"#,
            "appears twice",
        ),
        (
            r#"{"records": [{"eventName": "Federate"}]}"#,
            "another letter case",
        ),
        (
            r#"{"Events": [{"eventName": "Federate"}]}"#,
            "neither a CloudTrail log file",
        ),
    ] {
        let error = events(bad).unwrap_err().to_string();
        assert!(error.contains(message), "{bad}: {error}");
    }
}

#[test]
fn a_key_split_across_buffers_is_still_read() {
    let pad = "x".repeat(CHUNK);
    let text = format!(r#"{{"pad": "{pad}", "Records": [{{"eventName": "Federate"}}]}}"#);
    let mut out = 0;
    for_each_event(Trickle(text.as_bytes()), |_, _| {
        out += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(out, 1);
}

#[test]
fn error_names_the_byte_offset() {
    let err = events(r#"{"Records": [{"a": 1}, 7]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not valid JSON at byte 23: every element of Records must be an event object"
    );
}
