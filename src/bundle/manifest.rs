//! `bundle.json`: what a bundle is, and [`Bundle::open`], which checks a
//! bundle (format version, checksums, the optional signature) and loads its
//! model — the one way the server, `lathe predict` and `lathe bundle verify`
//! read a bundle.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bundle::importance::Importance;
use crate::bundle::sign::PublicKey;
use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::algorithms::Params;
use crate::train::features::FittedPipeline;
use crate::train::model::FittedModel;

/// Version of `bundle.json`; a bundle from a newer lathe is refused. It
/// rises only when an older lathe could not read or serve a new bundle
/// correctly: fields added as optional (like `importance`) keep it, since
/// older readers ignore fields they do not know and newer ones default them.
pub const BUNDLE_FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "bundle.json";
/// The ed25519 signature of `bundle.json`'s bytes (base64), when signed.
pub const SIGNATURE: &str = "bundle.json.sig";
pub const MODEL: &str = "model.json";
/// MLflow's names for the examples.
pub const INPUT_EXAMPLE: &str = "input_example.json";
pub const SERVING_INPUT_EXAMPLE: &str = "serving_input_example.json";
pub const SERVER_BINARY: &str = "bin/lathe-serve";

/// Mean and standard deviation of a metric over the folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub mean: f64,
    pub std: f64,
}

/// One input column of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    /// `number` or `category` (how the model reads it).
    pub kind: InputKind,
    /// The column's type in the training data (lathe's logical type).
    pub logical_type: String,
    /// Whether null is accepted (the pipeline imputes it).
    pub nullable: bool,
    /// Whether the training data had missing values in this column.
    #[serde(default)]
    pub missing_in_training: bool,
    /// Categories seen in training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Observed range in training (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Number,
    Category,
}

/// What the server answers per row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    /// The target's name.
    pub name: String,
    /// `class` (a label, plus probabilities when the model has them) or `value`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    pub probabilities: bool,
}

/// Where the model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BundleLineage {
    pub data: String,
    pub data_fingerprint: String,
    pub rows: usize,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub seed: u64,
}

/// The examples and the predictions they must produce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Examples {
    /// Predicted label (or value) per example row.
    pub predictions: Vec<serde_json::Value>,
    /// Per-class probabilities per row, when the model has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<Vec<f64>>>,
}

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub name: String,
    pub version: String,
    pub created: String,
    pub lathe_version: String,
    pub run_id: String,
    pub task: Task,
    pub target: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    pub algorithm: String,
    pub params: Params,
    pub metrics: BTreeMap<String, MetricValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_metrics: Option<BTreeMap<String, f64>>,
    /// Decision threshold on the second class's probability (binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    pub inputs: Vec<InputField>,
    pub output: OutputSchema,
    /// The fitted preprocessing (the same as in `model.json`, here to read).
    pub pipeline: FittedPipeline,
    pub lineage: BundleLineage,
    /// What drift checks need later: the training data's reference profile
    /// (`profile`), the predictions on the hold-out rows (`predictions`, a
    /// profile of one column), and a seeded sample of rows (`sample`).
    pub reference: serde_json::Value,
    pub examples: Examples,
    /// Mean |SHAP| per input column on the export's rows (absent in bundles
    /// exported before lathe explained models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<Importance>,
    /// SHA-256 (hex) of every other file, by path relative to the bundle.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out =
            serde_json::to_vec_pretty(self).map_err(|e| Error::internal(format!("JSON: {e}")))?;
        out.push(b'\n');
        Ok(out)
    }
}

/// A bundle opened and checked.
pub struct Bundle {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub model: FittedModel,
}

