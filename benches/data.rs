//! The Data step's benchmark on peer-bench's 1,000,000-row × 23-column file.
//!
//! `cargo bench --bench data -- PATH/maint_1m.csv` (default path:
//! `../peer-bench/data/maint_1m.csv`, where `../shared/peer-bench/run.sh`
//! writes it). Measures, in one process, like a user opening the file:
//! time to the first screen of rows (preview + one frame drawn), the whole
//! load, the full profile (load + statistics + fingerprint), one frame drawn
//! at 160×48 with every row loaded, and peak memory against the frame's size.
//! Compare "full profile" with peer-bench's `read_csv_polars` from the same run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use lathe::data::{self, LoadOptions};
use lathe::jobs::{CancelToken, NoProgress};
use lathe::tui::screens::data::DataScreen;
use lathe::tui::theme::{ColorDepth, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../peer-bench/data/maint_1m.csv"));
    assert!(
        path.is_file(),
        "no input file {}: run ../shared/peer-bench's gen_data.py first",
        path.display()
    );
    let opts = LoadOptions::default();
    let theme = Theme::load("dark", None, ColorDepth::Ansi256).unwrap();
    let reps = 3;

    // 1. First screen: preview rows and draw them.
    let mut first = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let preview = data::preview(&path, &opts, lathe::tui::screens::data::PREVIEW_ROWS).unwrap();
        let (tx, _rx) = channel();
        let mut screen = DataScreen::new(tx);
        screen.path = Some(path.clone());
        screen.loaded = Some(preview);
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        term.draw(|f| screen.render(f, f.area(), &theme)).unwrap();
        first.push(t.elapsed());
    }

    // 2. Whole load, 3. load + profile.
    let mut loads = Vec::new();
    let mut fulls = Vec::new();
    let mut profile = None;
    let mut loaded = None;
    for _ in 0..reps {
        let t = Instant::now();
        let l = data::load(&path, &opts).unwrap();
        loads.push(t.elapsed());
        let p = data::profile(&l.frame, &CancelToken::new(), &NoProgress).unwrap();
        fulls.push(t.elapsed());
        profile = Some(p);
        loaded = Some(l);
    }
    let loaded = loaded.unwrap();
    let profile = profile.unwrap();
    // Where the profile's time goes: the row pass and the column statistics, each alone.
    let t = Instant::now();
    data::fingerprint::scan(&loaded.frame, &CancelToken::new(), &NoProgress).unwrap();
    let scan_time = t.elapsed();
    let t = Instant::now();
    let file = std::fs::File::open(&path).unwrap();
    let width = loaded.frame.width();
    let count = data::records::quick_count(file, b',', b'"').unwrap();
    if count.and_then(|c| c.vouches_for(width)) != Some(true) {
        let file = std::fs::File::open(&path).unwrap();
        data::records::scan_reader(file, b',', b'"').unwrap();
    }
    let records_time = t.elapsed();
    let t = Instant::now();
    for c in loaded.frame.columns() {
        data::profile::profile_column(c.as_materialized_series()).unwrap();
    }
    let stats_time = t.elapsed();
    let frame_bytes = loaded.frame.estimated_size() as u64;

    // 4. One frame at 160×48 with every row loaded, scrolled to the middle.
    let (tx, _rx) = channel();
    let mut screen = DataScreen::new(tx);
    screen.path = Some(path.clone());
    screen.loaded = Some(loaded);
    screen.profile = Some(profile.clone());
    screen.row = 500_000;
    screen.col = 5;
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut frames = Vec::new();
    for i in 0..50 {
        screen.row = 500_000 + i * 7;
        let t = Instant::now();
        term.draw(|f| screen.render(f, f.area(), &theme)).unwrap();
        frames.push(t.elapsed());
    }

    // Peak memory of one load + profile with nothing else alive: reset the
    // high-water mark (Linux: write 5 to /proc/self/clear_refs) first.
    drop(screen);
    drop(term);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let base = peak_rss_bytes();
    {
        let l = data::load(&path, &opts).unwrap();
        data::profile(&l.frame, &CancelToken::new(), &NoProgress).unwrap();
    }
    let peak = peak_rss_bytes();
    let _ = base;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "input            {} ({} rows × {} columns)",
        path.display(),
        profile.rows,
        profile.columns
    );
    println!(
        "first screen     {:8.1} ms   (preview of {} rows + one 160×48 frame; median of {reps})",
        ms(median(first.clone())),
        lathe::tui::screens::data::PREVIEW_ROWS
    );
    println!("whole load       {:8.1} ms", ms(median(loads.clone())));
    println!(
        "full profile     {:8.1} ms   (load + statistics + fingerprint; median of {reps})",
        ms(median(fulls.clone()))
    );
    println!(
        "  of which       {:8.1} ms row pass (fingerprint, duplicates) alone, {:.1} ms column statistics alone, one thread; {:.1} ms record check of the file alone",
        ms(scan_time),
        ms(stats_time),
        ms(records_time)
    );
    println!(
        "frame render     {:8.2} ms   (160×48, 1M rows, median of 50)",
        ms(median(frames.clone()))
    );
    println!(
        "peak memory      {:8.1} MiB  (frame {:.1} MiB, ratio {:.2})",
        peak as f64 / 1048576.0,
        frame_bytes as f64 / 1048576.0,
        peak as f64 / frame_bytes as f64
    );
    println!("fingerprint      {}", profile.fingerprint);
    println!(
        "BENCH_JSON {{\"first_screen_ms\":{:.1},\"load_ms\":{:.1},\"full_profile_ms\":{:.1},\"frame_ms\":{:.3},\"peak_rss_mib\":{:.1},\"frame_mib\":{:.1}}}",
        ms(median(first)),
        ms(median(loads)),
        ms(median(fulls)),
        ms(median(frames)),
        peak as f64 / 1048576.0,
        frame_bytes as f64 / 1048576.0
    );
}
