//! The Drift step's benchmark: peer-bench's drift job (22 columns, reference
//! against current) at 100,000 and 1,000,000 rows each, reading included.
//!
//! `cargo bench --bench drift -- [DATA_DIR]` (default `../peer-bench/data`,
//! written by `../shared/peer-bench`'s gen_data.py). Compare with
//! `JOBS="drift_scipy_100k drift_scipy_1m evidently_100k evidently_1m" ./run.sh`
//! from the same session: peer-bench times the peers' loads separately
//! (`load_parquet_to_numpy_s`), add them. Reported:
//!
//! - lathe with Evidently's choices (what `lathe drift` does by default),
//!   against Evidently's DataDriftPreset;
//! - lathe running the scipy script's four numeric tests (KS, Wasserstein,
//!   PSI and Jensen–Shannon on 10 reference-quantile bins) and chi-square on
//!   the categories, against the scipy/numpy script;
//! - peak memory against the two frames' size;
//! - how the comparison (reading excluded) grows to 10,000,000 rows a side: the 1M
//!   frames stacked ten times in memory (pass `--no-10m` to skip it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use common::{median, peak_rss_mb};
use lathe::data::LoadOptions;
use lathe::drift::spec::{Binning, DriftSpec};
use lathe::drift::stats::TestId;
use lathe::jobs::CancelToken;

/// Load both files and compare with `spec`; seconds, reading included.
fn once(reference: &Path, current: &Path, spec: &DriftSpec) -> (f64, usize, usize) {
    let t = Instant::now();
    let r = lathe::data::load(reference, &LoadOptions::default()).unwrap();
    let c = lathe::data::load(current, &LoadOptions::default()).unwrap();
    let rep = lathe::drift::compare(&r.frame, &c.frame, spec, &CancelToken::new()).unwrap();
    (t.elapsed().as_secs_f64(), rep.n_drifted, rep.columns.len())
}

/// The comparison alone (frames in memory) on the 1M files stacked `times` times.
fn stacked(dir: &Path, times: usize) -> (f64, usize) {
    let load = |name: &str| lathe::data::load(&dir.join(name), &LoadOptions::default()).unwrap();
    let (r1, c1) = (load("maint_1m.parquet"), load("maint_1m_fresh.parquet"));
    let (mut r, mut c) = (r1.frame.clone(), c1.frame.clone());
    for _ in 1..times {
        r.vstack_mut(&r1.frame).unwrap();
        c.vstack_mut(&c1.frame).unwrap();
    }
    r.rechunk_mut();
    c.rechunk_mut();
    let t = Instant::now();
    lathe::drift::compare(&r, &c, &DriftSpec::default(), &CancelToken::new()).unwrap();
    (t.elapsed().as_secs_f64(), r.height())
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../peer-bench/data"));
    let reps = 3;
    for (label, r, c) in [
        (
            "100k",
            "maint_1m_head100k.parquet",
            "maint_1m_fresh_head100k.parquet",
        ),
        ("1M", "maint_1m.parquet", "maint_1m_fresh.parquet"),
    ] {
        let (r, c) = (dir.join(r), dir.join(c));
        assert!(
            r.is_file() && c.is_file(),
            "missing {}: run peer-bench's gen_data.py",
            r.display()
        );
        let mut reads = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let _r = lathe::data::load(&r, &LoadOptions::default()).unwrap();
            let _c = lathe::data::load(&c, &LoadOptions::default()).unwrap();
            reads.push(t.elapsed().as_secs_f64());
        }
        println!(
            "{label} × {label}: reading both Parquet files: {:.3} s",
            median(reads)
        );
        let default = DriftSpec::default();
        let mut times = Vec::new();
        let mut found = (0, 0);
        for _ in 0..reps {
            let (s, d, n) = once(&r, &c, &default);
            times.push(s);
            found = (d, n);
        }
        println!(
            "{label} × {label}: Evidently's choices, reading included: {:.3} s (median of {reps}); {} of {} columns drifted",
            median(times),
            found.0,
            found.1
        );
        // The scipy script's set: four tests on every numeric column, chi-square on categories.
        let mut total = Vec::new();
        for _ in 0..reps {
            let mut sum = 0.0;
            let t_load = Instant::now();
            let rf = lathe::data::load(&r, &LoadOptions::default()).unwrap();
            let cf = lathe::data::load(&c, &LoadOptions::default()).unwrap();
            sum += t_load.elapsed().as_secs_f64();
            for test in [
                TestId::Ks,
                TestId::Wasserstein,
                TestId::Psi,
                TestId::JensenShannon,
            ] {
                let spec = DriftSpec {
                    test: Some(test),
                    binning: Binning::Quantiles,
                    n_bins: Some(10),
                    ..DriftSpec::default()
                };
                let t = Instant::now();
                lathe::drift::compare(&rf.frame, &cf.frame, &spec, &CancelToken::new()).unwrap();
                sum += t.elapsed().as_secs_f64();
            }
            total.push(sum);
        }
        println!(
            "{label} × {label}: KS + Wasserstein + PSI + JS on every column (the scipy script's work), reading included: {:.3} s",
            median(total)
        );
        let rf = lathe::data::load(&r, &LoadOptions::default()).unwrap();
        let cf = lathe::data::load(&c, &LoadOptions::default()).unwrap();
        let frames_mb = (rf.frame.estimated_size() + cf.frame.estimated_size()) as f64 / 1e6;
        println!(
            "{label} × {label}: peak RSS so far {:.0} MB; the two frames {frames_mb:.0} MB\n",
            peak_rss_mb()
        );
    }
    // From a reference profile (what a bundle will carry) against 1M current rows.
    {
        let r = lathe::data::load(&dir.join("maint_1m.parquet"), &LoadOptions::default()).unwrap();
        let profile = lathe::drift::profile::ReferenceProfile::of(&r.frame).unwrap();
        let path =
            std::env::temp_dir().join(format!("lathe-bench-profile-{}.json", std::process::id()));
        std::fs::write(&path, profile.to_json().unwrap()).unwrap();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let p = lathe::drift::profile::ReferenceProfile::read(&path)
                .unwrap()
                .unwrap();
            let reference = p.to_frame().unwrap();
            let c = lathe::data::load(&dir.join("maint_1m_fresh.parquet"), &LoadOptions::default())
                .unwrap();
            lathe::drift::compare(
                &reference,
                &c.frame,
                &DriftSpec::default(),
                &CancelToken::new(),
            )
            .unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        let _ = std::fs::remove_file(&path);
        println!(
            "profile ({} KB) × 1M current rows, reading both included: {:.3} s\n",
            size / 1024,
            median(times)
        );
    }
    if !std::env::args().any(|a| a == "--no-10m") {
        for times in [1, 10] {
            let (secs, rows) = stacked(&dir, times);
            println!(
                "{rows} × {rows} in memory (the 1M files stacked {times}×), comparison alone: {secs:.3} s"
            );
        }
    }
}
