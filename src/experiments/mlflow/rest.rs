//! A small blocking client of MLflow's REST API (`/api/2.0/mlflow/…` and the
//! artifact proxy `/api/2.0/mlflow-artifacts/…`), over ureq. It turns every
//! failure into a lathe [`Error`] that names the server's URL and says what
//! MLflow answered: unreachable, timed out, or refused with its
//! `{"error_code", "message"}`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// The MLflow server lathe talks to.
pub struct Rest {
    /// The server's root URL, without a trailing `/`.
    pub base: String,
    agent: ureq::Agent,
    token: Option<String>,
    timeout: Duration,
}

/// An answer with a status MLflow may give on purpose (e.g. 404 for a name
/// that does not exist), kept for the caller to decide.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    text: String,
}

impl Reply {
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error_code").and_then(Value::as_str)
    }
}

enum Method {
    Get,
    Post,
}

impl Rest {
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Result<Self> {
        let base = url.trim().trim_end_matches('/').to_owned();
        let scheme_ok = ["http://", "https://"].iter().any(|s| {
            base.get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
                && base.len() > s.len()
        });
        if !scheme_ok {
            return Err(
                Error::usage(format!("'{url}' is not an http(s) URL of an MLflow server"))
                    .hint("give the tracking server's root, e.g. http://127.0.0.1:5000"),
            );
        }
        // Each read, write, lookup and connect may take `timeout`: a stalled
        // server fails fast, a large artifact still uploads while it moves.
        let t = Some(timeout);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_resolve(t)
            .timeout_connect(t)
            .timeout_per_read(t)
            .timeout_per_write(t)
            .user_agent(format!("lathe/{}", crate::VERSION))
            .build()
            .into();
        Ok(Self {
            base,
            agent,
            token: token.filter(|t| !t.is_empty()),
            timeout,
        })
    }

    /// `GET /api/2.0/mlflow/<endpoint>?query`, any status.
    pub fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Reply> {
        self.call(
            Method::Get,
            &format!("/api/2.0/mlflow/{endpoint}"),
            query,
            None,
        )
    }

    /// `POST /api/2.0/mlflow/<endpoint>` with a JSON body, any status.
    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Reply> {
        self.call(
            Method::Post,
            &format!("/api/2.0/mlflow/{endpoint}"),
            &[],
            Some(body),
        )
    }

    /// [`Rest::get`] that must succeed.
    pub fn get_ok(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Value> {
        let reply = self.get(endpoint, query)?;
        self.ok("GET", &format!("/api/2.0/mlflow/{endpoint}"), reply)
    }

    /// [`Rest::post`] that must succeed.
    pub fn post_ok(&self, endpoint: &str, body: &Value) -> Result<Value> {
        let reply = self.post(endpoint, body)?;
        self.ok("POST", &format!("/api/2.0/mlflow/{endpoint}"), reply)
    }

    /// Upload a file through the artifact proxy to `url` (a
    /// `…/api/2.0/mlflow-artifacts/artifacts/…` URL, already encoded).
    pub fn put_artifact(&self, url: &str, file: &Path) -> Result<()> {
        let route = url.strip_prefix(self.base.as_str()).unwrap_or(url);
        let what = format!("PUT {route}");
        let f = std::fs::File::open(file).map_err(|e| Error::io(file, &e))?;
        // The token goes to this server only, not to another host an artifact URI names.
        let put = self.agent.put(url);
        let req = if url.starts_with(&format!("{}/", self.base)) {
            self.with_auth(put)
        } else {
            put
        };
        let mut resp = req.send(f).map_err(|e| self.transport(&what, e))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Err(self.refused(&what, status, &text))
    }

    fn call(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply> {
        let url = format!("{}{route}", self.base);
        let (verb, resp) = match method {
            Method::Get => {
                let mut req = self.with_auth(self.agent.get(&url));
                for (k, v) in query {
                    req = req.query(k, v);
                }
                ("GET", req.call())
            }
            Method::Post => {
                let bytes = body.map(Value::to_string).unwrap_or_else(|| "{}".into());
                let req = self
                    .with_auth(self.agent.post(&url))
                    .content_type("application/json");
                ("POST", req.send(bytes))
            }
        };
        let what = format!("{verb} {route}");
        let mut resp = resp.map_err(|e| self.transport(&what, e))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| self.transport(&what, e))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) && !body.is_object() {
            return Err(Error::input(format!(
                "MLflow at '{}' answered {what} with something that is not MLflow's JSON: {}",
                self.base,
                excerpt(&text)
            ))
            .hint(NOT_MLFLOW_HINT));
        }
        Ok(Reply { status, body, text })
    }

