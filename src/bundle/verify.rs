//! `lathe bundle verify`: checksums, the manifest, the signature, the model,
//! and a replay of the input examples against the predictions the bundle
//! recorded. Every problem is listed; the first decides the message.

use std::path::Path;

use serde_json::{Value, json};

use crate::bundle::input;
use crate::bundle::manifest::{
    INPUT_EXAMPLE, MODEL, Manifest, Problem, SERVING_INPUT_EXAMPLE, check_files, read_manifest,
};
use crate::bundle::score::Answer;
use crate::bundle::sign::PublicKey;
use crate::error::Result;
use crate::train::model::FittedModel;

/// The outcome of a verification of something that is a bundle.
#[derive(Debug)]
pub struct VerifyReport {
    pub manifest: Manifest,
    pub problems: Vec<Problem>,
    /// Example files replayed.
    pub examples: usize,
    pub signed: bool,
}

/// Verify `dir`. Not a bundle, or one from a newer lathe, is an error;
/// anything else wrong is a [`Problem`] in the report.
pub fn verify(dir: &Path, key: Option<&PublicKey>) -> Result<VerifyReport> {
    let (manifest, bytes) = read_manifest(dir)?;
    let mut problems = check_files(dir, &manifest, &bytes, key)?;
    let mut examples = 0;
    let model = std::fs::read(dir.join(MODEL))
        .map_err(|e| e.to_string())
        .and_then(|b| FittedModel::from_json(&b).map_err(|e| e.message.clone()));
    match model {
        Err(why) => problems.push(Problem {
            what: MODEL.to_owned(),
            why: format!("does not load: {why}"),
        }),
        Ok(model) => {
            if model.pipeline != manifest.pipeline {
                problems.push(Problem {
                    what: MODEL.to_owned(),
                    why: "its pipeline is not the one in bundle.json".to_owned(),
                });
            }
            let unseen = model.unseen_policy();
            for (file, wrap) in [(INPUT_EXAMPLE, true), (SERVING_INPUT_EXAMPLE, false)] {
                let body = match std::fs::read(dir.join(file))
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
                {
                    Ok(v) => v,
                    Err(why) => {
                        problems.push(Problem {
                            what: file.to_owned(),
                            why: format!("unreadable: {why}"),
                        });
                        continue;
                    }
                };
                let body = if wrap {
                    json!({ "dataframe_split": body })
                } else {
                    body
                };
                examples += 1;
                let replay = input::mlflow(&body, &manifest.inputs, &unseen)
                    .and_then(|rows| model.predict(&rows.raw))
                    .map(|s| Answer::of(&model, &s));
                match replay {
                    Err(e) => problems.push(Problem {
                        what: file.to_owned(),
                        why: format!("cannot be scored: {}", e.message),
                    }),
                    Ok(a) => {
                        if let Some(why) = differs(&a, &manifest) {
                            problems.push(Problem {
                                what: file.to_owned(),
                                why,
                            });
                        }
                    }
                }
            }
        }
    }
    if let Some(why) = importance_differs(&manifest) {
        problems.push(Problem {
            what: "bundle.json: importance".to_owned(),
            why,
        });
    }
    Ok(VerifyReport {
        signed: key.is_some(),
        manifest,
        problems,
        examples,
    })
}

/// The recorded importance must name each input column once.
fn importance_differs(m: &Manifest) -> Option<String> {
    let imp = m.importance.as_ref()?;
    let mut got: Vec<&str> = imp.columns.iter().map(|c| c.column.as_str()).collect();
    let mut want: Vec<&str> = m.inputs.iter().map(|f| f.name.as_str()).collect();
    got.sort_unstable();
    want.sort_unstable();
    (got != want).then(|| {
        format!(
            "names the columns {}, the inputs are {}",
            got.join(", "),
            want.join(", ")
        )
    })
}

/// The first difference between a replay and the recorded predictions.
fn differs(a: &Answer, m: &Manifest) -> Option<String> {
    let want = &m.examples;
    if a.predictions.len() != want.predictions.len() {
        return Some(format!(
            "{} predictions, the manifest records {}",
            a.predictions.len(),
            want.predictions.len()
        ));
    }
    for (i, (got, exp)) in a.predictions.iter().zip(&want.predictions).enumerate() {
        if got != exp {
            return Some(format!(
                "row {}: predicts {got}, the manifest records {exp}",
                i + 1
            ));
        }
    }
    match (&a.probabilities, &want.probabilities) {
        (Some(g), Some(w)) => {
            for (i, (gr, wr)) in g.iter().zip(w).enumerate() {
                if gr != wr {
                    return Some(format!(
                        "row {}: probabilities {gr:?}, the manifest records {wr:?}",
                        i + 1
                    ));
                }
            }
            None
        }
        (None, None) => None,
        _ => Some("probabilities present in one and not the other".to_owned()),
    }
}
