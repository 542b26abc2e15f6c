//! Explanation charts as SVG and PNG (plotters): the mean |SHAP| per column
//! as horizontal bars, and one row's waterfall from the base value to the
//! output, largest contributions first.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::charts::{FAMILY, ensure_font};
use crate::error::{Error, Result};
use crate::train::explain::Explanation;

const SIZE: (u32, u32) = (760, 460);
/// Bars a chart draws (the largest; the rest are summed into one).
const MAX_BARS: usize = 15;
const UP: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const DOWN: RGBColor = RGBColor(0x1f, 0x77, 0xb4);

/// One explanation chart's data.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Mean |SHAP| per column, largest first.
    Importance {
        title: String,
        bars: Vec<(String, f64)>,
    },
    /// From `base` through each (column, contribution) to the output.
    Waterfall {
        title: String,
        base: f64,
        steps: Vec<(String, f64)>,
    },
}

impl Chart {
    pub fn importance(e: &Explanation) -> Self {
        let mut bars: Vec<(String, f64)> = e.columns.iter().cloned().zip(e.mean_abs()).collect();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1));
        if bars.len() > MAX_BARS {
            let rest: f64 = bars[MAX_BARS - 1..].iter().map(|b| b.1).sum();
            let n = bars.len() - MAX_BARS + 1;
            bars.truncate(MAX_BARS - 1);
            bars.push((format!("{n} other columns"), rest));
        }
        Chart::Importance {
            title: format!(
                "mean |SHAP| per column ({} rows, {}, {})",
                e.rows,
                e.output.label(),
                e.method.label()
            ),
            bars,
        }
    }

    /// Row `r` of `e` (named `label`) at its shown output.
    pub fn waterfall(e: &Explanation, r: usize, label: &str) -> Self {
        let o = e.shown_output(r);
        let values = e.values_of(r, o);
        let mut steps: Vec<(String, f64)> = e
            .columns
            .iter()
            .cloned()
            .zip(values.iter().copied())
            .collect();
        steps.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        if steps.len() > MAX_BARS {
            let rest: f64 = steps[MAX_BARS - 1..].iter().map(|s| s.1).sum();
            let n = steps.len() - MAX_BARS + 1;
            steps.truncate(MAX_BARS - 1);
            steps.push((format!("{n} other columns"), rest));
        }
        Chart::Waterfall {
            title: format!(
                "{label}: {} of '{}' ({})",
                e.output.label(),
                e.outputs[o],
                e.method.label()
            ),
            base: e.base[o],
            steps,
        }
    }
}

fn err<E: std::error::Error + Send + Sync>(e: &DrawingAreaErrorKind<E>) -> Error {
    Error::internal(format!("cannot draw the chart: {e}"))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<()> {
    root.fill(&WHITE).map_err(|e| err(&e))?;
    // (label, from, to) per bar, top to bottom.
    let (title, bars, x_desc): (&str, Vec<(String, f64, f64)>, &str) = match chart {
        Chart::Importance { title, bars } => (
            title,
            bars.iter().map(|(c, v)| (c.clone(), 0.0, *v)).collect(),
            "mean |SHAP value|",
        ),
        Chart::Waterfall { title, base, steps } => {
            let mut at = *base;
            let mut out = Vec::with_capacity(steps.len());
            for (c, v) in steps {
                out.push((c.clone(), at, at + v));
                at += v;
            }
            (title, out, "raw output (base value → output)")
        }
    };
    let n = bars.len().max(1);
    let (x0, x1) = crate::util::padded_range(bars.iter().flat_map(|b| [b.1, b.2]), 0.08, 1e-6);
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut c = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(170)
        .build_cartesian_2d(x0..x1, 0.0..n as f64)
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            // Labels sit at bar centres: n - i - 0.5 for bar i.
            let i = n as f64 - y - 0.5;
            if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
                labels.get(i.round() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_style((FAMILY, 12))
        .draw()
        .map_err(|e| err(&e))?;
    c.draw_series(bars.iter().enumerate().map(|(i, (_, from, to))| {
        let y = n as f64 - i as f64;
        let color = if to >= from { UP } else { DOWN };
        Rectangle::new([(*from, y - 0.8), (*to, y - 0.2)], color.filled())
    }))
    .map_err(|e| err(&e))?;
    if let Chart::Waterfall { base, .. } = chart {
        let end = bars.last().map_or(*base, |b| b.2);
        for (x, color) in [(*base, BLACK.mix(0.5)), (end, BLACK.mix(0.9))] {
            c.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, n as f64)],
                color.stroke_width(1),
            )))
            .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String> {
    crate::experiments::charts::svg_of(SIZE, |root| draw(root, chart))
}

/// Write the chart to `out`: PNG when it ends in `.png`, else SVG (atomically).
pub fn write(chart: &Chart, out: &Path) -> Result<()> {
    let png = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !png {
        return crate::config::write_atomic(out, svg(chart)?.as_bytes());
    }
    ensure_font()?;
    crate::experiments::charts::write_png(out, SIZE, |root| draw(root, chart))
}
