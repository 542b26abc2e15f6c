//! Drawing the Drift screen: a pure function of its state. Wide terminals
//! show the column table and the selected column's charts side by side;
//! narrow ones show the table, and the charts full size on Enter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Table, TableState, Wrap};

use super::charts::{self, minis};
use super::{CHARTS_DIR, DriftScreen, JobKind, Outcome, REPORT_FILE};
use crate::drift::stats::ColumnKind;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Theme;

/// From this width on, the charts sit beside the table.
pub(super) const WIDE: u16 = 120;

/// Everything a draw needs besides the screen.
pub(super) struct Ctx<'a> {
    pub theme: &'a Theme,
    pub keys: &'a Keymap,
}

impl Ctx<'_> {
    pub fn key(&self, a: Action) -> String {
        self.keys.first(a).unwrap_or_else(|| "?".into())
    }

    pub fn block<'b>(&self, title: String, focused: bool) -> Block<'b> {
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                format!(" {title} "),
                self.theme.style("title"),
            ))
            .border_style(
                self.theme
                    .style(if focused { "border.focus" } else { "border" }),
            )
    }
}

/// A score as the table shows it: tiny p-values in scientific notation.
pub(super) fn score_text(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        format!("{v:.4}")
    }
}

impl DriftScreen {
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keys: &Keymap) {
        let cx = Ctx { theme, keys };
        let [head, main, bottom] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_head(f, head, &cx);
        match &self.outcome {
            None => self.render_empty(f, main, &cx),
            Some(o) => match o.report.columns.get(self.row) {
                Some(c) if self.zoom => charts::render_detail(f, main, c, true, &cx),
                Some(c) if main.width >= WIDE => {
                    let [table, detail] =
                        Layout::horizontal([Constraint::Percentage(56), Constraint::Fill(1)])
                            .areas(main);
                    self.render_table(f, table, o, &cx);
                    charts::render_detail(f, detail, c, false, &cx);
                }
                _ => self.render_table(f, main, o, &cx),
            },
        }
        self.render_bottom(f, bottom, &cx);
    }

    fn render_table(&self, f: &mut Frame, area: Rect, o: &Outcome, cx: &Ctx) {
        let t = cx.theme;
        let r = &o.report;
        let title = format!(
            "{} → {} · {} → {} rows",
            o.reference.name, o.current.name, r.reference_rows, r.current_rows
        );
        let block = cx.block(title, true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let mut notes = notes(o, t);
        if r.columns.is_empty() {
            // Nothing to tabulate: the reasons get the whole pane, wrapped.
            notes.insert(
                0,
                Line::styled(
                    "no column could be compared: the two tables share no checkable column",
                    t.style("status.warn"),
                ),
            );
            f.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), inner);
            return;
        }
        let n_notes = (notes.len() as u16).min(inner.height / 3);
        let [table_area, notes_area] =
            Layout::vertical([Constraint::Min(2), Constraint::Length(n_notes)]).areas(inner);
        f.render_widget(Paragraph::new(notes), notes_area);

        let name_w = r
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(6)
            .clamp(6, 24);
        let test_w = r
            .columns
            .iter()
            .map(|c| c.test.name().len())
            .max()
            .unwrap_or(4)
            .max(4);
        // name, type, test, score, threshold, verdict, (SHAP Δ,) two histograms, 7 gaps.
        let shap_w = if o.shap.is_some() { 8 } else { 0 };
        let fixed = name_w + 4 + test_w + 7 + 4 + 7 + 7 + shap_w + usize::from(shap_w > 0);
        let hist_w = ((table_area.width as usize).saturating_sub(fixed) / 2).clamp(3, 20);
        let (ref_h, cur_h) = if hist_w >= 9 {
            ("reference", "current")
        } else {
            ("ref", "cur")
        };
        let mut head = vec![
            Cell::from("column"),
            Cell::from("type"),
            Cell::from("test"),
            Cell::from(Line::from("score").right_aligned()),
            Cell::from(Line::from("thr").right_aligned()),
            Cell::from("verdict"),
        ];
        if shap_w > 0 {
            head.push(Cell::from(Line::from("SHAP Δ").right_aligned()));
        }
        head.push(Cell::from(Span::styled(ref_h, t.series(0))));
        head.push(Cell::from(Span::styled(cur_h, t.series(1))));
        let header = Row::new(head).style(t.style("header"));
        let rows: Vec<Row> = r
            .columns
            .iter()
            .map(|c| {
                let (rh, ch) = minis(c, hist_w);
                let verdict = if c.drifted {
                    Span::styled("DRIFT", t.style("status.error"))
                } else {
                    Span::styled("ok", t.style("status.ok"))
                };
                let mut cells = vec![
                    Cell::from(c.name.clone()),
                    Cell::from(match c.kind {
                        ColumnKind::Numeric => "num",
                        ColumnKind::Categorical => "cat",
                    }),
                    Cell::from(c.test.name()),
                    Cell::from(Line::from(score_text(c.score)).right_aligned()),
                    Cell::from(Line::from(format!("{}", c.threshold)).right_aligned()),
                    Cell::from(Line::from(verdict)),
                ];
                if let Some(s) = &o.shap {
                    let text = s
                        .columns
                        .get(&c.name)
                        .map_or("—".to_owned(), |x| format!("{:+.4}", x.change));
                    cells.push(Cell::from(Line::from(text).right_aligned()));
                }
                cells.push(Cell::from(Span::styled(rh, t.series(0))));
                cells.push(Cell::from(Span::styled(ch, t.series(1))));
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(name_w as u16),
            Constraint::Length(4),
            Constraint::Length(test_w as u16),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(7),
        ];
        if shap_w > 0 {
            widths.push(Constraint::Length(shap_w as u16));
        }
        widths.extend([
            Constraint::Length(hist_w as u16),
            Constraint::Length(hist_w as u16),
        ]);
        self.page
            .set((table_area.height as usize).saturating_sub(1).max(1));
        let table = Table::new(rows, widths)
            .header(header)
            .style(t.style("text"))
            .row_highlight_style(t.style("selection"));
        let mut state = TableState::default()
            .with_offset(self.offset.get())
            .with_selected(Some(self.row));
        f.render_stateful_widget(table, table_area, &mut state);
        self.offset.set(state.offset());
    }

    fn render_bottom(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        if let Some((kind, stage, fraction, secs)) = self.job_state() {
            let what = match kind {
                JobKind::Compare => "",
                JobKind::Export => "export: ",
            };
            let label = format!(
                "{what}{stage}… {secs:.1}s · {}: cancel",
                cx.key(Action::Cancel)
            );
            let gauge = Gauge::default()
                .gauge_style(t.style("gauge"))
                .ratio(fraction.clamp(0.0, 1.0))
                .label(label);
            f.render_widget(gauge, area);
            return;
        }
        let (text, role) = match &self.outcome {
            // Nothing to say: what the keys would do next.
            Some(o) if self.status.is_empty() && self.picks_changed() => (
                format!(
                    "{}: compare this pair · shown: {} → {}",
                    cx.key(Action::Start),
                    o.reference.name,
                    o.current.name
                ),
                "status.warn",
            ),
            Some(_) if self.status.is_empty() => (
                format!(
                    "{}: write {REPORT_FILE} and {CHARTS_DIR}/ into the project folder",
                    cx.key(Action::Export)
                ),
                "dim",
            ),
            _ => (self.status.clone(), status_role(&self.status)),
        };
        f.render_widget(Paragraph::new(Span::styled(text, t.style(role))), area);
    }
}

