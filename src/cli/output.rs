//! Terminal output for the CLI: a progress line on stderr (only when stderr
//! is a terminal) and plain aligned text tables.

use std::io::{IsTerminal, Write};

use crate::error::{Error, Result};

use crate::jobs::{JobUpdate, Progress, Throttled};

/// Draws `stage  42%` on one stderr line, redrawn in place.
pub struct StderrProgress;

impl Progress for StderrProgress {
    fn update(&self, u: JobUpdate) {
        let mut err = std::io::stderr().lock();
        let pct = u
            .fraction
            .map(|f| format!(" {:>3.0}%", f * 100.0))
            .unwrap_or_default();
        let _ = write!(err, "\r\x1b[2K{}{pct}", u.stage);
        let _ = err.flush();
    }
}

/// A progress sink for CLI jobs: a throttled stderr line on a terminal, nothing otherwise.
pub fn progress() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Throttled::new(StderrProgress))
    } else {
        Box::new(crate::jobs::NoProgress)
    }
}

/// Clear the progress line before printing results.
pub fn clear_progress() {
    if std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
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
