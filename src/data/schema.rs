//! Data tests: a declarative schema and the checks it implies.
//!
//! A schema lives in its own TOML file (`schema = "…"` in a source of
//! `lathe.toml`, or `--schema` on the command line):
//!
//! ```toml
//! format_version = 1
//! [rows]                 # optional row-count bounds
//! min = 1000
//! max = 100000
//! [[columns]]            # expected columns, in any order
//! name = "air_temp_k"    # required
//! type = "float"         # int, float, bool, string, categorical, date, datetime
//! not_null = true        # no missing values
//! unique = false         # no repeated values
//! min = 280.0            # numeric range, inclusive
//! max = 330.0
//! allowed = ["L", "M"]   # allowed values of a string/categorical column
//! # for date and datetime columns the range is ISO text:
//! # min = "2024-01-01"; max = "2024-12-31 23:59:59"
//! ```
//!
//! Each rule becomes one [`CheckResult`]; `lathe data validate` prints them
//! and exits 1 when one fails. [`infer_schema`] writes a starting schema from
//! a file known to be good.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::LogicalType;
use crate::data::profile::{ColumnProfile, Profile};
use crate::error::{Error, Result, toml_error};

pub const SCHEMA_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Optional; 1, the only version so far.
    #[serde(default = "first_version")]
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowBounds>,
    #[serde(default)]
    pub columns: Vec<ColumnRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowBounds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub logical_type: Option<LogicalType>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

fn first_version() -> u32 {
    SCHEMA_FORMAT_VERSION
}

/// Where a source's data tests come from: a schema file, checks written
/// inline in `lathe.toml`, or both (their checks add up).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSpec {
    pub file: Option<std::path::PathBuf>,
    pub inline: Option<Schema>,
}

impl SchemaSpec {
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.inline.is_none()
    }

    /// Read the file (if any) and add the inline checks.
    pub fn load(&self) -> Result<Option<Schema>> {
        let file = self.file.as_deref().map(Schema::load).transpose()?;
        Ok(match (file, self.inline.clone()) {
            (None, None) => None,
            (Some(s), None) | (None, Some(s)) => Some(s),
            (Some(mut f), Some(i)) => {
                f.rows = i.rows.or(f.rows);
                f.columns.extend(i.columns);
                Some(f)
            }
        })
    }
}

/// A range bound: a number, or a date/time in ISO form for date columns
/// (`"2024-01-01"`, `"2024-01-01 12:00:00"`), compared as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    Number(f64),
    Date(String),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(v) => f.write_str(&fmt_num(*v)),
            Self::Date(d) => write!(f, "'{d}'"),
        }
    }
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// e.g. `rows >= 1000`, `air_temp_k: not_null`.
    pub check: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub passed: bool,
    /// What was found: `3 nulls`, `max 412.5 > 330`.
    pub detail: String,
}

impl Schema {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let schema: Self = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        if schema.format_version != SCHEMA_FORMAT_VERSION {
            return Err(Error::config(format!(
                "schema format_version {} is not supported (this lathe reads {SCHEMA_FORMAT_VERSION})",
                schema.format_version
            ))
            .at(path)
            .field("format_version"));
        }
        for c in &schema.columns {
            let reversed = match (&c.min, &c.max) {
                (Some(Bound::Number(lo)), Some(Bound::Number(hi))) => lo > hi,
                (Some(Bound::Date(lo)), Some(Bound::Date(hi))) => lo > hi,
                _ => false,
            };
            if let (true, Some(lo), Some(hi)) = (reversed, &c.min, &c.max) {
                return Err(Error::config(format!("min {lo} is above max {hi}"))
                    .at(path)
                    .field(format!("columns.{}", c.name)));
            }
        }
        Ok(schema)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# lathe data-test schema, see `lathe data validate --help`\n{body}")
    }
}

/// Run every check of `schema` on `df` (whose profile is `profile`).
pub fn validate(df: &DataFrame, profile: &Profile, schema: &Schema) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let rows = df.height() as u64;
    if let Some(bounds) = &schema.rows {
        if let Some(min) = bounds.min {
            out.push(check(
                format!("rows >= {min}"),
                None,
                rows >= min,
                format!("{rows} rows"),
            ));
        }
        if let Some(max) = bounds.max {
            out.push(check(
                format!("rows <= {max}"),
                None,
                rows <= max,
                format!("{rows} rows"),
            ));
        }
    }
    for rule in &schema.columns {
        let name = &rule.name;
        let Some(p) = profile.column_profiles.iter().find(|p| &p.name == name) else {
            out.push(check(
                format!("{name}: present"),
                Some(name),
                false,
                "no such column".into(),
            ));
            continue;
        };
        out.push(check(
            format!("{name}: present"),
            Some(name),
            true,
            String::new(),
        ));
        column_checks(df, rule, p, &mut out);
    }
    out
}

