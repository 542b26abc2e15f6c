//! The one adapter between polars and the learning crates.
//!
//! polars 0.55 is built on ndarray 0.17 while linfa 0.8 is on ndarray 0.16.
//! Nothing crosses between them directly: columns leave polars as plain
//! `Vec<f64>` / category codes ([`numeric_column`], [`category_column`]), the
//! fitted preprocessing pipeline writes one contiguous row-major `f64` buffer
//! ([`Matrix`]), and each learner borrows that buffer: linfa through
//! [`Matrix::view`], lathe's own trees and k-NN as it is.

use ndarray::ArrayView2;
#[cfg(feature = "core")]
use polars::prelude::*;

use crate::error::{Error, Result};

/// A dense row-major matrix of `f64`: `rows × cols`, `data[r * cols + c]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// A zero-copy ndarray 0.16 view, for linfa.
    pub fn view(&self) -> Result<ArrayView2<'_, f64>> {
        ArrayView2::from_shape((self.rows, self.cols), &self.data)
            .map_err(|e| Error::internal(format!("matrix shape: {e}")))
    }

    /// The rows `rows` of this matrix, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(rows.len() * self.cols);
        for &r in rows {
            data.extend_from_slice(self.row(r));
        }
        Matrix {
            rows: rows.len(),
            cols: self.cols,
            data,
        }
    }
}

/// A numeric (or boolean) column as `f64`, with null as NaN.
#[cfg(feature = "core")]
pub fn numeric_column(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let col = df
        .column(name)
        .map_err(|_| Error::usage(format!("no column '{name}' in the data")).field(name))?;
    let cast = col
        .cast(&DataType::Float64)
        .map_err(|e| Error::input(format!("column '{name}' is not numeric: {e}")).field(name))?;
    let ca = cast
        .f64()
        .map_err(|e| Error::internal(format!("column '{name}': {e}")))?;
    if ca.null_count() == 0 {
        // No nulls: copy the buffers as they are, chunk by chunk.
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            out.extend_from_slice(arr.values().as_slice());
        }
        return Ok(out);
    }
    Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// Code used for a missing value in [`category_column`].
pub const MISSING_CODE: u32 = u32::MAX;

/// A column read as text categories: a code per row ([`MISSING_CODE`] for
/// null) and the distinct values, in order of first appearance.
#[cfg(feature = "core")]
pub fn category_column(df: &DataFrame, name: &str) -> Result<(Vec<u32>, Vec<String>)> {
    let col = df
        .column(name)
        .map_err(|_| Error::usage(format!("no column '{name}' in the data")).field(name))?;
    let cast = col
        .cast(&DataType::String)
        .map_err(|e| Error::input(format!("column '{name}' cannot be read as text: {e}")))?;
    let ca = cast
        .str()
        .map_err(|e| Error::internal(format!("column '{name}': {e}")))?;
    let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut values: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        let code = match v {
            None => MISSING_CODE,
            Some(s) => match index.get(s) {
                Some(&c) => c,
                None => {
                    let c = u32::try_from(values.len()).map_err(|_| {
                        Error::input(format!("column '{name}' has too many distinct values"))
                    })?;
                    index.insert(s, c);
                    values.push(s.to_owned());
                    c
                }
            },
        };
        codes.push(code);
    }
    Ok((codes, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_agree() {
        let m = Matrix {
            rows: 2,
            cols: 3,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        };
        let v = m.view().unwrap();
        assert_eq!(v[[1, 2]], 6.0);
        assert_eq!(m.select_rows(&[1]).data, vec![4.0, 5.0, 6.0]);
    }
}
