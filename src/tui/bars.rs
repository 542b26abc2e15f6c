//! The tab bar (top line) and the key bar (bottom line), generated from the
//! keymap. A tab names a key that opens its screen *from the screen on show*:
//! digits, except on the Label screen, whose class keys they are; there the
//! tabs name the F-keys and the other keys that still switch are said once.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use super::keymap::{Action, Keymap, label};
use super::screens::Screen;

/// The app's name at the start of the tab bar.
const BRAND: &str = " lathe ";

/// How the tabs are written, widest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// ` Data [1] `
    Wide,
    /// ` 1:Data `
    Compact,
    /// `1:Data`, one space between tabs.
    Tight,
}

/// Whether the project's name (and the sample note after it) is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Project {
    /// It must fit whole.
    Whole,
    /// What fits of it.
    Cut,
    Off,
}

/// One way to fill the tab bar.
#[derive(Debug, Clone, Copy)]
struct Fill {
    brand: bool,
    style: Style,
    legend: bool,
    project: Project,
}

pub fn tabs(app: &App, f: &mut Frame, area: Rect) {
    let theme = &app.ctx.theme;
    let km = &app.ctx.keymap;
    let on = app.screen;
    let keys = screen_keys(km, on);
    // Where the screen claims keys (Label's digits), the tabs show other keys
    // than everywhere else: then every key that switches must be said.
    let shadowed = Screen::ALL
        .iter()
        .zip(&keys)
        .any(|((_, n, _), k)| k.first() != km.first(Action::Screen(*n)).as_ref());
    let legend = legend(&keys);
    let name = app
        .ctx
        .project
        .as_ref()
        .map(|p| p.file.name.clone())
        .unwrap_or_default();
    let mut project_text = vec![Span::styled(
        format!("  project: {name}"),
        theme.style("dim"),
    )];
    if app.ctx.is_sample {
        // Said where it stays visible: the status line changes all the time.
        let init = km.first(Action::InitProject).unwrap_or_default();
        project_text.push(Span::styled(
            format!(" (sample copy; {init}: new project in this folder)"),
            theme.style("status.warn"),
        ));
    }

    let width = area.width as usize;
    let line = |fill: Fill| -> (Vec<Span<'static>>, usize) {
        let mut spans = Vec::new();
        if fill.brand {
            spans.push(Span::styled(BRAND, theme.style("title")));
        }
        if fill.style == Style::Tight {
            spans.push(Span::raw(" "));
        }
        for (i, ((screen, _, name), k)) in Screen::ALL.iter().zip(&keys).enumerate() {
            // A user's keymap may leave a screen without a key that works here.
            let text = match (fill.style, k.first()) {
                (Style::Wide, Some(key)) => format!(" {name} [{key}] "),
                (Style::Compact, Some(key)) => format!(" {key}:{name} "),
                (Style::Tight, Some(key)) => format!("{key}:{name}"),
                (Style::Tight, None) => (*name).to_owned(),
                (_, None) => format!(" {name} "),
            };
            if fill.style == Style::Tight && i > 0 {
                spans.push(Span::raw(" "));
            }
            let role = if *screen == on { "tab.active" } else { "tab" };
            spans.push(Span::styled(text, theme.style(role)));
        }
        if fill.legend && !legend.is_empty() {
            spans.push(Span::styled(format!("  {legend}"), theme.style("dim")));
        }
        if fill.project == Project::Whole {
            spans.extend(project_text.iter().cloned());
        }
        let need = Line::from(spans.clone()).width();
        // A cut name needs at least its first letter to say anything.
        if fill.project == Project::Cut && need + "  project: x".len() <= width {
            spans.extend(project_text.iter().cloned());
        }
        (spans, need)
    };
    let fill = |brand, style, legend, project| Fill {
        brand,
        style,
        legend,
        project,
    };
    // Richest first. Where the tabs name the keys every screen shares, the
    // project matters more than the legend; on the Label screen the legend
    // must stay, before the project and even the brand.
    let fills = [
        fill(true, Style::Wide, true, Project::Whole),
        fill(true, Style::Compact, true, Project::Whole),
        fill(true, Style::Compact, shadowed, Project::Cut),
        fill(false, Style::Compact, true, Project::Off),
        fill(false, Style::Tight, true, Project::Off),
    ];
    let (spans, _) = fills
        .into_iter()
        .map(line)
        .find(|(_, need)| *need <= width)
        .unwrap_or_else(|| line(fill(true, Style::Compact, false, Project::Cut)));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The keys that open each screen (in `Screen::ALL`'s order) from the
/// screen `on`, in the keymap's order.
pub fn screen_keys(km: &Keymap, on: Screen) -> Vec<Vec<String>> {
    Screen::ALL
        .iter()
        .map(|(_, n, _)| km.keys_where(Action::Screen(*n), |b| on.lets(b)))
        .collect()
}

/// The `j`-th key of every screen as one name — `1–6`, `F1–6`, `Alt-1–6`,
/// `'1–6` — when they are the same text around each screen's number.
pub fn family(keys: &[Vec<String>], j: usize) -> Option<String> {
    let mut pattern: Option<(&str, &str)> = None;
    for (k, (_, n, _)) in keys.iter().zip(Screen::ALL) {
        let n = n.to_string();
        let key = k.get(j)?;
        let at = key.rfind(&n)?;
        let here = (&key[..at], &key[at + n.len()..]);
        if pattern.is_some_and(|p| p != here) {
            return None;
        }
        pattern = Some(here);
    }
    let (before, after) = pattern?;
    Some(format!("{before}{}{after}", numbers()))
}

/// The screens' numbers as a range: `1–6`.
pub fn numbers() -> String {
    let n = |i: usize| Screen::ALL.get(i).map_or(0, |(_, n, _)| *n);
    format!("{}–{}", n(0), n(Screen::ALL.len() - 1))
}

/// The keys after each tab's first, said once: `or F1–6, Alt-1–6, '1–6`.
/// Empty when there are none that follow one pattern.
fn legend(keys: &[Vec<String>]) -> String {
    let most = keys.iter().map(Vec::len).max().unwrap_or(0);
    let families: Vec<String> = (1..most).filter_map(|j| family(keys, j)).collect();
    if families.is_empty() {
        String::new()
    } else {
        format!("or {}", families.join(", "))
    }
}

/// The bottom line: the main keys of the screen on show, what a text field
/// takes, or what a pending prefix waits for.
pub fn keys(app: &App, f: &mut Frame, area: Rect) {
    let theme = &app.ctx.theme;
    let km = &app.ctx.keymap;
    let key = |k: String| Span::styled(format!(" {k} "), theme.style("key"));
    let what = |w: &str| Span::styled(format!(" {w} "), theme.style("dim"));
    let mut spans = Vec::new();
    if !app.pending.is_empty() {
        spans.push(key(label(&app.pending)));
        spans.push(what("then"));
        let names = Action::all();
        for (rest, action) in km.continuations(&app.pending) {
            let name = match action {
                Action::Screen(n) => Screen::ALL
                    .iter()
                    .find(|(_, i, _)| *i == n)
                    .map_or("screen", |(_, _, name)| *name),
                other => names
                    .iter()
                    .find(|(_, a, _)| *a == other)
                    .map_or("", |(_, _, w)| *w),
            };
            spans.push(key(label(rest)));
            spans.push(what(name));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let typing = app.typing();
    let hints: &[(Action, &str)] = if typing {
        &[]
    } else {
        match app.screen {
            Screen::Drift => &[
                (Action::Help, "help"),
                (Action::Start, "run"),
                (Action::Reference, "ref"),
                (Action::Current, "cur"),
                (Action::Edit, "charts"),
                (Action::Export, "export"),
                (Action::Cancel, "cancel"),
                (Action::Quit, "quit"),
            ],
            Screen::Label => &[
                (Action::Help, "help"),
                (Action::Edit, "accept"),
                (Action::Undo, "undo"),
                (Action::Search, "find"),
                (Action::Bulk, "bulk"),
                (Action::Order, "order"),
                (Action::Quit, "quit"),
            ],
            Screen::Bundles => &[
                (Action::Help, "help"),
                (Action::Export, "export"),
                (Action::Start, "verify"),
                (Action::Quit, "quit"),
            ],
            Screen::Experiments => &[
                (Action::Help, "help"),
                (Action::Toggle, "mark"),
                (Action::Edit, "compare"),
                (Action::Explain, "explain"),
                (Action::Sort, "sort"),
                (Action::Search, "filter"),
                (Action::Quit, "quit"),
            ],
            Screen::Train => &[
                (Action::Help, "help"),
                (Action::Start, "start"),
                (Action::Toggle, "tick"),
                (Action::Edit, "edit"),
                (Action::FocusNext, "pane"),
                (Action::Cancel, "cancel"),
                (Action::Quit, "quit"),
            ],
            Screen::Data => &[
                (Action::Help, "help"),
                (Action::Open, "open"),
                (Action::FocusNext, "pane"),
                (Action::Sort, "sort"),
                (Action::Search, "search"),
                (Action::Jump, "jump"),
                (Action::Cancel, "cancel"),
                (Action::Quit, "quit"),
            ],
        }
    };
    for (action, label) in hints {
        if let Some(k) = km.first(*action) {
            spans.push(key(k));
            spans.push(what(label));
        }
    }
    if typing {
        spans.push(key("Enter".into()));
        spans.push(what("confirm"));
        spans.push(key("Esc".into()));
        spans.push(what("cancel"));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