fn check(check: String, column: Option<&String>, passed: bool, detail: String) -> CheckResult {
    CheckResult {
        check,
        column: column.cloned(),
        passed,
        detail,
    }
}

fn column_checks(df: &DataFrame, rule: &ColumnRule, p: &ColumnProfile, out: &mut Vec<CheckResult>) {
    let name = &rule.name;
    let col = Some(name);
    if let Some(ty) = rule.logical_type {
        // A string column may be declared categorical and the other way round.
        let text = |t: LogicalType| matches!(t, LogicalType::String | LogicalType::Categorical);
        let ok = p.logical_type == ty || (text(ty) && text(p.logical_type));
        out.push(check(
            format!("{name}: type {ty}"),
            col,
            ok,
            format!("is {}", p.logical_type),
        ));
    }
    if rule.not_null {
        out.push(check(
            format!("{name}: not_null"),
            col,
            p.nulls == 0,
            format!("{} nulls", p.nulls),
        ));
    }
    if rule.unique {
        // NaN counts as one value, as pandas' is_unique has it.
        let nan = p.numeric.as_ref().map_or(0, |n| n.nan);
        let repeats = (p.count - nan - p.distinct) + nan.saturating_sub(1);
        out.push(check(
            format!("{name}: unique"),
            col,
            repeats == 0,
            format!("{repeats} repeated values"),
        ));
    }
    if let Some(min) = &rule.min {
        out.push(bound_check(p, true, min));
    }
    if let Some(max) = &rule.max {
        out.push(bound_check(p, false, max));
    }
    if let Some(allowed) = &rule.allowed {
        let bad = disallowed(df, name, allowed);
        let detail = match &bad {
            Ok((0, _)) => String::new(),
            Ok((n, examples)) => format!("{n} values not allowed, e.g. {}", examples.join(", ")),
            Err(e) => e.clone(),
        };
        out.push(check(
            format!("{name}: allowed [{}]", allowed.join(", ")),
            col,
            matches!(bad, Ok((0, _))),
            detail,
        ));
    }
}

/// `column >= bound` (`lower`) or `column <= bound` against the profiled
/// min or max: numbers for numeric columns, ISO text for date columns.
fn bound_check(p: &ColumnProfile, lower: bool, bound: &Bound) -> CheckResult {
    let which = if lower { "min" } else { "max" };
    let holds = |ord: std::cmp::Ordering| if lower { ord.is_ge() } else { ord.is_le() };
    let (passed, detail) = match (bound, &p.numeric, &p.range) {
        (Bound::Number(b), Some(stats), _) => match if lower { stats.min } else { stats.max } {
            Some(v) => (
                v.partial_cmp(b).is_some_and(holds),
                format!("{which} {}", fmt_num(v)),
            ),
            None => (true, "no values".to_owned()),
        },
        (Bound::Date(b), _, Some(range)) => {
            let v = if lower { &range.min } else { &range.max };
            (holds(v.as_str().cmp(b.as_str())), format!("{which} {v}"))
        }
        (Bound::Date(_), _, None) if p.count == 0 => (true, "no values".to_owned()),
        (Bound::Number(_), _, _) => (false, format!("not numeric ({})", p.logical_type)),
        (Bound::Date(_), _, _) => (false, format!("not a date column ({})", p.logical_type)),
    };
    let op = if lower { ">=" } else { "<=" };
    check(
        format!("{}: {op} {bound}", p.name),
        Some(&p.name),
        passed,
        detail,
    )
}

