//! The Label screen: one row at a time as a card, a class key labels it and
//! moves on. Every label is in the journal (fsynced) before the card says
//! "saved". The quick model refits in the background as labels come in and
//! never holds up a key; bulk labelling by expression asks before it writes.

mod jobs;
mod render;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::label::expr::Filter;
use crate::label::queue::{self, Order};
use crate::label::suggest::Suggestions;
use crate::label::{LabelKind, Labeling, Source};
use crate::project::Project;
use crate::tui::event::Event;
use crate::tui::keymap::Action;
use crate::tui::text::Typed;

use jobs::ColumnStats;
pub use jobs::{Opened, column_stats};

/// Refit the quick model after this many new labels.
const REFIT_EVERY: u64 = 20;

/// Which text field has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: a filter expression or a row key; jumps to the next match.
    Find,
    /// Bulk: a filter expression selecting rows to label.
    Bulk,
    /// A number label (regression).
    Number,
    /// Label setup: `COLUMN: class1, class2`.
    Setup,
}

/// A bulk action waiting for its class and a yes.
#[derive(Debug, Clone)]
pub struct Bulk {
    pub filter: String,
    pub rows: Vec<usize>,
    pub class: Option<String>,
}

pub struct LabelScreen {
    wake: Sender<Event>,
    pub project: Option<Project>,
    pub session: Option<Labeling>,
    pub stats: Vec<ColumnStats>,
    opening: Option<Receiver<Result<Opened>>>,
    pub queue: Vec<u32>,
    /// Position of the card in `queue`.
    pub pos: usize,
    pub order: Order,
    pub seed: u64,
    pub suggestions: Option<Arc<Suggestions>>,
    raw: Option<Arc<crate::train::features::RawTable>>,
    refit: Option<(Receiver<Result<Suggestions>>, CancelToken)>,
    /// Journal position the model was last fitted at.
    fitted_at: Option<u64>,
    /// The model orders were rebuilt: the next card is the first unlabelled.
    restart_next: bool,
    pub context: bool,
    pub input: Option<(InputKind, String)>,
    pub bulk: Option<Bulk>,
    pub status: String,
    /// The last label written and fsynced, as shown on the card.
    pub saved: Option<String>,
    started: Instant,
    pub session_labels: usize,
    /// How long opening the dataset took (load, keys, journal, summaries).
    pub opened_in: Option<std::time::Duration>,
    /// The file open on the Data screen when the screen came on show.
    data_path: Option<std::path::PathBuf>,
}

impl LabelScreen {
    pub fn new(wake: Sender<Event>) -> Self {
        Self {
            wake,
            project: None,
            session: None,
            stats: Vec::new(),
            opening: None,
            queue: Vec::new(),
            pos: 0,
            order: Order::File,
            seed: 42,
            suggestions: None,
            raw: None,
            refit: None,
            fitted_at: None,
            restart_next: false,
            context: false,
            input: None,
            bulk: None,
            status: String::new(),
            saved: None,
            started: Instant::now(),
            session_labels: 0,
            data_path: None,
            opened_in: None,
        }
    }

    pub fn set_project(&mut self, p: &Project) {
        let wake = self.wake.clone();
        *self = Self::new(wake);
        self.project = Some(p.clone());
    }

    pub fn busy(&self) -> bool {
        self.opening.is_some() || self.refit.is_some()
    }

    pub fn typing(&self) -> bool {
        self.input.is_some()
    }

