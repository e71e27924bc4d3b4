//! Declarative hyperparameter specs, checked before any task runs.

use crate::params::ParamValue;

/// A hyperparameter a model accepts, with its allowed values.
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub help: &'static str,
}

/// The size limits every tree model shares, with scikit-learn's names.
pub const MAX_DEPTH: ParamSpec = ParamSpec {
    name: "max_depth",
    kind: ParamKind::IntOrNone { min: 1 },
    help: "deepest level; none = unlimited",
};
pub const MIN_SAMPLES_SPLIT: ParamSpec = ParamSpec {
    name: "min_samples_split",
    kind: ParamKind::Int {
        min: 2,
        max: i64::MAX,
    },
    help: "fewest rows a node needs to be split",
};
pub const MIN_SAMPLES_LEAF: ParamSpec = ParamSpec {
    name: "min_samples_leaf",
    kind: ParamKind::Int {
        min: 1,
        max: i64::MAX,
    },
    help: "fewest rows in a leaf",
};

/// Allowed values of a hyperparameter.
#[derive(Clone)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// An integer >= min, or none (e.g. max_depth).
    IntOrNone {
        min: i64,
    },
    /// A number in `[min, max]` (or `(min, max]` when `min_open`).
    Float {
        min: f64,
        max: f64,
        min_open: bool,
    },
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// One of these strings, or none.
    ChoiceOrNone(&'static [&'static str]),
    Bool,
    /// "sqrt", "log2", "all", a count >= 1 or a fraction in (0, 1].
    MaxFeatures,
    /// none, a count >= 1 or a fraction in (0, 1].
    MaxSamples,
    /// "auto", true or false (e.g. early_stopping).
    AutoOrBool,
    /// "scale", "auto" or a number > 0 (an SVM's gamma).
    GammaOrChoice,
    /// "from_dtype", none or false (scikit-learn's categorical_features).
    CategoricalFeatures,
}

impl ParamKind {
    pub fn check(&self, v: &ParamValue) -> Result<(), String> {
        match (self, v) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => in_int_range(*i, *min, *max),
            (ParamKind::IntOrNone { .. }, ParamValue::None) => Ok(()),
            (ParamKind::IntOrNone { min }, ParamValue::Int(i)) => in_int_range(*i, *min, i64::MAX),
            (ParamKind::Float { min, max, min_open }, v) if v.as_f64().is_some() => {
                in_float_range(v.as_f64().unwrap_or(f64::NAN), *min, *max, *min_open)
            }
            (ParamKind::Choice(options) | ParamKind::ChoiceOrNone(options), ParamValue::Str(s)) => {
                if options.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(format!("`{s}` is not one of {}", options.join(", ")))
                }
            }
            (ParamKind::ChoiceOrNone(_), ParamValue::None) => Ok(()),
            (ParamKind::Bool | ParamKind::AutoOrBool, ParamValue::Bool(_)) => Ok(()),
            (ParamKind::AutoOrBool, ParamValue::Str(s)) if s == "auto" => Ok(()),
            (ParamKind::CategoricalFeatures, ParamValue::Str(s)) if s == "from_dtype" => Ok(()),
            (ParamKind::CategoricalFeatures, ParamValue::None | ParamValue::Bool(false)) => Ok(()),
            (ParamKind::GammaOrChoice, ParamValue::Str(s)) if s == "scale" || s == "auto" => Ok(()),
            (ParamKind::GammaOrChoice, ParamValue::Int(_) | ParamValue::Float(_)) => {
                in_float_range(v.as_f64().unwrap_or(f64::NAN), 0.0, f64::INFINITY, true)
            }
            (ParamKind::MaxFeatures, ParamValue::Str(s)) => match s.as_str() {
                "sqrt" | "log2" | "all" => Ok(()),
                _ => Err(format!("`{s}` is not one of sqrt, log2, all")),
            },
            (ParamKind::MaxFeatures | ParamKind::MaxSamples, ParamValue::Int(i)) => {
                in_int_range(*i, 1, i64::MAX)
            }
            (ParamKind::MaxFeatures | ParamKind::MaxSamples, ParamValue::Float(f)) => {
                in_float_range(*f, 0.0, 1.0, true)
            }
            (ParamKind::MaxFeatures, ParamValue::None) => Ok(()),
            (ParamKind::MaxSamples, ParamValue::None) => Ok(()),
            (kind, v) => Err(format!(
                "expected {}, got {}",
                kind.expected(),
                v.type_name()
            )),
        }
    }

    /// What the kind accepts, in words.
    pub fn expected(&self) -> String {
        match self {
            ParamKind::Int { min, max } if *max == i64::MAX => format!("an integer >= {min}"),
            ParamKind::Int { min, max } => format!("an integer from {min} to {max}"),
            ParamKind::IntOrNone { min } => format!("an integer >= {min} or \"none\""),
            ParamKind::Float { min, max, min_open } => {
                let open = if *min_open { "(" } else { "[" };
                format!("a number in {open}{min}, {max}]")
            }
            ParamKind::Choice(o) => format!("one of {}", o.join(", ")),
            ParamKind::ChoiceOrNone(o) => format!("one of {}, none", o.join(", ")),
            ParamKind::Bool => "true or false".into(),
            ParamKind::MaxFeatures => {
                "\"sqrt\", \"log2\", \"all\", a count >= 1 or a fraction in (0, 1]".into()
            }
            ParamKind::MaxSamples => "\"none\", a count >= 1 or a fraction in (0, 1]".into(),
            ParamKind::AutoOrBool => "\"auto\", true or false".into(),
            ParamKind::GammaOrChoice => "\"scale\", \"auto\" or a number > 0".into(),
            ParamKind::CategoricalFeatures => "\"from_dtype\", \"none\" or false".into(),
        }
    }
}

fn in_int_range(i: i64, min: i64, max: i64) -> Result<(), String> {
    if i < min {
        Err(format!("{i} is out of range: must be >= {min}"))
    } else if i > max {
        Err(format!("{i} is out of range: must be <= {max}"))
    } else {
        Ok(())
    }
}

fn in_float_range(x: f64, min: f64, max: f64, min_open: bool) -> Result<(), String> {
    let low_ok = if min_open { x > min } else { x >= min };
    if low_ok && x <= max {
        Ok(())
    } else {
        let open = if min_open { "(" } else { "[" };
        Err(format!("{x} is out of range {open}{min}, {max}]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_features_forms() {
        let k = ParamKind::MaxFeatures;
        assert!(k.check(&ParamValue::Str("sqrt".into())).is_ok());
        assert!(k.check(&ParamValue::Int(3)).is_ok());
        assert!(k.check(&ParamValue::Float(0.3)).is_ok());
        assert!(k.check(&ParamValue::Int(0)).is_err());
        assert!(k.check(&ParamValue::Float(0.0)).is_err());
        assert!(k.check(&ParamValue::Float(1.5)).is_err());
        assert!(k.check(&ParamValue::Str("half".into())).is_err());
    }

    #[test]
    fn type_mismatch_names_expected() {
        let k = ParamKind::Int {
            min: 1,
            max: i64::MAX,
        };
        let e = k.check(&ParamValue::Str("x".into())).unwrap_err();
        assert_eq!(e, "expected an integer >= 1, got a string");
    }

    #[test]
    fn float_open_lower_bound() {
        let k = ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: true,
        };
        assert!(k.check(&ParamValue::Float(0.0)).is_err());
        assert!(k.check(&ParamValue::Int(2)).is_ok());
    }
}
