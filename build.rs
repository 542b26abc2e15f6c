//! Records the git commit lathe is built from (for `lathe --version`) and the
//! versions of the learning crates (recorded in every training run's lineage),
//! and builds the static, serve-only `lathe-serve` that the full `lathe`
//! embeds, so every `lathe` can write a server into a bundle.
use std::path::{Path, PathBuf};
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

/// The crates of the serve-only build (`--no-default-features --features
/// serve`), `name version` per line, for the bundle's SBOM: the closure in
/// Cargo.lock of lathe's non-optional dependencies and those the `serve`
/// feature turns on. Cargo.lock lists each package's dependencies under every
/// feature used anywhere in the build, so this may name a few crates more
/// than the linker keeps (never fewer).
fn serve_crates() -> String {
    let manifest = std::fs::read_to_string("Cargo.toml").unwrap_or_default();
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    // Roots: [dependencies] entries that are not optional, plus the serve feature's.
    let mut roots: Vec<String> = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t == "[dependencies]";
            continue;
        }
        if in_deps
            && let Some((name, rest)) = t.split_once(" = ")
            && !name.starts_with('#')
            && !name.contains(' ')
            && !rest.contains("optional = true")
        {
            roots.push(name.to_owned());
        }
        if let Some(list) = t.strip_prefix("serve = [") {
            roots.extend(
                list.trim_end_matches(']')
                    .split(',')
                    .map(|d| {
                        d.trim()
                            .trim_matches('"')
                            .trim_start_matches("dep:")
                            .to_owned()
                    })
                    .filter(|d| !d.is_empty()),
            );
        }
    }
    // Packages: name, version, dependency names.
    let mut packages: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut in_list = false;
    for line in lock.lines() {
        let t = line.trim();
        if t == "[[package]]" {
            packages.push((String::new(), String::new(), Vec::new()));
            in_list = false;
        } else if let Some(p) = packages.last_mut() {
            if let Some(n) = t.strip_prefix("name = ") {
                p.0 = n.trim_matches('"').to_owned();
            } else if let Some(v) = t.strip_prefix("version = ") {
                p.1 = v.trim_matches('"').to_owned();
            } else if t.starts_with("dependencies = [") {
                in_list = !t.ends_with(']');
            } else if in_list && t == "]" {
                in_list = false;
            } else if in_list {
                // "name", "name version" or "name version (source)"
                let dep = t.trim_end_matches(',').trim_matches('"');
                let mut parts = dep.split(' ');
                let name = parts.next().unwrap_or_default().to_owned();
                let ver = parts.next().unwrap_or_default().to_owned();
                p.2.push(if ver.is_empty() {
                    name
                } else {
                    format!("{name} {ver}")
                });
            }
        }
    }
    let find = |dep: &str| -> Option<usize> {
        let (name, ver) = dep.split_once(' ').unwrap_or((dep, ""));
        packages
            .iter()
            .position(|p| p.0 == name && (ver.is_empty() || p.1 == ver))
    };
    let mut seen = vec![false; packages.len()];
    let mut stack: Vec<usize> = roots.iter().filter_map(|r| find(r)).collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(packages[i].2.iter().filter_map(|d| find(d)));
    }
    let mut out: Vec<String> = packages
        .iter()
        .zip(&seen)
        .filter(|(_, s)| **s)
        .map(|(p, _)| format!("{} {}", p.0, p.1))
        .collect();
    out.sort();
    out.join("\n")
}

/// The x86-64 Linux targets whose server a `FROM scratch` linux/amd64 image runs.
fn embeds_server(target: &str) -> bool {
    target.starts_with("x86_64-") && target.contains("-linux-")
}

/// Build `lathe-serve` (serve feature only, release profile, `crt-static`) in a
/// target folder of its own beside the outer build's — a second artefact built
/// from a build script, as wasm-builder does — and leave it gzipped in
/// `OUT_DIR/lathe-serve.gz` for `include_bytes!`. Only the full lathe (the
/// `core` feature) embeds it; the nested build is marked so that it does not
/// recurse. `LATHE_EMBED_SERVER=0` builds lathe without it (export then asks
/// for `--server-binary`). The release profile is fixed: a debug-profile
/// server is never embedded.
fn embed_server(out_dir: &Path) {
    println!("cargo::rustc-check-cfg=cfg(lathe_embedded_server)");
    println!("cargo:rerun-if-env-changed=LATHE_EMBED_SERVER");
    let target = std::env::var("TARGET").unwrap_or_default();
    // The nested build's own build script sees this and embeds nothing.
    const NESTED: &str = "LATHE_EMBEDDING_SERVER";
    if std::env::var_os(NESTED).is_some()
        || std::env::var_os("CARGO_FEATURE_CORE").is_none()
        || std::env::var("LATHE_EMBED_SERVER").is_ok_and(|v| v == "0")
        || !embeds_server(&target)
    {
        return;
    }
    // Every source file can change the server; the nested cargo decides what to rebuild.
    println!("cargo:rerun-if-changed=src");
    // OUT_DIR is <target-dir>[/<triple>]/<profile>/build/lathe-<hash>/out.
    let base = out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map_or_else(|| out_dir.to_path_buf(), Path::to_path_buf);
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    // One folder per checkout: two checkouts sharing a CARGO_TARGET_DIR would
    // otherwise overwrite each other's `release/lathe-serve` and embed the other's.
    let checkout = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        manifest_dir.hash(&mut h);
        format!("{:016x}", h.finish())
    };
    let target_dir = base.join("lathe-serve-embed").join(checkout);
    let manifest = PathBuf::from(&manifest_dir).join("Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--no-default-features",
        "--features",
        "serve",
    ])
    .args(["--bin", "lathe-serve", "--target", &target])
    .arg("--manifest-path")
    .arg(&manifest)
    .arg("--target-dir")
    .arg(&target_dir)
    .env("RUSTFLAGS", "-C target-feature=+crt-static")
    .env(NESTED, "1");
    // What the outer cargo (or clippy) set for its own build must not leak in:
    // its features (cargo sets CARGO_FEATURE_* but does not clear inherited ones),
    // flags, wrappers and target.
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CARGO_FEATURE_") {
            cmd.env_remove(var);
        }
    }
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    let built = cmd.status();
    if !built.as_ref().is_ok_and(|s| s.success()) {
        panic!(
            "building the embedded static lathe-serve failed (see above): {built:?}; \
             LATHE_EMBED_SERVER=0 builds lathe without it"
        );
    }
    let server = target_dir.join(&target).join("release/lathe-serve");
    let bytes =
        std::fs::read(&server).unwrap_or_else(|e| panic!("cannot read {}: {e}", server.display()));
    let gz = out_dir.join("lathe-serve.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut enc, &bytes).expect("gzip in memory");
    let packed = enc.finish().expect("gzip in memory");
    std::fs::write(&gz, packed).unwrap_or_else(|e| panic!("cannot write {}: {e}", gz.display()));
    println!("cargo:rustc-cfg=lathe_embedded_server");
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    embed_server(Path::new(&out_dir));
    let _ = std::fs::write(
        std::path::Path::new(&out_dir).join("serve_crates.txt"),
        serve_crates(),
    );
    println!("cargo:rerun-if-changed=Cargo.toml");
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
