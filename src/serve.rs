//! The model server: a bundle over HTTP (axum on hyper and tokio).
//!
//! - Open Inference Protocol v2 / KServe: `GET /v2/health/live`,
//!   `/v2/health/ready`, `/v2`, `/v2/models/{name}`, `/v2/models/{name}/ready`,
//!   `POST /v2/models/{name}/infer` — JSON, or with the binary tensor data
//!   extension ([`binary`]); the request's `outputs` list picks the outputs
//!   and their form ([`oip`]);
//! - MLflow's scoring protocol: `POST /invocations` (JSON, or `text/csv`),
//!   `GET /ping`;
//! - KServe's V1 protocol: `GET /v1/models`, `/v1/models/{name}`, and
//!   `POST /v1/models/{name}:predict` and `:explain` (SHAP values,
//!   [`explain`]); the v2 infer request asks for an explanation with
//!   `"parameters": {"explain": true}` ([`oip`]). Explanations have a row
//!   cap (413) and a time budget (503);
//! - `GET /metrics` (Prometheus).
//!
//! A body without `Content-Type` is JSON ([`body`]). Every request is checked
//! against the bundle's input schema ([`crate::bundle::input`]): the binary
//! and CSV readers only translate into the JSON those checks take. Refusals
//! are JSON `{"error": ...}` with 400 (naming the field), 401, 404, 405, 408,
//! 413, 415 or 503. Headers must arrive
//! within 10 s (slow clients are cut off, never waited for) and a body within
//! 30 s; big batches are scored off the I/O threads. SIGTERM or Ctrl-C stops
//! accepting, lets in-flight requests finish (up to 30 s) and flushes the
//! prediction log.

pub mod binary;
mod body;
mod csv_body;
mod explain;
pub mod log;
pub mod metrics;
mod oip;
mod v1;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::bundle::input::{self, Rows};
use crate::bundle::manifest::Bundle;
use crate::bundle::score::Answer;
use crate::bundle::sign::PublicKey;
use crate::error::{Error, Result};
use crate::train::features::{RawColumn, Unseen};
use crate::train::matrix::MISSING_CODE;
use body::Body as BodyKind;
use log::PredictionLog;
use metrics::Metrics;
use oip::Wanted;

/// Headers must be complete within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A body must be complete within this time.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// In-flight requests get this long after SIGTERM.
const DRAIN: Duration = Duration::from_secs(30);
/// Bodies larger than this are parsed and scored on the blocking pool.
const BLOCKING_BYTES: usize = 64 * 1024;

/// The server's command line (`lathe serve` and `lathe-serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The bundle folder.
    pub bundle: PathBuf,
    /// Address to listen on (inside a container: 0.0.0.0).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Refuse the bundle unless its manifest is signed with this public key.
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,
    /// Require `Authorization: Bearer <token>` (the file's content) on every request but the probes.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Log every scored row as NDJSON in rotating files in DIR.
    #[arg(long, value_name = "DIR")]
    pub log_predictions: Option<PathBuf>,
    /// Disk cap of the prediction log, MiB (the oldest files go first).
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub log_max_mib: u64,
    /// Largest request body, MiB.
    #[arg(long, default_value_t = 8, value_name = "MIB")]
    pub body_limit_mib: usize,
    /// Most rows one explanation request may ask for (more: 413).
    #[arg(long, default_value_t = 100, value_name = "ROWS")]
    pub explain_max_rows: usize,
    /// Time one explanation request may take, milliseconds (more: 503).
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub explain_budget_ms: u64,
}

impl ServeArgs {
    pub fn options(&self) -> ServeOptions {
        ServeOptions {
            dir: self.bundle.clone(),
            host: self.host.clone(),
            port: self.port,
            key: self.key.clone(),
            token_file: self.token_file.clone(),
            log_predictions: self.log_predictions.clone(),
            log_file_bytes: (self.log_max_mib << 20).clamp(1 << 16, 16 << 20),
            log_max_bytes: self.log_max_mib << 20,
            body_limit: self.body_limit_mib << 20,
            explain_max_rows: self.explain_max_rows,
            explain_budget: Duration::from_millis(self.explain_budget_ms),
        }
    }
}

