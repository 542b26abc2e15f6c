//! One-line text fields: the keys every field shares.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    /// The text changed (or the key meant nothing here).
    Editing,
    /// Esc: leave the field, keep nothing.
    Cancel,
    /// Enter: the text is done.
    Submit,
}

/// Apply `key` to `text`: characters append, Backspace deletes, Esc and Enter end.
pub fn edit(text: &mut String, key: &KeyEvent) -> Typed {
    match key.code {
        KeyCode::Esc => Typed::Cancel,
        KeyCode::Enter => Typed::Submit,
        KeyCode::Backspace => {
            text.pop();
            Typed::Editing
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            text.push(c);
            Typed::Editing
        }
        _ => Typed::Editing,
    }
}
