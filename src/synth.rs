//! Synthetic classification data: a port of scikit-learn's
//! `make_classification` (clusters of points around the vertices of a
//! hypercube, with redundant, repeated and noise features), so benchmarks
//! need no download. Same algorithm and distributions; the random stream is
//! ChaCha8, not numpy's, so the numbers differ from scikit-learn's for the
//! same seed.

use ndarray::{s, Array1, Array2, ArrayView2};
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
    /// scikit-learn's checks, as one-line messages.
    pub fn validate(&self) -> Result<(), String> {
        let used = self.n_informative + self.n_redundant + self.n_repeated;
        if used > self.n_features {
            return Err(format!("informative ({}) + redundant ({}) + repeated ({}) features must be at most --features ({})", self.n_informative, self.n_redundant, self.n_repeated, self.n_features));
        }
        if self.n_informative == 0
            || self.n_classes < 2
            || self.n_clusters_per_class == 0
            || self.n_samples == 0
        {
            return Err(
                "need at least 1 sample, 1 informative feature, 2 classes and 1 cluster per class"
                    .into(),
            );
        }
        let clusters = self.n_classes * self.n_clusters_per_class;
        if self.n_informative < 63 && clusters as u128 > 1u128 << self.n_informative {
            return Err(format!(
                "classes ({}) x clusters per class ({}) must be at most 2^informative = {}",
                self.n_classes,
                self.n_clusters_per_class,
                1u128 << self.n_informative
            ));
        }
        if let Some(w) = &self.weights {
            if w.len() != self.n_classes && w.len() != self.n_classes - 1 {
                return Err(format!(
                    "weights has {} values; need {} or {}",
                    w.len(),
                    self.n_classes,
                    self.n_classes - 1
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.flip_y) {
            return Err(format!("flip_y must be in [0, 1], got {}", self.flip_y));
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
    let missing = spec.n_samples.saturating_sub(sizes.iter().sum());
    for i in 0..missing {
        sizes[i % clusters] += 1;
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
    let labels: Array1<u32> = rows.iter().map(|&r| y[r]).collect();
    y.copy_from_slice(labels.as_slice().unwrap_or(&[]));
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

    #[test]
    fn shapes_and_balanced_classes() {
        let (x, y) = make_classification(&spec());
        assert_eq!(x.dim(), (1000, 12));
        for c in 0..4 {
            assert_eq!(y.iter().filter(|&&l| l == c).count(), 250);
        }
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn deterministic_per_seed() {
        let a = make_classification(&spec());
        assert_eq!(a, make_classification(&spec()));
        let other = ClassificationSpec { seed: 1, ..spec() };
        assert_ne!(a.0, make_classification(&other).0);
    }

    #[test]
    fn weights_skew_classes() {
        let s = ClassificationSpec {
            n_classes: 2,
            weights: Some(vec![0.9, 0.1]),
            flip_y: 0.0,
            ..spec()
        };
        let (_, y) = make_classification(&s);
        assert_eq!(y.iter().filter(|&&l| l == 0).count(), 900);
    }

    #[test]
    fn redundant_features_are_linear_combinations() {
        let s = ClassificationSpec {
            shuffle: false,
            n_repeated: 0,
            ..spec()
        };
        let (x, _) = make_classification(&s);
        // rank of [informative | redundant] stays at n_informative: a
        // redundant column is reproduced by least squares on the informative.
        let inf = x.slice(s![.., ..5]).to_owned();
        let red = x.column(5).to_owned();
        let gram = inf.t().dot(&inf);
        let rhs = inf.t().dot(&red);
        let coef = solve(gram, rhs);
        let residual = &red - &inf.dot(&coef);
        assert!(
            residual.iter().map(|r| r * r).sum::<f64>()
                < 1e-12 * red.iter().map(|r| r * r).sum::<f64>()
        );
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
        let bad = ClassificationSpec {
            n_informative: 2,
            n_classes: 10,
            ..spec()
        };
        assert!(bad.validate().unwrap_err().contains("2^informative"));
        let bad = ClassificationSpec {
            n_features: 5,
            ..spec()
        };
        assert!(bad.validate().unwrap_err().contains("at most --features"));
        assert!(spec().validate().is_ok());
    }

    #[test]
    fn csv_has_header_and_rows() {
        let (x, y) = make_classification(&ClassificationSpec {
            n_samples: 3,
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
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("f0,f1,f2,f3,class\n"));
    }
}
