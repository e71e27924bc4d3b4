//! Gradient histograms: per feature and bin, the sums of gradients and
//! hessians and the sample count of a node. The smaller child of a split is
//! built from its samples, the larger one is its parent minus the smaller.
//! Each feature's histogram is built by one thread, in sample order, so the
//! sums are the same bit for bit on any number of threads.

use super::bins::{Bins, SLOTS};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BinStats {
    pub g: f64,
    pub h: f64,
    pub n: u32,
}

impl BinStats {
    #[inline]
    pub fn add(&mut self, o: &BinStats) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
    }

    #[inline]
    pub fn minus(&self, o: &BinStats) -> BinStats {
        BinStats {
            g: self.g - o.g,
            h: self.h - o.h,
            n: self.n - o.n,
        }
    }
}

/// One node's histograms, one block of SLOTS per feature.
pub type Histogram = Vec<[BinStats; SLOTS]>;

pub fn empty(n_features: usize) -> Histogram {
    vec![[BinStats::default(); SLOTS]; n_features]
}

/// A node's samples and their gradients, in the node's sample order.
pub struct NodeRows<'a> {
    /// The node's sample indices; None for the root (all samples, in order).
    pub samples: Option<&'a [u32]>,
    pub g: &'a [f32],
    /// None when every hessian is 1 (then h = count).
    pub h: Option<&'a [f32]>,
}

/// Fills `hist` from the node's rows; features split over the pool's
/// threads when there is enough work.
pub fn build(hist: &mut Histogram, bins: &Bins, rows: &NodeRows, pool: Option<&rayon::ThreadPool>) {
    let work = rows.g.len() * bins.n_features();
    match pool {
        Some(pool) if work >= 20_000 => pool.install(|| {
            hist.par_iter_mut()
                .enumerate()
                .for_each(|(f, out)| build_feature(out, bins.column(f), rows))
        }),
        _ => hist
            .iter_mut()
            .enumerate()
            .for_each(|(f, out)| build_feature(out, bins.column(f), rows)),
    }
}

fn build_feature(out: &mut [BinStats; SLOTS], column: &[u8], rows: &NodeRows) {
    out.fill(BinStats::default());
    let g = rows.g;
    match (rows.samples, rows.h) {
        (None, Some(h)) => {
            for ((&b, &g), &h) in column.iter().zip(g).zip(h) {
                let s = &mut out[b as usize];
                s.g += f64::from(g);
                s.h += f64::from(h);
                s.n += 1;
            }
        }
        (None, None) => {
            for (&b, &g) in column.iter().zip(g) {
                let s = &mut out[b as usize];
                s.g += f64::from(g);
                s.n += 1;
            }
        }
        (Some(samples), Some(h)) => {
            for ((&i, &g), &h) in samples.iter().zip(g).zip(h) {
                let s = &mut out[column[i as usize] as usize];
                s.g += f64::from(g);
                s.h += f64::from(h);
                s.n += 1;
            }
        }
        (Some(samples), None) => {
            for (&i, &g) in samples.iter().zip(g) {
                let s = &mut out[column[i as usize] as usize];
                s.g += f64::from(g);
                s.n += 1;
            }
        }
    }
    if rows.h.is_none() {
        for s in out.iter_mut() {
            s.h = f64::from(s.n);
        }
    }
}

/// `parent -= child`: the parent's histogram becomes the sibling's.
pub fn subtract(parent: &mut Histogram, child: &Histogram) {
    for (p, c) in parent.iter_mut().zip(child) {
        for (p, c) in p.iter_mut().zip(c) {
            *p = p.minus(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn indexed_build_and_subtraction_agree_with_direct_sums() {
        let x = array![[0.0], [1.0], [1.0], [2.0], [f64::NAN]];
        let bins = Bins::new(x.view(), &[0, 1, 2, 3, 4], 255);
        let g = [1.0f32, 2.0, 3.0, 4.0, 5.0];
        let mut root = empty(1);
        build(
            &mut root,
            &bins,
            &NodeRows {
                samples: None,
                g: &g,
                h: None,
            },
            None,
        );
        assert_eq!(root[0][1].g, 5.0);
        assert_eq!(root[0][1].n, 2);
        assert_eq!(root[0][1].h, 2.0);
        assert_eq!(root[0][255].g, 5.0);
        // Child holding samples 1 and 4, gradients gathered in its order.
        let mut child = empty(1);
        build(
            &mut child,
            &bins,
            &NodeRows {
                samples: Some(&[1, 4]),
                g: &[2.0, 5.0],
                h: Some(&[1.0, 1.0]),
            },
            None,
        );
        subtract(&mut root, &child);
        assert_eq!(root[0][1].g, 3.0);
        assert_eq!(root[0][1].n, 1);
        assert_eq!(root[0][255].n, 0);
        assert_eq!(root[0][0].g, 1.0);
    }
}
