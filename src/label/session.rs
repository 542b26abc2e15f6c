//! A labelling session: the data, its row keys, its label set and journal,
//! and each row's label now. What the Label screen and `lathe label` work on.
//!
//! A row's label is the journal's label for its key, else the value the
//! file already has in the label column (a partly labelled file). Labels are
//! interned (`values`), so a million rows cost four bytes each.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use super::agreement::{self, Agreement};
use super::journal::{Entry, Journal, Source};
use super::rows::{RowKeys, text_values};
use super::set::{self, LabelChoice, LabelKind, LabelSet, labels_dir};
use crate::error::{Error, Result};
use crate::project::Project;

/// No label.
pub const NONE: u32 = u32::MAX;

pub struct Labeling {
    pub set: LabelSet,
    pub frame: DataFrame,
    pub keys: RowKeys,
    pub journal: Journal,
    /// Each row's label: an index into `values`, or [`NONE`].
    row_label: Vec<u32>,
    /// The label the file itself has, per row.
    base: Vec<u32>,
    values: Vec<String>,
    value_index: HashMap<String, u32>,
    /// Rows per value.
    counts: Vec<usize>,
    /// Journal keys that match no row of the data, sorted.
    pub orphans: Vec<String>,
}

/// What `lathe label status` and the side panel show.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub dataset: String,
    pub data: String,
    pub target: String,
    pub kind: LabelKind,
    pub rows: usize,
    pub labelled: usize,
    /// `(class, rows)` in key order, then labels that are not classes.
    pub classes: Vec<(String, usize)>,
    /// Labels in the journal whose row is no longer in the data.
    pub orphans: usize,
    pub orphan_examples: Vec<String>,
    pub journal: String,
    pub journal_position: u64,
    /// `(annotator, labels now theirs)`.
    pub annotators: Vec<(String, usize)>,
    pub agreement: Vec<Agreement>,
    pub warnings: Vec<String>,
}

impl Labeling {
    /// Open the label session of `choice` on `frame` (the dataset's data).
    pub fn open(project: &Project, choice: &LabelChoice, frame: DataFrame) -> Result<Self> {
        let set = set::resolve(project, choice, &frame)?;
        Self::with_set(project, set, frame)
    }

    /// Open the session of a label set already resolved for `frame`.
    pub fn with_set(project: &Project, set: LabelSet, frame: DataFrame) -> Result<Self> {
        let keys = RowKeys::build(&frame, &set.target, set.id.as_deref())?;
        let journal = Journal::open(&labels_dir(project), &set.dataset, &set.target)?;
        let mut s = Self {
            row_label: Vec::new(),
            base: Vec::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            counts: Vec::new(),
            orphans: Vec::new(),
            set,
            frame,
            keys,
            journal,
        };
        for c in s.set.classes.clone() {
            s.intern(&c);
        }
        s.base = match s.frame.column(&s.set.target) {
            Ok(c) => {
                let texts = text_values(c.as_materialized_series())?;
                let mut base = Vec::with_capacity(texts.len());
                for t in texts {
                    base.push(match t {
                        Some(t) if !t.trim().is_empty() => {
                            let t = s.set.check_label(&t).unwrap_or(t);
                            s.intern(&t)
                        }
                        _ => NONE,
                    });
                }
                base
            }
            Err(_) => vec![NONE; s.frame.height()],
        };
        s.row_label = s.base.clone();
        let labels: Vec<(String, String)> = s
            .journal
            .state
            .labels
            .iter()
            .map(|(k, c)| (k.clone(), c.label.clone()))
            .collect();
        for (key, label) in labels {
            match s.keys.row(&key) {
                Some(row) => {
                    let v = s.intern(&label);
                    s.row_label[row] = v;
                }
                None => s.orphans.push(key),
            }
        }
        s.orphans.sort();
        s.recount();
        Ok(s)
    }

    fn intern(&mut self, label: &str) -> u32 {
        if let Some(&i) = self.value_index.get(label) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(label.to_owned());
        self.value_index.insert(label.to_owned(), i);
        self.counts.push(0);
        i
    }

    fn recount(&mut self) {
        self.counts = vec![0; self.values.len()];
        for &v in &self.row_label {
            if v != NONE {
                self.counts[v as usize] += 1;
            }
        }
    }

    pub fn rows(&self) -> usize {
        self.row_label.len()
    }

