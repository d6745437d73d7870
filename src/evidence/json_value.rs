//! JSON values the event rules read leniently: a field of another event may hold anything, so
//! a value of an unexpected type is remembered as such ([`Text::Other`], [`Object::Other`])
//! rather than rejected, and the rules decide, per event, whether that is an error.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// A JSON value kept only if it is a string.
#[derive(Debug, Default, Clone)]
pub(super) enum Text<'a> {
    #[default]
    Absent,
    Null,
    Str(Cow<'a, str>),
    Other,
}

impl Text<'_> {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn non_empty(&self) -> Option<String> {
        self.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    }

    /// Present with a value: a non-empty string, or anything that is not a string or null.
    pub(super) fn is_set(&self) -> bool {
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

/// A JSON value decoded as `T` if it is an object, kept as text if it is a string (which may
/// hold the object as JSON, as Athena's tables do), and otherwise only noted.
#[derive(Debug, Default, Clone)]
pub(super) enum Object<T> {
    #[default]
    Absent,
    Present(T),
    Text(String),
    Other,
}

impl<T> Object<T> {
    pub(super) fn get(&self) -> Option<&T> {
        match self {
            Object::Present(t) => Some(t),
            _ => None,
        }
    }
}

impl<T> Object<T> {
    /// The object, `None` when absent or null; `Err` when it is anything but an object.
    pub(super) fn strict(&self) -> Result<Option<&T>, ()> {
        match self {
            Object::Absent => Ok(None),
            Object::Present(t) => Ok(Some(t)),
            Object::Text(_) | Object::Other => Err(()),
        }
    }
}

impl<'s, T: Deserialize<'s> + Clone> Object<T> {
    /// The object, also when given as a JSON string; `Err` when it is something else (a
    /// list, a number, a string that is not a JSON object).
    pub(super) fn decoded(&'s self) -> Result<Option<T>, ()> {
        match self {
            Object::Absent => Ok(None),
            Object::Present(t) => Ok(Some(t.clone())),
            Object::Text(text) => serde_json::from_str(text).map(Some).map_err(|_| ()),
            Object::Other => Err(()),
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
                Ok(Object::Other)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Object::Text(v.to_owned()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Object::Text(v.to_owned()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Object::Absent)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Object::Absent)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Object::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Object::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Object::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Object::Other)
            }
        }
        deserializer.deserialize_any(ObjectVisitor(std::marker::PhantomData))
    }
}
