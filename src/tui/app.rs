//! The app: routes events to the active screen and the overlays, and draws.
//! State lives in the screens; the app only decides who gets an action.

use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, MouseEventKind};
use ratatui::Frame;
use ratatui::backend::Backend;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::event::Event;
use super::keymap::{Action, Key, Keymap, Lookup};
use super::picker::{Pick, Picker};
use super::screens::Screen;
use super::screens::bundles::BundlesScreen;
use super::screens::data::DataScreen;
use super::screens::drift::DriftScreen;
use super::screens::experiments::{self, ExperimentsScreen};
use super::screens::label::LabelScreen;
use super::screens::train::{Reply, TrainScreen};
use super::theme::{ColorDepth, Theme};
use crate::cli::Cli;
use crate::config::{Dirs, Recent, UserConfig};
use crate::error::{Error, Result};
use crate::project::Project;

/// Smallest terminal lathe draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// What the app is started with.
pub struct Context {
    pub theme: Theme,
    pub keymap: Keymap,
    pub dirs: Option<Dirs>,
    pub project: Option<Project>,
    /// The project is the bundled sample's copy.
    pub is_sample: bool,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Self> {
        let dirs = Dirs::from_env()?;
        let config = UserConfig::load(&dirs)?;
        let theme = Theme::load(
            &super::theme_name(cli, &config),
            Some(&dirs),
            ColorDepth::detect(),
        )?;
        let keymap = Keymap::load(Some(&dirs.keymap_file()))?;
        let (project, is_sample) = super::pick_project(cli, &dirs)?;
        Ok(Self {
            theme,
            keymap,
            dirs: Some(dirs),
            project: Some(project),
            is_sample,
        })
    }
}

/// A modal dialog with a message (errors, notices), or a question.
pub struct Dialog {
    pub title: String,
    pub body: String,
    pub error: bool,
    /// A yes/no question: yes does this.
    pub ask: Option<Ask>,
}

/// What a question dialog does when answered yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    StopTraining,
    /// Train after dropping this many rows without a target.
    DropNullTargets(usize),
    /// Train a search of this many jobs.
    LargeSearch(usize),
    /// Delete this many runs (to the trash).
    DeleteRuns(usize),
}

pub struct App {
    pub ctx: Context,
    pub data: DataScreen,
    pub label: LabelScreen,
    pub train: TrainScreen,
    pub drift: DriftScreen,
    pub experiments: ExperimentsScreen,
    pub bundles: BundlesScreen,
    /// The screen on show.
    pub screen: Screen,
    pub picker: Option<Picker>,
    pub dialog: Option<Dialog>,
    pub help: bool,
    /// First entry shown by the help overlay when it does not fit.
    pub help_scroll: usize,
    /// The keys of a sequence typed so far (`'` waiting for its digit).
    pub pending: Vec<Key>,
    pub quit: bool,
    pub recent: Recent,
}

impl App {
    pub fn new(ctx: Context, tx: Sender<Event>) -> Self {
        let recent = ctx.dirs.as_ref().map(Recent::load).unwrap_or_default();
        let mut app = Self {
            data: DataScreen::new(tx.clone()),
            label: LabelScreen::new(tx.clone()),
            train: TrainScreen::new(tx.clone()),
            drift: DriftScreen::new(tx.clone()),
            experiments: ExperimentsScreen::new().with_events(tx.clone()),
            bundles: BundlesScreen::new(tx.clone()),
            screen: Screen::Data,
            picker: None,
            dialog: None,
            help: false,
            help_scroll: 0,
            pending: Vec::new(),
            quit: false,
            recent,
            ctx,
        };
        if let Some(p) = app.ctx.project.clone() {
            app.data.set_project(&p);
            app.label.set_project(&p);
            app.train.set_project(&p);
            app.drift.set_project(&p);
            app.experiments.set_project(&p);
            app.bundles.set_project(&p);
            if !app.ctx.is_sample {
                app.remember_project(&p);
            }
        }
        app
    }

