//! A current file too big to hold: read one column at a time.
//!
//! A Parquet or Arrow IPC file over [`STREAM_ROWS`] rows is not loaded whole:
//! its schema and row count come from the metadata, and each column's job
//! reads just that column (a projected lazy scan) and drops it when done, so
//! memory holds a column or two per thread instead of the whole table.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::data::format::Format;
use crate::drift::compute::Columns;
use crate::error::{Error, Result};

/// From this many rows on, a Parquet or IPC current file is read column by column.
pub const STREAM_ROWS: usize = 2_000_000;

pub struct ColumnFile {
    path: PathBuf,
    format: Format,
    schema: Schema,
    height: usize,
}

impl ColumnFile {
    /// The file as a column source, when it is Parquet or IPC with at least
    /// `min_rows` rows; None otherwise (then it is loaded as usual).
    pub fn open(path: &Path, min_rows: usize) -> Result<Option<Self>> {
        let format = match crate::data::format::detect(path) {
            Ok(f @ (Format::Parquet | Format::Ipc)) => f,
            _ => return Ok(None),
        };
        let mut lf = scan(path, format)?;
        let schema = lf
            .collect_schema()
            .map_err(|e| Error::input(format!("cannot read the schema: {e}")).at(path))?
            .as_ref()
            .clone();
        let n = scan(path, format)?
            .select([len()])
            .collect()
            .map_err(|e| Error::input(e.to_string()).at(path))?;
        let height = n
            .columns()
            .first()
            .and_then(|c| c.get(0).ok())
            .and_then(|v| v.extract::<u64>())
            .unwrap_or(0) as usize;
        if height < min_rows {
            return Ok(None);
        }
        Ok(Some(Self {
            path: path.to_path_buf(),
            format,
            schema,
            height,
        }))
    }
}

fn scan(path: &Path, format: Format) -> Result<LazyFrame> {
    let p = PlRefPath::new(path.to_string_lossy().as_ref());
    let lf = match format {
        Format::Parquet => LazyFrame::scan_parquet(p, ScanArgsParquet::default()),
        _ => LazyFrame::scan_ipc(p, Default::default(), Default::default()),
    };
    lf.map_err(|e| Error::input(format!("cannot read the file: {e}")).at(path))
}

impl Columns for ColumnFile {
    fn names(&self) -> Vec<String> {
        self.schema.iter_names().map(|n| n.to_string()).collect()
    }

    fn height(&self) -> usize {
        self.height
    }

    fn dtype(&self, name: &str) -> Result<DataType> {
        self.schema
            .get(name)
            .cloned()
            .ok_or_else(|| Error::internal(format!("no column '{name}'")))
    }

    fn all_null(&self, _name: &str) -> Option<bool> {
        None
    }

    fn reads_on_demand(&self) -> bool {
        true
    }

    fn frame_of(&self, name: &str) -> Result<Cow<'_, DataFrame>> {
        scan(&self.path, self.format)?
            .select([col(name)])
            .collect()
            .map(Cow::Owned)
            .map_err(|e| Error::input(format!("cannot read column '{name}': {e}")).at(&self.path))
    }
}
