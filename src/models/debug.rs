//! A model for testing and benchmarking the runner itself: it predicts the
//! majority class (or the mean) and can sleep, spin, fail, panic, abort or
//! allocate on request. Documented in the README.

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet};
use crate::params::{ParamReader, Params};
use ndarray::ArrayView2;
use std::time::{Duration, Instant};

pub struct Debug;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "sleep",
        kind: ParamKind::Float {
            min: 0.0,
            max: 86_400.0,
            min_open: false,
        },
        help: "seconds to sleep in fit (idle)",
    },
    ParamSpec {
        name: "spin",
        kind: ParamKind::Float {
            min: 0.0,
            max: 86_400.0,
            min_open: false,
        },
        help: "seconds to busy-loop in fit (CPU-bound)",
    },
    ParamSpec {
        name: "fail",
        kind: ParamKind::Bool,
        help: "return an error from fit",
    },
    ParamSpec {
        name: "panic",
        kind: ParamKind::Bool,
        help: "panic in fit",
    },
    ParamSpec {
        name: "abort",
        kind: ParamKind::Bool,
        help: "abort the process in fit",
    },
    ParamSpec {
        name: "allocate_mb",
        kind: ParamKind::Int {
            min: 0,
            max: 1 << 20,
        },
        help: "allocate and touch this many MiB in fit",
    },
    ParamSpec {
        name: "touch_data",
        kind: ParamKind::Bool,
        help: "read every training value (to page in the data)",
    },
    ParamSpec {
        name: "misbehave_above_rows",
        kind: ParamKind::Int {
            min: 0,
            max: i64::MAX,
        },
        help: "sleep, spin, fail, panic, abort and allocate only when training on more rows (e.g. only in the refit on all rows)",
    },
    ParamSpec {
        name: "id",
        kind: ParamKind::Int {
            min: 0,
            max: i64::MAX,
        },
        help: "no effect: makes settings distinct",
    },
];

impl Model for Debug {
    fn name(&self) -> &'static str {
        "debug"
    }

    fn summary(&self) -> &'static str {
        "runner test model: majority class / mean, with sleep, spin, fail, panic, abort, allocate_mb"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let number = |key: &str| {
            json[key]
                .as_f64()
                .ok_or_else(|| format!("debug model: no `{key}`"))
        };
        Ok(Box::new(Constant {
            value: number("value")?,
            checksum: number("checksum")?,
        }))
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        if train.rows.len() > p.usize("misbehave_above_rows", 0)? {
            misbehave(&p)?;
        }
        let mut checksum = 0.0;
        if p.bool("touch_data", false)? {
            for &r in train.rows {
                checksum += train.x.row(r).sum();
            }
        }
        let constant = match train.target {
            TargetKind::Classification { n_classes } => majority(train, n_classes),
            TargetKind::Regression => {
                train.gather_y().iter().sum::<f64>() / train.rows.len().max(1) as f64
            }
        };
        Ok(Box::new(Constant {
            value: constant,
            checksum,
        }))
    }
}

fn misbehave(p: &ParamReader) -> Result<(), String> {
    let sleep = p.float("sleep", 0.0)?;
    if sleep > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(sleep));
    }
    spin(p.float("spin", 0.0)?);
    let mb = p.usize("allocate_mb", 0)?;
    if mb > 0 {
        // Touch every page so the memory is really resident.
        let block = vec![1u8; mb << 20];
        std::hint::black_box(&block);
    }
    if p.bool("abort", false)? {
        std::process::abort();
    }
    if p.bool("panic", false)? {
        panic!("debug model asked to panic");
    }
    if p.bool("fail", false)? {
        return Err("debug model asked to fail".into());
    }
    Ok(())
}

fn spin(seconds: f64) {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut x = 0u64;
    while Instant::now() < end {
        for i in 0..10_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
    }
}

fn majority(train: &TrainSet, n_classes: usize) -> f64 {
    let mut counts = vec![0usize; n_classes.max(1)];
    for &r in train.rows {
        let c = train.y[r] as usize;
        if c < counts.len() {
            counts[c] += 1;
        }
    }
    let best = (0..counts.len())
        .max_by_key(|&c| (counts[c], std::cmp::Reverse(c)))
        .unwrap_or(0);
    best as f64
}

struct Constant {
    value: f64,
    checksum: f64,
}

impl Fitted for Constant {
    fn predict(&self, _x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        Ok(Prediction {
            values: vec![self.value; rows.len()],
            proba: None,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "value": self.value, "checksum": self.checksum }))
    }
}
