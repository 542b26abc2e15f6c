//! `/metrics` in the Prometheus text format (0.0.4): requests by endpoint and
//! status, a latency histogram per endpoint, errors by kind, predictions by
//! class, inputs outside the training range and unseen categories by column.
//! Counters are atomics: the hot path takes no lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Endpoints with their own series.
pub const ENDPOINTS: [&str; 3] = ["infer", "invocations", "other"];
/// Status codes counted separately (others go to the last slot as "other").
const CODES: [u16; 10] = [200, 400, 401, 404, 405, 408, 413, 415, 500, 503];
/// Latency bucket upper bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Error kinds.
pub const ERRORS: [&str; 8] = [
    "bad_request",
    "unauthorized",
    "not_found",
    "body_too_large",
    "unsupported_media_type",
    "timeout",
    "method_not_allowed",
    "internal",
];

fn counters(n: usize) -> Vec<AtomicU64> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

pub struct Metrics {
    model: String,
    classes: Vec<String>,
    columns: Vec<String>,
    requests: Vec<AtomicU64>,
    buckets: Vec<AtomicU64>,
    latency_sum_us: Vec<AtomicU64>,
    latency_count: Vec<AtomicU64>,
    errors: Vec<AtomicU64>,
    predicted: Vec<AtomicU64>,
    rows: AtomicU64,
    outside: Vec<AtomicU64>,
    unseen: Vec<AtomicU64>,
    pub log_dropped: AtomicU64,
}

impl Metrics {
    pub fn new(model: &str, classes: &[String], columns: &[String]) -> Self {
        let e = ENDPOINTS.len();
        Self {
            model: model.to_owned(),
            classes: classes.to_vec(),
            columns: columns.to_vec(),
            requests: counters(e * (CODES.len() + 1)),
            buckets: counters(e * (BUCKETS.len() + 1)),
            latency_sum_us: counters(e),
            latency_count: counters(e),
            errors: counters(ERRORS.len()),
            predicted: counters(classes.len()),
            rows: AtomicU64::new(0),
            outside: counters(columns.len()),
            unseen: counters(columns.len()),
            log_dropped: AtomicU64::new(0),
        }
    }

    /// One request done: its endpoint, status and duration.
    pub fn request(&self, endpoint: usize, code: u16, seconds: f64) {
        let c = CODES.iter().position(|&x| x == code).unwrap_or(CODES.len());
        self.requests[endpoint * (CODES.len() + 1) + c].fetch_add(1, Ordering::Relaxed);
        let b = BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(BUCKETS.len());
        self.buckets[endpoint * (BUCKETS.len() + 1) + b].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us[endpoint].fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.latency_count[endpoint].fetch_add(1, Ordering::Relaxed);
    }

