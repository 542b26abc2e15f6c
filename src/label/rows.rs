//! Row keys: what a label is attached to, so that labels survive re-sorting
//! or re-exporting the file.
//!
//! With an id column a row's key is its id's text. Without one it is the
//! 128-bit XXH3 of the row's values in the fingerprint's canonical encoding
//! (every column but the label column, so labelling does not move keys),
//! in hex, then `:` and the row's occurrence index among identical rows —
//! so duplicate rows stay distinct: `3f…a9:0`, `3f…a9:1`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use polars::prelude::*;
use rayon::prelude::*;

use crate::data::fingerprint::row_hashes;
use crate::error::{Error, Result};

/// Every row's key, and the row of every key.
///
/// The index maps the key's 64-bit XXH3 to its row (a lookup compares the
/// key itself, so a hash collision cannot mix rows up); keys whose hash is
/// already taken by another key go to a small exact map. Hashing once and
/// storing no second copy of the keys keeps a million-row index at ~50 ms.
#[derive(Debug, Clone, Default)]
pub struct RowKeys {
    pub keys: Vec<String>,
    index: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    collided: HashMap<String, u32>,
}

/// The keys of [`RowKeys::index`] are hashes already: use them as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

fn key_hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl RowKeys {
    /// Keys for `df`, whose label column is `target` (absent is fine).
    pub fn build(df: &DataFrame, target: &str, id: Option<&str>) -> Result<Self> {
        let keys = match id {
            Some(id) => id_keys(df, id)?,
            None => hash_keys(df, target)?,
        };
        let hashes: Vec<u64> = keys.par_iter().map(|k| key_hash(k)).collect();
        let mut index: HashMap<u64, u32, BuildHasherDefault<Prehashed>> =
            HashMap::with_capacity_and_hasher(keys.len(), BuildHasherDefault::default());
        let mut collided: HashMap<String, u32> = HashMap::new();
        for (row, (k, h)) in keys.iter().zip(hashes).enumerate() {
            let first = match index.entry(h) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(row as u32);
                    continue;
                }
                std::collections::hash_map::Entry::Occupied(o) => *o.get(),
            };
            let repeat = if keys[first as usize] == *k {
                Some(first)
            } else {
                collided.insert(k.clone(), row as u32)
            };
            if let Some(first) = repeat {
                // Only id keys can repeat: hash keys carry their occurrence.
                return Err(Error::input(format!(
                    "the id column '{}' repeats the value '{k}' (rows {} and {})",
                    id.unwrap_or_default(),
                    first + 1,
                    row + 1
                ))
                .field(id.unwrap_or_default())
                .hint("use a column with one value per row, or no id column"));
            }
        }
        Ok(Self {
            keys,
            index,
            collided,
        })
    }

    pub fn row(&self, key: &str) -> Option<usize> {
        match self.index.get(&key_hash(key)) {
            Some(&r) if self.keys[r as usize] == key => Some(r as usize),
            _ => self.collided.get(key).map(|&r| r as usize),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn id_keys(df: &DataFrame, id: &str) -> Result<Vec<String>> {
    let col = df
        .column(id)
        .map_err(|_| Error::usage(format!("the id column '{id}' is not in the data")).field(id))?;
    let values = text_values(col.as_materialized_series())?;
    if let Some(row) = values.iter().position(Option::is_none) {
        return Err(
            Error::input(format!("the id column '{id}' is empty in row {}", row + 1))
                .field(id)
                .hint("every row needs an id; or label without an id column"),
        );
    }
    Ok(values.into_iter().flatten().collect())
}

fn hash_keys(df: &DataFrame, target: &str) -> Result<Vec<String>> {
    let values = if df.column(target).is_ok() {
        df.drop(target)?
    } else {
        df.clone()
    };
    let hashes = row_hashes(&values)?;
    let mut seen: HashMap<u128, u32> = HashMap::with_capacity(hashes.len());
    Ok(hashes
        .iter()
        .map(|h| {
            let n = seen.entry(*h).or_insert(0);
            let key = format!("{h:032x}:{n}");
            *n += 1;
            key
        })
        .collect())
}

/// A column's values as text (numbers in their shortest form: `1`, `0.5`),
/// null as `None`.
pub fn text_values(s: &Series) -> Result<Vec<Option<String>>> {
    let s = match s.dtype() {
        DataType::Categorical(..) | DataType::Enum(..) => s.cast(&DataType::String)?,
        d if d.is_float() => {
            let f = s.cast(&DataType::Float64)?;
            return Ok(f.f64()?.iter().map(|v| v.map(number_text)).collect());
        }
        _ => s.cast(&DataType::String)?,
    };
    Ok(s.str()?.iter().map(|v| v.map(str::to_owned)).collect())
}

/// `1` for 1.0, `0.25` for 0.25: how a number label is written.
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}
