//! The bundle as a container image: an OCI image-layout archive written directly, and the
//! Containerfile for teams that build images themselves.
//!
//! [`write_archive`] turns a bundle folder into `bundle.oci.tar`, a tar holding an OCI image
//! layout (`oci-layout`, `index.json`, `blobs/sha256/…`) with one image whose single layer
//! is the bundle under `/bundle`. No container engine is involved, so an air-gapped platform
//! team can take the file as it is:
//!
//! ```text
//! podman load -i bundle.oci.tar                    # → localhost/<name>:<version>
//! skopeo copy oci-archive:bundle.oci.tar docker://registry.example/<name>:<version>
//! ```
//!
//! The archive is reproducible: the same bundle files and the same [`ImageSpec`] give the
//! same bytes (entries sorted, mtime 0, owner 0:0 without names, modes normalised to 0755 /
//! 0644, gzip without timestamp), so the manifest digest names the bundle's content. The
//! compressed bytes depend on the deflate implementation: a flate2 upgrade may change the
//! layer digest, never the layer's `diff_id` (the digest of the uncompressed tar).
//!
//! Memory stays flat whatever the bundle size: each file is streamed through
//! tar → sha256 (diff id) → gzip → sha256 (blob digest) into the output file, and the tar
//! header of the layer blob, whose name is that digest, is written once the digest is known.
//!
//! [`containerfile`] renders the equivalent Containerfile (`FROM scratch` by default) and
//! [`CONTAINERIGNORE`] what such a build should leave out.
//!
//! The parts, each in its file: `archive` writes the file from the `tree` walk, the `layer`
//! and the JSON `documents` (their tar entries in `blobs`) after `validate` has checked the
//! spec; `containerfile` is the build-it-yourself route.
//!
//! [`containerfile`]: fn@containerfile

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod archive;
mod blobs;
mod containerfile;
mod documents;
mod layer;
mod tree;
mod validate;

pub use archive::write_archive;
pub use containerfile::{CONTAINERFILE_TEMPLATE, CONTAINERIGNORE, containerfile};

pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MEDIA_TYPE_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// Where the bundle lives in the image.
pub const BUNDLE_MOUNT: &str = "/bundle";
/// The image's user: not root, group 0 so that OpenShift's arbitrary uids (always in
/// group 0) can read the bundle too.
pub const DEFAULT_USER: &str = "65532:0";
pub const DEFAULT_PORT: u16 = 8080;

/// What goes into the image.
#[derive(Debug, Clone)]
pub struct ImageSpec<'a> {
    /// The bundle folder; its whole tree becomes `/bundle` in the image (files sorted by path).
    pub bundle_dir: &'a Path,
    /// Files or folders of the bundle to leave out, relative to `bundle_dir`. The archive
    /// being written is left out by itself when it lies inside the bundle.
    pub exclude: &'a [PathBuf],
    /// DNS-safe model name, e.g. `maint-logreg`.
    pub name: &'a str,
    /// The image tag, e.g. `0.1.3` (semver without `+build` metadata, which tags forbid).
    pub version: &'a str,
    /// Program and arguments; the program must be a static x86-64 Linux executable of the
    /// bundle (`/bundle/…`), since the image holds nothing else. See [`default_entrypoint`].
    pub entrypoint: Vec<String>,
    /// `uid:gid` to run as, e.g. [`DEFAULT_USER`]; root is refused.
    pub user: &'a str,
    pub exposed_port: u16,
    /// Image labels, typically `org.opencontainers.image.*` (see [`oci_labels`]).
    pub labels: BTreeMap<String, String>,
    /// RFC 3339 time the image claims to be created at, e.g. `2026-11-25T12:00:00Z`.
    pub created: &'a str,
}

/// What [`write_archive`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OciSummary {
    /// `sha256:…` of the image manifest: the image's identity in a registry.
    pub manifest_digest: String,
    /// Size of the compressed layer blob.
    pub layer_bytes: u64,
    /// Size of the uncompressed layer tar (about the image's size once loaded).
    pub layer_uncompressed_bytes: u64,
    /// Size of the archive file.
    pub archive_bytes: u64,
    /// The name `podman load` gives the image: `localhost/<name>:<version>`.
    pub reference: String,
}

/// `["/bundle/bin/lathe-serve", "/bundle", "--host", "0.0.0.0", "--port", "<port>"]`.
pub fn default_entrypoint(port: u16) -> Vec<String> {
    [
        "/bundle/bin/lathe-serve",
        BUNDLE_MOUNT,
        "--host",
        "0.0.0.0",
        "--port",
        &port.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The standard labels: title, version and created.
pub fn oci_labels(name: &str, version: &str, created: &str) -> BTreeMap<String, String> {
    [
        ("org.opencontainers.image.title", name),
        ("org.opencontainers.image.version", version),
        ("org.opencontainers.image.created", created),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}
