//! Synthetic data: ports of scikit-learn's `make_classification` (clusters
//! of points around the vertices of a hypercube, with redundant, repeated
//! and noise features) and `make_regression` (a random linear model on
//! Gaussian features, with noise), so benchmarks need no download. Same algorithm and distributions; the random stream is
//! ChaCha8, not numpy's, so the numbers differ from scikit-learn's for the
//! same seed.

use ndarray::{s, Array2, ArrayView2};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// scikit-learn's parameters, same names and defaults.
#[derive(Debug, Clone)]
pub struct ClassificationSpec {
    pub n_samples: usize,
    pub n_features: usize,
    pub n_informative: usize,
    pub n_redundant: usize,
    pub n_repeated: usize,
    pub n_classes: usize,
    pub n_clusters_per_class: usize,
    pub weights: Option<Vec<f64>>,
    pub flip_y: f64,
    pub class_sep: f64,
    pub hypercube: bool,
    pub shift: f64,
    pub scale: f64,
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        ClassificationSpec {
            n_samples: 100,
            n_features: 20,
            n_informative: 2,
            n_redundant: 2,
            n_repeated: 0,
            n_classes: 2,
            n_clusters_per_class: 2,
            weights: None,
            flip_y: 0.01,
            class_sep: 1.0,
            hypercube: true,
            shift: 0.0,
            scale: 1.0,
            shuffle: true,
            seed: 0,
        }
    }
}

impl ClassificationSpec {
    /// scikit-learn's checks (and a few it leaves to numpy errors or silent
    /// truncation, such as weights adding up to more than 1), as one-line
    /// messages naming the parameters.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("n_samples", self.n_samples),
            ("n_features", self.n_features),
            ("n_informative", self.n_informative),
            ("n_classes", self.n_classes),
            ("n_clusters_per_class", self.n_clusters_per_class),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        let used = self
            .n_informative
            .saturating_add(self.n_redundant)
            .saturating_add(self.n_repeated);
        if used > self.n_features {
            return Err(format!(
                "n_informative ({}) + n_redundant ({}) + n_repeated ({}) = {used} features, more than n_features ({})",
                self.n_informative, self.n_redundant, self.n_repeated, self.n_features
            ));
        }
        // Each cluster sits on its own vertex of the informative hypercube.
        let clusters = self.n_classes.saturating_mul(self.n_clusters_per_class);
        if self.n_informative < 64 && clusters as u128 > 1u128 << self.n_informative {
            return Err(format!(
                "n_classes ({}) x n_clusters_per_class ({}) = {clusters} clusters, more than the 2^n_informative = {} vertices of the hypercube",
                self.n_classes,
                self.n_clusters_per_class,
                1u128 << self.n_informative
            ));
        }
        if let Some(w) = &self.weights {
            if w.len() != self.n_classes && w.len() + 1 != self.n_classes {
                return Err(format!(
                    "weights has {} values for {} classes; give {} (or {}, the last class taking the rest)",
                    w.len(),
                    self.n_classes,
                    self.n_classes,
                    self.n_classes - 1
                ));
            }
            if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(format!("weights must be finite and >= 0, got {bad}"));
            }
            // More than 1 in all would need more than n_samples rows
            // (scikit-learn silently drops the excess; the tolerance is for rounding).
            let sum: f64 = w.iter().sum();
            if sum > 1.0 + 1e-9 {
                return Err(format!("weights add up to {sum}, more than 1"));
            }
        }
        if !(0.0..=1.0).contains(&self.flip_y) {
            return Err(format!("flip_y must be in [0, 1], got {}", self.flip_y));
        }
        for (name, value) in [("class_sep", self.class_sep), ("scale", self.scale)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{name} must be finite and > 0, got {value}"));
            }
        }
        if !self.shift.is_finite() {
            return Err(format!("shift must be finite, got {}", self.shift));
        }
        Ok(())
    }

    fn class_weights(&self) -> Vec<f64> {
        match &self.weights {
            None => vec![1.0 / self.n_classes as f64; self.n_classes],
            Some(w) if w.len() == self.n_classes => w.clone(),
            Some(w) => {
                let mut full = w.clone();
                full.push(1.0 - w.iter().sum::<f64>());
                full
            }
        }
    }
}

