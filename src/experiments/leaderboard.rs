//! The leaderboard: every run as one row, sorted and filtered, with the best
//! value of each metric column marked. Shared by `lathe runs list`, its
//! exports and the Experiments screen.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::experiments::curation::Curation;
use crate::experiments::index::{MeanStd, RunEntry};
use crate::train::Task;
use crate::train::algorithms::params_text;
use crate::train::metrics::greater_is_better;
use crate::train::store::SHORT_ID;

/// A row's state, as the table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Finished,
    Cancelled,
    Failed,
    /// The run folder cannot be read.
    Damaged,
}

impl RowStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Finished => "finished",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::Damaged => "damaged",
        }
    }
}

/// One run in the leaderboard.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub run_id: String,
    pub name: Option<String>,
    pub study_id: String,
    pub algorithm: String,
    pub task: Option<Task>,
    pub target: String,
    /// Hyperparameters that differ from the algorithm's defaults, `k=v k=v`.
    pub params: String,
    /// One per [`Leaderboard::metrics`] column.
    pub metrics: Vec<Option<MeanStd>>,
    /// Mean fit time per fold, seconds.
    pub fit_s: Option<f64>,
    pub status: RowStatus,
    /// Why a run failed, was cancelled, or cannot be read.
    pub reason: Option<String>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    pub note: Option<String>,
    pub archived: bool,
    pub started: String,
    pub data_fingerprint: String,
    pub has_model: bool,
}

impl Row {
    /// The id as tables show it.
    pub fn short_id(&self) -> &str {
        &self.run_id[..self.run_id.len().min(SHORT_ID)]
    }

    /// Seconds since the run started (None when its time cannot be read).
    pub fn age_s(&self, now_s: i64) -> Option<i64> {
        parse_rfc3339(&self.started).map(|t| now_s - t)
    }

    fn search_text(&self) -> String {
        format!(
            "{} {} {} {} {} {} {} {}",
            self.run_id,
            self.name.as_deref().unwrap_or(""),
            self.algorithm,
            self.params,
            self.target,
            self.tags.join(" "),
            self.aliases.join(" "),
            self.note.as_deref().unwrap_or(""),
        )
        .to_lowercase()
    }
}

/// What a column of the leaderboard sorts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    /// Start time (the default: newest first).
    Started,
    Name,
    Algorithm,
    /// A metric column, by name.
    Metric(String),
    FitTime,
    Status,
}

impl SortKey {
    /// Parse a column name as the CLI takes it: `started`/`age`, `name`,
    /// `algorithm`, `fit`, `status`, or a metric name.
    pub fn parse(s: &str, metrics: &[String]) -> Result<Self> {
        Ok(match s {
            "started" | "age" | "id" => Self::Started,
            "name" => Self::Name,
            "algorithm" => Self::Algorithm,
            "fit" | "fit_time" | "fit_s" => Self::FitTime,
            "status" => Self::Status,
            m if metrics.iter().any(|x| x == m) => Self::Metric(m.to_owned()),
            other => {
                return Err(
                    Error::usage(format!("cannot sort by '{other}'")).hint(format!(
                        "sort by started, name, algorithm, fit, status or a metric: {}",
                        metrics.join(", ")
                    )),
                );
            }
        })
    }

    pub fn label(&self) -> String {
        match self {
            Self::Started => "started".into(),
            Self::Name => "name".into(),
            Self::Algorithm => "algorithm".into(),
            Self::Metric(m) => m.clone(),
            Self::FitTime => "fit".into(),
            Self::Status => "status".into(),
        }
    }

    /// The natural direction: best first for metrics, newest first for time.
    pub fn default_descending(&self) -> bool {
        match self {
            Self::Started => true,
            Self::Metric(m) => greater_is_better(m),
            _ => false,
        }
    }
}

/// Which rows to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub algorithm: Option<String>,
    pub tag: Option<String>,
    pub status: Option<String>,
    /// A prefix of the data fingerprint.
    pub fingerprint: Option<String>,
    /// Words that must all appear (case-insensitive) in id, name, algorithm,
    /// hyperparameters, target, tags, aliases or note.
    pub query: Option<String>,
    /// Show archived runs too.
    pub archived: bool,
}

