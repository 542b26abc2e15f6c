//! The gate's part of the checks: its metrics must be the task's, each
//! threshold on the right side (`min` for scores, `max` for losses) and in
//! the metric's range, `margin` at least 0 and `alpha` in (0, 1).

use crate::error::{Error, Result};
use crate::pipeline::spec::{Checker, PipelineSpec, ValidPipeline};
use crate::train::Task;
use crate::train::metrics::{CLASSIFICATION_METRICS, REGRESSION_METRICS, greater_is_better};
use crate::train::spec::{Prepared, TrainSpec};

impl PipelineSpec {
    /// The gate's metrics must exist for the task, and thresholds be in range.
    pub(super) fn check_gate(&self, train: &TrainSpec, c: &Checker) -> Result<String> {
        let known: Vec<&str> = match train.task {
            Some(Task::Classification) => CLASSIFICATION_METRICS.to_vec(),
            Some(Task::Regression) => REGRESSION_METRICS.to_vec(),
            None => CLASSIFICATION_METRICS
                .iter()
                .chain(REGRESSION_METRICS)
                .copied()
                .collect(),
        };
        let task = train
            .task
            .map_or_else(|| "either task".to_owned(), |t| t.to_string());
        let check_name = |name: &str, span: std::ops::Range<usize>, key: &str| -> Result<()> {
            if known.contains(&name) {
                Ok(())
            } else {
                Err(c.err(
                    span,
                    key,
                    format!(
                        "'{name}' is not a metric of {task}; choose from {}",
                        known.join(", ")
                    ),
                ))
            }
        };
        let default_metric = match train.task {
            Some(Task::Regression) => "r2",
            _ => "f1_macro",
        };
        let metric = match &self.gate.metric {
            Some(m) => {
                check_name(m.get_ref(), m.span(), "pipeline.gate.metric")?;
                m.get_ref().clone()
            }
            None => train
                .metric
                .clone()
                .unwrap_or_else(|| default_metric.to_owned()),
        };
        for (side, map) in [("min", &self.gate.min), ("max", &self.gate.max)] {
            for (name, v) in map {
                let key = format!("pipeline.gate.{side}.{name}");
                check_name(name, v.span(), &key)?;
                let x = *v.get_ref();
                let loss = !greater_is_better(name);
                if side == "min" && loss || side == "max" && !loss {
                    let other = if side == "min" { "max" } else { "min" };
                    return Err(c.err(
                        v.span(),
                        &key,
                        format!(
                            "'{name}' is {}: give its threshold under `{other}`",
                            if loss {
                                "a loss (lower is better)"
                            } else {
                                "a score (higher is better)"
                            }
                        ),
                    ));
                }
                let (lo, hi) = metric_range(name);
                if !(x.is_finite() && x >= lo && x <= hi) {
                    return Err(c.err(
                        v.span(),
                        &key,
                        format!("threshold {x} is out of range for '{name}' ({lo} to {hi})"),
                    ));
                }
            }
        }
        let margin = *self.gate.margin.get_ref();
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(c.err(
                self.gate.margin.span(),
                "pipeline.gate.margin",
                format!("margin must be a number >= 0, not {margin}"),
            ));
        }
        let alpha = *self.gate.alpha.get_ref();
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(c.err(
                self.gate.alpha.span(),
                "pipeline.gate.alpha",
                format!("alpha must be between 0 and 1 (exclusive), not {alpha}"),
            ));
        }
        Ok(metric)
    }
}

/// The values a metric can take, for checking thresholds.
fn metric_range(name: &str) -> (f64, f64) {
    match name {
        "mcc" | "cohen_kappa" => (-1.0, 1.0),
        "r2" => (f64::MIN, 1.0),
        "log_loss" | "mae" | "mse" | "rmse" | "mape" => (0.0, f64::MAX),
        _ => (0.0, 1.0),
    }
}

/// When the task was inferred from the data, the gate's metrics are checked now (before training).
pub fn check_gate_metric(p: &ValidPipeline, prep: &Prepared) -> Result<()> {
    let known = match prep.task {
        Task::Classification => CLASSIFICATION_METRICS,
        Task::Regression => REGRESSION_METRICS,
    };
    let names = std::iter::once(&p.gate_metric)
        .chain(p.spec.gate.min.keys())
        .chain(p.spec.gate.max.keys());
    for n in names {
        if !known.contains(&n.as_str()) {
            return Err(Error::config(format!(
                "the gate names '{n}', which is not a metric of {}: choose from {}",
                prep.task,
                known.join(", ")
            ))
            .field("pipeline.gate")
            .hint("set `task` in [pipeline.train] to have this checked before any work"));
        }
    }
    Ok(())
}
