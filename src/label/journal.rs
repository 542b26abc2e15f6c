//! The label journal: every label ever given, appended and fsynced before it
//! counts as saved, plus a compacted snapshot so opening stays fast.
//!
//! `.lathe/labels/<dataset>.journal` is JSON lines. The first is a header,
//! `{"lathe_label_journal":1,"dataset":…,"target":…,"created":…}`; each
//! other line is one [`Entry`]: row key, label (null removes it), previous
//! label, source, annotator, timestamp, and for actions over many rows the
//! id of the action (`batch`, the seq of its first entry). An undo appends
//! entries that restore the previous labels, with `undoes` naming the action;
//! nothing is ever rewritten, so the journal is also the audit trail.
//!
//! Writes take an exclusive lock on the journal, first read what another
//! process appended meanwhile, then write all lines of the action at once
//! and `fsync`. A crash mid-write leaves at most a torn last line: it was
//! never reported as saved, so opening moves it aside to `<dataset>.journal.torn`
//! and truncates it off, with a warning. A damaged line anywhere else stops
//! the open with its line number, and nothing is written.
//!
//! `<dataset>.snapshot.json` (written atomically: temp file + rename) holds
//! the state up to a byte offset of the journal; opening reads it and then
//! only the journal's tail. It is a cache: when it is missing, damaged or
//! does not match the journal, the journal is replayed whole.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::error::{Error, Result};

/// The journal format this lathe writes and reads.
pub const JOURNAL_VERSION: u32 = 1;
/// Actions that can be undone, newest last; older ones stay in the journal.
pub const MAX_UNDO: usize = 1000;
/// Entries between automatic snapshots.
const SNAPSHOT_EVERY: u64 = 10_000;

/// Where a label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Manual,
    Bulk,
    AcceptedSuggestion,
    Import,
    Undo,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Bulk => "bulk",
            Self::AcceptedSuggestion => "accepted-suggestion",
            Self::Import => "import",
            Self::Undo => "undo",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    lathe_label_journal: u32,
    dataset: String,
    target: String,
    created: String,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub key: String,
    pub label: Option<String>,
    pub previous: Option<String>,
    pub source: Source,
    pub annotator: String,
    pub at: String,
    /// The action this entry is part of, when the action has many rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
    /// For undo entries: the action undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<u64>,
}

impl Entry {
    pub fn action(&self) -> u64 {
        self.batch.unwrap_or(self.seq)
    }
}

/// A key's label now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub label: String,
    pub source: Source,
    pub annotator: String,
    pub at: String,
}

/// An action that can be undone: its id and each key's label before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoStep {
    pub id: u64,
    pub source: Source,
    pub before: Vec<(String, Option<String>)>,
}

/// What the journal says now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelState {
    /// The journal's position: the last entry's seq.
    pub seq: u64,
    pub labels: HashMap<String, Current>,
    /// Each annotator's own latest label per key (for agreement).
    pub by_annotator: HashMap<String, HashMap<String, String>>,
    pub undo: Vec<UndoStep>,
}