    pub fn label(&self, row: usize) -> Option<&str> {
        match self.row_label.get(row) {
            Some(&v) if v != NONE => Some(&self.values[v as usize]),
            _ => None,
        }
    }

    /// The class index (key order) of a row's label, if it is a class.
    pub fn class(&self, row: usize) -> Option<usize> {
        let v = *self.row_label.get(row)?;
        (v != NONE && (v as usize) < self.set.classes.len()).then_some(v as usize)
    }

    pub fn is_labelled(&self, row: usize) -> bool {
        self.row_label.get(row).is_some_and(|&v| v != NONE)
    }

    pub fn labelled(&self) -> usize {
        self.counts.iter().sum()
    }

    /// `(label, rows)`: the classes in key order, then other labels.
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.values
            .iter()
            .zip(&self.counts)
            .enumerate()
            .filter(|(i, (_, n))| *i < self.set.classes.len() || **n > 0)
            .map(|(_, (v, n))| (v.clone(), *n))
            .collect()
    }

    /// Labelled rows as `(row, class index)`, for the suggestion model.
    pub fn labelled_classes(&self) -> Vec<(usize, usize)> {
        (0..self.rows())
            .filter_map(|r| self.class(r).map(|c| (r, c)))
            .collect()
    }

    /// Give `rows` the label (None removes the journal's label), as one
    /// action: fsynced to the journal before this returns. Returns how
    /// many rows changed.
    pub fn set_rows(
        &mut self,
        rows: &[usize],
        label: Option<&str>,
        source: Source,
    ) -> Result<usize> {
        let label = label.map(|l| self.set.check_label(l)).transpose()?;
        let changes: Vec<(String, Option<String>)> = rows
            .iter()
            .filter(|&&r| r < self.rows())
            .map(|&r| (self.keys.keys[r].clone(), label.clone()))
            .collect();
        let entries = self.journal.append(&changes, source)?;
        self.apply(&entries);
        Ok(entries.len())
    }

    /// Give each row its own label, as one action (an import).
    pub fn set_each(&mut self, labels: &[(usize, String)], source: Source) -> Result<usize> {
        let mut changes = Vec::with_capacity(labels.len());
        for (r, l) in labels {
            if *r < self.rows() {
                changes.push((self.keys.keys[*r].clone(), Some(self.set.check_label(l)?)));
            }
        }
        let entries = self.journal.append(&changes, source)?;
        self.apply(&entries);
        Ok(entries.len())
    }

    /// Undo the newest action; `(its source, the rows it changed back)`, or None.
    pub fn undo(&mut self) -> Result<Option<(Source, Vec<usize>)>> {
        let Some((step, entries)) = self.journal.undo()? else {
            return Ok(None);
        };
        self.apply(&entries);
        let rows = entries
            .iter()
            .filter_map(|e| self.keys.row(&e.key))
            .collect();
        Ok(Some((step.source, rows)))
    }

    /// Pick up labels another process wrote.
    pub fn refresh(&mut self) -> Result<()> {
        let before = self.journal.position();
        self.journal.refresh()?;
        if self.journal.position() != before {
            let labels: Vec<(usize, Option<String>)> = self
                .keys
                .keys
                .iter()
                .enumerate()
                .map(|(r, k)| (r, self.journal.state.label(k).map(str::to_owned)))
                .collect();
            for (row, l) in labels {
                self.row_label[row] = match l {
                    Some(l) => self.intern(&l),
                    None => self.base[row],
                };
            }
            self.recount();
        }
        Ok(())
    }

    fn apply(&mut self, entries: &[Entry]) {
        for e in entries {
            let Some(row) = self.keys.row(&e.key) else {
                continue;
            };
            let old = self.row_label[row];
            let new = match &e.label {
                Some(l) => self.intern(l),
                None => self.base[row],
            };
            if old != NONE {
                self.counts[old as usize] -= 1;
            }
            if new != NONE {
                self.counts[new as usize] += 1;
            }
            self.row_label[row] = new;
        }
    }

    /// The next unlabelled row of `queue` after position `from` (wrapping).
    pub fn next_unlabelled(&self, queue: &[u32], from: usize) -> Option<usize> {
        let n = queue.len();
        (1..=n)
            .map(|d| (from + d) % n)
            .find(|&i| !self.is_labelled(queue[i] as usize))
    }

    pub fn status(&self) -> Status {
        let mut annotators: HashMap<&str, usize> = HashMap::new();
        for c in self.journal.state.labels.values() {
            *annotators.entry(c.annotator.as_str()).or_default() += 1;
        }
        let mut annotators: Vec<(String, usize)> = annotators
            .into_iter()
            .map(|(a, n)| (a.to_owned(), n))
            .collect();
        annotators.sort();
        Status {
            dataset: self.set.dataset.clone(),
            data: self.set.data.display().to_string(),
            target: self.set.target.clone(),
            kind: self.set.kind,
            rows: self.rows(),
            labelled: self.labelled(),
            classes: self.counts(),
            orphans: self.orphans.len(),
            orphan_examples: self.orphans.iter().take(5).cloned().collect(),
            journal: self.journal.path().display().to_string(),
            journal_position: self.journal.position(),
            annotators,
            agreement: agreement::pairs(&self.journal.state.by_annotator),
            warnings: self.journal.warnings.clone(),
        }
    }

    /// Apply a CSV (or any readable file) of `key,label` rows as one action.
    /// All or nothing: unknown keys or labels stop it before anything is written.
    pub fn import(&mut self, path: &Path) -> Result<usize> {
        let loaded = crate::data::load(path, &crate::data::LoadOptions::default())?;
        let df = loaded.frame;
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let (key_col, label_col) = if names.iter().any(|n| n == "key")
            && names.iter().any(|n| n == "label")
        {
            ("key".to_owned(), "label".to_owned())
        } else if names.len() == 2 {
            (names[0].clone(), names[1].clone())
        } else {
            return Err(Error::input(format!(
                "an import file has the columns 'key' and 'label' (or just two columns); this one has {}",
                names.join(", ")
            ))
            .at(path));
        };
        let keys = text_values(df.column(&key_col)?.as_materialized_series())?;
        let labels = text_values(df.column(&label_col)?.as_materialized_series())?;
        let mut changes: HashMap<usize, String> = HashMap::new();
        let mut unknown = Vec::new();
        for (i, (k, l)) in keys.iter().zip(&labels).enumerate() {
            // Line numbers of a CSV with a header: data starts on line 2.
            let line = i as u64 + 2;
            let Some(k) = k else {
                return Err(Error::input("a row has no key")
                    .at(path)
                    .line(line)
                    .field(&key_col));
            };
            let Some(l) = l.as_deref().filter(|l| !l.trim().is_empty()) else {
                continue;
            };
            let label = self
                .set
                .check_label(l)
                .map_err(|e| e.at(path).line(line).field(&label_col))?;
            match self.keys.row(k) {
                Some(r) => {
                    changes.insert(r, label);
                }
                None => unknown.push((line, k.clone())),
            }
        }
        if !unknown.is_empty() {
            let first: Vec<String> = unknown
                .iter()
                .take(5)
                .map(|(line, k)| format!("'{k}' (line {line})"))
                .collect();
            let how = match &self.set.id {
                Some(id) => format!("keys are values of the id column '{id}'"),
                None => "keys are the row keys `lathe label export` writes".to_owned(),
            };
            return Err(Error::input(format!(
                "{} key(s) match no row of the data: {}; nothing was imported",
                unknown.len(),
                first.join(", ")
            ))
            .at(path)
            .line(unknown[0].0)
            .field(&key_col)
            .hint(how));
        }
        // One action: one undo takes the whole import back.
        let mut labels: Vec<(usize, String)> = changes.into_iter().collect();
        labels.sort_unstable();
        self.set_each(&labels, Source::Import)
    }

    /// The data with its label column (numbers where every label is one).
    pub fn labelled_frame(&self, only_labelled: bool) -> Result<DataFrame> {
        let texts: Vec<Option<&str>> = (0..self.rows()).map(|r| self.label(r)).collect();
        let target = self.set.target.as_str();
        let all_int = texts.iter().flatten().all(|t| t.parse::<i64>().is_ok());
        let all_num = texts.iter().flatten().all(|t| t.parse::<f64>().is_ok());
        let column = if self.set.kind == LabelKind::Regression || (all_num && !all_int) {
            let v: Vec<Option<f64>> = texts
                .iter()
                .map(|t| t.and_then(|t| t.parse().ok()))
                .collect();
            Column::new(target.into(), v)
        } else if all_int {
            let v: Vec<Option<i64>> = texts
                .iter()
                .map(|t| t.and_then(|t| t.parse().ok()))
                .collect();
            Column::new(target.into(), v)
        } else {
            Column::new(target.into(), texts)
        };
        let mut df = self.frame.clone();
        df.with_column(column)?;
        if only_labelled {
            let mask: BooleanChunked = (0..self.rows())
                .map(|r| Some(self.is_labelled(r)))
                .collect();
            df = df.filter(&mask)?;
        }
        Ok(df)
    }

    /// Write the data with its labels to `out`: Parquet for `.parquet`,
    /// else CSV; atomically (temp file, fsync, rename).
    pub fn export(&self, out: &Path, only_labelled: bool) -> Result<usize> {
        write_frame(&mut self.labelled_frame(only_labelled)?, out)
    }
}

