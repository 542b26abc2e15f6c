//! Records the git commit lathe is built from (for `lathe --version`) and the
//! versions of the learning crates (recorded in every training run's lineage).
use std::process::Command;

/// `name=version` pairs of the crates that fit models, read from Cargo.lock.
fn engine_versions() -> String {
    const ENGINES: &[&str] = &["linfa", "smartcore", "perpetual", "polars"];
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut found = Vec::new();
    let mut name: Option<&str> = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"'));
        } else if let (Some(n), Some(v)) = (name, line.strip_prefix("version = ")) {
            if ENGINES.contains(&n) {
                found.push(format!("{n}={}", v.trim_matches('"')));
            }
            name = None;
        }
    }
    found.join(",")
}

fn main() {
    println!(
        "cargo:rustc-env=LATHE_ENGINE_VERSIONS={}",
        engine_versions()
    );
    println!("cargo:rerun-if-changed=Cargo.lock");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown commit".to_owned());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| o.status.success() && !o.stdout.is_empty());
    let suffix = if dirty && commit != "unknown commit" {
        "-dirty"
    } else {
        ""
    };
    println!("cargo:rustc-env=LATHE_GIT_COMMIT={commit}{suffix}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/logs/HEAD");
    println!("cargo:rerun-if-changed=build.rs");
}
