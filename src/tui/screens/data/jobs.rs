//! Background work of the Data screen: loading, sorting and searching.

use std::path::Path;
use std::sync::mpsc::Sender;

use polars::prelude::{DataFrame, SortMultipleOptions};

use super::{DataScreen, PREVIEW_ROWS};
use crate::data::schema::SchemaSpec;
use crate::data::{self, LoadOptions};
use crate::error::Result;
use crate::jobs::{CancelToken, ChannelProgress, JobUpdate, Throttled, run_in_background};
use crate::tui::event::{Event, JobMsg};

impl DataScreen {
    pub(super) fn start_sort(&mut self) {
        let Some(l) = &self.loaded else { return };
        if l.frame.width() == 0 {
            return;
        }
        if !l.complete || self.loading() {
            self.status = "wait for the whole file to load and be profiled before sorting".into();
            return;
        }
        let next = match self.sort {
            Some((c, false)) if c == self.col => Some((c, true)),
            Some((c, true)) if c == self.col => None,
            _ => Some((self.col, false)),
        };
        let Some((col, descending)) = next else {
            self.sort = None;
            self.sorted = None;
            self.status = "file order".into();
            return;
        };
        // Shown as sorted only once the sorted rows are in.
        self.sort_pending = next;
        let df = l.frame.clone();
        let name = df.get_column_names()[col].to_string();
        self.status = format!(
            "sorted by '{name}' {}",
            if descending {
                "descending"
            } else {
                "ascending"
            }
        );
        let (id, _) = self.start_job("sorting", false);
        let tx = self.tx.clone();
        let _ = run_in_background(
            "sort",
            move || {
                let opts = SortMultipleOptions::default()
                    .with_order_descending(descending)
                    .with_nulls_last(true)
                    .with_maintain_order(true);
                Ok(df.sort([name.as_str()], opts)?)
            },
            move |r| Self::send(&tx, id, JobMsg::Sorted(r)),
        );
    }

    pub(super) fn start_search(&mut self) {
        let (Some(df), Some(q)) = (self.frame().cloned(), self.search.clone()) else {
            return;
        };
        let from = self.row + 1;
        if self.loading() {
            self.status = "wait for the whole file to load and be profiled before searching".into();
            return;
        }
        let (id, cancel) = self.start_job(&format!("searching for '{q}'"), false);
        let tx = self.tx.clone();
        let _ = run_in_background(
            "search",
            move || find(&df, &q, from, &cancel),
            move |r| {
                Self::send(&tx, id, JobMsg::Found(r));
            },
        );
    }
}

/// The background load: preview, whole file, profile, checks.
pub(super) fn load_job(
    tx: &Sender<Event>,
    id: u64,
    path: &Path,
    options: &LoadOptions,
    schema: &SchemaSpec,
    cancel: &CancelToken,
) -> Result<()> {
    let send = |m: JobMsg| DataScreen::send(tx, id, m);
    let mut preview = data::preview(path, options, PREVIEW_ROWS)?;
    let loaded = if preview.frame.height() < PREVIEW_ROWS {
        // The preview already holds the whole file.
        preview.complete = true;
        preview
    } else {
        send(JobMsg::Preview(Ok(preview)));
        cancel.check()?;
        send(JobMsg::Progress(JobUpdate {
            stage: "reading the whole file".into(),
            fraction: None,
        }));
        data::load(path, options)?
    };
    cancel.check()?;
    let frame = loaded.frame.clone();
    send(JobMsg::Loaded(Ok(loaded)));
    let ptx = tx.clone();
    let progress = Throttled::new(ChannelProgress::new(ptx, move |u| {
        Event::Job(id, JobMsg::Progress(u))
    }));
    let profile = data::profile(&frame, cancel, &progress)?;
    let checks = match schema.load() {
        Ok(Some(s)) => Some(Ok(data::validate(&frame, &profile, &s))),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    };
    send(JobMsg::Profiled(Ok((profile, checks))));
    Ok(())
}

/// The first row at or after `from` (wrapping) where any cell contains `q`, ignoring case.
fn find(df: &DataFrame, q: &str, from: usize, cancel: &CancelToken) -> Result<Option<usize>> {
    let q = q.to_lowercase();
    let n = df.height();
    let mut best: Option<usize> = None;
    for col in df.columns() {
        cancel.check()?;
        // Columns with no text form (lists, structs) cannot match.
        let Ok(text) = col.cast(&polars::prelude::DataType::String) else {
            continue;
        };
        let ca = text.str()?;
        let hit = |r: usize| ca.get(r).is_some_and(|v| v.to_lowercase().contains(&q));
        // Rows are ranked by distance from `from`, wrapping around.
        let found = (from..n).chain(0..from.min(n)).find(|&r| hit(r));
        if let Some(r) = found {
            let key = |r: usize| (r + n - from.min(n)) % n.max(1);
            if best.is_none_or(|b| key(r) < key(b)) {
                best = Some(r);
            }
        }
    }
    Ok(best)
}
