//! What one lathe run becomes in MLflow: params, metrics, tags and the
//! dataset input, and how they are cut into `runs/log-batch` calls. Pure: no
//! I/O, so every rule here is unit-tested without a server.

use std::path::Path;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::train::record::{RunRecord, RunStatus};
use crate::train::store::SHORT_ID;

use super::PushRun;

/// MLflow's limits (`mlflow/utils/validation.py`, 2.x and 3.x).
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;
/// The server refuses a log-batch body over 1 MB; stay clear of it.
pub const MAX_BATCH_BYTES: usize = 900_000;
pub const MAX_PARAM_VALUE: usize = 6000;
pub const MAX_TAG_VALUE: usize = 8000;
pub const MAX_KEY: usize = 250;
/// A dataset digest holds at most 36 characters.
pub const MAX_DIGEST: usize = 36;

/// The tag that ties an MLflow run to its lathe run.
pub const TAG_RUN_ID: &str = "lathe.run_id";
/// Set last, once everything else of the run is in MLflow.
pub const TAG_COMPLETE: &str = "lathe.push_complete";
/// Tags that go with `runs/create`, so that a push that dies right after it
/// leaves a run that the next push finds and finishes.
const CREATE_TAGS: &[&str] = &[
    TAG_RUN_ID,
    "mlflow.runName",
    "mlflow.user",
    "mlflow.source.name",
    "mlflow.source.type",
];

/// One point of a metric's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub step: i64,
}

impl Metric {
    /// The same point (NaN equals NaN: MLflow stores it as a flag).
    pub fn same_as(&self, other: &Metric) -> bool {
        self.key == other.key
            && self.step == other.step
            && self.timestamp == other.timestamp
            && (self.value == other.value || (self.value.is_nan() && other.value.is_nan()))
    }

    /// The JSON MLflow reads: protobuf's JSON mapping writes non-finite doubles as strings.
    pub fn to_json(&self) -> Value {
        let value = if self.value.is_nan() {
            json!("NaN")
        } else if self.value == f64::INFINITY {
            json!("Infinity")
        } else if self.value == f64::NEG_INFINITY {
            json!("-Infinity")
        } else {
            json!(self.value)
        };
        json!({"key": self.key, "value": value, "timestamp": self.timestamp, "step": self.step})
    }
}

/// Everything sent for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub run_name: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// FINISHED, FAILED or KILLED.
    pub status: &'static str,
    pub user: Option<String>,
    pub params: Vec<(String, String)>,
    pub metrics: Vec<Metric>,
    pub tags: Vec<(String, String)>,
    /// A `DatasetInput` of `runs/log-inputs`.
    pub dataset: Value,
}

impl Plan {
    pub fn of(run: &PushRun) -> Result<Self> {
        let r = run.record;
        let start_ms = parse_rfc3339_ms(&r.started).ok_or_else(|| bad_time(r, &r.started))?;
        let end_ms = parse_rfc3339_ms(&r.finished).ok_or_else(|| bad_time(r, &r.finished))?;
        let run_name = run.name.clone().unwrap_or_else(|| default_name(r));
        Ok(Self {
            params: params(r),
            metrics: metrics(r, end_ms),
            tags: tags(run, &run_name),
            dataset: dataset(r),
            run_name,
            start_ms,
            end_ms,
            status: status(r.status),
            user: r.lineage.user.clone(),
        })
    }

