//! The terminal UI: one sync event loop over a channel, screens that render
//! from state, keys mapped to actions through the keymap.
//!
//! `tui` owns the terminal's lifecycle: raw mode, the alternate screen,
//! mouse capture and the cursor are restored on quit, on error, on panic and
//! on SIGTERM/SIGHUP (an SSH connection dropping).

pub mod app;
mod bars;
pub mod event;
pub mod help;
pub mod keymap;
pub mod picker;
pub mod screens;
pub mod text;
pub mod theme;

use std::io::Write;
use std::path::PathBuf;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::cli::Cli;
use crate::config::{Dirs, UserConfig};
use crate::error::{Error, Result};
use crate::project::Project;

pub use app::{App, Context};

/// Open the TUI; returns the exit code.
pub fn run(cli: &Cli) -> Result<i32> {
    let ctx = Context::from_cli(cli)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut app = App::new(ctx, tx.clone());
    let quit_flag = event::watch_signals(tx.clone())?;

    let mut terminal = enter()?;
    install_panic_hook();
    event::spawn_input(tx, quit_flag);
    let result = app.run(&mut terminal, &rx);
    leave();
    result.map(|()| 0)
}

/// Resolve the project to open: `--project`, the current folder's, or the sample.
pub fn pick_project(cli: &Cli, dirs: &Dirs) -> Result<(Project, bool)> {
    if let Some(dir) = &cli.project {
        return Ok((Project::open(dir)?, false));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(&PathBuf::from("."), &e))?;
    if let Some(root) = Project::discover(&cwd) {
        return Ok((Project::open(&root)?, false));
    }
    let dir = crate::sample::ensure_sample_project(&crate::sample::sample_dir(dirs))?;
    Ok((Project::open(&dir)?, true))
}

/// The theme name: `--theme`, then config.toml, then dark.
pub fn theme_name(cli: &Cli, config: &UserConfig) -> String {
    cli.theme
        .clone()
        .or_else(|| config.theme.clone())
        .unwrap_or_else(|| "dark".to_owned())
}

type Term = Terminal<CrosstermBackend<std::io::Stdout>>;

fn enter() -> Result<Term> {
    let io = |e: std::io::Error| {
        Error::new(
            crate::error::ErrorKind::Io,
            format!("cannot set up the terminal: {e}"),
        )
    };
    enable_raw_mode().map_err(io)?;
    let mut out = std::io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture) {
        leave();
        return Err(io(e));
    }
    Terminal::new(CrosstermBackend::new(out)).map_err(|e| {
        leave();
        io(e)
    })
}

/// Give the terminal back. Safe to call more than once.
pub fn leave() {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Only the UI thread's panic ends the app; job threads catch theirs.
        if std::thread::current()
            .name()
            .is_none_or(|n| !n.starts_with("lathe-"))
        {
            leave();
        }
        previous(info);
    }));
}
