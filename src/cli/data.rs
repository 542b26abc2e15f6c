//! `lathe data profile|head|validate`: the Data screen on the command line.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use serde::Serialize;

use super::{Cli, ReadArgs, output};
use crate::data::display::{self, cell_text};
use crate::data::profile::ColumnProfile;
use crate::data::schema::SchemaSpec;
use crate::data::{self, CheckResult, LoadOptions, Loaded, Profile};
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::project::Project;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Profile a data file: types, nulls, distinct values, statistics, fingerprint.
    Profile(ProfileArgs),
    /// Print the first rows of a data file.
    Head(HeadArgs),
    /// Check a data file against a schema of data tests; exit 1 when a check fails.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// A data file, or the name of a source in lathe.toml.
    pub file: String,
    /// Print JSON (schema documented in the README) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write each column's chart (histogram or top values) as SVG into this folder.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct HeadArgs {
    /// A data file, or the name of a source in lathe.toml.
    pub file: String,
    /// Number of rows.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub rows: usize,
    /// Print JSON records instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A data file, or the name of a source in lathe.toml.
    pub file: String,
    /// Schema file with the data tests (default: the source's `schema` and `checks` in lathe.toml).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Print a starting schema inferred from this (good) file instead of checking.
    #[arg(long, conflicts_with = "schema")]
    pub infer: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Version of the JSON documents below; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct ProfileJson<'a> {
    lathe_json: u32,
    file: &'a Path,
    format: String,
    warnings: &'a [String],
    profile: &'a Profile,
}

#[derive(Serialize)]
struct ValidateJson<'a> {
    lathe_json: u32,
    file: &'a Path,
    fingerprint: &'a str,
    passed: bool,
    checks: &'a [CheckResult],
}

pub fn run(cli: &Cli, cmd: &DataCommand) -> Result<i32> {
    match cmd {
        DataCommand::Profile(a) => profile(cli, a),
        DataCommand::Head(a) => head(cli, a),
        DataCommand::Validate(a) => validate(cli, a),
    }
}

/// A file argument resolved: the path, and the project source it names, if any.
pub(super) struct Input {
    pub path: PathBuf,
    pub options: LoadOptions,
    pub schema: SchemaSpec,
}

/// The project of `--project`, or the one the current folder is in.
pub(super) fn current_project(cli: &Cli) -> Result<Option<Project>> {
    Ok(match &cli.project {
        Some(dir) => Some(Project::open(dir)?),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Project::discover(&d))
            .and_then(|root| Project::open(&root).ok()),
    })
}

pub(super) fn resolve(cli: &Cli, file: &str, read: &ReadArgs) -> Result<Input> {
    let mut options = read.to_options()?;
    let project = current_project(cli)?;
    let path = PathBuf::from(file);
    let source = project.as_ref().and_then(|p| {
        if path.exists() {
            p.source_for_path(&path).map(|s| (p, s))
        } else {
            p.source(file).map(|s| (p, s))
        }
    });
    let Some((project, source)) = source else {
        return Ok(Input {
            path,
            options,
            schema: SchemaSpec::default(),
        });
    };
    for (col, ty) in &source.types {
        options.types.entry(col.clone()).or_insert(*ty);
    }
    Ok(Input {
        path: project.resolve(&source.path),
        options,
        schema: project.schema_spec(source),
    })
}

fn load(input: &Input) -> Result<Loaded> {
    let loaded = data::load(&input.path, &input.options)?;
    for w in &loaded.warnings {
        eprintln!("warning: {}: {w}", input.path.display());
    }
    Ok(loaded)
}

fn run_profile(loaded: &Loaded) -> Result<Profile> {
    let progress = output::progress();
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        data::profile(&loaded.frame, &CancelToken::new(), &progress)
    }))
    .unwrap_or_else(|panic| {
        Err(Error::input(format!(
            "cannot profile this file: {}",
            crate::jobs::panic_message(panic.as_ref())
        )))
    });
    progress.finish();
    // Errors about a column name the column; say which file too.
    p.map_err(|e| {
        if e.path.is_none() {
            e.at(&loaded.path)
        } else {
            e
        }
    })
}

fn profile(cli: &Cli, a: &ProfileArgs) -> Result<i32> {
    let input = resolve(cli, &a.file, &a.read)?;
    let loaded = load(&input)?;
    let profile = run_profile(&loaded)?;
    if let Some(dir) = &a.charts {
        write_charts(dir, &profile)?;
    }
    if a.json {
        let doc = ProfileJson {
            lathe_json: JSON_VERSION,
            file: &input.path,
            format: loaded.format.to_string(),
            warnings: &loaded.warnings,
            profile: &profile,
        };
        output::emitln(&to_json(&doc)?)?;
        return Ok(0);
    }
    output::emit(&profile_text(&input.path, &loaded, &profile))?;
    Ok(0)
}

