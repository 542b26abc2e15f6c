//! Experiment charts as SVG and PNG, drawn with plotters (the embedded font of
//! `data::charts`): each metric against each hyperparameter that varies
//! between runs of one algorithm (mean with a ± std bar), and the per-fold
//! scores of the runs.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::charts::{FAMILY, ensure_font};
use crate::drift::report::chart_file_stem;
use crate::error::{Error, Result};
use crate::train::algorithms::ParamValue;
use crate::train::record::{RunRecord, RunStatus};
use crate::train::store::SHORT_ID;

const SIZE: (u32, u32) = (720, 420);
/// The fold chart draws at most this many runs (the best ones).
const MAX_FOLD_RUNS: usize = 10;
const COLORS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// One chart's data.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// A metric against one hyperparameter of one algorithm.
    MetricVsParam {
        metric: String,
        algorithm: String,
        param: String,
        /// Plotted on log10 when the values span more than two decades.
        log: bool,
        /// (value, mean, std), sorted by value.
        points: Vec<(f64, f64, f64)>,
    },
    /// Per-fold scores of a metric, one line per run.
    Folds {
        metric: String,
        runs: Vec<(String, Vec<f64>)>,
    },
}

impl Chart {
    pub fn file_stem(&self) -> String {
        match self {
            Self::MetricVsParam {
                metric,
                algorithm,
                param,
                ..
            } => chart_file_stem(&format!("{metric}_vs_{algorithm}_{param}")),
            Self::Folds { metric, .. } => chart_file_stem(&format!("{metric}_folds")),
        }
    }
}

/// The charts for `runs` (finished ones): for the metric each run optimised.
pub fn charts_for(runs: &[RunRecord]) -> Vec<Chart> {
    let done: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Finished)
        .collect();
    let mut metrics: Vec<&str> = done.iter().map(|r| r.metric.as_str()).collect();
    metrics.sort_unstable();
    metrics.dedup();
    let mut out = Vec::new();
    for metric in metrics {
        let with: Vec<&RunRecord> = done
            .iter()
            .copied()
            .filter(|r| r.metrics.get(metric).is_some_and(|m| m.mean.is_finite()))
            .collect();
        let mut algorithms: Vec<&str> = with.iter().map(|r| r.algorithm.as_str()).collect();
        algorithms.sort_unstable();
        algorithms.dedup();
        for algorithm in algorithms {
            let of: Vec<&RunRecord> = with
                .iter()
                .copied()
                .filter(|r| r.algorithm == algorithm)
                .collect();
            let mut params: Vec<&String> = of.iter().flat_map(|r| r.params.keys()).collect();
            params.sort_unstable();
            params.dedup();
            for param in params {
                let mut points: Vec<(f64, f64, f64)> = of
                    .iter()
                    .filter_map(|r| {
                        let x = match r.params.get(param)? {
                            ParamValue::Int(i) => *i as f64,
                            ParamValue::Float(f) => *f,
                            _ => return None,
                        };
                        let m = r.metrics.get(metric)?;
                        Some((x, m.mean, if m.std.is_finite() { m.std } else { 0.0 }))
                    })
                    .filter(|(x, _, _)| x.is_finite())
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let distinct = points.windows(2).filter(|w| w[0].0 != w[1].0).count() + 1;
                if points.len() < 2 || distinct < 2 {
                    continue;
                }
                let (lo, hi) = (points[0].0, points[points.len() - 1].0);
                out.push(Chart::MetricVsParam {
                    metric: metric.to_owned(),
                    algorithm: algorithm.to_owned(),
                    param: param.clone(),
                    log: lo > 0.0 && hi / lo > 100.0,
                    points,
                });
            }
        }
        let greater = crate::train::metrics::greater_is_better(metric);
        let mut best: Vec<&RunRecord> = with.clone();
        best.sort_by(|a, b| {
            let (x, y) = (a.metrics[metric].mean, b.metrics[metric].mean);
            if greater {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        });
        let runs: Vec<(String, Vec<f64>)> = best
            .iter()
            .take(MAX_FOLD_RUNS)
            .map(|r| {
                (
                    format!(
                        "{} {}",
                        &r.run_id[..r.run_id.len().min(SHORT_ID)],
                        r.algorithm
                    ),
                    r.metrics[metric].folds.clone(),
                )
            })
            .filter(|(_, f)| !f.is_empty())
            .collect();
        if !runs.is_empty() {
            out.push(Chart::Folds {
                metric: metric.to_owned(),
                runs,
            });
        }
    }
    out
}

