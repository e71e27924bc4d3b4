//! Whole values (fitted models, best_model.json) to and from JSON with their
//! non-finite floats kept. `serde_json::to_value` turns a NaN or infinite
//! model parameter (a tree threshold at the float limit, a variance that
//! overflowed) into `null`, which then cannot be read back: `gridrun predict`
//! failed on such a model. Written here, those floats become the strings
//! "NaN", "inf", "-inf" (as in the journal, see `float`); read back, a value
//! first goes through serde_json as before and, only when that fails, through
//! a value tree (serde-value) in which those strings are floats again.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;
use serde_value::Value as Tree;

/// `value` as JSON, non-finite floats as "NaN" / "inf" / "-inf".
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Json, String> {
    // serde_json first: no null, no non-finite float (the usual case, and the
    // cheap one for a forest of tens of MB).
    let plain = serde_json::to_value(value).map_err(|e| e.to_string())?;
    if !has_null(&plain) {
        return Ok(plain);
    }
    let tree = serde_value::to_value(value).map_err(|e| e.to_string())?;
    Ok(tree_to_json(tree))
}

fn has_null(json: &Json) -> bool {
    match json {
        Json::Null => true,
        Json::Array(items) => items.iter().any(has_null),
        Json::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

/// Reads what [`to_json`] wrote (or plain JSON).
pub fn from_json<T: DeserializeOwned>(json: &Json) -> Result<T, String> {
    match serde_json::from_value(json.clone()) {
        Ok(value) => Ok(value),
        Err(plain) if has_non_finite_marker(json) => {
            T::deserialize(serde_value::ValueDeserializer::<
                serde_value::DeserializerError,
            >::new(json_to_tree(json)))
            .map_err(|e| format!("{plain} (also with non-finite numbers: {e})"))
        }
        Err(plain) => Err(plain.to_string()),
    }
}

fn non_finite(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn float_json(x: f64) -> Json {
    match serde_json::Number::from_f64(x) {
        Some(n) => Json::Number(n),
        None if x.is_nan() => Json::String("NaN".into()),
        None if x > 0.0 => Json::String("inf".into()),
        None => Json::String("-inf".into()),
    }
}

/// What serde_json's own serializer makes of each kind of value.
fn tree_to_json(tree: Tree) -> Json {
    match tree {
        Tree::Bool(b) => Json::Bool(b),
        Tree::U8(n) => n.into(),
        Tree::U16(n) => n.into(),
        Tree::U32(n) => n.into(),
        Tree::U64(n) => n.into(),
        Tree::I8(n) => n.into(),
        Tree::I16(n) => n.into(),
        Tree::I32(n) => n.into(),
        Tree::I64(n) => n.into(),
        Tree::F32(x) => float_json(f64::from(x)),
        Tree::F64(x) => float_json(x),
        Tree::Char(c) => Json::String(c.to_string()),
        Tree::String(s) => Json::String(s),
        Tree::Unit | Tree::Option(None) => Json::Null,
        Tree::Option(Some(inner)) | Tree::Newtype(inner) => tree_to_json(*inner),
        Tree::Seq(items) => Json::Array(items.into_iter().map(tree_to_json).collect()),
        Tree::Bytes(bytes) => Json::Array(bytes.into_iter().map(Json::from).collect()),
        Tree::Map(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (key_text(k), tree_to_json(v)))
                .collect(),
        ),
    }
}

/// JSON object keys are strings: numbers and the like by their text.
fn key_text(key: Tree) -> String {
    match tree_to_json(key) {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

fn json_to_tree(json: &Json) -> Tree {
    match json {
        Json::Null => Tree::Unit,
        Json::Bool(b) => Tree::Bool(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Tree::U64(u),
            (None, Some(i)) => Tree::I64(i),
            _ => Tree::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => non_finite(s).map_or_else(|| Tree::String(s.clone()), Tree::F64),
        Json::Array(items) => Tree::Seq(items.iter().map(json_to_tree).collect()),
        Json::Object(map) => Tree::Map(
            map.iter()
                .map(|(k, v)| (key_tree(k), json_to_tree(v)))
                .collect(),
        ),
    }
}

/// serde_json reads `"0"` as a map key of any integer type; serde-value
/// needs the number itself. Keys that are integers are taken as such (the
/// models' maps are keyed by class index; field names are never numbers).
fn key_tree(key: &str) -> Tree {
    key.parse::<u64>()
        .map(Tree::U64)
        .or_else(|_| key.parse::<i64>().map(Tree::I64))
        .unwrap_or_else(|_| Tree::String(key.to_string()))
}

fn has_non_finite_marker(json: &Json) -> bool {
    match json {
        Json::String(s) => non_finite(s).is_some(),
        Json::Array(items) => items.iter().any(has_non_finite_marker),
        Json::Object(map) => map.values().any(has_non_finite_marker),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Node {
        Leaf(f64),
        Split { threshold: f64, left: usize },
        Empty,
    }

    #[derive(Serialize, Deserialize, Debug, Clone)]
    struct Model {
        name: String,
        weights: Vec<f64>,
        single: f32,
        bias: Option<f64>,
        nodes: Vec<Node>,
        counts: std::collections::BTreeMap<u32, u64>,
    }

    fn model(x: f64) -> Model {
        Model {
            name: "NaN is a name here".into(),
            weights: vec![1.5, x, -2.0],
            single: 0.25,
            bias: Some(x),
            nodes: vec![
                Node::Leaf(x),
                Node::Split {
                    threshold: x,
                    left: 3,
                },
                Node::Empty,
            ],
            counts: [(7, 2)].into(),
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn finite_models_are_written_as_serde_json_writes_them() {
        let m = model(0.5);
        assert_eq!(to_json(&m).unwrap(), serde_json::to_value(&m).unwrap());
        let back: Model = from_json(&to_json(&m).unwrap()).unwrap();
        assert_eq!(back.nodes, m.nodes);
        assert_eq!(back.counts, m.counts);
    }

    #[test]
    fn non_finite_parameters_round_trip_through_the_file_text() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let m = model(x);
            let text = serde_json::to_string(&to_json(&m).unwrap()).unwrap();
            assert!(!text.contains("null"), "{text}");
            let back: Model = from_json(&serde_json::from_str(&text).unwrap()).unwrap();
            assert!(same(back.weights[1], x) && same(back.bias.unwrap(), x));
            assert!(matches!(back.nodes[0], Node::Leaf(v) if same(v, x)));
            assert!(
                matches!(back.nodes[1], Node::Split { threshold, left: 3 } if same(threshold, x))
            );
            assert_eq!(back.nodes[2], Node::Empty);
            assert_eq!(back.name, m.name);
            assert_eq!((back.single, back.weights[0]), (0.25, 1.5));
        }
    }

    #[test]
    fn a_model_that_is_not_one_says_why() {
        let err = from_json::<Model>(&serde_json::json!({"name": 3})).unwrap_err();
        assert!(err.contains("invalid type"), "{err}");
    }
}
