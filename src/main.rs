//! The `lathe` binary: parse the command line, set up logging, dispatch.
//!
//! A panic anywhere (lathe's or a library's, on input nobody foresaw) is
//! caught here and reported as an error with exit code 2, never as a Rust
//! backtrace; `RUST_BACKTRACE=1` shows the raw panic for a bug report.

use std::sync::Mutex;

use clap::Parser;
use lathe::cli::{Cli, run};

static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() {
    let cli = Cli::parse();
    init_logging();
    quiet_panics();
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Some(command) => run(&cli, command),
        None => open_tui(&cli),
    });
    let code = match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
        Err(_) => {
            let what = PANIC
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_else(|| "unknown failure".to_owned());
            eprintln!(
                "error: lathe could not finish: {what}\n  hint: this input reached a part of lathe or its libraries that failed; \
                 please report it with the input (RUST_BACKTRACE=1 shows details)"
            );
            tracing::error!("panic: {what}");
            2
        }
    };
    std::process::exit(code);
}

/// Keep panic messages for the error report instead of printing them raw.
fn quiet_panics() {
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        let msg = msg.lines().next().unwrap_or_default().to_owned();
        if let Ok(mut p) = PANIC.lock() {
            p.get_or_insert(msg);
        }
        if verbose {
            default(info);
        }
    }));
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
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init();
}
