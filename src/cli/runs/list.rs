//! `lathe runs list`: the leaderboard — every run the filters select, with its metrics (mean ±
//! std over the folds), the best of each column starred; or as JSON.

use clap::Args;
use serde_json::json;

use super::{FilterArgs, JSON_VERSION, load_board, to_json};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;
use crate::experiments::leaderboard::{age_text, metric_header};

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most this many rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

pub(super) fn list(store: &Store, a: &ListArgs) -> Result<i32> {
    let board = load_board(store)?;
    let mut idx = a.filter.view(&board)?;
    let total = idx.len();
    if let Some(n) = a.limit {
        idx.truncate(n);
    }
    if a.json {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "metrics": board.metrics,
            "total": total,
            "runs": board.to_json(&idx),
        })))?;
        return Ok(0);
    }
    if idx.is_empty() {
        output::emitln(if board.rows.is_empty() {
            "no runs yet: `lathe train` makes some"
        } else {
            "no run matches"
        })?;
        return Ok(0);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let best = board.best(&idx);
    let mut header: Vec<&str> = vec!["Run", "Name", "Algorithm", "Params"];
    header.extend(board.metrics.iter().map(|m| metric_header(m)));
    header.extend(["Fit s", "Status", "Tags", "Alias", "Age"]);
    let rows: Vec<Vec<String>> = idx
        .iter()
        .map(|&i| {
            let r = &board.rows[i];
            let mut row = vec![
                r.short_id().to_owned(),
                r.name.clone().unwrap_or_default(),
                format!("{}{}", r.algorithm, if r.has_model { " +" } else { "" }),
                crate::data::display::truncate(&r.params, 30),
            ];
            for (c, m) in r.metrics.iter().enumerate() {
                row.push(match m {
                    Some(m) if m.mean.is_finite() => format!(
                        "{:.4}±{:.3}{}",
                        m.mean,
                        m.std,
                        if best[c] == Some(i) { "*" } else { " " }
                    ),
                    _ => "—".to_owned(),
                });
            }
            row.push(r.fit_s.map(|s| format!("{s:.2}")).unwrap_or_default());
            row.push(
                match &r.reason {
                    Some(why) => format!(
                        "{}: {}",
                        r.status.name(),
                        crate::data::display::truncate(why, 40)
                    ),
                    None => r.status.name().to_owned(),
                } + if r.archived { " (archived)" } else { "" },
            );
            row.push(r.tags.join(" "));
            row.push(r.aliases.join(" "));
            row.push(r.age_s(now).map(age_text).unwrap_or_default());
            row
        })
        .collect();
    let mut right = vec![false; 4];
    right.extend(std::iter::repeat_n(true, board.metrics.len() + 1));
    output::emit(&output::table(&header, &rows, &right))?;
    if idx.len() < total {
        output::emitln(&format!(
            "({} of {total} runs; --limit shows more)",
            idx.len()
        ))?;
    }
    output::emitln("* best of the column · + has a stored model (exportable as a bundle)")?;
    Ok(0)
}
