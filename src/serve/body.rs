//! A scoring request's body: what it holds, told by its headers, and reading
//! it within the size and time limits. Clients of both protocols often send
//! no `Content-Type` (the OIP does not ask for one; Triton's client sends
//! none), so a missing type, or curl's default form type, means JSON; a type
//! that clearly names another format is refused with 415.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;

use super::binary::HEADER_LENGTH;
use super::{ApiError, BODY_TIMEOUT, Protocol};

/// What a scoring body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Body {
    /// MLflow's JSON formats (`/invocations`).
    Json,
    /// A CSV table with a header row (`/invocations`).
    Csv,
    /// An OIP request: JSON, or a JSON header of this many bytes followed by
    /// binary tensors.
    Oip { header_len: Option<usize> },
    /// KServe's V1 JSON (`{"instances": [...]}`).
    V1,
}

fn unsupported(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        message,
    )
}

/// What the body holds, from `Content-Type`, `Content-Encoding` and
/// `Inference-Header-Content-Length`.
pub(super) fn kind(headers: &HeaderMap, protocol: Protocol) -> Result<Body, ApiError> {
    if let Some(enc) = headers.get(header::CONTENT_ENCODING) {
        let enc = enc.to_str().unwrap_or("?").trim();
        if !enc.eq_ignore_ascii_case("identity") {
            return Err(unsupported(format!(
                "Content-Encoding '{enc}' is not supported: send the body uncompressed"
            )));
        }
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").trim())
        .unwrap_or("");
    let mut parts = ct.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            let v = v.trim().trim_matches('"');
            if !v.eq_ignore_ascii_case("utf-8") && !v.eq_ignore_ascii_case("utf8") {
                return Err(unsupported(format!(
                    "the body must be UTF-8, not charset '{v}'"
                )));
            }
        }
    }
    // No type, or the one curl sends by itself with -d: take it as JSON.
    let json = mime.is_empty()
        || mime == "application/json"
        || (mime.starts_with("application/") && mime.ends_with("+json"))
        || mime == "application/x-www-form-urlencoded";
    match protocol {
        Protocol::Mlflow if json => Ok(Body::Json),
        Protocol::Mlflow if mime == "text/csv" => Ok(Body::Csv),
        Protocol::Mlflow => Err(unsupported(format!(
            "the body must be JSON (Content-Type: application/json) or CSV with a header row \
             (text/csv), not '{ct}'"
        ))),
        Protocol::V1 { .. } if json => Ok(Body::V1),
        Protocol::V1 { .. } => Err(unsupported(format!(
            "the body must be JSON (Content-Type: application/json), not '{ct}'"
        ))),
        Protocol::Oip if json || mime == "application/octet-stream" => {
            let header_len = headers
                .get(HEADER_LENGTH)
                .map(|v| {
                    v.to_str()
                        .ok()
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .ok_or_else(|| {
                            ApiError::new(
                                StatusCode::BAD_REQUEST,
                                "bad_request",
                                format!(
                                    "Inference-Header-Content-Length must be the JSON header's length in bytes, not '{}'",
                                    String::from_utf8_lossy(v.as_bytes())
                                ),
                            )
                        })
                })
                .transpose()?;
            Ok(Body::Oip { header_len })
        }
        Protocol::Oip => Err(unsupported(format!(
            "the body must be JSON (Content-Type: application/json), or a JSON header and binary \
             tensors (application/octet-stream with Inference-Header-Content-Length), not '{ct}'"
        ))),
    }
}

/// Read the body within the size limit (refused from `Content-Length` when
/// it says more) and the time limit.
pub(super) async fn read(limit: usize, req: Request) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    };
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(req.into_body(), limit);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            ),
        )),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("cannot read the body: {e}"),
        )),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}
