//! The data, validate and labels steps: the pipeline's training table.
//!
//! Every input (the listed sources, then the batch folder's files in name
//! order) is read with the data step's loader and checked with its data
//! tests; labels from a label file replace the target where the key matches;
//! the inputs are stacked into one table. A single source with nothing added
//! is trained on in place; anything else is written once, content-addressed
//! (`.lathe/pipeline/data/<fingerprint>.parquet`), so runs and bundles can
//! read their exact training data again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::write_atomic;
use crate::data::LoadOptions;
use crate::data::schema::{CheckResult, Schema, SchemaSpec};
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, NoProgress};
use crate::pipeline::spec::ValidPipeline;
use crate::project::Project;

/// One file read by the data step.
#[derive(Debug, Clone)]
pub struct Input {
    /// The source's name, or the batch file's name.
    pub name: String,
    pub path: PathBuf,
    pub rows: usize,
}

/// What the data, validate and labels steps produced.
#[derive(Debug)]
pub struct Gathered {
    pub inputs: Vec<Input>,
    /// Data tests that failed, per input: (input name, check).
    pub failed_checks: Vec<(String, CheckResult)>,
    pub checks_run: usize,
    /// Rows whose label came from the label file.
    pub relabelled: usize,
    /// Hash of the label state (label file content, the label journal's position).
    pub label_state: String,
    pub frame: DataFrame,
    /// The newest batch file, when the batch folder has any.
    pub newest_batch: Option<PathBuf>,
}

