//! The JSON documents of the image layout — the index, the image manifest, the image config
//! and the descriptors that point at blobs — with exactly the fields lathe writes.
//!
//! Kept rather than the `oci-spec` crate (0.10, `default-features = false, features =
//! ["image"]`): it would bring 15 crates lathe does not build today (derive_builder and
//! darling, strum and strum_macros, const_format and konst, getset, oci-spec itself), about
//! 52 s of compile units in a debug build on this 2-core machine (darling_core 13 s,
//! strum_macros 14 s, oci-spec 7 s), three more proc-macro stacks on the critical path, and
//! builders whose every `build()` returns a `Result`, for what is here a hundred lines of plain
//! serde structs whose field order fixes the image's bytes and digests. The media types and
//! field names follow the OCI image spec 1.1; podman and buildah load the result
//! (`tests/bundle.rs`, `tests/containers.rs`).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{BUNDLE_MOUNT, ImageSpec};
use crate::error::{Error, Result};

pub(super) fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("cannot write image JSON: {e}")))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Descriptor {
    pub(super) media_type: &'static str,
    pub(super) digest: String,
    pub(super) size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) platform: Option<Platform>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) annotations: BTreeMap<&'static str, String>,
}

impl Descriptor {
    pub(super) fn of(media_type: &'static str, data: &[u8]) -> Self {
        Self {
            media_type,
            digest: format!("sha256:{}", hex::encode(Sha256::digest(data))),
            size: data.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct Platform {
    pub(super) architecture: &'static str,
    pub(super) os: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Manifest<'a> {
    pub(super) schema_version: u32,
    pub(super) media_type: &'static str,
    pub(super) config: Descriptor,
    pub(super) layers: Vec<Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Index {
    pub(super) schema_version: u32,
    pub(super) media_type: &'static str,
    pub(super) manifests: Vec<Descriptor>,
}

#[derive(Serialize)]
pub(super) struct ImageConfig<'a> {
    created: &'a str,
    architecture: &'static str,
    os: &'static str,
    config: RunConfig<'a>,
    rootfs: RootFs,
    history: [History<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig<'a> {
    user: &'a str,
    exposed_ports: BTreeMap<String, Empty>,
    env: [&'static str; 1],
    entrypoint: &'a [String],
    working_dir: &'static str,
    labels: &'a BTreeMap<String, String>,
}

/// Serialises as `{}`.
#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: [String; 1],
}

#[derive(Serialize)]
struct History<'a> {
    created: &'a str,
    created_by: &'static str,
    comment: String,
}

pub(super) fn image_config<'a>(spec: &'a ImageSpec, diff_id: &str) -> ImageConfig<'a> {
    ImageConfig {
        created: spec.created,
        architecture: "amd64",
        os: "linux",
        config: RunConfig {
            user: spec.user,
            exposed_ports: BTreeMap::from([(format!("{}/tcp", spec.exposed_port), Empty {})]),
            env: ["PATH=/bundle/bin"],
            entrypoint: &spec.entrypoint,
            working_dir: BUNDLE_MOUNT,
            labels: &spec.labels,
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: [diff_id.to_owned()],
        },
        history: [History {
            created: spec.created,
            created_by: "lathe bundle export",
            comment: format!("lathe bundle '{}' {} at /bundle", spec.name, spec.version),
        }],
    }
}
