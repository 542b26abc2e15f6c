//! Agreement between annotators: Cohen's kappa on the rows both labelled,
//! as `sklearn.metrics.cohen_kappa_score` computes it (unweighted).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

/// Two annotators' agreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub a: String,
    pub b: String,
    /// Rows both labelled.
    pub rows: usize,
    /// Share of those rows with the same label.
    pub observed: f64,
    /// Cohen's kappa; `None` when undefined (both gave one and the same class to every row).
    pub kappa: Option<f64>,
}

/// Cohen's kappa of two label sequences of equal length.
pub fn cohen_kappa(a: &[&str], b: &[&str]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let mut count_a: HashMap<&str, f64> = HashMap::new();
    let mut count_b: HashMap<&str, f64> = HashMap::new();
    let mut same = 0usize;
    for (x, y) in a.iter().zip(b) {
        *count_a.entry(x).or_default() += 1.0;
        *count_b.entry(y).or_default() += 1.0;
        same += usize::from(x == y);
    }
    let n = n as f64;
    let po = same as f64 / n;
    let pe: f64 = count_a
        .iter()
        .map(|(c, ca)| ca * count_b.get(c).copied().unwrap_or(0.0))
        .sum::<f64>()
        / (n * n);
    if (1.0 - pe).abs() < f64::EPSILON {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

/// Every pair of annotators who labelled at least one row in common.
pub fn pairs(by_annotator: &HashMap<String, HashMap<String, String>>) -> Vec<Agreement> {
    let names: BTreeSet<&String> = by_annotator
        .iter()
        .filter(|(_, m)| !m.is_empty())
        .map(|(n, _)| n)
        .collect();
    let names: Vec<&String> = names.into_iter().collect();
    let mut out = Vec::new();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            let (ma, mb) = (&by_annotator[*a], &by_annotator[*b]);
            // Sorted keys: the same result whatever the hash order.
            let shared: BTreeMap<&String, (&str, &str)> = ma
                .iter()
                .filter_map(|(k, la)| mb.get(k).map(|lb| (k, (la.as_str(), lb.as_str()))))
                .collect();
            if shared.is_empty() {
                continue;
            }
            let (xa, xb): (Vec<&str>, Vec<&str>) = shared.values().copied().unzip();
            let same = xa.iter().zip(&xb).filter(|(x, y)| x == y).count();
            out.push(Agreement {
                a: (*a).clone(),
                b: (*b).clone(),
                rows: shared.len(),
                observed: same as f64 / shared.len() as f64,
                kappa: cohen_kappa(&xa, &xb),
            });
        }
    }
    out
}
