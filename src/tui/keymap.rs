//! Keys → actions, as data. The default map is `keymap.toml` (embedded);
//! the user's `keymap.toml` replaces the keys of the actions it names.
//! The help overlay and the status bar are generated from the map, so they
//! cannot drift from behaviour.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{Error, Result, toml_error};

const DEFAULT: &str = include_str!("keymap.toml");

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Quit,
    Help,
    Close,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    FocusNext,
    FocusPrev,
    Sort,
    Search,
    SearchNext,
    Jump,
    SetType,
    Open,
    Cancel,
    InitProject,
    Edit,
    Toggle,
    Start,
    Confirm,
    /// Drift: the next source as the reference.
    Reference,
    /// Drift: the next source as the current data.
    Current,
    Export,
    /// Experiments: add or remove tags.
    Tag,
    /// Experiments: the run's note.
    Note,
    /// Experiments: the run's display name.
    Rename,
    /// Experiments: point an alias at the run.
    Alias,
    /// Experiments: archive or unarchive.
    Archive,
    /// Experiments: delete runs (to the trash).
    Delete,
    /// Undo the last delete or archive.
    Undo,
    /// Compare: every setting, or only those that differ.
    ShowAll,
    /// Label: label the rows a filter expression selects.
    Bulk,
    /// Label: the next queue order.
    Order,
    /// Label: the label column and classes.
    Setup,
    /// Experiments: the pipeline runs' history.
    Pipeline,
    Screen(u8),
}

impl Action {
    /// `(config name, action, description)` for every action, in help order.
    pub fn all() -> Vec<(String, Action, &'static str)> {
        let mut v: Vec<(String, Action, &'static str)> = vec![
            ("help".into(), Self::Help, "show or hide this help"),
            ("quit".into(), Self::Quit, "quit lathe"),
            ("close".into(), Self::Close, "close dialog, help, picker"),
            ("open".into(), Self::Open, "open a data file (file picker)"),
            ("up".into(), Self::Up, "move up"),
            ("down".into(), Self::Down, "move down"),
            ("left".into(), Self::Left, "previous column"),
            ("right".into(), Self::Right, "next column"),
            ("page_up".into(), Self::PageUp, "one page up"),
            ("page_down".into(), Self::PageDown, "one page down"),
            ("top".into(), Self::Top, "first row"),
            ("bottom".into(), Self::Bottom, "last row"),
            ("focus_next".into(), Self::FocusNext, "next pane"),
            ("focus_prev".into(), Self::FocusPrev, "previous pane"),
            (
                "sort".into(),
                Self::Sort,
                "sort by column (again: desc, off)",
            ),
            ("search".into(), Self::Search, "search the rows for text"),
            ("search_next".into(), Self::SearchNext, "next search match"),
            ("jump".into(), Self::Jump, "jump to a row number"),
            (
                "set_type".into(),
                Self::SetType,
                "set the column's type (reloads)",
            ),
            ("cancel".into(), Self::Cancel, "cancel the running job"),
            ("init_project".into(), Self::InitProject, "new project here"),
            ("edit".into(), Self::Edit, "type a value; zoom"),
            ("toggle".into(), Self::Toggle, "tick or untick"),
            ("start".into(), Self::Start, "start train/drift"),
            ("confirm".into(), Self::Confirm, "yes, to a question"),
            // Help lines fit the 18 characters of the second column at 80×24.
            ("reference".into(), Self::Reference, "next ref; base run"),
            ("current".into(), Self::Current, "next current"),
            ("export".into(), Self::Export, "export results"),
            ("tag".into(), Self::Tag, "tag runs"),
            ("note".into(), Self::Note, "the run's note"),
            ("rename".into(), Self::Rename, "name the run"),
            ("alias".into(), Self::Alias, "set an alias"),
            ("archive".into(), Self::Archive, "archive/unarchive"),
            ("delete".into(), Self::Delete, "delete runs"),
            ("undo".into(), Self::Undo, "undo label/delete"),
            ("show_all".into(), Self::ShowAll, "all settings/diffs"),
            ("bulk".into(), Self::Bulk, "bulk label (expr)"),
            ("order".into(), Self::Order, "label queue order"),
            ("setup".into(), Self::Setup, "label col/classes"),
            ("pipeline".into(), Self::Pipeline, "pipeline runs"),
        ];
        for i in 1..=6u8 {
            v.push((format!("screen_{i}"), Self::Screen(i), "go to screen"));
        }
        v
    }
}

/// A key with its modifiers, as written in keymap files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` restricted to what keymaps use, orderable for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: [(&str, KeyCode); 12] = [
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
];

