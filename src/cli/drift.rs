//! `lathe drift`: the Drift screen on the command line. Exit 1 when dataset
//! drift is detected, 0 when not, 2 on bad input — so a scheduler or a CI
//! job can trigger retraining.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::data::resolve;
use super::{Cli, ReadArgs, output};
use crate::drift::spec::{Binning, Correction};
use crate::drift::stats::TestId;
use crate::drift::{self, DriftSpec, report};
use crate::error::{Error, Result};
use crate::jobs::CancelToken;

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The reference data: a file, or the name of a source in lathe.toml.
    #[arg(long, value_name = "FILE|SOURCE")]
    pub reference: String,
    /// The current (fresh) data: a file, the name of a source, or a folder of batch files
    /// (checked one by one, in name order: drift over time).
    #[arg(long, value_name = "FILE|SOURCE|DIR")]
    pub current: String,
    /// A drift.toml with the spec; flags override it.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// One test for every column: ks, chi_square, z, wasserstein, jensen_shannon, psi, hellinger, kl.
    #[arg(long, value_name = "TEST", value_parser = parse_test)]
    pub test: Option<TestId>,
    /// One threshold for every column (default: the test's own).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Binning of the binned tests: sturges (reference ∪ current) or quantiles (of the reference).
    #[arg(long, value_name = "BINNING", value_parser = parse_binning)]
    pub binning: Option<Binning>,
    /// Number of bins for the binned tests.
    #[arg(long, value_name = "N")]
    pub n_bins: Option<usize>,
    /// Dataset drift when at least this share of columns drifted (default 0.5).
    #[arg(long, value_name = "SHARE")]
    pub drift_share: Option<f64>,
    /// Correct p-values for testing many columns: bonferroni or bh (Benjamini–Hochberg).
    #[arg(long, value_name = "METHOD", value_parser = parse_correction)]
    pub correction: Option<Correction>,
    /// Columns to leave out, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub ignore: Vec<String>,
    /// Also write the reference's profile (what drift needs, without the rows) to this file;
    /// it can then be given as --reference.
    #[arg(long, value_name = "FILE")]
    pub save_profile: Option<PathBuf>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML report (charts inline as SVG).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write each column's chart as PNG into this folder.
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Write each column's chart as SVG into this folder.
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

fn parse_test(s: &str) -> std::result::Result<TestId, String> {
    TestId::from_name(s).ok_or_else(|| {
        format!(
            "'{s}' is not one of ks, chi_square, z, wasserstein, jensen_shannon, psi, hellinger, kl"
        )
    })
}

fn parse_binning(s: &str) -> std::result::Result<Binning, String> {
    match s {
        "sturges" => Ok(Binning::Sturges),
        "quantiles" | "quantile" => Ok(Binning::Quantiles),
        _ => Err(format!("'{s}' is not sturges or quantiles")),
    }
}

fn parse_correction(s: &str) -> std::result::Result<Correction, String> {
    match s {
        "none" => Ok(Correction::None),
        "bonferroni" => Ok(Correction::Bonferroni),
        "bh" | "benjamini-hochberg" | "benjamini_hochberg" | "fdr" => {
            Ok(Correction::BenjaminiHochberg)
        }
        _ => Err(format!("'{s}' is not none, bonferroni or bh")),
    }
}