impl Filter {
    pub fn matches(&self, row: &Row) -> bool {
        if row.archived && !self.archived {
            return false;
        }
        if let Some(a) = &self.algorithm
            && !row.algorithm.eq_ignore_ascii_case(a)
        {
            return false;
        }
        if let Some(t) = &self.tag
            && !row.tags.iter().any(|x| x == t)
        {
            return false;
        }
        if let Some(s) = &self.status
            && row.status.name() != s
        {
            return false;
        }
        if let Some(f) = &self.fingerprint
            && !row.data_fingerprint.starts_with(f.as_str())
        {
            return false;
        }
        if let Some(q) = &self.query {
            let text = row.search_text();
            if !q
                .to_lowercase()
                .split_whitespace()
                .all(|w| text.contains(w))
            {
                return false;
            }
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// A filter from one line of text, as the Experiments screen takes it:
    /// `algorithm:ID` (or `algo:`), `tag:T`, `status:S`, `fingerprint:P` (or
    /// `fp:`), `archived:yes`, and other words for the free-text query.
    pub fn from_query(text: &str) -> Result<Self> {
        let mut f = Self::default();
        let mut words = Vec::new();
        for w in text.split_whitespace() {
            match w.split_once(':') {
                Some(("algorithm" | "algo", v)) => f.algorithm = Some(v.to_owned()),
                Some(("tag", v)) => f.tag = Some(v.to_owned()),
                Some(("status", v)) => {
                    if !["finished", "failed", "cancelled", "damaged"].contains(&v) {
                        return Err(Error::usage(format!("'{v}' is not a run status"))
                            .hint("status: finished, failed, cancelled or damaged"));
                    }
                    f.status = Some(v.to_owned());
                }
                Some(("fingerprint" | "fp", v)) => f.fingerprint = Some(v.to_owned()),
                Some(("archived", v)) => f.archived = matches!(v, "yes" | "true" | "1"),
                _ => words.push(w),
            }
        }
        if !words.is_empty() {
            f.query = Some(words.join(" "));
        }
        Ok(f)
    }

    /// The filter as [`Filter::from_query`] reads it back.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.algorithm {
            parts.push(format!("algorithm:{v}"));
        }
        if let Some(v) = &self.tag {
            parts.push(format!("tag:{v}"));
        }
        if let Some(v) = &self.status {
            parts.push(format!("status:{v}"));
        }
        if let Some(v) = &self.fingerprint {
            parts.push(format!("fp:{v}"));
        }
        if self.archived {
            parts.push("archived:yes".to_owned());
        }
        if let Some(q) = &self.query {
            parts.push(q.clone());
        }
        parts.join(" ")
    }
}

/// All runs as rows, plus the metric columns they share.
#[derive(Debug, Clone, Serialize)]
pub struct Leaderboard {
    /// Metric names of the columns, in display order.
    pub metrics: Vec<String>,
    pub rows: Vec<Row>,
}

impl Leaderboard {
    /// Build the rows from the store's entries and the curation.
    pub fn build(entries: &[RunEntry], cur: &Curation) -> Self {
        let mut tasks: Vec<Task> = Vec::new();
        for e in entries {
            if let RunEntry::Ok(s) = e
                && !tasks.contains(&s.task)
            {
                tasks.push(s.task);
            }
        }
        tasks.sort_by_key(|t| matches!(t, Task::Regression));
        let metrics: Vec<String> = tasks
            .iter()
            .flat_map(|t| crate::train::leaderboard_columns(*t))
            .map(|(_, m)| (*m).to_owned())
            .collect();
        let aliases = cur.aliases_by_run();
        let rows = entries
            .iter()
            .map(|e| {
                let id = e.run_id();
                let meta = cur.meta(id).cloned().unwrap_or_default();
                let run_aliases = aliases
                    .get(id)
                    .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
                    .unwrap_or_default();
                match e {
                    RunEntry::Ok(s) => Row {
                        run_id: id.to_owned(),
                        name: meta.name,
                        study_id: s.study_id.clone(),
                        algorithm: s.algorithm.clone(),
                        task: Some(s.task),
                        target: s.target.clone(),
                        params: params_text(&s.algorithm, s.task, &s.params),
                        metrics: metrics.iter().map(|m| s.metrics.get(m).copied()).collect(),
                        fit_s: Some(s.fit_s),
                        status: match s.status {
                            crate::experiments::RunStatus::Finished => RowStatus::Finished,
                            crate::experiments::RunStatus::Failed => RowStatus::Failed,
                            crate::experiments::RunStatus::Cancelled => RowStatus::Cancelled,
                        },
                        reason: s.reason.clone(),
                        tags: meta.tags.into_iter().collect(),
                        aliases: run_aliases,
                        note: meta.note,
                        archived: meta.archived,
                        started: s.started.clone(),
                        data_fingerprint: s.data_fingerprint.clone(),
                        has_model: s.has_model && !meta.collected,
                    },
                    RunEntry::Damaged { reason, .. } => Row {
                        run_id: id.to_owned(),
                        name: meta.name,
                        study_id: String::new(),
                        algorithm: "?".to_owned(),
                        task: None,
                        target: String::new(),
                        params: String::new(),
                        metrics: vec![None; metrics.len()],
                        fit_s: None,
                        status: RowStatus::Damaged,
                        reason: Some(reason.clone()),
                        tags: meta.tags.into_iter().collect(),
                        aliases: run_aliases,
                        note: meta.note,
                        archived: meta.archived,
                        started: started_of_ulid(id),
                        data_fingerprint: String::new(),
                        has_model: false,
                    },
                }
            })
            .collect();
        Self { metrics, rows }
    }