/// What was not compared, and why: skipped, ignored, missing and new columns.
fn notes(o: &Outcome, t: &Theme) -> Vec<Line<'static>> {
    let r = &o.report;
    let mut out = Vec::new();
    for (name, why) in &r.skipped {
        out.push(Line::styled(
            format!("not checked: {name} — {why}"),
            t.style("dim"),
        ));
    }
    if !o.spec.ignore.is_empty() {
        let from = o.spec_file.as_deref().unwrap_or("the spec");
        out.push(Line::styled(
            format!("ignored ({from}): {}", o.spec.ignore.join(", ")),
            t.style("dim"),
        ));
    }
    if !r.missing_in_current.is_empty() {
        out.push(Line::styled(
            format!("missing in current: {}", r.missing_in_current.join(", ")),
            t.style("status.warn"),
        ));
    }
    if !r.new_in_current.is_empty() {
        out.push(Line::styled(
            format!("new in current: {}", r.new_in_current.join(", ")),
            t.style("status.warn"),
        ));
    }
    if let Some(s) = &o.shap {
        out.push(Line::styled(
            format!(
                "SHAP Δ: change of mean |SHAP| ({}, {}), current − reference",
                s.method.label(),
                s.output.label()
            ),
            t.style("dim"),
        ));
    }
    if let Some(n) = &o.shap_note {
        out.push(Line::styled(n.clone(), t.style("status.warn")));
    }
    out
}

fn status_role(status: &str) -> &'static str {
    if status.starts_with("error") {
        "status.error"
    } else if status.starts_with("warning")
        || status.contains("cancelled")
        || status.contains("same source")
    {
        "status.warn"
    } else if status.starts_with("report written") {
        "status.ok"
    } else {
        "dim"
    }
}
