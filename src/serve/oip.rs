//! The Open Inference Protocol's side of the model: its metadata, which
//! outputs a request asks for (its `outputs` list, and in which form), and
//! the reply — JSON, or with the binary tensor data extension a JSON header
//! followed by the tensors' bytes. A model has the prediction (named as the
//! target; BYTES labels for a classifier, FP64 values for a regressor) and,
//! when the model has them, `probabilities` (FP64, `[N, classes]`).
//!
//! With `"parameters": {"explain": true}` on the request (or `explanation`
//! in its `outputs` list) the reply also has `explanation`: a BYTES tensor
//! of shape `[N]` holding each row's explanation as JSON text — the object
//! a V1 `:explain` answers per row — and the method in the reply's
//! `parameters`. One BYTES tensor rather than FP64 `shap_<column>` tensors:
//! it keeps the shape `[N]` of the predictions, cannot collide with an
//! output named after a column, carries the base value, the explained class
//! and (for estimates) the standard errors beside the values, and every OIP
//! client (Triton's, KServe's) reads an extra BYTES output without knowing
//! of it. It is not in the model metadata's outputs: it is only sent when asked.

use serde_json::{Map, Value, json};

use super::Reply;
use super::binary;
use super::explain::Explained;
use crate::bundle::manifest::{InputKind, Manifest};
use crate::bundle::score::Answer;
use crate::error::{Error, Result};

/// One of the model's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Output {
    Prediction,
    Probabilities,
    /// SHAP values per row, as JSON text (only when asked).
    Explanation,
}

/// The explanation output's name.
pub(super) const EXPLANATION: &str = "explanation";

/// An output to send, and whether as binary data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wanted {
    pub output: Output,
    pub binary: bool,
}

/// The model's outputs: which, name, datatype and shape (-1: the rows).
fn outputs(m: &Manifest) -> Vec<(Output, &str, &'static str, Vec<i64>)> {
    let mut out = vec![(
        Output::Prediction,
        m.target.as_str(),
        if m.classes.is_empty() {
            "FP64"
        } else {
            "BYTES"
        },
        vec![-1],
    )];
    if m.output.probabilities {
        out.push((
            Output::Probabilities,
            "probabilities",
            "FP64",
            vec![-1, m.classes.len() as i64],
        ));
    }
    out
}

/// `GET /v2/models/{name}`.
pub(super) fn metadata(m: &Manifest) -> Value {
    let inputs: Vec<Value> = m
        .inputs
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "datatype": match f.kind { InputKind::Number => "FP64", InputKind::Category => "BYTES" },
                "shape": [-1],
            })
        })
        .collect();
    let outputs: Vec<Value> = outputs(m)
        .into_iter()
        .map(|(_, name, datatype, shape)| json!({"name": name, "datatype": datatype, "shape": shape}))
        .collect();
    json!({
        "name": m.name,
        "versions": [m.version],
        "platform": "lathe",
        "inputs": inputs,
        "outputs": outputs,
        "parameters": {"task": m.task, "algorithm": m.algorithm, "run_id": m.run_id, "classes": m.classes},
    })
}

fn flag(params: Option<&Value>, key: &str, field: &str) -> Result<Option<bool>> {
    match params.and_then(|p| p.get(key)) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Error::input(format!(
            "{field}: the parameter {key} must be true or false, not {other}"
        ))
        .field(field.to_owned())),
    }
}

/// The outputs a request asks for, in its order: its `outputs` list, or all
/// of them; and the explanation last when `parameters.explain` is true but
/// the list does not name it. Binary when the output's `binary_data` says
/// so, else when the request's `binary_data_output` does.
pub(super) fn requested(request: &Value, m: &Manifest) -> Result<Vec<Wanted>> {
    let all = outputs(m);
    let default = flag(
        request.get("parameters"),
        "binary_data_output",
        "parameters",
    )?
    .unwrap_or(false);
    let explain = flag(request.get("parameters"), "explain", "parameters")?.unwrap_or(false);
    let mut wanted = requested_outputs(request, &all, default)?;
    let explained = wanted.iter().any(|w| w.output == Output::Explanation);
    if explain && !explained {
        wanted.push(Wanted {
            output: Output::Explanation,
            binary: default,
        });
    }
    Ok(wanted)
}

