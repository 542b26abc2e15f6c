//! `lathe bundle export|verify|keygen`, `lathe predict` and `lathe serve`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use polars::prelude::*;
use serde_json::json;

use super::data::current_project;
use super::{Cli, ReadArgs, output};
use crate::bundle::export::{ExportOptions, export};
use crate::bundle::manifest::{Bundle, InputKind};
use crate::bundle::sign::{PublicKey, keygen};
use crate::bundle::verify::verify;
use crate::error::{Error, Result};
use crate::experiments::Store;
use crate::train::features::RawTable;
use crate::train::model::Scored;

const JSON_VERSION: u32 = 1;

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Export a run (id, prefix or @alias) as a container-ready bundle folder.
    #[command(disable_version_flag = true)]
    Export(ExportArgs),
    /// Check a bundle: checksums, manifest, signature, model, and a replay of its examples.
    Verify {
        dir: PathBuf,
        /// The public key the manifest's signature must verify with.
        #[arg(long, value_name = "PUB")]
        key: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Make an ed25519 key pair NAME.key (secret, mode 0600) and NAME.pub.
    Keygen { name: PathBuf },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run: its id, a unique prefix, or @alias.
    pub run: String,
    /// Write the bundle here (default .lathe/bundles/<name>/<version>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The model's name (DNS-safe; default: the project's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The bundle's version (default: 0.1.0, then the next patch number).
    #[arg(long, value_name = "X.Y.Z")]
    pub version: Option<String>,
    /// A static lathe-serve to put in the bundle (default: $LATHE_SERVER_BINARY, else the one lathe carries).
    #[arg(long, value_name = "PATH")]
    pub server_binary: Option<PathBuf>,
    /// Also write the image as an OCI archive (<bundle>.oci.tar) for `podman load`.
    #[arg(long)]
    pub oci: bool,
    /// Sign the manifest with this secret key (`lathe bundle keygen`).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// The image reference the Kubernetes files use (default localhost/<name>:<version>).
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The bundle folder.
    pub bundle: PathBuf,
    /// The rows to score (a data file or a project source).
    pub file: String,
    /// Where to write the predictions (CSV).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Refuse the bundle unless its manifest is signed with this public key.
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(cli: &Cli, cmd: &BundleCommand) -> Result<i32> {
    match cmd {
        BundleCommand::Export(a) => run_export(cli, a),
        BundleCommand::Verify { dir, key, json } => run_verify(dir, key.as_ref(), *json),
        BundleCommand::Keygen { name } => {
            let (secret, public) = keygen(name)?;
            output::emitln(&format!(
                "wrote {} (secret: keep it safe) and {}",
                secret.display(),
                public.display()
            ))?;
            Ok(0)
        }
    }
}

fn run_export(cli: &Cli, a: &ExportArgs) -> Result<i32> {
    let project = current_project(cli)?.ok_or_else(|| {
        Error::usage("runs live in a project, and there is none here")
            .hint("run lathe inside a project folder, or pass --project DIR")
    })?;
    let store = Store::open(&project);
    let run_id = store.resolve(&a.run)?;
    let opts = ExportOptions {
        out: a.out.clone(),
        name: a.name.clone(),
        version: a.version.clone(),
        server_binary: a.server_binary.clone(),
        oci: a.oci,
        sign: a.sign.clone(),
        image: a.image.clone(),
        ..ExportOptions::default()
    };
    let progress = output::progress();
    let done = export(&project, &store, &run_id, &opts, &progress)?;
    progress.finish();
    if a.json {
        output::emitln(
            &serde_json::to_string_pretty(&json!({
                "lathe_json": JSON_VERSION,
                "bundle": done,
            }))
            .unwrap_or_default(),
        )?;
        return Ok(0);
    }
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    output::emitln(&format!(
        "bundle {} {} of run {} in {} ({} files, {}{})",
        done.name,
        done.version,
        &done.run_id[..done.run_id.len().min(12)],
        done.dir.display(),
        done.files,
        crate::util::human_bytes(done.bytes),
        if done.signed { ", signed" } else { "" }
    ))?;
    if let Some((path, s)) = &done.oci {
        output::emitln(&format!(
            "image archive {} ({}): podman load -i {} → {}",
            path.display(),
            crate::util::human_bytes(s.archive_bytes),
            path.display(),
            s.reference
        ))?;
    }
    output::emitln(&format!(
        "build: buildah bud -t localhost/{n}:{v} {d}   serve: lathe serve {d}",
        n = done.name,
        v = done.version,
        d = done.dir.display()
    ))?;
    Ok(0)
}

fn run_verify(dir: &std::path::Path, key: Option<&PathBuf>, as_json: bool) -> Result<i32> {
    let key = key.map(|k| PublicKey::read(k)).transpose()?;
    let report = verify(dir, key.as_ref())?;
    let ok = report.problems.is_empty();
    if as_json {
        output::emitln(
            &serde_json::to_string_pretty(&json!({
                "lathe_json": JSON_VERSION,
                "bundle": dir,
                "name": report.manifest.name,
                "version": report.manifest.version,
                "run_id": report.manifest.run_id,
                "ok": ok,
                "signed": report.signed,
                "files": report.manifest.files.len(),
                "examples": report.examples,
                "problems": report.problems.iter().map(|p| json!({"what": p.what, "why": p.why})).collect::<Vec<_>>(),
            }))
            .unwrap_or_default(),
        )?;
    } else if ok {
        output::emitln(&format!(
            "ok: {} {} — {} files match their checksums{}, the model loads, {} examples replay",
            report.manifest.name,
            report.manifest.version,
            report.manifest.files.len(),
            if report.signed {
                ", the signature verifies"
            } else {
                ""
            },
            report.examples
        ))?;
    } else {
        for p in &report.problems {
            eprintln!("{}: {}: {}", dir.join(&p.what).display(), p.what, p.why);
        }
        eprintln!(
            "{} problem(s); the first: {}: {}",
            report.problems.len(),
            report.problems[0].what,
            report.problems[0].why
        );
    }
    Ok(if ok { 0 } else { 1 })
}

/// `lathe predict BUNDLE FILE --out OUT`.
pub fn predict(cli: &Cli, a: &PredictArgs) -> Result<i32> {
    let key = a.key.as_deref().map(PublicKey::read).transpose()?;
    let bundle = Bundle::open(&a.bundle, key.as_ref())?;
    let input = super::data::resolve(cli, &a.file, &a.read)?;
    let loaded = crate::data::load(&input.path, &input.options)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let m = &bundle.manifest;
    let names: Vec<String> = loaded
        .frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(missing) = m.inputs.iter().find(|f| !names.contains(&f.name)) {
        return Err(Error::input(format!(
            "{} has no column '{}', which the model needs",
            input.path.display(),
            missing.name
        ))
        .field(missing.name.clone()));
    }
    let features: Vec<(String, bool)> = m
        .inputs
        .iter()
        .map(|f| (f.name.clone(), f.kind == InputKind::Category))
        .collect();
    let raw = RawTable::from_frame(&loaded.frame, &features).map_err(|e| e.at(&input.path))?;
    let scored = bundle.model.predict(&raw).map_err(|e| e.at(&input.path))?;
    let mut cols: Vec<Column> = Vec::new();
    match &scored {
        Scored::Classes { labels, proba } => {
            let names: Vec<&str> = labels
                .iter()
                .map(|&l| m.classes.get(l).map_or("", String::as_str))
                .collect();
            cols.push(Column::new("prediction".into(), names));
            if let Some(p) = proba {
                let k = m.classes.len();
                for (c, class) in m.classes.iter().enumerate() {
                    let v: Vec<f64> = (0..labels.len()).map(|r| p[r * k + c]).collect();
                    cols.push(Column::new(format!("probability_{class}").into(), v));
                }
            }
        }
        Scored::Values(v) => cols.push(Column::new("prediction".into(), v.clone())),
    }
    let mut df = DataFrame::new(scored.len(), cols)?;
    let tmp = a.out.with_file_name(format!(
        ".{}.tmp-{}",
        a.out.file_name().map_or_else(
            || "predictions".into(),
            |n| n.to_string_lossy().into_owned()
        ),
        std::process::id()
    ));
    let written = (|| -> Result<()> {
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, &e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        CsvWriter::new(&mut w).finish(&mut df)?;
        use std::io::Write;
        w.flush().map_err(|e| Error::io(&tmp, &e))?;
        std::fs::rename(&tmp, &a.out).map_err(|e| Error::io(&a.out, &e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    eprintln!(
        "scored {} rows with {} {} → {}",
        scored.len(),
        m.name,
        m.version,
        a.out.display()
    );
    Ok(0)
}
