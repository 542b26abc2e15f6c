//! Drawing a run's explanation: the global table (mean |SHAP| bar,
//! permutation importance bar, and a one-line beeswarm per column: the
//! sampled rows' SHAP values binned along a shared axis, a cell's glyph by
//! how many rows fall in it and its colour by their feature values, low to
//! high), and the row view's waterfall (base, contributions largest first as
//! bars from the running total, output). Colours are the theme's series.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::explain::{ExplainView, Pane};
use super::render::Ctx;
use crate::data::display::truncate;
use crate::experiments::explain::{Global, Waterfall};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;

/// A bar of `frac` (0–1) of `w` cells, in eighths.
fn bar(frac: f64, w: usize) -> String {
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (frac.clamp(0.0, 1.0) * (w * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(PARTS[eighths % 8]);
    let n = s.chars().count();
    s + &" ".repeat(w.saturating_sub(n))
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "—".to_owned()
    } else if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.1e}")
    } else {
        format!("{x:.4}")
    }
}

/// The colour of a feature value's place, low (0) to high (1).
fn heat(theme: &Theme, pos: Option<f64>) -> Style {
    match pos {
        None => theme.style("dim"),
        Some(p) if p < 1.0 / 3.0 => theme.series(0),
        Some(p) if p < 2.0 / 3.0 => theme.series(4),
        Some(_) => theme.series(5),
    }
}