/// Count values of `name` outside `allowed`, with up to three examples.
fn disallowed(
    df: &DataFrame,
    name: &str,
    allowed: &[String],
) -> Result<(u64, Vec<String>), String> {
    let col = df.column(name).map_err(|e| e.to_string())?;
    let text = col.cast(&DataType::String).map_err(|e| e.to_string())?;
    let ca = text.str().map_err(|e| e.to_string())?;
    let allowed: std::collections::HashSet<&str> = allowed.iter().map(String::as_str).collect();
    let mut n = 0;
    let mut examples: Vec<String> = Vec::new();
    for v in ca.iter().flatten() {
        if !allowed.contains(v) {
            n += 1;
            let quoted = format!("'{v}'");
            if examples.len() < 3 && !examples.contains(&quoted) {
                examples.push(quoted);
            }
        }
    }
    Ok((n, examples))
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A starting schema from a good file: its columns and types, not_null where
/// nothing is missing, unique where every value differs, the observed range of
/// numbers, and the allowed values of text columns with at most 20 values.
pub fn infer_schema(profile: &Profile) -> Schema {
    let columns = profile
        .column_profiles
        .iter()
        .map(|p| {
            let stats = p.numeric.as_ref();
            let textual = matches!(
                p.logical_type,
                LogicalType::String | LogicalType::Categorical
            );
            ColumnRule {
                name: p.name.clone(),
                logical_type: Some(p.logical_type),
                not_null: p.nulls == 0 && p.count > 0,
                unique: p.count > 1
                    && p.distinct == p.count
                    && matches!(p.logical_type, LogicalType::Int | LogicalType::String),
                min: stats
                    .and_then(|s| s.min)
                    .filter(|v| v.is_finite())
                    .map(Bound::Number)
                    .or_else(|| p.range.as_ref().map(|r| Bound::Date(r.min.clone()))),
                max: stats
                    .and_then(|s| s.max)
                    .filter(|v| v.is_finite())
                    .map(Bound::Number)
                    .or_else(|| p.range.as_ref().map(|r| Bound::Date(r.max.clone()))),
                allowed: p
                    .top
                    .as_ref()
                    .filter(|t| textual && t.other == 0 && p.distinct <= 20 && p.distinct < p.count)
                    .map(|t| {
                        let mut v: Vec<String> = t.values.iter().map(|(v, _)| v.clone()).collect();
                        v.sort();
                        v
                    }),
            }
        })
        .collect();
    Schema {
        format_version: SCHEMA_FORMAT_VERSION,
        // A file with no rows gets no lower bound: its own schema must pass it.
        rows: (profile.rows > 0).then_some(RowBounds {
            min: Some(1),
            max: None,
        }),
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{CancelToken, NoProgress};

    fn verdicts(df: &DataFrame, schema: &str) -> Vec<(String, bool)> {
        let schema = Schema::parse(Path::new("s.toml"), schema).unwrap();
        let profile = crate::data::profile(df, &CancelToken::new(), &NoProgress).unwrap();
        validate(df, &profile, &schema)
            .into_iter()
            .map(|c| (c.check, c.passed))
            .collect()
    }

    #[test]
    fn each_rule_passes_and_fails() {
        let df = df![
            "id" => [1i64, 2, 2, 4],
            "kind" => [Some("a"), Some("b"), Some("z"), None],
            "x" => [0.5, f64::NAN, 2.0, 9.0],
        ]
        .unwrap();
        let got = verdicts(
            &df,
            r#"format_version = 1
[rows]
min = 5
max = 10
[[columns]]
name = "id"
type = "int"
unique = true
not_null = true
[[columns]]
name = "kind"
type = "float"
not_null = true
allowed = ["a", "b"]
[[columns]]
name = "x"
min = 0.0
max = 5.0
unique = true
[[columns]]
name = "missing"
"#,
        );
        let want = [
            ("rows >= 5", false),
            ("rows <= 10", true),
            ("id: present", true),
            ("id: type int", true),
            ("id: not_null", true),
            ("id: unique", false),
            ("kind: present", true),
            ("kind: type float", false),
            ("kind: not_null", false),
            ("kind: allowed [a, b]", false),
            ("x: present", true),
            ("x: unique", true),
            ("x: >= 0", true),
            ("x: <= 5", false),
            ("missing: present", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(c, p)| ((*c).to_owned(), *p)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn min_above_max_is_a_config_error() {
        let e = Schema::parse(
            Path::new("s.toml"),
            "format_version = 1\n[[columns]]\nname = \"a\"\nmin = 3.0\nmax = 1.0\n",
        )
        .unwrap_err();
        assert!(e.message.contains("above max"), "{e}");
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;
    use crate::jobs::{CancelToken, NoProgress};

    #[test]
    fn date_columns_take_iso_bounds_and_infer_them() {
        let text = df!["d" => ["2024-01-03", "2024-01-09"]].unwrap();
        let d = text.column("d").unwrap().cast(&DataType::Date).unwrap();
        let df = DataFrame::new(2, vec![d]).unwrap();
        let profile = crate::data::profile(&df, &CancelToken::new(), &NoProgress).unwrap();
        let schema = Schema::parse(
            Path::new("s.toml"),
            "[[columns]]\nname = \"d\"\nmin = \"2024-01-01\"\nmax = \"2024-01-05\"\n",
        )
        .unwrap();
        let got: Vec<(String, bool, String)> = validate(&df, &profile, &schema)
            .into_iter()
            .map(|c| (c.check, c.passed, c.detail))
            .collect();
        assert_eq!(
            got[1],
            ("d: >= '2024-01-01'".into(), true, "min 2024-01-03".into())
        );
        assert_eq!(
            got[2],
            ("d: <= '2024-01-05'".into(), false, "max 2024-01-09".into())
        );
        let inferred = infer_schema(&profile);
        assert_eq!(
            inferred.columns[0].min,
            Some(Bound::Date("2024-01-03".into()))
        );
        let again = validate(&df, &profile, &inferred);
        assert!(again.iter().all(|c| c.passed), "{again:?}");
    }
}