/// What is wrong with a bundle that is a bundle (exit 1 for `verify`).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file (relative to the bundle) or value concerned.
    pub what: String,
    pub why: String,
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, &e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, &e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Every file under `dir` (relative paths with `/`), sorted.
pub fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| Error::io(&d, &e))? {
            let e = e.map_err(|e| Error::io(&d, &e))?;
            let p = e.path();
            let ty = e.file_type().map_err(|err| Error::io(&p, &err))?;
            if ty.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Read `bundle.json` of `dir`: not a bundle, unreadable, or from a newer
/// lathe is an error (exit 2); the bytes come back too, for the signature.
pub fn read_manifest(dir: &Path) -> Result<(Manifest, Vec<u8>)> {
    let path = dir.join(MANIFEST);
    if !dir.is_dir() {
        return Err(Error::usage(format!("{} is not a folder", dir.display()))
            .hint("give the bundle's folder (the one with bundle.json)"));
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::usage(format!(
                "{} is not a lathe bundle: it has no {MANIFEST}",
                dir.display()
            ))
            .hint("`lathe bundle export RUN` makes one"));
        }
        Err(e) => return Err(Error::io(&path, &e)),
    };
    // The version first, so a newer bundle is refused as such, not as malformed.
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let v: Version = serde_json::from_slice(&bytes).map_err(|e| {
        Error::input(format!("not a lathe bundle manifest: {e}"))
            .at(&path)
            .line(e.line() as u64)
            .column(e.column() as u64)
    })?;
    if v.format_version > BUNDLE_FORMAT_VERSION {
        return Err(Error::input(format!(
            "this bundle comes from a newer lathe (bundle format {}, this lathe reads up to {BUNDLE_FORMAT_VERSION})",
            v.format_version
        ))
        .at(&path)
        .hint("upgrade lathe (or lathe-serve) to read it"));
    }
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::input(format!("malformed bundle manifest: {e}"))
            .at(&path)
            .line(e.line() as u64)
            .column(e.column() as u64)
    })?;
    Ok((m, bytes))
}

/// Check the files against the manifest's checksums (and the signature with
/// `key`): every problem, in path order. Unlisted files count as problems.
pub fn check_files(
    dir: &Path,
    manifest: &Manifest,
    manifest_bytes: &[u8],
    key: Option<&PublicKey>,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    if let Some(key) = key {
        let sig_path = dir.join(SIGNATURE);
        match std::fs::read_to_string(&sig_path) {
            Ok(sig) => {
                if let Err(e) = key.verify(manifest_bytes, sig.trim()) {
                    problems.push(Problem {
                        what: SIGNATURE.to_owned(),
                        why: e.message.clone(),
                    });
                }
            }
            Err(_) => problems.push(Problem {
                what: SIGNATURE.to_owned(),
                why: "missing: the bundle is not signed".to_owned(),
            }),
        }
    }
    let present = list_files(dir)?;
    for (rel, want) in &manifest.files {
        let path = dir.join(rel);
        if !path.is_file() {
            problems.push(Problem {
                what: rel.clone(),
                why: "missing".to_owned(),
            });
            continue;
        }
        let got = sha256_file(&path)?;
        if &got != want {
            problems.push(Problem {
                what: rel.clone(),
                why: format!("changed: SHA-256 {got}, the manifest says {want}"),
            });
        }
    }
    for rel in present {
        if rel != MANIFEST && rel != SIGNATURE && !manifest.files.contains_key(&rel) {
            problems.push(Problem {
                what: rel.clone(),
                why: "not listed in the manifest".to_owned(),
            });
        }
    }
    problems.sort_by(|a, b| a.what.cmp(&b.what));
    Ok(problems)
}

impl Bundle {
    /// Open a bundle for use: every check must pass, or the first problem is
    /// the error. With `key`, the manifest's signature must verify.
    pub fn open(dir: &Path, key: Option<&PublicKey>) -> Result<Self> {
        let (manifest, bytes) = read_manifest(dir)?;
        if let Some(p) = check_files(dir, &manifest, &bytes, key)?.into_iter().next() {
            return Err(Error::input(format!(
                "the bundle does not match its manifest: {}: {}",
                p.what, p.why
            ))
            .at(dir)
            .hint("`lathe bundle verify` lists every problem; re-export the bundle"));
        }
        let model_path = dir.join(MODEL);
        let model_bytes = std::fs::read(&model_path).map_err(|e| Error::io(&model_path, &e))?;
        let model = FittedModel::from_json(&model_bytes).map_err(|e| e.at(&model_path))?;
        if model.pipeline != manifest.pipeline || model.classes != manifest.classes {
            return Err(Error::input(
                "model.json and bundle.json disagree on the pipeline or the classes",
            )
            .at(dir));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            model,
        })
    }
}