fn err<E: std::error::Error + Send + Sync>(e: &DrawingAreaErrorKind<E>) -> Error {
    Error::internal(format!("cannot draw the chart: {e}"))
}

/// An axis range with an 8 % margin, never empty.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    crate::util::padded_range(values, 0.08, 1e-3)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<()> {
    root.fill(&WHITE).map_err(|e| err(&e))?;
    match chart {
        Chart::MetricVsParam {
            metric,
            algorithm,
            param,
            log,
            points,
        } => {
            let tx = |x: f64| if *log { x.log10() } else { x };
            let xs: Vec<f64> = points.iter().map(|p| tx(p.0)).collect();
            let (x0, x1) = y_range(xs.iter().copied());
            let (y0, y1) = y_range(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]));
            let mut c = ChartBuilder::on(root)
                .caption(format!("{algorithm}: {metric} vs {param}"), (FAMILY, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| err(&e))?;
            c.configure_mesh()
                .x_desc(if *log {
                    format!("log10({param})")
                } else {
                    param.clone()
                })
                .y_desc(format!("{metric} (mean ± std over folds)"))
                .label_style((FAMILY, 12))
                .draw()
                .map_err(|e| err(&e))?;
            let color = COLORS[0];
            c.draw_series(points.iter().map(|&(x, m, s)| {
                PathElement::new(vec![(tx(x), m - s), (tx(x), m + s)], color.stroke_width(2))
            }))
            .map_err(|e| err(&e))?;
            c.draw_series(
                points
                    .iter()
                    .map(|&(x, m, _)| Circle::new((tx(x), m), 4, color.filled())),
            )
            .map_err(|e| err(&e))?;
        }
        Chart::Folds { metric, runs } => {
            let folds = runs.iter().map(|(_, f)| f.len()).max().unwrap_or(1);
            let (y0, y1) = y_range(runs.iter().flat_map(|(_, f)| f.iter().copied()));
            let mut c = ChartBuilder::on(root)
                .caption(format!("{metric} per fold"), (FAMILY, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0.5..(folds as f64 + 0.5), y0..y1)
                .map_err(|e| err(&e))?;
            c.configure_mesh()
                .x_desc("fold")
                .y_desc(metric.as_str())
                .x_labels(folds.min(20))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .label_style((FAMILY, 12))
                .draw()
                .map_err(|e| err(&e))?;
            for (i, (label, f)) in runs.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                let pts: Vec<(f64, f64)> = f
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(j, v)| (j as f64 + 1.0, *v))
                    .collect();
                c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| err(&e))?;
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font((FAMILY, 11))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String> {
    svg_of(SIZE, |root| draw(root, chart))
}

/// An SVG document of `size` drawn by `draw` (with the embedded font).
pub fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    ensure_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root)?;
    }
    Ok(out)
}

/// Write every chart of `runs` as `DIR/<name>.svg` and `DIR/<name>.png`.
pub fn write_all(runs: &[RunRecord], dir: &Path) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let mut out = Vec::new();
    for chart in charts_for(runs) {
        let stem = chart.file_stem();
        let svg_path = dir.join(format!("{stem}.svg"));
        crate::config::write_atomic(&svg_path, svg(&chart)?.as_bytes())?;
        out.push(svg_path);
        let png_path = dir.join(format!("{stem}.png"));
        write_png(&png_path, SIZE, |root| draw(root, &chart))?;
        out.push(png_path);
    }
    Ok(out)
}

/// Draw a PNG of `size` into a temporary file beside `out`, then rename it
/// over `out` (a failed drawing leaves nothing behind).
pub fn write_png(
    out: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = out
        .file_stem()
        .map_or_else(|| "chart".into(), |s| s.to_string_lossy().into_owned());
    // The encoder picks the format from the extension: keep ".png" last.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        draw(&root)
    };
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out, &e))
}
