//! Hand-rolled JSON output, times and random identifiers.
//!
//! A benchmark tree is a gigabyte of events; building a `serde_json::Value` per event would
//! cost more than everything else together. Events are written straight into a byte buffer,
//! compact and in the field order CloudTrail uses, so a file looks like a delivered one.

use chrono::{DateTime, Datelike, Timelike};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Writes one JSON value into a buffer, putting the commas where they belong.
pub struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    comma: bool,
}

impl<'a> JsonWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        JsonWriter { out, comma: false }
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(b',');
        }
    }

    fn key(&mut self, key: &str) {
        self.separate();
        push_json_str(self.out, key);
        self.out.push(b':');
        self.comma = false;
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.comma = false;
    }

    fn close(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.comma = true;
    }

    /// A top-level object, or an object as an element of an array.
    pub fn element(&mut self, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.separate();
        self.open(b'{');
        body(self);
        self.close(b'}');
        self
    }

    pub fn object(&mut self, key: &str, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.key(key);
        self.open(b'{');
        body(self);
        self.close(b'}');
        self
    }

    pub fn array(&mut self, key: &str, body: impl FnOnce(&mut Self)) -> &mut Self {
        self.key(key);
        self.open(b'[');
        body(self);
        self.close(b']');
        self
    }

    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_json_str(self.out, value);
        self.comma = true;
        self
    }

    /// A string whose characters `body` appends itself (they must need no escaping).
    pub fn string_with(&mut self, key: &str, body: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.key(key);
        self.out.push(b'"');
        body(self.out);
        self.out.push(b'"');
        self.comma = true;
        self
    }

    pub fn time(&mut self, key: &str, secs: i64) -> &mut Self {
        self.string_with(key, |out| push_time(out, secs))
    }

    pub fn uuid(&mut self, key: &str, rng: &mut SmallRng) -> &mut Self {
        self.string_with(key, |out| push_uuid(out, rng))
    }

    pub fn null(&mut self, key: &str) -> &mut Self {
        self.raw(key, "null")
    }

    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        self.out.extend_from_slice(value.to_string().as_bytes());
        self.comma = true;
        self
    }

    /// A value that is already JSON.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.extend_from_slice(json.as_bytes());
        self.comma = true;
        self
    }
}

fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.extend_from_slice(s.as_bytes());
    } else {
        for c in s.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                c if (c as u32) < 0x20 => {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
                }
                c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
    }
    out.push(b'"');
}

fn push_digits(out: &mut Vec<u8>, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut v = value;
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits[..width]);
}

fn date_time(secs: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(secs, 0).expect("event times are well inside chrono's range")
}

/// `2026-11-20T10:00:00Z`, CloudTrail's `eventTime` format.
pub fn push_time(out: &mut Vec<u8>, secs: i64) {
    let t = date_time(secs);
    push_digits(out, t.year() as u32, 4);
    out.push(b'-');
    push_digits(out, t.month(), 2);
    out.push(b'-');
    push_digits(out, t.day(), 2);
    out.push(b'T');
    push_digits(out, t.hour(), 2);
    out.push(b':');
    push_digits(out, t.minute(), 2);
    out.push(b':');
    push_digits(out, t.second(), 2);
    out.push(b'Z');
}

pub fn format_time(secs: i64) -> String {
    let mut out = Vec::with_capacity(20);
    push_time(&mut out, secs);
    String::from_utf8(out).expect("ASCII")
}

/// `Nov 22, 2026, 1:00:00 AM`, the format STS uses for credential expiry in CloudTrail.
pub fn push_sts_expiry(out: &mut Vec<u8>, secs: i64) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = date_time(secs);
    let (pm, hour) = t.hour12();
    out.extend_from_slice(MONTHS[t.month0() as usize].as_bytes());
    out.push(b' ');
    out.extend_from_slice(t.day().to_string().as_bytes());
    out.extend_from_slice(b", ");
    push_digits(out, t.year() as u32, 4);
    out.extend_from_slice(b", ");
    out.extend_from_slice(hour.to_string().as_bytes());
    out.push(b':');
    push_digits(out, t.minute(), 2);
    out.push(b':');
    push_digits(out, t.second(), 2);
    out.extend_from_slice(if pm { b" PM" } else { b" AM" });
}

pub const HEX: &[u8] = b"0123456789abcdef";
pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const BASE64_URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn push_chars(out: &mut Vec<u8>, rng: &mut SmallRng, alphabet: &[u8], len: usize) {
    out.extend((0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())]));
}

pub fn chars(rng: &mut SmallRng, alphabet: &[u8], len: usize) -> String {
    let mut out = Vec::with_capacity(len);
    push_chars(&mut out, rng, alphabet, len);
    String::from_utf8(out).expect("alphabets are ASCII")
}

/// A random (version 4) UUID, as CloudTrail's `eventID` and `requestID`.
pub fn push_uuid(out: &mut Vec<u8>, rng: &mut SmallRng) {
    let bits: u128 = rng.gen();
    let bits = (bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push(b'-');
        }
        out.push(HEX[((bits >> (124 - 4 * i)) & 0xf) as usize]);
    }
}

pub fn uuid(rng: &mut SmallRng) -> String {
    let mut out = Vec::with_capacity(36);
    push_uuid(&mut out, rng);
    String::from_utf8(out).expect("ASCII")
}

/// A public-looking IPv4 address (first octets of ranges that are routed on the internet).
pub fn ip(rng: &mut SmallRng) -> String {
    const FIRST: [u8; 12] = [3, 18, 34, 52, 54, 81, 86, 92, 145, 176, 185, 203];
    let first = FIRST[rng.gen_range(0..FIRST.len())];
    format!(
        "{first}.{}.{}.{}",
        rng.gen_range(0..=255),
        rng.gen_range(0..=255),
        rng.gen_range(1..=254)
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// An independent random stream for one part of the output (`salt`) and one item in it
/// (`index`), so that items can be generated in any order, in parallel, with the same result.
pub fn derive_rng(seed: u64, salt: u64, index: u64) -> SmallRng {
    SmallRng::seed_from_u64(splitmix(seed ^ splitmix(salt ^ splitmix(index))))
}

pub fn pick<T: Copy>(rng: &mut SmallRng, items: &[T]) -> T {
    *pick_ref(rng, items)
}

pub fn pick_ref<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_get_their_commas() {
        let mut out = Vec::new();
        JsonWriter::new(&mut out).element(|w| {
            w.string("a", "x\"y").null("b").object("c", |w| {
                w.number("n", 3).boolean("t", true);
            });
            w.array("d", |w| {
                w.element(|w| {
                    w.string("e", "1");
                })
                .element(|_| {});
            });
        });
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            r#"{"a":"x\"y","b":null,"c":{"n":3,"t":true},"d":[{"e":"1"},{}]}"#
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }

    #[test]
    fn times_look_like_cloudtrail() {
        assert_eq!(format_time(1_795_305_600), "2026-11-22T00:00:00Z");
        let mut out = Vec::new();
        push_sts_expiry(&mut out, 1_795_305_600 + 3600 + 13 * 3600);
        assert_eq!(String::from_utf8(out).unwrap(), "Nov 22, 2026, 2:00:00 PM");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid(&mut derive_rng(1, 2, 3));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }
}
