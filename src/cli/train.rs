//! `lathe train`: the Train screen on the command line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use serde_json::{Value, json};

use super::data::{current_project, resolve};
use super::{Cli, ReadArgs, output};
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::project::Project;
use crate::train::algorithms::{self, CATALOGUE};
use crate::train::record::{RunRecord, RunStatus};
use crate::train::search::{self, SearchEvent, SearchObserver};
use crate::train::spec::{AlgorithmSpec, GridValues, SearchKind, TrainSpec};
use crate::train::store::{SHORT_ID, Store};
use crate::train::{self, Task};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A data file, or the name of a source in lathe.toml.
    #[arg(long, value_name = "FILE|SOURCE")]
    pub data: Option<String>,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// classification or regression (default: inferred from the target).
    #[arg(long, value_name = "TASK", value_parser = parse_task)]
    pub task: Option<Task>,
    /// Algorithms to search, comma-separated (default: the set for the task; see --list).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub algorithms: Vec<String>,
    /// Values to try: `--grid random_forest.max_depth=6,10` (repeatable).
    #[arg(long = "grid", value_name = "ALGORITHM.PARAM=V1,V2")]
    pub grid: Vec<String>,
    /// Random search: draw N configurations per algorithm instead of the full grid.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Cross-validation folds (default 5).
    #[arg(long, value_name = "K")]
    pub folds: Option<usize>,
    /// Share of rows kept apart to score the refitted models (default 0.2; 0 for none).
    #[arg(long, value_name = "SHARE")]
    pub holdout: Option<f64>,
    /// Seed of the split and of every job (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel jobs (default: the machine's cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Metric to optimise (default f1_macro, or r2 for regression).
    #[arg(long)]
    pub metric: Option<String>,
    /// Stop starting jobs after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub time_budget: Option<f64>,
    /// Columns that are not features, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub ignore: Vec<String>,
    /// Identifier columns (never features), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub id: Vec<String>,
    /// Drop rows whose target is missing instead of refusing the data.
    #[arg(long)]
    pub drop_null_target: bool,
    /// Go ahead with a search of more than 10,000 jobs.
    #[arg(long)]
    pub yes: bool,
    /// A train.toml with the spec; flags override it.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Print one JSON document (see the README) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List the algorithms and their hyperparameters.
    #[arg(long)]
    pub list: bool,
    /// Reproduce a stored run and check its metrics and model bytes are identical.
    #[arg(long, value_name = "RUN")]
    pub rerun: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

fn parse_task(s: &str) -> std::result::Result<Task, String> {
    match s {
        "classification" | "classify" => Ok(Task::Classification),
        "regression" | "regress" => Ok(Task::Regression),
        _ => Err(format!("'{s}' is not classification or regression")),
    }
}

pub fn run(cli: &Cli, args: &TrainArgs) -> Result<i32> {
    if args.list {
        return list(args.json);
    }
    let project = current_project(cli)?.ok_or_else(|| {
        Error::usage("lathe train stores its runs in a project, and there is none here")
            .hint("run `lathe init` in this folder, or pass --project DIR")
    })?;
    let store = Store::open(&project);
    let cancel = CancelToken::new();
    install_interrupt(&cancel);
    if let Some(run) = &args.rerun {
        return rerun(&project, &store, run, args.json, &cancel);
    }
    let spec = build_spec(args)?;
    let data = spec.data.clone().ok_or_else(|| {
        Error::usage("no data: give --data FILE (or a source name from lathe.toml)").field("data")
    })?;
    let input = resolve(cli, &data, &args.read)?;
    let prep = train::load_and_prepare(&spec, &input.path, &input.options)?;
    for w in &prep.warnings {
        eprintln!("warning: {w}");
    }
    let lineage = train::lineage(&prep, Some(&project.root), &cancel)?;
    let ctx = search::SearchContext {
        store: Some(store),
        lineage,
        refit: true,
    };
    let observer = CliObserver::new(prep.metric.clone(), !args.json);
    let outcome = search::run(&prep, &ctx, &observer, &cancel)?;
    observer.finish();
    if args.json {
        let doc = json!({
            "lathe_json": 1,
            "study_id": outcome.study.study_id,
            "task": prep.task,
            "target": prep.target,
            "metric": prep.metric,
            "status": outcome.study.status,
            "elapsed_s": outcome.elapsed_s,
            "warnings": prep.warnings,
            "runs": outcome.runs.iter().map(run_json).collect::<Vec<_>>(),
        });
        output::emitln(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
    } else {
        output::emit(&leaderboard(&outcome.runs, prep.task, &prep.metric))?;
        output::emitln(&format!(
            "study {}: {} runs in {:.1} s; stored in {}",
            outcome.study.study_id,
            outcome.runs.len(),
            outcome.elapsed_s,
            ctx.store
                .as_ref()
                .map_or_else(String::new, |s| s.runs_dir.display().to_string())
        ))?;
    }
    Ok(if outcome.cancelled { 130 } else { 0 })
}

/// Ctrl-C cancels the search (finished runs are kept); a second Ctrl-C exits at once.
fn install_interrupt(cancel: &CancelToken) {
    use signal_hook::consts::SIGINT;
    let flag = cancel.flag();
    let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone());
    let _ = signal_hook::flag::register(SIGINT, flag);
}