    /// The screen comes on show: open the project's label set once.
    pub fn enter(&mut self, data_path: Option<&std::path::Path>) {
        self.data_path = data_path.map(std::path::Path::to_path_buf);
        if self.session.is_some() || self.opening.is_some() {
            return;
        }
        let Some(p) = &self.project else { return };
        if p.file.label.is_none() && data_path.is_none() {
            self.status = "no [label] section in lathe.toml and no file open: open a file on the Data screen, then C here".into();
            return;
        }
        if p.file.label.is_some() {
            self.open(crate::label::LabelChoice::default());
        } else if let Some(path) = data_path {
            let saved = crate::label::set::LabelSet::path(
                p,
                &crate::label::set::dataset_name(
                    &path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
            );
            if saved.exists() {
                self.open(crate::label::LabelChoice {
                    data: Some(path.to_path_buf()),
                    ..Default::default()
                });
            } else {
                self.status = format!(
                    "press C to choose the label column of {} (and its classes)",
                    path.display()
                );
            }
        }
    }

    fn open(&mut self, choice: crate::label::LabelChoice) {
        let Some(p) = self.project.clone() else {
            return;
        };
        self.status = "opening the labels…".into();
        self.opening = Some(jobs::open(p, choice, self.wake.clone()));
    }

    /// Collect background results; an error to show.
    pub fn poll(&mut self) -> Option<Error> {
        if let Some(rx) = &self.opening
            && let Ok(r) = rx.try_recv()
        {
            self.opening = None;
            match r {
                Ok(o) => self.opened(o),
                Err(e) => {
                    self.status = "could not open the labels".into();
                    return Some(e);
                }
            }
        }
        if let Some((rx, _)) = &self.refit
            && let Ok(r) = rx.try_recv()
        {
            self.refit = None;
            match r {
                Ok(s) => {
                    self.suggestions = Some(Arc::new(s));
                    if self.order.needs_model() {
                        self.rebuild_queue(true);
                    }
                }
                // Too few labels yet, or cancelled: the card just has no proposal.
                Err(e) => {
                    if self.order.needs_model() {
                        self.status = e.message.clone();
                    }
                }
            }
        }
        None
    }

    fn opened(&mut self, o: Opened) {
        let warnings = o.session.journal.warnings.clone();
        // A new label set (other classes, another file): the old model does not apply.
        if let Some((_, c)) = self.refit.take() {
            c.cancel();
        }
        self.suggestions = None;
        self.fitted_at = None;
        self.stats = o.stats;
        self.raw = o.raw.map(Arc::new);
        self.session = Some(o.session);
        self.rebuild_queue(false);
        self.opened_in = Some(o.took);
        // Without news the bottom line shows the keys.
        self.status = warnings
            .first()
            .map(|w| format!("warning: {w}"))
            .unwrap_or_default();
        self.maybe_refit();
    }

    /// The row on the card.
    pub fn row(&self) -> Option<usize> {
        self.queue.get(self.pos).map(|&r| r as usize)
    }

    /// Build the queue of the current order. With `keep_card` (a background
    /// refit) the card on show stays; else the first unlabelled row comes up.
    fn rebuild_queue(&mut self, keep_card: bool) {
        let Some(s) = &self.session else { return };
        let current = self.row();
        self.queue = queue::build(self.order, s, self.seed, self.suggestions.as_deref());
        if keep_card {
            self.pos = current
                .and_then(|r| self.queue.iter().position(|&q| q as usize == r))
                .unwrap_or(0);
            self.restart_next = self.order == Order::Uncertain;
        } else {
            let first_open = self
                .queue
                .first()
                .is_some_and(|&r| !s.is_labelled(r as usize));
            self.pos = if first_open || self.order == Order::Review {
                0
            } else {
                s.next_unlabelled(&self.queue, 0).unwrap_or(0)
            };
            self.restart_next = false;
        }
        if self.order == Order::Review && self.queue.is_empty() {
            self.status = "review: the model does not strongly disagree with any label".into();
        }
    }

    /// Start a refit when enough new labels came in (and none is running).
    fn maybe_refit(&mut self) {
        let (Some(s), Some(raw)) = (&self.session, &self.raw) else {
            return;
        };
        if s.set.kind != LabelKind::Classification || self.refit.is_some() {
            return;
        }
        let now = s.journal.position();
        if self.fitted_at.is_some_and(|at| now < at + REFIT_EVERY) {
            return;
        }
        let labelled = s.labelled_classes();
        self.fitted_at = Some(now);
        let cancel = CancelToken::new();
        let rx = jobs::refit(
            Arc::clone(raw),
            labelled,
            s.set.classes.len(),
            cancel.clone(),
            self.wake.clone(),
        );
        self.refit = Some((rx, cancel));
    }

    /// Move to the next card: the next unlabelled one in the queue.
    fn advance(&mut self) {
        let Some(s) = &self.session else { return };
        let from = if std::mem::take(&mut self.restart_next) {
            self.queue.len().saturating_sub(1)
        } else {
            self.pos
        };
        match s.next_unlabelled(&self.queue, from) {
            Some(i) => self.pos = i,
            None => {
                self.pos = (self.pos + 1).min(self.queue.len().saturating_sub(1));
                self.status = "every row in this order is labelled".into();
            }
        }
    }

    /// Label the card's row and move on.
    fn label_card(&mut self, label: &str, source: Source) -> Result<()> {
        let Some(row) = self.row() else { return Ok(()) };
        let Some(s) = &mut self.session else {
            return Ok(());
        };
        s.set_rows(&[row], Some(label), source)?;
        self.session_labels += 1;
        self.saved = Some(format!("row {} → '{label}' saved", row + 1));
        self.advance();
        self.maybe_refit();
        Ok(())
    }

    /// A key the keymap does not know: class keys 1–9.
    pub fn raw_key(&mut self, key: &KeyEvent) -> Option<Result<()>> {
        let KeyCode::Char(c @ '1'..='9') = key.code else {
            return None;
        };
        if key
            .modifiers
            .intersects(KeyModifiers::ALT | KeyModifiers::CONTROL)
        {
            return None;
        }
        let s = self.session.as_ref()?;
        let class = match s.set.class_of_key(c as u8 - b'0') {
            Ok(i) => s.set.classes[i].clone(),
            Err(e) => return Some(Err(e)),
        };
        if let Some(b) = &mut self.bulk {
            b.class = Some(class);
            return Some(Ok(()));
        }
        Some(self.label_card(&class, Source::Manual))
    }

    pub fn action(&mut self, a: Action) -> Result<()> {
        if self.bulk.is_some() {
            return self.bulk_action(a);
        }
        let n = self.queue.len();
        match a {
            Action::Down => self.pos = (self.pos + 1).min(n.saturating_sub(1)),
            Action::Up => self.pos = self.pos.saturating_sub(1),
            Action::PageDown => self.pos = (self.pos + 10).min(n.saturating_sub(1)),
            Action::PageUp => self.pos = self.pos.saturating_sub(10),
            Action::Top => self.pos = 0,
            Action::Bottom => self.pos = n.saturating_sub(1),
            // s: skip this card.
            Action::Sort => self.pos = (self.pos + 1) % n.max(1),
            // n: the next unlabelled row.
            Action::SearchNext => self.advance(),
            Action::Search => self.input = Some((InputKind::Find, String::new())),
            Action::Bulk if self.session.is_some() => {
                self.input = Some((InputKind::Bulk, String::new()));
            }
            Action::Setup => {
                let text = self.session.as_ref().map_or_else(String::new, |s| {
                    format!("{}: {}", s.set.target, s.set.classes.join(", "))
                });
                self.input = Some((InputKind::Setup, text));
            }
            Action::ShowAll => self.context = !self.context,
            Action::Order => {
                self.order = self.order.next();
                self.rebuild_queue(false);
                if self.order.needs_model() && self.suggestions.is_none() {
                    self.status = format!(
                        "{}: waiting for the model (it needs two labelled rows of two classes)",
                        self.order.name()
                    );
                    self.fitted_at = None;
                    self.maybe_refit();
                } else {
                    self.status = format!("order: {}", self.order.name());
                }
            }
            Action::Start => {
                self.fitted_at = None;
                self.maybe_refit();
                self.status = "refitting the suggestion model in the background".into();
            }
            Action::Cancel => {
                if let Some((_, c)) = self.refit.take() {
                    c.cancel();
                    self.status = "model refit cancelled".into();
                }
            }
            Action::Edit => self.accept_or_type()?,
            Action::Undo => self.undo()?,
            _ => {}
        }
        Ok(())
    }

    fn accept_or_type(&mut self) -> Result<()> {
        let Some(s) = &self.session else {
            return Ok(());
        };
        if s.set.kind == LabelKind::Regression {
            self.input = Some((InputKind::Number, String::new()));
            return Ok(());
        }
        let Some(row) = self.row() else { return Ok(()) };
        let proposal = self
            .suggestions
            .as_ref()
            .and_then(|p| p.class.get(row))
            .and_then(|&c| s.set.classes.get(c as usize).cloned());
        match proposal {
            Some(c) => self.label_card(&c, Source::AcceptedSuggestion),
            None => {
                self.status = "no proposal yet: the model needs labels of two classes".into();
                Ok(())
            }
        }
    }

    fn undo(&mut self) -> Result<()> {
        let Some(s) = &mut self.session else {
            return Ok(());
        };
        match s.undo()? {
            Some((source, rows)) => {
                self.status = format!("undid a {} label of {} row(s)", source.name(), rows.len());
                // Back to the card that was labelled, when it was one card.
                if let [r] = rows[..]
                    && let Some(i) = self.queue.iter().position(|&q| q as usize == r)
                {
                    self.pos = i;
                }
                self.saved = None;
            }
            None => self.status = "nothing to undo".into(),
        }
        Ok(())
    }

    fn bulk_action(&mut self, a: Action) -> Result<()> {
        match a {
            Action::Close => {
                self.bulk = None;
                self.status = "bulk labelling cancelled".into();
            }
            Action::Confirm | Action::Edit => {
                let Some(b) = self.bulk.clone() else {
                    return Ok(());
                };
                let Some(class) = b.class else {
                    self.status = "press the class key (1–9) first".into();
                    return Ok(());
                };
                let Some(s) = &mut self.session else {
                    return Ok(());
                };
                let t0 = Instant::now();
                let n = s.set_rows(&b.rows, Some(&class), Source::Bulk)?;
                self.bulk = None;
                self.status = format!(
                    "labelled {n} row(s) '{class}' in {} ms ({} already had it); u undoes it",
                    t0.elapsed().as_millis(),
                    b.rows.len() - n
                );
                self.maybe_refit();
            }
            _ => {}
        }
        Ok(())
    }

    /// A key while a text field has focus.
    pub fn type_key(&mut self, key: KeyEvent) -> Result<()> {
        let Some((kind, text)) = &mut self.input else {
            return Ok(());
        };
        match crate::tui::text::edit(text, &key) {
            Typed::Cancel => self.input = None,
            Typed::Editing => {}
            Typed::Submit => {
                let (kind, text) = (*kind, text.trim().to_owned());
                self.input = None;
                self.submit(kind, &text)?;
            }
        }
        Ok(())
    }

    fn submit(&mut self, kind: InputKind, text: &str) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        match kind {
            InputKind::Number => self.label_card(text, Source::Manual),
            InputKind::Setup => self.setup(text),
            InputKind::Bulk => {
                let Some(s) = &self.session else {
                    return Ok(());
                };
                let rows = Filter::new(text, &s.frame)?.rows(&s.frame)?;
                if rows.is_empty() {
                    self.status = format!("no row matches {text}");
                    return Ok(());
                }
                self.bulk = Some(Bulk {
                    filter: text.to_owned(),
                    rows,
                    class: None,
                });
                Ok(())
            }
            InputKind::Find => {
                let Some(s) = &self.session else {
                    return Ok(());
                };
                let hit = if let Some(r) = s.keys.row(text) {
                    Some(r)
                } else {
                    let rows = Filter::new(text, &s.frame)?.rows(&s.frame)?;
                    let set: std::collections::HashSet<usize> = rows.into_iter().collect();
                    let n = self.queue.len();
                    (1..=n)
                        .map(|d| self.queue[(self.pos + d) % n] as usize)
                        .find(|r| set.contains(r))
                };
                match hit.and_then(|r| self.queue.iter().position(|&q| q as usize == r)) {
                    Some(i) => {
                        self.pos = i;
                        self.status = format!("found row {}", self.queue[i] + 1);
                    }
                    None => self.status = format!("no row in this order matches {text}"),
                }
                Ok(())
            }
        }
    }

    /// `COLUMN: a, b, c` (classes optional; `COLUMN: #` for numbers).
    fn setup(&mut self, text: &str) -> Result<()> {
        let (target, classes) = match text.split_once(':') {
            Some((t, c)) => (t.trim(), Some(c.trim())),
            None => (text.trim(), None),
        };
        let mut choice = crate::label::LabelChoice {
            target: Some(target.to_owned()),
            ..Default::default()
        };
        match classes {
            Some("#") => choice.kind = Some(LabelKind::Regression),
            Some(c) if !c.is_empty() => {
                choice.classes = Some(c.split(',').map(|s| s.trim().to_owned()).collect());
                choice.kind = Some(LabelKind::Classification);
            }
            _ => {}
        }
        choice.data = match (&self.session, &self.project) {
            (Some(s), Some(p)) => Some(s.set.data_path(p)),
            _ => self.data_path.clone(),
        };
        self.open(choice);
        Ok(())
    }
}
