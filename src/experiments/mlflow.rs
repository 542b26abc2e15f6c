//! Pushing lathe runs to an MLflow tracking server (2.x or 3.x) through its
//! REST API, so that a team's MLflow UI shows them beside its other runs.
//! lathe never needs MLflow; this is an export, one way, on request.
//!
//! Each lathe run becomes one MLflow run in the chosen experiment (created
//! when missing), holding:
//! - **params**: every hyperparameter under its own name, plus `algorithm`,
//!   `engine`, `engine_version`, `task`, `target`, `metric`, `seed`, `data`,
//!   `validation.*`, `preprocess.*`, `features`/`ignore`/`id` when set,
//!   `classes` and `threshold.*` (values cut to MLflow's 6,000 characters);
//! - **metrics**: each cross-validated metric's mean as `<name>` and standard
//!   deviation as `<name>_std`, each fold as `cv_<name>` with step = fold
//!   index, the hold-out scores as `holdout_<name>`, `threshold_<metric>`,
//!   `fit_time_s`, `predict_time_s`, `total_time_s`; every point is stamped
//!   with the run's finish time, so sending it again sends the same point;
//! - **tags**: `mlflow.runName`, `mlflow.user`, `mlflow.source.name` = lathe,
//!   `mlflow.source.git.commit`, `mlflow.note.content`, and `lathe.run_id`,
//!   `lathe.study_id`, `lathe.data_fingerprint` (the full fingerprint),
//!   `lathe.status`, `lathe.reason`, `lathe.task`, `lathe.target`,
//!   `lathe.aliases`, `lathe.tag.<tag>` = true for each curation tag;
//! - **dataset input** (context `training`): named after the data file,
//!   source `{"uri": <data path>}`, profile `{"num_rows", "num_elements"}`,
//!   schema as MLflow's column spec. MLflow keeps at most 36 characters of a
//!   dataset digest, so the digest is the fingerprint's first 36 characters
//!   (`sha256:` and 29 hex digits); the full one is in `lathe.data_fingerprint`;
//! - **artifacts**: the run folder's files (`run.json`, `model.json.gz`),
//!   uploaded through the server's artifact proxy, which must be on (it is by
//!   default: `mlflow server --artifacts-destination DIR`).
//!
//! Pushing is idempotent. The MLflow run is found by its `lathe.run_id` tag;
//! `lathe.push_complete` = true is set last, after the artifacts and the
//! status. A run that has it is left alone ([`PushOutcome::Unchanged`]); one
//! without it (a push that died midway) is finished in place
//! ([`PushOutcome::Completed`]), sending only the params, metric points and
//! dataset it lacks; never a second run. A run pushed once is not updated
//! when its tags or note change later in lathe.

mod plan;
mod rest;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::experiments::RunRecord;

use plan::{Metric, Plan, TAG_COMPLETE, TAG_RUN_ID};
use rest::Rest;

/// The experiment runs go to when none is named.
pub const DEFAULT_EXPERIMENT: &str = "lathe";
/// How long one read, write or connect may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One run to push, with its curation (tags/name/note come from lathe's experiment store).
#[derive(Debug, Clone)]
pub struct PushRun<'a> {
    pub record: &'a RunRecord,
    /// Display name → tag `mlflow.runName` (default: "<algorithm> <short id>").
    pub name: Option<String>,
    /// lathe tags → MLflow tags `lathe.tag.<tag>` = "true".
    pub tags: Vec<String>,
    /// → tag `mlflow.note.content`.
    pub note: Option<String>,
    /// → tag `lathe.aliases` = comma list.
    pub aliases: Vec<String>,
    /// The run folder's files (run.json, model.json.gz, …) → artifacts.
    pub files: Vec<PathBuf>,
}