impl ExplainView {
    pub(super) fn render(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let title = format!(
            " Explain {} · {} ",
            self.algorithm,
            match self.pane {
                Pane::Global => "global",
                Pane::Row => "row",
            }
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border.focus"))
            .title(Span::styled(title, t.style("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let id = &self.run_id[..12.min(self.run_id.len())];
        let mut head = vec![Span::styled(format!("{id} "), t.style("header"))];
        if let Some((stage, secs)) = self.job_state() {
            head.push(Span::styled(
                format!(
                    "· computing: {stage} ({secs:.0} s; {} cancels)",
                    cx.key(Action::Cancel)
                ),
                t.style("status.warn"),
            ));
        }
        let [top, body] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(1),
            ratatui::layout::Constraint::Min(0),
        ])
        .areas(inner);
        match self.pane {
            Pane::Global => match &self.global {
                Some(g) => {
                    head.push(Span::styled(
                        format!(
                            "· {} · {} of {} · {}/{} rows",
                            g.method.label(),
                            g.output.label(),
                            g.output_name,
                            g.rows.len(),
                            g.total_rows
                        ),
                        t.style("dim"),
                    ));
                    self.render_global(f, body, cx, g);
                }
                None => self.waiting(f, body, cx),
            },
            Pane::Row => match &self.waterfall {
                Some(w) => {
                    head.push(Span::styled(
                        format!(
                            "· row {}/{} · {} · {} of {}",
                            w.row + 1,
                            self.rows(),
                            w.method.label(),
                            w.output.label(),
                            w.output_name
                        ),
                        t.style("dim"),
                    ));
                    self.render_row(f, body, cx, w);
                }
                None => self.waiting(f, body, cx),
            },
        }
        f.render_widget(Paragraph::new(Line::from(head)), top);
    }

    fn waiting(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let msg = if self.busy() {
            "computing the SHAP values off the UI thread…"
        } else {
            "nothing to show"
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(cx.theme.style("dim"))
                .wrap(Wrap { trim: true }),
            area,
        );
    }

    fn render_global(&self, f: &mut Frame, area: Rect, cx: &Ctx, g: &Global) {
        let t = cx.theme;
        let width = area.width as usize;
        let name_w = 16.min(width / 5);
        let shap_w = 8;
        let perm_w = 6;
        let num_w = 7;
        let fixed = name_w + 1 + (shap_w + num_w + 2) + (perm_w + num_w + 2);
        let swarm_w = width.saturating_sub(fixed + 1).max(8);
        let order = g.order();
        let max_shap = g.mean_abs.iter().copied().fold(0.0_f64, f64::max);
        let perm = |name: &str| {
            self.importance
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
        };
        let max_perm = self
            .importance
            .iter()
            .map(|(_, v)| *v)
            .fold(0.0_f64, f64::max);
        // One axis for every column, symmetric around 0.
        let span = g
            .values
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |m, v| m.max(v.abs()))
            .max(1e-12);
        let mut lines = vec![Line::from(vec![Span::styled(
            format!(
                "{:<name_w$} {:<w1$} {:<w2$} {}",
                "column",
                "mean |SHAP|",
                "permutation",
                truncate(&format!("SHAP per row ±{span:.2}"), swarm_w),
                w1 = shap_w + num_w + 1,
                w2 = perm_w + num_w + 1,
            ),
            t.style("header"),
        )])];
        let visible = (area.height as usize).saturating_sub(3).max(1);
        self.page.set(visible);
        let start = self.scroll.min(order.len().saturating_sub(visible));
        for &j in order.iter().skip(start).take(visible) {
            let name = &g.columns[j];
            let shap = g.mean_abs[j];
            let p = perm(name);
            let mut spans = vec![
                Span::styled(
                    format!("{:<name_w$} ", truncate(name, name_w)),
                    t.style("text"),
                ),
                Span::styled(
                    bar(if max_shap > 0.0 { shap / max_shap } else { 0.0 }, shap_w),
                    t.series(0),
                ),
                Span::styled(format!("{:>num_w$}  ", num(shap)), t.style("text")),
                Span::styled(
                    bar(
                        match p {
                            Some(v) if max_perm > 0.0 => v.max(0.0) / max_perm,
                            _ => 0.0,
                        },
                        perm_w,
                    ),
                    t.series(1),
                ),
                Span::styled(
                    format!("{:>num_w$}  ", p.map_or("—".to_owned(), num)),
                    t.style("text"),
                ),
            ];
            spans.extend(swarm(t, &g.values[j], &g.position[j], span, swarm_w));
            lines.push(Line::from(spans));
        }
        let mut foot = vec![
            Span::styled("feature value: ", t.style("dim")),
            Span::styled("● low ", t.series(0)),
            Span::styled("● mid ", t.series(4)),
            Span::styled("● high ", t.series(5)),
            Span::styled("· missing", t.style("dim")),
        ];
        if order.len() > visible {
            foot.push(Span::styled(
                format!(
                    "  · ↑↓ scroll ({}–{} of {})",
                    start + 1,
                    (start + visible).min(order.len()),
                    order.len()
                ),
                t.style("dim"),
            ));
        }
        lines.push(Line::from(foot));
        if let Some(n) = g.notes.first() {
            lines.push(Line::from(Span::styled(
                format!("note: {n}"),
                t.style("status.warn"),
            )));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_row(&self, f: &mut Frame, area: Rect, cx: &Ctx, w: &Waterfall) {
        let t = cx.theme;
        let width = area.width as usize;
        let label_w = 28.min(width / 3);
        let num_w = 18;
        let bar_w = width.saturating_sub(label_w + num_w + 2).max(8);
        // The axis holds the running total from base to output.
        let mut lo = w.base.min(w.raw);
        let mut hi = w.base.max(w.raw);
        let mut at = w.base;
        for s in &w.steps {
            at += s.shap;
            lo = lo.min(at);
            hi = hi.max(at);
        }
        let range = (hi - lo).max(1e-12);
        let cell = |x: f64| (((x - lo) / range) * (bar_w - 1) as f64).round() as usize;
        let segment = |from: f64, to: f64| -> String {
            let (a, b) = (cell(from.min(to)), cell(from.max(to)));
            let mut s = " ".repeat(a);
            s.push_str(&"█".repeat((b - a).max(1)));
            s + &" ".repeat(bar_w.saturating_sub(b.max(a + 1)))
        };
        let mark = |x: f64| -> String {
            let a = cell(x).min(bar_w - 1);
            format!("{}│{}", " ".repeat(a), " ".repeat(bar_w - 1 - a))
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("{:<label_w$} ", "base value"), t.style("header")),
            Span::styled(mark(w.base), t.style("dim")),
            Span::styled(format!(" {:>num_w$}", num(w.base)), t.style("text")),
        ])];
        let visible = (area.height as usize)
            .saturating_sub(3 + usize::from(!w.notes.is_empty()))
            .max(1);
        self.page.set(visible);
        let start = self.scroll.min(w.steps.len().saturating_sub(visible));
        let mut at = w.base;
        for s in w.steps.iter().take(start) {
            at += s.shap;
        }
        for s in w.steps.iter().skip(start).take(visible) {
            let style = if s.shap >= 0.0 {
                t.series(5)
            } else {
                t.series(0)
            };
            let value = match s.std_error {
                Some(se) => format!("{:+.4} ± {:.4}", s.shap, se),
                None => format!("{:+.4}", s.shap),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "{:<label_w$} ",
                        truncate(&format!("{} = {}", s.column, s.value), label_w)
                    ),
                    t.style("text"),
                ),
                Span::styled(segment(at, at + s.shap), style),
                Span::styled(format!(" {value:>num_w$}"), t.style("text")),
            ]));
            at += s.shap;
        }
        let hidden = w.steps.len().saturating_sub(start + visible);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<label_w$} ", "output"), t.style("header")),
            Span::styled(mark(w.raw), t.style("dim")),
            Span::styled(format!(" {:>num_w$}", num(w.raw)), t.style("title")),
        ]));
        lines.push(Line::from(Span::styled(
            format!(
                "{}largest |SHAP| first · {}",
                if hidden > 0 || start > 0 {
                    format!("{} more (PgDn/PgUp) · ", hidden + start)
                } else {
                    String::new()
                },
                match (
                    w.method.is_exact(),
                    w.steps.iter().any(|s| s.std_error.is_some())
                ) {
                    (true, _) => "base + Σ = output (exact)",
                    (false, true) => "sampling estimate ± standard error",
                    (false, false) => "sampling estimate",
                }
            ),
            t.style("dim"),
        )));
        if let Some(n) = w.notes.first() {
            lines.push(Line::from(Span::styled(
                format!("note: {n}"),
                t.style("status.warn"),
            )));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}

/// One column's beeswarm line: rows binned on `[−span, span]` into `w` cells.
fn swarm(
    theme: &Theme,
    values: &[f64],
    pos: &[Option<f64>],
    span: f64,
    w: usize,
) -> Vec<Span<'static>> {
    let mut count = vec![0usize; w];
    let mut heat_sum = vec![0.0f64; w];
    let mut heat_n = vec![0usize; w];
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let c = (((v + span) / (2.0 * span)) * (w - 1) as f64).round() as usize;
        let c = c.min(w - 1);
        count[c] += 1;
        if let Some(Some(p)) = pos.get(i) {
            heat_sum[c] += p;
            heat_n[c] += 1;
        }
    }
    let zero = (w - 1) / 2;
    let most = count.iter().copied().max().unwrap_or(0).max(1);
    (0..w)
        .map(|c| {
            let n = count[c];
            if n == 0 {
                let g = if c == zero { "┊" } else { " " };
                return Span::styled(g, theme.style("border"));
            }
            let share = n as f64 / most as f64;
            let glyph = if share > 0.5 {
                "●"
            } else if share > 0.15 {
                "•"
            } else {
                "·"
            };
            let p = (heat_n[c] > 0).then(|| heat_sum[c] / heat_n[c] as f64);
            Span::styled(glyph, heat(theme, p))
        })
        .collect()
}