/// Serve as the command line asks; the address and model go to stderr.
pub fn main_with(args: &ServeArgs) -> Result<()> {
    let opts = args.options();
    run(&opts, |addr| {
        eprintln!(
            "lathe-serve {}: serving {} on http://{addr} (Ctrl-C or SIGTERM stops)",
            crate::VERSION,
            opts.dir.display()
        );
    })
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub dir: PathBuf,
    pub host: String,
    pub port: u16,
    /// Public key the manifest's signature must verify with.
    pub key: Option<PathBuf>,
    /// A file holding the bearer token every request but the probes must carry.
    pub token_file: Option<PathBuf>,
    pub log_predictions: Option<PathBuf>,
    pub log_file_bytes: u64,
    pub log_max_bytes: u64,
    pub body_limit: usize,
    /// Rows per explanation request.
    pub explain_max_rows: usize,
    /// Time per explanation request.
    pub explain_budget: Duration,
}

impl ServeOptions {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            host: "127.0.0.1".to_owned(),
            port: 8080,
            key: None,
            token_file: None,
            log_predictions: None,
            log_file_bytes: 16 << 20,
            log_max_bytes: 256 << 20,
            body_limit: 8 << 20,
            explain_max_rows: 100,
            explain_budget: Duration::from_secs(2),
        }
    }
}

struct AppState {
    bundle: Bundle,
    unseen: Vec<Unseen>,
    metrics: Metrics,
    token: Option<String>,
    log: Option<PredictionLog>,
    body_limit: usize,
    explain: explain::Limits,
}

/// A refused request: status, error kind (for the metrics) and message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }

    fn bad(e: &Error) -> Self {
        let mut message = e.message.clone();
        if let Some(f) = &e.location.field
            && !message.contains(f.as_str())
        {
            message = format!("{f}: {message}");
        }
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A failure of the model on the request's rows: a 400 when it names a
    /// field (the rows are at fault), else a 500 with `context` before the message.
    fn of_model(e: &Error, context: &str) -> Self {
        if e.location.field.is_some() {
            Self::bad(e)
        } else {
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("{context}{}", e.message),
            )
        }
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &json!({ "error": self.message }))
    }
}

/// A successful answer: JSON, or an OIP reply with binary tensors after
/// its JSON header of `header_len` bytes.
enum Reply {
    Json(Value),
    Binary { header_len: usize, body: Vec<u8> },
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Self::Json(v) => json_response(StatusCode::OK, &v),
            Self::Binary { header_len, body } => {
                // As Triton answers: octet-stream, with the header's length.
                let mut r = Response::new(Body::from(body));
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                h.insert(binary::HEADER_LENGTH, HeaderValue::from(header_len));
                r
            }
        }
    }
}

/// Open the bundle and serve it until SIGTERM or Ctrl-C. `on_listen` gets
/// the bound address (the port may have been 0).
pub fn run(opts: &ServeOptions, on_listen: impl FnOnce(SocketAddr)) -> Result<()> {
    let key = opts.key.as_deref().map(PublicKey::read).transpose()?;
    let bundle = Bundle::open(&opts.dir, key.as_ref())?;
    let token = match &opts.token_file {
        Some(p) => {
            let t = std::fs::read_to_string(p).map_err(|e| Error::io(p, &e))?;
            let t = t.trim().to_owned();
            if t.is_empty() {
                return Err(Error::usage("the token file is empty").at(p));
            }
            Some(t)
        }
        None => None,
    };
    let log = opts
        .log_predictions
        .as_deref()
        .map(|d| PredictionLog::start(d, opts.log_file_bytes, opts.log_max_bytes))
        .transpose()?;
    let columns: Vec<String> = bundle
        .manifest
        .inputs
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let state = Arc::new(AppState {
        unseen: bundle.model.unseen_policy(),
        metrics: Metrics::new(&bundle.manifest.name, &bundle.manifest.classes, &columns)?,
        token,
        log,
        body_limit: opts.body_limit,
        explain: explain::Limits {
            rows: opts.explain_max_rows,
            budget: opts.explain_budget,
        },
        bundle,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lathe-serve")
        .build()
        .map_err(|e| Error::internal(format!("cannot start the runtime: {e}")))?;
    let addr = format!("{}:{}", opts.host, opts.port);
    let result = rt.block_on(serve(state.clone(), &addr, on_listen));
    drop(rt);
    // Flush the prediction log after the last request.
    if let Ok(mut st) = Arc::try_unwrap(state)
        && let Some(l) = st.log.as_mut()
    {
        l.close();
    }
    result
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/v2/health/live",
            get(|| async { json_response(StatusCode::OK, &json!({"live": true})) }),
        )
        .route(
            "/v2/health/ready",
            get(|| async { json_response(StatusCode::OK, &json!({"ready": true})) }),
        )
        .route("/ping", get(|| async { (StatusCode::OK, "\n") }))
        .route("/v2", get(server_metadata))
        .route("/v2/models/{name}", get(model_metadata))
        .route("/v2/models/{name}/ready", get(model_ready))
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v1/models", get(v1::models))
        // `{name}:predict` cannot be one pattern: the segment is split in the handler;
        // GET is V1's model readiness, the same answer as v2's.
        .route("/v1/models/{segment}", get(model_ready).post(v1::verb))
        .route("/invocations", post(invocations))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn serve(state: Arc<AppState>, addr: &str, on_listen: impl FnOnce(SocketAddr)) -> Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::usage(format!("cannot listen on {addr}: {e}"))
            .hint("is another server on that port? pick one with --port")
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::internal(e.to_string()))?;
    on_listen(local);
    let app = router(state);
    let service = hyper_util::service::TowerToHyperService::new(app);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service.clone());
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn authorize(st: &AppState, headers: &HeaderMap) -> std::result::Result<(), ApiError> {
    let Some(want) = &st.token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Constant-time comparison of equal-length tokens.
    let ok = given.is_some_and(|g| {
        g.len() == want.len()
            && g.bytes()
                .zip(want.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token (Authorization: Bearer <token>)",
        ))
    }
}

