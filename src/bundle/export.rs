//! `lathe bundle export`: a run's model as a bundle folder.
//!
//! The training data is read again (through the run's spec, so the same rows
//! and split come out) and must still have the run's fingerprint: the input
//! schema, the reference profile and the hold-out predictions come from it.
//! The folder is written beside its final place and renamed into it, so a
//! bundle is whole or absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{Value, json};

use crate::bundle::manifest::{
    BUNDLE_FORMAT_VERSION, BundleLineage, Examples, INPUT_EXAMPLE, InputField, InputKind, MANIFEST,
    MODEL, Manifest, MetricValue, OutputSchema, SERVER_BINARY, SERVING_INPUT_EXAMPLE, SIGNATURE,
    list_files, sha256_file,
};
use crate::bundle::score::Answer;
use crate::bundle::server::{Host, Server};
use crate::bundle::sign::SecretKey;
use crate::bundle::{importance, input, k8s, oci, sbom};
use crate::data::LogicalType;
use crate::drift::profile::ReferenceProfile;
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, JobUpdate, Progress};
use crate::project::Project;
use crate::train::Task;
use crate::train::model::{FittedModel, Scored};
use crate::train::record::{RunRecord, now_rfc3339};
use crate::train::store::Store;

/// Rows in the bundle's seeded sample of the training data.
pub const SAMPLE_ROWS: usize = 1000;
/// Rows of the input examples.
pub const EXAMPLE_ROWS: usize = 3;
/// Where bundles go in a project.
pub const BUNDLES_DIR: &str = "bundles";
/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub out: Option<PathBuf>,
    pub name: Option<String>,
    pub version: Option<String>,
    /// A static server to bundle instead of the embedded one.
    pub server_binary: Option<PathBuf>,
    /// The host's OS and embedded server (the default: this lathe's own).
    pub host: Host,
    /// Also write the OCI image archive `<bundle>.oci.tar` beside the folder.
    pub oci: bool,
    /// Sign the manifest with this secret key file.
    pub sign: Option<PathBuf>,
    /// The image reference the Kubernetes files use (default `localhost/<name>:<version>`).
    pub image: Option<String>,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub dir: PathBuf,
    pub name: String,
    pub version: String,
    pub run_id: String,
    pub files: usize,
    pub bytes: u64,
    pub oci: Option<(PathBuf, oci::OciSummary)>,
    pub signed: bool,
    pub warnings: Vec<String>,
}

/// A project name made DNS-safe (RFC 1123 label, ≤ the Kubernetes limit).
pub fn dns_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out
        .trim_matches('-')
        .chars()
        .take(k8s::MAX_NAME_LEN)
        .collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() || !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "model-");
    }
    out
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.split('.').map(|p| p.parse::<u64>().ok());
    let (a, b, c) = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some((a, b, c))
}

/// The next version of `name`: 0.1.0 first, then the patch number rises.
pub fn next_version(bundles: &Path, name: &str) -> String {
    let latest = std::fs::read_dir(bundles.join(name))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| parse_version(&e.file_name().to_string_lossy()))
        .max();
    match latest {
        None => "0.1.0".to_owned(),
        Some((a, b, c)) => format!("{a}.{b}.{}", c + 1),
    }
}