    /// The event loop: draw, wait for events, handle them all, repeat.
    pub fn run<B: Backend>(
        &mut self,
        terminal: &mut ratatui::Terminal<B>,
        rx: &Receiver<Event>,
    ) -> Result<()> {
        let draw_err = |e: B::Error| Error::internal(format!("cannot draw: {e}"));
        while !self.quit {
            terminal.draw(|f| self.render(f)).map_err(draw_err)?;
            let Ok(first) = rx.recv() else { break };
            self.handle(first);
            // Handle everything already queued before the next draw.
            while let Ok(e) = rx.try_recv() {
                self.handle(e);
                if self.quit {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Handle queued events until no job is running (for tests and scripts).
    pub fn settle(&mut self, rx: &Receiver<Event>, timeout: Duration) {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(e) => self.handle(e),
                Err(_)
                    if !self.data.busy()
                        && !self.label.busy()
                        && !self.train.busy()
                        && !self.drift.busy()
                        && !self.experiments.busy()
                        && !self.bundles.busy() =>
                {
                    return;
                }
                Err(_) => {}
            }
        }
    }

    pub fn handle(&mut self, event: Event) {
        self.dispatch(event);
        // Training reports on its own channel; any event (its wake-up ticks
        // included) drains it before the next draw.
        if let Some(e) = self.train.poll() {
            self.show_error(&e);
        }
        // So do the drift job and an export.
        if let Some(e) = self.drift.poll() {
            self.show_error(&e);
        }
        if let Some(e) = self.bundles.poll() {
            self.show_error(&e);
        }
        if let Some(e) = self.label.poll() {
            self.show_error(&e);
        }
        if let Some(e) = self.experiments.poll() {
            self.show_error(&e);
        }
        if !self.train.busy()
            && self
                .dialog
                .as_ref()
                .is_some_and(|d| d.ask == Some(Ask::StopTraining))
        {
            self.dialog = None; // the search ended before the answer
        }
        if self.screen == Screen::Train {
            self.train.sync(&self.data);
        }
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            // A tick only redraws (the job gauge's clock).
            Event::Tick => {}
            Event::Quit => self.quit = true,
            Event::Job(id, msg) => {
                if let Some(err) = self.data.on_job(id, msg) {
                    self.show_error(&err);
                }
            }
            Event::Terminal(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => self.key(k),
            Event::Terminal(TermEvent::Mouse(m)) => {
                let step = match m.kind {
                    MouseEventKind::ScrollDown => Action::Down,
                    MouseEventKind::ScrollUp => Action::Up,
                    _ => return,
                };
                // The wheel scrolls what is on top: the picker, else the screen.
                if let Some(p) = &mut self.picker {
                    p.action(step);
                } else if self.dialog.is_none() && !self.help {
                    self.action(step, 3);
                }
            }
            Event::Terminal(_) => {}
        }
    }

    pub fn show_error(&mut self, e: &Error) {
        self.dialog = Some(Dialog {
            title: e.title().to_owned(),
            body: e.to_string(),
            error: true,
            ask: None,
        });
    }

    /// A text field of the screen on show has the keys.
    pub fn typing(&self) -> bool {
        match self.screen {
            Screen::Data => self.data.typing(),
            Screen::Label => self.label.typing(),
            Screen::Train => self.train.typing(),
            Screen::Experiments => self.experiments.typing(),
            Screen::Bundles | Screen::Drift => false,
        }
    }

    fn key(&mut self, key: KeyEvent) {
        // Text fields take keys first: single-key bindings are off while typing.
        if self.typing() {
            self.pending.clear();
            match self.screen {
                Screen::Data => self.data.type_key(key),
                Screen::Label => {
                    if let Err(e) = self.label.type_key(key) {
                        self.show_error(&e);
                    }
                }
                Screen::Train => {
                    if let Some(e) = self.train.type_key(key) {
                        self.show_error(&e);
                    }
                }
                Screen::Experiments => {
                    let reply = self.experiments.type_key(key);
                    self.experiments_reply(reply);
                }
                Screen::Bundles | Screen::Drift => {}
            }
            return;
        }
        let code = key.code;
        if let Some(ask) = self.dialog.as_ref().and_then(|d| d.ask) {
            let action = self.ctx.keymap.action(&key);
            if code == KeyCode::Enter || action == Some(Action::Confirm) {
                self.dialog = None;
                self.answer(ask);
            } else if matches!(action, Some(Action::Close | Action::Quit)) {
                self.dialog = None;
            }
            return;
        }
        if self.picker.is_some()
            && matches!(code, KeyCode::Enter | KeyCode::Backspace)
            && self.dialog.is_none()
        {
            self.picker_key(code);
            return;
        }
        if self.dialog.is_some() && code == KeyCode::Enter {
            self.dialog = None;
            return;
        }
        let Some(k) = Key::from_event(&key) else {
            self.pending.clear();
            return;
        };
        let overlay = self.dialog.is_some() || self.help || self.picker.is_some();
        // The second key of a sequence (' then a digit) belongs to the
        // sequence, even where it would be a class key on its own.
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() && !overlay {
            let keys: Vec<Key> = pending.into_iter().chain([k]).collect();
            match self.ctx.keymap.lookup(&keys) {
                Lookup::Action(a) => {
                    self.action(a, 1);
                    return;
                }
                Lookup::Prefix => {
                    self.pending = keys;
                    return;
                }
                // Not a sequence after all: the key counts on its own.
                Lookup::None => {}
            }
        }
        // Keys the screen reads itself come before the keymap; only the
        // Label screen claims any (its class keys 1–9), so digits label there.
        if !overlay && self.screen.claims(&k) {
            if let Some(Err(e)) = self.label.raw_key(&key) {
                self.show_error(&e);
            }
            return;
        }
        let action = match self.ctx.keymap.lookup(&[k]) {
            Lookup::Action(a) => a,
            Lookup::Prefix if !overlay => {
                self.pending = vec![k];
                return;
            }
            Lookup::Prefix | Lookup::None => return,
        };
        if self.dialog.is_some() {
            if matches!(action, Action::Close | Action::Quit) {
                self.dialog = None;
            }
            return;
        }
        if self.help {
            match action {
                Action::Close | Action::Help | Action::Quit => {
                    self.help = false;
                    self.help_scroll = 0;
                }
                Action::Down => self.help_scroll += 1,
                Action::PageDown => self.help_scroll += 10,
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                Action::Top => self.help_scroll = 0,
                _ => {}
            }
            return;
        }
        if let Some(picker) = &mut self.picker {
            match action {
                Action::Close | Action::Open => self.picker = None,
                Action::Quit => self.quit = true,
                Action::Help => self.help = true,
                other => picker.action(other),
            }
            return;
        }
        self.action(action, 1);
    }

    fn picker_key(&mut self, code: KeyCode) {
        let Some(picker) = &mut self.picker else {
            return;
        };
        if code == KeyCode::Backspace {
            picker.up();
            return;
        }
        match picker.enter() {
            Ok(Some(Pick::File(path))) => {
                self.picker = None;
                self.open(path);
            }
            Ok(Some(Pick::Project(root))) => {
                self.picker = None;
                match Project::open(&root) {
                    Ok(p) => self.switch_project(p),
                    Err(e) => self.show_error(&e),
                }
            }
            Ok(None) => {}
            Err(e) => self.show_error(&e),
        }
    }

    fn answer(&mut self, ask: Ask) {
        let reply = match ask {
            Ask::StopTraining => {
                self.train.stop();
                return;
            }
            Ask::DropNullTargets(_) => self.train.start(true, false),
            Ask::LargeSearch(_) => self.train.start(true, true),
            Ask::DeleteRuns(_) => {
                let reply = self.experiments.delete();
                self.experiments_reply(reply);
                return;
            }
        };
        self.train_reply(reply);
    }

    fn experiments_reply(&mut self, reply: experiments::Reply) {
        match reply {
            experiments::Reply::Nothing => {}
            experiments::Reply::Error(e) => self.show_error(&e),
            experiments::Reply::AskDelete(n) => self.ask(Ask::DeleteRuns(n)),
        }
    }

    fn train_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Nothing => {}
            Reply::Error(e) => self.show_error(&e),
            Reply::AskStop => self.ask(Ask::StopTraining),
            Reply::AskDropNulls(n) => self.ask(Ask::DropNullTargets(n)),
            Reply::AskLargeSearch(n) => self.ask(Ask::LargeSearch(n)),
        }
    }