impl Key {
    pub fn parse(s: &str) -> Option<Self> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = if rest.chars().count() == 1 {
            KeyCodeOrd::Char(rest.chars().next()?)
        } else if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            KeyCodeOrd::F(n)
        } else if rest == "backspace" {
            KeyCodeOrd::Named("backspace")
        } else if rest == "space" {
            KeyCodeOrd::Char(' ')
        } else {
            KeyCodeOrd::Named(NAMED.iter().find(|(n, _)| *n == rest)?.0)
        };
        Some(Self { code, ctrl, alt })
    }

    pub fn from_event(e: &KeyEvent) -> Option<Self> {
        let code = match e.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Backspace => KeyCodeOrd::Named("backspace"),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, c)| *c == other)?.0),
        };
        Some(Self {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// As shown in help and the status bar: `Ctrl-c`, `Alt-1`, `F1`, `PgDn`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "Space".to_owned(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::F(n) => format!("F{n}"),
            KeyCodeOrd::Named(n) => match n {
                "up" => "↑".into(),
                "down" => "↓".into(),
                "left" => "←".into(),
                "right" => "→".into(),
                "pageup" => "PgUp".into(),
                "pagedown" => "PgDn".into(),
                "backtab" => "Shift-Tab".into(),
                other => {
                    let mut c = other.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
            },
        };
        let mut s = String::new();
        if self.ctrl {
            s.push_str("Ctrl-");
        }
        if self.alt {
            s.push_str("Alt-");
        }
        s + &base
    }
}

/// The resolved keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: BTreeMap<Key, Action>,
    by_action: BTreeMap<Action, Vec<Key>>,
}

impl Keymap {
    /// The default map with the user's file (if any) over it.
    pub fn load(user_file: Option<&Path>) -> Result<Self> {
        let builtin = Path::new("keymap.toml (built in)");
        // Each action's keys, with the file that gave them (for errors).
        let mut spec: BTreeMap<String, (Vec<String>, &Path)> = parse(builtin, DEFAULT)?
            .into_iter()
            .map(|(name, keys)| (name, (keys, builtin)))
            .collect();
        if let Some(path) = user_file.filter(|p| p.is_file()) {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
            for (name, keys) in parse(path, &text)? {
                spec.insert(name, (keys, path));
            }
        }
        let names = Action::all();
        let mut by_key: BTreeMap<Key, (Action, &str)> = BTreeMap::new();
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for (name, (keys, from)) in &spec {
            let Some((_, action, _)) = names.iter().find(|(n, _, _)| n == name) else {
                return Err(
                    Error::config(format!("unknown action '{name}' in the keymap"))
                        .at(*from)
                        .field(name),
                );
            };
            for k in keys {
                let key = Key::parse(k).ok_or_else(|| {
                    Error::config(format!("'{k}' is not a key name"))
                        .at(*from)
                        .field(name)
                })?;
                if let Some((_, other)) = by_key.insert(key, (*action, name)) {
                    return Err(Error::config(format!(
                        "key '{k}' is bound to both '{other}' and '{name}'"
                    ))
                    .at(*from)
                    .hint(format!("remove it from one of them in {}", from.display())));
                }
                by_action.entry(*action).or_default().push(key);
            }
        }
        let by_key = by_key.into_iter().map(|(k, (a, _))| (k, a)).collect();
        Ok(Self { by_key, by_action })
    }

    pub fn action(&self, e: &KeyEvent) -> Option<Action> {
        let mut key = Key::from_event(e)?;
        // Terminals report Shift+g as 'G' with SHIFT; the map says "G".
        if let KeyCodeOrd::Char(_) = key.code {
            key.ctrl &= e.modifiers.contains(KeyModifiers::CONTROL);
        }
        self.by_key.get(&key).copied()
    }

    /// The keys of an action, labelled, e.g. `["q", "Ctrl-c"]`.
    pub fn keys(&self, action: Action) -> Vec<String> {
        self.by_action
            .get(&action)
            .map(|ks| ks.iter().map(Key::label).collect())
            .unwrap_or_default()
    }

    /// The first key of an action, for the status bar.
    pub fn first(&self, action: Action) -> Option<String> {
        self.keys(action).into_iter().next()
    }
}

fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, Vec<String>>> {
    toml::from_str(text).map_err(|e| toml_error(path, text, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_binds_every_action() {
        let k = Keymap::load(None).unwrap();
        for (name, action, _) in Action::all() {
            assert!(!k.keys(action).is_empty(), "{name} has no key");
        }
        let alt1 = KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT);
        assert_eq!(k.action(&alt1), Some(Action::Screen(1)));
        let plain1 = KeyEvent::new(KeyCode::Char('1'), KeyModifiers::NONE);
        assert_eq!(k.action(&plain1), None, "plain digits stay free");
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(k.action(&big_g), Some(Action::Bottom));
    }

    #[test]
    fn user_file_rebinds_and_unknown_action_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keymap.toml");
        std::fs::write(&p, "quit = [\"ctrl-q\"]\n").unwrap();
        let k = Keymap::load(Some(&p)).unwrap();
        assert_eq!(k.keys(Action::Quit), vec!["Ctrl-q"]);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(k.action(&q), None);
        std::fs::write(&p, "launch = [\"z\"]\n").unwrap();
        assert!(
            Keymap::load(Some(&p))
                .unwrap_err()
                .message
                .contains("launch")
        );
    }
}