/// Standard normal draws (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn uniform_matrix(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || 2.0 * rng.random::<f64>() - 1.0)
}

/// `count` distinct vertices of the `dims`-dimensional unit hypercube.
fn hypercube(count: usize, dims: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut out = Array2::zeros((count, dims));
    // Beyond 30 dimensions, random bits for the rest (as scikit-learn does).
    let exact = dims.min(30);
    for (row, vertex) in sample(rng, 1usize << exact, count).into_iter().enumerate() {
        for bit in 0..exact {
            out[[row, bit]] = ((vertex >> bit) & 1) as f64;
        }
    }
    for row in 0..count {
        for d in exact..dims {
            out[[row, d]] = f64::from(rng.random::<bool>());
        }
    }
    out
}

/// Samples per cluster: the class weight's share, the rest dealt one by one.
fn cluster_sizes(spec: &ClassificationSpec) -> Vec<usize> {
    let weights = spec.class_weights();
    let clusters = spec.n_classes * spec.n_clusters_per_class;
    let mut sizes: Vec<usize> = (0..clusters)
        .map(|k| {
            (spec.n_samples as f64 * weights[k % spec.n_classes] / spec.n_clusters_per_class as f64)
                as usize
        })
        .collect();
    let total: usize = sizes.iter().sum();
    for i in 0..spec.n_samples.saturating_sub(total) {
        sizes[i % clusters] += 1;
    }
    // Weights a rounding error above 1 in all: take the excess off the end,
    // so the clusters never need more than n_samples rows.
    let mut excess = total.saturating_sub(spec.n_samples);
    for size in sizes.iter_mut().rev() {
        let cut = excess.min(*size);
        *size -= cut;
        excess -= cut;
    }
    sizes
}

/// Generates (x, y); `spec` must be valid ([`ClassificationSpec::validate`]).
pub fn make_classification(spec: &ClassificationSpec) -> (Array2<f64>, Vec<u32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (n, f, inf) = (spec.n_samples, spec.n_features, spec.n_informative);
    let clusters = spec.n_classes * spec.n_clusters_per_class;
    let mut x = Array2::<f64>::zeros((n, f));
    let mut y = vec![0u32; n];
    let mut centroids =
        hypercube(clusters, inf, &mut rng) * (2.0 * spec.class_sep) - spec.class_sep;
    if !spec.hypercube {
        for mut row in centroids.rows_mut() {
            row *= rng.random::<f64>();
        }
        for mut col in centroids.columns_mut() {
            col *= rng.random::<f64>();
        }
    }
    x.slice_mut(s![.., ..inf])
        .mapv_inplace(|_| normal(&mut rng));
    let mut start = 0;
    for (k, size) in cluster_sizes(spec).into_iter().enumerate() {
        let stop = start + size;
        y[start..stop].fill((k % spec.n_classes) as u32);
        let a = uniform_matrix(&mut rng, inf, inf);
        let mixed = x.slice(s![start..stop, ..inf]).dot(&a) + centroids.row(k);
        x.slice_mut(s![start..stop, ..inf]).assign(&mixed);
        start = stop;
    }
    add_derived_features(&mut x, spec, &mut rng);
    flip_labels(&mut y, spec, &mut rng);
    shift_and_scale(&mut x, spec);
    if spec.shuffle {
        shuffle(&mut x, &mut y, &mut rng);
    }
    (x, y)
}

/// Redundant (linear combinations), repeated (copies) and noise features.
fn add_derived_features(x: &mut Array2<f64>, spec: &ClassificationSpec, rng: &mut ChaCha8Rng) {
    let (inf, red, rep) = (spec.n_informative, spec.n_redundant, spec.n_repeated);
    if red > 0 {
        let b = uniform_matrix(rng, inf, red);
        let combos = x.slice(s![.., ..inf]).dot(&b);
        x.slice_mut(s![.., inf..inf + red]).assign(&combos);
    }
    let used = inf + red;
    for j in 0..rep {
        let source = ((used - 1) as f64 * rng.random::<f64>() + 0.5) as usize;
        let column = x.column(source).to_owned();
        x.column_mut(used + j).assign(&column);
    }
    let useless = spec.n_features - used - rep;
    let n = x.nrows();
    x.slice_mut(s![.., spec.n_features - useless..])
        .assign(&Array2::from_shape_simple_fn((n, useless), || normal(rng)));
}

