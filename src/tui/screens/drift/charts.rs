//! The selected column's charts — overlaid reference and current
//! histograms and their ECDFs for numbers, category shares side by side for
//! categories — and the table's mini-histograms. All are drawn from the
//! report's `Chart` (shares over common edges or categories), so the screen
//! shows the same bins as the exported charts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use super::render::{Ctx, score_text};
use crate::data::display::{num, truncate};
use crate::drift::compute::{Chart as Shares, ColumnDrift, kind_name};
use crate::drift::stats::TestId;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;

const SPARKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// Reference and current mini-histograms of `w` characters, on one scale.
pub(super) fn minis(c: &ColumnDrift, w: usize) -> (String, String) {
    let (r, cur) = match &c.chart {
        Shares::Histogram {
            reference, current, ..
        } => (resample(reference, w), resample(current, w)),
        // Categories come most frequent first: the first `w` are the ones that matter.
        Shares::Categories {
            reference, current, ..
        } => (
            reference.iter().take(w).copied().collect(),
            current.iter().take(w).copied().collect(),
        ),
    };
    let top = r.iter().chain(&cur).copied().fold(0.0, f64::max);
    (sparkline(&r, top), sparkline(&cur, top))
}

/// `v` in `w` buckets (mean of the bins each covers); as is when it fits.
fn resample(v: &[f64], w: usize) -> Vec<f64> {
    let n = v.len();
    if n <= w || w == 0 {
        return v.to_vec();
    }
    (0..w)
        .map(|j| {
            let (lo, hi) = (j * n / w, ((j + 1) * n / w).max(j * n / w + 1));
            v[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

/// One character per value; empty bins blank, any mass at least `▁`.
fn sparkline(v: &[f64], top: f64) -> String {
    v.iter()
        .map(|&x| {
            if x <= 0.0 || top <= 0.0 {
                SPARKS[0]
            } else {
                SPARKS[((x / top * 8.0).ceil() as usize).clamp(1, 8)]
            }
        })
        .collect()
}

/// A horizontal bar of `share / top × w` cells, in eighths.
fn hbar(share: f64, top: f64, w: usize) -> String {
    if share <= 0.0 || top <= 0.0 {
        return String::new();
    }
    let eighths = ((share / top).min(1.0) * w as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(EIGHTHS[eighths % 8]);
    if s.is_empty() {
        s.push('▏');
    }
    s
}

/// A histogram's outline: up and down each bin's share, closed at both ends.
fn steps(edges: &[f64], shares: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(shares.len() * 2 + 2);
    for (w, &s) in edges.windows(2).zip(shares) {
        if out.is_empty() {
            out.push((w[0], 0.0));
        }
        out.push((w[0], s));
        out.push((w[1], s));
    }
    if let Some(&(x, _)) = out.last() {
        out.push((x, 0.0));
    }
    out
}

/// The ECDF at each edge: the cumulative share of rows up to it.
fn ecdf(edges: &[f64], shares: &[f64]) -> Vec<(f64, f64)> {
    let mut acc = 0.0;
    let mut out: Vec<(f64, f64)> = edges.first().map(|&e| (e, 0.0)).into_iter().collect();
    for (w, &s) in edges.windows(2).zip(shares) {
        acc += s;
        out.push((w[1], acc.min(1.0)));
    }
    out
}

/// The largest vertical distance between two ECDFs at the same edges, and where.
fn largest_gap(a: &[(f64, f64)], b: &[(f64, f64)]) -> (f64, f64) {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p.1 - q.1).abs(), p.0))
        .fold(
            (0.0, f64::NAN),
            |best, g| if g.0 > best.0 { g } else { best },
        )
}

/// The column's verdict and charts; `zoomed` when they fill the screen.
pub(super) fn render_detail(f: &mut Frame, area: Rect, c: &ColumnDrift, zoomed: bool, cx: &Ctx) {
    let t = cx.theme;
    let mut block = cx.block(format!("{} · {}", c.name, kind_name(c.kind)), zoomed);
    if zoomed {
        block = block.title_bottom(Line::styled(
            format!(
                " {}/{}: other columns · {}: back to the table ",
                cx.key(Action::Up),
                cx.key(Action::Down),
                cx.key(Action::Close)
            ),
            t.style("dim"),
        ));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut facts = vec![verdict_line(c, t), counts_line(c, t)];
    for n in &c.notes {
        facts.push(Line::styled(format!("note: {n}"), t.style("status.warn")));
    }
    let fh = (facts.len() as u16).min(inner.height / 3);
    let [facts_area, charts] =
        Layout::vertical([Constraint::Length(fh), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(facts), facts_area);
    match &c.chart {
        Shares::Histogram {
            edges,
            reference,
            current,
        } if edges.len() >= 2 => {
            let [h, e] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(charts);
            histograms(f, h, edges, reference, current, t);
            ecdfs(f, e, edges, reference, current, t);
        }
        Shares::Histogram { .. } => {}
        Shares::Categories {
            labels,
            reference,
            current,
        } => categories(f, charts, labels, reference, current, t),
    }
}

fn verdict_line(c: &ColumnDrift, t: &Theme) -> Line<'static> {
    let (below, above) = if c.test == TestId::Ks {
        ("≤", ">")
    } else {
        ("<", "≥")
    };
    let (what, op) = match (c.test.is_p_value(), c.drifted) {
        (true, true) => ("p", below),
        (true, false) => ("p", above),
        (false, true) => ("score", "≥"),
        (false, false) => ("score", "<"),
    };
    let mut spans = vec![
        Span::styled(c.test.name(), t.style("header")),
        Span::styled(
            format!(" {what} {} {op} {} → ", score_text(c.score), c.threshold),
            t.style("text"),
        ),
        if c.drifted {
            Span::styled("drift", t.style("status.error"))
        } else {
            Span::styled("no drift", t.style("status.ok"))
        },
    ];
    if let Some(raw) = c.raw_p_value {
        spans.push(Span::styled(
            format!(" (uncorrected p {})", score_text(raw)),
            t.style("dim"),
        ));
    }
    Line::from(spans)
}

fn counts_line(c: &ColumnDrift, t: &Theme) -> Line<'static> {
    let mut s = format!(
        "{} reference values, {} current",
        c.reference_values, c.current_values
    );
    if c.reference_dropped + c.current_dropped > 0 {
        s.push_str(&format!(
            " · left out (missing, NaN, ±inf): {} and {}",
            c.reference_dropped, c.current_dropped
        ));
    }
    if let Some(b) = c.binning {
        s.push_str(&format!(" · {} binning", format!("{b:?}").to_lowercase()));
        if let Some(n) = c.n_bins {
            s.push_str(&format!(", {n} bins"));
        }
    }
    Line::styled(s, t.style("dim"))
}

fn dataset<'a>(name: &'a str, data: &'a [(f64, f64)], style: Style) -> Dataset<'a> {
    Dataset::default()
        .name(name)
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

fn x_axis<'a>(edges: &[f64], t: &Theme) -> Axis<'a> {
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    Axis::default()
        .bounds([lo, hi])
        .style(t.style("dim"))
        .labels([num(lo), num((lo + hi) / 2.0), num(hi)])
}

/// A chart of the two series, titled with its own legend: ratatui hides a
/// legend box in small charts, and the colours must stay explained.
fn chart<'a>(datasets: Vec<Dataset<'a>>, what: &str, after: String, t: &Theme) -> Chart<'a> {
    let title = Line::from(vec![
        Span::styled(format!("{what} · "), t.style("dim")),
        Span::styled("━ reference", t.series(0)),
        Span::raw("  "),
        Span::styled("━ current", t.series(1)),
        Span::styled(after, t.style("dim")),
    ]);
    Chart::new(datasets)
        .block(Block::default().title(title))
        .legend_position(None)
}

fn histograms(f: &mut Frame, area: Rect, edges: &[f64], r: &[f64], c: &[f64], t: &Theme) {
    let (rp, cp) = (steps(edges, r), steps(edges, c));
    let top = r.iter().chain(c).copied().fold(0.0, f64::max).max(1e-9);
    let w = chart(
        vec![
            dataset("reference", &rp, t.series(0)),
            dataset("current", &cp, t.series(1)),
        ],
        "histograms",
        " · share of rows per bin".into(),
        t,
    )
    .x_axis(x_axis(edges, t))
    .y_axis(
        Axis::default()
            .bounds([0.0, top])
            .style(t.style("dim"))
            .labels(["0".to_owned(), format!("{:.0}%", top * 100.0)]),
    );
    f.render_widget(w, area);
}

fn ecdfs(f: &mut Frame, area: Rect, edges: &[f64], r: &[f64], c: &[f64], t: &Theme) {
    let (rp, cp) = (ecdf(edges, r), ecdf(edges, c));
    let (gap, at) = largest_gap(&rp, &cp);
    let w = chart(
        vec![
            dataset("reference", &rp, t.series(0)),
            dataset("current", &cp, t.series(1)),
        ],
        "ECDFs",
        format!(" · largest gap {gap:.2} at {}", num(at)),
        t,
    )
    .x_axis(x_axis(edges, t))
    .y_axis(
        Axis::default()
            .bounds([0.0, 1.0])
            .style(t.style("dim"))
            .labels(["0", "0.5", "1"]),
    );
    f.render_widget(w, area);
}

/// One row per category: the reference share and the current share side by
/// side as bars on one scale, and the change in percentage points.
fn categories(f: &mut Frame, area: Rect, labels: &[String], r: &[f64], c: &[f64], t: &Theme) {
    let w = area.width as usize;
    let label_w = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 16)
        .min(w / 4);
    const PCT: usize = 7; // " 100.0%"
    const DELTA: usize = 8; // "  +12.3"
    let half = w.saturating_sub(label_w + 1 + DELTA) / 2;
    let bar_w = half.saturating_sub(PCT + 1).max(1);
    let top = r.iter().chain(c).copied().fold(0.0, f64::max);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<label_w$} ", "category"), t.style("header")),
        Span::styled(format!("{:<half$}", "━ reference"), t.series(0)),
        Span::styled(format!("{:<half$}", "━ current"), t.series(1)),
        Span::styled(format!("{:>DELTA$}", "Δ pt"), t.style("header")),
    ])];
    let room = (area.height as usize).saturating_sub(1);
    for (i, ((label, &a), &b)) in labels.iter().zip(r).zip(c).enumerate() {
        if i + 1 == room && labels.len() > room {
            lines.push(Line::styled(
                format!("… {} more categories", labels.len() - i),
                t.style("dim"),
            ));
            break;
        }
        let d = (b - a) * 100.0;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<label_w$} ", truncate(label, label_w)),
                t.style("text"),
            ),
            Span::styled(format!("{:<bar_w$}", hbar(a, top, bar_w)), t.series(0)),
            Span::styled(format!("{:>PCT$} ", pct(a)), t.style("dim")),
            Span::styled(format!("{:<bar_w$}", hbar(b, top, bar_w)), t.series(1)),
            Span::styled(format!("{:>PCT$} ", pct(b)), t.style("dim")),
            Span::styled(
                format!("{d:>+DELTA$.1}"),
                t.style(if d.abs() >= 5.0 { "status.warn" } else { "dim" }),
            ),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_the_shape_and_the_width() {
        let v: Vec<f64> = (0..20).map(f64::from).collect();
        let r = resample(&v, 9);
        assert_eq!(r.len(), 9);
        assert!(r.windows(2).all(|w| w[1] > w[0]), "{r:?}");
        assert_eq!(resample(&v, 30), v);
        assert_eq!(sparkline(&[0.0, 0.01, 0.5, 1.0], 1.0), " ▁▄█");
    }

    #[test]
    fn ecdf_ends_at_one_and_steps_close_the_outline() {
        let edges = [0.0, 1.0, 2.0, 3.0];
        let shares = [0.2, 0.5, 0.3];
        let e = ecdf(&edges, &shares);
        assert_eq!(e.len(), 4);
        assert!((e[3].1 - 1.0).abs() < 1e-12);
        let s = steps(&edges, &shares);
        assert_eq!(s.first(), Some(&(0.0, 0.0)));
        assert_eq!(s.last(), Some(&(3.0, 0.0)));
        let other = ecdf(&edges, &[0.6, 0.3, 0.1]);
        let (gap, at) = largest_gap(&e, &other);
        assert!((gap - 0.4).abs() < 1e-12 && at == 1.0, "{gap} at {at}");
    }

    #[test]
    fn bars_are_measured_in_eighths() {
        assert_eq!(hbar(1.0, 1.0, 4), "████");
        assert_eq!(hbar(0.5, 1.0, 3), "█▌");
        assert_eq!(hbar(0.001, 1.0, 3), "▏");
        assert_eq!(hbar(0.0, 1.0, 3), "");
    }
}