/// Write `df` to `out`: Parquet for `.parquet`, else CSV; atomically (temp
/// file, fsync, rename). Returns the rows written.
pub fn write_frame(df: &mut DataFrame, out: &Path) -> Result<usize> {
    let parquet = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let mut bytes = Vec::new();
    if parquet {
        ParquetWriter::new(&mut bytes).finish(df)?;
    } else {
        CsvWriter::new(&mut bytes).finish(df)?;
    }
    crate::config::write_atomic(out, &bytes)?;
    Ok(df.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let p = Project::init(dir.path(), Some("t")).unwrap();
        (dir, p)
    }

    fn frame() -> DataFrame {
        df!(
            "x" => [1.0, 2.0, 3.0, 1.0],
            "y" => [None, Some("a"), None, None],
        )
        .unwrap()
    }

    fn choice(p: &Project) -> LabelChoice {
        LabelChoice {
            data: Some(p.root.join("d.csv")),
            target: Some("y".into()),
            classes: Some(vec!["a".into(), "b".into()]),
            ..LabelChoice::default()
        }
    }

    #[test]
    fn labels_survive_reopen_and_undo_restores_file_values() {
        let (_d, p) = project();
        let mut l = Labeling::open(&p, &choice(&p), frame()).unwrap();
        assert_eq!(l.labelled(), 1, "the file's own label counts");
        assert_eq!(l.set_rows(&[0, 3], Some("b"), Source::Bulk).unwrap(), 2);
        assert_eq!(l.set_rows(&[1], Some("b"), Source::Manual).unwrap(), 1);
        assert_eq!(l.counts(), vec![("a".into(), 0), ("b".into(), 3)]);
        assert!(l.set_rows(&[2], Some("c"), Source::Manual).is_err());
        let l2 = Labeling::open(
            &p,
            &LabelChoice {
                data: choice(&p).data,
                ..Default::default()
            },
            frame(),
        )
        .unwrap();
        assert_eq!(l2.label(0), Some("b"));
        assert_eq!(l2.label(3), Some("b"), "duplicate rows keep their own keys");
        assert_eq!(l2.label(1), Some("b"));
        assert_eq!(l.undo().unwrap(), Some((Source::Manual, vec![1])));
        assert_eq!(l.label(1), Some("a"), "undo goes back to the file's label");
        assert_eq!(l.undo().unwrap(), Some((Source::Bulk, vec![0, 3])));
        assert_eq!(l.labelled(), 1);
        assert_eq!(l.undo().unwrap(), None);
        let out = p.root.join("out.csv");
        l.export(&out, false).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text, "x,y\n1.0,\n2.0,a\n3.0,\n1.0,\n");
    }

    #[test]
    fn import_is_all_or_nothing() {
        let (_d, p) = project();
        let mut l = Labeling::open(&p, &choice(&p), frame()).unwrap();
        let key0 = l.keys.keys[0].clone();
        let f = p.root.join("in.csv");
        std::fs::write(&f, format!("key,label\n{key0},b\nnope,a\n")).unwrap();
        let e = l.import(&f).unwrap_err();
        assert_eq!(e.location.line, Some(3));
        assert!(e.message.contains("'nope'"), "{}", e.message);
        assert_eq!(l.labelled(), 1);
        std::fs::write(&f, format!("key,label\n{key0},zz\n")).unwrap();
        assert!(
            l.import(&f)
                .unwrap_err()
                .message
                .contains("'zz' is not a class")
        );
        std::fs::write(&f, format!("key,label\n{key0},b\n")).unwrap();
        assert_eq!(l.import(&f).unwrap(), 1);
        assert_eq!(l.label(0), Some("b"));
        assert_eq!(l.journal.state.labels[&key0].source, Source::Import);
    }
}
