//! `lathe pipeline run|history|generate`: the declarative retraining pipeline.
//!
//! Exit codes of `run`: 0 done or nothing to do, 1 a data check or the gate
//! failed (nothing promoted), 2 bad input or an error, 130 cancelled.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{Cli, output};
use crate::error::{Error, Result};
use crate::pipeline::{self, Outcome, PipelineRecord, RunOptions};
use crate::project::{PROJECT_FILE, Project};

const JSON_VERSION: u32 = 1;

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Run the [pipeline] of lathe.toml: data, validate, labels, train, gate, bundle, promote.
    Run(RunArgs),
    /// The pipeline runs of this project, newest first: every step's verdict and timing.
    History {
        /// Show at most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Write Kubernetes (CronJob), Tekton (Task, Pipeline) and kustomize files that run the pipeline.
    Generate(pipeline::deploy::GenerateArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project file (or its folder); default: the project here.
    pub file: Option<PathBuf>,
    /// Check the newest batch against the champion's training data first; retrain only on drift.
    #[arg(long)]
    pub when_drift: bool,
    /// Wait for a pipeline already running on this project instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// Training threads (default: the train spec's, or every core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// A static lathe-serve to bundle (default: [pipeline.bundle], $LATHE_SERVER_BINARY, else the one lathe carries).
    #[arg(long, value_name = "PATH")]
    pub server_binary: Option<PathBuf>,
    /// Write the folder of the bundle this run made to FILE (empty when it made none), for CI.
    #[arg(long, value_name = "FILE")]
    pub bundle_path_file: Option<PathBuf>,
    /// Print one JSON document: the pipeline run record.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, cmd: &PipelineCommand) -> Result<i32> {
    match cmd {
        PipelineCommand::Run(a) => run_pipeline(cli, a),
        PipelineCommand::History { limit, json } => history(cli, *limit, *json),
        PipelineCommand::Generate(a) => {
            let project = open(cli, None)?;
            let (files, notes) = pipeline::deploy::write(&project, a)?;
            for f in files {
                output::emitln(&format!("wrote {}", f.display()))?;
            }
            for n in notes {
                eprintln!("note: {n}");
            }
            Ok(0)
        }
    }
}

/// The project named by FILE, `--project`, or found from here.
fn open(cli: &Cli, file: Option<&Path>) -> Result<Project> {
    let root = match (file, &cli.project) {
        (Some(f), _) if f.is_dir() => f.to_owned(),
        (Some(f), _) => {
            if f.file_name().is_some_and(|n| n != PROJECT_FILE) {
                return Err(Error::usage(format!(
                    "the pipeline lives in a project's {PROJECT_FILE}, not in {}",
                    f.display()
                )));
            }
            match f.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            }
        }
        (None, Some(dir)) => dir.clone(),
        (None, None) => {
            let here = std::env::current_dir().map_err(|e| Error::io(Path::new("."), &e))?;
            Project::discover(&here).ok_or_else(|| {
                Error::usage("no lathe project here (no lathe.toml in this folder or above)")
                    .hint("give the project file: lathe pipeline run path/to/lathe.toml")
            })?
        }
    };
    Project::open(&root)
}

fn run_pipeline(cli: &Cli, a: &RunArgs) -> Result<i32> {
    let project = open(cli, a.file.as_deref())?;
    let cancel = crate::jobs::CancelToken::new();
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        for sig in [SIGINT, SIGTERM] {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, cancel.flag());
            let _ = signal_hook::flag::register(sig, cancel.flag());
        }
    }
    let opts = RunOptions {
        when_drift: a.when_drift,
        wait: a.wait,
        jobs: a.jobs,
        server_binary: a.server_binary.clone(),
    };
    let tty = std::io::stderr().is_terminal() && !a.json;
    let on_step = |s: &str| {
        if tty {
            eprintln!("· {s}");
        }
    };
    let rec = pipeline::run(&project, &opts, &on_step, &cancel)?;
    if rec.outcome == Outcome::Error && !a.json {
        eprintln!("error: {}", rec.summary);
    }
    if let Some(f) = &a.bundle_path_file {
        let text = rec
            .bundle
            .as_ref()
            .map_or_else(String::new, |b| b.display().to_string());
        std::fs::write(f, text).map_err(|e| Error::io(f, &e))?;
    }
    if a.json {
        output::emitln(
            &serde_json::to_string_pretty(&json!({
                "lathe_json": JSON_VERSION,
                "exit_code": rec.outcome.exit_code(),
                "pipeline": rec,
            }))
            .unwrap_or_default(),
        )?;
    } else {
        output::emit(&summary(&rec))?;
    }
    Ok(rec.outcome.exit_code())
}

/// The human summary: one line per step, then the verdict.
pub fn summary(rec: &PipelineRecord) -> String {
    let rows: Vec<Vec<String>> = rec
        .steps
        .iter()
        .map(|s| {
            vec![
                s.step.clone(),
                s.verdict.clone(),
                format!("{:.1} s", s.seconds),
                s.detail.clone(),
            ]
        })
        .collect();
    let mut out = output::table(
        &["step", "verdict", "time", "detail"],
        &rows,
        &[false, false, true, false],
    );
    let word = match rec.outcome {
        Outcome::Done => "DONE",
        Outcome::NothingToDo => "UP TO DATE",
        Outcome::Failed => "FAILED",
        Outcome::Error | Outcome::Running => "ERROR",
        Outcome::Cancelled => "CANCELLED",
    };
    out.push_str(&format!("\n{word}: {}\n", rec.summary));
    out.push_str(&format!("pipeline run {}\n", rec.id));
    out
}

fn history(cli: &Cli, limit: usize, json: bool) -> Result<i32> {
    let project = open(cli, None)?;
    let runs = pipeline::state::history(&project)?;
    let runs: Vec<&PipelineRecord> = runs.iter().take(limit).collect();
    if json {
        output::emitln(
            &serde_json::to_string_pretty(&json!({
                "lathe_json": JSON_VERSION,
                "runs": runs,
            }))
            .unwrap_or_default(),
        )?;
        return Ok(0);
    }
    if runs.is_empty() {
        output::emitln("no pipeline runs yet: `lathe pipeline run` starts one")?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let secs: f64 = r.steps.iter().map(|s| s.seconds).sum();
            vec![
                r.id.get(..12).unwrap_or(&r.id).to_owned(),
                r.started.get(..19).unwrap_or(&r.started).replace('T', " "),
                r.outcome.name().to_owned(),
                format!("{secs:.1} s"),
                crate::data::display::truncate(&r.summary, 70),
            ]
        })
        .collect();
    output::emit(&output::table(
        &["run", "started", "outcome", "time", "summary"],
        &rows,
        &[false, false, false, true, false],
    ))?;
    Ok(0)
}
