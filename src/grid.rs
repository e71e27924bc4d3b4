//! Grid expansion: lists and numeric ranges per hyperparameter, cartesian
//! product per sub-grid, sub-grids concatenated (scikit-learn's ParameterGrid).

use crate::params::{ParamValue, Params};

/// Most settings one grid table may expand to (the plan is held in memory).
pub const MAX_SETTINGS: usize = 1_000_000;

/// One hyperparameter with the values it takes in a sub-grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: String,
    pub values: Vec<ParamValue>,
}

/// Cartesian product of the axes, last axis varying fastest (as ParameterGrid
/// does with sorted keys).
pub fn product(axes: &[Axis]) -> Vec<Params> {
    let mut settings = vec![Params::new()];
    for axis in axes {
        settings = settings
            .into_iter()
            .flat_map(|partial| {
                axis.values.iter().map(move |v| {
                    let mut p = partial.clone();
                    p.insert(axis.name.clone(), v.clone());
                    p
                })
            })
            .collect();
    }
    settings
}

/// Expands several sub-grids and drops settings that an earlier sub-grid
/// already produced (they would be the same tasks, with the same ids).
pub fn expand(subgrids: &[Vec<Axis>]) -> Vec<Params> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Params> = Vec::new();
    for axes in subgrids {
        for setting in product(axes) {
            // Canonical JSON as the key: a linear pass, even for huge grids.
            if seen.insert(crate::params::canonical_json(&setting)) {
                out.push(setting);
            }
        }
    }
    out
}

/// Reads one grid entry: a single value, a list, or a numeric range table
/// `{ range = [start, stop], step = s }` (Python's range: stop excluded),
/// `{ linspace = [a, b], num = n }` or `{ logspace = [a, b], num = n, base = 10 }`
/// (numpy's: both ends included, logspace takes exponents).
pub fn axis_values(value: &toml::Value) -> Result<Vec<ParamValue>, String> {
    match value {
        toml::Value::Array(items) => {
            if items.is_empty() {
                return Err("the list of values is empty".into());
            }
            items.iter().map(scalar).collect()
        }
        toml::Value::Table(t) => range_table(t),
        other => Ok(vec![scalar(other)?]),
    }
}

/// A single TOML value as a hyperparameter value.
pub fn scalar(value: &toml::Value) -> Result<ParamValue, String> {
    match value {
        toml::Value::Integer(i) => Ok(ParamValue::Int(*i)),
        toml::Value::Float(f) if f.is_finite() => Ok(ParamValue::Float(*f)),
        toml::Value::Float(f) => Err(format!("{f} is not a finite number")),
        toml::Value::Boolean(b) => Ok(ParamValue::Bool(*b)),
        toml::Value::String(s) if s.eq_ignore_ascii_case("none") => Ok(ParamValue::None),
        toml::Value::String(s) => Ok(ParamValue::Str(s.clone())),
        other => Err(format!(
            "expected a number, string or boolean, got {}",
            other.type_str()
        )),
    }
}

