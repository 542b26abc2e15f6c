//! Drawing the Data screen: a pure function of its state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Gauge, List, ListItem, ListState, Paragraph,
    Row, Table, TableState, Wrap,
};

use super::{DataScreen, InputKind, Pane};
use crate::data::display::{cell_text, num, truncate};
use crate::data::human_bytes;
use crate::data::profile::ColumnProfile;
use crate::tui::theme::Theme;

const MAX_CELL: usize = 24;

impl DataScreen {
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let [info, main, bottom] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_info(f, info, theme);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(main);
        let left = match &self.checks {
            Some(c) => {
                let h = (c.len() as u16 + 2).min(left.height / 3).max(3);
                let [t, k] =
                    Layout::vertical([Constraint::Min(5), Constraint::Length(h)]).areas(left);
                self.render_checks(f, k, theme);
                t
            }
            None => left,
        };
        self.render_table(f, left, theme);
        let [cols, detail] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(right);
        self.render_columns(f, cols, theme);
        self.render_detail(f, detail, theme);
        self.render_bottom(f, bottom, theme);
    }

    fn block<'a>(&self, title: &'a str, pane: Pane, theme: &Theme) -> Block<'a> {
        let focused = self.focus == pane;
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" {title} "), theme.style("title")))
            .border_style(theme.style(if focused { "border.focus" } else { "border" }))
    }

    fn render_info(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines = Vec::new();
        let path = if self.path.is_some() {
            self.shown_path.clone()
        } else {
            "no file open".to_owned()
        };
        let mut first = vec![Span::styled(path, theme.style("header"))];
        if let Some(l) = &self.loaded {
            let (h, w) = l.frame.shape();
            let mut what = format!("  {} · {h} rows × {w} columns", l.format);
            if let Some(d) = &l.dialect {
                what.push_str(&format!(
                    " · {} · delimiter {:?}",
                    d.encoding.label(),
                    d.delimiter as char
                ));
            }
            if !l.complete {
                what.push_str(" · first rows only");
            }
            first.push(Span::styled(what, theme.style("text")));
        }
        lines.push(Line::from(first));
        let second = match &self.profile {
            Some(p) => Line::from(vec![
                Span::styled(
                    format!(
                        "{} in memory · {} duplicate rows · ",
                        human_bytes(p.memory_bytes),
                        p.duplicate_rows
                    ),
                    theme.style("dim"),
                ),
                Span::styled(truncate(&p.fingerprint, 30), theme.style("dim")),
            ]),
            None if self.path.is_none() => {
                Line::styled("no file open: press o to open one", theme.style("dim"))
            }
            None if self.loading() => Line::styled("profiling…", theme.style("dim")),
            None => Line::styled(
                "not profiled (cancelled): open the file again to profile it",
                theme.style("status.warn"),
            ),
        };
        lines.push(second);
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_table(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let title = match self.sort {
            Some((c, desc)) => format!(
                "Rows · sorted by {} {}",
                self.frame()
                    .map(|d| d.get_column_names()[c].to_string())
                    .unwrap_or_default(),
                if desc { "↓" } else { "↑" }
            ),
            None => "Rows".to_owned(),
        };
        let block = self.block(&title, Pane::Table, theme);
        let Some(df) = self.frame() else {
            f.render_widget(Paragraph::new("").block(block), area);
            return;
        };
        let inner_h = area.height.saturating_sub(3) as usize; // borders + header
        self.page.set(inner_h.max(1));
        // Keep the selected row in view.
        let mut offset = self.row_offset.get();
        if self.row < offset {
            offset = self.row;
        } else if self.row >= offset + inner_h {
            offset = self.row + 1 - inner_h;
        }
        self.row_offset.set(offset);
        let end = (offset + inner_h).min(df.height());
        // Columns: from one that keeps the selected column visible.
        let names = df.get_column_names();
        let widths: Vec<std::cell::OnceCell<u16>> = vec![std::cell::OnceCell::new(); df.width()];
        let width_of = |c: usize| -> u16 {
            *widths[c].get_or_init(|| {
                let head = names[c].chars().count();
                let body = (offset..end)
                    .map(|r| cell_text(df, c, r).chars().count())
                    .max()
                    .unwrap_or(0);
                head.max(body).clamp(3, MAX_CELL) as u16
            })
        };
        let row_no_w = (end.max(1)).to_string().len() as u16;
        let avail = area.width.saturating_sub(2 + row_no_w + 1);
        // The leftmost column: as far left as still shows the selected one.
        let mut first_col = self.col.min(df.width().saturating_sub(1));
        let mut used = if df.width() == 0 {
            0
        } else {
            width_of(first_col) + 1
        };
        while first_col > 0 && used + width_of(first_col - 1) < avail {
            first_col -= 1;
            used += width_of(first_col) + 1;
        }
        let mut visible = Vec::new();
        let mut used = 0u16;
        for c in first_col..df.width() {
            let w = width_of(c) + 1;
            if used + w > avail && !visible.is_empty() {
                break;
            }
            used += w;
            visible.push((c, w - 1));
        }
        let mut header = vec![Cell::from("#").style(theme.style("dim"))];
        header.extend(visible.iter().map(|(c, _)| {
            let style = if *c == self.col {
                theme.style("selection.column")
            } else {
                theme.style("header")
            };
            Cell::from(truncate(names[*c].as_str(), MAX_CELL))
                .style(theme.style("header").patch(style))
        }));
        let rows: Vec<Row> = (offset..end)
            .map(|r| {
                let mut cells = vec![Cell::from((r + 1).to_string()).style(theme.style("dim"))];
                cells.extend(visible.iter().map(|(c, _)| {
                    let text = truncate(&cell_text(df, *c, r), MAX_CELL);
                    let cell = Cell::from(text);
                    if *c == self.col {
                        cell.style(theme.style("selection.column"))
                    } else {
                        cell
                    }
                }));
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![Constraint::Length(row_no_w)];
        widths.extend(visible.iter().map(|(_, w)| Constraint::Length(*w)));
        let table = Table::new(rows, widths)
            .header(Row::new(header))
            .block(block)
            .style(theme.style("text"))
            .row_highlight_style(theme.style("selection"));
        let mut state = TableState::default().with_selected(Some(self.row - offset));
        f.render_stateful_widget(table, area, &mut state);
    }

    fn column_profile(&self) -> Option<&ColumnProfile> {
        let df = self.frame()?;
        let name = df.get_column_names().get(self.col)?.to_string();
        self.profile
            .as_ref()?
            .column_profiles
            .iter()
            .find(|c| c.name == name)
    }

    fn render_columns(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = self.block("Columns", Pane::Columns, theme);
        let Some(df) = self.frame() else {
            f.render_widget(Paragraph::new("").block(block), area);
            return;
        };
        let profiles = self.profile.as_ref().map(|p| &p.column_profiles);
        let items: Vec<ListItem> = df
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let ty = crate::data::LogicalType::of(c.dtype());
                let nulls = profiles
                    .and_then(|p| p.get(i))
                    .filter(|p| p.nulls > 0)
                    .map(|p| format!(" {:.1}% null", p.null_pct))
                    .unwrap_or_default();
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<12}", ty.name()), theme.style("dim")),
                    Span::raw(truncate(c.name().as_str(), 24)),
                    Span::styled(nulls, theme.style("status.warn")),
                ]))
            })
            .collect();
        let list = List::new(items)
            .block(block)
            .highlight_style(theme.style("selection"));
        let mut state = ListState::default().with_selected(Some(self.col));
        f.render_stateful_widget(list, area, &mut state);
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(" Profile ", theme.style("title")))
            .border_style(theme.style("border"));
        let Some(p) = self.column_profile() else {
            let msg = if self.loading() { "profiling…" } else { "" };
            f.render_widget(
                Paragraph::new(msg).style(theme.style("dim")).block(block),
                area,
            );
            return;
        };
        let inner = block.inner(area);
        f.render_widget(block, area);
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("{} ", p.name), theme.style("header")),
            Span::styled(
                format!("{} ({})", p.logical_type, p.dtype),
                theme.style("dim"),
            ),
        ])];
        lines.push(Line::raw(format!(
            "count {}  nulls {} ({:.1}%)  distinct {}",
            p.count, p.nulls, p.null_pct, p.distinct
        )));
        if let Some(n) = &p.numeric {
            let o = |v: Option<f64>| v.map(num).unwrap_or_else(|| "–".into());
            lines.push(Line::raw(format!(
                "min {}  max {}  mean {}  std {}",
                o(n.min),
                o(n.max),
                o(n.mean),
                o(n.std)
            )));
            let q: Vec<String> = n
                .quantiles
                .iter()
                .map(|(q, v)| format!("p{} {}", (q * 100.0).round(), num(*v)))
                .collect();
            lines.push(Line::raw(q.join("  ")));
            lines.push(Line::raw(format!("zeros {}  NaN {}", n.zeros, n.nan)));
        }
        if let Some(r) = &p.range {
            lines.push(Line::raw(format!("from {}  to {}", r.min, r.max)));
        }
        // Height of the text once wrapped to the pane's width. In a small
        // pane the chart matters more than the quantiles: keep it at least 5 rows.
        let w = inner.width.max(1) as usize;
        let height = |ls: &[Line]| {
            ls.iter()
                .map(|l| l.width().max(1).div_ceil(w))
                .sum::<usize>()
        };
        while lines.len() > 3 && height(&lines) + 5 > inner.height as usize {
            lines.pop();
        }
        let text_h = (height(&lines) as u16).min(inner.height);
        let [text, chart] =
            Layout::vertical([Constraint::Length(text_h), Constraint::Min(0)]).areas(inner);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .style(theme.style("text")),
            text,
        );
        if chart.height < 3 {
            return;
        }
        if let Some(h) = p.numeric.as_ref().and_then(|n| n.histogram.as_ref()) {
            // Merge bins pairwise when the pane is too narrow for 20 bars.
            let per = if chart.width as usize >= h.counts.len() * 2 {
                1
            } else {
                2
            };
            let bars: Vec<Bar> = h
                .counts
                .chunks(per)
                .map(|c| {
                    Bar::default()
                        .value(c.iter().sum())
                        .text_value(String::new())
                        .style(theme.series(0))
                })
                .collect();
            let bar_w =
                ((chart.width as usize / bars.len().max(1)).saturating_sub(1)).max(1) as u16;
            let title = Line::styled(
                format!(
                    "histogram {} … {}",
                    num(h.edges[0]),
                    num(h.edges[h.edges.len() - 1])
                ),
                theme.style("dim"),
            );
            let chart_w = BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_w)
                .bar_gap(1)
                .block(Block::default().title(title));
            f.render_widget(chart_w, chart);
        } else if let Some(top) = &p.top {
            let bars: Vec<Bar> = top
                .values
                .iter()
                .take(chart.height as usize)
                .map(|(v, c)| {
                    Bar::default()
                        .value(*c)
                        .label(Line::raw(truncate(v, 12)))
                        .style(theme.series(1))
                        .value_style(theme.style("dim"))
                })
                .collect();
            let chart_w = BarChart::default()
                .direction(ratatui::layout::Direction::Horizontal)
                .data(BarGroup::default().bars(&bars))
                .bar_width(1)
                .bar_gap(0);
            f.render_widget(chart_w, chart);
        }
    }

    fn render_checks(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(checks) = &self.checks else { return };
        let failed = checks.iter().filter(|c| !c.passed).count();
        let title = format!("Checks · {} passed, {failed} failed", checks.len() - failed);
        let items: Vec<ListItem> = checks
            .iter()
            .map(|c| {
                let (mark, role) = if c.passed {
                    ("PASS", "status.ok")
                } else {
                    ("FAIL", "status.error")
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{mark} "), theme.style(role)),
                    Span::raw(c.check.clone()),
                    Span::styled(
                        if c.detail.is_empty() {
                            String::new()
                        } else {
                            format!("  {}", c.detail)
                        },
                        theme.style("dim"),
                    ),
                ]))
            })
            .collect();
        let list = List::new(items)
            .block(self.block(&title, Pane::Checks, theme))
            .highlight_style(theme.style("selection"));
        let mut state =
            ListState::default().with_selected((self.focus == Pane::Checks).then_some(self.check));
        f.render_stateful_widget(list, area, &mut state);
    }

    fn render_bottom(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        if let Some((kind, text)) = &self.input {
            let label = match kind {
                InputKind::Search => "search: ".to_owned(),
                InputKind::Jump => "go to row: ".to_owned(),
                InputKind::Type => format!(
                    "type of '{}' (int float bool string categorical date datetime): ",
                    self.column_name(self.col).unwrap_or_default()
                ),
            };
            let line = Line::from(vec![
                Span::styled(label, theme.style("header")),
                Span::raw(format!("{text}▏")),
            ]);
            f.render_widget(Paragraph::new(line), area);
            return;
        }
        if let Some(j) = &self.job {
            let secs = j.started.elapsed().as_secs_f64();
            let label = format!("{} · {secs:.1}s", j.stage);
            let gauge = Gauge::default()
                .gauge_style(theme.style("gauge"))
                .ratio(j.fraction.unwrap_or(0.0).clamp(0.0, 1.0))
                .label(label);
            f.render_widget(gauge, area);
            return;
        }
        let role = if self.status.starts_with("error") || self.status.contains("failed") {
            "status.error"
        } else if self.status.starts_with("warning") {
            "status.warn"
        } else {
            "dim"
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                self.status.clone(),
                theme.style(role).patch(Style::default()),
            )),
            area,
        );
    }
}
