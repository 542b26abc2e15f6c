//! Drawing a study: the job grid (one row per configuration, a cell per
//! fold) and the leaderboard, best first, the best value of each column in
//! the theme's accent.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::board::{self, FoldState, Phase, Refit, Study};
use super::render::Ctx;
use super::{Pane, TrainScreen};
use crate::data::display::truncate;
use crate::train::metrics::greater_is_better;

/// Width of a metric cell: `0.9543`, `-0.123`, `1234.5`.
const CELL_W: usize = 6;

impl TrainScreen {
    pub(super) fn render_board(&self, f: &mut Frame, area: Rect, study: &Study, cx: &Ctx) {
        let t = cx.theme;
        let metric = &study.plan.metric;
        let arrow = if greater_is_better(metric) {
            "↑"
        } else {
            "↓"
        };
        let block = self.block(
            format!("Leaderboard · {metric} {arrow} · mean over the folds"),
            Some(Pane::Board),
            cx,
        );
        let inner = block.inner(area);
        f.render_widget(block, area);
        let cols = board::columns(study.plan.task, metric);
        let widths: Vec<usize> = cols
            .iter()
            .map(|(h, m)| {
                if *m == "tt" {
                    4
                } else {
                    h.chars().count().max(CELL_W)
                }
            })
            .collect();
        // "#", then each column with a space before it.
        let fixed: usize = 2 + widths.iter().map(|w| w + 1).sum::<usize>();
        let width = inner.width as usize;
        let alg_w = width.saturating_sub(fixed + 1).clamp(8, 20);
        let rest = width.saturating_sub(fixed + alg_w + 1);
        // Hyperparameters when there is room; wide screens keep the numbers near the names.
        let params_w = if rest >= 10 { (rest - 1).min(40) } else { 0 };
        let pad = |s: &str, w: usize, right: bool| {
            let s = truncate(s, w);
            if right {
                format!(" {s:>w$}")
            } else {
                format!(" {s:<w$}")
            }
        };
        let num = |i: usize| format!("{:>2}", truncate(&i.to_string(), 2));
        let mut header = vec![
            Span::styled(" #", t.style("header")),
            Span::styled(pad("Algorithm", alg_w, false), t.style("header")),
        ];
        if params_w > 0 {
            header.push(Span::styled(
                pad("Params", params_w, false),
                t.style("header"),
            ));
        }
        for ((h, _), w) in cols.iter().zip(&widths) {
            header.push(Span::styled(pad(h, *w, true), t.style("header")));
        }
        let mut lines = vec![Line::from(header)];
        let ranking = study.ranking();
        let visible = (inner.height as usize).saturating_sub(1).max(1);
        let offset = self.board_row.saturating_sub(visible - 1);
        let best: Vec<Option<f64>> = cols.iter().map(|(_, m)| study.best(m)).collect();
        for (pos, &i) in ranking.iter().enumerate().skip(offset).take(visible) {
            let c = &study.configs[i];
            let failure = c.failure();
            let base = if failure.is_some() {
                t.style("dim")
            } else {
                t.style("text")
            };
            let model = c.record.as_ref().is_some_and(|r| r.has_model);
            let name = format!("{}{}", c.algorithm, if model { " *" } else { "" });
            let mut spans = vec![
                Span::styled(num(i + 1), t.style("dim")),
                Span::styled(pad(&name, alg_w, false), base),
            ];
            if params_w > 0 {
                let p = if c.params.is_empty() {
                    "defaults"
                } else {
                    &c.params
                };
                spans.push(Span::styled(pad(p, params_w, false), t.style("dim")));
            }
            if let Some(why) = failure {
                let w: usize = widths.iter().map(|w| w + 1).sum();
                let why = truncate(&why, w.saturating_sub(1));
                spans.push(Span::styled(format!(" {why}"), t.style("dim")));
            } else {
                for (((_, m), w), best) in cols.iter().zip(&widths).zip(&best) {
                    let (text, style) = match &c.record {
                        Some(r) => match board::column_value(r, m).filter(|v| !v.is_nan()) {
                            Some(v) if *m == "tt" => (seconds_text(v), cell_style(v, *best, cx)),
                            Some(v) => (metric_text(v), cell_style(v, *best, cx)),
                            None => ("—".to_owned(), t.style("dim")),
                        },
                        // Still running: the optimised metric over the folds so far.
                        None if m == metric => (
                            c.score(metric).map_or_else(|| "…".to_owned(), metric_text),
                            t.style("dim"),
                        ),
                        None => ("…".to_owned(), t.style("dim")),
                    };
                    spans.push(Span::styled(pad(&text, *w, true), style));
                }
            }
            let mut line = Line::from(spans);
            if pos == self.board_row && self.focus == Pane::Board {
                line = line.style(t.style("selection"));
            }
            lines.push(line);
        }
        if ranking.is_empty() {
            lines.push(Line::styled(
                "the first results appear as folds finish",
                t.style("dim"),
            ));
        } else if lines.len() < inner.height as usize
            && study.configs.iter().any(|c| c.refit == Refit::Done)
        {
            lines.push(Line::styled(
                "* refitted on all training rows; model stored · TT: fit seconds",
                t.style("dim"),
            ));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// One row per configuration: its folds as ▢ pending, ▶ running, ✓ done,
/// ✗ failed, · not run; then the algorithm and its hyperparameters.
pub(super) fn render_jobs(f: &mut Frame, area: Rect, study: &Study, cx: &Ctx) {
    let t = cx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(
            format!(
                " Jobs · {} × {} folds · {} threads ",
                study.configs.len(),
                study.plan.folds,
                study.plan.threads
            ),
            t.style("title"),
        ))
        .border_style(t.style("border"));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let visible = (inner.height as usize).max(1);
    // Keep the first configuration still at work in view.
    let first_open = study
        .configs
        .iter()
        .position(|c| {
            c.refit == Refit::Running
                || c.folds
                    .iter()
                    .any(|s| matches!(s, FoldState::Pending | FoldState::Running))
        })
        .unwrap_or(0);
    let offset = first_open.min(study.configs.len().saturating_sub(visible));
    let lines: Vec<Line> = study
        .configs
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, c)| {
            let mut spans = vec![Span::styled(format!("{:>2} ", i + 1), t.style("dim"))];
            for s in &c.folds {
                let (glyph, role) = match s {
                    FoldState::Pending => ("▢", "dim"),
                    FoldState::Running => ("▶", "title"),
                    FoldState::Done(_) => ("✓", "status.ok"),
                    FoldState::Failed(_) => ("✗", "status.error"),
                    FoldState::Skipped(_) => ("·", "dim"),
                };
                spans.push(Span::styled(glyph, t.style(role)));
            }
            let failed = c.failure().is_some();
            spans.push(Span::styled(
                format!(" {}", c.algorithm),
                t.style(if failed { "dim" } else { "text" }),
            ));
            if !c.params.is_empty() {
                spans.push(Span::styled(format!(" {}", c.params), t.style("dim")));
            }
            match c.refit {
                Refit::Running => spans.push(Span::styled(" refitting…", t.style("title"))),
                Refit::Done => spans.push(Span::styled(" *", t.style("status.ok"))),
                Refit::No => {}
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

pub(super) fn progress_label(s: &Study, stopping: bool) -> String {
    let clock = |d: Duration| {
        let secs = d.as_secs();
        format!("{}:{:02}", secs / 60, secs % 60)
    };
    let mut label = match s.phase {
        Phase::Refitting => "refitting the best of each algorithm on all training rows".to_owned(),
        _ => format!("{}/{} jobs", s.done, s.total),
    };
    label.push_str(&format!(" · {}", clock(s.elapsed())));
    if let Some(eta) = s.eta().filter(|_| s.phase == Phase::Running) {
        label.push_str(&format!(" · ETA {}", clock(eta)));
    }
    if s.failed > 0 {
        label.push_str(&format!(" · {} failed", s.failed));
    }
    if stopping {
        label = format!("stopping: {label}");
    }
    label
}

fn cell_style(v: f64, best: Option<f64>, cx: &Ctx) -> Style {
    if best.is_some_and(|b| b == v) {
        cx.theme.style("title")
    } else {
        cx.theme.style("text")
    }
}

/// Seconds in at most four characters.
fn seconds_text(v: f64) -> String {
    match v {
        v if v < 10.0 => format!("{v:.2}"),
        v if v < 100.0 => format!("{v:.1}"),
        v if v < 10_000.0 => format!("{v:.0}"),
        _ => "many".to_owned(),
    }
}

/// A metric in at most six characters.
fn metric_text(v: f64) -> String {
    let a = v.abs();
    let decimals: usize = match a {
        a if a < 10.0 => 4,
        a if a < 100.0 => 3,
        a if a < 1_000.0 => 2,
        a if a < 10_000.0 => 1,
        _ => 0,
    };
    let s = format!("{v:.*}", decimals.saturating_sub(usize::from(v < 0.0)));
    if s.chars().count() > CELL_W {
        format!("{v:.0e}")
    } else {
        s
    }
}
