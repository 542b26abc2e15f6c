//! The order rows come up for labelling: file order, a seeded shuffle, most
//! uncertain first (the quick model's least confident proposals), or review
//! (labelled rows the model strongly disagrees with: likely label errors).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::session::Labeling;
use super::suggest::{REVIEW_BELOW, Suggestions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    File,
    Random,
    Uncertain,
    Review,
}

impl Order {
    pub const ALL: [Order; 4] = [Order::File, Order::Random, Order::Uncertain, Order::Review];

    pub fn name(self) -> &'static str {
        match self {
            Self::File => "file order",
            Self::Random => "random",
            Self::Uncertain => "most uncertain first",
            Self::Review => "review (model disagrees)",
        }
    }

    /// The next order in `ALL`.
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|o| *o == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// Whether this order needs the model's proposals.
    pub fn needs_model(self) -> bool {
        matches!(self, Self::Uncertain | Self::Review)
    }
}

/// The rows in `order`. Orders that need the model fall back to file order
/// until it has proposals.
pub fn build(order: Order, l: &Labeling, seed: u64, s: Option<&Suggestions>) -> Vec<u32> {
    let n = l.rows() as u32;
    match (order, s) {
        (Order::File, _) | (Order::Uncertain | Order::Review, None) => (0..n).collect(),
        (Order::Random, _) => {
            let mut v: Vec<u32> = (0..n).collect();
            v.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed));
            v
        }
        (Order::Uncertain, Some(s)) => uncertain(l, s),
        (Order::Review, Some(s)) => review(s),
    }
}

/// Unlabelled rows, least confident first (ties in file order), then the
/// labelled rows in file order.
pub fn uncertain(l: &Labeling, s: &Suggestions) -> Vec<u32> {
    let n = l.rows().min(s.confidence.len());
    let (mut open, done): (Vec<u32>, Vec<u32>) =
        (0..n as u32).partition(|&r| !l.is_labelled(r as usize));
    open.sort_by(|&a, &b| {
        s.confidence[a as usize]
            .total_cmp(&s.confidence[b as usize])
            .then(a.cmp(&b))
    });
    open.extend(done);
    open
}

/// Labelled rows whose own label the out-of-fold model gives less than
/// [`REVIEW_BELOW`], most doubtful first.
pub fn review(s: &Suggestions) -> Vec<u32> {
    let mut v: Vec<u32> = s
        .own
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_nan() && f64::from(**p) < REVIEW_BELOW)
        .map(|(r, _)| r as u32)
        .collect();
    v.sort_by(|&a, &b| {
        s.own[a as usize]
            .total_cmp(&s.own[b as usize])
            .then(a.cmp(&b))
    });
    v
}