fn check_model(st: &AppState, name: &str) -> std::result::Result<(), ApiError> {
    if name == st.bundle.manifest.name {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no model '{name}' here; this server has '{}'",
                st.bundle.manifest.name
            ),
        ))
    }
}

fn parse_json(bytes: &[u8]) -> std::result::Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!(
                "malformed JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Which protocol a scoring request speaks.
#[derive(Clone, Copy)]
enum Protocol {
    Oip,
    Mlflow,
    /// KServe V1: `true` for `:explain`.
    V1 {
        explain: bool,
    },
}

/// A scored request: the rows, the answer, the request id and (OIP) the
/// outputs asked for.
struct Scored {
    rows: Rows,
    answer: Answer,
    id: Option<String>,
    wanted: Option<Vec<Wanted>>,
}

/// Parse, check and score a body.
fn score(st: &AppState, bytes: &[u8], kind: BodyKind) -> std::result::Result<Scored, ApiError> {
    let fields = &st.bundle.manifest.inputs;
    let bad = |e: Error| ApiError::bad(&e);
    let (rows, id, wanted) = match kind {
        BodyKind::Oip { header_len } => {
            let body =
                binary::decode_request(bytes, header_len.unwrap_or(bytes.len())).map_err(bad)?;
            let wanted = oip::requested(&body, &st.bundle.manifest).map_err(bad)?;
            let (rows, id) = input::oip(&body, fields, &st.unseen).map_err(bad)?;
            (rows, id, Some(wanted))
        }
        BodyKind::Json => {
            let body = parse_json(bytes)?;
            let rows = input::mlflow(&body, fields, &st.unseen).map_err(bad)?;
            (rows, None, None)
        }
        BodyKind::Csv => {
            let body = csv_body::to_split(bytes, fields).map_err(bad)?;
            let rows = input::mlflow(&body, fields, &st.unseen).map_err(bad)?;
            (rows, None, None)
        }
        BodyKind::V1 => {
            let body = parse_json(bytes)?;
            let rows = input::v1(&body, fields, &st.unseen).map_err(bad)?;
            (rows, None, None)
        }
    };
    let model = &st.bundle.model;
    let scored = model
        .predict(&rows.raw)
        .map_err(|e| ApiError::of_model(&e, ""))?;
    Ok(Scored {
        answer: Answer::of(model, &scored),
        rows,
        id,
        wanted,
    })
}

async fn score_request(
    st: &Arc<AppState>,
    req: Request,
    protocol: Protocol,
) -> std::result::Result<Reply, ApiError> {
    authorize(st, req.headers())?;
    let kind = body::kind(req.headers(), protocol)?;
    let bytes = body::read(st.body_limit, req).await?;
    let Scored {
        rows,
        answer,
        id,
        wanted,
    } = if bytes.len() > BLOCKING_BYTES {
        let st2 = st.clone();
        tokio::task::spawn_blocking(move || score(&st2, &bytes, kind))
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })??
    } else {
        score(st, &bytes, kind)?
    };
    let explain_asked = matches!(protocol, Protocol::V1 { explain: true })
        || wanted
            .as_ref()
            .is_some_and(|w| w.iter().any(|w| w.output == oip::Output::Explanation));
    // Explained off the I/O threads: it is CPU work bounded only by the budget.
    let (rows, answer, explained) = if explain_asked {
        explain::check_rows(rows.raw.rows, &st.explain)?;
        let st2 = st.clone();
        let (rows, answer, e) = tokio::task::spawn_blocking(move || {
            let e = explain::explain_rows(&st2.bundle.model, &rows, &answer, &st2.explain);
            (rows, answer, e)
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
        (rows, answer, Some(e?))
    } else {
        (rows, answer, None)
    };
    st.metrics.scored(
        &answer.class_index,
        rows.raw.rows,
        &rows.outside_range,
        &rows.unseen,
    );
    if let Some(log) = &st.log {
        for line in log_lines(st, &rows, &answer, id.as_deref()) {
            if !log.log(line) {
                st.metrics.log_dropped.inc();
            }
        }
    }
    match (wanted, explained) {
        (None, Some(e)) => {
            let mut o = e.summary();
            o.insert("explanations".into(), Value::Array(e.rows));
            Ok(Reply::Json(Value::Object(o)))
        }
        (None, None) => Ok(Reply::Json(json!({ "predictions": answer.predictions }))),
        (Some(wanted), e) => oip::reply(&st.bundle.manifest, &answer, id, &wanted, e.as_ref())
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    e.message.clone(),
                )
            }),
    }
}