/// flip_y: a share of labels replaced by random classes (label noise).
fn flip_labels(y: &mut [u32], spec: &ClassificationSpec, rng: &mut ChaCha8Rng) {
    let flips: Vec<bool> = (0..y.len())
        .map(|_| rng.random::<f64>() < spec.flip_y)
        .collect();
    for (label, flip) in y.iter_mut().zip(flips) {
        if flip {
            *label = rng.random_range(0..spec.n_classes as u32);
        }
    }
}

fn shift_and_scale(x: &mut Array2<f64>, spec: &ClassificationSpec) {
    x.mapv_inplace(|v| (v + spec.shift) * spec.scale);
}

/// Rows, then columns, in random order.
fn shuffle(x: &mut Array2<f64>, y: &mut [u32], rng: &mut ChaCha8Rng) {
    use rand::seq::SliceRandom;
    let mut rows: Vec<usize> = (0..x.nrows()).collect();
    rows.shuffle(rng);
    let mut cols: Vec<usize> = (0..x.ncols()).collect();
    cols.shuffle(rng);
    let shuffled = x
        .select(ndarray::Axis(0), &rows)
        .select(ndarray::Axis(1), &cols);
    *x = shuffled;
    let labels: Vec<u32> = rows.iter().map(|&r| y[r]).collect();
    y.copy_from_slice(&labels);
}

/// scikit-learn's make_regression parameters (one target; no
/// effective_rank: the features are independent standard normals).
#[derive(Debug, Clone)]
pub struct RegressionSpec {
    pub n_samples: usize,
    pub n_features: usize,
    pub n_informative: usize,
    pub bias: f64,
    pub noise: f64,
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for RegressionSpec {
    fn default() -> Self {
        RegressionSpec {
            n_samples: 100,
            n_features: 100,
            n_informative: 10,
            bias: 0.0,
            noise: 0.0,
            shuffle: true,
            seed: 0,
        }
    }
}

impl RegressionSpec {
    pub fn validate(&self) -> Result<(), String> {
        if self.n_samples == 0 || self.n_features == 0 {
            return Err("n_samples and n_features must be at least 1".into());
        }
        if self.n_informative > self.n_features {
            return Err(format!(
                "n_informative ({}) is more than n_features ({})",
                self.n_informative, self.n_features
            ));
        }
        if !self.bias.is_finite() {
            return Err(format!("bias must be finite, got {}", self.bias));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(format!("noise must be finite and >= 0, got {}", self.noise));
        }
        Ok(())
    }
}

/// Generates (x, y, coef) as scikit-learn: standard normal features, the
/// first `n_informative` with coefficients uniform in [0, 100), the rest 0,
/// y = x·coef + bias + N(0, noise²); rows and columns shuffled (the
/// coefficients follow their columns). `spec` must be valid.
pub fn make_regression(spec: &RegressionSpec) -> (Array2<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let (n, f) = (spec.n_samples, spec.n_features);
    let mut x = Array2::from_shape_simple_fn((n, f), || normal(&mut rng));
    let mut coef = vec![0.0; f];
    for c in coef.iter_mut().take(spec.n_informative) {
        *c = 100.0 * rng.random::<f64>();
    }
    let mut y: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|row| row.iter().zip(&coef).map(|(v, c)| v * c).sum::<f64>() + spec.bias)
        .collect();
    if spec.noise > 0.0 {
        for v in y.iter_mut() {
            *v += spec.noise * normal(&mut rng);
        }
    }
    if spec.shuffle {
        use rand::seq::SliceRandom;
        let mut rows: Vec<usize> = (0..n).collect();
        rows.shuffle(&mut rng);
        let mut cols: Vec<usize> = (0..f).collect();
        cols.shuffle(&mut rng);
        x = x
            .select(ndarray::Axis(0), &rows)
            .select(ndarray::Axis(1), &cols);
        y = rows.iter().map(|&r| y[r]).collect();
        coef = cols.iter().map(|&c| coef[c]).collect();
    }
    (x, y, coef)
}

