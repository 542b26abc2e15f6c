//! The `?` overlay: every action and its keys, generated from the keymap.
//! When the list is taller than the overlay it flows into side-by-side
//! columns; when even those do not hold it, ↑↓ scroll it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::bars;
use super::keymap::{Action, Keymap};
use super::screens::Screen;
use super::theme::Theme;

/// Narrowest column worth drawing.
const MIN_COL: u16 = 38;

pub fn render(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    keymap: &Keymap,
    scroll: usize,
    screen: Screen,
) {
    f.render_widget(Clear, area);
    let mut entries: Vec<(String, String)> = screen_entries(screen, keymap);
    for (_, action, what) in Action::all() {
        if !matches!(action, Action::Screen(_)) {
            // Only the keys that do it here.
            let keys = keymap.keys_where(action, |b| screen.lets(b));
            entries.push((keys.join(", "), what.to_owned()));
        }
    }
    entries.extend(switch_entries(keymap, screen));
    entries.push(("wheel".into(), "scroll up and down".into()));
    let close = keymap.keys(Action::Close).join(", ");
    // Rows and columns that fit; the rest scrolls.
    let per_col = (area.height.saturating_sub(2) as usize).max(1);
    let max_cols = (area.width.saturating_sub(2) / MIN_COL).max(1) as usize;
    let capacity = per_col * max_cols;
    let start = scroll.min(entries.len().saturating_sub(capacity));
    let more = if entries.len() <= capacity {
        String::new()
    } else if start + capacity < entries.len() {
        format!("↓ {} more · ", entries.len() - start - capacity)
    } else {
        "↑ scrolled · ".to_owned()
    };
    let entries: Vec<(String, String)> = entries.into_iter().skip(start).take(capacity).collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Keys ", theme.style("title")))
        .title_bottom(format!(
            " {more}{close} or ? to close · while typing, keys go to the text field "
        ))
        .style(theme.style("dialog"))
        .border_style(theme.style("border.focus"));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let n_cols = entries.len().div_ceil(per_col).max(1);
    // Each column as wide as its longest line; the last takes what is left.
    let right = inner.x + inner.width;
    let mut x = inner.x;
    for (i, chunk) in entries.chunks(per_col).enumerate() {
        let key_w = chunk
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0)
            .min(14);
        let want = chunk
            .iter()
            .map(|(_, w)| key_w + w.chars().count() + 3)
            .max()
            .unwrap_or(0) as u16;
        let w = if i + 1 == n_cols {
            right.saturating_sub(x)
        } else {
            want.min(right.saturating_sub(x))
        };
        let rect = Rect::new(x, inner.y, w, inner.height);
        x = x.saturating_add(w).min(right);
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(k, what)| {
                Line::from(vec![
                    Span::styled(format!("{k:<key_w$} "), theme.style("header")),
                    Span::raw(what.clone()),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), rect);
    }
}

/// The keys that switch screens from `screen` (on the Label screen digits
/// are class keys): one line per family of keys (`F1–6  go to screen 1–6`;
/// the tab bar pairs numbers and names), and one per screen for keys that
/// follow no pattern (a user's keymap may have those).
fn switch_entries(keymap: &Keymap, screen: Screen) -> Vec<(String, String)> {
    let keys = bars::screen_keys(keymap, screen);
    let most = keys.iter().map(Vec::len).max().unwrap_or(0);
    let mut v = Vec::new();
    for j in 0..most {
        match bars::family(&keys, j) {
            Some(f) => v.push((f, format!("go to screen {}", bars::numbers()))),
            None => {
                for ((_, _, name), k) in Screen::ALL.iter().zip(&keys) {
                    if let Some(k) = k.get(j) {
                        v.push((k.clone(), format!("{name} screen")));
                    }
                }
            }
        }
    }
    v
}

/// What keys mean on `screen` where it differs from the general list.
fn screen_entries(screen: Screen, keymap: &Keymap) -> Vec<(String, String)> {
    let meanings: &[(Action, &str)] = match screen {
        Screen::Label => &[
            (Action::Edit, "accept proposal"),
            (Action::Sort, "skip this row"),
            (Action::SearchNext, "next unlabelled"),
            (Action::Search, "find expr/key"),
            (Action::Undo, "undo a label"),
            (Action::Bulk, "bulk label (expr)"),
            (Action::Order, "queue order"),
            (Action::ShowAll, "neighbouring rows"),
            (Action::Setup, "column & classes"),
            (Action::Start, "refit the model"),
            (Action::Cancel, "cancel the refit"),
        ],
        _ => return Vec::new(),
    };
    let mut v = vec![("1–9".to_owned(), "Label: class key".to_owned())];
    for (action, what) in meanings {
        v.push((keymap.keys(*action).join(", "), format!("Label: {what}")));
    }
    v
}