/// The spec from `--spec` with the flags laid over it.
pub fn build_spec(args: &TrainArgs) -> Result<TrainSpec> {
    let mut spec = match &args.spec {
        Some(p) => TrainSpec::load(p)?,
        None => TrainSpec::default(),
    };
    if let Some(d) = &args.data {
        spec.data = Some(d.clone());
    }
    if let Some(t) = &args.target {
        spec.target = Some(t.clone());
    }
    if args.task.is_some() {
        spec.task = args.task;
    }
    if let Some(k) = args.folds {
        spec.validation.folds = k;
    }
    if let Some(h) = args.holdout {
        spec.validation.holdout = h;
    }
    if let Some(s) = args.seed {
        spec.validation.seed = s;
    }
    if args.jobs.is_some() {
        spec.jobs = args.jobs;
    }
    if args.metric.is_some() {
        spec.metric = args.metric.clone();
    }
    if args.time_budget.is_some() {
        spec.time_budget_s = args.time_budget;
    }
    spec.ignore.extend(args.ignore.iter().cloned());
    spec.id.extend(args.id.iter().cloned());
    spec.drop_null_target |= args.drop_null_target;
    spec.confirm_large |= args.yes;
    if let Some(n) = args.random {
        spec.search.kind = SearchKind::Random;
        spec.search.n_iter = n;
    }
    if !args.algorithms.is_empty() {
        spec.algorithms = args
            .algorithms
            .iter()
            .map(|id| AlgorithmSpec {
                id: id.trim().to_owned(),
                grid: BTreeMap::new(),
            })
            .collect();
    }
    for g in &args.grid {
        let (key, values) = g.split_once('=').ok_or_else(|| {
            Error::usage(format!("--grid wants ALGORITHM.PARAM=V1,V2, not '{g}'"))
        })?;
        let (alg, param) = key.split_once('.').ok_or_else(|| {
            Error::usage(format!("--grid wants ALGORITHM.PARAM=V1,V2, not '{g}'"))
        })?;
        let task = spec.task.unwrap_or(Task::Classification);
        let info = algorithms::find(alg, task)
            .or_else(|_| algorithms::find(alg, Task::Regression))
            .or_else(|_| algorithms::find(alg, Task::Classification))?;
        let p = info
            .params
            .iter()
            .find(|p| p.name == param)
            .ok_or_else(|| {
                Error::usage(format!(
                    "algorithm '{alg}' has no hyperparameter '{param}'; it has {}",
                    info.params
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let parsed = values
            .split(',')
            .map(|v| p.parse(v))
            .collect::<Result<Vec<_>>>()?;
        let entry = match spec.algorithms.iter_mut().find(|a| a.id == alg) {
            Some(e) => e,
            None => {
                spec.algorithms.push(AlgorithmSpec {
                    id: alg.to_owned(),
                    grid: BTreeMap::new(),
                });
                spec.algorithms
                    .last_mut()
                    .ok_or_else(|| Error::internal("grid"))?
            }
        };
        entry
            .grid
            .insert(param.to_owned(), GridValues::Many(parsed));
    }
    Ok(spec)
}

/// A progress bar on stderr: jobs done, elapsed, ETA, failures and the best score so far.
struct CliObserver {
    metric: String,
    bar: Option<indicatif::ProgressBar>,
    state: Mutex<ObserverState>,
}

#[derive(Default)]
struct ObserverState {
    failed: usize,
    best: Option<f64>,
}

impl CliObserver {
    fn new(metric: String, progress: bool) -> Self {
        let bar = progress
            .then(|| {
                output::bar(
                    output::style(
                        "training [{bar:24}] {pos}/{len} jobs{msg}  {elapsed_precise}  ETA {eta}",
                    )
                    .progress_chars("#."),
                )
            })
            .flatten();
        Self {
            metric,
            bar,
            state: Mutex::new(ObserverState::default()),
        }
    }

    /// Clear the bar before printing results.
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl SearchObserver for CliObserver {
    fn event(&self, event: SearchEvent) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let greater = crate::train::metrics::greater_is_better(&self.metric);
        match event {
            SearchEvent::Started { jobs, .. } => {
                if let Some(b) = &self.bar {
                    b.set_length(jobs as u64);
                    b.reset_eta();
                }
            }
            SearchEvent::JobFinished { score, .. } => {
                match score {
                    Ok(v) if !v.is_nan() => {
                        st.best = Some(match st.best {
                            Some(b) if (greater && b >= v) || (!greater && b <= v) => b,
                            _ => v,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => st.failed += 1,
                }
                if let Some(b) = &self.bar {
                    b.set_message(format!(
                        "{}{}",
                        if st.failed > 0 {
                            format!(" ({} failed)", st.failed)
                        } else {
                            String::new()
                        },
                        st.best
                            .map(|v| format!("  best {} {v:.4}", self.metric))
                            .unwrap_or_default(),
                    ));
                    b.inc(1);
                }
            }
            _ => {}
        }
    }
}

/// A run in the JSON documents of `lathe train` (and later `lathe runs`).
pub fn run_json(r: &RunRecord) -> Value {
    let metrics: serde_json::Map<String, Value> = r
        .metrics
        .iter()
        .map(|(k, m)| {
            (
                k.clone(),
                json!({"mean": num(m.mean), "std": num(m.std), "folds": m.folds.iter().map(|v| num(*v)).collect::<Vec<_>>()}),
            )
        })
        .collect();
    json!({
        "run_id": r.run_id,
        "algorithm": r.algorithm,
        "engine": format!("{} {}", r.engine, r.engine_version),
        "params": r.params,
        "status": r.status,
        "reason": r.reason,
        "metrics": metrics,
        "holdout_metrics": r.holdout_metrics,
        "threshold": r.threshold,
        "fit_s": r.timing.fit_s,
        "predict_s": r.timing.predict_s,
        "has_model": r.has_model,
        "model_bytes": r.model_bytes,
    })
}

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The runs as a table, best first by the optimised metric.
pub fn leaderboard(runs: &[RunRecord], task: Task, metric: &str) -> String {
    let greater = crate::train::metrics::greater_is_better(metric);
    let mut sorted: Vec<&RunRecord> = runs.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |r: &RunRecord| {
            let v = r.mean(metric).unwrap_or(f64::NAN);
            if v.is_nan() {
                f64::NEG_INFINITY
            } else if greater {
                v
            } else {
                -v
            }
        };
        key(b).total_cmp(&key(a))
    });
    let cols = train::leaderboard_columns(task);
    let mut header = vec!["Run", "Algorithm", "Params"];
    header.extend(cols.iter().map(|(h, _)| *h));
    header.extend(["TT (s)", "Status"]);
    let rows: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            let mut row = vec![
                r.run_id.get(..SHORT_ID).unwrap_or(&r.run_id).to_owned(),
                format!("{}{}", r.algorithm, if r.has_model { " *" } else { "" }),
                params_text(r),
            ];
            for (_, m) in cols {
                row.push(match r.metrics.get(*m) {
                    Some(s) if !s.mean.is_nan() => format!("{:.4}", s.mean),
                    _ => "—".to_owned(),
                });
            }
            row.push(format!("{:.2}", r.timing.fit_s));
            row.push(match (&r.status, &r.reason) {
                (RunStatus::Finished, _) => "finished".to_owned(),
                (s, Some(why)) => format!("{}: {why}", s.name()),
                (s, None) => s.name().to_owned(),
            });
            row
        })
        .collect();
    let mut right = vec![false, false, false];
    right.extend(cols.iter().map(|_| true));
    right.extend([true, false]);
    let mut out = output::table(&header, &rows, &right);
    out.push_str("* refitted on all training rows; model stored\n");
    out
}

/// Hyperparameters that differ from the algorithm's defaults, or "defaults".
fn params_text(r: &RunRecord) -> String {
    let text = algorithms::params_text(&r.algorithm, r.task, &r.params);
    if text.is_empty() {
        "defaults".to_owned()
    } else {
        text
    }
}

fn list(json_out: bool) -> Result<i32> {
    if json_out {
        let doc: Vec<Value> = CATALOGUE
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "task": a.task, "name": a.name, "engine": a.engine,
                    "description": a.description, "binary_only": a.binary_only,
                    "params": a.params.iter().map(|p| json!({
                        "name": p.name, "kind": p.kind_text(), "default": p.default_value(),
                        "description": p.description,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::emitln(
            &serde_json::to_string_pretty(&json!({"lathe_json": 1, "algorithms": doc}))
                .unwrap_or_default(),
        )?;
        return Ok(0);
    }
    let mut out = String::new();
    for task in [Task::Classification, Task::Regression] {
        out.push_str(&format!("{task}\n"));
        for a in CATALOGUE.iter().filter(|a| a.task == task) {
            out.push_str(&format!(
                "  {:<20} {} ({}){}\n",
                a.id,
                a.description,
                a.engine,
                if a.binary_only { "; two classes" } else { "" }
            ));
            for p in a.params {
                out.push_str(&format!(
                    "      {:<18} {:<28} default {:<6} {}\n",
                    p.name,
                    p.kind_text(),
                    p.default,
                    p.description
                ));
            }
        }
    }
    output::emit(&out)?;
    Ok(0)
}

fn rerun(
    project: &Project,
    store: &Store,
    run: &str,
    json_out: bool,
    cancel: &CancelToken,
) -> Result<i32> {
    let id = store.resolve(run)?;
    let report = train::rerun(store, &project.root, &id, cancel)?;
    let identical = report.identical();
    if json_out {
        let doc = json!({
            "lathe_json": 1,
            "run_id": id,
            "identical": identical,
            "differing_metrics": report.differing_metrics,
            "model_identical": report.model_identical,
            "model_sha256": report.rerun.model_sha256,
            "run": run_json(&report.rerun),
        });
        output::emitln(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
    } else {
        let folds = report
            .original
            .metrics
            .values()
            .map(|m| m.folds.len())
            .max()
            .unwrap_or(0);
        let mut out = format!("rerun of {id} ({})\n", report.original.algorithm);
        if report.differing_metrics.is_empty() {
            out.push_str(&format!(
                "  metrics: identical ({} metrics × {folds} folds, bit for bit)\n",
                report.original.metrics.len()
            ));
        } else {
            out.push_str(&format!(
                "  metrics: DIFFER in {}\n",
                report.differing_metrics.join(", ")
            ));
        }
        out.push_str(&match report.model_identical {
            Some(true) => format!(
                "  model: identical bytes (sha256 {})\n",
                report.rerun.model_sha256.as_deref().unwrap_or("")
            ),
            Some(false) => format!(
                "  model: DIFFERS (sha256 {} now, {} stored)\n",
                report.rerun.model_sha256.as_deref().unwrap_or(""),
                report.original.model_sha256.as_deref().unwrap_or("")
            ),
            None => "  model: the run has no stored model to compare\n".to_owned(),
        });
        output::emit(&out)?;
    }
    Ok(if identical { 0 } else { 1 })
}
