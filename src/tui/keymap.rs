//! Keys → actions, as data. The default map is `keymap.toml` (embedded);
//! the user's `keymap.toml` replaces the keys of the actions it names.
//! A binding is one key or a short sequence (`' 3`: a prefix, then a digit).
//! The help overlay, the tab bar and the key bar are generated from the map,
//! so they cannot drift from behaviour.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Experiments: explain the run (SHAP values, global and per row).
    Explain,
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
            ("explain".into(), Self::Explain, "explain run (SHAP)"),
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

/// A binding's keys as shown: `'3` for a prefix and a digit, `Ctrl-g 3` when
/// a key's name is longer than one character.
pub fn label(keys: &[Key]) -> String {
    let labels: Vec<String> = keys.iter().map(Key::label).collect();
    if labels.iter().all(|l| l.chars().count() == 1) {
        labels.concat()
    } else {
        labels.join(" ")
    }
}

/// A binding as written in keymap files: keys separated by spaces, pressed
/// one after the other (`"' 3"`); most bindings are one key.
fn parse_binding(s: &str) -> Option<Vec<Key>> {
    let keys: Vec<Key> = s
        .split_whitespace()
        .map(Key::parse)
        .collect::<Option<_>>()?;
    (!keys.is_empty()).then_some(keys)
}

/// What the keys pressed so far mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// The start of a longer binding: wait for the next key.
    Prefix,
    None,
}

/// The resolved keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_keys: BTreeMap<Vec<Key>, Action>,
    /// Every proper start of a binding of two or more keys.
    prefixes: BTreeSet<Vec<Key>>,
    by_action: BTreeMap<Action, Vec<Vec<Key>>>,
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
        let mut by_keys: BTreeMap<Vec<Key>, (Action, &str, &Path)> = BTreeMap::new();
        let mut by_action: BTreeMap<Action, Vec<Vec<Key>>> = BTreeMap::new();
        for (name, (keys, from)) in &spec {
            let Some((_, action, _)) = names.iter().find(|(n, _, _)| n == name) else {
                return Err(
                    Error::config(format!("unknown action '{name}' in the keymap"))
                        .at(*from)
                        .field(name),
                );
            };
            for k in keys {
                let binding = parse_binding(k).ok_or_else(|| {
                    Error::config(format!("'{k}' is not a key name"))
                        .at(*from)
                        .field(name)
                })?;
                if let Some((_, other, _)) = by_keys.insert(binding.clone(), (*action, name, from))
                {
                    return Err(Error::config(format!(
                        "key '{k}' is bound to both '{other}' and '{name}'"
                    ))
                    .at(*from)
                    .hint(format!("remove it from one of them in {}", from.display())));
                }
                by_action.entry(*action).or_default().push(binding);
            }
        }
        // A key that does something cannot also wait for a second key.
        let mut prefixes = BTreeSet::new();
        for (binding, (_, name, from)) in &by_keys {
            for n in 1..binding.len() {
                let start = &binding[..n];
                if let Some((_, other, _)) = by_keys.get(start) {
                    return Err(Error::config(format!(
                        "'{}' of '{name}' starts with '{}', which is bound to '{other}'",
                        label(binding),
                        label(start)
                    ))
                    .at(*from)
                    .hint("bind the longer sequence to a key that does nothing on its own"));
                }
                prefixes.insert(start.to_vec());
            }
        }
        let by_keys = by_keys.into_iter().map(|(k, (a, _, _))| (k, a)).collect();
        Ok(Self {
            by_keys,
            prefixes,
            by_action,
        })
    }

    /// The action of one key on its own.
    pub fn action(&self, e: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(e)?;
        self.by_keys.get(std::slice::from_ref(&key)).copied()
    }

    /// What `keys`, pressed one after the other, mean.
    pub fn lookup(&self, keys: &[Key]) -> Lookup {
        if let Some(a) = self.by_keys.get(keys) {
            Lookup::Action(*a)
        } else if self.prefixes.contains(keys) {
            Lookup::Prefix
        } else {
            Lookup::None
        }
    }

    /// Every binding of an action, in the keymap's order.
    pub fn bindings(&self, action: Action) -> &[Vec<Key>] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The bindings that continue `start`, with their actions (for the key bar
    /// while a prefix waits).
    pub fn continuations(&self, start: &[Key]) -> Vec<(&[Key], Action)> {
        self.by_keys
            .iter()
            .filter(|(k, _)| k.len() > start.len() && k.starts_with(start))
            .map(|(k, a)| (&k[start.len()..], *a))
            .collect()
    }

    /// The keys of an action, labelled, e.g. `["q", "Ctrl-c"]`.
    pub fn keys(&self, action: Action) -> Vec<String> {
        self.keys_where(action, |_| true)
    }

    /// The keys of an action that `keep` accepts, labelled.
    pub fn keys_where(&self, action: Action, keep: impl Fn(&[Key]) -> bool) -> Vec<String> {
        self.bindings(action)
            .iter()
            .filter(|b| keep(b))
            .map(|b| label(b))
            .collect()
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
        let plain3 = KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE);
        assert_eq!(k.action(&plain3), Some(Action::Screen(3)));
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(k.action(&big_g), Some(Action::Bottom));
        assert_eq!(k.keys(Action::Screen(3)), vec!["3", "F3", "Alt-3", "'3"]);
    }

    #[test]
    fn a_sequence_waits_for_its_second_key() {
        let k = Keymap::load(None).unwrap();
        let quote = Key::parse("'").unwrap();
        let three = Key::parse("3").unwrap();
        let j = Key::parse("j").unwrap();
        assert_eq!(k.lookup(&[quote]), Lookup::Prefix);
        assert_eq!(k.lookup(&[quote, three]), Lookup::Action(Action::Screen(3)));
        assert_eq!(k.lookup(&[quote, j]), Lookup::None);
        let after: Vec<String> = k
            .continuations(&[quote])
            .iter()
            .map(|(rest, _)| label(rest))
            .collect();
        assert_eq!(after, vec!["1", "2", "3", "4", "5", "6"]);
        assert_eq!(
            label(&parse_binding("ctrl-g 3").unwrap()),
            "Ctrl-g 3",
            "long names keep the space"
        );
    }

    #[test]
    fn a_key_bound_alone_cannot_start_a_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keymap.toml");
        std::fs::write(&p, "screen_3 = [\"g 3\"]\n").unwrap();
        let e = Keymap::load(Some(&p)).unwrap_err();
        assert!(
            e.message.contains("'g3' of 'screen_3' starts with 'g'"),
            "{}",
            e.message
        );
        std::fs::write(&p, "screen_3 = [\"z 3\"]\nscreen_4 = [\"z z\"]\n").unwrap();
        let k = Keymap::load(Some(&p)).unwrap();
        assert_eq!(k.keys(Action::Screen(3)), vec!["z3"]);
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