    /// The tags `runs/create` carries.
    pub fn create_tags(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter(|(k, _)| CREATE_TAGS.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

fn bad_time(r: &RunRecord, value: &str) -> Error {
    Error::input(format!(
        "run '{}' has a time MLflow cannot take: '{value}'",
        r.run_id
    ))
    .hint("times in run.json are RFC 3339, e.g. 2025-11-25T12:00:00.123Z")
}

/// "<algorithm> <short id>", the name lathe's tables show.
pub fn default_name(r: &RunRecord) -> String {
    let short = r.run_id.get(..SHORT_ID).unwrap_or(&r.run_id);
    format!("{} {short}", r.algorithm)
}

pub fn status(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Finished => "FINISHED",
        RunStatus::Failed => "FAILED",
        RunStatus::Cancelled => "KILLED",
    }
}

/// The hyperparameters (under their own names) and the settings that made
/// the run, flattened to string keys. A hyperparameter keeps its name; a
/// lathe setting of the same name would be left out (none clashes today: a
/// unit test checks the catalogue).
pub fn params(r: &RunRecord) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let spec = &r.spec;
    let mut lathe: Vec<(String, String)> = vec![
        ("algorithm".into(), r.algorithm.clone()),
        ("engine".into(), r.engine.clone()),
        ("engine_version".into(), r.engine_version.clone()),
        ("task".into(), r.task.to_string()),
        ("target".into(), r.target.clone()),
        ("metric".into(), r.metric.clone()),
        ("seed".into(), r.lineage.seed.to_string()),
        ("data".into(), r.lineage.data.clone()),
        ("validation.folds".into(), spec.validation.folds.to_string()),
        (
            "validation.holdout".into(),
            spec.validation.holdout.to_string(),
        ),
        ("validation.seed".into(), spec.validation.seed.to_string()),
    ];
    if let Ok(Value::Object(pre)) = serde_json::to_value(&spec.preprocess) {
        for (k, v) in pre {
            lathe.push((format!("preprocess.{k}"), json_text(&v)));
        }
    }
    for (key, list) in [
        ("features", &spec.features),
        ("ignore", &spec.ignore),
        ("id", &spec.id),
    ] {
        if !list.is_empty() {
            lathe.push((key.into(), list.join(",")));
        }
    }
    if !r.classes.is_empty() {
        lathe.push(("classes".into(), r.classes.join(",")));
    }
    if let Some(t) = &r.threshold {
        lathe.push(("threshold.metric".into(), t.metric.clone()));
        lathe.push(("threshold.value".into(), t.value.to_string()));
    }
    for (k, v) in lathe {
        if !out.iter().any(|(have, _)| *have == k) {
            out.push((k, v));
        }
    }
    out.into_iter()
        .map(|(k, v)| (clip(&k, MAX_KEY), clip(&v, MAX_PARAM_VALUE)))
        .collect()
}

/// A JSON value as a param: strings bare, the rest as JSON text.
fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Cross-validation means (`<name>`), standard deviations (`<name>_std`),
/// each fold (`cv_<name>`, step = fold index), the hold-out scores
/// (`holdout_<name>`) and the timings, all stamped with the run's finish time
/// so that sending them again sends the same points.
pub fn metrics(r: &RunRecord, at_ms: i64) -> Vec<Metric> {
    let point = |key: String, value: f64, step: usize| Metric {
        key: clip(&key, MAX_KEY),
        value,
        timestamp: at_ms,
        step: step as i64,
    };
    let mut out = Vec::new();
    for (name, m) in &r.metrics {
        out.push(point(name.clone(), m.mean, 0));
        out.push(point(format!("{name}_std"), m.std, 0));
        for (i, v) in m.folds.iter().enumerate() {
            out.push(point(format!("cv_{name}"), *v, i));
        }
    }
    for (name, v) in r.holdout_metrics.iter().flatten() {
        out.push(point(format!("holdout_{name}"), *v, 0));
    }
    if let Some(t) = &r.threshold {
        out.push(point(format!("threshold_{}", t.metric), t.score, 0));
    }
    out.push(point("fit_time_s".into(), r.timing.fit_s, 0));
    out.push(point("predict_time_s".into(), r.timing.predict_s, 0));
    out.push(point("total_time_s".into(), r.timing.total_s, 0));
    out
}

pub fn tags(run: &PushRun, run_name: &str) -> Vec<(String, String)> {
    let r = run.record;
    let l = &r.lineage;
    let mut out: Vec<(String, String)> = vec![
        (TAG_RUN_ID.into(), r.run_id.clone()),
        ("mlflow.runName".into(), run_name.to_owned()),
        ("mlflow.source.name".into(), "lathe".into()),
        ("mlflow.source.type".into(), "LOCAL".into()),
        ("lathe.study_id".into(), r.study_id.clone()),
        ("lathe.data_fingerprint".into(), l.data_fingerprint.clone()),
        ("lathe.status".into(), r.status.name().into()),
        ("lathe.task".into(), r.task.to_string()),
        ("lathe.target".into(), r.target.clone()),
        ("lathe.version".into(), l.lathe_version.clone()),
    ];
    let optional = [
        ("mlflow.user", l.user.clone()),
        ("mlflow.source.git.commit", l.git_commit.clone()),
        ("mlflow.note.content", run.note.clone()),
        ("lathe.reason", r.reason.clone()),
        ("lathe.git_dirty", l.git_dirty.map(|d| d.to_string())),
        ("lathe.model_sha256", r.model_sha256.clone()),
        ("lathe.host", Some(l.host.clone()).filter(|h| !h.is_empty())),
        (
            "lathe.aliases",
            Some(run.aliases.join(",")).filter(|a| !a.is_empty()),
        ),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            out.push((k.into(), v));
        }
    }
    for t in &run.tags {
        out.push((format!("lathe.tag.{}", key_safe(t)), "true".into()));
    }
    let mut seen = std::collections::BTreeSet::new();
    out.into_iter()
        .map(|(k, v)| (clip(&k, MAX_KEY), clip(&v, MAX_TAG_VALUE)))
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect()
}

