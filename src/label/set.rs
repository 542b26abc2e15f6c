//! The label set of a dataset: which file, which column is the label, its
//! kind and classes (in key order: class 1 is key `1`), and the id column.
//!
//! Kept in `.lathe/labels/<dataset>.toml` beside the dataset's journal. The
//! first time a dataset is labelled its settings come from the command line
//! or the screen, then from the project's `[label]` section, then from the
//! data (the values already in the label column).

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::data::LogicalType;
use crate::error::{Error, Result, toml_error};
use crate::project::Project;

/// The label set file's format version.
pub const FORMAT_VERSION: u32 = 1;
/// Classes with a key of their own (1–9).
pub const MAX_KEYED_CLASSES: usize = 9;
/// More distinct values than this in a column means it is not a class label.
const MAX_CLASSES: usize = 50;

/// What a label is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// One of the named classes.
    #[default]
    Classification,
    /// A number, typed.
    Regression,
}

impl std::str::FromStr for LabelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "classification" | "class" => Ok(Self::Classification),
            "regression" | "number" => Ok(Self::Regression),
            other => Err(Error::usage(format!(
                "label kind '{other}' is not 'classification' or 'regression'"
            ))),
        }
    }
}

/// `.lathe/labels/<dataset>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSet {
    pub format_version: u32,
    /// The dataset's name: its source name, or the file's stem.
    pub dataset: String,
    /// The data file, relative to the project folder when inside it.
    pub data: PathBuf,
    /// The label column (it need not exist in the file).
    pub target: String,
    #[serde(default)]
    pub kind: LabelKind,
    /// The classes, in key order. Empty for regression.
    #[serde(default)]
    pub classes: Vec<String>,
    /// A column identifying rows; without one rows are keyed by their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What the user asked for, each optional (flags or a form).
#[derive(Debug, Clone, Default)]
pub struct LabelChoice {
    pub data: Option<PathBuf>,
    pub target: Option<String>,
    pub id: Option<String>,
    pub classes: Option<Vec<String>>,
    pub kind: Option<LabelKind>,
}

impl LabelSet {
    pub fn path(project: &Project, dataset: &str) -> PathBuf {
        labels_dir(project).join(format!("{dataset}.toml"))
    }

    pub fn load(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, &e)),
        };
        let set: Self = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        if set.format_version > FORMAT_VERSION {
            return Err(Error::config(format!(
                "this label set has format version {}, newer than this lathe's {FORMAT_VERSION}",
                set.format_version
            ))
            .at(path)
            .hint("upgrade lathe to label this dataset"));
        }
        Ok(Some(set))
    }

    pub fn save(&self, project: &Project) -> Result<()> {
        let body = toml::to_string(self).map_err(|e| Error::internal(e.to_string()))?;
        let text =
            format!("# lathe label set: the label column and its classes (key 1 = first)\n{body}");
        write_atomic(&Self::path(project, &self.dataset), text.as_bytes())
    }

    /// The data file's full path.
    pub fn data_path(&self, project: &Project) -> PathBuf {
        project.resolve(&self.data)
    }

    /// The class index of a key press `1`–`9`.
    pub fn class_of_key(&self, key: u8) -> Result<usize> {
        let i = usize::from(key).wrapping_sub(1);
        if self.kind == LabelKind::Regression {
            return Err(Error::usage(
                "this label is a number: type it (Enter), class keys do not apply",
            ));
        }
        if i < self.classes.len() && i < MAX_KEYED_CLASSES {
            Ok(i)
        } else {
            Err(Error::usage(format!(
                "key {key} has no class: the classes are {}",
                self.keyed_classes()
            ))
            .hint("add classes in the label setup (C on the Label screen, or --classes)"))
        }
    }

    /// `1 0 · 2 1` — the key of every class.
    pub fn keyed_classes(&self) -> String {
        self.classes
            .iter()
            .take(MAX_KEYED_CLASSES)
            .enumerate()
            .map(|(i, c)| format!("{} '{c}'", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Check a label value; regression labels are normalised to their number's text.
    pub fn check_label(&self, value: &str) -> Result<String> {
        match self.kind {
            LabelKind::Classification => {
                if self.classes.iter().any(|c| c == value) {
                    Ok(value.to_owned())
                } else {
                    Err(Error::usage(format!(
                        "'{value}' is not a class of '{}' (classes: {})",
                        self.target,
                        self.classes.join(", ")
                    ))
                    .field(&self.target)
                    .hint("add the class to the label set first (--classes)"))
                }
            }
            LabelKind::Regression => match value.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v.to_string()),
                _ => Err(Error::usage(format!(
                    "'{value}' is not a number, and '{}' is labelled with numbers",
                    self.target
                ))
                .field(&self.target)),
            },
        }
    }
}

/// `.lathe/labels/`.
pub fn labels_dir(project: &Project) -> PathBuf {
    project.state_dir().join("labels")
}

/// A name usable as a file name: letters, digits, `-`, `_`, `.`.
pub fn dataset_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_owned();
    if s.is_empty() { "data".to_owned() } else { s }
}

