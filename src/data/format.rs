//! Which file format a path holds: by its extension, confirmed by magic bytes.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
    /// Newline-delimited JSON, one object per line.
    Ndjson,
    /// A JSON array of objects.
    Json,
    /// Arrow IPC file (Feather v2).
    Ipc,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Ndjson => "ndjson",
            Self::Json => "json",
            Self::Ipc => "arrow-ipc",
        })
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Self::Csv,
            "parquet" | "pq" => Self::Parquet,
            "ndjson" | "jsonl" => Self::Ndjson,
            "json" => Self::Json,
            "ipc" | "arrow" | "feather" => Self::Ipc,
            other => {
                return Err(format!(
                    "unknown format '{other}' (use csv, parquet, ndjson, json or ipc)"
                ));
            }
        })
    }
}

/// True when the bytes start with gzip's magic number.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Detect the format of `path`: magic bytes first (they do not lie), then the
/// extension (`.csv.gz` is CSV), then the first non-blank character for JSON.
pub fn detect(path: &Path) -> Result<Format> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, &e))?;
    if meta.is_dir() {
        return Err(Error::input("is a directory, not a data file")
            .at(path)
            .hint(
                "give the path of a file inside it, or open the folder in the TUI's file picker",
            ));
    }
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::io(path, &e))?;
    let head = &head[..n];
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Ok(Format::Ipc);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.parse::<Format>() {
        Ok(Format::Parquet) if meta.len() > 0 => Err(Error::input(
            "not a Parquet file: it does not start with the Parquet magic bytes 'PAR1'",
        )
        .at(path)),
        Ok(f) => Ok(f),
        Err(_) if is_gzip(head) => Ok(Format::Csv),
        Err(_) => Ok(Format::Csv),
    }
}