/// MLflow keys hold letters, digits, `_ - . : /` and spaces; a lathe tag
/// keeps those (except `/`, which MLflow reads as a path) and the rest become `_`.
pub fn key_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The first `max` characters (MLflow counts characters, not bytes).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// The digest MLflow keeps: the first 36 characters of the fingerprint
/// (`sha256:` and 29 hex digits); the full one is the `lathe.data_fingerprint` tag.
pub fn digest(fingerprint: &str) -> String {
    clip(fingerprint, MAX_DIGEST)
}

/// The training data as an MLflow dataset input, in the shapes MLflow's own
/// datasets use (source `{"uri"}`, profile `{"num_rows", "num_elements"}`,
/// schema `{"mlflow_colspec"}` with lathe's type beside MLflow's).
pub fn dataset(r: &RunRecord) -> Value {
    let l = &r.lineage;
    let name = Path::new(&l.data)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "data".into());
    let colspec: Vec<Value> = l
        .schema
        .iter()
        .map(|(col, ty)| json!({"name": col, "type": mlflow_type(ty), "lathe_type": ty}))
        .collect();
    json!({
        "tags": [{"key": "mlflow.data.context", "value": "training"}],
        "dataset": {
            "name": clip(&name, 500),
            "digest": digest(&l.data_fingerprint),
            "source_type": "local",
            "source": json!({"uri": l.data}).to_string(),
            "schema": json!({"mlflow_colspec": colspec}).to_string(),
            "profile": json!({
                "num_rows": l.rows,
                "num_elements": l.rows * l.schema.len(),
            }).to_string(),
        }
    })
}

fn mlflow_type(lathe: &str) -> &'static str {
    match lathe {
        "int" => "long",
        "float" => "double",
        "bool" => "boolean",
        "date" | "datetime" => "datetime",
        _ => "string",
    }
}

/// One `runs/log-batch` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub params: Vec<(String, String)>,
    pub metrics: Vec<Metric>,
    pub tags: Vec<(String, String)>,
}

impl Batch {
    pub fn to_json(&self, run_id: &str) -> Value {
        let kv = |v: &[(String, String)]| -> Vec<Value> {
            v.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        };
        json!({
            "run_id": run_id,
            "params": kv(&self.params),
            "metrics": self.metrics.iter().map(Metric::to_json).collect::<Vec<_>>(),
            "tags": kv(&self.tags),
        })
    }