/// Export run `run_id` of `project` as a bundle.
pub fn export(
    project: &Project,
    store: &Store,
    run_id: &str,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<Exported> {
    let step = |stage: &str, f: f64| {
        progress.update(JobUpdate {
            stage: stage.to_owned(),
            fraction: Some(f),
        })
    };
    step("reading the run", 0.0);
    let run = store.read_run(run_id)?;
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => dns_name(&project.file.name),
    };
    // Validate the name early (k8s and the image need it DNS-safe).
    if dns_name(&name) != name {
        return Err(Error::usage(format!(
            "'{name}' is not a DNS-safe name (lowercase letters, digits and '-', starting with a letter, at most {})",
            k8s::MAX_NAME_LEN
        ))
        .field("name")
        .hint(format!("for example '{}'", dns_name(&name))));
    }
    let bundles = project.state_dir().join(BUNDLES_DIR);
    let version = match &opts.version {
        Some(v) if parse_version(v).is_some() => v.clone(),
        Some(v) => {
            return Err(Error::usage(format!("'{v}' is not a version like 1.2.3")).field("version"));
        }
        None => next_version(&bundles, &name),
    };
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| bundles.join(&name).join(&version));
    if out.exists() {
        return Err(Error::usage(format!("{} exists", out.display()))
            .hint("give another --out or --version; bundles are never overwritten"));
    }
    let server = Server::resolve(opts.server_binary.as_deref(), opts.host)?;
    if let (true, Some(why)) = (opts.oci, server.absent_warning()) {
        return Err(Error::usage("no image archive without a server binary").hint(why));
    }
    let key = opts.sign.as_deref().map(SecretKey::read).transpose()?;
    if !run.has_model {
        return Err(Error::usage(format!(
            "run {} has no stored model (only the best configuration of each algorithm is refitted)",
            run.run_id
        ))
        .hint("export a run marked + in `lathe runs list` (the best of each algorithm has its model)"));
    }
    let model_bytes = store.read_model(run_id)?;
    let model = FittedModel::from_json(&model_bytes)?;

    step("reading the training data", 0.1);
    let (data_path, prep) = crate::train::load_run_data(project, &run)?;
    let fp =
        crate::data::fingerprint::scan(&prep.frame, &CancelToken::new(), &crate::jobs::NoProgress)?
            .fingerprint;
    if fp != run.lineage.data_fingerprint {
        return Err(Error::input(format!(
            "{} changed since run {} was trained (fingerprint {} now, {} then)",
            data_path.display(),
            &run.run_id,
            short(&fp),
            short(&run.lineage.data_fingerprint)
        ))
        .hint("the bundle's schema and reference profile must come from the training data; retrain on the new data"));
    }
    let frame = &prep.frame;

    step("describing the inputs", 0.3);
    let inputs = input_fields(&model, frame, &run)?;
    let output = OutputSchema {
        name: run.target.clone(),
        kind: match run.task {
            Task::Classification => "class",
            Task::Regression => "value",
        }
        .to_owned(),
        classes: model.classes.clone(),
        probabilities: false,
    };

    step("profiling the reference", 0.4);
    let profile = ReferenceProfile::of(frame)?;
    let rows: Vec<usize> = if prep.split.holdout.is_empty() {
        prep.split.train.clone()
    } else {
        prep.split.holdout.clone()
    };
    let holdout = prep.raw.subset(&rows);
    let scored = model.predict(&holdout)?;
    let predictions_profile = ReferenceProfile::of(&predictions_frame(&model, &scored)?)?;
    // The model's metrics on those rows, with its labels as served (the
    // decision threshold applied): what fresh labelled data is compared with.
    let served_metrics: BTreeMap<&str, f64> = match (&prep.target_data, &scored) {
        (
            crate::train::spec::TargetData::Classes { y, classes },
            Scored::Classes { labels, proba },
        ) => {
            let truth: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
            crate::train::metrics::classification_scores(
                &truth,
                labels,
                proba.as_deref(),
                classes.len(),
            )
        }
        (crate::train::spec::TargetData::Values(v), Scored::Values(p)) => {
            let truth: Vec<f64> = rows.iter().map(|&i| v[i]).collect();
            crate::train::metrics::regression_scores(&truth, p)
        }
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|(_, v)| v.is_finite())
    .collect();
    step("explaining the model", 0.45);
    let rows_from = if prep.split.holdout.is_empty() {
        "training"
    } else {
        "holdout"
    };
    let mut warnings = prep.warnings.clone();
    // An explanation that cannot be made leaves the bundle without one, said.
    let importance = match importance::compute(
        &model,
        &prep.raw,
        &rows,
        rows_from,
        run.lineage.seed,
    ) {
        Ok(i) if i.is_finite() => Some(i),
        Ok(_) => {
            warnings.push(
                    "the model's SHAP values are not finite on the export's rows: bundle.json has no importance"
                        .to_owned(),
                );
            None
        }
        Err(e) => {
            warnings.push(format!(
                "the model could not be explained ({}): bundle.json has no importance",
                e.message
            ));
            None
        }
    };
    let sample = sample_rows(frame, SAMPLE_ROWS, run.lineage.seed)?;
    let sample_json = crate::data::json_rows(&sample);
    let feature_names: Vec<&str> = inputs.iter().map(|f| f.name.as_str()).collect();

    step("examples", 0.5);
    let example_rows: Vec<Vec<Value>> = sample_json
        .iter()
        .take(EXAMPLE_ROWS)
        .map(|r| {
            feature_names
                .iter()
                .map(|n| r.get(*n).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    let split = json!({"columns": feature_names, "data": example_rows});
    let unseen = model.unseen_policy();
    let ex = input::mlflow(&json!({ "dataframe_split": split }), &inputs, &unseen)?;
    let answer = Answer::of(&model, &model.predict(&ex.raw)?);
    let mut output = output;
    output.probabilities = answer.probabilities.is_some();

    let created = now_rfc3339();
    let tmp = out.with_file_name(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map_or_else(|| "bundle".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    if let Some(parent) = tmp.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, &e))?;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let write = |rel: &str, bytes: &[u8]| -> Result<()> {
        let p = tmp.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, &e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, &e))
    };
    step("writing the bundle", 0.6);
    // The image parts come last: without a server they are left out.
    let files_written = (|| -> Result<()> {
        write(MODEL, &model_bytes)?;
        write(INPUT_EXAMPLE, &pretty(&split)?)?;
        write(
            SERVING_INPUT_EXAMPLE,
            &pretty(&json!({ "dataframe_split": split }))?,
        )?;
        let image = opts
            .image
            .clone()
            .unwrap_or_else(|| format!("localhost/{name}:{version}"));
        for (file, yaml) in k8s::manifests(&k8s::K8sSpec {
            name: &name,
            version: &version,
            image: &image,
            port: oci::DEFAULT_PORT,
            replicas: 2,
            cpu_request: "100m",
            memory_request: "64Mi",
            cpu_limit: "1",
            memory_limit: "256Mi",
        })? {
            write(&format!("k8s/{file}"), yaml.as_bytes())?;
        }
        write("sbom.cdx.json", &pretty(&sbom::cyclonedx(&created))?)?;
        write(
            "README.md",
            readme(&name, &version, &run, &inputs, &output).as_bytes(),
        )?;
        if let Some(w) = server.absent_warning() {
            warnings.push(w);
            return Ok(());
        }
        let bin = tmp.join(SERVER_BINARY);
        if let Some(d) = bin.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, &e))?;
        }
        warnings.extend(server.write_to(&bin)?);
        set_mode(&bin, 0o755)?;
        let mut labels = oci::oci_labels(&name, &version, &created);
        labels.insert(
            "org.opencontainers.image.description".into(),
            format!(
                "lathe model bundle: {} predicting '{}' (run {})",
                run.algorithm, run.target, run.run_id
            ),
        );
        labels.insert("io.lathe.run-id".into(), run.run_id.clone());
        write(
            "Containerfile",
            oci::containerfile(&name, &version, &labels).as_bytes(),
        )?;
        write(".containerignore", oci::CONTAINERIGNORE.as_bytes())?;
        write(".dockerignore", oci::CONTAINERIGNORE.as_bytes())?;
        Ok(())
    })();
    let written = files_written.and_then(|()| {
        let mut files = BTreeMap::new();
        for rel in list_files(&tmp)? {
            files.insert(rel.clone(), sha256_file(&tmp.join(&rel))?);
        }
        let manifest = Manifest {
            format_version: BUNDLE_FORMAT_VERSION,
            name: name.clone(),
            version: version.clone(),
            created: created.clone(),
            lathe_version: crate::VERSION.to_owned(),
            run_id: run.run_id.clone(),
            task: run.task,
            target: run.target.clone(),
            classes: model.classes.clone(),
            algorithm: run.algorithm.clone(),
            params: run.params.clone(),
            metrics: run
                .metrics
                .iter()
                .map(|(k, m)| {
                    (
                        k.clone(),
                        MetricValue {
                            mean: m.mean,
                            std: m.std,
                        },
                    )
                })
                .filter(|(_, m)| m.mean.is_finite() && m.std.is_finite())
                .collect(),
            holdout_metrics: run.holdout_metrics.clone(),
            threshold: model.threshold,
            inputs: inputs.clone(),
            output: output.clone(),
            pipeline: model.pipeline.clone(),
            lineage: BundleLineage {
                data: run.lineage.data.clone(),
                data_fingerprint: run.lineage.data_fingerprint.clone(),
                rows: run.lineage.rows,
                git_commit: run.lineage.git_commit.clone(),
                git_dirty: run.lineage.git_dirty,
                seed: run.lineage.seed,
            },
            reference: json!({
                "profile": serde_json::from_str::<Value>(&profile.to_json()?).map_err(|e| Error::internal(e.to_string()))?,
                "predictions": serde_json::from_str::<Value>(&predictions_profile.to_json()?).map_err(|e| Error::internal(e.to_string()))?,
                "prediction_rows": if prep.split.holdout.is_empty() { "training" } else { "holdout" },
                "metrics": served_metrics,
                "sample": sample_json,
            }),
            examples: Examples {
                predictions: answer.predictions.clone(),
                probabilities: answer.probabilities.clone(),
            },
            importance: importance.clone(),
            files,
        };
        let bytes = manifest.to_json()?;
        write(MANIFEST, &bytes)?;
        if let Some(k) = &key {
            write(SIGNATURE, format!("{}\n", k.sign(&bytes)).as_bytes())?;
        }
        Ok(manifest)
    });
    let manifest = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        Error::io(&out, &e)
    })?;
    // A bundle written elsewhere still counts its version and keeps its run
    // from gc: its manifest is recorded under .lathe/bundles/<name>/<version>/.
    if opts.out.is_some() {
        let record = bundles.join(&name).join(&version);
        std::fs::create_dir_all(&record).map_err(|e| Error::io(&record, &e))?;
        crate::config::write_atomic(&record.join(MANIFEST), &manifest.to_json()?)?;
        crate::config::write_atomic(
            &record.join("exported-to.txt"),
            format!("{}\n", out.display()).as_bytes(),
        )?;
    }
    let mut oci_out = None;
    if opts.oci {
        step("writing the OCI image archive", 0.8);
        let archive = out.with_file_name(format!(
            "{}.oci.tar",
            out.file_name()
                .map_or_else(|| "bundle".into(), |n| n.to_string_lossy().into_owned())
        ));
        let labels = oci::oci_labels(&name, &version, &created);
        let summary = oci::write_archive(
            &oci::ImageSpec {
                bundle_dir: &out,
                exclude: &[],
                name: &name,
                version: &version,
                entrypoint: oci::default_entrypoint(oci::DEFAULT_PORT),
                user: oci::DEFAULT_USER,
                exposed_port: oci::DEFAULT_PORT,
                labels,
                created: &created,
            },
            &archive,
        )?;
        oci_out = Some((archive, summary));
    }
    let files = list_files(&out)?;
    let bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(out.join(f)).ok())
        .map(|m| m.len())
        .sum();
    step("done", 1.0);
    Ok(Exported {
        dir: out,
        name,
        version,
        run_id: run.run_id.clone(),
        files: files.len(),
        bytes,
        oci: oci_out,
        signed: key.is_some(),
        warnings,
    })
}

