//! Drawing the Label screen: the card (each value with where it sits in its
//! column), the neighbouring rows on demand, and the side panel (progress,
//! class balance, speed, the model).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::jobs::StatKind;
use super::{InputKind, LabelScreen};
use crate::data::display::{printable, truncate, value_text};
use crate::label::LabelKind;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Theme;

/// Width of the percentile bar.
const BAR: usize = 12;

struct Ctx<'a> {
    t: &'a Theme,
    keys: &'a Keymap,
}

impl Ctx<'_> {
    fn key(&self, a: Action) -> String {
        self.keys.first(a).unwrap_or_else(|| "?".into())
    }
}

impl LabelScreen {
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keys: &Keymap) {
        let cx = Ctx { t: theme, keys };
        let [main, bottom] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(1)]).areas(area);
        let [card, side] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(30)]).areas(main);
        match &self.session {
            Some(_) if self.context => {
                let [top, ctx_area] =
                    Layout::vertical([Constraint::Percentage(60), Constraint::Min(5)]).areas(card);
                self.render_card(f, top, &cx);
                self.render_context(f, ctx_area, &cx);
            }
            Some(_) => self.render_card(f, card, &cx),
            None => self.render_empty(f, card, &cx),
        }
        self.render_side(f, side, &cx);
        self.render_bottom(f, bottom, &cx);
    }

    fn render_empty(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(cx.t.style("border"))
            .title(Span::styled(" Label ", cx.t.style("title")));
        let text = if self.busy() {
            "Opening the labels…".to_owned()
        } else {
            format!(
                "Nothing to label yet. Name the dataset in lathe.toml's [label] section \
                 (source, target, classes), or open a file on the Data screen and press {} here \
                 to type its label column and classes, e.g. `failure: 0, 1` (`price: #` for numbers).",
                cx.key(Action::Setup)
            )
        };
        f.render_widget(
            Paragraph::new(text)
                .block(block)
                .style(cx.t.style("dim"))
                .wrap(Wrap { trim: true }),
            area,
        );
    }

    fn render_card(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.t;
        let Some(s) = &self.session else { return };
        let row = self.row();
        let title = match row {
            Some(r) => format!(
                " Row {} of {} · key {} · {} ",
                r + 1,
                s.rows(),
                truncate(&s.keys.keys[r], 20),
                self.order.name()
            ),
            None => format!(" No rows · {} ", self.order.name()),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border.focus"))
            .title(Span::styled(title, t.style("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(row) = row else { return };
        let name_w = self
            .stats
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(8)
            .min(22);
        let value_w = (inner.width as usize)
            .saturating_sub(name_w + 22)
            .clamp(14, 40);
        let mut lines = Vec::new();
        // The label and the model's proposal first: they are what the key press is about.
        let label = s.label(row).unwrap_or("—");
        let mut head = vec![
            Span::styled(format!("{:<name_w$} ", s.set.target), t.style("header")),
            Span::styled(
                format!("{label:<value_w$}"),
                t.style(if s.is_labelled(row) {
                    "status.ok"
                } else {
                    "dim"
                }),
            ),
        ];
        if let Some(p) = &self.suggestions
            && let (Some(&c), Some(&conf)) = (p.class.get(row), p.confidence.get(row))
            && let Some(name) = s.set.classes.get(c as usize)
        {
            head.push(Span::styled(
                format!(" model: {name} ({:.0}%)", 100.0 * conf),
                t.style("text"),
            ));
            if !s.is_labelled(row) {
                head.push(Span::styled(
                    format!(" {} accepts", cx.key(Action::Edit)),
                    t.style("dim"),
                ));
            }
        }
        lines.push(Line::from(head));
        let visible = (inner.height as usize).saturating_sub(2);
        for c in self.stats.iter().take(visible) {
            let Ok(col) = s.frame.column(&c.name) else {
                continue;
            };
            let v = col
                .get(row)
                .map_or_else(|_| String::new(), |v| value_text(&v));
            let v = printable(v);
            let mut spans = vec![
                Span::styled(
                    format!("{:<name_w$} ", truncate(&c.name, name_w)),
                    t.style("dim"),
                ),
                Span::styled(
                    format!("{:<value_w$}", truncate(&v, value_w)),
                    t.style("text"),
                ),
            ];
            let is_id = s.set.id.as_deref() == Some(c.name.as_str());
            match &c.kind {
                // An id's place in its column says nothing.
                _ if is_id => {}
                StatKind::Numeric(_) => {
                    let p = v.parse::<f64>().ok().and_then(|x| c.percentile(x));
                    if let Some(p) = p {
                        spans.push(Span::styled(format!(" {}", bar(p)), t.series(0)));
                        spans.push(Span::styled(format!(" p{p:.0}"), t.style("dim")));
                    }
                }
                StatKind::Category(..) => {
                    if let Some(share) = c.share(&v) {
                        let filled = ((share * BAR as f64).round() as usize).min(BAR);
                        spans.push(Span::styled(
                            format!(" ▕{}{}▏", "█".repeat(filled), " ".repeat(BAR - filled)),
                            t.series(1),
                        ));
                        spans.push(Span::styled(
                            format!(" {:.0}% of rows", 100.0 * share),
                            t.style("dim"),
                        ));
                    }
                }
                StatKind::Other => {}
            }
            lines.push(Line::from(spans));
        }
        if self.stats.len() > visible {
            lines.push(Line::styled(
                format!(
                    "… {} more columns (make the window taller)",
                    self.stats.len() - visible
                ),
                t.style("dim"),
            ));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_context(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.t;
        let Some(s) = &self.session else { return };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border"))
            .title(Span::styled(
                format!(" Neighbouring rows ({} hides) ", cx.key(Action::ShowAll)),
                t.style("title"),
            ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(row) = self.row() else { return };
        let half = (inner.height as usize).saturating_sub(1) / 2;
        let from = row.saturating_sub(half);
        let to = (row + half + 1).min(s.rows());
        let cols: Vec<&str> = self.stats.iter().map(|c| c.name.as_str()).collect();
        let w = 11usize;
        let fit = ((inner.width as usize).saturating_sub(18) / (w + 1)).max(1);
        let mut header = format!("{:<7} {:<9}", "row", s.set.target);
        for c in cols.iter().take(fit) {
            header.push_str(&format!(" {:<w$}", truncate(c, w)));
        }
        let mut lines = vec![Line::styled(header, t.style("header"))];
        for r in from..to {
            let mut text = format!("{:<7} {:<9}", r + 1, truncate(s.label(r).unwrap_or("—"), 9));
            for c in cols.iter().take(fit) {
                let v = s
                    .frame
                    .column(c)
                    .and_then(|col| col.get(r).map(|v| value_text(&v)))
                    .unwrap_or_default();
                text.push_str(&format!(" {:<w$}", truncate(&printable(v), w)));
            }
            let style = if r == row {
                t.style("selection")
            } else {
                t.style("text")
            };
            lines.push(Line::styled(text, style));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    fn render_side(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.t;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border"))
            .title(Span::styled(" Progress ", t.style("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(s) = &self.session else { return };
        let w = (inner.width as usize).saturating_sub(2).max(4);
        let done = s.labelled();
        let share = done as f64 / s.rows().max(1) as f64;
        let filled = ((share * w as f64).round() as usize).min(w);
        let mut lines = vec![
            Line::styled(format!("{done} / {} labelled", s.rows()), t.style("text")),
            Line::from(vec![
                Span::styled("█".repeat(filled), t.style("gauge")),
                Span::styled("░".repeat(w - filled), t.style("dim")),
            ]),
            Line::styled(
                format!("{:.1}% · {}", 100.0 * share, s.set.dataset),
                t.style("dim"),
            ),
            Line::raw(""),
        ];
        if s.set.kind == LabelKind::Classification {
            lines.push(Line::styled("Classes", t.style("header")));
            let counts = s.counts();
            let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
            let name_w = 8usize;
            let bar_w = w.saturating_sub(name_w + 9).max(1);
            for (i, (c, n)) in counts.iter().enumerate() {
                let key = if i < 9 {
                    format!("{}", i + 1)
                } else {
                    " ".into()
                };
                let len = (*n * bar_w).div_ceil(most).min(bar_w);
                lines.push(Line::from(vec![
                    Span::styled(format!("{key} "), t.style("key")),
                    Span::styled(format!("{:<name_w$}", truncate(c, name_w)), t.style("text")),
                    Span::styled("█".repeat(len), t.series(i)),
                    Span::styled(format!(" {n}"), t.style("dim")),
                ]));
            }
        } else {
            lines.push(Line::styled(
                format!("numbers: {} types one", cx.key(Action::Edit)),
                t.style("dim"),
            ));
        }
        lines.push(Line::raw(""));
        let mins = self.started.elapsed().as_secs_f64() / 60.0;
        if self.session_labels > 0 {
            lines.push(Line::styled(
                format!(
                    "speed {:.1} labels/min",
                    self.session_labels as f64 / mins.max(1.0 / 60.0)
                ),
                t.style("text"),
            ));
        }
        let model = match (&self.suggestions, self.refit.is_some()) {
            (_, true) => "model: refitting…".to_owned(),
            (Some(p), false) => format!("model: fitted on {} rows", p.trained_on),
            (None, false) => "model: needs 2 labels in each of 2 classes".to_owned(),
        };
        lines.push(Line::styled(model, t.style("dim")));
        if !s.orphans.is_empty() {
            lines.push(Line::styled(
                format!("{} labels of rows no longer in the data", s.orphans.len()),
                t.style("status.warn"),
            ));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    }

    fn render_bottom(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.t;
        let saved = self
            .saved
            .as_deref()
            .map(|s| format!("{s} · "))
            .unwrap_or_default();
        let line = if let Some((kind, text)) = &self.input {
            let prompt = match kind {
                InputKind::Find => "find (expression or row key): ",
                InputKind::Bulk => "label rows where: ",
                InputKind::Number => "label (a number): ",
                InputKind::Setup => "label column: classes (or '#' for numbers): ",
            };
            Line::from(vec![
                Span::styled(format!(" {prompt}"), t.style("header")),
                Span::styled(format!("{text}▏"), t.style("text")),
            ])
        } else if let Some(b) = &self.bulk {
            let sample: Vec<String> = b.rows.iter().take(5).map(|r| (r + 1).to_string()).collect();
            let what = match &b.class {
                Some(c) => format!(
                    "label them '{c}'? {} or Enter: yes · {}: no",
                    cx.key(Action::Confirm),
                    cx.key(Action::Close)
                ),
                None => format!(
                    "press a class key (1–9) · {}: cancel",
                    cx.key(Action::Close)
                ),
            };
            Line::styled(
                format!(
                    " {} rows match '{}' (rows {}{}) · {what}",
                    b.rows.len(),
                    truncate(&b.filter, 30),
                    sample.join(", "),
                    if b.rows.len() > 5 { ", …" } else { "" }
                ),
                t.style("status.warn"),
            )
        } else if !self.status.is_empty() {
            Line::styled(format!(" {saved}{}", self.status), t.style("dim"))
        } else {
            Line::styled(
                format!(
                    " {saved}1–9 label · {} accept · {} skip · {} next unlabelled · {} neighbours",
                    cx.key(Action::Edit),
                    cx.key(Action::Sort),
                    cx.key(Action::SearchNext),
                    cx.key(Action::ShowAll)
                ),
                t.style("dim"),
            )
        };
        f.render_widget(Paragraph::new(line), area);
    }
}

/// `▕····●·······▏` with the dot at percentile `p`.
fn bar(p: f64) -> String {
    let i = ((p / 100.0 * (BAR - 1) as f64).round() as usize).min(BAR - 1);
    let mut s = String::from("▕");
    for j in 0..BAR {
        s.push(if j == i { '●' } else { '·' });
    }
    s.push('▏');
    s
}