/// Where to push, and how.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The tracking server's root URL, e.g. `http://127.0.0.1:5000`.
    pub url: String,
    /// The experiment's name; created when missing.
    pub experiment: String,
    /// A bearer token (from `MLFLOW_TRACKING_TOKEN`).
    pub token: Option<String>,
    /// The longest one connect, read or write may take.
    pub timeout: Duration,
}

/// What happened to one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// A new MLflow run.
    Created { mlflow_run_id: String },
    /// An MLflow run left unfinished by an earlier push, now finished.
    Completed { mlflow_run_id: String },
    /// Already pushed completely; nothing was sent.
    Unchanged { mlflow_run_id: String },
}

impl PushOutcome {
    pub fn mlflow_run_id(&self) -> &str {
        match self {
            Self::Created { mlflow_run_id }
            | Self::Completed { mlflow_run_id }
            | Self::Unchanged { mlflow_run_id } => mlflow_run_id,
        }
    }

    /// "created", "completed" or "unchanged".
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created { .. } => "created",
            Self::Completed { .. } => "completed",
            Self::Unchanged { .. } => "unchanged",
        }
    }
}

/// Push `runs` in order; `progress(index, lathe run id, outcome)` is called
/// after each. Every run is checked before anything is sent; a failure stops
/// the push with an error naming the server, the run and what MLflow said
/// (runs pushed before it stay pushed; pushing again finishes the rest).
pub fn push(
    runs: &[PushRun],
    opts: &PushOptions,
    progress: &mut dyn FnMut(usize, &str, &PushOutcome),
) -> Result<Vec<PushOutcome>> {
    let rest = Rest::new(&opts.url, opts.token.clone(), opts.timeout)?;
    let plans = runs.iter().map(Plan::of).collect::<Result<Vec<_>>>()?;
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let exp = experiment(&rest, &opts.experiment)?;
    // Refuse an experiment whose artifacts the server does not proxy before
    // any run is made (each run's own artifact URI is checked again).
    if runs.iter().any(|r| !r.files.is_empty()) && !exp.artifact_location.is_empty() {
        artifact_prefix(&rest, &exp.artifact_location).map_err(|e| {
            Error::input(format!(
                "MLflow at '{}' keeps the artifacts of experiment '{}' at '{}', which lathe \
                 cannot write to: it uploads through the server's artifact proxy",
                rest.base, opts.experiment, exp.artifact_location
            ))
            .hint(e.hint.clone().unwrap_or_default())
        })?;
    }
    let mut out = Vec::with_capacity(runs.len());
    for (i, (run, plan)) in runs.iter().zip(&plans).enumerate() {
        let outcome = push_one(&rest, &exp.id, run, plan).map_err(|mut e| {
            e.message = format!("run '{}': {}", run.record.run_id, e.message);
            e
        })?;
        progress(i, &run.record.run_id, &outcome);
        out.push(outcome);
    }
    Ok(out)
}

struct Experiment {
    id: String,
    artifact_location: String,
}

/// The experiment named `name`, created when it does not exist.
fn experiment(rest: &Rest, name: &str) -> Result<Experiment> {
    if name.trim().is_empty() {
        return Err(Error::usage("the MLflow experiment name is empty"));
    }
    let get = || rest.get("experiments/get-by-name", &[("experiment_name", name)]);
    let mut reply = get()?;
    if reply.status == 404 && reply.error_code() == Some("RESOURCE_DOES_NOT_EXIST") {
        let created = rest.post("experiments/create", &json!({ "name": name }))?;
        // Another client may have created it meanwhile: then read that one.
        if created.error_code() != Some("RESOURCE_ALREADY_EXISTS") {
            rest.ok("POST", "/api/2.0/mlflow/experiments/create", created)?;
        }
        reply = get()?;
    }
    let body = rest.ok("GET", "/api/2.0/mlflow/experiments/get-by-name", reply)?;
    let e = &body["experiment"];
    let id = text(&e["experiment_id"]);
    if id.is_empty() {
        return Err(Error::input(format!(
            "MLflow at '{}' sent experiment '{name}' without an id",
            rest.base
        )));
    }
    if text(&e["lifecycle_stage"]) == "deleted" {
        return Err(Error::usage(format!(
            "experiment '{name}' is deleted in MLflow at '{}'",
            rest.base
        ))
        .hint(format!(
            "restore it (`mlflow experiments restore --experiment-id {id}`) or push to another experiment"
        )));
    }
    Ok(Experiment {
        id,
        artifact_location: text(&e["artifact_location"]),
    })
}

