//! lathe's own histogram tree engine, shared by the decision tree, the random
//! forest and gradient boosting. Features are binned once per fit
//! ([`binning`]: ≤ 255 quantile bins and a missing-value bin); trees grow
//! from per-bin sums of the rows' statistics with the sibling-subtraction
//! trick ([`tree`]); [`forest`] bags them in parallel and [`boost`] fits them
//! to gradients. This is how scikit-learn's HistGradientBoosting and LightGBM
//! reach their speed. Fitted models are plain serde data that predict from raw
//! `f64` rows, so the server needs neither polars nor the binner. Results do
//! not depend on the number of threads: each tree has its own seed, and each
//! histogram is summed in row order by one thread.

pub mod binning;
pub mod boost;
pub mod forest;
pub mod tree;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a model is fitted to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Class indices `0..k`.
    Classes(&'a [usize], usize),
    Values(&'a [f64]),
}

impl Target<'_> {
    pub fn len(&self) -> usize {
        match self {
            Target::Classes(y, _) => y.len(),
            Target::Values(y) => y.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A generator for sub-task `index` of a fit seeded with `seed` (splitmix64 mixing).
pub fn rng_for(seed: u64, index: u64) -> Xoshiro256PlusPlus {
    let mut x = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Xoshiro256PlusPlus::seed_from_u64(x ^ (x >> 31))
}