    /// Ask a yes/no question; `ask` is done on yes.
    fn ask(&mut self, ask: Ask) {
        let (title, body) = match ask {
            Ask::StopTraining => (
                "Stop training?",
                "The fits running now finish and are kept with the runs already done; \
                 the jobs not started yet are cancelled."
                    .to_owned(),
            ),
            Ask::DropNullTargets(n) => (
                "Drop rows without a target?",
                format!(
                    "{n} rows have no value in the target column. Train on the other rows? \
                     (The file is not changed.)"
                ),
            ),
            Ask::LargeSearch(n) => (
                "Run a large search?",
                format!("The grid makes {n} jobs (configurations × folds). Start them all?"),
            ),
            Ask::DeleteRuns(n) => (
                "Delete runs?",
                format!(
                    "Move {n} run(s) to the project's trash? The screen can undo it for {} s; \
                     `lathe runs restore` can until `lathe runs gc` empties the trash.",
                    experiments::UNDO_WINDOW.as_secs()
                ),
            ),
        };
        self.dialog = Some(Dialog {
            title: title.to_owned(),
            body,
            error: false,
            ask: Some(ask),
        });
    }

    /// A message on the status line of the screen on show.
    fn say(&mut self, msg: String) {
        match self.screen {
            Screen::Data => self.data.status = msg,
            Screen::Label => self.label.status = msg,
            Screen::Train => self.train.status = msg,
            Screen::Experiments => self.experiments.status = msg,
            Screen::Bundles => self.bundles.status = msg,
            Screen::Drift => self.drift.status = msg,
        }
    }

