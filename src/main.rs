//! The `lathe` binary: parse the command line, set up logging, dispatch.

use clap::Parser;
use lathe::cli::{Cli, run};

fn main() {
    let cli = Cli::parse();
    init_logging();
    let code = match &cli.command {
        Some(command) => run(&cli, command),
        None => open_tui(&cli),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}

#[cfg(feature = "tui")]
fn open_tui(cli: &Cli) -> lathe::Result<i32> {
    lathe::tui::run(cli)
}

#[cfg(not(feature = "tui"))]
fn open_tui(_cli: &Cli) -> lathe::Result<i32> {
    Err(lathe::Error::usage(
        "this lathe was built without the terminal UI; use a subcommand (see --help)",
    ))
}

/// Logs go to a file, never to the terminal the TUI draws on:
/// `$LATHE_DATA_DIR/lathe.log`, at the level `LATHE_LOG` gives (default warn).
fn init_logging() {
    let Ok(dirs) = lathe::config::Dirs::from_env() else {
        return;
    };
    if std::fs::create_dir_all(&dirs.data).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dirs.data.join("lathe.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATHE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}