/// CSV with header f0..f{n-1},target; floats in shortest round-trip form.
pub fn write_regression_csv<W: Write>(
    x: ArrayView2<f64>,
    y: &[f64],
    out: W,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let header: Vec<String> = (0..x.ncols())
        .map(|j| format!("f{j}"))
        .chain(["target".to_string()])
        .collect();
    writeln!(out, "{}", header.join(","))?;
    for (row, target) in x.rows().into_iter().zip(y) {
        for v in row {
            write!(out, "{v},")?;
        }
        writeln!(out, "{target}")?;
    }
    out.flush()
}

/// CSV with header f0..f{n-1},class; floats in shortest round-trip form.
pub fn write_csv<W: Write>(x: ArrayView2<f64>, y: &[u32], out: W) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let header: Vec<String> = (0..x.ncols())
        .map(|j| format!("f{j}"))
        .chain(["class".to_string()])
        .collect();
    writeln!(out, "{}", header.join(","))?;
    for (row, label) in x.rows().into_iter().zip(y) {
        for v in row {
            write!(out, "{v},")?;
        }
        writeln!(out, "{label}")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn spec() -> ClassificationSpec {
        ClassificationSpec {
            n_samples: 1000,
            n_features: 12,
            n_informative: 5,
            n_redundant: 3,
            n_repeated: 2,
            n_classes: 4,
            flip_y: 0.0,
            ..Default::default()
        }
    }

    fn counts(y: &[u32], n_classes: usize) -> Vec<usize> {
        let mut c = vec![0; n_classes];
        for &l in y {
            c[l as usize] += 1;
        }
        c
    }

    #[test]
    fn regression_is_the_linear_model_it_reports() {
        let spec = RegressionSpec {
            n_samples: 200,
            n_features: 8,
            n_informative: 3,
            bias: 2.5,
            ..Default::default()
        };
        assert!(spec.validate().is_ok());
        let (x, y, coef) = make_regression(&spec);
        assert_eq!((x.dim(), y.len()), ((200, 8), 200));
        assert_eq!(coef.iter().filter(|c| **c != 0.0).count(), 3);
        assert!(coef.iter().all(|c| (0.0..100.0).contains(c)));
        for (row, t) in x.rows().into_iter().zip(&y) {
            let fit: f64 = row.iter().zip(&coef).map(|(v, c)| v * c).sum::<f64>() + 2.5;
            assert!((fit - t).abs() < 1e-9);
        }
        let noisy = RegressionSpec {
            noise: 10.0,
            ..spec.clone()
        };
        let (_, y2, _) = make_regression(&noisy);
        assert_ne!(y, y2);
        assert!(RegressionSpec {
            n_informative: 9,
            ..spec.clone()
        }
        .validate()
        .is_err());
        assert!(RegressionSpec {
            noise: -1.0,
            ..spec
        }
        .validate()
        .is_err());
    }

    #[test]
    fn shapes_and_finite_values() {
        let d = ClassificationSpec::default();
        assert!(d.validate().is_ok());
        let (x, y) = make_classification(&d);
        assert_eq!((x.dim(), y.len()), ((100, 20), 100));
        let (x, y) = make_classification(&spec());
        assert_eq!((x.dim(), y.len()), ((1000, 12), 1000));
        assert!(x.iter().all(|v| v.is_finite()));
        assert!(y.iter().all(|&l| l < 4));
        // more than 30 informative features: the hypercube's other branch
        let wide = ClassificationSpec {
            n_samples: 50,
            n_features: 40,
            n_informative: 35,
            ..spec()
        };
        assert_eq!(make_classification(&wide).0.dim(), (50, 40));
    }

    #[test]
    fn without_flips_or_weights_classes_are_exactly_balanced() {
        let (_, y) = make_classification(&spec());
        assert_eq!(counts(&y, 4), vec![250; 4]);
        // 1001 = 8 clusters x 125 + 1: the extra row goes to cluster 0 (class 0)
        let (_, y) = make_classification(&ClassificationSpec {
            n_samples: 1001,
            ..spec()
        });
        assert_eq!(counts(&y, 4), vec![251, 250, 250, 250]);
    }

    #[test]
    fn weights_set_class_shares() {
        let two = ClassificationSpec {
            n_classes: 2,
            weights: Some(vec![0.9, 0.1]),
            ..spec()
        };
        assert_eq!(counts(&make_classification(&two).1, 2), vec![900, 100]);
        // n_classes - 1 weights: the last class takes the rest
        let three = ClassificationSpec {
            n_classes: 3,
            weights: Some(vec![0.2, 0.3]),
            ..spec()
        };
        assert_eq!(
            counts(&make_classification(&three).1, 3),
            vec![200, 300, 500]
        );
    }

    #[test]
    fn deterministic_per_seed() {
        let a = make_classification(&spec());
        assert_eq!(a, make_classification(&spec()));
        let other = ClassificationSpec { seed: 1, ..spec() };
        assert_ne!(a.0, make_classification(&other).0);
    }

    #[test]
    fn flip_y_relabels_its_share_at_random() {
        // Unshuffled, one cluster per class: rows 0..5000 are class 0, the
        // rest class 1 before flipping. A flipped label is a random class, so
        // it differs with probability 1/2: expect 0.3 x 0.5 x 10000 = 1500.
        let s = ClassificationSpec {
            n_samples: 10_000,
            n_classes: 2,
            n_clusters_per_class: 1,
            flip_y: 0.3,
            shuffle: false,
            ..spec()
        };
        let (_, y) = make_classification(&s);
        let changed = y
            .iter()
            .enumerate()
            .filter(|&(i, &l)| l != u32::from(i >= 5000))
            .count();
        assert!((1300..1700).contains(&changed), "{changed}");
    }

    #[test]
    fn clusters_sit_on_hypercube_vertices() {
        // Unshuffled, 2 classes x 1 cluster, 2 informative features: each
        // class's mean is a distinct vertex of [-class_sep, class_sep]^2.
        let s = ClassificationSpec {
            n_samples: 4000,
            n_features: 2,
            n_informative: 2,
            n_redundant: 0,
            n_repeated: 0,
            n_classes: 2,
            n_clusters_per_class: 1,
            class_sep: 2.0,
            shuffle: false,
            ..spec()
        };
        let (x, _) = make_classification(&s);
        let means: Vec<Array1<f64>> = [0..2000, 2000..4000]
            .into_iter()
            .map(|r| x.slice(s![r, ..]).mean_axis(ndarray::Axis(0)).unwrap())
            .collect();
        for m in &means {
            assert!(m.iter().all(|v| (v.abs() - 2.0).abs() < 0.2), "{m}");
        }
        assert_ne!(means[0].mapv(f64::signum), means[1].mapv(f64::signum));
    }

    #[test]
    fn redundant_features_are_linear_combinations() {
        let s = ClassificationSpec {
            shuffle: false,
            n_repeated: 0,
            ..spec()
        };
        let (x, _) = make_classification(&s);
        // a redundant column is reproduced exactly (to rounding) by least
        // squares on the 5 informative ones
        let inf = x.slice(s![.., ..5]).to_owned();
        for j in 5..8 {
            let red = x.column(j).to_owned();
            let coef = solve(inf.t().dot(&inf), inf.t().dot(&red));
            let residual = &red - &inf.dot(&coef);
            assert!(residual.dot(&residual) < 1e-12 * red.dot(&red));
        }
    }

    #[test]
    fn repeated_features_copy_earlier_ones_and_noise_is_standard_normal() {
        let s = ClassificationSpec {
            shuffle: false,
            ..spec()
        };
        let (x, _) = make_classification(&s);
        for j in 8..10 {
            assert!((0..8).any(|k| x.column(k) == x.column(j)), "column {j}");
        }
        for j in 10..12 {
            let c = x.column(j);
            let mean = c.mean().unwrap();
            let var = c.var(0.0);
            assert!(
                mean.abs() < 0.15 && (0.85..1.15).contains(&var),
                "{mean} {var}"
            );
        }
    }

    #[test]
    fn shift_then_scale() {
        let (plain, y1) = make_classification(&spec());
        let moved = ClassificationSpec {
            shift: 10.0,
            scale: 2.0,
            ..spec()
        };
        let (x, y2) = make_classification(&moved);
        assert_eq!(y1, y2);
        assert_eq!(x, plain.mapv(|v| (v + 10.0) * 2.0));
    }

    fn solve(mut a: Array2<f64>, mut b: Array1<f64>) -> Array1<f64> {
        let n = b.len();
        for i in 0..n {
            let p = a[[i, i]];
            for j in i + 1..n {
                let f = a[[j, i]] / p;
                for k in i..n {
                    a[[j, k]] -= f * a[[i, k]];
                }
                b[j] -= f * b[i];
            }
        }
        let mut x = Array1::zeros(n);
        for i in (0..n).rev() {
            x[i] = (b[i] - (i + 1..n).map(|k| a[[i, k]] * x[k]).sum::<f64>()) / a[[i, i]];
        }
        x
    }

    #[test]
    fn validation_messages() {
        let err = |s: ClassificationSpec| s.validate().unwrap_err();
        assert!(spec().validate().is_ok());
        assert!(err(ClassificationSpec {
            n_samples: 0,
            ..spec()
        })
        .contains("n_samples must be at least 1"));
        assert!(err(ClassificationSpec {
            n_informative: 0,
            ..spec()
        })
        .contains("n_informative must be at least 1"));
        assert!(err(ClassificationSpec {
            n_features: 5,
            ..spec()
        })
        .contains("more than n_features (5)"));
        let e = err(ClassificationSpec {
            n_informative: 2,
            n_classes: 10,
            ..spec()
        });
        assert!(
            e.contains("20 clusters, more than the 2^n_informative = 4"),
            "{e}"
        );
        // exactly 2^n_informative clusters is allowed
        assert!(ClassificationSpec {
            n_informative: 3,
            ..spec()
        }
        .validate()
        .is_ok());
        assert!(err(ClassificationSpec {
            weights: Some(vec![0.5]),
            ..spec()
        })
        .contains("weights has 1 values for 4 classes"));
        assert!(err(ClassificationSpec {
            weights: Some(vec![0.5, 0.6, 0.1]),
            ..spec()
        })
        .contains("more than 1"));
        assert!(err(ClassificationSpec {
            weights: Some(vec![0.5, -0.1, 0.1]),
            ..spec()
        })
        .contains(">= 0"));
        assert!(err(ClassificationSpec {
            flip_y: 1.5,
            ..spec()
        })
        .contains("flip_y"));
        assert!(err(ClassificationSpec {
            flip_y: f64::NAN,
            ..spec()
        })
        .contains("flip_y"));
        assert!(err(ClassificationSpec {
            class_sep: 0.0,
            ..spec()
        })
        .contains("class_sep"));
        assert!(err(ClassificationSpec {
            scale: -1.0,
            ..spec()
        })
        .contains("scale"));
        assert!(err(ClassificationSpec {
            shift: f64::INFINITY,
            ..spec()
        })
        .contains("shift"));
        // huge counts don't overflow
        assert!(err(ClassificationSpec {
            n_classes: usize::MAX,
            n_clusters_per_class: 2,
            ..spec()
        })
        .contains("clusters"));
        assert!(err(ClassificationSpec {
            n_redundant: usize::MAX,
            ..spec()
        })
        .contains("n_features"));
    }

    #[test]
    fn csv_has_header_and_round_trips_floats() {
        let (x, y) = make_classification(&ClassificationSpec {
            n_samples: 20,
            n_features: 4,
            n_informative: 2,
            n_redundant: 0,
            n_classes: 2,
            n_clusters_per_class: 1,
            ..Default::default()
        });
        let mut buf = Vec::new();
        write_csv(x.view(), &y, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("f0,f1,f2,f3,class"));
        for (i, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(',').collect();
            let values: Vec<f64> = fields[..4].iter().map(|f| f.parse().unwrap()).collect();
            assert_eq!(values, x.row(i).to_vec());
            assert_eq!(fields[4], y[i].to_string());
        }
        assert_eq!(text.lines().count(), 21);
    }
}