/// One SVG per column that has a chart: `NN-name.svg`, numbered in column order.
fn write_charts(dir: &Path, profile: &Profile) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    for (i, c) in profile.column_profiles.iter().enumerate() {
        let Some(svg) = data::charts::column_svg(c)? else {
            continue;
        };
        let safe: String = c
            .name
            .chars()
            .map(|ch| {
                if ch.is_alphanumeric() || ch == '-' || ch == '_' {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{:02}-{safe}.svg", i + 1));
        crate::config::write_atomic(&path, svg.as_bytes())?;
    }
    eprintln!("charts written to {}", dir.display());
    Ok(())
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Error::internal(e.to_string()))
}

/// The human-readable profile: a summary and one row per column.
pub fn profile_text(path: &Path, loaded: &Loaded, p: &Profile) -> String {
    let mut out = format!(
        "{}  ({}{})\n{} rows × {} columns, {} in memory, {} duplicate rows\nfingerprint {}\n\n",
        path.display(),
        loaded.format,
        loaded
            .dialect
            .as_ref()
            .map(|d| format!(
                ", {}, delimiter {:?}",
                d.encoding.label(),
                d.delimiter as char
            ))
            .unwrap_or_default(),
        p.rows,
        p.columns,
        data::human_bytes(p.memory_bytes),
        p.duplicate_rows,
        p.fingerprint
    );
    let rows: Vec<Vec<String>> = p.column_profiles.iter().map(column_row).collect();
    out.push_str(&output::table(
        &[
            "column",
            "type",
            "nulls",
            "null%",
            "distinct",
            "min",
            "p50",
            "max",
            "mean",
            "std / top",
        ],
        &rows,
        &[
            false, false, true, true, true, true, true, true, true, false,
        ],
    ));
    out
}

fn column_row(c: &ColumnProfile) -> Vec<String> {
    let opt = |v: Option<f64>| v.map(display::num).unwrap_or_default();
    let mut row = vec![
        display::truncate(&c.name, 28),
        c.logical_type.to_string(),
        c.nulls.to_string(),
        format!("{:.1}", c.null_pct),
        c.distinct.to_string(),
    ];
    if let Some(n) = &c.numeric {
        row.extend([
            opt(n.min),
            opt(n.quantile(0.5)),
            opt(n.max),
            opt(n.mean),
            opt(n.std),
        ]);
    } else if let Some(r) = &c.range {
        row.extend([
            r.min.clone(),
            String::new(),
            r.max.clone(),
            String::new(),
            String::new(),
        ]);
    } else {
        let top = c
            .top
            .as_ref()
            .map(|t| {
                t.values
                    .iter()
                    .take(3)
                    .map(|(v, n)| format!("{} ({n})", display::truncate(v, 16)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        row.extend([
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            top,
        ]);
    }
    row
}

fn head(cli: &Cli, a: &HeadArgs) -> Result<i32> {
    let input = resolve(cli, &a.file, &a.read)?;
    let loaded = data::preview(&input.path, &input.options, a.rows)?;
    for w in &loaded.warnings {
        eprintln!("warning: {}: {w}", input.path.display());
    }
    let df = loaded.frame.head(Some(a.rows));
    if a.json {
        output::emitln(&to_json(&data::json_rows(&df))?)?;
    } else {
        let header: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        let rows: Vec<Vec<String>> = (0..df.height())
            .map(|i| {
                (0..df.width())
                    .map(|c| display::truncate(&cell_text(&df, c, i), 30))
                    .collect()
            })
            .collect();
        let numeric: Vec<bool> = df
            .columns()
            .iter()
            .map(|c| c.dtype().is_primitive_numeric())
            .collect();
        output::emit(&output::table(&header, &rows, &numeric))?;
    }
    Ok(0)
}

fn validate(cli: &Cli, a: &ValidateArgs) -> Result<i32> {
    let input = resolve(cli, &a.file, &a.read)?;
    let spec = match &a.schema {
        Some(file) => SchemaSpec {
            file: Some(file.clone()),
            inline: None,
        },
        None => input.schema.clone(),
    };
    // Read the schema first: a broken schema should not wait for a big file.
    let schema = if a.infer { None } else { spec.load()? };
    if schema.is_none() && !a.infer {
        return Err(Error::usage("no schema to check against")
            .at(&input.path)
            .hint("give --schema FILE, set `schema` or `checks` for this source in lathe.toml, or write one with --infer"));
    }
    let loaded = load(&input)?;
    let profile = run_profile(&loaded)?;
    let Some(schema) = schema else {
        output::emit(&data::infer_schema(&profile).to_toml())?;
        return Ok(0);
    };
    let checks = data::validate(&loaded.frame, &profile, &schema);
    let passed = checks.iter().all(|c| c.passed);
    if a.json {
        let doc = ValidateJson {
            lathe_json: JSON_VERSION,
            file: &input.path,
            fingerprint: &profile.fingerprint,
            passed,
            checks: &checks,
        };
        output::emitln(&to_json(&doc)?)?;
    } else {
        for c in &checks {
            let verdict = if c.passed { "PASS" } else { "FAIL" };
            let detail = if c.detail.is_empty() {
                String::new()
            } else {
                format!("  ({})", c.detail)
            };
            output::emitln(&format!("{verdict}  {}{detail}", c.check))?;
        }
        let failed = checks.iter().filter(|c| !c.passed).count();
        output::emitln(&format!(
            "\n{}: {} checks, {} failed",
            input.path.display(),
            checks.len(),
            failed
        ))?;
    }
    Ok(if passed { 0 } else { 1 })
}