/// One NDJSON line per scored row.
fn log_lines(st: &AppState, rows: &Rows, answer: &Answer, id: Option<&str>) -> Vec<String> {
    let time = crate::util::now_rfc3339();
    let m = &st.bundle.manifest;
    (0..rows.raw.rows)
        .map(|r| {
            let mut o = serde_json::Map::new();
            o.insert("time".into(), Value::from(time.clone()));
            if let Some(id) = id {
                o.insert("request_id".into(), Value::from(id));
            }
            for f in &rows.raw.features {
                let v = match &f.column {
                    RawColumn::Numeric(x) => {
                        serde_json::Number::from_f64(x[r]).map_or(Value::Null, Value::Number)
                    }
                    RawColumn::Category { codes, values } => {
                        if codes[r] == MISSING_CODE {
                            Value::Null
                        } else {
                            Value::from(values[codes[r] as usize].clone())
                        }
                    }
                };
                o.insert(f.name.clone(), v);
            }
            o.insert("prediction".into(), answer.predictions[r].clone());
            if let Some(p) = &answer.probabilities {
                for (c, class) in m.classes.iter().enumerate() {
                    o.insert(format!("probability_{class}"), Value::from(p[r][c]));
                }
            }
            Value::Object(o).to_string()
        })
        .collect()
}

fn finish(
    st: &AppState,
    endpoint: usize,
    started: Instant,
    r: std::result::Result<Reply, ApiError>,
) -> Response {
    let response = match r {
        Ok(reply) => reply.into_response(),
        Err(e) => {
            st.metrics.error(e.kind);
            e.into_response()
        }
    };
    st.metrics.request(
        endpoint,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn infer(
    State(st): State<Arc<AppState>>,
    UrlPath(name): UrlPath<String>,
    req: Request,
) -> Response {
    let t = Instant::now();
    let r = match check_model(&st, &name) {
        Ok(()) => score_request(&st, req, Protocol::Oip).await,
        Err(e) => Err(e),
    };
    finish(&st, 0, t, r)
}

async fn invocations(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let t = Instant::now();
    let r = score_request(&st, req, Protocol::Mlflow).await;
    finish(&st, 1, t, r)
}

async fn server_metadata(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let t = Instant::now();
    let r = authorize(&st, &headers).map(|()| {
        Reply::Json(json!({
            "name": "lathe-serve",
            "version": crate::VERSION,
            "extensions": ["binary_tensor_data"],
        }))
    });
    finish(&st, 2, t, r)
}

async fn model_metadata(
    State(st): State<Arc<AppState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let t = Instant::now();
    let r = authorize(&st, &headers)
        .and_then(|()| check_model(&st, &name))
        .map(|()| Reply::Json(oip::metadata(&st.bundle.manifest)));
    finish(&st, 2, t, r)
}

async fn model_ready(
    State(st): State<Arc<AppState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let t = Instant::now();
    let r = authorize(&st, &headers)
        .and_then(|()| check_model(&st, &name))
        .map(|()| Reply::Json(json!({"name": name, "ready": true})));
    finish(&st, 2, t, r)
}

async fn metrics_text(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(e) = authorize(&st, &headers) {
        st.metrics.error(e.kind);
        return e.into_response();
    }
    let mut r = Response::new(Body::from(st.metrics.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

async fn not_found(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let t = Instant::now();
    let r = Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint {} {}", req.method(), req.uri().path()),
    ));
    finish(&st, 2, t, r)
}

async fn method_not_allowed(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let t = Instant::now();
    let r = Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    ));
    finish(&st, 2, t, r)
}
