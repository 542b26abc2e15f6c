//! The data step: load tabular files with polars, profile them, fingerprint
//! them, and check them against declarative data tests.
//!
//! Boundary: this module takes paths and options and returns frames,
//! profiles and verdicts. It knows nothing about terminals or the command line.

pub mod charts;
pub mod display;
pub mod fingerprint;
pub mod format;
pub mod load;
pub mod profile;
pub mod records;
pub mod schema;
pub mod sniff;

use std::fmt;

use polars::prelude::{AnyValue, DataFrame, DataType};
use serde::{Deserialize, Serialize};

pub use load::{LoadOptions, Loaded, load, preview};
pub use profile::{Profile, profile};
pub use schema::{CheckResult, Schema, infer_schema, validate};

/// The types lathe reasons about, independent of polars' physical types
/// (an `i32` in Parquet and an `i64` from CSV are both `int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogicalType {
    Int,
    Float,
    Bool,
    String,
    Categorical,
    Date,
    Datetime,
    /// Anything else polars can hold (lists, structs, durations …); shown, not profiled.
    Other,
}

impl LogicalType {
    pub fn of(dtype: &DataType) -> Self {
        match dtype {
            d if d.is_integer() => Self::Int,
            d if d.is_float() => Self::Float,
            // Fixed-point decimals are numbers; lathe computes with them as floats.
            DataType::Decimal(..) => Self::Float,
            DataType::Boolean => Self::Bool,
            DataType::String => Self::String,
            DataType::Categorical(..) | DataType::Enum(..) => Self::Categorical,
            DataType::Date => Self::Date,
            DataType::Datetime(..) => Self::Datetime,
            _ => Self::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::Bool => "bool",
            Self::String => "string",
            Self::Categorical => "categorical",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Other => "other",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Int | Self::Float)
    }

    /// The polars type a column is cast to when the user overrides its type.
    pub fn to_polars(self) -> Option<DataType> {
        use polars::prelude::{Categories, TimeUnit};
        Some(match self {
            Self::Int => DataType::Int64,
            Self::Float => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::String => DataType::String,
            Self::Categorical => DataType::from_categories(Categories::global()),
            Self::Date => DataType::Date,
            Self::Datetime => DataType::Datetime(TimeUnit::Microseconds, None),
            Self::Other => return None,
        })
    }
}

impl fmt::Display for LogicalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LogicalType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "int" | "integer" => Self::Int,
            "float" | "number" => Self::Float,
            "bool" | "boolean" => Self::Bool,
            "string" | "str" | "text" => Self::String,
            "categorical" | "category" => Self::Categorical,
            "date" => Self::Date,
            "datetime" | "timestamp" => Self::Datetime,
            other => {
                return Err(format!(
                    "unknown type '{other}' (use int, float, bool, string, categorical, date or datetime)"
                ));
            }
        })
    }
}

pub use crate::util::human_bytes;

/// The rows of `df` as JSON objects: numbers stay numbers, nulls null,
/// everything else its text.
pub fn json_rows(df: &DataFrame) -> Vec<serde_json::Map<String, serde_json::Value>> {
    use serde_json::Value;
    (0..df.height())
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| {
                    let v = match c.get(i) {
                        Ok(AnyValue::Null) | Err(_) => Value::Null,
                        Ok(AnyValue::Boolean(b)) => Value::Bool(b),
                        Ok(v) if c.dtype().is_integer() => {
                            v.extract::<i64>().map_or(Value::Null, Value::from)
                        }
                        Ok(v) if c.dtype().is_float() => v
                            .extract::<f64>()
                            .and_then(serde_json::Number::from_f64)
                            .map_or(Value::Null, Value::Number),
                        Ok(AnyValue::String(s)) => Value::from(s),
                        Ok(v) => {
                            Value::from(v.get_str().map_or_else(|| v.to_string(), str::to_owned))
                        }
                    };
                    (c.name().to_string(), v)
                })
                .collect()
        })
        .collect()
}
