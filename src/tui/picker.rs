//! The file picker: recent files and project sources first, then the folder
//! being browsed (folders first). Enter opens a file or enters a folder,
//! Backspace goes to the parent folder.

use std::path::{Path, PathBuf};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState};

use super::keymap::Action;
use super::theme::Theme;
use crate::config::Recent;
use crate::error::{Error, Result};
use crate::project::Project;

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    Source,
    Recent,
    /// A recently used project folder: choosing it switches project.
    Project,
    Parent,
    Dir,
    File,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub label: String,
    pub path: PathBuf,
    pub kind: EntryKind,
}

/// What Enter chose.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    File(PathBuf),
    Project(PathBuf),
}

pub struct Picker {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    pub selected: usize,
    pinned: Vec<Entry>,
}

const DATA_EXT: [&str; 10] = [
    "csv", "tsv", "txt", "gz", "parquet", "pq", "json", "ndjson", "jsonl", "arrow",
];

impl Picker {
    pub fn new(start: Option<PathBuf>, recent: &Recent, project: Option<&Project>) -> Result<Self> {
        let mut pinned = Vec::new();
        if let Some(p) = project {
            for s in &p.file.sources {
                pinned.push(Entry {
                    label: format!("{}  ({})", s.name, s.path.display()),
                    path: p.resolve(&s.path),
                    kind: EntryKind::Source,
                });
            }
        }
        let current = project.and_then(|p| p.root.canonicalize().ok());
        for root in recent
            .projects
            .iter()
            .filter(|r| r.join(crate::project::PROJECT_FILE).is_file())
            .filter(|r| r.canonicalize().ok() != current)
            .take(5)
        {
            pinned.push(Entry {
                label: format!("{}/", root.display()),
                path: root.clone(),
                kind: EntryKind::Project,
            });
        }
        for f in recent.files.iter().filter(|f| f.is_file()).take(5) {
            pinned.push(Entry {
                label: f.display().to_string(),
                path: f.clone(),
                kind: EntryKind::Recent,
            });
        }
        let dir = match start {
            Some(d) => d,
            None => std::env::current_dir().map_err(|e| Error::io(Path::new("."), &e))?,
        };
        let mut p = Self {
            dir: PathBuf::new(),
            entries: Vec::new(),
            selected: 0,
            pinned,
        };
        p.browse(&dir)?;
        Ok(p)
    }

    fn browse(&mut self, dir: &Path) -> Result<()> {
        let read = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        for entry in read.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                dirs.push(Entry {
                    label: format!("{name}/"),
                    path,
                    kind: EntryKind::Dir,
                });
            } else {
                let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
                if DATA_EXT.contains(&ext.as_str()) {
                    files.push(Entry {
                        label: name,
                        path,
                        kind: EntryKind::File,
                    });
                }
            }
        }
        dirs.sort_by(|a, b| a.label.cmp(&b.label));
        files.sort_by(|a, b| a.label.cmp(&b.label));
        let mut entries = self.pinned.clone();
        if let Some(parent) = dir.parent() {
            entries.push(Entry {
                label: "../".into(),
                path: parent.to_owned(),
                kind: EntryKind::Parent,
            });
        }
        entries.extend(dirs);
        entries.extend(files);
        self.entries = entries;
        self.dir = dir.to_owned();
        self.selected = self.selected.min(self.entries.len().saturating_sub(1));
        Ok(())
    }

    pub fn action(&mut self, a: Action) {
        let last = self.entries.len().saturating_sub(1);
        self.selected = match a {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(10),
            Action::PageDown => (self.selected + 10).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => self.selected,
        };
    }

    /// Enter on the selection: a file is returned to open; a folder is entered.
    pub fn enter(&mut self) -> Result<Option<Pick>> {
        let Some(e) = self.entries.get(self.selected).cloned() else {
            return Ok(None);
        };
        match e.kind {
            EntryKind::Dir | EntryKind::Parent => {
                self.selected = self.pinned.len();
                self.browse(&e.path)?;
                Ok(None)
            }
            EntryKind::Project => Ok(Some(Pick::Project(e.path))),
            _ => Ok(Some(Pick::File(e.path))),
        }
    }

    pub fn up(&mut self) {
        if let Some(parent) = self.dir.parent().map(Path::to_owned) {
            let _ = self.browse(&parent);
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        f.render_widget(Clear, area);
        let items: Vec<ListItem> = self
            .entries
            .iter()
            .map(|e| {
                let (tag, role) = match e.kind {
                    EntryKind::Source => ("source ", "status.ok"),
                    EntryKind::Recent => ("recent ", "dim"),
                    EntryKind::Project => ("project", "header"),
                    EntryKind::Parent | EntryKind::Dir => ("       ", "title"),
                    EntryKind::File => ("       ", "text"),
                };
                ListItem::new(Line::from(vec![
                    Span::styled(tag, theme.style("dim")),
                    Span::styled(e.label.clone(), theme.style(role)),
                ]))
            })
            .collect();
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(
                format!(" Open: {} ", self.dir.display()),
                theme.style("title"),
            ))
            .title_bottom(" Enter open · Backspace parent folder · Esc close ")
            .style(theme.style("dialog"))
            .border_style(theme.style("border.focus"));
        let list = List::new(items)
            .block(block)
            .highlight_style(theme.style("selection"));
        let mut state = ListState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(list, area, &mut state);
    }
}