    fn with_auth<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    /// The reply's JSON, or an error naming the server and what it said.
    pub fn ok(&self, verb: &str, route: &str, reply: Reply) -> Result<Value> {
        if (200..300).contains(&reply.status) {
            Ok(reply.body)
        } else {
            Err(self.refused(&format!("{verb} {route}"), reply.status, &reply.text))
        }
    }

    /// An error for an HTTP error status, with MLflow's error code and message when it sent them.
    pub fn refused(&self, what: &str, status: u16, text: &str) -> Error {
        let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let code = body.get("error_code").and_then(Value::as_str);
        let said = match (code, body.get("message").and_then(Value::as_str)) {
            (Some(c), Some(m)) => format!("{c}: {}", first_line(m)),
            (Some(c), None) => c.to_owned(),
            (None, Some(m)) => first_line(m),
            (None, None) if text.trim().is_empty() => "(no message)".to_owned(),
            (None, None) => excerpt(text),
        };
        let e = Error::input(format!(
            "MLflow at '{}' refused {what}: HTTP {status} {said}",
            self.base
        ));
        match status {
            401 | 403 => e.hint(
                "the server wants a login: set MLFLOW_TRACKING_TOKEN to a bearer token it accepts",
            ),
            404 if code.is_none() => e.hint(NOT_MLFLOW_HINT),
            s if s >= 500 => e.hint("the server failed; its log says why"),
            _ => e,
        }
    }

    fn transport(&self, what: &str, err: ureq::Error) -> Error {
        let base = &self.base;
        match err {
            ureq::Error::Timeout(phase) => Error::input(format!(
                "MLflow at '{base}' did not answer {what} within {} s ({phase})",
                self.timeout.as_secs_f64()
            ))
            .hint("check that the server is up and not overloaded, or allow a longer timeout"),
            ureq::Error::HostNotFound => {
                Error::input(format!("cannot reach MLflow at '{base}': host not found"))
                    .hint("check the host name of the URL")
            }
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                Error::input(format!(
                    "cannot reach MLflow at '{base}': connection refused"
                ))
                .hint("is `mlflow server` running there? check the host and port")
            }
            ureq::Error::ConnectionFailed => Error::input(format!(
                "cannot reach MLflow at '{base}': connection failed"
            ))
            .hint("is `mlflow server` running there? check the host and port"),
            ureq::Error::BadUri(why) => Error::usage(format!(
                "'{base}' is not a URL lathe can reach MLflow at: {why}"
            ))
            .hint("give the tracking server's root, e.g. http://127.0.0.1:5000"),
            ureq::Error::Io(e) => {
                Error::input(format!("cannot reach MLflow at '{base}' ({what}): {e}"))
            }
            other => Error::input(format!(
                "talking to MLflow at '{base}' ({what}) failed: {other}"
            )),
        }
    }
}

const NOT_MLFLOW_HINT: &str =
    "is this the root URL of an MLflow tracking server (e.g. http://127.0.0.1:5000)?";

fn first_line(s: &str) -> String {
    excerpt(s.lines().next().unwrap_or(""))
}

/// At most 300 characters of a reply, on one line.
fn excerpt(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

/// Percent-encode one path segment (RFC 3986 unreserved characters stay).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
