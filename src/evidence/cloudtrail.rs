//! One CloudTrail event in, at most one observation out.
//!
//! Only the fields the rules need are decoded. Fields of other events may hold anything, so a
//! value of an unexpected type is remembered as such rather than rejected; only an event that
//! would be evidence must have the shape the rules need, else it is an error (evidence that
//! could not be read must never turn into "unused").

use super::{UsageKey, UseKind, UserRef};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// What an event proves, before its user is matched to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A qualifying event: the use it proves, when, and a hash of its `eventID` for dedup.
    Use {
        key: UsageKey,
        time: i64,
        event_id: Option<u128>,
    },
    /// A qualifying event name that failed (`errorCode`): not evidence.
    Failed,
}

/// Why an event that matters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("{event_name} event has {field} {problem}")]
    Field {
        event_name: String,
        field: &'static str,
        problem: String,
    },
}

/// Decodes one event and applies the evidence rules that need no directory.
pub fn observe(json: &[u8]) -> Result<Option<Observation>, EventError> {
    let raw: RawEvent =
        serde_json::from_slice(json).map_err(|e| EventError::Json(e.to_string()))?;
    raw.observe()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(borrow, default)]
    event_time: Text<'a>,
    #[serde(borrow, default)]
    event_source: Text<'a>,
    #[serde(borrow, default)]
    event_name: Text<'a>,
    #[serde(borrow, default, rename = "eventID")]
    event_id: Text<'a>,
    #[serde(borrow, default)]
    error_code: Text<'a>,
    #[serde(borrow, default)]
    user_identity: Object<RawUserIdentity<'a>>,
    #[serde(borrow, default)]
    service_event_details: Object<RawServiceEventDetails<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawUserIdentity<'a> {
    #[serde(borrow, default)]
    principal_id: Text<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    on_behalf_of: Object<RawOnBehalfOf<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawOnBehalfOf<'a> {
    #[serde(borrow, default)]
    user_id: Text<'a>,
    #[serde(borrow, default)]
    identity_store_arn: Text<'a>,
}

#[derive(Deserialize, Default)]
struct RawServiceEventDetails<'a> {
    #[serde(borrow, default)]
    account_id: Text<'a>,
    #[serde(borrow, default)]
    role_name: Text<'a>,
    #[serde(borrow, default, rename = "UserAuthentication")]
    user_authentication: Text<'a>,
}

/// The event names that are evidence, by event source.
pub fn use_kind(event_source: &str, event_name: &str) -> Option<UseKind> {
    match (event_source, event_name) {
        ("sso.amazonaws.com", "Federate") => Some(UseKind::Console),
        ("sso.amazonaws.com", "GetRoleCredentials") => Some(UseKind::Cli),
        ("signin.amazonaws.com", "UserAuthentication") => Some(UseKind::PortalSignIn),
        _ => None,
    }
}

impl RawEvent<'_> {
    fn observe(&self) -> Result<Option<Observation>, EventError> {
        let (Some(source), Some(name)) = (self.event_source.as_str(), self.event_name.as_str())
        else {
            return Ok(None);
        };
        let Some(kind) = use_kind(source, name) else {
            return Ok(None);
        };
        if self.error_code.is_set() {
            return Ok(Some(Observation::Failed));
        }
        let field_error = |field, problem: &str| EventError::Field {
            event_name: name.to_owned(),
            field,
            problem: problem.to_owned(),
        };
        let time_text = self
            .event_time
            .as_str()
            .ok_or_else(|| field_error("eventTime", "missing or not a string"))?;
        let time = parse_event_time(time_text).ok_or_else(|| {
            field_error("eventTime", &format!("{time_text:?}, not an RFC 3339 time"))
        })?;
        let details = self.service_event_details.get();
        let (account_id, role_name) = match kind {
            UseKind::PortalSignIn => {
                let outcome = details.and_then(|d| d.user_authentication.as_str());
                if outcome != Some("Success") {
                    return Ok(None);
                }
                (String::new(), String::new())
            }
            UseKind::Console | UseKind::Cli => {
                let account = details.and_then(|d| d.account_id.as_str());
                let role = details.and_then(|d| d.role_name.as_str());
                match (account, role) {
                    (Some(a), Some(r)) if !a.is_empty() && !r.is_empty() => {
                        (a.to_owned(), r.to_owned())
                    }
                    // Application sign-ins carry no account and role: not an assignment use.
                    _ => return Ok(None),
                }
            }
        };
        let user = self.user_ref();
        if user.is_empty() {
            return Ok(None);
        }
        Ok(Some(Observation::Use {
            key: UsageKey {
                user,
                kind,
                account_id,
                role_name,
            },
            time,
            event_id: self.event_id.as_str().map(hash_event_id),
        }))
    }

    fn user_ref(&self) -> UserRef {
        let Some(identity) = self.user_identity.get() else {
            return UserRef::default();
        };
        let on_behalf_of = identity.on_behalf_of.get();
        UserRef {
            on_behalf_of_user_id: on_behalf_of.and_then(|o| o.user_id.non_empty()),
            identity_store_arn: on_behalf_of.and_then(|o| o.identity_store_arn.non_empty()),
            principal_id: identity.principal_id.non_empty(),
            user_name: identity.user_name.non_empty(),
        }
    }
}

pub fn hash_event_id(event_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(event_id.as_bytes())
}

/// Parses CloudTrail's `2026-07-01T00:08:20Z` quickly, and any other RFC 3339 time, or Lake's
/// `2026-07-01 00:08:20.000`, through chrono.
pub fn parse_event_time(text: &str) -> Option<i64> {
    if let Some(secs) = parse_plain_utc(text.as_bytes()) {
        return Some(secs);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

fn parse_plain_utc(b: &[u8]) -> Option<i64> {
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)? as u32, num(8..10)? as u32)?;
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + h * 3600 + m * 60 + s)
}

/// A JSON value kept only if it is a string.
#[derive(Debug, Default)]
enum Text<'a> {
    #[default]
    Absent,
    Null,
    Str(Cow<'a, str>),
    Other,
}

impl Text<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }

    fn non_empty(&self) -> Option<String> {
        self.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    }

    /// Present with a value: a non-empty string, or anything that is not a string or null.
    fn is_set(&self) -> bool {
        match self {
            Text::Absent | Text::Null => false,
            Text::Str(s) => !s.is_empty(),
            Text::Other => true,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Text::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Text::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::Other)
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A JSON value decoded as `T` if it is an object, and otherwise only noted.
#[derive(Debug, Default)]
enum Object<T> {
    #[default]
    Absent,
    Present(T),
    NotAnObject,
}

impl<T> Object<T> {
    fn get(&self) -> Option<&T> {
        match self {
            Object::Present(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object::Present)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Object::NotAnObject)
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Object::Absent)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Object::Absent)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Object::NotAnObject)
            }
        }
        deserializer.deserialize_any(ObjectVisitor(std::marker::PhantomData))
    }
}
