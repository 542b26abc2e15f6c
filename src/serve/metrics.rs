//! `/metrics` in the Prometheus text format (0.0.4), through the `prometheus` crate: requests
//! by endpoint and status, a latency histogram per endpoint, errors by kind, predictions by
//! class (V1's `:predict` and `:explain` are endpoints of their own), inputs outside the training range and unseen categories by column. Every series is
//! created up front and its handle kept, so the hot path touches atomics only (no label
//! lookup, no lock); series that nothing has counted yet show 0.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::error::{Error, Result};

/// Endpoints with their own series (the index is what [`Metrics::request`] takes).
pub const ENDPOINTS: [&str; 5] = ["infer", "invocations", "other", "v1_predict", "v1_explain"];
/// Status codes counted separately (others go to the last slot as "other").
const CODES: [u16; 10] = [200, 400, 401, 404, 405, 408, 413, 415, 500, 503];
/// Latency bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Error kinds.
pub const ERRORS: [&str; 10] = [
    "bad_request",
    "unauthorized",
    "not_found",
    "body_too_large",
    "unsupported_media_type",
    "timeout",
    "method_not_allowed",
    "internal",
    "too_many_rows",
    "over_time_budget",
];

pub struct Metrics {
    registry: Registry,
    /// By endpoint, then status code (the last of each row is "other").
    requests: Vec<IntCounter>,
    latency: Vec<Histogram>,
    errors: Vec<IntCounter>,
    predicted: Vec<IntCounter>,
    rows: IntCounter,
    outside: Vec<IntCounter>,
    unseen: Vec<IntCounter>,
    pub log_dropped: IntCounter,
}

fn internal(e: prometheus::Error) -> Error {
    Error::internal(format!("cannot set up the metrics: {e}"))
}

impl Metrics {
    pub fn new(model: &str, classes: &[String], columns: &[String]) -> Result<Self> {
        let registry = Registry::new();
        let opts = |name: &str, help: &str| Opts::new(name, help).const_label("model", model);
        // A family of counters, registered, with one handle per label value set.
        let family = |name: &str,
                      help: &str,
                      label: &[&str],
                      values: &mut dyn Iterator<Item = Vec<String>>|
         -> Result<Vec<IntCounter>> {
            let vec = IntCounterVec::new(opts(name, help), label).map_err(internal)?;
            registry.register(Box::new(vec.clone())).map_err(internal)?;
            values
                .map(|v| {
                    let v: Vec<&str> = v.iter().map(String::as_str).collect();
                    vec.get_metric_with_label_values(&v).map_err(internal)
                })
                .collect()
        };
        let codes: Vec<String> = CODES
            .iter()
            .map(u16::to_string)
            .chain(["other".to_owned()])
            .collect();
        let requests = family(
            "lathe_requests_total",
            "HTTP requests by endpoint and status code.",
            &["endpoint", "code"],
            &mut ENDPOINTS
                .iter()
                .flat_map(|e| codes.iter().map(move |c| vec![(*e).to_owned(), c.clone()])),
        )?;
        let latency_vec = HistogramVec::new(
            HistogramOpts::new(
                "lathe_request_duration_seconds",
                "Time from request to response.",
            )
            .const_label("model", model)
            .buckets(BUCKETS.to_vec()),
            &["endpoint"],
        )
        .map_err(internal)?;
        registry
            .register(Box::new(latency_vec.clone()))
            .map_err(internal)?;
        let latency = ENDPOINTS
            .iter()
            .map(|e| {
                latency_vec
                    .get_metric_with_label_values(&[e])
                    .map_err(internal)
            })
            .collect::<Result<_>>()?;
        let errors = family(
            "lathe_errors_total",
            "Refused or failed requests by kind.",
            &["kind"],
            &mut ERRORS.iter().map(|k| vec![(*k).to_owned()]),
        )?;
        let single = |name: &str, help: &str| -> Result<IntCounter> {
            let c = IntCounter::with_opts(opts(name, help)).map_err(internal)?;
            registry.register(Box::new(c.clone())).map_err(internal)?;
            Ok(c)
        };
        let rows = single("lathe_rows_scored_total", "Rows the model scored.")?;
        let predicted = if classes.is_empty() {
            Vec::new()
        } else {
            family(
                "lathe_predictions_total",
                "Predicted rows by class.",
                &["class"],
                &mut classes.iter().map(|c| vec![c.clone()]),
            )?
        };
        let outside = family(
            "lathe_input_outside_training_range_total",
            "Input values outside the range seen in training, by column.",
            &["column"],
            &mut columns.iter().map(|c| vec![c.clone()]),
        )?;
        let unseen = family(
            "lathe_input_unseen_category_total",
            "Categories training never saw, by column.",
            &["column"],
            &mut columns.iter().map(|c| vec![c.clone()]),
        )?;
        let log_dropped = single(
            "lathe_prediction_log_dropped_total",
            "Prediction log lines dropped because the writer fell behind.",
        )?;
        Ok(Self {
            registry,
            requests,
            latency,
            errors,
            predicted,
            rows,
            outside,
            unseen,
            log_dropped,
        })
    }

    /// One request done: its endpoint, status and duration.
    pub fn request(&self, endpoint: usize, code: u16, seconds: f64) {
        let c = CODES.iter().position(|&x| x == code).unwrap_or(CODES.len());
        if let Some(n) = self.requests.get(endpoint * (CODES.len() + 1) + c) {
            n.inc();
        }
        if let Some(h) = self.latency.get(endpoint) {
            h.observe(seconds);
        }
    }

    pub fn error(&self, kind: &str) {
        if let Some(i) = ERRORS.iter().position(|k| *k == kind) {
            self.errors[i].inc();
        }
    }

    /// Rows scored: predicted classes, and the schema's counts.
    pub fn scored(&self, class_index: &[usize], rows: usize, outside: &[u64], unseen: &[u64]) {
        self.rows.inc_by(rows as u64);
        for &c in class_index {
            if let Some(a) = self.predicted.get(c) {
                a.inc();
            }
        }
        for (a, &n) in self.outside.iter().zip(outside) {
            if n > 0 {
                a.inc_by(n);
            }
        }
        for (a, &n) in self.unseen.iter().zip(unseen) {
            if n > 0 {
                a.inc_by(n);
            }
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| format!("# the metrics could not be written: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let Ok(m) = Metrics::new("m", &["a".into(), "b\"".into()], &["x".into()]) else {
            panic!("metrics");
        };
        m.request(0, 200, 0.0007);
        m.request(0, 200, 0.003);
        m.request(0, 400, 9.0);
        m.scored(&[1, 1, 0], 3, &[2], &[0]);
        let t = m.render();
        assert!(
            t.contains("lathe_requests_total{code=\"200\",endpoint=\"infer\",model=\"m\"} 2"),
            "{t}"
        );
        assert!(
            t.contains("endpoint=\"infer\",model=\"m\",le=\"0.001\"} 1\n"),
            "{t}"
        );
        assert!(
            t.contains("endpoint=\"infer\",model=\"m\",le=\"0.005\"} 2\n"),
            "{t}"
        );
        assert!(
            t.contains("endpoint=\"infer\",model=\"m\",le=\"+Inf\"} 3\n"),
            "{t}"
        );
        assert!(
            t.contains("lathe_predictions_total{class=\"b\\\"\",model=\"m\"} 2"),
            "{t}"
        );
        assert!(t.contains("column=\"x\",model=\"m\"} 2"), "{t}");
        assert!(
            t.contains("# TYPE lathe_request_duration_seconds histogram\n"),
            "{t}"
        );
    }
}