fn range_table(t: &toml::Table) -> Result<Vec<ParamValue>, String> {
    let form = ["range", "linspace", "logspace"]
        .into_iter()
        .find(|k| t.contains_key(*k))
        .ok_or("a table of values needs `range`, `linspace` or `logspace` (or `int` / `float`: a distribution, for random search)")?;
    let allowed: &[&str] = match form {
        "range" => &["range", "step"],
        "linspace" => &["linspace", "num"],
        _ => &["logspace", "num", "base"],
    };
    if let Some(extra) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{extra}` in a {form} table (allowed: {})",
            allowed.join(", ")
        ));
    }
    let bounds = pair(&t[form], form)?;
    let values = match form {
        "range" => range_values(bounds, t.get("step"))?,
        "linspace" => linspace(bounds, count(t.get("num"))?),
        _ => {
            let base = match t.get("base") {
                None => 10.0,
                Some(v) => number(v).ok_or("base must be a number")?,
            };
            linspace(bounds, count(t.get("num"))?)
                .into_iter()
                .map(|e| ParamValue::Float(base.powf(e.as_f64().unwrap_or(0.0))))
                .collect()
        }
    };
    if values.is_empty() {
        return Err(format!("the {form} produces no values"));
    }
    Ok(values)
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

fn pair(v: &toml::Value, form: &str) -> Result<(toml::Value, toml::Value), String> {
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) if number(a).is_some() && number(b).is_some() => Ok((a.clone(), b.clone())),
        _ => Err(format!("{form} takes two numbers: [start, stop]")),
    }
}

fn count(v: Option<&toml::Value>) -> Result<usize, String> {
    match v {
        Some(toml::Value::Integer(n)) if *n >= 1 && *n <= 100_000 => Ok(*n as usize),
        Some(_) => Err("num must be an integer from 1 to 100000".into()),
        None => Err("num is required (how many values)".into()),
    }
}

fn range_values(
    (start, stop): (toml::Value, toml::Value),
    step: Option<&toml::Value>,
) -> Result<Vec<ParamValue>, String> {
    let all_int = matches!(
        (&start, &stop, step),
        (
            toml::Value::Integer(_),
            toml::Value::Integer(_),
            None | Some(toml::Value::Integer(_))
        )
    );
    let step_value = step
        .map_or(Some(1.0), number)
        .ok_or("step must be a number")?;
    if step_value == 0.0 {
        return Err("step must not be 0".into());
    }
    let (a, b) = (number(&start).unwrap_or(0.0), number(&stop).unwrap_or(0.0));
    let n = ((b - a) / step_value).ceil().max(0.0) as usize;
    if n > 100_000 {
        return Err(format!("the range has {n} values; at most 100000"));
    }
    Ok((0..n)
        .map(|i| a + i as f64 * step_value)
        .map(|x| {
            if all_int {
                ParamValue::Int(x.round() as i64)
            } else {
                ParamValue::Float(x)
            }
        })
        .collect())
}

fn linspace((start, stop): (toml::Value, toml::Value), num: usize) -> Vec<ParamValue> {
    let (a, b) = (number(&start).unwrap_or(0.0), number(&stop).unwrap_or(0.0));
    if num == 1 {
        return vec![ParamValue::Float(a)];
    }
    let step = (b - a) / (num - 1) as f64;
    (0..num)
        .map(|i| {
            // Hit the end point exactly, as numpy does.
            let x = if i == num - 1 { b } else { a + i as f64 * step };
            ParamValue::Float(x)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> toml::Value {
        let t: toml::Table = toml::from_str(&format!("v = {src}")).unwrap();
        t["v"].clone()
    }

    fn ints(v: &[i64]) -> Vec<ParamValue> {
        v.iter().map(|i| ParamValue::Int(*i)).collect()
    }

    #[test]
    fn list_and_none() {
        let v = axis_values(&parse(r#"[2, 4, "none"]"#)).unwrap();
        assert_eq!(
            v,
            vec![ParamValue::Int(2), ParamValue::Int(4), ParamValue::None]
        );
    }

    #[test]
    fn single_value_is_one_point() {
        assert_eq!(axis_values(&parse("5")).unwrap(), ints(&[5]));
    }

    #[test]
    fn range_excludes_stop_like_python() {
        let v = axis_values(&parse("{ range = [1, 9], step = 4 }")).unwrap();
        assert_eq!(v, ints(&[1, 5]));
        let v = axis_values(&parse("{ range = [1, 10], step = 4 }")).unwrap();
        assert_eq!(v, ints(&[1, 5, 9]));
        let v = axis_values(&parse("{ range = [0.0, 1.0], step = 0.25 }")).unwrap();
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn linspace_and_logspace_include_both_ends() {
        let v = axis_values(&parse("{ linspace = [0.1, 1.0], num = 10 }")).unwrap();
        assert_eq!(v.len(), 10);
        assert_eq!(v[9], ParamValue::Float(1.0));
        let v = axis_values(&parse("{ logspace = [-2, 2], num = 5 }")).unwrap();
        let xs: Vec<f64> = v.iter().map(|p| p.as_f64().unwrap()).collect();
        for (x, want) in xs.iter().zip([0.01, 0.1, 1.0, 10.0, 100.0]) {
            assert!((x - want).abs() < 1e-12 * want.max(1.0));
        }
    }

    #[test]
    fn bad_forms_are_rejected() {
        assert!(axis_values(&parse("[]")).is_err());
        assert!(axis_values(&parse("{ range = [1, 9], step = 0 }")).is_err());
        assert!(axis_values(&parse("{ linspace = [0, 1] }")).is_err());
        assert!(axis_values(&parse("{ range = [1, 9], num = 3 }")).is_err());
        assert!(axis_values(&parse("{ steps = 3 }")).is_err());
        assert!(axis_values(&parse("[[1, 2]]")).is_err());
    }

    #[test]
    fn product_counts_and_order() {
        let axes = vec![
            Axis {
                name: "a".into(),
                values: ints(&[1, 2]),
            },
            Axis {
                name: "b".into(),
                values: ints(&[10, 20, 30]),
            },
        ];
        let settings = product(&axes);
        assert_eq!(settings.len(), 6);
        // last axis fastest
        assert_eq!(settings[1]["a"], ParamValue::Int(1));
        assert_eq!(settings[1]["b"], ParamValue::Int(20));
        assert_eq!(settings[3]["a"], ParamValue::Int(2));
    }

    #[test]
    fn subgrids_concatenate_without_duplicates() {
        let g1 = vec![Axis {
            name: "a".into(),
            values: ints(&[1, 2]),
        }];
        let g2 = vec![Axis {
            name: "a".into(),
            values: ints(&[2, 3]),
        }];
        let settings = expand(&[g1, g2]);
        assert_eq!(settings.len(), 3);
    }

    #[test]
    fn empty_grid_is_one_default_setting() {
        assert_eq!(expand(&[vec![]]), vec![Params::new()]);
    }
}