impl LabelState {
    fn apply(&mut self, e: &Entry) {
        self.seq = self.seq.max(e.seq);
        match &e.label {
            Some(l) => {
                self.labels.insert(
                    e.key.clone(),
                    Current {
                        label: l.clone(),
                        source: e.source,
                        annotator: e.annotator.clone(),
                        at: e.at.clone(),
                    },
                );
            }
            None => {
                self.labels.remove(&e.key);
            }
        }
        let mine = self.by_annotator.entry(e.annotator.clone()).or_default();
        match (&e.label, e.source) {
            // An undo takes back the undoer's own label.
            (_, Source::Undo) | (None, _) => {
                mine.remove(&e.key);
            }
            (Some(l), _) => {
                mine.insert(e.key.clone(), l.clone());
            }
        }
        if let Some(undone) = e.undoes {
            if let Some(i) = self.undo.iter().rposition(|s| s.id == undone) {
                self.undo.remove(i);
            }
            return;
        }
        let id = e.action();
        match self.undo.last_mut() {
            Some(step) if step.id == id => step.before.push((e.key.clone(), e.previous.clone())),
            _ => {
                self.undo.push(UndoStep {
                    id,
                    source: e.source,
                    before: vec![(e.key.clone(), e.previous.clone())],
                });
                if self.undo.len() > MAX_UNDO {
                    self.undo.remove(0);
                }
            }
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(|c| c.label.as_str())
    }
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    lathe_label_snapshot: u32,
    journal: Header,
    /// Bytes of the journal the state covers (ends after a newline).
    offset: u64,
    state: LabelState,
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    snapshot_path: PathBuf,
    header: Header,
    /// Bytes read so far (always at a line end).
    offset: u64,
    /// Lines read so far (for error messages).
    lines: u64,
    pub state: LabelState,
    /// Entries since the last snapshot.
    unsnapshotted: u64,
    /// What the user should know from opening (a torn line moved aside …).
    pub warnings: Vec<String>,
}

/// Who is labelling: `$LATHE_ANNOTATOR`, else the login name.
pub fn annotator() -> String {
    ["LATHE_ANNOTATOR", "USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

impl Journal {
    pub fn journal_path(dir: &Path, dataset: &str) -> PathBuf {
        dir.join(format!("{dataset}.journal"))
    }

    /// Open (or start) the journal of `dataset` in `dir`, labelling `target`.
    pub fn open(dir: &Path, dataset: &str, target: &str) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        let path = Self::journal_path(dir, dataset);
        let snapshot_path = dir.join(format!("{dataset}.snapshot.json"));
        if !path.exists() {
            create(&path, dataset, target)?;
        }
        let mut file = File::open(&path).map_err(|e| Error::io(&path, &e))?;
        let (header, header_len) = read_header(&mut file, &path)?;
        if header.target != target {
            return Err(Error::usage(format!(
                "the journal of '{dataset}' labels column '{}', not '{target}'",
                header.target
            ))
            .at(&path));
        }
        let mut j = Self {
            path,
            snapshot_path,
            header,
            offset: header_len,
            lines: 1,
            state: LabelState::default(),
            unsnapshotted: 0,
            warnings: Vec::new(),
        };
        j.load_snapshot();
        j.read_tail(true)?;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal's position (the last entry's number), for lineage.
    pub fn position(&self) -> u64 {
        self.state.seq
    }

    fn load_snapshot(&mut self) {
        let Ok(bytes) = std::fs::read(&self.snapshot_path) else {
            return;
        };
        let len = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        match serde_json::from_slice::<Snapshot>(&bytes) {
            Ok(s)
                if s.lathe_label_snapshot == JOURNAL_VERSION
                    && s.journal == self.header
                    && s.offset <= len
                    && s.offset >= self.offset
                    && ends_line(&self.path, s.offset) =>
            {
                self.offset = s.offset;
                self.lines = 0; // unknown: line numbers count from the snapshot
                self.state = s.state;
            }
            _ => self.warnings.push(format!(
                "the label snapshot {} does not match the journal; replayed the journal instead",
                self.snapshot_path.display()
            )),
        }
    }

    /// Read entries after `offset`. With `repair`, a torn last line is moved
    /// aside and cut off (only ever at open, before anything is appended).
    fn read_tail(&mut self, repair: bool) -> Result<()> {
        let mut file = File::open(&self.path).map_err(|e| Error::io(&self.path, &e))?;
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| Error::io(&self.path, &e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&self.path, &e))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut good = 0;
        let mut entries = Vec::new();
        let lines: Vec<&[u8]> = bytes[..complete].split_inclusive(|&b| b == b'\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let text = &line[..line.len() - 1];
            let last = i + 1 == lines.len() && complete == bytes.len();
            match serde_json::from_slice::<Entry>(text) {
                Ok(e) => {
                    entries.push(e);
                    good += line.len();
                }
                // A crash can leave zeros where the last write was going.
                Err(_) if last && text.iter().all(|&b| b == 0) => break,
                Err(err) => {
                    let mut e = Error::input(format!("journal line is damaged: {err}"))
                        .at(&self.path)
                        .hint("no label was changed; restore the journal from a backup, or remove the damaged line by hand");
                    if self.lines > 0 {
                        e = e.line(self.lines + i as u64 + 1);
                    }
                    return Err(e);
                }
            }
        }
        for e in &entries {
            self.state.apply(e);
        }
        self.lines = if self.lines > 0 {
            self.lines + entries.len() as u64
        } else {
            0
        };
        self.unsnapshotted += entries.len() as u64;
        let torn = &bytes[good..];
        if !torn.is_empty() {
            if !repair {
                // Another process is mid-write (it holds the lock while it writes).
                self.offset += good as u64;
                return Ok(());
            }
            let aside = self.path.with_extension("journal.torn");
            let saved = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&aside)
                .and_then(|mut f| f.write_all(torn).and_then(|()| f.write_all(b"\n")));
            saved.map_err(|e| Error::io(&aside, &e))?;
            let f = OpenOptions::new()
                .write(true)
                .open(&self.path)
                .map_err(|e| Error::io(&self.path, &e))?;
            f.set_len(self.offset + good as u64)
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::io(&self.path, &e))?;
            self.warnings.push(format!(
                "the journal's last line was cut short (a crash while writing); that label was \
                 never shown as saved. Its {} bytes were moved to {}",
                torn.len(),
                aside.display()
            ));
        }
        self.offset += good as u64;
        Ok(())
    }

    /// Pick up what another process appended.
    pub fn refresh(&mut self) -> Result<()> {
        self.read_tail(false)
    }

    /// Append one action: `(key, new label)` for each row, all or nothing,
    /// fsynced before returning. Keys the same annotator already gave that
    /// label are left out.
    /// Returns the entries written.
    pub fn append(
        &mut self,
        changes: &[(String, Option<String>)],
        source: Source,
    ) -> Result<Vec<Entry>> {
        self.write_locked(|state, seq| {
            let at = crate::util::now_rfc3339();
            let who = annotator();
            let mut out = Vec::with_capacity(changes.len());
            for (key, label) in changes {
                let previous = state.label(key).map(str::to_owned);
                // Nothing new: the same label from the same annotator. Another
                // annotator's matching label is written: it counts for agreement.
                let theirs = state.labels.get(key).map(|c| c.annotator.as_str());
                if previous == *label && (label.is_none() || theirs == Some(who.as_str())) {
                    continue;
                }
                let n = seq + out.len() as u64 + 1;
                out.push(Entry {
                    seq: n,
                    key: key.clone(),
                    label: label.clone(),
                    previous,
                    source,
                    annotator: who.clone(),
                    at: at.clone(),
                    batch: None,
                    undoes: None,
                });
            }
            if out.len() > 1 {
                let first = out[0].seq;
                for e in &mut out {
                    e.batch = Some(first);
                }
            }
            out
        })
    }

    /// Undo the newest action not undone yet. `None` when there is nothing to undo.
    pub fn undo(&mut self) -> Result<Option<(UndoStep, Vec<Entry>)>> {
        let mut undone = None;
        let entries = self.write_locked(|state, seq| {
            let Some(step) = state.undo.last().cloned() else {
                return Vec::new();
            };
            let at = crate::util::now_rfc3339();
            let who = annotator();
            let first = seq + 1;
            let out = step
                .before
                .iter()
                .enumerate()
                .map(|(i, (key, before))| Entry {
                    seq: first + i as u64,
                    key: key.clone(),
                    label: before.clone(),
                    previous: state.label(key).map(str::to_owned),
                    source: Source::Undo,
                    annotator: who.clone(),
                    at: at.clone(),
                    batch: (step.before.len() > 1).then_some(first),
                    undoes: Some(step.id),
                })
                .collect();
            undone = Some(step);
            out
        })?;
        Ok(undone.map(|s| (s, entries)))
    }

    /// Lock, catch up, build entries from the state, write them, fsync, apply.
    fn write_locked(
        &mut self,
        build: impl FnOnce(&LabelState, u64) -> Vec<Entry>,
    ) -> Result<Vec<Entry>> {
        let io = |e: std::io::Error| Error::io(&self.path, &e);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        let result: Result<Vec<Entry>> = (|| {
            self.refresh()?;
            let entries = build(&self.state, self.state.seq);
            if entries.is_empty() {
                return Ok(entries);
            }
            let mut buf = Vec::with_capacity(entries.len() * 160);
            for e in &entries {
                serde_json::to_writer(&mut buf, e).map_err(|e| Error::internal(e.to_string()))?;
                buf.push(b'\n');
            }
            let io = |e: std::io::Error| Error::io(&self.path, &e);
            file.write_all(&buf).map_err(io)?;
            file.sync_data().map_err(io)?;
            self.offset += buf.len() as u64;
            if self.lines > 0 {
                self.lines += entries.len() as u64;
            }
            for e in &entries {
                self.state.apply(e);
            }
            self.unsnapshotted += entries.len() as u64;
            Ok(entries)
        })();
        let _ = file.unlock();
        let entries = result?;
        if self.unsnapshotted >= SNAPSHOT_EVERY {
            self.snapshot()?;
        }
        Ok(entries)
    }

    /// Write the compacted snapshot now (atomically).
    pub fn snapshot(&mut self) -> Result<()> {
        let snap = Snapshot {
            lathe_label_snapshot: JOURNAL_VERSION,
            journal: self.header.clone(),
            offset: self.offset,
            state: self.state.clone(),
        };
        let bytes = serde_json::to_vec(&snap).map_err(|e| Error::internal(e.to_string()))?;
        write_atomic(&self.snapshot_path, &bytes)?;
        self.unsnapshotted = 0;
        Ok(())
    }

    /// Every entry of the journal, oldest first (for agreement and audits).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let text = std::fs::read(&self.path).map_err(|e| Error::io(&self.path, &e))?;
        let end = (self.offset as usize).min(text.len());
        text[..end]
            .split(|&b| b == b'\n')
            .skip(1)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_slice(l).map_err(|e| {
                    Error::input(format!("journal line is damaged: {e}"))
                        .at(&self.path)
                        .line(i as u64 + 2)
                })
            })
            .collect()
    }
}

