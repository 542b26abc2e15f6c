//! `sbom.cdx.json`: a CycloneDX 1.5 bill of materials of the crates compiled
//! into `bin/lathe-serve`. The list is computed at build time from
//! Cargo.lock for the serve-only feature set (see `build.rs`); it may name a
//! few crates more than the linker kept, never fewer.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `name version` per line.
const SERVE_CRATES: &str = include_str!(concat!(env!("OUT_DIR"), "/serve_crates.txt"));

/// The crates of the serve-only build: (name, version).
pub fn serve_crates() -> Vec<(&'static str, &'static str)> {
    SERVE_CRATES
        .lines()
        .filter_map(|l| l.split_once(' '))
        .collect()
}

/// The SBOM document; deterministic for the same crates and time.
pub fn cyclonedx(created: &str) -> Value {
    let crates = serve_crates();
    let components: Vec<Value> = crates
        .iter()
        .map(|(name, version)| {
            let purl = format!("pkg:cargo/{name}@{version}");
            json!({
                "type": "library",
                "bom-ref": purl,
                "name": name,
                "version": version,
                "purl": purl,
            })
        })
        .collect();
    // A UUID (version 5 layout) from the content, so equal inputs give equal files.
    let mut h = Sha256::new();
    h.update(SERVE_CRATES.as_bytes());
    h.update(crate::VERSION.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hx = hex::encode(b);
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hx[..8],
        &hx[8..12],
        &hx[12..16],
        &hx[16..20],
        &hx[20..]
    );
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{uuid}"),
        "version": 1,
        "metadata": {
            "timestamp": created,
            "tools": {"components": [{"type": "application", "name": "lathe", "version": crate::VERSION}]},
            "component": {
                "type": "application",
                "bom-ref": "lathe-serve",
                "name": "lathe-serve",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "components": components,
        "dependencies": [{
            "ref": "lathe-serve",
            "dependsOn": crates.iter().map(|(n, v)| format!("pkg:cargo/{n}@{v}")).collect::<Vec<_>>(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serve_build_has_its_server_and_learners_but_not_polars_or_the_tui() {
        let names: Vec<&str> = serve_crates().iter().map(|(n, _)| *n).collect();
        for want in ["axum", "tokio", "hyper", "linfa", "rayon", "serde_json"] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for not in ["polars", "ratatui", "crossterm", "plotters"] {
            assert!(!names.contains(&not), "{not} is not in lathe-serve");
        }
    }
}
