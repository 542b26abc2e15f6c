//! The filters and the sort order `list`, `export` and `push` share: `--algorithm`, `--tag`,
//! `--status`, `--fingerprint`, `--query`, `--all`, `--sort`, `--asc`/`--desc`.

use clap::Args;

use crate::error::{Error, Result};
use crate::experiments::leaderboard::{Filter, Leaderboard, SortKey};

#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only runs of this algorithm.
    #[arg(long, value_name = "ID")]
    pub algorithm: Option<String>,
    /// Only runs with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only runs with this status: finished, failed, cancelled, damaged.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only runs on data whose fingerprint starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub fingerprint: Option<String>,
    /// Only runs whose id, name, algorithm, params, tags, aliases or note contain these words.
    #[arg(long, short, value_name = "WORDS")]
    pub query: Option<String>,
    /// Include archived runs.
    #[arg(long)]
    pub all: bool,
    /// Sort by: started (default), name, algorithm, fit, status, or a metric.
    #[arg(long, value_name = "COLUMN")]
    pub sort: Option<String>,
    /// Ascending order (metrics sort best first by default, time newest first).
    #[arg(long, conflicts_with = "desc")]
    pub asc: bool,
    #[arg(long)]
    pub desc: bool,
}

impl FilterArgs {
    pub(super) fn filter(&self) -> Result<Filter> {
        if let Some(s) = &self.status
            && !["finished", "failed", "cancelled", "damaged"].contains(&s.as_str())
        {
            return Err(Error::usage(format!("'{s}' is not a run status"))
                .hint("use finished, failed, cancelled or damaged"));
        }
        Ok(Filter {
            algorithm: self.algorithm.clone(),
            tag: self.tag.clone(),
            status: self.status.clone(),
            fingerprint: self.fingerprint.clone(),
            query: self.query.clone(),
            archived: self.all,
        })
    }

    /// The filtered, sorted row indices.
    pub(super) fn view(&self, board: &Leaderboard) -> Result<Vec<usize>> {
        let key = match &self.sort {
            Some(s) => SortKey::parse(s, &board.metrics)?,
            None => SortKey::Started,
        };
        let desc = if self.asc {
            false
        } else {
            self.desc || key.default_descending()
        };
        Ok(board.view(&self.filter()?, &key, desc))
    }
}
