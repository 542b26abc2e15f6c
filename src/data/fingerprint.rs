//! The data fingerprint and the duplicate-row count, from one pass over every row.
//!
//! The fingerprint is the SHA-256 of a canonical encoding of the schema and
//! of every value in file order ("lathe-fingerprint-v1"). It depends only on
//! logical types and values, never on polars' chunking, hashing or thread
//! count, so the same data read from CSV or Parquet has the same fingerprint:
//!
//! ```text
//! "lathe-fingerprint-v1\n"
//! per column:  name (UTF-8) 0x1F logical-type-name 0x1E      then 0x1D
//! per row, per column, one value:
//!   null      0x00
//!   int       0x01 i64 LE                  (any integer width)
//!   float     0x02 f64 bits LE             (every NaN as 0x7FF8000000000000)
//!   bool      0x03 0|1
//!   string    0x04 u64 LE byte length, UTF-8 bytes
//!   date      0x05 i64 LE days since 1970-01-01
//!   datetime  0x06 i64 LE microseconds since 1970-01-01T00:00:00
//! fingerprint = "sha256:" + lowercase hex
//! ```
//!
//! Type names are those of [`LogicalType`], except that a categorical column
//! is named and encoded as `string`: Parquet and Arrow store text columns
//! dictionary-encoded, and how a file stores text must not change its identity. Rows are encoded in parallel in
//! blocks and hashed in order. A row is a duplicate when its encoding equals
//! that of an earlier row (compared by 128-bit XXH3 of the encoding).

use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::data::LogicalType;
use crate::error::Result;
use crate::jobs::{CancelToken, Progress, report};

const BLOCK_ROWS: usize = 32 * 1024;
const HEADER: &[u8] = b"lathe-fingerprint-v1\n";
const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

/// What one pass over the rows yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowScan {
    pub fingerprint: String,
    pub duplicate_rows: u64,
}