fn short(fp: &str) -> &str {
    let s = fp.strip_prefix("sha256:").unwrap_or(fp);
    &s[..s.len().min(12)]
}

fn pretty(v: &Value) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(v).map_err(|e| Error::internal(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(path, &e))?;
    }
    let _ = (path, mode);
    Ok(())
}

/// Each input column: kind, type, nullability, categories, observed range.
fn input_fields(
    model: &FittedModel,
    frame: &DataFrame,
    run: &RunRecord,
) -> Result<Vec<InputField>> {
    model
        .inputs()
        .into_iter()
        .map(|c| {
            let col = frame.column(c.name).map_err(|_| {
                Error::input(format!("the training data has no column '{}'", c.name))
            })?;
            let logical = run
                .lineage
                .schema
                .get(c.name)
                .cloned()
                .unwrap_or_else(|| LogicalType::of(col.dtype()).name().to_owned());
            let nullable = col.null_count() > 0;
            // Numbers: the observed range, and whether NaN/inf stood for missing values.
            let (min, max, nan) = if c.categories.is_none() {
                let v = crate::train::matrix::numeric_column(frame, c.name)?;
                let finite = v.iter().copied().filter(|x| x.is_finite());
                let lo = finite.clone().fold(f64::INFINITY, f64::min);
                let hi = finite.fold(f64::NEG_INFINITY, f64::max);
                let nan = v.iter().any(|x| !x.is_finite());
                (
                    lo.is_finite().then_some(lo),
                    hi.is_finite().then_some(hi),
                    nan,
                )
            } else {
                (None, None, false)
            };
            Ok(InputField {
                name: c.name.to_owned(),
                kind: if c.categories.is_some() {
                    InputKind::Category
                } else {
                    InputKind::Number
                },
                logical_type: logical,
                // The fitted pipeline imputes missing values, so every input
                // may be null; `missing_in_training` says whether training saw any.
                nullable: true,
                missing_in_training: nullable || nan,
                categories: c
                    .categories
                    .map(|v| v.into_iter().map(str::to_owned).collect()),
                min,
                max,
            })
        })
        .collect()
}