    fn len(&self) -> usize {
        self.params.len() + self.metrics.len() + self.tags.len()
    }
}

/// Cut params, metrics and tags into batches within MLflow's limits, in order.
pub fn batches(
    params: &[(String, String)],
    metrics: &[Metric],
    tags: &[(String, String)],
) -> Vec<Batch> {
    fn kv_bytes((k, v): &(String, String)) -> usize {
        json!({"key": k, "value": v}).to_string().len() + 1
    }
    let mut out = Vec::new();
    let mut cur = Batch::default();
    let mut bytes = 0;
    let mut flush = |cur: &mut Batch, bytes: &mut usize| {
        if cur.len() > 0 {
            out.push(std::mem::take(cur));
        }
        *bytes = 0;
    };
    for p in params {
        let b = kv_bytes(p);
        if cur.params.len() == MAX_PARAMS_TAGS_PER_BATCH
            || cur.len() == MAX_ENTITIES_PER_BATCH
            || bytes + b > MAX_BATCH_BYTES
        {
            flush(&mut cur, &mut bytes);
        }
        cur.params.push(p.clone());
        bytes += b;
    }
    for m in metrics {
        let b = m.to_json().to_string().len() + 1;
        if cur.metrics.len() == MAX_METRICS_PER_BATCH
            || cur.len() == MAX_ENTITIES_PER_BATCH
            || bytes + b > MAX_BATCH_BYTES
        {
            flush(&mut cur, &mut bytes);
        }
        cur.metrics.push(m.clone());
        bytes += b;
    }
    for t in tags {
        let b = kv_bytes(t);
        if cur.tags.len() == MAX_PARAMS_TAGS_PER_BATCH
            || cur.len() == MAX_ENTITIES_PER_BATCH
            || bytes + b > MAX_BATCH_BYTES
        {
            flush(&mut cur, &mut bytes);
        }
        cur.tags.push(t.clone());
        bytes += b;
    }
    flush(&mut cur, &mut bytes);
    out
}

