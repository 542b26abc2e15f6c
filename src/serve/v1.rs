//! KServe's V1 protocol: `GET /v1/models` (the model list), `GET
//! /v1/models/{name}` (readiness) and `POST /v1/models/{name}:predict` and
//! `:explain` with `{"instances": [...]}`. axum cannot match `{name}:verb`
//! as one segment pattern, so the route takes the segment and [`verb`]
//! splits it at its last `:`. The bodies are read, checked and scored by
//! the same code as the other protocols ([`super::score_request`]).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{ApiError, AppState, Protocol, Reply, authorize, check_model, finish, score_request};

/// `POST /v1/models/{name}:{verb}`: the segment split at its last `:`.
pub(super) async fn verb(
    State(st): State<Arc<AppState>>,
    UrlPath(segment): UrlPath<String>,
    req: Request,
) -> Response {
    let t = Instant::now();
    let (name, verb) = segment.rsplit_once(':').unwrap_or((segment.as_str(), ""));
    let (endpoint, explain) = match verb {
        "predict" => (3, false),
        "explain" => (4, true),
        _ => {
            let r = Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "no endpoint POST {}: the V1 verbs are /v1/models/{{name}}:predict and :explain",
                    req.uri().path()
                ),
            ));
            return finish(&st, 2, t, r);
        }
    };
    let r = match check_model(&st, name) {
        Ok(()) => score_request(&st, req, Protocol::V1 { explain }).await,
        Err(e) => Err(e),
    };
    finish(&st, endpoint, t, r)
}

/// `GET /v1/models`: KServe V1's model list.
pub(super) async fn models(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let t = Instant::now();
    let r = authorize(&st, &headers)
        .map(|()| Reply::Json(json!({"models": [st.bundle.manifest.name]})));
    finish(&st, 2, t, r)
}
