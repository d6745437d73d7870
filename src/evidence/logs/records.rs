//! Streams the events out of one CloudTrail file without holding the file in memory.
//!
//! A delivered file is `{"Records": [event, event, ...]}`; a hand-made one may also be a
//! single event object. The scanner tracks only strings and nesting, cuts each element of the
//! top-level `Records` array out of a sliding buffer, and hands it to the caller, so memory is
//! bounded by the largest event, not the file; an event larger than [`MAX_EVENT_BYTES`] is
//! refused, so memory stays bounded whatever a file (or a gzip bomb) holds. Each event is then
//! parsed in full by serde.

use std::io::{self, Read};

const CHUNK: usize = 256 * 1024;

/// The largest event read: 16 MiB. CloudTrail's events are at most 256 KB, or 1 MB for an
/// event data store set to large events (`MaxEventSize`), so anything larger is not one.
pub(super) const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Top-level keys that make an object without `Records` an event.
const EVENT_KEYS: [&str; 4] = ["eventTime", "eventName", "eventSource", "eventVersion"];

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not valid JSON at byte {offset}: {message}")]
    Syntax { offset: u64, message: &'static str },
    #[error("event {index} (Records[{index}]): {message}")]
    Event { index: u64, message: String },
    #[error("an event (or the object around it) passes {} MiB at byte {offset}: CloudTrail's events are at most 1 MB, so this is not a CloudTrail log file", MAX_EVENT_BYTES / (1024 * 1024))]
    TooLarge { offset: u64 },
}

