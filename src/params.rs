//! Hyperparameter values and settings (one point of the grid).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One hyperparameter value, as written in the config and recorded in the results.
///
/// `"none"` in the config becomes [`ParamValue::None`] (Python's `None`), so
/// `max_depth = [4, "none"]` reads the way scikit-learn users write it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    None,
}

/// Read as `#[serde(untagged)]` would (bool, then i64, then f64, string,
/// null), but straight from the value: the derived untagged form buffers
/// every value and builds an error per variant it rules out, which was half
/// the time of reading a 30,000-task journal.
impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ParamValue, D::Error> {
        d.deserialize_any(ParamValueVisitor)
    }
}

struct ParamValueVisitor;

impl<'de> serde::de::Visitor<'de> for ParamValueVisitor {
    type Value = ParamValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean, number, string or none")
    }
    fn visit_bool<E>(self, v: bool) -> Result<ParamValue, E> {
        Ok(ParamValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ParamValue, E> {
        Ok(ParamValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ParamValue, E> {
        Ok(i64::try_from(v).map_or(ParamValue::Float(v as f64), ParamValue::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<ParamValue, E> {
        Ok(ParamValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<ParamValue, E> {
        Ok(ParamValue::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<ParamValue, E> {
        Ok(ParamValue::Str(v))
    }
    fn visit_unit<E>(self) -> Result<ParamValue, E> {
        Ok(ParamValue::None)
    }
    fn visit_none<E>(self) -> Result<ParamValue, E> {
        Ok(ParamValue::None)
    }
}

impl ParamValue {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Int(i) => Some(*i as f64),
            ParamValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Bool(_) => "a boolean",
            ParamValue::Int(_) => "an integer",
            ParamValue::Float(_) => "a float",
            ParamValue::Str(_) => "a string",
            ParamValue::None => "none",
        }
    }
}

impl fmt::Display for ParamValue {
    /// Python's spelling, so cv_results.csv reads like scikit-learn's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(true) => write!(f, "True"),
            ParamValue::Bool(false) => write!(f, "False"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x:?}"),
            ParamValue::Str(s) => write!(f, "{s}"),
            ParamValue::None => write!(f, "None"),
        }
    }
}

/// A full assignment of hyperparameters: sorted by name, which makes its JSON
/// canonical (the task ids hash it).
pub type Params = BTreeMap<String, ParamValue>;

/// Renders a setting compactly: `criterion=gini max_depth=4`.
pub fn describe(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Canonical JSON of a setting: keys sorted, floats in shortest round-trip form.
pub fn canonical_json(params: &Params) -> String {
    serde_json::to_string(params).expect("params always serialise")
}

/// Typed access to a setting, with defaults for absent keys.
///
/// Values were validated against the model's [`crate::models::ParamSpec`]s
/// before any task ran, so a wrong type here is a programming error reported
/// as a task failure, not a panic.
pub struct ParamReader<'a>(pub &'a Params);

impl ParamReader<'_> {
    pub fn int(&self, key: &str, default: i64) -> Result<i64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Int(i)) => Ok(*i),
            Some(v) => Err(format!("{key} must be an integer, got {v}")),
        }
    }

    pub fn usize(&self, key: &str, default: usize) -> Result<usize, String> {
        let v = self.int(key, default as i64)?;
        usize::try_from(v).map_err(|_| format!("{key} must be >= 0, got {v}"))
    }

    /// An integer or `none` (e.g. max_depth).
    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>, String> {
        match self.0.get(key) {
            None | Some(ParamValue::None) => Ok(None),
            Some(ParamValue::Int(i)) if *i >= 0 => Ok(Some(*i as usize)),
            Some(v) => Err(format!(
                "{key} must be a non-negative integer or none, got {v}"
            )),
        }
    }

    pub fn float(&self, key: &str, default: f64) -> Result<f64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| format!("{key} must be a number, got {v}")),
        }
    }

    pub fn str<'b>(&'b self, key: &str, default: &'b str) -> Result<&'b str, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Str(s)) => Ok(s),
            Some(v) => Err(format!("{key} must be a string, got {v}")),
        }
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Bool(b)) => Ok(*b),
            Some(v) => Err(format!("{key} must be true or false, got {v}")),
        }
    }

    pub fn get(&self, key: &str) -> Option<&ParamValue> {
        self.0.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_python_spelling() {
        assert_eq!(ParamValue::None.to_string(), "None");
        assert_eq!(ParamValue::Bool(true).to_string(), "True");
        assert_eq!(ParamValue::Float(0.5).to_string(), "0.5");
        assert_eq!(ParamValue::Float(1.0).to_string(), "1.0");
    }

    #[test]
    fn canonical_json_is_sorted() {
        let mut p = Params::new();
        p.insert("z".into(), ParamValue::Int(1));
        p.insert("a".into(), ParamValue::None);
        assert_eq!(canonical_json(&p), r#"{"a":null,"z":1}"#);
    }

    #[test]
    fn json_roundtrip_keeps_types() {
        let mut p = Params::new();
        p.insert("i".into(), ParamValue::Int(3));
        p.insert("f".into(), ParamValue::Float(3.0));
        p.insert("s".into(), ParamValue::Str("gini".into()));
        p.insert("n".into(), ParamValue::None);
        p.insert("b".into(), ParamValue::Bool(false));
        let back: Params = serde_json::from_str(&canonical_json(&p)).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn reads_like_the_untagged_form() {
        let read = |t: &str| serde_json::from_str::<ParamValue>(t);
        assert_eq!(read("-3").unwrap(), ParamValue::Int(-3));
        assert_eq!(read("3.0").unwrap(), ParamValue::Float(3.0));
        assert_eq!(read("1e300").unwrap(), ParamValue::Float(1e300));
        let big = read("18446744073709551615").unwrap();
        assert_eq!(big, ParamValue::Float(u64::MAX as f64));
        assert_eq!(read("\"NaN\"").unwrap(), ParamValue::Str("NaN".into()));
        assert!(read("[1]").is_err() && read("{}").is_err());
    }
}
