//! One node of a fitted tree, 16 bytes so that four share a cache line:
//! the threshold, the split feature (its top bit says where missing values
//! go) and the left child; the right child is always the next node, as the
//! grower allocates children in pairs.

/// `feature` of a leaf.
const LEAF: u32 = u32::MAX;
/// `threshold` of a leaf that is not pure (a pure leaf holds its class
/// there: the threshold field is otherwise unused in a leaf).
const IMPURE: f64 = -1.0;
/// Top bit of a split node's `feature`: rows missing the feature (NaN) go left.
const MISSING_LEFT: u32 = 1 << 31;
/// Largest feature index a node can hold (the top bit is taken).
pub const MAX_FEATURE: usize = (MISSING_LEFT - 1) as usize;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    threshold: f64,
    feature: u32,
    /// Split node: its left child (the right child is `left + 1`). Leaf:
    /// where its values start.
    left: u32,
}

impl Node {
    /// A leaf whose values start at `values_start`.
    pub fn leaf(values_start: usize) -> Node {
        Node {
            threshold: IMPURE,
            feature: LEAF,
            left: values_start as u32,
        }
    }

    /// Marks a leaf as pure: its values are 1.0 for `class`, +0.0 for the
    /// others.
    pub fn set_pure_class(&mut self, class: usize) {
        debug_assert!(self.is_leaf());
        self.threshold = class as f64;
    }

    /// The class of a pure leaf.
    #[inline]
    pub fn pure_class(&self) -> Option<usize> {
        (self.threshold >= 0.0).then_some(self.threshold as usize)
    }

    /// A split on `feature` whose children are nodes `left` and `left + 1`.
    pub fn split(feature: usize, threshold: f64, missing_left: bool, left: usize) -> Node {
        debug_assert!(feature <= MAX_FEATURE);
        Node {
            threshold,
            feature: feature as u32 | if missing_left { MISSING_LEFT } else { 0 },
            left: left as u32,
        }
    }

    #[inline]
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }

    /// The split feature (of a split node).
    #[inline]
    pub fn feature(&self) -> usize {
        (self.feature & !MISSING_LEFT) as usize
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Sets the threshold of a split node (placed after the tree is grown).
    pub fn set_threshold(&mut self, threshold: f64) {
        self.threshold = threshold;
    }

    /// Whether a row missing the feature goes left (of a split node).
    pub fn missing_left(&self) -> bool {
        !self.is_leaf() && self.feature & MISSING_LEFT != 0
    }

    /// Left child of a split node; where the values start for a leaf.
    #[inline]
    pub fn left(&self) -> usize {
        self.left as usize
    }

    pub fn right(&self) -> usize {
        self.left as usize + 1
    }

    /// The child a value goes to: left when `value <= threshold`, or when
    /// it is missing and missing values go left.
    #[inline]
    pub fn child(&self, value: f64) -> usize {
        // Non-short-circuit `|` and `&`: no branch to mispredict on a split
        // that sends rows either way.
        let go_left =
            (value <= self.threshold) | (value.is_nan() & (self.feature & MISSING_LEFT != 0));
        self.left as usize + usize::from(!go_left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 16);
    }

    #[test]
    fn split_sends_values_and_missing_values_to_the_right_child() {
        let n = Node::split(7, 0.5, true, 3);
        assert_eq!((n.feature(), n.left(), n.right()), (7, 3, 4));
        assert!(n.missing_left() && !n.is_leaf());
        assert_eq!(n.child(0.5), 3);
        assert_eq!(n.child(0.6), 4);
        assert_eq!(n.child(f64::NAN), 3);
        assert_eq!(Node::split(7, 0.5, false, 3).child(f64::NAN), 4);
        let mut leaf = Node::leaf(40);
        assert!(leaf.is_leaf() && !leaf.missing_left());
        assert_eq!((leaf.left(), leaf.pure_class()), (40, None));
        leaf.set_pure_class(3);
        assert_eq!((leaf.left(), leaf.pure_class()), (40, Some(3)));
    }
}