/// The request's `outputs` list (the explanation among them when named).
fn requested_outputs(
    request: &Value,
    model_outputs: &[(Output, &str, &'static str, Vec<i64>)],
    default: bool,
) -> Result<Vec<Wanted>> {
    let mut all = model_outputs.to_vec();
    all.push((Output::Explanation, EXPLANATION, "BYTES", vec![-1]));
    // No list, or an empty one: every output.
    let Some(list) = request
        .get("outputs")
        .filter(|o| !o.is_null() && o.as_array().is_none_or(|a| !a.is_empty()))
    else {
        return Ok(model_outputs
            .iter()
            .map(|o| Wanted {
                output: o.0,
                binary: default,
            })
            .collect());
    };
    let list = list.as_array().ok_or_else(|| {
        Error::input("'outputs' must be a list of {\"name\": …} objects").field("outputs")
    })?;
    let names: Vec<&str> = all.iter().map(|o| o.1).collect();
    let mut wanted: Vec<Wanted> = Vec::with_capacity(list.len());
    for (i, o) in list.iter().enumerate() {
        let name = o.get("name").and_then(Value::as_str).ok_or_else(|| {
            Error::input(format!("outputs[{i}] needs a 'name'")).field(format!("outputs[{i}]"))
        })?;
        let refuse = |message: String| Error::input(message).field(name.to_owned());
        let Some(&(output, ..)) = all.iter().find(|x| x.1 == name) else {
            return Err(refuse(format!(
                "unknown output '{name}': the model's outputs are {}",
                names.join(", ")
            )));
        };
        if wanted.iter().any(|w| w.output == output) {
            return Err(refuse(format!("output '{name}' is asked for twice")));
        }
        let params = o.get("parameters");
        if params.and_then(|p| p.get("classification")).is_some() {
            return Err(refuse(format!(
                "output '{name}': the classification extension is not supported; ask for 'probabilities'"
            )));
        }
        if params.and_then(|p| p.get("shared_memory_region")).is_some() {
            return Err(refuse(format!(
                "output '{name}': the shared memory extension is not supported"
            )));
        }
        let binary = flag(params, "binary_data", name)?.unwrap_or(default);
        wanted.push(Wanted { output, binary });
    }
    Ok(wanted)
}

/// The infer response with the `wanted` outputs (the explanation's rows
/// from `explained`).
pub(super) fn reply(
    m: &Manifest,
    answer: &Answer,
    id: Option<String>,
    wanted: &[Wanted],
    explained: Option<&Explained>,
) -> Result<Reply> {
    let n = answer.predictions.len();
    let mut all = outputs(m);
    all.push((Output::Explanation, EXPLANATION, "BYTES", vec![-1]));
    let mut tensors = Vec::with_capacity(wanted.len());
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for w in wanted {
        let Some(&(_, name, datatype, _)) = all.iter().find(|o| o.0 == w.output) else {
            continue;
        };
        let (shape, data): (Vec<usize>, Vec<Value>) = match w.output {
            Output::Prediction => (vec![n], answer.predictions.clone()),
            Output::Probabilities => {
                let p = answer.probabilities.as_ref().ok_or_else(|| {
                    Error::internal("the model gave no probabilities for its probabilities output")
                })?;
                (
                    vec![n, m.classes.len()],
                    p.iter().flatten().map(|x| Value::from(*x)).collect(),
                )
            }
            Output::Explanation => {
                let e = explained.ok_or_else(|| {
                    Error::internal("the explanation output was asked for but not computed")
                })?;
                (
                    vec![n],
                    e.rows.iter().map(|r| Value::from(r.to_string())).collect(),
                )
            }
        };
        let mut t = Map::new();
        t.insert("name".into(), Value::from(name));
        t.insert("datatype".into(), Value::from(datatype));
        t.insert("shape".into(), Value::from(shape));
        if w.binary {
            let bytes = binary::encode(name, datatype, &data)?;
            t.insert(
                "parameters".into(),
                json!({ "binary_data_size": bytes.len() }),
            );
            blobs.push(bytes);
        } else {
            t.insert("data".into(), Value::Array(data));
        }
        tensors.push(Value::Object(t));
    }
    let mut out = json!({
        "model_name": m.name,
        "model_version": m.version,
        "outputs": tensors,
    });
    if let (Some(id), Some(o)) = (id, out.as_object_mut()) {
        o.insert("id".into(), Value::from(id));
    }
    // OIP parameters are scalars: the notes as one text.
    if let (Some(e), Some(o)) = (explained, out.as_object_mut()) {
        o.insert(
            "parameters".into(),
            json!({
                "explanation_method": e.method.label(),
                "explanation_exact": e.method.is_exact(),
                "explanation_output_kind": e.output.label(),
                "explanation_notes": e.notes.join(" "),
            }),
        );
    }
    if blobs.is_empty() {
        return Ok(Reply::Json(out));
    }
    let mut body = serde_json::to_vec(&out).map_err(|e| Error::internal(e.to_string()))?;
    let header_len = body.len();
    body.reserve(blobs.iter().map(Vec::len).sum());
    for b in blobs {
        body.extend_from_slice(&b);
    }
    Ok(Reply::Binary { header_len, body })
}
