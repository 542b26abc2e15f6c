//! The Experiments screen's pipeline history: every `lathe pipeline run` of
//! the project, newest first, and the selected run's steps with their
//! verdicts, timings and details. Read from `pipeline::state`, like
//! `lathe pipeline history`; drawing is a pure function of this state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::render::Ctx;
use crate::pipeline::{Outcome, PipelineRecord};
use crate::tui::keymap::Action;

/// The history view's state.
#[derive(Debug, Default)]
pub struct PipelineView {
    pub runs: Vec<PipelineRecord>,
    pub row: usize,
}

impl PipelineView {
    /// Read the project's pipeline runs.
    pub fn load(project_root: &std::path::Path) -> crate::Result<Self> {
        let project = crate::project::Project::open(project_root)?;
        Ok(Self {
            runs: crate::pipeline::state::history(&project)?,
            row: 0,
        })
    }

    /// Move the cursor; false when the action closes the view.
    pub fn action(&mut self, a: Action) -> bool {
        match a {
            Action::Up => self.row = self.row.saturating_sub(1),
            Action::Down => self.row += 1,
            Action::Top => self.row = 0,
            Action::Bottom => self.row = usize::MAX,
            Action::Close | Action::Pipeline => return false,
            _ => {}
        }
        self.row = self.row.min(self.runs.len().saturating_sub(1));
        true
    }

    pub(super) fn render(&self, f: &mut Frame, area: Rect, cx: &Ctx) {
        let t = cx.theme;
        let [list, steps] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Min(3)]).areas(area);
        let style = |o: Outcome| match o {
            Outcome::Done | Outcome::NothingToDo => t.style("status.ok"),
            Outcome::Failed | Outcome::Running | Outcome::Cancelled => t.style("status.warn"),
            Outcome::Error => t.style("status.error"),
        };
        let mut lines = vec![Line::from(Span::styled(
            format!(
                " {:<12} {:<19} {:<13} {:>7}  summary",
                "run", "started", "outcome", "time"
            ),
            t.style("header"),
        ))];
        if self.runs.is_empty() {
            lines.push(Line::from(Span::styled(
                " no pipeline runs yet: `lathe pipeline run` starts one",
                t.style("dim"),
            )));
        }
        let height = list.height.saturating_sub(3) as usize;
        let first = self.row.saturating_sub(height.saturating_sub(1));
        for (i, r) in self.runs.iter().enumerate().skip(first).take(height) {
            let secs: f64 = r.steps.iter().map(|s| s.seconds).sum();
            let text = format!(
                " {:<12} {:<19} {:<13} {:>6.1}s  {}",
                r.id.get(..12).unwrap_or(&r.id),
                r.started.get(..19).unwrap_or(&r.started).replace('T', " "),
                r.outcome.name(),
                secs,
                r.summary
            );
            let mut s = style(r.outcome);
            if i == self.row {
                s = t.style("selection");
            }
            lines.push(Line::from(Span::styled(text, s)));
        }
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Pipeline runs ")
                    .border_style(t.style("border")),
            ),
            list,
        );
        let mut lines = Vec::new();
        let title = match self.runs.get(self.row) {
            Some(r) => {
                for s in &r.steps {
                    let st = match s.verdict.as_str() {
                        "pass" | "skip" => t.style("status.ok"),
                        "fail" | "drift" => t.style("status.warn"),
                        _ => t.style("status.error"),
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!(" {:<9}", s.step), t.style("header")),
                        Span::styled(format!("{:<6}", s.verdict), st),
                        Span::raw(format!("{:>6.1}s  {}", s.seconds, s.detail)),
                    ]));
                }
                lines.push(Line::from(Span::styled(
                    format!(" {}", r.summary),
                    style(r.outcome),
                )));
                format!(" Steps of {} ", r.id.get(..12).unwrap_or(&r.id))
            }
            None => " Steps ".to_owned(),
        };
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title)
                    .border_style(t.style("border")),
            ),
            steps,
        );
    }

    pub(super) fn bottom(cx: &Ctx) -> String {
        format!(
            " ↑↓ run · {} reload · {} back to the runs",
            cx.key(Action::Start),
            cx.key(Action::Close)
        )
    }
}