fn create(path: &Path, dataset: &str, target: &str) -> Result<()> {
    let header = Header {
        lathe_label_journal: JOURNAL_VERSION,
        dataset: dataset.to_owned(),
        target: target.to_owned(),
        created: crate::util::now_rfc3339(),
    };
    let mut line = serde_json::to_vec(&header).map_err(|e| Error::internal(e.to_string()))?;
    line.push(b'\n');
    // Written whole under a temporary name, so a journal never lacks its header.
    write_atomic(path, &line)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The header and its length in bytes, newline included.
fn read_header(file: &mut File, path: &Path) -> Result<(Header, u64)> {
    let mut first = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, &e))?;
        if n == 0 {
            break;
        }
        first.extend_from_slice(&buf[..n]);
        if first.contains(&b'\n') || first.len() > 1 << 16 {
            break;
        }
    }
    let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
    let len = (line.len() + usize::from(first.len() > line.len())) as u64;
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| {
        Error::input(format!("not a lathe label journal: {e}"))
            .at(path)
            .line(1)
    })?;
    let version = value
        .get("lathe_label_journal")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            Error::input("not a lathe label journal (no 'lathe_label_journal' in its first line)")
                .at(path)
                .line(1)
        })?;
    if version > u64::from(JOURNAL_VERSION) {
        return Err(Error::config(format!(
            "this label journal was written by a newer lathe (format {version}; this lathe reads {JOURNAL_VERSION})"
        ))
        .at(path)
        .line(1)
        .hint("upgrade lathe to label this dataset; the journal was not changed"));
    }
    let header = serde_json::from_value(value).map_err(|e| {
        Error::input(format!("the journal's header is damaged: {e}"))
            .at(path)
            .line(1)
    })?;
    Ok((header, len))
}

/// The byte before `offset` is a newline.
fn ends_line(path: &Path, offset: u64) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut b = [0u8; 1];
    offset > 0
        && f.seek(SeekFrom::Start(offset - 1)).is_ok()
        && f.read_exact(&mut b).is_ok()
        && b[0] == b'\n'
}