fn push_one(rest: &Rest, exp_id: &str, run: &PushRun, plan: &Plan) -> Result<PushOutcome> {
    let (info, resumed) = match find_run(rest, exp_id, &run.record.run_id)? {
        Some(found) => {
            let id = text(&found["info"]["run_id"]);
            if tag(&found, TAG_COMPLETE) == Some("true") {
                return Ok(PushOutcome::Unchanged { mlflow_run_id: id });
            }
            (found["info"].clone(), true)
        }
        None => {
            let body = rest.post_ok(
                "runs/create",
                &json!({
                    "experiment_id": exp_id,
                    "run_name": plan.run_name,
                    "start_time": plan.start_ms,
                    "user_id": plan.user.clone().unwrap_or_default(),
                    "tags": kv_json(&plan.create_tags()),
                }),
            )?;
            (body["run"]["info"].clone(), false)
        }
    };
    let id = text(&info["run_id"]);
    if id.is_empty() {
        return Err(Error::input(format!(
            "MLflow at '{}' sent a run without an id",
            rest.base
        )));
    }

    let send = if resumed {
        missing(rest, &id, plan)?
    } else {
        ToSend {
            params: plan.params.clone(),
            metrics: plan.metrics.clone(),
            dataset: true,
        }
    };
    for batch in plan::batches(&send.params, &send.metrics, &plan.tags) {
        rest.post_ok("runs/log-batch", &batch.to_json(&id))?;
    }
    if send.dataset {
        rest.post_ok(
            "runs/log-inputs",
            &json!({"run_id": id, "datasets": [plan.dataset]}),
        )?;
    }
    if !run.files.is_empty() {
        let prefix = artifact_prefix(rest, &text(&info["artifact_uri"]))?;
        for file in &run.files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            rest.put_artifact(&format!("{prefix}/{}", rest::encode_segment(&name)), file)?;
        }
    }
    rest.post_ok(
        "runs/update",
        &json!({"run_id": id, "status": plan.status, "end_time": plan.end_ms, "run_name": plan.run_name}),
    )?;
    rest.post_ok(
        "runs/set-tag",
        &json!({"run_id": id, "key": TAG_COMPLETE, "value": "true"}),
    )?;
    Ok(if resumed {
        PushOutcome::Completed { mlflow_run_id: id }
    } else {
        PushOutcome::Created { mlflow_run_id: id }
    })
}

/// The active MLflow run of the experiment tagged with this lathe run id
/// (a complete one first, when an outside client made several).
fn find_run(rest: &Rest, exp_id: &str, lathe_id: &str) -> Result<Option<Value>> {
    if lathe_id.is_empty() || lathe_id.contains(['\'', '\\', '"']) {
        return Err(Error::input(format!("'{lathe_id}' is not a lathe run id")));
    }
    let body = rest.post_ok(
        "runs/search",
        &json!({
            "experiment_ids": [exp_id],
            "filter": format!("tags.`{TAG_RUN_ID}` = '{lathe_id}'"),
            "run_view_type": "ACTIVE_ONLY",
            "max_results": 100,
            "order_by": ["attributes.start_time ASC"],
        }),
    )?;
    let runs = body["runs"].as_array().cloned().unwrap_or_default();
    let complete = runs
        .iter()
        .position(|r| tag(r, TAG_COMPLETE) == Some("true"));
    Ok(complete
        .or((!runs.is_empty()).then_some(0))
        .and_then(|i| runs.get(i).cloned()))
}

