//! A command's metrics: the last stdout line that is a JSON object (or a
//! JSON file), each `[scoring]` key a finite number.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parses one line or file as a JSON object. Python's `json.dumps` writes
/// NaN and Infinity, which JSON lacks: they are read as the strings "NaN"
/// and "Infinity" so that the error can say which key was not finite.
pub fn parse_object(text: &str) -> Option<Map<String, Value>> {
    let text = text.trim();
    if !text.starts_with('{') {
        return None;
    }
    match serde_json::from_str::<Map<String, Value>>(text) {
        Ok(map) => Some(map),
        Err(_) => serde_json::from_str(&quote_non_finite(text)).ok(),
    }
}

/// Quotes the bare tokens NaN, Infinity and -Infinity outside strings.
fn quote_non_finite(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some(token) = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t))
        {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The wanted keys as finite numbers, or what was wrong.
pub fn extract(
    map: &Map<String, Value>,
    wanted: &[String],
) -> Result<BTreeMap<String, f64>, String> {
    let mut scores = BTreeMap::new();
    for key in wanted {
        match map.get(key) {
            None => {
                let seen: Vec<&str> = map.keys().map(String::as_str).collect();
                return Err(format!(
                    "the metrics have no `{key}` (the command reported: {})",
                    if seen.is_empty() {
                        "nothing".to_string()
                    } else {
                        seen.join(", ")
                    }
                ));
            }
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => {
                    scores.insert(key.clone(), x);
                }
                _ => return Err(format!("metric `{key}` = {n} is not a finite number")),
            },
            Some(Value::String(s)) if ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()) => {
                return Err(format!("metric `{key}` is {s}, not a finite number"))
            }
            Some(other) => {
                return Err(format!("metric `{key}` = {other} is not a number"));
            }
        }
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn finite_numbers_pass() {
        let m = parse_object(r#"{"accuracy": 0.9, "f1": 1, "note": "x"}"#).unwrap();
        let s = extract(&m, &wanted(&["accuracy", "f1"])).unwrap();
        assert_eq!(s["accuracy"], 0.9);
        assert_eq!(s["f1"], 1.0);
    }

    #[test]
    fn nan_and_infinity_are_named() {
        let m =
            parse_object(r#"{"accuracy": NaN, "s": "NaN in a string", "l": -Infinity}"#).unwrap();
        assert_eq!(m["s"], "NaN in a string");
        let e = extract(&m, &wanted(&["accuracy"])).unwrap_err();
        assert_eq!(e, "metric `accuracy` is NaN, not a finite number");
        let e = extract(&m, &wanted(&["l"])).unwrap_err();
        assert_eq!(e, "metric `l` is -Infinity, not a finite number");
    }

    #[test]
    fn missing_keys_list_what_was_seen() {
        let m = parse_object(r#"{"acc": 0.5, "loss": 2}"#).unwrap();
        let e = extract(&m, &wanted(&["accuracy"])).unwrap_err();
        assert_eq!(
            e,
            "the metrics have no `accuracy` (the command reported: acc, loss)"
        );
        let e = extract(&m, &wanted(&["acc", "loss2"])).unwrap_err();
        assert!(e.contains("no `loss2`"), "{e}");
    }

    #[test]
    fn non_objects_are_not_metrics() {
        assert!(parse_object("[1, 2]").is_none());
        assert!(parse_object("epoch 3 {loss: 1}").is_none());
        assert!(parse_object("{not json").is_none());
        assert!(parse_object("  {\"a\": 1}  ").is_some());
    }
}
