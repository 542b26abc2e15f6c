//! Drawing the Train screen: a pure function of its state. Key names in the
//! hints come from the keymap, so they follow the user's bindings.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use super::form::{FIELDS, Field, values_text};
use super::results::{progress_label, render_jobs};
use super::{Pane, TrainScreen};
use crate::train::Task;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Theme;

const FORM_W: u16 = 36;

/// Everything a draw needs besides the screen.
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub keys: &'a Keymap,
}

impl Ctx<'_> {
    pub fn key(&self, a: Action) -> String {
        self.keys.first(a).unwrap_or_else(|| "?".into())
    }
}

impl TrainScreen {
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keys: &Keymap) {
        let cx = Ctx { theme, keys };
        let [info, main, bottom] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_info(f, info, &cx);
        match &self.study {
            None => {
                let [form, detail] =
                    Layout::horizontal([Constraint::Length(FORM_W), Constraint::Min(0)])
                        .areas(main);
                self.render_form(f, form, &cx);
                self.render_detail(f, detail, &cx);
            }
            Some(study) => {
                let [top, lower] =
                    Layout::vertical([Constraint::Percentage(45), Constraint::Min(5)]).areas(main);
                let [form, grid] =
                    Layout::horizontal([Constraint::Length(FORM_W), Constraint::Min(0)]).areas(top);
                self.render_form(f, form, &cx);
                render_jobs(f, grid, study, &cx);
                self.render_board(f, lower, study, &cx);
            }
        }
        self.render_bottom(f, bottom, &cx);
    }

    pub(super) fn block<'a>(&self, title: String, pane: Option<Pane>, cx: &Ctx) -> Block<'a> {
        let focused = pane.is_some_and(|p| p == self.focus);
        Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" {title} "), cx.theme.style("title")))
            .border_style(
                cx.theme
                    .style(if focused { "border.focus" } else { "border" }),
            )
    }

    fn render_info(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let line = match &self.source {
            None => Line::styled(
                format!(
                    "no data to train on: open a file on the Data screen ({}) or with {}",
                    cx.key(Action::Screen(1)),
                    cx.key(Action::Open)
                ),
                cx.theme.style("status.warn"),
            ),
            Some(s) => {
                let mut spans = vec![
                    Span::styled(s.shown.clone(), cx.theme.style("header")),
                    Span::styled(
                        format!("  {} rows × {} columns", s.shape.0, s.shape.1),
                        cx.theme.style("text"),
                    ),
                ];
                if !s.complete {
                    spans.push(Span::styled(
                        " · first rows only, loading the rest…",
                        cx.theme.style("status.warn"),
                    ));
                }
                Line::from(spans)
            }
        };
        f.render_widget(Paragraph::new(line), area);
    }

    fn render_form(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let form = &self.form;
        let field = |label: &str, value: String| {
            ListItem::new(Line::from(vec![
                Span::styled(format!("{label:<7} "), t.style("dim")),
                Span::styled(value, t.style("text")),
            ]))
        };
        let task = match (
            form.task,
            form.target_info.as_ref().and_then(|i| i.inferred),
        ) {
            (Some(task), _) => task.to_string(),
            (None, Some(task)) => format!("auto: {task}"),
            (None, None) => "auto".to_owned(),
        };
        let mut items = vec![
            field("Target", form.target_name().unwrap_or("—").to_owned()),
            field("Task", task),
            field("Folds", form.folds.to_string()),
            field("Seed", form.seed.to_string()),
            field(
                "Jobs",
                form.jobs
                    .map_or_else(|| "auto (every core)".to_owned(), |j| j.to_string()),
            ),
        ];
        let on = form.algos.iter().filter(|a| a.on).count();
        items.push(ListItem::new(Line::styled(
            format!("Algorithms · {on} of {} ticked", form.algos.len()),
            t.style("header"),
        )));
        for a in &form.algos {
            let n = a.configs();
            let mut spans = vec![
                Span::styled(
                    if a.on { "[x] " } else { "[ ] " },
                    t.style(if a.on { "status.ok" } else { "dim" }),
                ),
                Span::styled(a.info.id, t.style("text")),
            ];
            if n > 1 {
                spans.push(Span::styled(format!(" ×{n}"), t.style("dim")));
            }
            items.push(ListItem::new(Line::from(spans)));
        }
        // The heading is not selectable: rows past it shift by one.
        let selected = form.cursor + usize::from(form.cursor >= FIELDS);
        let highlight = if self.focus == Pane::Form {
            t.style("selection")
        } else {
            t.style("selection.column")
        };
        let list = List::new(items)
            .block(self.block("Train".into(), Some(Pane::Form), cx))
            .highlight_style(highlight);
        let mut state = ListState::default().with_selected(Some(selected));
        f.render_stateful_widget(list, area, &mut state);
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let form = &self.form;
        let keys = |parts: &[(Action, &str)]| {
            let mut spans = Vec::new();
            for (a, what) in parts {
                spans.push(Span::styled(format!(" {} ", cx.key(*a)), t.style("key")));
                spans.push(Span::styled(format!(" {what}  "), t.style("dim")));
            }
            Line::from(spans)
        };
        let change = [
            (Action::Left, "less"),
            (Action::Right, "more"),
            (Action::Edit, "type"),
        ];
        let text = |s: &str| Line::styled(s.to_owned(), t.style("text"));
        let (title, mut lines) = match form.field() {
            Field::Target => {
                let mut l = vec![text("The column to predict.")];
                if let (Some(name), Some(i)) = (form.target_name(), &form.target_info) {
                    let mut what =
                        format!("'{name}': {}, {} distinct values", i.ty.name(), i.distinct);
                    if i.nulls > 0 {
                        what.push_str(&format!(", {} missing", i.nulls));
                    }
                    l.push(text(&what));
                    l.push(text(&match i.inferred {
                        Some(Task::Classification) => {
                            format!("→ classification into {} classes", i.distinct)
                        }
                        Some(Task::Regression) => "→ regression".to_owned(),
                        None => format!("→ {} columns cannot be predicted", i.ty.name()),
                    }));
                }
                l.push(Line::raw(""));
                l.push(keys(&[
                    (Action::Left, "prev"),
                    (Action::Right, "next"),
                    (Action::Edit, "type"),
                ]));
                ("Target", l)
            }
            Field::Task => (
                "Task",
                vec![
                    text(
                        "auto: classification for text, yes/no and whole numbers with up to 20 values; regression for other numbers.",
                    ),
                    Line::raw(""),
                    keys(&[(Action::Left, "prev"), (Action::Right, "next")]),
                ],
            ),
            Field::Folds => (
                "Folds",
                vec![
                    text(
                        "Cross-validation folds (2–100): each configuration is fitted once per fold; 20 % of the rows are held out to score the best models.",
                    ),
                    Line::raw(""),
                    keys(&change),
                ],
            ),
            Field::Seed => (
                "Seed",
                vec![
                    text(
                        "Seed of the split and of every job: the same seed gives the same runs, whatever the number of jobs.",
                    ),
                    Line::raw(""),
                    keys(&change),
                ],
            ),
            Field::Jobs => (
                "Jobs",
                vec![
                    text("Fits running at once (threads); auto uses every core."),
                    Line::raw(""),
                    keys(&change),
                ],
            ),
            Field::Algorithm(i) => ("Algorithm", self.algorithm_lines(i, cx)),
        };
        let n = form.configs();
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", cx.key(Action::Start)), t.style("key")),
            Span::styled(
                format!(
                    " start: {n} × {} folds = {} jobs",
                    form.folds,
                    n * form.folds
                ),
                t.style("header"),
            ),
        ]));
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(self.block(title.into(), None, cx)),
            area,
        );
    }

    fn algorithm_lines(&self, i: usize, cx: &Ctx) -> Vec<Line<'static>> {
        let t = cx.theme;
        let Some(a) = self.form.algos.get(i) else {
            return Vec::new();
        };
        let mut l = vec![
            Line::from(vec![
                Span::styled(a.info.name, t.style("header")),
                Span::styled(format!("  {}", a.info.engine), t.style("dim")),
            ]),
            Line::styled(a.info.description, t.style("text")),
        ];
        if a.info.binary_only {
            l.push(Line::styled("two classes only", t.style("status.warn")));
        }
        if a.info.params.is_empty() {
            l.push(Line::styled("no hyperparameters", t.style("dim")));
        }
        for (k, p) in a.info.params.iter().enumerate() {
            let here = k == a.param;
            let values = values_text(a.grid.get(p.name).map(Vec::as_slice));
            let mut spans = vec![
                Span::styled(if here { "▸ " } else { "  " }, t.style("title")),
                Span::styled(
                    format!("{:<18}", p.name),
                    t.style(if here { "header" } else { "text" }),
                ),
            ];
            if values.is_empty() {
                spans.push(Span::styled(
                    format!("default {}", p.default),
                    t.style("dim"),
                ));
            } else {
                spans.push(Span::styled(format!("try {values}"), t.style("status.ok")));
            }
            l.push(Line::from(spans));
            if here {
                l.push(Line::styled(
                    format!("    {} · {}", p.kind_text(), p.description),
                    t.style("dim"),
                ));
            }
        }
        l.push(Line::raw(""));
        let mut spans = Vec::new();
        for (act, what) in [
            (Action::Toggle, "tick"),
            (Action::Right, "param"),
            (Action::Edit, "values"),
        ] {
            spans.push(Span::styled(format!(" {} ", cx.key(act)), t.style("key")));
            spans.push(Span::styled(format!(" {what}  "), t.style("dim")));
        }
        l.push(Line::from(spans));
        l
    }

    fn render_bottom(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        if let Some(input) = &self.form.input {
            let label = self.prompt(input.field);
            let line = Line::from(vec![
                Span::styled(label, t.style("header")),
                Span::raw(format!("{}▏", input.text)),
            ]);
            f.render_widget(Paragraph::new(line), area);
            return;
        }
        if self.busy() {
            let current = self.study.as_ref().filter(|s| s.running());
            let (ratio, label) = match current {
                None => (0.0, "checking the request and reading the data…".to_owned()),
                Some(s) => (
                    if s.total == 0 {
                        0.0
                    } else {
                        s.done as f64 / s.total as f64
                    },
                    progress_label(s, self.stopping),
                ),
            };
            let gauge = Gauge::default()
                .gauge_style(t.style("gauge"))
                .ratio(ratio.clamp(0.0, 1.0))
                .label(label);
            f.render_widget(gauge, area);
            return;
        }
        let role = if self.status.starts_with("error") {
            "status.error"
        } else if self.status.starts_with("warning") || self.status.contains("cancelled") {
            "status.warn"
        } else if self.status.starts_with("study") {
            "status.ok"
        } else {
            "dim"
        };
        f.render_widget(
            Paragraph::new(Span::styled(self.status.clone(), t.style(role))),
            area,
        );
    }

    fn prompt(&self, field: Field) -> String {
        match field {
            Field::Target => "target column: ".to_owned(),
            Field::Task => "task: ".to_owned(),
            Field::Folds => "folds (2–100): ".to_owned(),
            Field::Seed => "seed: ".to_owned(),
            Field::Jobs => "jobs (a number, or auto): ".to_owned(),
            Field::Algorithm(i) => {
                let Some(a) = self.form.algos.get(i) else {
                    return String::new();
                };
                let Some(p) = a.selected_param() else {
                    return String::new();
                };
                format!(
                    "{}.{} ({}; empty = default {}) values: ",
                    a.info.id,
                    p.name,
                    p.kind_text(),
                    p.default
                )
            }
        }
    }
}
