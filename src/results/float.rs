//! Floats that survive JSON: serde_json writes NaN and infinities as `null`,
//! which then cannot be read back into an f64. Every number that crosses a
//! worker pipe or goes into a journal goes through these helpers instead:
//! finite values stay plain JSON numbers, the others become the strings
//! "NaN", "inf" and "-inf". Reading also accepts `null` (as NaN), so journals
//! written before this change load.

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One f64, as a number or one of the strings "NaN", "inf", "-inf".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonFloat(pub f64);

impl Serialize for JsonFloat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct FloatVisitor;

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = JsonFloat;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, null, or \"NaN\", \"inf\", \"-inf\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonFloat, E> {
        Ok(JsonFloat(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonFloat, E> {
        Ok(JsonFloat(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonFloat, E> {
        Ok(JsonFloat(v as f64))
    }
    fn visit_unit<E: de::Error>(self) -> Result<JsonFloat, E> {
        Ok(JsonFloat(f64::NAN))
    }
    fn visit_none<E: de::Error>(self) -> Result<JsonFloat, E> {
        Ok(JsonFloat(f64::NAN))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonFloat, E> {
        match v.to_ascii_lowercase().as_str() {
            "nan" => Ok(JsonFloat(f64::NAN)),
            "inf" | "+inf" | "infinity" | "+infinity" => Ok(JsonFloat(f64::INFINITY)),
            "-inf" | "-infinity" => Ok(JsonFloat(f64::NEG_INFINITY)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for JsonFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonFloat, D::Error> {
        d.deserialize_any(FloatVisitor)
    }
}

/// `#[serde(with = "float")]` on an f64 field.
pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    JsonFloat(*x).serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    JsonFloat::deserialize(d).map(|f| f.0)
}

/// `#[serde(with = "float::map")]` on a `BTreeMap<String, f64>` (scores).
pub mod map {
    use super::*;

    pub fn serialize<S: Serializer>(m: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(m.len()))?;
        for (k, v) in m {
            out.serialize_entry(k, &JsonFloat(*v))?;
        }
        out.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        let m = BTreeMap::<String, JsonFloat>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// `#[serde(with = "float::option_vec")]` on an `Option<Vec<f64>>`.
pub mod option_vec {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Vec<f64>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|v| v.iter().map(|&x| JsonFloat(x)).collect::<Vec<_>>())
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
        let v = Option::<Vec<JsonFloat>>::deserialize(d)?;
        Ok(v.map(|v| v.into_iter().map(|x| x.0).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug)]
    struct Holder {
        #[serde(with = "super")]
        x: f64,
        #[serde(with = "super::map")]
        scores: BTreeMap<String, f64>,
    }

    #[test]
    fn every_float_round_trips_through_json() {
        for x in [
            0.0,
            -1.5,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let h = Holder {
                x,
                scores: [("a".to_string(), x)].into(),
            };
            let text = serde_json::to_string(&h).unwrap();
            let back: Holder = serde_json::from_str(&text).unwrap();
            assert_eq!((back.x, back.scores["a"]), (x, x), "{text}");
        }
        let text = serde_json::to_string(&Holder {
            x: f64::NAN,
            scores: [("a".to_string(), f64::NAN)].into(),
        })
        .unwrap();
        assert_eq!(text, r#"{"x":"NaN","scores":{"a":"NaN"}}"#);
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert!(back.x.is_nan() && back.scores["a"].is_nan());
    }

    #[test]
    fn null_from_older_journals_reads_as_nan() {
        let back: Holder = serde_json::from_str(r#"{"x":null,"scores":{"a":null}}"#).unwrap();
        assert!(back.x.is_nan() && back.scores["a"].is_nan());
    }
}