/// Which dataset a choice is about, and where its file is: the `--data` file
/// (named after its source when the project lists it), else `[label] source`.
pub fn locate(project: &Project, choice: &LabelChoice) -> Result<(String, PathBuf)> {
    if let Some(path) = &choice.data {
        let name = match project.source_for_path(path) {
            Some(s) => s.name.clone(),
            None => path
                .file_stem()
                .map_or_else(|| "data".to_owned(), |s| s.to_string_lossy().into_owned()),
        };
        return Ok((dataset_name(&name), path.clone()));
    }
    let defaults = project.file.label.as_ref().ok_or_else(|| {
        Error::usage("which data? name it with --data FILE")
            .hint("or add [label] source = \"NAME\" to lathe.toml")
    })?;
    let source = project
        .source(&defaults.source)
        .ok_or_else(|| Error::config(format!("no source '{}'", defaults.source)))?;
    Ok((dataset_name(&source.name), project.resolve(&source.path)))
}

/// The label set for `choice` on `df`: the saved one with the choice's
/// changes, or a new one. Saves it when it is new or changed.
pub fn resolve(project: &Project, choice: &LabelChoice, df: &DataFrame) -> Result<LabelSet> {
    let (dataset, path) = locate(project, choice)?;
    let saved_path = LabelSet::path(project, &dataset);
    let saved = LabelSet::load(&saved_path)?;
    let defaults = project
        .file
        .label
        .as_ref()
        .filter(|d| dataset_name(&d.source) == dataset);
    let rel = path
        .strip_prefix(&project.root)
        .map_or_else(|_| path.clone(), Path::to_path_buf);
    let mut set = match saved.clone() {
        Some(mut s) => {
            s.data = rel;
            s
        }
        None => {
            let target = choice
                .target
                .clone()
                .or_else(|| defaults.and_then(|d| d.target.clone()))
                .ok_or_else(|| {
                    Error::usage(format!("which column is the label of '{dataset}'?"))
                        .hint("name it with --target COLUMN (a new column is fine)")
                })?;
            let kind = match (choice.kind, defaults.and_then(|d| d.kind.as_deref())) {
                (Some(k), _) => k,
                (None, Some(k)) => k.parse()?,
                (None, None) => guess_kind(df, &target),
            };
            LabelSet {
                format_version: FORMAT_VERSION,
                dataset: dataset.clone(),
                data: rel,
                target,
                kind,
                classes: defaults.map(|d| d.classes.clone()).unwrap_or_default(),
                id: choice
                    .id
                    .clone()
                    .or_else(|| defaults.and_then(|d| d.id.clone())),
            }
        }
    };
    if let Some(t) = &choice.target
        && *t != set.target
    {
        return Err(Error::usage(format!(
            "'{dataset}' is labelled in column '{}', not '{t}'",
            set.target
        ))
        .at(&saved_path)
        .hint("label another column as another dataset: copy the file, or remove the label set"));
    }
    if let Some(k) = choice.kind {
        set.kind = k;
    }
    if let Some(id) = &choice.id {
        set.id = Some(id.clone());
    }
    if let Some(c) = &choice.classes {
        set.classes = c.clone();
    }
    if set.kind == LabelKind::Classification && set.classes.is_empty() {
        set.classes = classes_in(df, &set.target)?;
    }
    if set.kind == LabelKind::Regression {
        set.classes.clear();
    }
    validate(&set, df)?;
    if saved.as_ref() != Some(&set) {
        set.save(project)?;
    }
    Ok(set)
}

fn validate(set: &LabelSet, df: &DataFrame) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for c in &set.classes {
        if c.trim().is_empty() {
            return Err(Error::usage("a class name is empty").field("classes"));
        }
        if !seen.insert(c) {
            return Err(Error::usage(format!("class '{c}' is listed twice")).field("classes"));
        }
    }
    if set.kind == LabelKind::Classification && set.classes.is_empty() {
        return Err(Error::usage(format!(
            "column '{}' has no values to take the classes from",
            set.target
        ))
        .hint("name the classes: --classes yes,no"));
    }
    if let Some(id) = &set.id
        && df.column(id).is_err()
    {
        return Err(Error::usage(format!("the id column '{id}' is not in the data")).field(id));
    }
    if set.id.as_deref() == Some(set.target.as_str()) {
        return Err(Error::usage("the id column cannot be the label column").field("id"));
    }
    Ok(())
}

/// Numbers with many distinct values are a regression label; the rest classes.
fn guess_kind(df: &DataFrame, target: &str) -> LabelKind {
    let Ok(c) = df.column(target) else {
        return LabelKind::Classification;
    };
    let numeric = LogicalType::of(c.dtype()) == LogicalType::Float;
    let distinct = c.as_materialized_series().n_unique().unwrap_or(0);
    if numeric && distinct > MAX_CLASSES {
        LabelKind::Regression
    } else {
        LabelKind::Classification
    }
}

/// The distinct values of the label column, sorted (numbers as numbers).
fn classes_in(df: &DataFrame, target: &str) -> Result<Vec<String>> {
    let Ok(c) = df.column(target) else {
        return Ok(Vec::new());
    };
    let s = c.as_materialized_series().drop_nulls();
    let unique = s.unique()?;
    if unique.len() > MAX_CLASSES {
        return Err(Error::usage(format!(
            "column '{target}' has {} distinct values, too many for classes",
            unique.len()
        ))
        .field(target)
        .hint("label it as numbers (--kind regression), or name the classes with --classes"));
    }
    let mut values: Vec<String> = crate::label::rows::text_values(&unique)?
        .into_iter()
        .flatten()
        .collect();
    values.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    Ok(values)
}
