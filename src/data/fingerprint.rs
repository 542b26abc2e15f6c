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

/// One column's values for a block of rows, ready to be written row by row.
enum Part {
    /// A tag and a 64-bit value, written little-endian; `None` is null.
    Fixed(u8, Vec<Option<u64>>),
    /// The same without nulls (most blocks of most columns).
    Dense(u8, Vec<u64>),
    Bool(Vec<Option<bool>>),
    /// Each row's encoding, already written: bytes and `len + 1` offsets.
    Encoded(Vec<u8>, Vec<usize>),
}

impl Part {
    /// At most how many bytes the block's values take.
    fn max_bytes(&self) -> usize {
        match self {
            Self::Fixed(_, v) => 9 * v.len(),
            Self::Dense(_, v) => 9 * v.len(),
            Self::Bool(v) => 2 * v.len(),
            Self::Encoded(bytes, _) => bytes.len(),
        }
    }

    /// Append row `r`'s canonical encoding.
    #[inline]
    fn write(&self, r: usize, out: &mut Vec<u8>) {
        match self {
            Self::Fixed(tag, v) => match v[r] {
                None => out.push(0),
                Some(bits) => {
                    out.push(*tag);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
            },
            Self::Dense(tag, v) => {
                out.push(*tag);
                out.extend_from_slice(&v[r].to_le_bytes());
            }
            Self::Bool(v) => match v[r] {
                None => out.push(0),
                Some(b) => out.extend_from_slice(&[3, u8::from(b)]),
            },
            Self::Encoded(bytes, offsets) => {
                out.extend_from_slice(&bytes[offsets[r]..offsets[r + 1]]);
            }
        }
    }
}

/// Rows `[start, start+len)` of a numeric column as 64-bit patterns.
fn fixed<T: PolarsNumericType>(
    ca: &ChunkedArray<T>,
    start: usize,
    len: usize,
    tag: u8,
    bits: impl Fn(T::Native) -> u64,
) -> Part {
    let part = ca.slice(start as i64, len);
    if part.null_count() == 0 {
        let mut out = Vec::with_capacity(len);
        for arr in part.downcast_iter() {
            out.extend(arr.values().iter().map(|&v| bits(v)));
        }
        return Part::Dense(tag, out);
    }
    let mut out = Vec::with_capacity(len);
    for arr in part.downcast_iter() {
        out.extend(arr.iter().map(|v| v.map(|&v| bits(v))));
    }
    Part::Fixed(tag, out)
}

/// Rows `[start, start+len)` of a text column, encoded.
fn text(ca: &StringChunked, start: usize, len: usize) -> Part {
    let part = ca.slice(start as i64, len);
    let mut bytes = Vec::with_capacity(len * 16);
    let mut offsets = Vec::with_capacity(len + 1);
    offsets.push(0);
    for v in part.iter() {
        match v {
            None => bytes.push(0),
            Some(s) => {
                bytes.push(4);
                bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
                bytes.extend_from_slice(s.as_bytes());
            }
        }
        offsets.push(bytes.len());
    }
    Part::Encoded(bytes, offsets)
}

/// Encode a block of rows row-major; also return each row's 128-bit hash.
fn encode_block(cols: &[Col], start: usize, len: usize) -> (Vec<u8>, Vec<u128>) {
    let parts: Vec<Part> = cols
        .iter()
        .map(|c| match c {
            Col::Int(ca) => fixed(ca, start, len, 1, |v| v as u64),
            Col::Float(ca) => fixed(ca, start, len, 2, |v: f64| {
                if v.is_nan() {
                    CANONICAL_NAN
                } else {
                    v.to_bits()
                }
            }),
            Col::Date(ca) => fixed(ca, start, len, 5, |d| i64::from(d) as u64),
            Col::Datetime(ca) => fixed(ca, start, len, 6, |v| v as u64),
            Col::Bool(ca) => Part::Bool(ca.slice(start as i64, len).iter().collect()),
            Col::Str(ca) => text(ca, start, len),
        })
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(Part::max_bytes).sum());
    let mut hashes = Vec::with_capacity(len);
    for r in 0..len {
        let row_start = out.len();
        for p in &parts {
            p.write(r, &mut out);
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
    // Encode a few blocks at a time in parallel; a thread of its own hashes
    // them in order meanwhile (SHA-256 is sequential: it would otherwise
    // leave the other cores idle between batches).
    let batch = rayon::current_num_threads().max(1) * 2;
    let (hasher, mut row_hashes) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(batch);
        let hashing = scope.spawn(move || {
            for bytes in rx {
                hasher.update(&bytes);
            }
            hasher
        });
        let mut row_hashes: Vec<u128> = Vec::with_capacity(rows);
        let mut encode = || -> Result<()> {
            for (i, group) in blocks.chunks(batch).enumerate() {
                cancel.check()?;
                let encoded: Vec<(Vec<u8>, Vec<u128>)> = group
                    .par_iter()
                    .map(|&start| encode_block(&cols, start, BLOCK_ROWS.min(rows - start)))
                    .collect();
                for (bytes, hashes) in encoded {
                    row_hashes.extend(hashes);
                    // The hashing thread only stops early by panicking.
                    if tx.send(bytes).is_err() {
                        break;
                    }
                }
                report(progress, "fingerprint", (i + 1) * batch, blocks.len());
            }
            Ok(())
        };
        let encoded = encode();
        drop(tx);
        let hasher = hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        encoded.map(|()| (hasher, row_hashes))
    })?;
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