/// The batch folder's data files, in name order; none when it is absent.
pub fn batch_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    match crate::drift::batches::batch_files(dir) {
        Ok(f) => Ok(f),
        Err(_) if dir.is_dir() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Read, check, label and stack every input.
pub fn gather(
    project: &Project,
    p: &ValidPipeline,
    validate: bool,
    cancel: &CancelToken,
) -> Result<Gathered> {
    let mut files: Vec<(String, PathBuf, LoadOptions, SchemaSpec)> = Vec::new();
    let mut first_types = None;
    let mut first_schema = None;
    for (name, path) in &p.sources {
        let src = project
            .source(name)
            .ok_or_else(|| Error::internal(format!("source '{name}' vanished")))?;
        let opts = LoadOptions {
            types: src.types.clone(),
            ..LoadOptions::default()
        };
        let schema = project.schema_spec(src);
        first_types.get_or_insert_with(|| src.types.clone());
        first_schema.get_or_insert_with(|| schema.clone());
        files.push((name.clone(), path.clone(), opts, schema));
    }
    let batches = match &p.batches {
        Some(dir) => batch_files(dir)?,
        None => Vec::new(),
    };
    for b in &batches {
        let name = b
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let opts = LoadOptions {
            types: first_types.clone().unwrap_or_default(),
            ..LoadOptions::default()
        };
        files.push((
            name,
            b.clone(),
            opts,
            first_schema.clone().unwrap_or_default(),
        ));
    }
    if files.is_empty() {
        return Err(Error::input(
            "no data: the pipeline lists no sources and the batch folder has no data files",
        ));
    }
    let common_schema = p.schema.as_deref().map(Schema::load).transpose()?;

    let mut inputs = Vec::new();
    let mut frames: Vec<DataFrame> = Vec::new();
    let mut failed_checks = Vec::new();
    let mut checks_run = 0;
    for (name, path, opts, schema_spec) in &files {
        cancel.check()?;
        let loaded = crate::data::load(path, opts)?;
        if validate {
            let schema = match &common_schema {
                Some(s) => Some(s.clone()),
                None => schema_spec.load()?,
            };
            if let Some(schema) = schema {
                let profile = crate::data::profile::profile(&loaded.frame, cancel, &NoProgress)?;
                let checks = crate::data::validate(&loaded.frame, &profile, &schema);
                checks_run += checks.len();
                failed_checks.extend(
                    checks
                        .into_iter()
                        .filter(|c| !c.passed)
                        .map(|c| (name.clone(), c)),
                );
            }
        }
        inputs.push(Input {
            name: name.clone(),
            path: path.clone(),
            rows: loaded.frame.height(),
        });
        frames.push(loaded.frame);
    }
    let journal_state = if p.label_journal {
        let (df, input, state) = journal_rows(project)?;
        frames.push(df);
        inputs.push(input);
        Some(state)
    } else {
        None
    };
    let mut frame = stack(frames, &inputs)?;
    let (relabelled, label_state) = match &p.label_file {
        Some((file, key)) => {
            let target = p.train.target.clone().unwrap_or_default();
            let bytes = std::fs::read(file).map_err(|e| Error::io(file, &e))?;
            let n = apply_label_file(&mut frame, file, key, &target)?;
            (n, hex::encode(Sha256::digest(&bytes)))
        }
        None => (0, "target-column".to_owned()),
    };
    // A new label in the journal is new work.
    let label_state = match journal_state {
        Some(j) => format!("{label_state}+{j}"),
        None => label_state,
    };
    Ok(Gathered {
        inputs,
        failed_checks,
        checks_run,
        relabelled,
        label_state,
        frame,
        newest_batch: batches.last().cloned(),
    })
}

/// Stack the inputs: every later one takes the first one's columns and types.
fn stack(frames: Vec<DataFrame>, inputs: &[Input]) -> Result<DataFrame> {
    let mut it = frames.into_iter();
    let Some(mut out) = it.next() else {
        return Err(Error::internal("no frames to stack"));
    };
    let schema = out.schema().clone();
    for (df, input) in it.zip(inputs.iter().skip(1)) {
        let mut cols = Vec::with_capacity(schema.len());
        for (name, dtype) in schema.iter() {
            let c = df.column(name).map_err(|_| {
                Error::input(format!(
                    "{} has no column '{name}', which {} has",
                    input.name, inputs[0].name
                ))
                .at(&input.path)
            })?;
            let cast = c.cast(dtype).map_err(|e| {
                Error::input(format!(
                    "column '{name}' cannot be read as {dtype} like in {}: {e}",
                    inputs[0].name
                ))
                .at(&input.path)
            })?;
            cols.push(cast);
        }
        let df = DataFrame::new(df.height(), cols)?;
        out.vstack_mut(&df)?;
    }
    out.rechunk_mut();
    Ok(out)
}

/// Replace `target` where `key` matches a row of the label file; the count replaced.
fn apply_label_file(df: &mut DataFrame, file: &Path, key: &str, target: &str) -> Result<usize> {
    let labels = crate::data::load(file, &LoadOptions::default())?.frame;
    let col_text =
        |df: &DataFrame, name: &str, path: Option<&Path>| -> Result<Vec<Option<String>>> {
            let c = df.column(name).map_err(|_| {
                let mut e = Error::input(format!("no column '{name}'"));
                if let Some(p) = path {
                    e = e.at(p).hint(format!(
                        "a label file has the columns '{key}' and '{target}'"
                    ));
                }
                e
            })?;
            let s = c.cast(&DataType::String)?;
            Ok(s.str()?.iter().map(|v| v.map(str::to_owned)).collect())
        };
    let keys = col_text(&labels, key, Some(file))?;
    let values = col_text(&labels, target, Some(file))?;
    let map: HashMap<String, Option<String>> = keys
        .into_iter()
        .zip(values)
        .filter_map(|(k, v)| k.map(|k| (k, v)))
        .collect();
    let data_keys = col_text(df, key, None).map_err(|e| e.field(key.to_owned()))?;
    let mut current = col_text(df, target, None).map_err(|e| e.field(target.to_owned()))?;
    let mut n = 0;
    for (k, v) in data_keys.iter().zip(current.iter_mut()) {
        if let Some(new) = k.as_ref().and_then(|k| map.get(k)) {
            *v = new.clone();
            n += 1;
        }
    }
    let dtype = df
        .column(target)
        .map(|c| c.dtype().clone())
        .unwrap_or(DataType::String);
    let series = Series::new(target.into(), current);
    let series = series.strict_cast(&dtype).map_err(|e| {
        Error::input(format!(
            "a label in the file cannot be read as the target's type {dtype}: {e}"
        ))
        .at(file)
        .field(target.to_owned())
    })?;
    df.with_column(series.into_column())?;
    Ok(n)
}

/// Where the training table is: the only source's file when nothing was
/// added to it, else the table written content-addressed under `.lathe/pipeline/data/`.
pub fn training_file(
    project: &Project,
    p: &ValidPipeline,
    g: &mut Gathered,
    fingerprint: &str,
) -> Result<(PathBuf, LoadOptions)> {
    if g.inputs.len() == 1 && g.relabelled == 0 && p.label_file.is_none() && p.sources.len() == 1 {
        let name = &p.sources[0].0;
        let types = project
            .source(name)
            .map(|s| s.types.clone())
            .unwrap_or_default();
        return Ok((
            g.inputs[0].path.clone(),
            LoadOptions {
                types,
                ..LoadOptions::default()
            },
        ));
    }
    let dir = project.state_dir().join("pipeline").join("data");
    let short = fingerprint.get(..24).unwrap_or(fingerprint);
    let path = dir.join(format!("{short}.parquet"));
    if !path.is_file() {
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf)
            .finish(&mut g.frame)
            .map_err(|e| Error::internal(format!("writing the training table: {e}")))?;
        write_atomic(&path, &buf)?;
    }
    // The Parquet file keeps the types; it is read with no overrides, as
    // `lathe bundle export` reads a run's data again (same frame, same fingerprint).
    Ok((path, LoadOptions::default()))
}

/// The rows labelled so far in the journal of the project's `[label]`
/// source, with their labels in the label column; the input as listed; and
/// the journal's state (`journal:<dataset>@<position>`).
fn journal_rows(project: &Project) -> Result<(DataFrame, Input, String)> {
    let choice = crate::label::LabelChoice::default();
    let (_, path) = crate::label::set::locate(project, &choice)?;
    let types = project
        .source_for_path(&path)
        .map(|s| s.types.clone())
        .unwrap_or_default();
    let loaded = crate::data::load(
        &path,
        &LoadOptions {
            types,
            ..LoadOptions::default()
        },
    )?;
    let l = crate::label::Labeling::open(project, &choice, loaded.frame)?;
    let df = l.labelled_frame(true)?;
    let state = format!("journal:{}@{}", l.set.dataset, l.journal.position());
    let input = Input {
        name: format!("labels of {}", l.set.dataset),
        path,
        rows: df.height(),
    };
    Ok((df, input, state))
}