/// Calls `on_event(index, bytes)` for every event in the stream.
pub(super) fn for_each_event<R: Read>(
    reader: R,
    mut on_event: impl FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<u64, RecordsError> {
    let mut scanner = Scanner::new(reader);
    let mut count = 0;
    while let Some(range) = scanner.next_event()? {
        on_event(count, &scanner.buf[range]).map_err(|message| RecordsError::Event {
            index: count,
            message,
        })?;
        count += 1;
    }
    Ok(count)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// After `[`: an element or `]`.
    ElementOrEnd,
    /// After an element: `,` or `]`.
    CommaOrEnd,
    /// After `,`: an element.
    Element,
}

struct Scanner<R> {
    reader: R,
    /// Bytes read but not yet dropped are `buf[..end]`; the rest is space to read into.
    buf: Vec<u8>,
    end: usize,
    /// Next byte to scan.
    pos: usize,
    /// Bytes dropped from the front of `buf` so far, for error offsets.
    dropped: u64,
    eof: bool,
    /// Open containers: `true` for objects.
    stack: Vec<bool>,
    in_string: bool,
    escaped: bool,
    /// Start and end of the last complete string at depth 1 (a key of the top-level object).
    last_key: Option<(usize, usize)>,
    /// At depth 1, the next string is a key (after `{` or `,`), not a value (after `:`).
    key_expected: bool,
    string_start: usize,
    /// Set between the `Records` key and its `[`.
    records_key_seen: bool,
    /// A top-level key only an event has (`eventTime`, ...): a file without `Records` must
    /// have one to be read as a single event.
    saw_event_key: bool,
    /// State inside the top-level `Records` array.
    records: Option<ArrayState>,
    saw_records: bool,
    event_start: Option<usize>,
    top_level_done: bool,
    single_event_emitted: bool,
}

impl<R: Read> Scanner<R> {
    fn new(reader: R) -> Self {
        Scanner {
            reader,
            buf: vec![0; CHUNK],
            end: 0,
            pos: 0,
            dropped: 0,
            eof: false,
            stack: Vec::new(),
            in_string: false,
            escaped: false,
            last_key: None,
            key_expected: false,
            string_start: 0,
            records_key_seen: false,
            saw_event_key: false,
            records: None,
            saw_records: false,
            event_start: None,
            top_level_done: false,
            single_event_emitted: false,
        }
    }

    fn syntax(&self, at: usize, message: &'static str) -> RecordsError {
        RecordsError::Syntax {
            offset: self.dropped + at as u64,
            message,
        }
    }

    /// Drops what no pending event needs, then reads another chunk.
    fn refill(&mut self) -> Result<(), RecordsError> {
        let mut keep_from = match (self.event_start, self.saw_records) {
            (Some(start), _) => start,
            // Until `Records` is seen the whole object may be a single event.
            (None, false) => 0,
            (None, true) => self.pos,
        };
        // A top-level key is read when its `:` comes: keep it until then.
        if self.stack.len() == 1 && self.key_expected {
            let key_start = match (self.in_string, self.last_key) {
                (true, _) => Some(self.string_start),
                (false, Some((start, _))) => Some(start),
                (false, None) => None,
            };
            if let Some(start) = key_start {
                keep_from = keep_from.min(start.saturating_sub(1));
            }
        }
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.end, 0);
            self.end -= keep_from;
            self.pos -= keep_from;
            self.dropped += keep_from as u64;
            self.event_start = self.event_start.map(|s| s - keep_from);
            self.string_start = self.string_start.saturating_sub(keep_from);
            self.last_key = self
                .last_key
                .map(|(s, e)| (s.saturating_sub(keep_from), e.saturating_sub(keep_from)));
        }
        if self.end > MAX_EVENT_BYTES {
            return Err(RecordsError::TooLarge {
                offset: self.dropped + self.end as u64,
            });
        }
        if self.buf.len() - self.end < CHUNK / 2 {
            self.buf.resize(self.buf.len() + CHUNK, 0);
        }
        let n = loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        };
        self.end += n;
        self.eof = n == 0;
        Ok(())
    }

    fn next_event(&mut self) -> Result<Option<std::ops::Range<usize>>, RecordsError> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return self.finish();
                }
                self.refill()?;
                continue;
            }
            if self.in_string {
                self.scan_string();
                continue;
            }
            let at = self.pos;
            let byte = self.buf[at];
            self.pos += 1;
            if let Some(range) = self.structural(at, byte)? {
                return Ok(Some(range));
            }
        }
    }

    fn scan_string(&mut self) {
        let rest = &self.buf[self.pos..self.end];
        if self.escaped {
            self.escaped = false;
            self.pos += 1;
            return;
        }
        match memchr::memchr2(b'"', b'\\', rest) {
            None => self.pos = self.end,
            Some(i) if rest[i] == b'\\' => {
                self.escaped = true;
                self.pos += i + 1;
            }
            Some(i) => {
                self.in_string = false;
                self.pos += i + 1;
                if self.stack.len() == 1 && self.key_expected {
                    self.last_key = Some((self.string_start, self.pos - 1));
                }
            }
        }
    }

    fn structural(
        &mut self,
        at: usize,
        byte: u8,
    ) -> Result<Option<std::ops::Range<usize>>, RecordsError> {
        if byte.is_ascii_whitespace() {
            return Ok(None);
        }
        if self.top_level_done {
            return Err(self.syntax(at, "unexpected data after the top-level value"));
        }
        if self.stack.is_empty() && byte != b'{' {
            return Err(self.syntax(at, "a CloudTrail file must hold a JSON object"));
        }
        if let Some(state) = self.records {
            if self.stack.len() == 2 {
                return self.records_element(at, byte, state);
            }
        }
        if self.records_key_seen && self.stack.len() == 1 && byte != b'[' {
            return Err(self.syntax(at, "Records must be a list of events"));
        }
        match byte {
            b'"' => {
                self.in_string = true;
                self.string_start = at + 1;
            }
            b':' if self.stack.len() == 1 => self.top_level_key(at)?,
            b'{' => {
                self.stack.push(true);
                self.key_expected = self.stack.len() == 1;
            }
            b',' if self.stack.len() == 1 => self.key_expected = true,
            b'[' => {
                self.stack.push(false);
                if self.stack.len() == 2 && self.records_key_seen {
                    self.records = Some(ArrayState::ElementOrEnd);
                    self.saw_records = true;
                    self.records_key_seen = false;
                }
            }
            b'}' | b']' => return self.close(at, byte),
            _ => {}
        }
        Ok(None)
    }

    /// A key of the top-level object, escapes decoded (`"\u0052ecords"` is `Records`): a
    /// second `Records`, or one in another letter case, is refused rather than read as a
    /// single event with no evidence in it.
    fn top_level_key(&mut self, at: usize) -> Result<(), RecordsError> {
        self.key_expected = false;
        let Some((start, end)) = self.last_key.take() else {
            return Ok(());
        };
        let quoted = &self.buf[start - 1..end + 1];
        let key: String = serde_json::from_slice(quoted)
            .map_err(|_| self.syntax(at, "a key that is not a valid JSON string"))?;
        self.records_key_seen = key == "Records";
        if self.records_key_seen && self.saw_records {
            return Err(self.syntax(at, "the key Records appears twice"));
        }
        if !self.records_key_seen && key.eq_ignore_ascii_case("records") {
            return Err(self.syntax(
                at,
                "a key spelled Records in another letter case: not CloudTrail's Records",
            ));
        }
        self.saw_event_key |= EVENT_KEYS.contains(&key.as_str());
        Ok(())
    }

    fn close(
        &mut self,
        at: usize,
        byte: u8,
    ) -> Result<Option<std::ops::Range<usize>>, RecordsError> {
        match self.stack.pop() {
            Some(is_object) if is_object == (byte == b'}') => {}
            _ => return Err(self.syntax(at, "mismatched bracket")),
        }
        if self.stack.len() == 2 && self.records.is_some() {
            // An event inside Records just ended.
            self.records = Some(ArrayState::CommaOrEnd);
            let start = self
                .event_start
                .take()
                .expect("event start is set inside Records");
            return Ok(Some(start..at + 1));
        }
        if self.stack.is_empty() {
            self.top_level_done = true;
            if !self.saw_records {
                if !self.saw_event_key {
                    return Err(self.syntax(at, "neither a CloudTrail log file ({\"Records\": [...]}) nor an event (no eventTime, eventName, eventSource or eventVersion)"));
                }
                self.single_event_emitted = true;
                return Ok(Some(0..at + 1));
            }
        }
        Ok(None)
    }

    /// A byte directly inside the `Records` array: elements must be objects.
    fn records_element(
        &mut self,
        at: usize,
        byte: u8,
        state: ArrayState,
    ) -> Result<Option<std::ops::Range<usize>>, RecordsError> {
        match (byte, state) {
            (b'{', ArrayState::ElementOrEnd | ArrayState::Element) => {
                self.stack.push(true);
                self.event_start = Some(at);
                Ok(None)
            }
            (b',', ArrayState::CommaOrEnd) => {
                self.records = Some(ArrayState::Element);
                Ok(None)
            }
            (b']', ArrayState::ElementOrEnd | ArrayState::CommaOrEnd) => {
                self.records = None;
                self.stack.pop();
                Ok(None)
            }
            _ => Err(self.syntax(at, "every element of Records must be an event object")),
        }
    }

    fn finish(&mut self) -> Result<Option<std::ops::Range<usize>>, RecordsError> {
        if self.in_string || !self.stack.is_empty() {
            return Err(self.syntax(self.end, "unexpected end of file (truncated?)"));
        }
        if !self.top_level_done {
            return Err(self.syntax(self.end, "the file is empty"));
        }
        Ok(None)
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