pub fn run(cli: &Cli, args: &DriftArgs) -> Result<i32> {
    let mut spec = match &args.spec {
        Some(p) => DriftSpec::load(p)?,
        None => DriftSpec::default(),
    };
    if args.test.is_some() {
        spec.test = args.test;
    }
    if args.threshold.is_some() {
        spec.threshold = args.threshold;
    }
    if let Some(b) = args.binning {
        spec.binning = b;
    }
    if args.n_bins.is_some() {
        spec.n_bins = args.n_bins;
    }
    if let Some(s) = args.drift_share {
        spec.drift_share = s;
    }
    if let Some(c) = args.correction {
        spec.correction = c;
    }
    spec.ignore.extend(args.ignore.iter().cloned());
    spec.validate()?;

    let r_in = resolve(cli, &args.reference, &args.read)?;
    let c_in = resolve(cli, &args.current, &args.read)?;
    if c_in.path.is_dir() {
        return over_time(
            args,
            &spec,
            &r_in.path,
            &r_in.options,
            &c_in.path,
            &c_in.options,
        );
    }
    let bundle = crate::bundle::drift::BundleReference::open(&r_in.path)?;
    let reference = load_reference(&r_in.path, &r_in.options, args.save_profile.as_deref())?;
    if reference.height() == 0 {
        return Err(Error::input("the file has no rows to compare").at(&r_in.path));
    }
    // A big Parquet/IPC current file is read one column at a time.
    let stream_rows = std::env::var("LATHE_DRIFT_STREAM_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::drift::source::STREAM_ROWS);
    let streamed = crate::drift::source::ColumnFile::open(&c_in.path, stream_rows)?;
    let current = match &streamed {
        Some(f) => {
            use crate::drift::compute::Columns;
            eprintln!(
                "{}: {} rows, read column by column",
                c_in.path.display(),
                f.height()
            );
            None
        }
        None => {
            let c = crate::data::load(&c_in.path, &c_in.options)?;
            for w in &c.warnings {
                eprintln!("warning: {}: {w}", c_in.path.display());
            }
            if c.frame.height() == 0 {
                return Err(Error::input("the file has no rows to compare").at(&c_in.path));
            }
            Some(c.frame)
        }
    };
    let cancel = CancelToken::new();
    let rep = match (&streamed, &current) {
        (Some(file), _) => drift::compute::compare_columns(&reference, file, &spec, &cancel)?,
        (None, Some(frame)) => drift::compare(&reference, frame, &spec, &cancel)?,
        (None, None) => return Err(Error::internal("no current data")),
    };
    let model_check = match (&bundle, &current) {
        (Some(b), Some(frame)) => Some(b.check(frame, &spec, &cancel)?),
        (Some(_), None) => Some(crate::bundle::drift::ModelCheck {
            predictions: None,
            performance: None,
            shap: None,
            notes: vec![format!(
                "the current file has {} rows and was read column by column; scoring it for prediction drift and metrics needs its rows in memory, so that part is skipped",
                rep.current_rows
            )],
        }),
        (None, _) => None,
    };
    let prediction_drift = model_check
        .as_ref()
        .and_then(|c| c.predictions.as_ref())
        .is_some_and(|p| p.columns.iter().any(|c| c.drifted));

    if let Some(path) = &args.html {
        let page = report::html(&rep, &args.reference, &args.current)?;
        crate::config::write_atomic(path, page.as_bytes())?;
    }
    if let Some(dir) = &args.svg {
        report::write_svgs(&rep, dir)?;
    }
    if let Some(dir) = &args.png {
        report::write_pngs(&rep, dir)?;
    }
    if args.json {
        let doc = json!({
            "lathe_json": 1,
            "reference": args.reference,
            "current": args.current,
            "report": rep,
            "model": model_check,
        });
        output::emitln(
            &serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::internal(format!("JSON: {e}")))?,
        )?;
    } else {
        let rows: Vec<Vec<String>> = rep
            .columns
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    crate::drift::compute::kind_name(c.kind).to_owned(),
                    c.test.name().to_owned(),
                    format!("{:.4}", c.score),
                    format!("{}", c.threshold),
                    if c.drifted { "DRIFT" } else { "ok" }.to_owned(),
                    c.notes.join("; "),
                ]
            })
            .collect();
        let mut out = output::table(
            &[
                "column",
                "type",
                "test",
                "score",
                "threshold",
                "verdict",
                "notes",
            ],
            &rows,
            &[false, false, false, true, true, false, false],
        );
        for (name, why) in &rep.skipped {
            out.push_str(&format!("not checked: {name}: {why}\n"));
        }
        if !rep.missing_in_current.is_empty() {
            out.push_str(&format!(
                "missing in the current data: {}\n",
                rep.missing_in_current.join(", ")
            ));
        }
        if !rep.new_in_current.is_empty() {
            out.push_str(&format!(
                "new in the current data: {}\n",
                rep.new_in_current.join(", ")
            ));
        }
        out.push_str(&rep.summary());
        out.push('\n');
        if let Some(check) = &model_check {
            out.push_str(&model_text(check));
        }
        output::emit(&out)?;
    }
    Ok(if rep.dataset_drift || prediction_drift {
        1
    } else {
        0
    })
}

