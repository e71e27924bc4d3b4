//! Search strategies: which settings to evaluate, and (for successive
//! halving) in which rounds with how much resource.
//!
//! - [`batches`]: the batches of tasks the search loop runs, one after another.
//! - [`random`]: the search space (lists and distributions per
//!   hyperparameter) and scikit-learn's ParameterSampler semantics, drawn at
//!   config time from the seed alone.
//! - [`halving`]: the successive-halving schedule and the per-round top-k
//!   rule of scikit-learn's HalvingGridSearchCV / HalvingRandomSearchCV, as
//!   pure functions.

pub mod batches;
pub mod halving;
pub mod halving_run;
pub mod random;
