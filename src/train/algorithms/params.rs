//! Hyperparameters as data: a value ([`ParamValue`], [`Params`] by name), what values one takes
//! ([`ParamKind`]), and its catalogue description ([`ParamInfo`]) with the parsing and range
//! checks every front-end uses.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A hyperparameter value as written in a spec or a run record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Text(s) => write!(f, "{s}"),
        }
    }
}

impl ParamValue {
    pub(super) fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// Hyperparameters by name (sorted, so records and hashes are stable).
pub type Params = BTreeMap<String, ParamValue>;

/// What values a hyperparameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    Int {
        min: i64,
        max: i64,
    },
    /// `log` marks parameters searched on a log scale (C, alpha, …).
    Float {
        min: f64,
        max: f64,
        log: bool,
    },
    Choice(&'static [&'static str]),
}

/// One hyperparameter of an algorithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub kind: ParamKind,
    /// The default, as text in the parameter's kind.
    pub default: &'static str,
    pub description: &'static str,
}

impl ParamInfo {
    /// Parse text (from a flag or a form) into a checked value.
    pub fn parse(&self, text: &str) -> Result<ParamValue> {
        let text = text.trim();
        let value = match self.kind {
            ParamKind::Int { .. } => text.parse::<i64>().map(ParamValue::Int).map_err(|_| {
                Error::usage(format!(
                    "hyperparameter '{}' wants a whole number, not '{text}'",
                    self.name
                ))
            })?,
            ParamKind::Float { .. } => {
                text.parse::<f64>().map(ParamValue::Float).map_err(|_| {
                    Error::usage(format!(
                        "hyperparameter '{}' wants a number, not '{text}'",
                        self.name
                    ))
                })?
            }
            ParamKind::Choice(_) => ParamValue::Text(text.to_owned()),
        };
        self.check(value)
    }

    /// Check a value against the kind and range; ints are accepted for floats.
    pub fn check(&self, value: ParamValue) -> Result<ParamValue> {
        let bad = |why: String| Error::usage(why).field(self.name);
        match (self.kind, &value) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => {
                if *i < min || *i > max {
                    return Err(bad(format!(
                        "hyperparameter '{}' = {i} is out of range {min}..={max}",
                        self.name
                    )));
                }
                Ok(value)
            }
            (ParamKind::Float { min, max, .. }, v) if v.as_f64().is_some() => {
                let x = v.as_f64().unwrap_or(f64::NAN);
                if !(x >= min && x <= max) {
                    return Err(bad(format!(
                        "hyperparameter '{}' = {x} is out of range {min}..={max}",
                        self.name
                    )));
                }
                Ok(ParamValue::Float(x))
            }
            (ParamKind::Choice(options), ParamValue::Text(s)) => {
                if !options.contains(&s.as_str()) {
                    return Err(bad(format!(
                        "hyperparameter '{}' = '{s}' is not one of {}",
                        self.name,
                        options.join(", ")
                    )));
                }
                Ok(value)
            }
            _ => Err(bad(format!(
                "hyperparameter '{}' wants {}, not '{value}'",
                self.name,
                self.kind_text()
            ))),
        }
    }

    pub fn default_value(&self) -> ParamValue {
        // Defaults are written by us in this file and covered by a test.
        self.parse(self.default)
            .unwrap_or_else(|_| ParamValue::Text(self.default.to_owned()))
    }

    /// "int 1..=500", "float 1e-6..=1e6 (log)", "one of gini, entropy".
    pub fn kind_text(&self) -> String {
        match self.kind {
            ParamKind::Int { min, max } => format!("int {min}..={max}"),
            ParamKind::Float { min, max, log } => {
                format!("float {min}..={max}{}", if log { " (log)" } else { "" })
            }
            ParamKind::Choice(o) => format!("one of {}", o.join(", ")),
        }
    }
}