    pub fn error(&self, kind: &str) {
        if let Some(i) = ERRORS.iter().position(|k| *k == kind) {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Rows scored: predicted classes, and the schema's counts.
    pub fn scored(&self, class_index: &[usize], rows: usize, outside: &[u64], unseen: &[u64]) {
        self.rows.fetch_add(rows as u64, Ordering::Relaxed);
        for &c in class_index {
            if let Some(a) = self.predicted.get(c) {
                a.fetch_add(1, Ordering::Relaxed);
            }
        }
        for (a, &n) in self.outside.iter().zip(outside) {
            if n > 0 {
                a.fetch_add(n, Ordering::Relaxed);
            }
        }
        for (a, &n) in self.unseen.iter().zip(unseen) {
            if n > 0 {
                a.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(4096);
        let m = escape(&self.model);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        o.push_str("# HELP lathe_requests_total HTTP requests by endpoint and status code.\n# TYPE lathe_requests_total counter\n");
        for (e, ep) in ENDPOINTS.iter().enumerate() {
            for c in 0..=CODES.len() {
                let n = get(&self.requests[e * (CODES.len() + 1) + c]);
                if n > 0 {
                    let code = CODES
                        .get(c)
                        .map_or_else(|| "other".to_owned(), u16::to_string);
                    let _ = writeln!(
                        o,
                        "lathe_requests_total{{model=\"{m}\",endpoint=\"{ep}\",code=\"{code}\"}} {n}"
                    );
                }
            }
        }
        o.push_str("# HELP lathe_request_duration_seconds Time from request to response.\n# TYPE lathe_request_duration_seconds histogram\n");
        for (e, ep) in ENDPOINTS.iter().enumerate() {
            let mut cum = 0;
            for (b, le) in BUCKETS.iter().enumerate() {
                cum += get(&self.buckets[e * (BUCKETS.len() + 1) + b]);
                let _ = writeln!(
                    o,
                    "lathe_request_duration_seconds_bucket{{model=\"{m}\",endpoint=\"{ep}\",le=\"{le}\"}} {cum}"
                );
            }
            cum += get(&self.buckets[e * (BUCKETS.len() + 1) + BUCKETS.len()]);
            let _ = writeln!(
                o,
                "lathe_request_duration_seconds_bucket{{model=\"{m}\",endpoint=\"{ep}\",le=\"+Inf\"}} {cum}"
            );
            let _ = writeln!(
                o,
                "lathe_request_duration_seconds_sum{{model=\"{m}\",endpoint=\"{ep}\"}} {}",
                get(&self.latency_sum_us[e]) as f64 / 1e6
            );
            let _ = writeln!(
                o,
                "lathe_request_duration_seconds_count{{model=\"{m}\",endpoint=\"{ep}\"}} {}",
                get(&self.latency_count[e])
            );
        }
        o.push_str("# HELP lathe_errors_total Refused or failed requests by kind.\n# TYPE lathe_errors_total counter\n");
        for (i, k) in ERRORS.iter().enumerate() {
            let _ = writeln!(
                o,
                "lathe_errors_total{{model=\"{m}\",kind=\"{k}\"}} {}",
                get(&self.errors[i])
            );
        }
        o.push_str("# HELP lathe_rows_scored_total Rows the model scored.\n# TYPE lathe_rows_scored_total counter\n");
        let _ = writeln!(
            o,
            "lathe_rows_scored_total{{model=\"{m}\"}} {}",
            get(&self.rows)
        );
        if !self.classes.is_empty() {
            o.push_str("# HELP lathe_predictions_total Predicted rows by class.\n# TYPE lathe_predictions_total counter\n");
            for (i, c) in self.classes.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "lathe_predictions_total{{model=\"{m}\",class=\"{}\"}} {}",
                    escape(c),
                    get(&self.predicted[i])
                );
            }
        }
        o.push_str("# HELP lathe_input_outside_training_range_total Input values outside the range seen in training, by column.\n# TYPE lathe_input_outside_training_range_total counter\n");
        for (i, c) in self.columns.iter().enumerate() {
            let _ = writeln!(
                o,
                "lathe_input_outside_training_range_total{{model=\"{m}\",column=\"{}\"}} {}",
                escape(c),
                get(&self.outside[i])
            );
        }
        o.push_str("# HELP lathe_input_unseen_category_total Categories training never saw, by column.\n# TYPE lathe_input_unseen_category_total counter\n");
        for (i, c) in self.columns.iter().enumerate() {
            let _ = writeln!(
                o,
                "lathe_input_unseen_category_total{{model=\"{m}\",column=\"{}\"}} {}",
                escape(c),
                get(&self.unseen[i])
            );
        }
        o.push_str("# HELP lathe_prediction_log_dropped_total Prediction log lines dropped because the writer fell behind.\n# TYPE lathe_prediction_log_dropped_total counter\n");
        let _ = writeln!(
            o,
            "lathe_prediction_log_dropped_total{{model=\"{m}\"}} {}",
            get(&self.log_dropped)
        );
        o
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::new("m", &["a".into(), "b".into()], &["x".into()]);
        m.request(0, 200, 0.0007);
        m.request(0, 200, 0.003);
        m.request(0, 400, 9.0);
        m.scored(&[1, 1, 0], 3, &[2], &[0]);
        let t = m.render();
        assert!(
            t.contains("lathe_requests_total{model=\"m\",endpoint=\"infer\",code=\"200\"} 2"),
            "{t}"
        );
        assert!(t.contains("endpoint=\"infer\",le=\"0.001\"} 1\n"), "{t}");
        assert!(t.contains("endpoint=\"infer\",le=\"0.005\"} 2\n"), "{t}");
        assert!(t.contains("endpoint=\"infer\",le=\"+Inf\"} 3\n"), "{t}");
        assert!(
            t.contains("lathe_predictions_total{model=\"m\",class=\"b\"} 2"),
            "{t}"
        );
        assert!(t.contains("column=\"x\"} 2"), "{t}");
    }
}