/// `--current DIR`: every batch file of the folder against the reference.
fn over_time(
    args: &DriftArgs,
    spec: &DriftSpec,
    ref_path: &std::path::Path,
    ref_opts: &crate::data::LoadOptions,
    dir: &std::path::Path,
    opts: &crate::data::LoadOptions,
) -> Result<i32> {
    use crate::drift::batches::{self, BatchReport};
    let reference = load_reference(ref_path, ref_opts, args.save_profile.as_deref())?;
    let cancel = CancelToken::new();
    let mut out: Vec<BatchReport> = Vec::new();
    for file in batches::batch_files(dir)? {
        let current = crate::data::load(&file, opts)?;
        if current.frame.height() == 0 {
            return Err(Error::input("the file has no rows to compare").at(&file));
        }
        let report = drift::compare(&reference, &current.frame, spec, &cancel)?;
        out.push(BatchReport {
            name: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            report,
        });
    }
    let table = batches::score_table(&out);
    if let Some(svg_dir) = &args.svg {
        std::fs::create_dir_all(svg_dir).map_err(|e| Error::io(svg_dir, &e))?;
        for (name, _) in &table {
            let path = svg_dir.join(format!("{}.over-time.svg", report::chart_file_stem(name)));
            crate::config::write_atomic(&path, batches::over_time_svg(name, &out)?.as_bytes())?;
        }
    }
    if args.html.is_some() || args.png.is_some() {
        return Err(Error::usage(
            "--html and --png take one current file; with a folder, use --json or --svg DIR",
        ));
    }
    if args.json {
        let doc = json!({
            "lathe_json": 1,
            "reference": args.reference,
            "current": args.current,
            "batches": out,
        });
        output::emitln(
            &serde_json::to_string_pretty(&doc)
                .map_err(|e| Error::internal(format!("JSON: {e}")))?,
        )?;
    } else {
        let mut header = vec!["column".to_owned()];
        header.extend(out.iter().map(|b| b.name.clone()));
        let rows: Vec<Vec<String>> = table
            .iter()
            .map(|(name, scores)| {
                let mut row = vec![name.clone()];
                row.extend(scores.iter().map(|s| match s {
                    Some((v, true)) => format!("{v:.4} *"),
                    Some((v, false)) => format!("{v:.4}"),
                    None => "—".to_owned(),
                }));
                row
            })
            .collect();
        let head: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut right = vec![false];
        right.extend(out.iter().map(|_| true));
        let mut text = output::table(&head, &rows, &right);
        text.push_str("* drifted\n");
        for b in &out {
            text.push_str(&format!("{}: {}\n", b.name, b.report.summary()));
        }
        output::emit(&text)?;
    }
    // The newest batch decides: that is the data a model sees now.
    Ok(if out.last().is_some_and(|b| b.report.dataset_drift) {
        1
    } else {
        0
    })
}

/// The prediction drift and the fresh metrics, as text.
fn model_text(check: &crate::bundle::drift::ModelCheck) -> String {
    let mut out = String::new();
    if let Some(p) = &check.predictions {
        out.push_str("\npredictions (fresh rows scored by the bundle's model, against its hold-out predictions):\n");
        for c in &p.columns {
            out.push_str(&format!(
                "  {:<24} {:<15} {:.4}  {}\n",
                c.name,
                c.test.name(),
                c.score,
                if c.drifted { "DRIFT" } else { "ok" }
            ));
        }
    }
    if let Some(perf) = &check.performance {
        out.push_str(&format!(
            "\nthe model on {} labelled fresh rows ('{}'; {} skipped), against training ({}):\n",
            perf.rows, perf.target, perf.skipped, perf.reference_from
        ));
        let rows: Vec<Vec<String>> = perf
            .metrics
            .iter()
            .map(|m| {
                vec![
                    m.metric.clone(),
                    format!("{:.4}", m.fresh),
                    m.reference
                        .map(|r| format!("{r:.4}"))
                        .unwrap_or_else(|| "—".into()),
                    m.reference
                        .map(|r| format!("{:+.4}", m.fresh - r))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&output::table(
            &["metric", "fresh", "training", "change"],
            &rows,
            &[false, true, true, true],
        ));
    }
    if let Some(s) = &check.shap {
        out.push_str(&s.text());
    }
    for n in &check.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The reference as a frame: read from a data file, rebuilt from a
/// reference profile (`--save-profile` makes one), or from a bundle's.
/// Optionally save its profile.
fn load_reference(
    path: &std::path::Path,
    opts: &crate::data::LoadOptions,
    save: Option<&std::path::Path>,
) -> Result<polars::prelude::DataFrame> {
    use crate::drift::profile::ReferenceProfile;
    let from_bundle = crate::bundle::drift::BundleReference::open(path)?.map(|b| b.profile);
    let profile = match from_bundle {
        Some(p) => Some(p),
        None if path.is_dir() => None,
        None => ReferenceProfile::read(path)?,
    };
    let (frame, profile) = match profile {
        Some(p) => (p.to_frame()?, Some(p)),
        None => {
            let loaded = crate::data::load(path, opts)?;
            for w in &loaded.warnings {
                eprintln!("warning: {}: {w}", path.display());
            }
            (loaded.frame, None)
        }
    };
    if let Some(out) = save {
        let p = match profile {
            Some(p) => p,
            None => ReferenceProfile::of(&frame)?,
        };
        crate::config::write_atomic(out, p.to_json()?.as_bytes())?;
    }
    Ok(frame)
}