/// The predictions as a one-column frame (plus the second class's
/// probability for a binary classifier), for their reference profile.
pub(crate) fn predictions_frame(model: &FittedModel, scored: &Scored) -> Result<DataFrame> {
    let cols: Vec<Column> = match scored {
        Scored::Classes { labels, proba } => {
            let names: Vec<&str> = labels
                .iter()
                .map(|&l| model.classes.get(l).map_or("", String::as_str))
                .collect();
            let mut c = vec![Column::new("prediction".into(), names)];
            if let (Some(p), 2) = (proba, model.classes.len()) {
                let p1: Vec<f64> = p.chunks(2).map(|r| r[1]).collect();
                c.push(Column::new(
                    format!("probability_{}", model.classes[1]).into(),
                    p1,
                ));
            }
            c
        }
        Scored::Values(v) => vec![Column::new("prediction".into(), v.clone())],
    };
    DataFrame::new(scored.len(), cols).map_err(Error::from)
}

/// A seeded sample of at most `n` rows, in file order.
fn sample_rows(frame: &DataFrame, n: usize, seed: u64) -> Result<DataFrame> {
    use rand::SeedableRng;
    use rand::seq::index::sample;
    let h = frame.height();
    if h <= n {
        return Ok(frame.clone());
    }
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut idx: Vec<u32> = sample(&mut rng, h, n)
        .into_iter()
        .map(|i| i as u32)
        .collect();
    idx.sort_unstable();
    let ca = IdxCa::from_vec("idx".into(), idx);
    frame.take(&ca).map_err(Error::from)
}