/// Milliseconds since the epoch of an RFC 3339 time (`Z` or `±hh:mm`).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let num = |a: usize, b: usize| -> Option<i64> {
        let t = s.get(a..b)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let sep = |i: usize, c: &[u8]| s.as_bytes().get(i).is_some_and(|b| c.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3 = format!("{:0<3}", &frac[..digits.min(3)]);
        ms = first3.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = rest.get(1..)?.split_once(':')?;
            if oh.len() != 2 || om.len() != 2 {
                return None;
            }
            sign * (oh.parse::<i64>().ok()? * 60 + om.parse::<i64>().ok()?)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + ms)
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::train::Task;
    use crate::train::algorithms::{CATALOGUE, ParamValue};
    use crate::train::record::{Lineage, MetricSummary, Threshold, Timing, rfc3339};
    use crate::train::spec::TrainSpec;

    const FP: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn record() -> RunRecord {
        let mut params = BTreeMap::new();
        params.insert("max_depth".to_owned(), ParamValue::Int(6));
        params.insert("criterion".to_owned(), ParamValue::Text("gini".into()));
        let mut metrics = BTreeMap::new();
        metrics.insert(
            "accuracy".to_owned(),
            MetricSummary::of(vec![0.9, 0.8, 1.0]),
        );
        metrics.insert(
            "roc_auc".to_owned(),
            MetricSummary::of(vec![f64::NAN, 0.5, 0.5]),
        );
        let mut schema = BTreeMap::new();
        schema.insert("x".to_owned(), "float".to_owned());
        schema.insert("kind".to_owned(), "categorical".to_owned());
        schema.insert("y".to_owned(), "int".to_owned());
        RunRecord {
            format_version: 1,
            run_id: "01JDQ4Z8M2ABCDEFGHJKMNPQRS".into(),
            study_id: "01JDQ4Z8M1ZZZZZZZZZZZZZZZZ".into(),
            algorithm: "decision_tree".into(),
            engine: "smartcore".into(),
            engine_version: "0.4.2".into(),
            task: Task::Classification,
            target: "y".into(),
            classes: vec!["0".into(), "1".into()],
            params,
            status: RunStatus::Finished,
            reason: None,
            metric: "f1_macro".into(),
            metrics,
            holdout_metrics: Some(BTreeMap::from([("accuracy".to_owned(), 0.95)])),
            confusion_matrix: None,
            threshold: Some(Threshold {
                metric: "f1".into(),
                value: 0.4,
                score: 0.9,
            }),
            roc: None,
            pr: None,
            residuals: None,
            importance: Vec::new(),
            timing: Timing {
                fit_s: 0.25,
                predict_s: 0.01,
                total_s: 0.3,
            },
            has_model: true,
            model_sha256: Some("ab".repeat(32)),
            model_bytes: Some(1234),
            started: "2025-11-25T12:00:00.123Z".into(),
            finished: "2025-11-25T12:00:01.500Z".into(),
            spec: TrainSpec::default(),
            lineage: Lineage {
                data: "data/maintenance_reference.csv".into(),
                data_fingerprint: FP.into(),
                rows: 100,
                schema,
                seed: 42,
                lathe_version: "0.1.0".into(),
                git_commit: Some("c0ffee".into()),
                git_dirty: Some(false),
                host: "box".into(),
                user: Some("ada".into()),
                ..Lineage::default()
            },
        }
    }

    fn push_run(r: &RunRecord) -> PushRun<'_> {
        PushRun {
            record: r,
            name: None,
            tags: vec!["baseline".into(), "a/b c!".into()],
            note: Some("first try".into()),
            aliases: vec!["prod".into(), "best".into()],
            files: Vec::new(),
        }
    }

    fn get<'a>(kv: &'a [(String, String)], k: &str) -> Option<&'a str> {
        kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn params_are_hyperparameters_and_settings() {
        let p = params(&record());
        assert_eq!(get(&p, "max_depth"), Some("6"));
        assert_eq!(get(&p, "criterion"), Some("gini"));
        assert_eq!(get(&p, "algorithm"), Some("decision_tree"));
        assert_eq!(get(&p, "engine"), Some("smartcore"));
        assert_eq!(get(&p, "seed"), Some("42"));
        assert_eq!(get(&p, "validation.folds"), Some("5"));
        assert_eq!(get(&p, "validation.holdout"), Some("0.2"));
        assert_eq!(get(&p, "preprocess.scale"), Some("true"));
        assert_eq!(get(&p, "preprocess.numeric_impute"), Some("mean"));
        assert_eq!(get(&p, "threshold.value"), Some("0.4"));
        assert_eq!(get(&p, "classes"), Some("0,1"));
        let mut keys: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "param keys are unique");
    }

    #[test]
    fn no_hyperparameter_shadows_a_lathe_setting() {
        let mut r = record();
        r.params.clear();
        let lathe: Vec<String> = params(&r).into_iter().map(|(k, _)| k).collect();
        for a in CATALOGUE {
            for p in a.params {
                assert!(!lathe.contains(&p.name.to_owned()), "{}.{}", a.id, p.name);
            }
        }
    }

    #[test]
    fn long_values_are_cut_to_mlflow_limits() {
        let mut r = record();
        r.params
            .insert("criterion".into(), ParamValue::Text("é".repeat(7000)));
        r.reason = Some("x".repeat(9000));
        let p = params(&r);
        assert_eq!(get(&p, "criterion").map(|v| v.chars().count()), Some(6000));
        let t = tags(&push_run(&r), "n");
        assert_eq!(get(&t, "lathe.reason").map(str::len), Some(MAX_TAG_VALUE));
    }

    #[test]
    fn metrics_are_means_stds_folds_and_holdout() {
        let r = record();
        let at = parse_rfc3339_ms(&r.finished).unwrap_or_default();
        let m = metrics(&r, at);
        let find = |k: &str, step: i64| m.iter().find(|x| x.key == k && x.step == step);
        assert!((find("accuracy", 0).map_or(0.0, |x| x.value) - 0.9).abs() < 1e-12);
        assert!((find("accuracy_std", 0).map_or(0.0, |x| x.value) - 0.1).abs() < 1e-12);
        let folds: Vec<(i64, f64)> = m
            .iter()
            .filter(|x| x.key == "cv_accuracy")
            .map(|x| (x.step, x.value))
            .collect();
        assert_eq!(folds, vec![(0, 0.9), (1, 0.8), (2, 1.0)]);
        assert_eq!(find("holdout_accuracy", 0).map(|x| x.value), Some(0.95));
        assert_eq!(find("fit_time_s", 0).map(|x| x.value), Some(0.25));
        assert_eq!(find("threshold_f1", 0).map(|x| x.value), Some(0.9));
        assert!(find("cv_roc_auc", 0).is_some_and(|x| x.value.is_nan()));
        assert!(
            m.iter().all(|x| x.timestamp == at),
            "stamped with the finish time"
        );
        // Non-finite values go as protobuf JSON strings.
        let nan = find("cv_roc_auc", 0).map(Metric::to_json);
        assert_eq!(nan.map(|v| v["value"].clone()), Some(json!("NaN")));
    }

    #[test]
    fn tags_carry_lineage_and_curation() {
        let r = record();
        let plan = Plan::of(&push_run(&r)).unwrap_or_else(|e| panic!("{e}"));
        let t = &plan.tags;
        assert_eq!(get(t, TAG_RUN_ID), Some(r.run_id.as_str()));
        assert_eq!(get(t, "lathe.data_fingerprint"), Some(FP));
        assert_eq!(get(t, "mlflow.source.git.commit"), Some("c0ffee"));
        assert_eq!(get(t, "mlflow.source.name"), Some("lathe"));
        assert_eq!(get(t, "mlflow.user"), Some("ada"));
        assert_eq!(get(t, "mlflow.runName"), Some("decision_tree 01JDQ4Z8M2AB"));
        assert_eq!(get(t, "mlflow.note.content"), Some("first try"));
        assert_eq!(get(t, "lathe.status"), Some("finished"));
        assert_eq!(get(t, "lathe.aliases"), Some("prod,best"));
        assert_eq!(get(t, "lathe.tag.baseline"), Some("true"));
        assert_eq!(get(t, "lathe.tag.a_b c_"), Some("true"));
        assert_eq!(get(t, "lathe.reason"), None);
        assert_eq!(get(t, TAG_COMPLETE), None, "set on its own, last");
        assert!(get(&plan.create_tags(), TAG_RUN_ID).is_some());
        assert_eq!(plan.status, "FINISHED");
        assert_eq!(plan.start_ms, 1_764_072_000_123);
        assert_eq!(plan.end_ms, 1_764_072_001_500);
        let named = PushRun {
            name: Some("my run".into()),
            ..push_run(&r)
        };
        let plan = Plan::of(&named).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.run_name, "my run");
        assert_eq!(get(&plan.tags, "mlflow.runName"), Some("my run"));
    }

    #[test]
    fn statuses_map_to_mlflow() {
        assert_eq!(status(RunStatus::Finished), "FINISHED");
        assert_eq!(status(RunStatus::Failed), "FAILED");
        assert_eq!(status(RunStatus::Cancelled), "KILLED");
    }

    #[test]
    fn digest_is_the_fingerprint_cut_to_36_characters() {
        assert_eq!(digest(FP), &FP[..36]);
        assert_eq!(digest(FP).len(), MAX_DIGEST);
        assert!(digest(FP).starts_with("sha256:0123"));
        assert_eq!(digest("short"), "short");
        assert_eq!(clip("ééé", 2), "éé");
        let d = dataset(&record());
        let ds = &d["dataset"];
        assert_eq!(ds["digest"], json!(&FP[..36]));
        assert_eq!(ds["name"], json!("maintenance_reference"));
        assert_eq!(ds["source_type"], json!("local"));
        let source: Value =
            serde_json::from_str(ds["source"].as_str().unwrap_or("")).unwrap_or_default();
        assert_eq!(source["uri"], json!("data/maintenance_reference.csv"));
        let profile: Value =
            serde_json::from_str(ds["profile"].as_str().unwrap_or("")).unwrap_or_default();
        assert_eq!(profile["num_rows"], json!(100));
        let schema: Value =
            serde_json::from_str(ds["schema"].as_str().unwrap_or("")).unwrap_or_default();
        assert_eq!(
            schema["mlflow_colspec"][0],
            json!({"name": "kind", "type": "string", "lathe_type": "categorical"})
        );
        assert_eq!(
            d["tags"][0],
            json!({"key": "mlflow.data.context", "value": "training"})
        );
    }

    #[test]
    fn batches_respect_every_limit_and_keep_order() {
        let kv = |p: &str, n: usize, len: usize| -> Vec<(String, String)> {
            (0..n)
                .map(|i| (format!("{p}{i}"), "v".repeat(len)))
                .collect()
        };
        let params = kv("p", 250, 10);
        let tags = kv("t", 150, 10);
        let metrics: Vec<Metric> = (0..2500)
            .map(|i| Metric {
                key: "cv_x".into(),
                value: i as f64,
                timestamp: 1,
                step: i,
            })
            .collect();
        let b = batches(&params, &metrics, &tags);
        for one in &b {
            assert!(one.params.len() <= MAX_PARAMS_TAGS_PER_BATCH);
            assert!(one.tags.len() <= MAX_PARAMS_TAGS_PER_BATCH);
            assert!(one.metrics.len() <= MAX_METRICS_PER_BATCH);
            assert!(one.len() <= MAX_ENTITIES_PER_BATCH);
            assert!(one.to_json("r").to_string().len() <= MAX_BATCH_BYTES);
        }
        let all_p: Vec<_> = b.iter().flat_map(|x| x.params.clone()).collect();
        let all_m: Vec<_> = b.iter().flat_map(|x| x.metrics.clone()).collect();
        let all_t: Vec<_> = b.iter().flat_map(|x| x.tags.clone()).collect();
        assert_eq!((all_p, all_m, all_t), (params, metrics, tags));
        // Long values: the 1 MB body limit cuts before the count does.
        let long = kv("p", 100, MAX_PARAM_VALUE);
        let tags = kv("t", 100, MAX_TAG_VALUE);
        let b = batches(&long, &[], &tags);
        assert!(b.len() >= 2);
        assert!(
            b.iter()
                .all(|x| x.to_json("r").to_string().len() <= MAX_BATCH_BYTES)
        );
        assert!(batches(&[], &[], &[]).is_empty());
    }

    #[test]
    fn rfc3339_times_parse_to_milliseconds() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2025-11-25T12:00:00.123Z"),
            Some(1_764_072_000_123)
        );
        assert_eq!(
            parse_rfc3339_ms("2025-11-25T13:30:00.5+01:30"),
            Some(1_764_072_000_500)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00.000000Z"),
            Some(951_782_400_000)
        );
        for bad in [
            "",
            "2025-11-25",
            "2025-13-01T00:00:00Z",
            "2025-11-25T12:00:00",
            "2025-11-25T12:00:00.Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_234_567_890_123);
        assert_eq!(parse_rfc3339_ms(&rfc3339(t)), Some(1_234_567_890_123));
        let mut r = record();
        r.finished = "yesterday".into();
        let err = Plan::of(&push_run(&r))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("'yesterday'"), "{err}");
    }
}