    /// Indices of the rows that pass `filter`, sorted by `key`. Rows without
    /// a value for the key (failed runs, damaged folders) go last either way.
    pub fn view(&self, filter: &Filter, key: &SortKey, descending: bool) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.rows.len())
            .filter(|&i| filter.matches(&self.rows[i]))
            .collect();
        self.sort(&mut idx, key, descending);
        idx
    }

    /// Sort row indices by `key` (stable; ties by start time, newest first).
    pub fn sort(&self, idx: &mut [usize], key: &SortKey, descending: bool) {
        let col = match key {
            SortKey::Metric(m) => self.metrics.iter().position(|x| x == m),
            _ => None,
        };
        let dir = |o: Ordering| if descending { o.reverse() } else { o };
        idx.sort_by(|&a, &b| {
            let (ra, rb) = (&self.rows[a], &self.rows[b]);
            let primary = match key {
                SortKey::Started => dir(ra.started.cmp(&rb.started)),
                SortKey::Name => dir(display_name(ra).cmp(display_name(rb))),
                SortKey::Algorithm => dir(ra.algorithm.cmp(&rb.algorithm)),
                SortKey::Status => dir(ra.status.cmp(&rb.status)),
                SortKey::FitTime => missing_last(ra.fit_s, rb.fit_s, dir),
                SortKey::Metric(_) => {
                    let v = |r: &Row| col.and_then(|c| r.metrics[c]).map(|m| m.mean);
                    missing_last(v(ra), v(rb), dir)
                }
            };
            primary.then_with(|| rb.started.cmp(&ra.started))
        });
    }

    /// For each metric column, the row (among `idx`) holding the best mean of
    /// a finished run.
    pub fn best(&self, idx: &[usize]) -> Vec<Option<usize>> {
        (0..self.metrics.len())
            .map(|c| {
                let greater = greater_is_better(&self.metrics[c]);
                idx.iter()
                    .copied()
                    .filter(|&i| self.rows[i].status == RowStatus::Finished)
                    .filter_map(|i| {
                        self.rows[i].metrics[c]
                            .map(|m| (i, m.mean))
                            .filter(|(_, v)| v.is_finite())
                    })
                    .max_by(|a, b| {
                        let o = a.1.total_cmp(&b.1);
                        if greater { o } else { o.reverse() }
                    })
                    .map(|(i, _)| i)
            })
            .collect()
    }

    /// The table as CSV: one column for each metric's mean and one for its std.
    pub fn to_csv(&self, idx: &[usize]) -> String {
        let mut out = String::from("run_id,name,algorithm,params,status,reason,tags,aliases");
        for m in &self.metrics {
            let _ = write!(out, ",{m},{m}_std");
        }
        out.push_str(",fit_s,started,data_fingerprint\n");
        for &i in idx {
            let r = &self.rows[i];
            let cells = [
                r.run_id.clone(),
                r.name.clone().unwrap_or_default(),
                r.algorithm.clone(),
                r.params.clone(),
                r.status.name().to_owned(),
                r.reason.clone().unwrap_or_default(),
                r.tags.join(" "),
                r.aliases.join(" "),
            ];
            out.push_str(
                &cells
                    .iter()
                    .map(|c| csv_cell(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            for m in &r.metrics {
                match m {
                    Some(m) => {
                        let _ = write!(out, ",{},{}", num(m.mean), num(m.std));
                    }
                    None => out.push_str(",,"),
                }
            }
            let _ = writeln!(
                out,
                ",{},{},{}",
                r.fit_s.map(num).unwrap_or_default(),
                r.started,
                r.data_fingerprint
            );
        }
        out
    }

    /// The table as GitHub-flavoured Markdown, best values in bold.
    pub fn to_markdown(&self, idx: &[usize]) -> String {
        let best = self.best(idx);
        let mut out = String::from("| run | name | algorithm | params |");
        for m in &self.metrics {
            let _ = write!(out, " {m} |");
        }
        out.push_str(" fit s | status | tags | aliases |\n|---|---|---|---|");
        for _ in &self.metrics {
            out.push_str("---:|");
        }
        out.push_str("---:|---|---|---|\n");
        for &i in idx {
            let r = &self.rows[i];
            let _ = write!(
                out,
                "| {} | {} | {} | {} |",
                r.short_id(),
                md_cell(r.name.as_deref().unwrap_or("")),
                r.algorithm,
                md_cell(&r.params)
            );
            for (c, m) in r.metrics.iter().enumerate() {
                match m {
                    Some(m) if best[c] == Some(i) => {
                        let _ = write!(out, " **{:.4} ± {:.4}** |", m.mean, m.std);
                    }
                    Some(m) => {
                        let _ = write!(out, " {:.4} ± {:.4} |", m.mean, m.std);
                    }
                    None => out.push_str(" — |"),
                }
            }
            let status = match &r.reason {
                Some(why) => format!("{}: {}", r.status.name(), md_cell(why)),
                None => r.status.name().to_owned(),
            };
            let _ = writeln!(
                out,
                " {} | {} | {} | {} |",
                r.fit_s.map(|s| format!("{s:.3}")).unwrap_or_default(),
                status,
                r.tags.join(" "),
                r.aliases.join(" ")
            );
        }
        out
    }

    /// The table as JSON: an array of rows with metrics by name.
    pub fn to_json(&self, idx: &[usize]) -> serde_json::Value {
        let best = self.best(idx);
        let rows: Vec<serde_json::Value> = idx
            .iter()
            .map(|&i| {
                let r = &self.rows[i];
                let metrics: BTreeMap<&str, serde_json::Value> = self
                    .metrics
                    .iter()
                    .zip(&r.metrics)
                    .enumerate()
                    .filter_map(|(c, (name, m))| {
                        m.map(|m| {
                            (
                                name.as_str(),
                                serde_json::json!({
                                    "mean": finite(m.mean),
                                    "std": finite(m.std),
                                    "best": best[c] == Some(i),
                                }),
                            )
                        })
                    })
                    .collect();
                serde_json::json!({
                    "run_id": r.run_id,
                    "name": r.name,
                    "study_id": r.study_id,
                    "algorithm": r.algorithm,
                    "task": r.task.map(|t| t.to_string()),
                    "target": r.target,
                    "params": r.params,
                    "metrics": metrics,
                    "fit_s": r.fit_s,
                    "status": r.status.name(),
                    "reason": r.reason,
                    "tags": r.tags,
                    "aliases": r.aliases,
                    "note": r.note,
                    "archived": r.archived,
                    "started": r.started,
                    "data_fingerprint": r.data_fingerprint,
                    "has_model": r.has_model,
                })
            })
            .collect();
        serde_json::Value::Array(rows)
    }
}

/// PyCaret's short header of a leaderboard metric (`F1`, `AUC`), or the metric's name.
pub fn metric_header(metric: &str) -> &str {
    [Task::Classification, Task::Regression]
        .iter()
        .flat_map(|t| crate::train::leaderboard_columns(*t))
        .find(|(_, m)| *m == metric)
        .map_or(metric, |(h, _)| h)
}

pub fn display_name(r: &Row) -> &str {
    r.name.as_deref().unwrap_or(&r.algorithm)
}

fn missing_last(a: Option<f64>, b: Option<f64>, dir: impl Fn(Ordering) -> Ordering) -> Ordering {
    let a = a.filter(|v| v.is_finite());
    let b = b.filter(|v| v.is_finite());
    match (a, b) {
        (Some(x), Some(y)) => dir(x.total_cmp(&y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The start time of a run id (a ULID carries its creation time).
fn started_of_ulid(id: &str) -> String {
    ulid::Ulid::from_string(id)
        .ok()
        .map(|u| {
            crate::train::record::rfc3339(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(u.timestamp_ms()),
            )
        })
        .unwrap_or_default()
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp as lathe writes them
/// (`2026-11-25T14:00:00.000Z`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A short age: `42s`, `5m`, `3h`, `12d`.
pub fn age_text(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_back() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_072_000);
        let s = crate::train::record::rfc3339(t);
        assert_eq!(parse_rfc3339(&s), Some(1_764_072_000));
        assert_eq!(parse_rfc3339("not a time"), None);
        assert_eq!(age_text(59), "59s");
        assert_eq!(age_text(7200), "2h");
    }

    #[test]
    fn a_query_line_sets_each_filter() {
        let f = Filter::from_query("tag:baseline algo:svm status:failed fp:sha256:ab kernel rbf")
            .unwrap_or_default();
        assert_eq!(f.tag.as_deref(), Some("baseline"));
        assert_eq!(f.algorithm.as_deref(), Some("svm"));
        assert_eq!(f.status.as_deref(), Some("failed"));
        assert_eq!(f.fingerprint.as_deref(), Some("sha256:ab"));
        assert_eq!(f.query.as_deref(), Some("kernel rbf"));
        assert_eq!(Filter::from_query(&f.to_query()).ok(), Some(f));
        assert!(Filter::from_query("status:weird").is_err());
    }

    #[test]
    fn csv_cells_are_quoted_when_needed() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
