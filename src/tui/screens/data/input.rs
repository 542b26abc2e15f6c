//! Text fields of the Data screen: search, jump to a row, a column's type.

use crossterm::event::KeyEvent;

use crate::tui::text::Typed;

use super::{DataScreen, InputKind};
use crate::data::LogicalType;

impl DataScreen {
    /// A key while a text field has focus.
    pub fn type_key(&mut self, key: KeyEvent) {
        let Some((kind, text)) = &mut self.input else {
            return;
        };
        match crate::tui::text::edit(text, &key) {
            Typed::Cancel => self.input = None,
            Typed::Editing => {}
            Typed::Submit => {
                let (kind, text) = (*kind, text.clone());
                self.input = None;
                match kind {
                    InputKind::Search if !text.is_empty() => {
                        self.search = Some(text);
                        self.start_search();
                    }
                    InputKind::Jump => match text.trim().replace('_', "").parse::<usize>() {
                        Ok(n) if n >= 1 => {
                            self.row = n - 1;
                            self.clamp();
                        }
                        _ => self.status = format!("'{text}' is not a row number"),
                    },
                    InputKind::Search => {}
                    InputKind::Type => self.set_type(&text),
                }
            }
        }
    }

    /// Override the selected column's type and reload the file with it.
    fn set_type(&mut self, text: &str) {
        let ty: LogicalType = match text.trim().parse() {
            Ok(t) => t,
            Err(e) => {
                self.status = e;
                return;
            }
        };
        let (Some(path), Some(name)) = (self.path.clone(), self.column_name(self.col)) else {
            return;
        };
        self.overrides
            .entry(path.clone())
            .or_default()
            .insert(name.clone(), ty);
        self.trying = Some((path.clone(), name.clone()));
        let (row, col) = (self.row, self.col);
        let project = self.project.clone();
        self.open(path, project.as_ref());
        self.status = format!("reading '{name}' as {ty}");
        // Reopening the same file keeps the place.
        self.keep = Some((row, col));
    }

    /// The name of column `i` of the frame on screen.
    pub fn column_name(&self, i: usize) -> Option<String> {
        self.frame()?
            .get_column_names()
            .get(i)
            .map(|n| n.to_string())
    }
}
