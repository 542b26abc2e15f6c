//! Drift over time: several current batches (the files of a folder, in name
//! order) against one reference — per column, the score of every batch.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::Serialize;

use crate::data::charts::{FAMILY, ensure_font};
use crate::drift::compute::DriftReport;
use crate::error::{Error, Result};

/// One batch's report.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// The batch's file name.
    pub name: String,
    pub report: DriftReport,
}

/// Data files of a folder, sorted by name (hidden files and sub-folders left out).
pub fn batch_files(dir: &Path) -> Result<Vec<PathBuf>> {
    const EXTENSIONS: &[&str] = &[
        "csv", "tsv", "txt", "gz", "parquet", "pq", "json", "ndjson", "jsonl", "arrow", "ipc",
        "feather",
    ];
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !name.starts_with('.')
                && p.extension().is_some_and(|x| {
                    EXTENSIONS.contains(&x.to_string_lossy().to_lowercase().as_str())
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::input("the folder has no data files (csv, parquet, json, ipc)").at(dir));
    }
    Ok(files)
}

/// Per column (in the first batch's order), each batch's score and verdict.
pub type ScoreRow = (String, Vec<Option<(f64, bool)>>);

/// The scores of every column over the batches.
pub fn score_table(batches: &[BatchReport]) -> Vec<ScoreRow> {
    let mut names: Vec<String> = Vec::new();
    for b in batches {
        for c in &b.report.columns {
            if !names.contains(&c.name) {
                names.push(c.name.clone());
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let scores = batches
                .iter()
                .map(|b| {
                    b.report
                        .columns
                        .iter()
                        .find(|c| c.name == name)
                        .map(|c| (c.score, c.drifted))
                })
                .collect();
            (name, scores)
        })
        .collect()
}

/// A column's score per batch as a line chart (SVG), with its threshold.
pub fn over_time_svg(column: &str, batches: &[BatchReport]) -> Result<String> {
    ensure_font()?;
    let points: Vec<(usize, f64)> = batches
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            b.report
                .columns
                .iter()
                .find(|c| c.name == column)
                .map(|c| (i, c.score))
        })
        .filter(|(_, s)| s.is_finite())
        .collect();
    let threshold = batches
        .iter()
        .find_map(|b| b.report.columns.iter().find(|c| c.name == column))
        .map_or(f64::NAN, |c| c.threshold);
    let top = points
        .iter()
        .map(|p| p.1)
        .chain([threshold])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.15;
    let err = |e: &dyn std::fmt::Display| Error::internal(format!("chart of '{column}': {e}"));
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (720, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let n = batches.len().max(2);
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{column}: score per batch"), (FAMILY, 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..(n - 1) as f64, 0f64..top)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|x| {
                batches
                    .get(x.round() as usize)
                    .map(|b| b.name.chars().take(16).collect())
                    .unwrap_or_default()
            })
            .label_style((FAMILY, 11))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|&(i, s)| (i as f64, s)),
                RGBColor(0x1f, 0x77, 0xb4).stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
        if threshold.is_finite() {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, threshold), ((n - 1) as f64, threshold)],
                    RED.stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(out)
}
