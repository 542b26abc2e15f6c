//! Drawing the leaderboard and the selected run's detail: a pure function of
//! the screen's state. Metric columns scroll sideways to keep the cursor's
//! column in view; key names come from the keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Column, ExperimentsScreen};
use crate::data::display::truncate;
use crate::experiments::leaderboard::{Row, RowStatus, SortKey, age_text, metric_header};
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Theme;

/// Width of a metric cell: `0.9543`.
const METRIC_W: usize = 8;
const ID_W: usize = 12;

pub(super) struct Ctx<'a> {
    pub theme: &'a Theme,
    pub keys: &'a Keymap,
}

impl Ctx<'_> {
    pub fn key(&self, a: Action) -> String {
        self.keys.first(a).unwrap_or_else(|| "?".into())
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn cell(s: &str, w: usize, right: bool) -> String {
    let s = truncate(s, w);
    if right {
        format!(" {s:>w$}")
    } else {
        format!(" {s:<w$}")
    }
}

impl ExperimentsScreen {
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keys: &Keymap) {
        let cx = Ctx { theme, keys };
        if let Some(v) = &self.explain {
            let h = area.height.saturating_sub(1);
            v.render(f, Rect::new(area.x, area.y, area.width, h), &cx);
            self.render_bottom(
                f,
                Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1),
                &cx,
            );
            return;
        }
        if let Some(v) = &self.pipeline {
            let h = area.height.saturating_sub(1);
            v.render(f, Rect::new(area.x, area.y, area.width, h), &cx);
            self.render_bottom(
                f,
                Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1),
                &cx,
            );
            return;
        }
        if let Some(v) = &self.compare {
            v.render(f, area, &cx);
            self.render_bottom(
                f,
                Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1),
                &cx,
            );
            return;
        }
        let detail_h = if area.height >= 20 { 5 } else { 3 };
        let [info, table, detail, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(4),
            Constraint::Length(detail_h),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_info(f, info, &cx);
        self.render_table(f, table, &cx);
        self.render_detail(f, detail, &cx);
        self.render_bottom(f, bottom, &cx);
    }

    fn render_info(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let mut spans = vec![Span::styled(
            format!(
                " {} runs · {} shown",
                self.board.rows.len(),
                self.view.len()
            ),
            t.style("title"),
        )];
        spans.push(Span::styled(
            format!(
                " · sort {} {}",
                self.sort.label(),
                if self.descending { "↓" } else { "↑" }
            ),
            t.style("dim"),
        ));
        if !self.filter.is_empty() {
            spans.push(Span::styled(
                format!(" · filter: {}", self.filter.to_query()),
                t.style("status.warn"),
            ));
        }
        if !self.marked.is_empty() {
            spans.push(Span::styled(
                format!(" · {} marked", self.marked.len()),
                t.style("header"),
            ));
        }
        if self.damaged > 0 {
            spans.push(Span::styled(
                format!(" · {} damaged", self.damaged),
                t.style("status.error"),
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_table(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border.focus"))
            .title(Span::styled(" Leaderboard ", t.style("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        if self.board.rows.is_empty() {
            let msg = format!(
                "No runs yet. Train some on the Train screen ({}) or with `lathe train`; they appear here.",
                cx.key(Action::Screen(3))
            );
            f.render_widget(
                Paragraph::new(msg)
                    .style(t.style("dim"))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let width = inner.width as usize;
        // Fixed columns: mark, id, algorithm, fit, status, age; then metrics; aliases/tags last.
        let alg_w = 18.min(width / 5).max(10);
        // Below 100 columns the fit time goes and the status shrinks to a sign
        // (the detail pane spells it out), leaving the room to the metrics.
        let narrow = width < 100;
        let (fit_w, status_w) = if narrow { (0, 1) } else { (6, 9) };
        let fixed =
            2 + (ID_W + 1) + (alg_w + 1) + if narrow { 0 } else { fit_w + 1 } + (status_w + 1) + 5;
        // Keep room for aliases and tags when any run has them.
        let wants_tail = self.view.iter().any(|&i| {
            !self.board.rows[i].aliases.is_empty() || !self.board.rows[i].tags.is_empty()
        });
        let room = width.saturating_sub(fixed + if wants_tail { 18 } else { 0 });
        let n_metrics = self.board.metrics.len();
        let fit_metrics = (room / (METRIC_W + 1)).min(n_metrics).max(1.min(n_metrics));
        // Scroll the metric window so the cursor's metric column is in view.
        let cursor_metric = match self.columns().get(self.col) {
            Some(Column::Metric(i)) => Some(*i),
            _ => None,
        };
        let first = cursor_metric
            .map(|i| i.saturating_sub(fit_metrics.saturating_sub(1)))
            .unwrap_or(0)
            .min(n_metrics.saturating_sub(fit_metrics));
        let shown: Vec<usize> = (first..(first + fit_metrics).min(n_metrics)).collect();
        let tail_w = width
            .saturating_sub(fixed + shown.len() * (METRIC_W + 1))
            .saturating_sub(1);
        let columns = self.columns();
        let cursor = columns.get(self.col);
        let sorted_mark = |c: &Column| -> &str {
            let key_matches = matches!(
                (c, &self.sort),
                (Column::Age, SortKey::Started)
                    | (Column::Algorithm, SortKey::Algorithm)
                    | (Column::Fit, SortKey::FitTime)
                    | (Column::Status, SortKey::Status)
            ) || matches!((c, &self.sort), (Column::Metric(i), SortKey::Metric(m)) if &self.board.metrics[*i] == m);
            match (key_matches, self.descending) {
                (true, true) => "↓",
                (true, false) => "↑",
                _ => "",
            }
        };
        let head_style = |c: &Column| {
            if Some(c) == cursor {
                t.style("selection.column")
            } else {
                t.style("header")
            }
        };
        let mut header = vec![
            Span::styled("  ", t.style("header")),
            Span::styled(cell("Run", ID_W, false), t.style("header")),
            Span::styled(
                cell(
                    &format!("Algorithm{}", sorted_mark(&Column::Algorithm)),
                    alg_w,
                    false,
                ),
                head_style(&Column::Algorithm),
            ),
        ];
        for &i in &shown {
            let c = Column::Metric(i);
            header.push(Span::styled(
                cell(
                    &format!(
                        "{}{}",
                        metric_header(&self.board.metrics[i]),
                        sorted_mark(&c)
                    ),
                    METRIC_W,
                    true,
                ),
                head_style(&c),
            ));
        }
        if !narrow {
            header.push(Span::styled(
                cell(&format!("Fit s{}", sorted_mark(&Column::Fit)), fit_w, true),
                head_style(&Column::Fit),
            ));
        }
        let status_head = if narrow {
            sorted_mark(&Column::Status).to_owned()
        } else {
            format!("Status{}", sorted_mark(&Column::Status))
        };
        header.push(Span::styled(
            cell(&status_head, status_w, false),
            head_style(&Column::Status),
        ));
        header.push(Span::styled(
            cell(&format!("Age{}", sorted_mark(&Column::Age)), 4, true),
            head_style(&Column::Age),
        ));
        if tail_w >= 6 {
            header.push(Span::styled(
                cell("Alias · tags", tail_w, false),
                t.style("header"),
            ));
        }
        let mut lines = vec![Line::from(header)];
        let visible = (inner.height as usize).saturating_sub(1).max(1);
        self.page.set(visible);
        let mut offset = self.offset.get();
        if self.row < offset {
            offset = self.row;
        } else if self.row >= offset + visible {
            offset = self.row + 1 - visible;
        }
        self.offset.set(offset);
        let best = self.board.best(&self.view);
        let now = now_s();
        for (pos, &i) in self.view.iter().enumerate().skip(offset).take(visible) {
            let r = &self.board.rows[i];
            let selected = pos == self.row;
            let dim = r.status != RowStatus::Finished || r.archived;
            let base = if selected {
                t.style("selection")
            } else if dim {
                t.style("dim")
            } else {
                t.style("text")
            };
            let marked = self.marked.contains(&r.run_id);
            let mut spans = vec![
                Span::styled(
                    if marked { "● " } else { "  " },
                    base.patch(t.style("header")),
                ),
                Span::styled(cell(r.short_id(), ID_W, false), base),
                Span::styled(cell(&algorithm_label(r), alg_w, false), base),
            ];
            for &c in &shown {
                let text = match r.metrics[c] {
                    Some(m) if m.mean.is_finite() => format!("{:.4}", m.mean),
                    _ => "—".to_owned(),
                };
                let style = if best[c] == Some(i) && !selected {
                    t.style("status.ok").add_modifier(Modifier::BOLD)
                } else {
                    base
                };
                spans.push(Span::styled(cell(&text, METRIC_W, true), style));
            }
            if !narrow {
                spans.push(Span::styled(
                    cell(
                        &r.fit_s.map(|s| format!("{s:.2}")).unwrap_or_default(),
                        fit_w,
                        true,
                    ),
                    base,
                ));
            }
            let status_style = match r.status {
                RowStatus::Failed | RowStatus::Damaged if !selected => t.style("status.error"),
                RowStatus::Cancelled if !selected => t.style("status.warn"),
                _ => base,
            };
            let status = match (narrow, r.archived, r.status) {
                (false, true, _) => "archived",
                (false, false, s) => s.name(),
                (true, true, _) => "a",
                (true, false, RowStatus::Finished) => "✓",
                (true, false, RowStatus::Failed) => "✗",
                (true, false, RowStatus::Cancelled) => "–",
                (true, false, RowStatus::Damaged) => "!",
            };
            spans.push(Span::styled(cell(status, status_w, false), status_style));
            spans.push(Span::styled(
                cell(&r.age_s(now).map(age_text).unwrap_or_default(), 4, true),
                base,
            ));
            if tail_w >= 6 {
                let mut tail: Vec<String> = r.aliases.iter().map(|a| format!("@{a}")).collect();
                tail.extend(r.tags.iter().map(|t| format!("#{t}")));
                if let Some(why) = &r.reason
                    && tail.is_empty()
                {
                    tail.push(why.clone());
                }
                spans.push(Span::styled(cell(&tail.join(" "), tail_w, false), base));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.style("border"));
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some((kind, text)) = &self.input {
            let line = Line::from(vec![
                Span::styled(format!("{}: ", kind.prompt()), t.style("header")),
                Span::raw(text.clone()),
                Span::styled("▏", t.style("title")),
            ]);
            f.render_widget(Paragraph::new(line), inner);
            return;
        }
        let Some(r) = self.selected() else {
            return;
        };
        let label = |s: &str| Span::styled(format!("{s} "), t.style("dim"));
        let mut lines = vec![Line::from(vec![
            Span::styled(r.run_id.clone(), t.style("title")),
            Span::raw(format!(
                "  {}{}",
                r.name
                    .as_deref()
                    .map(|n| format!("{n} · "))
                    .unwrap_or_default(),
                r.algorithm
            )),
            Span::styled(
                if r.params.is_empty() {
                    "  defaults".to_owned()
                } else {
                    format!("  {}", r.params)
                },
                t.style("dim"),
            ),
            Span::raw(format!(
                "  · {}{}{}",
                r.status.name(),
                if r.archived { ", archived" } else { "" },
                if r.has_model { " · model stored" } else { "" },
            )),
        ])];
        if let Some(why) = &r.reason {
            lines.push(Line::from(vec![
                label(r.status.name()),
                Span::styled(why.clone(), t.style("status.error")),
            ]));
        }
        lines.push(Line::from(vec![
            label("aliases"),
            Span::raw(if r.aliases.is_empty() {
                "—".to_owned()
            } else {
                r.aliases.join(" ")
            }),
            label("  tags"),
            Span::raw(if r.tags.is_empty() {
                "—".to_owned()
            } else {
                r.tags.join(" ")
            }),
            label("  data"),
            Span::raw(truncate(&r.data_fingerprint, 23)),
        ]));
        if let Some(n) = &r.note {
            lines.push(Line::from(vec![label("note"), Span::raw(n.clone())]));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    }

    pub(super) fn render_bottom(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let text = if let Some(input) = self.explain.as_ref().and_then(|v| v.input.as_ref()) {
            Span::styled(format!(" row number: {input}▏"), t.style("header"))
        } else if !self.status.is_empty() {
            Span::styled(format!(" {}", self.status), t.style("status.ok"))
        } else if let Some(v) = &self.explain {
            Span::styled(
                format!(
                    " {} global/row · ↑↓ {} · {} row number · {} back",
                    cx.key(Action::FocusNext),
                    if v.pane == super::ExplainPane::Row {
                        "row"
                    } else {
                        "scroll"
                    },
                    cx.key(Action::Jump),
                    cx.key(Action::Close)
                ),
                t.style("dim"),
            )
        } else if self.pipeline.is_some() {
            Span::styled(super::PipelineView::bottom(cx), t.style("dim"))
        } else if self.compare.is_some() {
            Span::styled(
                format!(
                    " {} section · ←→ run · {} make base · {} all settings · {} back",
                    cx.key(Action::FocusNext),
                    cx.key(Action::Reference),
                    cx.key(Action::ShowAll),
                    cx.key(Action::Close)
                ),
                t.style("dim"),
            )
        } else {
            Span::styled(
                format!(
                    " {} mark · {} compare · {} explain · {} pipeline runs · ←→ column, {} sort · {} filter · {} tag {} note {} alias {} archive {} delete {} undo · {} export",
                    cx.key(Action::Toggle),
                    cx.key(Action::Edit),
                    cx.key(Action::Explain),
                    cx.key(Action::Pipeline),
                    cx.key(Action::Sort),
                    cx.key(Action::Search),
                    cx.key(Action::Tag),
                    cx.key(Action::Note),
                    cx.key(Action::Alias),
                    cx.key(Action::Archive),
                    cx.key(Action::Delete),
                    cx.key(Action::Undo),
                    cx.key(Action::Export),
                ),
                t.style("dim"),
            )
        };
        f.render_widget(
            Paragraph::new(Line::from(text)).style(Style::default()),
            area,
        );
    }
}

fn algorithm_label(r: &Row) -> String {
    match &r.name {
        Some(n) => n.clone(),
        None => r.algorithm.clone(),
    }
}