/// The platform team's README.
fn readme(
    name: &str,
    version: &str,
    run: &RunRecord,
    inputs: &[InputField],
    output: &OutputSchema,
) -> String {
    let mut schema = String::from(
        "| column | kind | type | nullable | categories / range |\n|---|---|---|---|---|\n",
    );
    for f in inputs {
        let extra = match (&f.categories, f.min, f.max) {
            (Some(c), _, _) => {
                let shown: Vec<&str> = c.iter().take(8).map(String::as_str).collect();
                format!(
                    "{}{}",
                    shown.join(", "),
                    if c.len() > 8 { ", …" } else { "" }
                )
            }
            (None, Some(lo), Some(hi)) => format!("{lo} … {hi}"),
            _ => String::new(),
        };
        schema.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            f.name,
            match f.kind {
                InputKind::Number => "number",
                InputKind::Category => "category (BYTES)",
            },
            f.logical_type,
            if f.nullable { "yes" } else { "no" },
            extra
        ));
    }
    let out = match output.kind.as_str() {
        "class" => format!(
            "the predicted class of `{}` ({}){}",
            output.name,
            output.classes.join(", "),
            if output.probabilities {
                ", and per-class probabilities"
            } else {
                ""
            }
        ),
        _ => format!("the predicted value of `{}`", output.name),
    };
    format!(
        r#"# {name} {version} — a lathe model bundle

{algorithm} predicting `{target}` ({task}), exported from lathe run `{run_id}`.
Everything the model needs is in this folder; nothing is downloaded at build or run time.

## Build and run

```sh
buildah bud -t localhost/{name}:{version} .          # or: podman build / docker build
podman run -d -p 127.0.0.1:8080:8080 localhost/{name}:{version}
```

The image is `FROM scratch` (override with `--build-arg BASE=...`), runs as the non-root user
65532 (group 0, so OpenShift's arbitrary UIDs work) and listens on 0.0.0.0:8080. When the bundle
was exported with `--oci`, `podman load -i {name}-{version}.oci.tar` (or `skopeo copy
oci-archive:...`) loads the same image without building.

Kubernetes: `kubectl apply -k k8s/` (Deployment + Service with probes, resources and a restricted
security context); `k8s/inferenceservice.yaml` is the KServe alternative (v2 protocol). Retarget
the image with `kustomize edit set image`.

## Check

`lathe bundle verify .` checks every file's SHA-256 against `bundle.json`, loads the model and
replays `input_example.json` and `serving_input_example.json` against the predictions recorded in
`bundle.json` (`examples`). `lathe-serve` refuses a bundle with a changed byte.

## Endpoints

| method | path | |
|---|---|---|
| GET | `/v2/health/live`, `/v2/health/ready` | probes |
| GET | `/v2`, `/v2/models/{name}`, `/v2/models/{name}/ready` | server and model metadata |
| POST | `/v2/models/{name}/infer` | Open Inference Protocol v2 (KServe): one tensor per column, or one FP64 `[N, F]` tensor in schema order; JSON or binary tensors (`binary_tensor_data`, as Triton's client sends them); `outputs` picks the outputs; `"parameters": {{"explain": true}}` adds `explanation` (BYTES, one JSON explanation per row) |
| POST | `/v1/models/{name}:predict`, `:explain` | KServe V1: `{{"instances": [...]}}` (row objects, or lists in schema order) → `predictions`, or `explanations` (SHAP values per column, base value, raw output; at most `--explain-max-rows` rows, 100, within `--explain-budget-ms`, 2000) |
| POST | `/invocations` | MLflow scoring: `dataframe_split`, `dataframe_records`, `instances` or `inputs`, or `text/csv` with a header row |
| GET | `/ping` | MLflow's health check |
| GET | `/metrics` | Prometheus: requests, latency, errors by kind, predicted classes, inputs outside the training range |

```sh
curl -s localhost:8080/invocations -H 'content-type: application/json' -d @serving_input_example.json
```

Answers: {out}. Errors are `{{"error": "..."}}` with 400 (bad input, naming the column), 401, 404,
413 (body over the limit), 415 (a `Content-Type` naming another format; none at all means JSON).

## Input schema

{schema}
Model `bundle.json` has the full schema, the metrics, the lineage (data fingerprint, git commit,
seed) and the reference profile that `lathe drift --reference {name}-bundle/` uses. `sbom.cdx.json`
lists the crates compiled into `bin/lathe-serve` (CycloneDX 1.5).
"#,
        algorithm = run.algorithm,
        target = run.target,
        task = run.task,
        run_id = run.run_id,
    )
}