/// A column in the form the encoder reads.
enum Col {
    Int(Int64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
    Str(StringChunked),
    Date(Int32Chunked),
    Datetime(Int64Chunked),
}

fn prepare(series: &Series) -> Result<(LogicalType, Col)> {
    let ty = match LogicalType::of(series.dtype()) {
        LogicalType::Categorical => LogicalType::String,
        other => other,
    };
    let col = match ty {
        LogicalType::Int => Col::Int(
            series
                .strict_cast(&DataType::Int64)
                .map_err(|_| {
                    crate::error::Error::input(format!(
                        "column '{}' holds integers outside the 64-bit signed range, which lathe cannot fingerprint",
                        series.name(),
                    ))
                    .hint("read it as text: --type COLUMN=string")
                    .field(series.name().as_str())
                })?
                .i64()?
                .clone(),
        ),
        LogicalType::Float => Col::Float(series.cast(&DataType::Float64)?.f64()?.clone()),
        LogicalType::Bool => Col::Bool(series.bool()?.clone()),
        LogicalType::Date => Col::Date(series.date()?.physical().clone()),
        LogicalType::Datetime => {
            let tz = match series.dtype() {
                DataType::Datetime(_, tz) => tz.clone(),
                _ => None,
            };
            let us = series.cast(&DataType::Datetime(TimeUnit::Microseconds, tz))?;
            Col::Datetime(us.datetime()?.physical().clone())
        }
        LogicalType::String | LogicalType::Categorical => {
            Col::Str(series.cast(&DataType::String)?.str()?.clone())
        }
        // Lists, structs, durations …: their display text, which is stable.
        LogicalType::Other => Col::Str(match series.cast(&DataType::String) {
            Ok(s) => s.str()?.clone(),
            Err(_) => series
                .iter()
                .map(|v| (!v.is_null()).then(|| v.to_string()))
                .collect::<StringChunked>(),
        }),
    };
    Ok((ty, col))
}

/// Encode rows `[start, start+len)` of one column: bytes plus per-row offsets.
fn encode_column(col: &Col, start: usize, len: usize, out: &mut Vec<u8>, offsets: &mut Vec<u32>) {
    fn fixed<T: PolarsNumericType>(
        ca: &ChunkedArray<T>,
        start: usize,
        len: usize,
        out: &mut Vec<u8>,
        offsets: &mut Vec<u32>,
        tag: u8,
        bytes: impl Fn(T::Native) -> [u8; 8],
    ) {
        let part = ca.slice(start as i64, len);
        for v in part.iter() {
            match v {
                None => out.push(0),
                Some(v) => {
                    out.push(tag);
                    out.extend_from_slice(&bytes(v));
                }
            }
            offsets.push(out.len() as u32);
        }
    }
    offsets.push(out.len() as u32);
    match col {
        Col::Int(ca) => fixed(ca, start, len, out, offsets, 1, i64::to_le_bytes),
        Col::Float(ca) => fixed(ca, start, len, out, offsets, 2, |v: f64| {
            let bits = if v.is_nan() {
                CANONICAL_NAN
            } else {
                v.to_bits()
            };
            bits.to_le_bytes()
        }),
        Col::Date(ca) => fixed(ca, start, len, out, offsets, 5, |d: i32| {
            i64::from(d).to_le_bytes()
        }),
        Col::Datetime(ca) => fixed(ca, start, len, out, offsets, 6, i64::to_le_bytes),
        Col::Bool(ca) => {
            for v in ca.slice(start as i64, len).iter() {
                match v {
                    None => out.push(0),
                    Some(b) => out.extend_from_slice(&[3, u8::from(b)]),
                }
                offsets.push(out.len() as u32);
            }
        }
        Col::Str(ca) => {
            for v in ca.slice(start as i64, len).iter() {
                match v {
                    None => out.push(0),
                    Some(s) => {
                        out.push(4);
                        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                        out.extend_from_slice(s.as_bytes());
                    }
                }
                offsets.push(out.len() as u32);
            }
        }
    }
}

/// Encode a block of rows row-major; also return each row's 128-bit hash.
fn encode_block(cols: &[Col], start: usize, len: usize) -> (Vec<u8>, Vec<u128>) {
    let per_col: Vec<(Vec<u8>, Vec<u32>)> = cols
        .iter()
        .map(|c| {
            let mut bytes = Vec::with_capacity(len * 9);
            let mut offs = Vec::with_capacity(len + 1);
            encode_column(c, start, len, &mut bytes, &mut offs);
            (bytes, offs)
        })
        .collect();
    let total: usize = per_col.iter().map(|(b, _)| b.len()).sum();
    let mut out = Vec::with_capacity(total);
    let mut hashes = Vec::with_capacity(len);
    for r in 0..len {
        let row_start = out.len();
        for (bytes, offs) in &per_col {
            out.extend_from_slice(&bytes[offs[r] as usize..offs[r + 1] as usize]);
        }
        hashes.push(xxhash_rust::xxh3::xxh3_128(&out[row_start..]));
    }
    (out, hashes)
}

/// Each row's 128-bit XXH3 of its canonical encoding (the fingerprint's
/// per-row bytes), in file order: the identity of a row's values, used by the
/// label step's row keys. Independent of chunking and thread count.
pub fn row_hashes(df: &DataFrame) -> Result<Vec<u128>> {
    let cols = df
        .columns()
        .iter()
        .map(|c| prepare(c.as_materialized_series()).map(|(_, col)| col))
        .collect::<Result<Vec<_>>>()?;
    let rows = df.height();
    let starts: Vec<usize> = (0..rows).step_by(BLOCK_ROWS).collect();
    let blocks: Vec<Vec<u128>> = starts
        .par_iter()
        .map(|&start| encode_block(&cols, start, BLOCK_ROWS.min(rows - start)).1)
        .collect();
    Ok(blocks.concat())
}

/// Hash every row of `df` into the fingerprint and count duplicate rows.
pub fn scan(df: &DataFrame, cancel: &CancelToken, progress: &dyn Progress) -> Result<RowScan> {
    let mut hasher = Sha256::new();
    hasher.update(HEADER);
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        let (ty, col) = prepare(c.as_materialized_series())?;
        hasher.update(c.name().as_bytes());
        hasher.update([0x1F]);
        hasher.update(ty.name().as_bytes());
        hasher.update([0x1E]);
        cols.push(col);
    }
    hasher.update([0x1D]);

    let rows = df.height();
    let blocks: Vec<usize> = (0..rows).step_by(BLOCK_ROWS).collect();
    let mut row_hashes: Vec<u128> = Vec::with_capacity(rows);
    // Encode a few blocks at a time in parallel, hash them in order.
    let batch = rayon::current_num_threads().max(1) * 2;
    for (i, group) in blocks.chunks(batch).enumerate() {
        cancel.check()?;
        let encoded: Vec<(Vec<u8>, Vec<u128>)> = group
            .par_iter()
            .map(|&start| encode_block(&cols, start, BLOCK_ROWS.min(rows - start)))
            .collect();
        for (bytes, hashes) in encoded {
            hasher.update(&bytes);
            row_hashes.extend(hashes);
        }
        report(progress, "fingerprint", (i + 1) * batch, blocks.len());
    }
    row_hashes.par_sort_unstable();
    let distinct = 1 + row_hashes.windows(2).filter(|w| w[0] != w[1]).count();
    let duplicate_rows = if rows == 0 {
        0
    } else {
        (rows - distinct) as u64
    };
    Ok(RowScan {
        fingerprint: format!("sha256:{}", hex::encode(hasher.finalize())),
        duplicate_rows,
    })
}
