//! Prediction logging (`--log-predictions DIR`): every scored row as one
//! NDJSON line — `time`, `request_id`, each input column, `prediction`, and
//! `probability_<class>` — in rotating files `predictions-<n>.ndjson`, so
//! `lathe drift --current DIR` can read what production saw.
//!
//! A background thread writes; requests hand it lines through a bounded
//! channel and never wait: when the writer falls behind, lines are dropped
//! and counted (`lathe_prediction_log_dropped_total`). A file is closed at
//! `file_bytes`; when the folder holds more than `max_bytes`, the oldest
//! files go.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use crate::error::{Error, Result};

/// Lines buffered between requests and the writer.
const QUEUE: usize = 8192;

pub struct PredictionLog {
    tx: Option<SyncSender<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PredictionLog {
    /// Start the writer on `dir` (created when missing).
    pub fn start(dir: &Path, file_bytes: u64, max_bytes: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        let probe = dir.join(".lathe-write-test");
        std::fs::write(&probe, b"").map_err(|e| Error::io(dir, &e))?;
        let _ = std::fs::remove_file(&probe);
        let (tx, rx) = sync_channel(QUEUE);
        let dir = dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("prediction-log".into())
            .spawn(move || writer(&dir, &rx, file_bytes, max_bytes))
            .map_err(|e| Error::internal(format!("cannot start the log writer: {e}")))?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queue a line; false when it was dropped (the writer is behind).
    pub fn log(&self, line: String) -> bool {
        match self.tx.as_ref().map(|t| t.try_send(line)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }

    /// Write what is queued and stop.
    pub fn close(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PredictionLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn files(dir: &Path) -> Vec<(u64, PathBuf, u64)> {
    let mut v: Vec<(u64, PathBuf, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name
                .strip_prefix("predictions-")?
                .strip_suffix(".ndjson")?
                .parse::<u64>()
                .ok()?;
            Some((n, e.path(), e.metadata().ok()?.len()))
        })
        .collect();
    v.sort();
    v
}

fn writer(dir: &Path, rx: &Receiver<String>, file_bytes: u64, max_bytes: u64) {
    let mut next = files(dir).last().map_or(1, |(n, _, _)| n + 1);
    let mut current: Option<(std::io::BufWriter<std::fs::File>, u64)> = None;
    let open = |n: u64| {
        let p = dir.join(format!("predictions-{n:06}.ndjson"));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .map(|f| (std::io::BufWriter::new(f), 0u64))
    };
    // Block for one line, then take what else is queued before flushing.
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(l) = rx.try_recv() {
            batch.push(l);
            if batch.len() >= 1024 {
                break;
            }
        }
        for line in batch {
            if current.as_ref().is_none_or(|(_, n)| *n >= file_bytes) {
                if let Some((mut w, _)) = current.take() {
                    let _ = w.flush();
                }
                current = open(next).ok();
                next += 1;
                enforce_cap(dir, max_bytes);
            }
            if let Some((w, n)) = current.as_mut()
                && w.write_all(line.as_bytes())
                    .and_then(|()| w.write_all(b"\n"))
                    .is_ok()
            {
                *n += line.len() as u64 + 1;
            }
        }
        if let Some((w, _)) = current.as_mut() {
            let _ = w.flush();
        }
    }
    if let Some((mut w, _)) = current {
        let _ = w.flush();
    }
}

/// Delete the oldest files while the folder holds more than `max_bytes`
/// (the newest file always stays).
fn enforce_cap(dir: &Path, max_bytes: u64) {
    let all = files(dir);
    let mut total: u64 = all.iter().map(|f| f.2).sum();
    for (_, path, size) in all.iter().take(all.len().saturating_sub(1)) {
        if total <= max_bytes {
            break;
        }
        if std::fs::remove_file(path).is_ok() {
            total -= size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_and_the_cap_drops_the_oldest() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { return };
        let mut log = match PredictionLog::start(dir.path(), 100, 250) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        };
        for i in 0..40 {
            assert!(log.log(format!("{{\"i\":{i},\"pad\":\"xxxxxxxxxxxxxxxxxx\"}}")));
        }
        log.close();
        let f = files(dir.path());
        let total: u64 = f.iter().map(|x| x.2).sum();
        assert!(f.len() >= 2, "{f:?}");
        assert!(total <= 250 + 100, "{total}");
        // The newest line is kept.
        let last = std::fs::read_to_string(&f[f.len() - 1].1).unwrap_or_default();
        assert!(last.contains("\"i\":39"), "{last}");
    }
}
