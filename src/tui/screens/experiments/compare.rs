//! Drawing a comparison: a tab line of sections, then the settings that
//! differ (or all), metrics with deltas and significance marks against the
//! base, per-fold scores, confusion matrices side by side, and ROC curves
//! (classification) or residuals (regression) as ratatui charts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph};

use super::render::Ctx;
use super::{CompareView, Section};
use crate::data::display::truncate;
use crate::experiments::significance::Mark;
use crate::train::Task;

/// Width of the first column (setting or metric names).
const NAME_W: usize = 24;

fn cell(s: &str, w: usize, right: bool) -> String {
    let s = truncate(s, w);
    if right {
        format!(" {s:>w$}")
    } else {
        format!(" {s:<w$}")
    }
}

impl CompareView {
    pub(super) fn render(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let [tabs, body, _bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        let mut spans = vec![Span::styled(
            format!(" Compare {} runs ", self.records.len()),
            t.style("title"),
        )];
        for s in Section::ALL {
            let role = if s == self.section {
                "tab.active"
            } else {
                "tab"
            };
            spans.push(Span::styled(format!(" {} ", s.name()), t.style(role)));
        }
        spans.push(Span::styled(
            format!("  base: {}", self.cmp.labels[self.cmp.base]),
            t.style("header"),
        ));
        f.render_widget(Paragraph::new(Line::from(spans)), tabs);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border.focus"))
            .title(Span::styled(
                match self.section {
                    Section::Settings if self.all => format!(
                        " All {} settings ({} differ) ",
                        self.cmp.fields.len(),
                        self.cmp.fields.iter().filter(|f| f.differs).count()
                    ),
                    Section::Settings => format!(
                        " Settings that differ ({} of {}) ",
                        self.cmp.fields.iter().filter(|f| f.differs).count(),
                        self.cmp.fields.len()
                    ),
                    Section::Metrics => format!(
                        " Metrics · Δ vs base · v better, * worse (α = {}, corrected resampled t-test) ",
                        self.cmp.alpha
                    ),
                    Section::Folds => " Per-fold scores (↑↓ metric) ".to_owned(),
                    Section::Confusion => " Confusion matrices (rows: true class) ".to_owned(),
                    Section::Curves => " Curves ".to_owned(),
                },
                t.style("title"),
            ));
        let inner = block.inner(body);
        f.render_widget(block, body);
        match self.section {
            Section::Settings => self.render_settings(f, inner, cx),
            Section::Metrics => self.render_metrics(f, inner, cx),
            Section::Folds => self.render_folds(f, inner, cx),
            Section::Confusion => self.render_confusion(f, inner, cx),
            Section::Curves => self.render_curves(f, inner, cx),
        }
    }

    fn run_w(&self, width: usize) -> usize {
        let n = self.records.len().max(1);
        (width.saturating_sub(NAME_W + 1) / n)
            .saturating_sub(1)
            .clamp(8, 30)
    }

    fn header(&self, first: &str, w: usize, cx: &Ctx) -> Line<'static> {
        let t = cx.theme;
        let mut spans = vec![Span::styled(cell(first, NAME_W, false), t.style("header"))];
        for (i, l) in self.cmp.labels.iter().enumerate() {
            let text = if i == self.cmp.base {
                format!("{l} (base)")
            } else {
                l.clone()
            };
            let style = if i == self.col {
                t.style("selection.column")
            } else {
                t.style("header")
            };
            spans.push(Span::styled(cell(&text, w, false), style));
        }
        Line::from(spans)
    }

