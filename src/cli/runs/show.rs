//! `lathe runs show RUN`: everything about one run — settings, lineage, metrics per fold and on
//! the hold-out, confusion matrix, threshold, importances and its files; or as JSON.

use serde_json::json;

use super::{JSON_VERSION, or_none, to_json};
use crate::cli::output;
use crate::error::{Error, Result};
use crate::experiments::Store;

pub(super) fn show(store: &Store, run: &str, as_json: bool) -> Result<i32> {
    let id = store.resolve(run)?;
    let r = store.read_run(&id)?;
    let cur = store.curation()?;
    let meta = cur.meta(&id).cloned().unwrap_or_default();
    let aliases = cur.aliases_of(&id);
    if as_json {
        let mut v = serde_json::to_value(&r).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("lathe_json".into(), json!(JSON_VERSION));
            o.insert("name".into(), json!(meta.name));
            o.insert("tags".into(), json!(meta.tags));
            o.insert("note".into(), json!(meta.note));
            o.insert("archived".into(), json!(meta.archived));
            o.insert("aliases".into(), json!(aliases));
        }
        output::emitln(&to_json(&v))?;
        return Ok(0);
    }
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<14}{v}\n"));
    line("run", r.run_id.clone());
    if let Some(n) = &meta.name {
        line("name", n.clone());
    }
    line("study", r.study_id.clone());
    line(
        "algorithm",
        format!("{} ({} {})", r.algorithm, r.engine, r.engine_version),
    );
    line(
        "params",
        r.params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    line("task", format!("{} of '{}'", r.task, r.target));
    line(
        "status",
        match &r.reason {
            Some(why) => format!("{}: {why}", r.status.name()),
            None => r.status.name().to_owned(),
        },
    );
    line(
        "tags",
        or_none(&meta.tags.iter().cloned().collect::<Vec<_>>().join(" ")).to_owned(),
    );
    line("aliases", or_none(&aliases.join(" ")).to_owned());
    if let Some(n) = &meta.note {
        line("note", n.clone());
    }
    line("started", r.started.clone());
    line(
        "data",
        format!("{} ({} rows)", r.lineage.data, r.lineage.rows),
    );
    line("fingerprint", r.lineage.data_fingerprint.clone());
    line(
        "code",
        format!(
            "lathe {} {}{}",
            r.lineage.lathe_version,
            r.lineage.git_commit.as_deref().unwrap_or("(no git)"),
            if r.lineage.git_dirty == Some(true) {
                " (dirty)"
            } else {
                ""
            }
        ),
    );
    line(
        "validation",
        format!(
            "{} folds, hold-out {}, seed {}",
            r.spec.validation.folds, r.spec.validation.holdout, r.spec.validation.seed
        ),
    );
    let rows: Vec<Vec<String>> = r
        .metrics
        .iter()
        .map(|(name, m)| {
            vec![
                name.clone(),
                format!("{:.4}", m.mean),
                format!("{:.4}", m.std),
                m.folds
                    .iter()
                    .map(|f| format!("{f:.4}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                r.holdout_metrics
                    .as_ref()
                    .and_then(|h| h.get(name))
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&output::table(
        &["metric", "mean", "std", "folds", "hold-out"],
        &rows,
        &[false, true, true, false, true],
    ));
    if let Some(cm) = &r.confusion_matrix {
        out.push_str("\nconfusion matrix (rows: true class; summed over the folds)\n");
        let mut header = vec![String::new()];
        header.extend(r.classes.iter().cloned());
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = cm
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut v = vec![r.classes.get(i).cloned().unwrap_or_default()];
                v.extend(row.iter().map(u64::to_string));
                v
            })
            .collect();
        let mut right = vec![false];
        right.extend(std::iter::repeat_n(true, r.classes.len()));
        out.push_str(&output::table(&header, &rows, &right));
    }
    if let Some(t) = &r.threshold {
        out.push_str(&format!(
            "\nthreshold     {:.4} (best {} {:.4} on the validation folds)\n",
            t.value, t.metric, t.score
        ));
    }
    if !r.importance.is_empty() {
        out.push_str("\npermutation importance (top 10)\n");
        for (col, v) in r.importance.iter().take(10) {
            out.push_str(&format!("  {col:<24}{v:.4}\n"));
        }
    }
    out.push_str(&format!(
        "\nfiles         {}{}\n",
        store.run_dir(&id).display(),
        if r.has_model && !meta.collected {
            " (run.json, model.json.gz)"
        } else {
            " (run.json)"
        }
    ));
    output::emit(&out)?;
    Ok(0)
}
