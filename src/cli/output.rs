//! Terminal output for the CLI: progress bars on stderr (indicatif, drawn only when stderr is
//! a terminal, so scripts and CI see no progress noise) and plain aligned text tables.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use crate::error::{Error, Result};

use crate::jobs::{JobUpdate, Progress};

/// A bar on stderr when stderr is a terminal, nothing otherwise. indicatif throttles the
/// redraws (20 a second); the bar clears itself when finished or dropped, so an error path
/// leaves no half-drawn line above the message.
pub fn bar(style: ProgressStyle) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_finish(ProgressFinish::AndClear)
    })
}

/// A progress style from a template that is known to be valid.
pub fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// The progress sink of a CLI job: `stage [####....]  42%`, or the stage alone while the
/// job cannot tell how far it is.
pub struct CliProgress {
    bar: Option<ProgressBar>,
    /// Which style the bar has: 0 none yet, 1 the stage alone, 2 with the fraction.
    shown: AtomicU8,
}

const STEPS: u64 = 1000;

impl CliProgress {
    /// Clear the bar before printing results.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for CliProgress {
    fn update(&self, u: JobUpdate) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.set_message(u.stage);
        let want = if u.fraction.is_some() { 2 } else { 1 };
        if self.shown.swap(want, Ordering::Relaxed) != want {
            bar.set_style(if want == 2 {
                style("{msg} [{bar:24}] {percent:>3}%").progress_chars("#.")
            } else {
                style("{msg}")
            });
            bar.set_length(STEPS);
        }
        if let Some(f) = u.fraction {
            bar.set_position((f.clamp(0.0, 1.0) * STEPS as f64).round() as u64);
        }
    }
}

/// A progress sink for CLI jobs: a bar on a terminal, nothing otherwise.
pub fn progress() -> CliProgress {
    CliProgress {
        bar: bar(style("{msg}")),
        shown: AtomicU8::new(0),
    }
}

/// Render rows as an aligned table with a header and a rule under it.
/// Columns whose `right_align` flag is set are right-aligned (numbers).
pub fn table(header: &[&str], rows: &[Vec<String>], right_align: &[bool]) -> String {
    // Column names can be any length; a table cell is at most 40 wide.
    let header: Vec<String> = header
        .iter()
        .map(|h| crate::data::display::truncate(h, 40))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let header = &header[..];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let parts: Vec<String> = cells
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                if right_align.get(i).copied().unwrap_or(false) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_owned()
    };
    let mut out = line(&mut header.iter().copied());
    out.push('\n');
    out.push_str(&line(
        &mut widths
            .iter()
            .map(|&w| "─".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    ));
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
        out.push('\n');
    }
    out
}

/// Write `text` to stdout. A closed pipe (`lathe … | head`) ends the
/// process quietly with success, as Unix tools do.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::new(
            crate::error::ErrorKind::Io,
            format!("cannot write the output: {e}"),
        )),
    }
}

/// [`emit`] with a newline.
pub fn emitln(text: &str) -> Result<()> {
    emit(&format!("{text}\n"))
}
