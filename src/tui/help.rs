//! The `?` overlay: every action and its keys, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Clear, Row, Table};

use super::keymap::{Action, Keymap};
use super::theme::Theme;

pub fn render(f: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap) {
    f.render_widget(Clear, area);
    let mut rows: Vec<Row> = Vec::new();
    let mut screens = Vec::new();
    for (_, action, what) in Action::all() {
        let keys = keymap.keys(action).join(", ");
        if let Action::Screen(n) = action {
            screens.push(format!("{n}: {keys}"));
            continue;
        }
        rows.push(Row::new(vec![Cell::from(keys).style(theme.style("header")), Cell::from(what)]));
    }
    rows.push(Row::new(vec![
        Cell::from("screens").style(theme.style("header")),
        Cell::from(format!("Data = {}", screens.first().cloned().unwrap_or_default())),
    ]));
    rows.push(Row::new(vec![Cell::from(""), Cell::from("mouse wheel scrolls the table; while typing, keys go to the text field")]));
    let close = keymap.keys(Action::Close).join(", ");
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Keys ", theme.style("title")))
        .title_bottom(format!(" {close} or ? to close "))
        .style(theme.style("dialog"))
        .border_style(theme.style("border.focus"));
    let table = Table::new(rows, [Constraint::Length(22), Constraint::Min(10)]).block(block);
    f.render_widget(table, area);
}