/// What an unfinished MLflow run still lacks: params, metric points, and
/// whether the dataset input is missing. A param it holds with another value
/// means the lathe record changed since; that is refused, not overwritten.
fn missing(rest: &Rest, run_id: &str, plan: &Plan) -> Result<ToSend> {
    let run = rest.get_ok("runs/get", &[("run_id", run_id)])?;
    let run = &run["run"];
    let have = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|p| (text(&p["key"]), text(&p["value"])))
            .collect()
    };
    let have_params = have(&run["data"]["params"]);
    let mut params = Vec::new();
    for (k, v) in &plan.params {
        match have_params.iter().find(|(hk, _)| hk == k) {
            Some((_, old)) if old == v => {}
            Some((_, old)) => {
                return Err(Error::input(format!(
                    "MLflow run '{run_id}' at '{}' already has param '{k}' = '{old}', \
                     but the lathe run says '{v}'",
                    rest.base
                ))
                .hint("delete that MLflow run (an unfinished push) and push again"));
            }
            None => params.push((k.clone(), v.clone())),
        }
    }
    // Identical points are harmless to MLflow's SQL store (it drops them),
    // but not to every store: send only the points a key does not have.
    let logged: Vec<String> = run["data"]["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| text(&m["key"]))
        .collect();
    let mut present: Vec<Metric> = Vec::new();
    let mut keys: Vec<&str> = plan.metrics.iter().map(|m| m.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys.into_iter().filter(|k| logged.iter().any(|l| l == k)) {
        present.extend(history(rest, run_id, key)?);
    }
    let metrics = plan
        .metrics
        .iter()
        .filter(|m| !present.iter().any(|p| p.same_as(m)))
        .cloned()
        .collect();
    let d = &plan.dataset["dataset"];
    let has_dataset = run["inputs"]["dataset_inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| i["dataset"]["name"] == d["name"] && i["dataset"]["digest"] == d["digest"]);
    Ok(ToSend {
        params,
        metrics,
        dataset: !has_dataset,
    })
}

/// What a push still has to send of a plan.
struct ToSend {
    params: Vec<(String, String)>,
    metrics: Vec<Metric>,
    dataset: bool,
}

/// Every logged point of one metric.
fn history(rest: &Rest, run_id: &str, key: &str) -> Result<Vec<Metric>> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let mut q = vec![("run_id", run_id), ("metric_key", key)];
        if !token.is_empty() {
            q.push(("page_token", token.as_str()));
        }
        let body = rest.get_ok("metrics/get-history", &q)?;
        for m in body["metrics"].as_array().into_iter().flatten() {
            out.push(Metric {
                key: text(&m["key"]),
                value: number(&m["value"]),
                timestamp: number(&m["timestamp"]) as i64,
                step: number(&m["step"]) as i64,
            });
        }
        token = text(&body["next_page_token"]);
        if token.is_empty() {
            return Ok(out);
        }
    }
}

/// The URL prefix that uploads to an artifact root through the server's
/// proxy: `mlflow-artifacts:/<path>` (or `mlflow-artifacts://host/<path>`)
/// maps onto this server's `/api/2.0/mlflow-artifacts/artifacts/<path>`; an
/// http(s) URL of that route is used as it is. Anything else (s3://, a local
/// path) is a store the server does not proxy.
fn artifact_prefix(rest: &Rest, uri: &str) -> Result<String> {
    const ROUTE: &str = "/api/2.0/mlflow-artifacts/artifacts";
    if let Some(rest_of) = uri.strip_prefix("mlflow-artifacts:") {
        let path = match rest_of.strip_prefix("//") {
            Some(hosted) => hosted.split_once('/').map_or("", |(_, p)| p),
            None => rest_of,
        };
        let path = path.trim_matches('/');
        return Ok(if path.is_empty() {
            format!("{}{ROUTE}", rest.base)
        } else {
            format!("{}{ROUTE}/{path}", rest.base)
        });
    }
    let lower = uri.to_ascii_lowercase();
    if (lower.starts_with("http://") || lower.starts_with("https://")) && uri.contains(ROUTE) {
        return Ok(uri.trim_end_matches('/').to_owned());
    }
    Err(Error::input(format!(
        "MLflow at '{}' stores artifacts at '{uri}', which lathe cannot write to",
        rest.base
    ))
    .hint(
        "run the server with its artifact proxy (the default; `mlflow server --artifacts-destination DIR`), \
         or push to an experiment whose artifact location is mlflow-artifacts:/…",
    ))
}