    fn render_settings(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let w = self.run_w(area.width as usize);
        let mut lines = vec![self.header("setting", w, cx)];
        let rows: Vec<_> = self.cmp.visible_fields(self.all).collect();
        if rows.is_empty() {
            lines.push(Line::styled(
                " The runs have the same settings.",
                t.style("dim"),
            ));
        }
        let visible = (area.height as usize).saturating_sub(1);
        let scroll = self.scroll.min(rows.len().saturating_sub(visible));
        for fr in rows.iter().skip(scroll).take(visible) {
            let name_style = if fr.differs {
                t.style("text")
            } else {
                t.style("dim")
            };
            let mut spans = vec![Span::styled(
                cell(&format!("{}.{}", fr.group, fr.name), NAME_W, false),
                name_style,
            )];
            let base = &fr.values[self.cmp.base];
            for (i, v) in fr.values.iter().enumerate() {
                let style = if i != self.cmp.base && v != base {
                    t.style("status.warn")
                } else {
                    name_style
                };
                spans.push(Span::styled(cell(v, w, false), style));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_metrics(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let w = self.run_w(area.width as usize);
        let mut lines = vec![self.header("metric", w, cx)];
        let visible = (area.height as usize).saturating_sub(3);
        let scroll = self
            .scroll
            .min(self.cmp.metrics.len().saturating_sub(visible));
        for m in self.cmp.metrics.iter().skip(scroll).take(visible) {
            let arrow = if m.greater_is_better { "↑" } else { "↓" };
            let mut spans = vec![Span::styled(
                cell(&format!("{} {arrow}", m.name), NAME_W, false),
                t.style("text"),
            )];
            for i in 0..self.records.len() {
                let (text, style) = match (&m.values[i], m.deltas[i]) {
                    (Some(v), Some(d)) if i != self.cmp.base => (
                        format!("{:.4} {d:+.4} {}", v.mean, m.marks[i].symbol()),
                        match m.marks[i] {
                            Mark::Better => t.style("status.ok"),
                            Mark::Worse => t.style("status.error"),
                            _ => t.style("text"),
                        },
                    ),
                    (Some(v), _) => (format!("{:.4} ±{:.3}", v.mean, v.std), t.style("text")),
                    (None, _) => ("—".to_owned(), t.style("dim")),
                };
                spans.push(Span::styled(cell(&text, w, false), style));
            }
            lines.push(Line::from(spans));
        }
        let mut counts = vec![Span::styled(
            cell("(v/ /*)", NAME_W, false),
            t.style("header"),
        )];
        for (i, c) in self.cmp.counts.iter().enumerate() {
            let text = match c {
                Some((v, s, x)) => format!("({v}/{s}/{x})"),
                None if i == self.cmp.base => String::new(),
                None => "untested".to_owned(),
            };
            counts.push(Span::styled(cell(&text, w, false), t.style("header")));
        }
        lines.push(Line::from(counts));
        for note in &self.cmp.notes {
            lines.push(Line::styled(format!(" note: {note}"), t.style("dim")));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_folds(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let Some(m) = self.cmp.metrics.get(self.metric) else {
            f.render_widget(Paragraph::new(" No metrics to compare."), area);
            return;
        };
        let w = self.run_w(area.width as usize);
        let folds = m.fold_count();
        let table_h = (folds as u16 + 2).min(area.height / 2).max(3);
        let [table, chart] =
            Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
        let mut lines = vec![self.header(&format!("{} · fold", m.name), w, cx)];
        for k in 0..folds {
            let mut spans = vec![Span::styled(
                cell(&(k + 1).to_string(), NAME_W, false),
                t.style("text"),
            )];
            for v in &m.values {
                let text = v
                    .as_ref()
                    .and_then(|v| v.folds.get(k))
                    .map_or_else(|| "—".to_owned(), |x| format!("{x:.4}"));
                spans.push(Span::styled(cell(&text, w, false), t.style("text")));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), table);
        if chart.height < 5 || folds == 0 {
            return;
        }
        let series: Vec<Vec<(f64, f64)>> = m
            .values
            .iter()
            .map(|v| {
                v.as_ref()
                    .map(|v| {
                        v.folds
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.is_finite())
                            .map(|(k, x)| (k as f64 + 1.0, *x))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let (lo, hi) = bounds(series.iter().flatten().map(|p| p.1));
        let datasets: Vec<Dataset> = series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Dataset::default()
                    .name(self.cmp.labels[i].clone())
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(t.series(i))
                    .data(s)
            })
            .collect();
        let c = Chart::new(datasets)
            .x_axis(
                Axis::default()
                    .title("fold")
                    .bounds([1.0, folds.max(2) as f64])
                    .labels(["1".to_owned(), folds.to_string()]),
            )
            .y_axis(
                Axis::default()
                    .bounds([lo, hi])
                    .labels([format!("{lo:.3}"), format!("{hi:.3}")]),
            );
        f.render_widget(c, chart);
    }

    fn render_confusion(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let with: Vec<usize> = (0..self.records.len())
            .filter(|&i| self.records[i].confusion_matrix.is_some())
            .collect();
        if with.is_empty() {
            f.render_widget(
                Paragraph::new(" Confusion matrices are kept for classification runs.")
                    .style(t.style("dim")),
                area,
            );
            return;
        }
        let cols = Layout::horizontal(vec![Constraint::Fill(1); with.len()]).split(area);
        for (slot, &i) in cols.iter().zip(&with) {
            let r = &self.records[i];
            let Some(cm) = &r.confusion_matrix else {
                continue;
            };
            let cw = cm
                .iter()
                .flatten()
                .map(|v| v.to_string().len())
                .max()
                .unwrap_or(1)
                .max(
                    r.classes
                        .iter()
                        .map(|c| c.chars().count())
                        .max()
                        .unwrap_or(1)
                        .min(9),
                )
                .max(3);
            let name_w = r
                .classes
                .iter()
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(1)
                .min(10);
            let title_style = if i == self.cmp.base {
                t.style("header")
            } else {
                t.style("title")
            };
            let mut lines = vec![Line::styled(
                truncate(
                    &format!(
                        "{}{}",
                        self.cmp.labels[i],
                        if i == self.cmp.base { " (base)" } else { "" }
                    ),
                    slot.width as usize,
                ),
                title_style,
            )];
            let mut head = format!("{:name_w$}", "");
            for c in &r.classes {
                head.push_str(&format!(" {:>cw$}", truncate(c, cw)));
            }
            lines.push(Line::styled(head, t.style("dim")));
            for (k, row) in cm.iter().enumerate() {
                let mut spans = vec![Span::styled(
                    format!(
                        "{:name_w$}",
                        truncate(r.classes.get(k).map_or("", String::as_str), name_w)
                    ),
                    t.style("dim"),
                )];
                for (j, v) in row.iter().enumerate() {
                    let style = if j == k {
                        t.style("status.ok")
                    } else if *v > 0 {
                        t.style("status.warn")
                    } else {
                        t.style("text")
                    };
                    spans.push(Span::styled(format!(" {v:>cw$}"), style));
                }
                lines.push(Line::from(spans));
            }
            f.render_widget(Paragraph::new(lines), *slot);
        }
    }

    fn render_curves(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let task = self.records[self.cmp.base].task;
        let series: Vec<(String, Vec<(f64, f64)>)> = self
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let pts: Vec<(f64, f64)> = match task {
                    Task::Classification => {
                        let c = r.roc.as_ref()?;
                        c.x.iter().copied().zip(c.y.iter().copied()).collect()
                    }
                    Task::Regression => {
                        let c = r.residuals.as_ref()?;
                        c.predicted
                            .iter()
                            .copied()
                            .zip(c.residual.iter().copied())
                            .filter(|(x, y)| x.is_finite() && y.is_finite())
                            .collect()
                    }
                };
                Some((self.cmp.labels[i].clone(), pts))
            })
            .collect();
        if series.is_empty() {
            let msg = match task {
                Task::Classification => {
                    " ROC curves are kept for binary classifiers with probabilities."
                }
                Task::Regression => {
                    " Residuals are kept for regression runs trained by this lathe."
                }
            };
            f.render_widget(Paragraph::new(msg).style(t.style("dim")), area);
            return;
        }
        let datasets: Vec<Dataset> = series
            .iter()
            .enumerate()
            .map(|(i, (name, pts))| {
                Dataset::default()
                    .name(name.clone())
                    .marker(Marker::Braille)
                    .graph_type(match task {
                        Task::Classification => GraphType::Line,
                        Task::Regression => GraphType::Scatter,
                    })
                    .style(t.series(i))
                    .data(pts)
            })
            .collect();
        let chart = match task {
            Task::Classification => Chart::new(datasets)
                .x_axis(
                    Axis::default()
                        .title("false positive rate")
                        .bounds([0.0, 1.0])
                        .labels(["0", "0.5", "1"]),
                )
                .y_axis(
                    Axis::default()
                        .title("true positive rate")
                        .bounds([0.0, 1.0])
                        .labels(["0", "0.5", "1"]),
                ),
            Task::Regression => {
                let (x0, x1) = bounds(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
                let (y0, y1) = bounds(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
                Chart::new(datasets)
                    .x_axis(
                        Axis::default()
                            .title("predicted")
                            .bounds([x0, x1])
                            .labels([format!("{x0:.3}"), format!("{x1:.3}")]),
                    )
                    .y_axis(
                        Axis::default()
                            .title("residual")
                            .bounds([y0, y1])
                            .labels([format!("{y0:.3}"), format!("{y1:.3}")]),
                    )
            }
        };
        f.render_widget(chart, area);
    }
}

/// A range around the values with a small margin, never empty.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    crate::util::padded_range(values, 0.05, 1e-6)
}
