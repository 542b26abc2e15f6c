//! Profile charts as SVG, drawn with plotters: a histogram for a numeric
//! column, the most frequent values for a text column.
//!
//! plotters is built without its default features (they pull in fontconfig
//! and freetype, which do not link into a static binary): text is laid out
//! with ab_glyph and an embedded font, DejaVu Sans Mono (its licence is in
//! `charts/LICENSE-DejaVu.txt`).

use std::sync::OnceLock;

use plotters::prelude::*;

use crate::data::profile::ColumnProfile;
use crate::error::{Error, Result};

const FONT: &[u8] = include_bytes!("charts/DejaVuSansMono.ttf");
/// The font family name the embedded font is registered under.
pub(crate) const FAMILY: &str = "sans-serif";
const SIZE: (u32, u32) = (720, 400);
const BAR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);

/// Register the embedded font with plotters (once).
pub(crate) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::internal("the embedded chart font does not load"))
    }
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::internal(format!("cannot draw the chart: {e}"))
}

/// The column's chart as an SVG document, or `None` when it has nothing to draw.
pub fn column_svg(p: &ColumnProfile) -> Result<Option<String>> {
    if p.numeric
        .as_ref()
        .and_then(|n| n.histogram.as_ref())
        .is_some()
    {
        histogram_svg(p).map(Some)
    } else if p.top.as_ref().is_some_and(|t| !t.values.is_empty()) {
        top_values_svg(p).map(Some)
    } else {
        Ok(None)
    }
}

fn histogram_svg(p: &ColumnProfile) -> Result<String> {
    ensure_font()?;
    let Some(h) = p.numeric.as_ref().and_then(|n| n.histogram.as_ref()) else {
        return Err(Error::internal("no histogram"));
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let ymax = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.05;
        let (lo, hi) = (h.edges[0], h.edges[h.edges.len() - 1]);
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{}: {} values", p.name, p.count), (FAMILY, 20))
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi, 0f64..ymax)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(p.name.as_str())
            .y_desc("rows")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FAMILY, 12))
            .draw()
            .map_err(draw_err)?;
        let bars = h.counts.iter().enumerate().map(|(i, &c)| {
            Rectangle::new(
                [(h.edges[i], 0.0), (h.edges[i + 1], c as f64)],
                BAR.filled(),
            )
        });
        chart.draw_series(bars).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn top_values_svg(p: &ColumnProfile) -> Result<String> {
    ensure_font()?;
    let Some(top) = &p.top else {
        return Err(Error::internal("no top values"));
    };
    let n = top.values.len();
    let xmax = top.values.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1) as f64 * 1.05;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{}: most frequent of {} distinct", p.name, p.distinct),
                (FAMILY, 20),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(140)
            .build_cartesian_2d(0f64..xmax, 0f64..n as f64)
            .map_err(draw_err)?;
        let label = |y: &f64| {
            // Bars sit between i and i+1, most frequent on top; label their middles.
            let i = y.floor() as usize;
            let mid = (y - y.floor() - 0.5).abs() < 1e-9;
            match (mid, top.values.get(n.saturating_sub(i + 1))) {
                (true, Some((v, _))) => v.chars().take(18).collect(),
                _ => String::new(),
            }
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(2 * n + 1)
            .y_label_formatter(&label)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("rows")
            .label_style((FAMILY, 12))
            .draw()
            .map_err(draw_err)?;
        let bars = top.values.iter().enumerate().map(|(i, (_, c))| {
            let y = (n - 1 - i) as f64;
            Rectangle::new([(0.0, y + 0.15), (*c as f64, y + 0.85)], BAR.filled())
        });
        chart.draw_series(bars).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}