fn kv_json(kv: &[(String, String)]) -> Vec<Value> {
    kv.iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

/// A tag's value on a run as MLflow sends it.
fn tag<'v>(run: &'v Value, key: &str) -> Option<&'v str> {
    run["data"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .and_then(|t| t["value"].as_str())
}

/// A JSON string, or a number as text (protobuf's JSON writes int64 either way).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => match s.as_str() {
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        },
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest() -> Rest {
        Rest::new("http://127.0.0.1:5000/", None, DEFAULT_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn artifact_roots_map_onto_the_proxy() {
        let r = rest();
        let p = |uri: &str| artifact_prefix(&r, uri).map_err(|e| e.to_string());
        let want = "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts";
        assert_eq!(p("mlflow-artifacts:/1/abc/artifacts").as_deref(), Ok(want));
        assert_eq!(
            p("mlflow-artifacts://other:5000/1/abc/artifacts/").as_deref(),
            Ok(want)
        );
        let http = "https://h/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts";
        assert_eq!(p(http).as_deref(), Ok(http));
        for unproxied in [
            "s3://bucket/1/abc/artifacts",
            "/srv/mlruns/1/abc",
            "file:///x",
        ] {
            let err = p(unproxied).err().unwrap_or_default();
            assert!(
                err.contains(unproxied) && err.contains("127.0.0.1:5000"),
                "{err}"
            );
        }
    }

    #[test]
    fn urls_must_be_http() {
        for bad in ["127.0.0.1:5000", "ftp://h", "http://", ""] {
            let err = Rest::new(bad, None, DEFAULT_TIMEOUT).err();
            assert!(
                err.is_some_and(|e| e.message.contains("not an http(s) URL")),
                "{bad}"
            );
        }
        assert_eq!(rest().base, "http://127.0.0.1:5000");
    }

    #[test]
    fn refusals_quote_mlflow() {
        let r = rest();
        let e = r.refused(
            "POST /api/2.0/mlflow/runs/create",
            400,
            r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad key\nmore"}"#,
        );
        assert_eq!(
            e.message,
            "MLflow at 'http://127.0.0.1:5000' refused POST /api/2.0/mlflow/runs/create: \
             HTTP 400 INVALID_PARAMETER_VALUE: bad key"
        );
        let e = r.refused("GET /x", 404, "<html>\n<title>404 Not Found</title></html>");
        assert!(
            e.message.contains("HTTP 404 <html> <title>"),
            "{}",
            e.message
        );
        assert!(e.hint.as_deref().is_some_and(|h| h.contains("root URL")));
        let e = r.refused("GET /x", 401, "");
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.contains("MLFLOW_TRACKING_TOKEN"))
        );
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(rest::encode_segment("model.json.gz"), "model.json.gz");
        assert_eq!(rest::encode_segment("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn json_numbers_and_texts_read_either_way() {
        assert_eq!(text(&json!("12")), "12");
        assert_eq!(text(&json!(12)), "12");
        assert_eq!(text(&Value::Null), "");
        assert_eq!(number(&json!("1700000000000")), 1.7e12);
        assert!(number(&json!("NaN")).is_nan());
        assert_eq!(number(&json!("-Infinity")), f64::NEG_INFINITY);
    }
}
