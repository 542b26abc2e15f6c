//! Drift reports out: charts (SVG and PNG, drawn with plotters and the
//! embedded font) and one self-contained HTML file with the charts inline —
//! no script, style sheet or font is fetched from anywhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::charts::{FAMILY, ensure_font};
use crate::drift::compute::{Chart, ColumnDrift, DriftReport};
use crate::error::{Error, Result};

const SIZE: (u32, u32) = (720, 360);
const REFERENCE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const CURRENT: RGBColor = RGBColor(0xff, 0x7f, 0x0e);

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &ColumnDrift) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| Error::internal(format!("chart of '{}': {e}", c.name));
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let title = format!(
        "{} — {} {} {:.4} ({})",
        c.name,
        c.test.name(),
        if c.test.is_p_value() { "p =" } else { "=" },
        c.score,
        if c.drifted { "drift" } else { "no drift" }
    );
    let (labels, reference, current): (Vec<String>, &[f64], &[f64]) = match &c.chart {
        Chart::Histogram {
            edges,
            reference,
            current,
        } => (
            edges
                .windows(2)
                .map(|w| crate::data::display::num((w[0] + w[1]) / 2.0))
                .collect(),
            reference,
            current,
        ),
        Chart::Categories {
            labels,
            reference,
            current,
        } => (labels.clone(), reference, current),
    };
    let n = labels.len().max(1);
    let top = reference
        .iter()
        .chain(current)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)
        .map_err(|e| err(&e))?;
    let step = (n / 8).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.min(10))
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if i.is_multiple_of(step) {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("share of rows")
        .label_style((FAMILY, 11))
        .draw()
        .map_err(|e| err(&e))?;
    let bars = |values: &[f64], offset: f64, color: RGBColor| {
        values
            .iter()
            .enumerate()
            .map(move |(i, v)| {
                let x0 = i as f64 + offset;
                Rectangle::new([(x0, 0.0), (x0 + 0.4, *v)], color.mix(0.8).filled())
            })
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(bars(reference, 0.1, REFERENCE))
        .map_err(|e| err(&e))?
        .label("reference")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], REFERENCE.filled()));
    chart
        .draw_series(bars(current, 0.5, CURRENT))
        .map_err(|e| err(&e))?
        .label("current")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], CURRENT.filled()));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 12))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// One column's chart as an SVG document.
pub fn column_svg(c: &ColumnDrift) -> Result<String> {
    ensure_font()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        draw(&root, c)?;
    }
    Ok(out)
}

/// A file name for a column's chart: letters, digits, `-` and `_` only.
pub fn chart_file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "column".to_owned() } else { s }
}

/// Write each column's chart as `DIR/<column>.svg`; returns the files.
pub fn write_svgs(report: &DriftReport, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let mut out = Vec::new();
    for c in &report.columns {
        let path = dir.join(format!("{}.svg", chart_file_stem(&c.name)));
        crate::config::write_atomic(&path, column_svg(c)?.as_bytes())?;
        out.push(path);
    }
    Ok(out)
}

/// Write each column's chart as `DIR/<column>.png` (720×360); returns the files.
/// Each file is drawn beside its final name and renamed into place.
pub fn write_pngs(report: &DriftReport, dir: &Path) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let mut out = Vec::new();
    for c in &report.columns {
        let stem = chart_file_stem(&c.name);
        let path = dir.join(format!("{stem}.png"));
        // The encoder picks the format from the extension: keep ".png" last.
        let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
        let drawn = {
            let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
            draw(&root, c)
        };
        if let Err(e) = drawn {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, &e))?;
        out.push(path);
    }
    Ok(out)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one self-contained HTML page.
pub fn html(report: &DriftReport, reference: &str, current: &str) -> Result<String> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>lathe drift report</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}\
         table{{border-collapse:collapse}}td,th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}}\
         td.n{{text-align:right;font-variant-numeric:tabular-nums}}.drift{{color:#b00020;font-weight:bold}}\
         .ok{{color:#1b5e20}}figure{{margin:1em 0}}</style></head><body>\n\
         <h1>Drift report</h1>\n<p>Reference <code>{}</code> ({} rows) · current <code>{}</code> ({} rows)</p>\n\
         <p class=\"{}\">{}</p>\n",
        esc(reference),
        report.reference_rows,
        esc(current),
        report.current_rows,
        if report.dataset_drift { "drift" } else { "ok" },
        esc(&report.summary())
    );
    h.push_str(
        "<table><tr><th>column</th><th>type</th><th>test</th><th>binning</th>\
         <th>score</th><th>threshold</th><th>verdict</th><th>notes</th></tr>\n",
    );
    for c in &report.columns {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#c-{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"n\">{:.6}</td><td class=\"n\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            chart_file_stem(&c.name),
            esc(&c.name),
            crate::drift::compute::kind_name(c.kind),
            c.test.name(),
            c.binning
                .map(|b| format!("{b:?}").to_lowercase())
                .unwrap_or_default(),
            c.score,
            c.threshold,
            if c.drifted { "drift" } else { "ok" },
            if c.drifted { "drift" } else { "no drift" },
            esc(&c.notes.join("; "))
        );
    }
    h.push_str("</table>\n");
    for (name, why) in &report.skipped {
        let _ = writeln!(
            h,
            "<p>Not checked: <code>{}</code>: {}</p>",
            esc(name),
            esc(why)
        );
    }
    if !report.missing_in_current.is_empty() {
        let _ = writeln!(
            h,
            "<p>Missing in the current data: {}</p>",
            esc(&report.missing_in_current.join(", "))
        );
    }
    if !report.new_in_current.is_empty() {
        let _ = writeln!(
            h,
            "<p>New in the current data: {}</p>",
            esc(&report.new_in_current.join(", "))
        );
    }
    for c in &report.columns {
        let svg = column_svg(c)?;
        // The inline SVG starts at its <svg> element (no XML declaration inside HTML).
        let svg = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = writeln!(
            h,
            "<figure id=\"c-{}\">{svg}<figcaption>{}</figcaption></figure>",
            chart_file_stem(&c.name),
            esc(&c.name)
        );
    }
    h.push_str("</body></html>\n");
    Ok(h)
}