    /// Work in another project: its sources, its first file.
    pub fn switch_project(&mut self, p: Project) {
        self.remember_project(&p);
        self.data.set_project(&p);
        self.label.set_project(&p);
        self.train.set_project(&p);
        self.drift.set_project(&p);
        self.experiments.set_project(&p);
        self.bundles.set_project(&p);
        self.ctx.project = Some(p);
        self.ctx.is_sample = false;
    }

    fn remember_project(&mut self, p: &Project) {
        if let Some(dirs) = &self.ctx.dirs {
            self.recent.push_project(&p.root);
            // Failing to save the recent list is not worth a dialog.
            let _ = self.recent.save(dirs);
        }
    }

    /// Open a data file on the Data screen and remember it.
    pub fn open(&mut self, path: std::path::PathBuf) {
        self.recent.push_file(&path);
        if let Some(dirs) = &self.ctx.dirs {
            // Failing to save the recent list is not worth a dialog.
            let _ = self.recent.save(dirs);
        }
        self.data.open(path, self.ctx.project.as_ref());
    }

    fn action(&mut self, action: Action, times: usize) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Open => {
                let start = self.ctx.project.as_ref().map(|p| p.root.clone());
                match Picker::new(start, &self.recent, self.ctx.project.as_ref()) {
                    Ok(p) => self.picker = Some(p),
                    Err(e) => self.show_error(&e),
                }
            }
            Action::InitProject => self.init_project(),
            Action::Screen(n) => match Screen::from_number(n) {
                Some(s) => {
                    if self.screen == Screen::Experiments && s != Screen::Experiments {
                        self.experiments.leave();
                    }
                    self.screen = s;
                    if s == Screen::Train {
                        self.train.sync(&self.data);
                    }
                    if s == Screen::Experiments
                        && let Err(e) = self.experiments.reload()
                    {
                        self.show_error(&e);
                    }
                    if s == Screen::Bundles {
                        self.bundles.reload();
                    }
                    if s == Screen::Label {
                        self.label.enter(self.data.path.as_deref());
                    }
                }
                None => {
                    let have: Vec<String> = Screen::ALL
                        .iter()
                        .map(|(_, i, name)| format!("{name} is screen {i}"))
                        .collect();
                    self.say(format!(
                        "screen {n} is not part of this lathe yet; {}",
                        have.join(", ")
                    ));
                }
            },
            other => {
                for _ in 0..times {
                    match self.screen {
                        Screen::Data => self.data.action(other),
                        Screen::Label => {
                            if let Err(e) = self.label.action(other) {
                                self.show_error(&e);
                            }
                        }
                        Screen::Train => {
                            let reply = self.train.action(other);
                            self.train_reply(reply);
                        }
                        Screen::Experiments => {
                            let reply = self.experiments.action(other);
                            self.experiments_reply(reply);
                        }
                        Screen::Bundles if other == Action::Export => {
                            let run = self.experiments.selected().map(|r| r.run_id.clone());
                            if let Err(e) = self.bundles.start_export(run) {
                                self.show_error(&e);
                            }
                        }
                        Screen::Bundles => self.bundles.action(other),
                        Screen::Drift => {
                            if other == Action::Start {
                                // The Experiments screen's selected run explains the drift.
                                self.drift.model_run = self
                                    .experiments
                                    .selected()
                                    .filter(|r| r.has_model)
                                    .map(|r| r.run_id.clone());
                            }
                            if let Some(e) = self.drift.action(other) {
                                self.show_error(&e);
                            }
                        }
                    }
                }
            }
        }
    }

    fn init_project(&mut self) {
        let result = std::env::current_dir()
            .map_err(|e| Error::io(std::path::Path::new("."), &e))
            .and_then(|cwd| Project::init(&cwd, None));
        match result {
            Ok(p) => {
                self.say(format!(
                    "made project '{}' in {}",
                    p.file.name,
                    p.root.display()
                ));
                self.remember_project(&p);
                // The file on screen stays; the picker now lists the new project.
                self.data.use_project(&p);
                self.label.set_project(&p);
                self.train.set_project(&p);
                self.drift.set_project(&p);
                self.experiments.set_project(&p);
                self.bundles.set_project(&p);
                self.ctx.project = Some(p);
                self.ctx.is_sample = false;
            }
            Err(e) => self.show_error(&e),
        }
    }

    pub fn render(&self, f: &mut Frame) {
        let area = f.area();
        let theme = &self.ctx.theme;
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            let msg = format!(
                "lathe needs a terminal of at least {}×{}; this one is {}×{}.\nMake the window larger, or press q to quit.",
                MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
            );
            f.render_widget(
                Paragraph::new(msg)
                    .style(theme.style("status.warn"))
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let [tabs, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        super::bars::tabs(self, f, tabs);
        match self.screen {
            Screen::Data => self.data.render(f, body, theme),
            Screen::Label => self.label.render(f, body, theme, &self.ctx.keymap),
            Screen::Train => self.train.render(f, body, theme, &self.ctx.keymap),
            Screen::Experiments => self.experiments.render(f, body, theme, &self.ctx.keymap),
            Screen::Bundles => self.bundles.render(f, body, theme, &self.ctx.keymap),
            Screen::Drift => self.drift.render(f, body, theme, &self.ctx.keymap),
        }
        super::bars::keys(self, f, status);
        if let Some(p) = &self.picker {
            p.render(f, centered(area, 70, 80), theme);
        }
        if self.help {
            super::help::render(
                f,
                centered(area, 98, 92),
                theme,
                &self.ctx.keymap,
                self.help_scroll,
                self.screen,
            );
        }
        if let Some(d) = &self.dialog {
            // A question is short: as tall as its text.
            let rect = match d.ask {
                Some(_) => {
                    let r = centered(area, 60, 100);
                    let h = 6.min(r.height);
                    Rect::new(r.x, area.y + (area.height - h) / 2, r.width, h)
                }
                None => centered(area, 60, 40),
            };
            render_dialog(f, rect, theme, d, &self.ctx.keymap);
        }
    }
}

/// A rectangle of `pw`% × `ph`% of `area`, centred.
pub fn centered(area: Rect, pw: u16, ph: u16) -> Rect {
    let w = area.width * pw / 100;
    let h = area.height * ph / 100;
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn render_dialog(f: &mut Frame, area: Rect, theme: &Theme, d: &Dialog, km: &Keymap) {
    f.render_widget(Clear, area);
    let close = km.first(Action::Close).unwrap_or_else(|| "Esc".into());
    let bottom = match d.ask {
        Some(_) => {
            let yes = km.first(Action::Confirm).unwrap_or_else(|| "y".into());
            format!(" {yes} or Enter: yes · {close}: no ")
        }
        None => format!(" {close} or Enter to close "),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(
            format!(" {} ", d.title),
            theme.style(if d.error { "dialog.error" } else { "title" }),
        ))
        .title_bottom(Line::from(bottom).alignment(Alignment::Right))
        .style(theme.style("dialog"))
        .border_style(theme.style("border.focus"));
    f.render_widget(
        Paragraph::new(d.body.clone())
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
