//! The top of the Drift screen — the two pickers, the spec in use, the
//! summary and the dataset verdict — and the first screen, before any
//! comparison: what `r` will compare and the sources to pick from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::render::{Ctx, WIDE};
use super::{DriftScreen, SPEC_FILE};
use crate::drift::DriftReport;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;

impl DriftScreen {
    pub(super) fn render_head(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let wide = area.width >= WIDE;
        let mut spans = Vec::new();
        for (action, label, i) in [
            (Action::Reference, "reference", self.reference),
            (Action::Current, "current", self.current),
        ] {
            spans.push(Span::styled(
                format!(" {} ", cx.key(action)),
                t.style("key"),
            ));
            spans.push(Span::styled(format!(" {label}: "), t.style("dim")));
            match self.sources.get(i) {
                Some(s) => {
                    spans.push(Span::styled(s.name.clone(), t.style("header")));
                    if wide {
                        spans.push(Span::styled(format!(" ({})", s.shown), t.style("dim")));
                    }
                }
                None => spans.push(Span::styled("—", t.style("dim"))),
            }
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            match &self.spec_path {
                Some(_) => format!("spec: {SPEC_FILE}"),
                None => "spec: Evidently's defaults".to_owned(),
            },
            t.style("dim"),
        ));
        let second = match &self.outcome {
            Some(o) => summary_line(&o.report, area.width, t),
            None => Line::styled("no comparison yet", t.style("dim")),
        };
        f.render_widget(Paragraph::new(vec![Line::from(spans), second]), area);
    }

    pub(super) fn render_empty(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let text = |s: String| Line::styled(s, t.style("text"));
        let mut lines = Vec::new();
        if self.project.is_none() {
            lines.push(text(format!(
                "Drift compares two sources of a project. Open one with {} (file picker), or make one here with {}.",
                cx.key(Action::Open),
                cx.key(Action::InitProject)
            )));
        } else if self.sources.is_empty() {
            lines.push(text(
                "This project lists no sources: add [[sources]] (name, path) to its lathe.toml."
                    .to_owned(),
            ));
        } else {
            let name = |i: usize| self.sources.get(i).map_or("—", |s| s.name.as_str());
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", cx.key(Action::Start)), t.style("key")),
                Span::styled(
                    format!(
                        " compare: has {} drifted away from {}?",
                        name(self.current),
                        name(self.reference)
                    ),
                    t.style("text"),
                ),
            ]));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "Sources ({}: next reference, {}: next current)",
                    cx.key(Action::Reference),
                    cx.key(Action::Current)
                ),
                t.style("header"),
            ));
            let w = self
                .sources
                .iter()
                .map(|s| s.name.chars().count())
                .max()
                .unwrap_or(0);
            for (i, s) in self.sources.iter().enumerate() {
                let role = match (i == self.reference, i == self.current) {
                    (true, true) => "reference, current",
                    (true, false) => "reference",
                    (false, true) => "current",
                    (false, false) => "",
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<w$}  ", s.name), t.style("text")),
                    Span::styled(format!("{:<20}", role), t.style("status.ok")),
                    Span::styled(s.shown.clone(), t.style("dim")),
                ]));
            }
        }
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(cx.block("Drift".into(), true)),
            area,
        );
    }
}

/// "Drift detected in 4 of 13 columns (31 %) · dataset drift: yes (at a share of 0.25)",
/// the verdict coloured; the share dropped when the line would not fit.
fn summary_line(r: &DriftReport, width: u16, t: &Theme) -> Line<'static> {
    let s = r.summary();
    let (counts, verdict) = s.split_once("; ").unwrap_or((s.as_str(), ""));
    let fits = counts.chars().count() + 3 + verdict.chars().count() <= width as usize;
    let verdict = if fits {
        verdict
    } else {
        verdict.split(" (").next().unwrap_or(verdict)
    };
    Line::from(vec![
        Span::styled(
            counts.to_owned(),
            t.style(if r.n_drifted > 0 {
                "status.warn"
            } else {
                "status.ok"
            }),
        ),
        Span::styled(" · ", t.style("dim")),
        Span::styled(
            verdict.to_owned(),
            t.style(if r.dataset_drift {
                "status.error"
            } else {
                "status.ok"
            }),
        ),
    ])
}
