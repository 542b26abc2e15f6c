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

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Compression, GzBuilder};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bundle::elf::{Elf, elf_interpreter};
use crate::error::{Error, Result};

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

/// Write the OCI image-layout archive (a tar with `oci-layout`, `index.json`,
/// `blobs/sha256/…`) to `out`, atomically: a temporary file beside `out`, renamed over it
/// once complete. On error nothing is left behind and an existing `out` is untouched.
pub fn write_archive(spec: &ImageSpec, out: &Path) -> Result<OciSummary> {
    validate(spec)?;
    let root = fs::canonicalize(spec.bundle_dir).map_err(|e| Error::io(spec.bundle_dir, &e))?;
    if !root.is_dir() {
        return Err(Error::input("the bundle is not a folder").at(spec.bundle_dir));
    }
    let out_name = out
        .file_name()
        .ok_or_else(|| Error::input("the archive path has no file name").at(out))?
        .to_owned();
    if out.is_dir() {
        return Err(
            Error::input("is a folder; give the path of the archive file to write").at(out),
        );
    }
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let out_dir = fs::canonicalize(out_dir).map_err(|e| Error::io(out_dir, &e))?;

    // The walk happens before the temporary file exists; the archive itself and leftovers of
    // interrupted writes are skipped when `out` lies inside the bundle.
    let skip = Skip::new(spec, &root, &out_dir, &out_name)?;
    let mut entries = Vec::new();
    walk(&root, Path::new(""), &skip, &mut entries)?;
    let entry_rel = check_entrypoint(spec, &root, &entries)?;

    let temp = TempFile::create(&out_dir, &out_name)?;
    let file = temp.file.try_clone().map_err(|e| Error::io(out, &e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let wio = |e: io::Error| Error::io(out, &e);

    let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
    write_small(&mut w, "oci-layout", layout).map_err(wio)?;
    write_dir(&mut w, "blobs/").map_err(wio)?;
    write_dir(&mut w, "blobs/sha256/").map_err(wio)?;

    let layer = write_layer_blob(&mut w, &root, &entries, &entry_rel, out)?;
    let config = to_json(&image_config(spec, &layer.diff_id))?;
    let config_desc = Descriptor::of(MEDIA_TYPE_CONFIG, &config);
    write_small(&mut w, &blob_path(&config_desc.digest), &config).map_err(wio)?;

    let manifest = to_json(&Manifest {
        schema_version: 2,
        media_type: MEDIA_TYPE_MANIFEST,
        config: config_desc,
        layers: vec![Descriptor {
            media_type: MEDIA_TYPE_LAYER,
            digest: layer.digest.clone(),
            size: layer.size,
            platform: None,
            annotations: BTreeMap::new(),
        }],
        annotations: &spec.labels,
    })?;
    let reference = format!("localhost/{}:{}", spec.name, spec.version);
    let mut manifest_desc = Descriptor::of(MEDIA_TYPE_MANIFEST, &manifest);
    write_small(&mut w, &blob_path(&manifest_desc.digest), &manifest).map_err(wio)?;

    // podman names the loaded image after `io.containerd.image.name` when present, else
    // after `org.opencontainers.image.ref.name` (libimage `nameFromAnnotations`); skopeo's
    // `oci-archive:FILE:TAG` selects by the latter, which the image-spec defines as the tag.
    manifest_desc.platform = Some(Platform {
        architecture: "amd64",
        os: "linux",
    });
    manifest_desc.annotations = BTreeMap::from([
        ("io.containerd.image.name", reference.clone()),
        ("org.opencontainers.image.ref.name", spec.version.to_owned()),
    ]);
    let manifest_digest = manifest_desc.digest.clone();
    let index = to_json(&Index {
        schema_version: 2,
        media_type: MEDIA_TYPE_INDEX,
        manifests: vec![manifest_desc],
    })?;
    write_small(&mut w, "index.json", &index).map_err(wio)?;
    w.write_all(&[0; 1024]).map_err(wio)?; // end-of-archive marker

    let file = w.into_inner().map_err(|e| wio(e.into_error()))?;
    file.sync_all().map_err(wio)?;
    let archive_bytes = file.metadata().map_err(wio)?.len();
    drop(file);
    temp.persist(out)?;

    Ok(OciSummary {
        manifest_digest,
        layer_bytes: layer.size,
        layer_uncompressed_bytes: layer.uncompressed_size,
        archive_bytes,
        reference,
    })
}

/// What a build from the bundle folder should leave out: image archives written into it.
/// Write it as `.containerignore` (podman, buildah) and `.dockerignore` (docker, kaniko).
pub const CONTAINERIGNORE: &str = "\
# Not part of the image: archives of it and leftovers of interrupted writes.
*.oci.tar
.*.oci.tar.tmp-*
";

/// The Containerfile; `{{…}}` are filled by [`containerfile`].
pub const CONTAINERFILE_TEMPLATE: &str = r#"# Container image for the lathe model bundle '{{name}}', version {{version}}.
# Build it from the bundle folder, which is the build context:
#
#   podman build -t localhost/{{name}}:{{version}} .
#   buildah bud -t localhost/{{name}}:{{version}} .
#   docker build -t {{name}}:{{version}} .       # BuildKit (the default) for COPY --chmod
#
# The base is the empty image: bin/lathe-serve is a static Linux binary and needs nothing
# else, so the build pulls nothing. For a shell to debug with, CA certificates or a company
# base image: --build-arg BASE=registry.example.com/ubi9/ubi-micro:latest
#
# The image runs as uid 65532, group 0. Every file is readable and every folder traversable
# by group 0 (and by others), so OpenShift's arbitrary uids, which are always in group 0,
# can read the bundle; nothing in it is writable.
ARG BASE=scratch
FROM ${BASE}

{{labels}}
COPY --chown=65532:0 --chmod=0555 . /bundle

WORKDIR /bundle
ENV PATH=/bundle/bin:/usr/local/bin:/usr/bin:/bin
USER 65532:0
EXPOSE 8080
ENTRYPOINT ["/bundle/bin/lathe-serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"]
"#;

/// The bundle's Containerfile: `FROM ${BASE}` with `ARG BASE=scratch`, non-root
/// `USER 65532:0`, `EXPOSE 8080`, the labels, `COPY . /bundle` owned by 65532:0 and
/// readable by group 0, and the `lathe-serve` entrypoint. Values are quoted and escaped,
/// so a label cannot inject instructions.
pub fn containerfile(name: &str, version: &str, labels: &BTreeMap<String, String>) -> String {
    let mut label_lines = String::new();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{}={}", quote_dockerfile(k), quote_dockerfile(v)))
            .collect();
        label_lines = format!("LABEL {}\n\n", pairs.join(" \\\n      "));
    }
    // Name and version sit in comments; keep them on one line whatever they hold.
    let one_line = |s: &str| s.replace(|c: char| c.is_control(), " ");
    CONTAINERFILE_TEMPLATE
        .replace("{{labels}}\n", &label_lines)
        .replace("{{name}}", &one_line(name))
        .replace("{{version}}", &one_line(version))
}

/// A Dockerfile double-quoted word: `\`, `"` and `$` escaped, control characters (which
/// would end the instruction) turned into spaces.
fn quote_dockerfile(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '\\' | '"' | '$' => {
                q.push('\\');
                q.push(c);
            }
            c if c.is_control() => q.push(' '),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

// ---------------------------------------------------------------------------------------
// Checks

fn validate(spec: &ImageSpec) -> Result<()> {
    let name = spec.name;
    let dns = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !dns {
        return Err(
            Error::input(format!("the image name '{name}' is not DNS-safe")).hint(
                "use lowercase letters, digits and '-', starting and ending with a letter or \
             digit, at most 63 characters",
            ),
        );
    }
    let v = spec.version;
    let tag = !v.is_empty()
        && v.len() <= 128
        && !v.starts_with(['.', '-'])
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !tag {
        let hint = if v.contains('+') {
            "image tags cannot hold '+': drop the build metadata or write it with '-'"
        } else {
            "an image tag is letters, digits, '_', '.' and '-', at most 128 characters"
        };
        return Err(Error::input(format!("the version '{v}' cannot be an image tag")).hint(hint));
    }
    let Some(program) = spec.entrypoint.first() else {
        return Err(Error::internal("the image entrypoint is empty"));
    };
    if !program.starts_with("/bundle/") {
        return Err(Error::input(format!(
            "the entrypoint '{program}' is not a file of the bundle"
        ))
        .hint("the image holds only /bundle; point the entrypoint at /bundle/bin/lathe-serve"));
    }
    let user = spec.user.split(':').next().unwrap_or_default();
    if user.is_empty() || spec.user.chars().any(char::is_whitespace) {
        return Err(
            Error::input(format!("the image user '{}' is not valid", spec.user))
                .hint(format!("give uid:gid, e.g. '{DEFAULT_USER}'")),
        );
    }
    if user == "0" || user == "root" {
        return Err(Error::input(format!(
            "the image would run as root (user '{}')",
            spec.user
        ))
        .hint(format!("use a non-root uid, e.g. '{DEFAULT_USER}'")));
    }
    if spec.exposed_port == 0 {
        return Err(Error::input("the exposed port is 0").hint("use e.g. 8080"));
    }
    if !is_rfc3339(spec.created) {
        return Err(Error::input(format!(
            "the creation time '{}' is not an RFC 3339 time",
            spec.created
        ))
        .hint("write it like '2026-11-25T12:00:00Z'"));
    }
    if let Some(key) = spec
        .labels
        .keys()
        .find(|k| k.is_empty() || k.contains(char::is_whitespace))
    {
        return Err(Error::input(format!(
            "the label name '{key}' is empty or has spaces"
        )));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, as Go's `time.RFC3339Nano` parses it.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize, max: u32| -> bool {
        b.get(from..from + len).is_some_and(|d| {
            d.iter().all(u8::is_ascii_digit)
                && d.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')) <= max
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let date_time = num(0, 4, 9999)
        && at(4, b'-')
        && num(5, 2, 12)
        && at(7, b'-')
        && num(8, 2, 31)
        && at(10, b'T')
        && num(11, 2, 23)
        && at(13, b':')
        && num(14, 2, 59)
        && at(16, b':')
        && num(17, 2, 60);
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let digits = b
            .get(i..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            num(i + 1, 2, 23) && at(i + 3, b':') && num(i + 4, 2, 59) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// The entrypoint must be a static x86-64 Linux executable of the bundle: the image has no
/// loader, no libc and no shell. Returns its path relative to the bundle.
fn check_entrypoint(spec: &ImageSpec, root: &Path, entries: &[Entry]) -> Result<PathBuf> {
    let program = spec
        .entrypoint
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let inside = program.strip_prefix("/bundle/").unwrap_or(program);
    let rel = normalise(Path::new(inside))
        .ok_or_else(|| Error::input(format!("the entrypoint '{program}' is not a file path")))?;
    if !entries.iter().any(|e| e.rel == rel && e.size.is_some()) {
        return Err(
            Error::input(format!("the entrypoint '{program}' is not in the bundle"))
                .at(root)
                .hint(format!(
                    "the bundle should hold '{}'; export it again",
                    rel.display()
                )),
        );
    }
    let path = root.join(&rel);
    match elf_interpreter(&path)? {
        Elf::StaticX86_64 => Ok(rel),
        Elf::Foreign => Err(Error::input(format!(
            "the entrypoint '{program}' is not a Linux executable"
        ))
        .at(path)
        .hint(
            "the image runs linux/amd64: bundle the x86_64-unknown-linux-gnu build of lathe-serve",
        )),
        Elf::OtherMachine => Err(Error::input(format!(
            "the entrypoint '{program}' is not built for 64-bit x86 Linux"
        ))
        .at(path)
        .hint(
            "the image runs linux/amd64: bundle the x86_64-unknown-linux-gnu build of lathe-serve",
        )),
        Elf::Dynamic(interp) => Err(Error::input(format!(
            "the entrypoint '{program}' is dynamically linked (it needs '{interp}'), \
             but the image has no system libraries"
        ))
        .at(path)
        .hint("export the bundle again with lathe on x86-64 Linux (it carries a static server)")),
    }
}

// ---------------------------------------------------------------------------------------
// The bundle tree

/// A file or folder of the bundle, relative to it; `size` is `None` for a folder.
struct Entry {
    rel: PathBuf,
    size: Option<u64>,
    executable: bool,
}

/// What the walk leaves out.
struct Skip {
    exclude: Vec<PathBuf>,
    /// The archive, when it lies inside the bundle: (its folder relative to the bundle,
    /// its file name).
    archive: Option<(PathBuf, OsString)>,
}

impl Skip {
    fn new(spec: &ImageSpec, root: &Path, out_dir: &Path, out_name: &OsString) -> Result<Self> {
        let mut exclude = Vec::with_capacity(spec.exclude.len());
        for p in spec.exclude {
            let rel = if p.is_absolute() {
                match p
                    .strip_prefix(root)
                    .or_else(|_| p.strip_prefix(spec.bundle_dir))
                {
                    Ok(rel) => rel,
                    Err(_) => continue, // outside the bundle: nothing to leave out
                }
            } else {
                p.as_path()
            };
            let rel = normalise(rel).ok_or_else(|| {
                Error::internal(format!("excluded path '{}' leaves the bundle", p.display()))
            })?;
            exclude.push(rel);
        }
        let archive = out_dir
            .strip_prefix(root)
            .ok()
            .map(|dir| (dir.to_path_buf(), out_name.clone()));
        Ok(Self { exclude, archive })
    }

    fn skips(&self, rel: &Path) -> bool {
        if self.exclude.iter().any(|x| x == rel) {
            return true;
        }
        let Some((dir, name)) = &self.archive else {
            return false;
        };
        if rel.parent() != Some(dir.as_path()) {
            return false;
        }
        let Some(file) = rel.file_name() else {
            return false;
        };
        if file == name.as_os_str() {
            return true;
        }
        let mut temp_prefix = OsString::from(".");
        temp_prefix.push(name);
        temp_prefix.push(".tmp-");
        file.as_encoded_bytes()
            .starts_with(temp_prefix.as_encoded_bytes())
    }
}

/// `a/./b/` → `a/b`; `None` for an empty path or one with `..` or a root.
fn normalise(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Depth-first, each folder's entries sorted by name (bytes), so a folder comes before its
/// contents and the order does not depend on the file system.
fn walk(dir: &Path, rel: &Path, skip: &Skip, out: &mut Vec<Entry>) -> Result<()> {
    let mut names = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| Error::io(dir, &e))? {
        names.push(item.map_err(|e| Error::io(dir, &e))?.file_name());
    }
    names.sort_unstable_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    for name in names {
        let rel = rel.join(&name);
        if skip.skips(&rel) {
            continue;
        }
        let path = dir.join(&name);
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io(&path, &e))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(Error::input(format!(
                "'{}' is a symbolic link; a bundle holds only files and folders",
                rel.display()
            ))
            .at(&path)
            .hint("replace the link with a copy of what it points to, or leave it out"));
        }
        if kind.is_dir() {
            out.push(Entry {
                rel: rel.clone(),
                size: None,
                executable: true,
            });
            walk(&path, &rel, skip, out)?;
        } else if kind.is_file() {
            out.push(Entry {
                rel,
                size: Some(meta.len()),
                executable: is_executable(&meta),
            });
        } else {
            return Err(Error::input(format!(
                "'{}' is not a regular file or folder (a device, socket or pipe)",
                rel.display()
            ))
            .at(&path));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false // no x bit to keep; the entrypoint is made executable regardless
}

// ---------------------------------------------------------------------------------------
// The layer

struct LayerBlob {
    digest: String,
    size: u64,
    diff_id: String,
    uncompressed_size: u64,
}

/// Streams the layer (a gzipped tar of `bundle/…`) into the archive as
/// `blobs/sha256/<digest>`: a placeholder header first, the compressed bytes hashed on the
/// way through, then the real header written over the placeholder.
fn write_layer_blob<W: Write + Seek>(
    w: &mut W,
    root: &Path,
    entries: &[Entry],
    entrypoint: &Path,
    out: &Path,
) -> Result<LayerBlob> {
    let wio = |e: io::Error| Error::io(out, &e);
    let header_at = w.stream_position().map_err(wio)?;
    w.write_all(&[0; 512]).map_err(wio)?;

    let compressed = Hashing::new(&mut *w);
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(compressed, Compression::default());
    let mut tar = tar::Builder::new(Hashing::new(gz));

    let mut header = layer_header(tar::EntryType::Directory, 0, 0o755)?;
    tar.append_data(&mut header, "bundle/", io::empty())
        .map_err(wio)?;
    for entry in entries {
        let mut name = Path::new("bundle").join(&entry.rel).into_os_string();
        let Some(size) = entry.size else {
            name.push("/");
            let mut header = layer_header(tar::EntryType::Directory, 0, 0o755)?;
            tar.append_data(&mut header, &name, io::empty())
                .map_err(wio)?;
            continue;
        };
        let src = root.join(&entry.rel);
        let rio = |e: io::Error| Error::io(&src, &e);
        let file = File::open(&src).map_err(rio)?;
        let exec = entry.executable || entry.rel == entrypoint;
        let mut header = layer_header(
            tar::EntryType::Regular,
            size,
            if exec { 0o755 } else { 0o644 },
        )?;
        let mut reader = Source {
            inner: file.take(size),
            read: 0,
            failed: None,
        };
        if let Err(e) = tar.append_data(&mut header, &name, &mut reader) {
            return Err(match &reader.failed {
                Some(read_error) => Error::io(&src, read_error),
                None => wio(e),
            });
        }
        let now = reader.inner.into_inner().metadata().map_err(rio)?.len();
        if reader.read != size || now != size {
            return Err(Error::input(format!(
                "'{}' changed while it was being archived",
                entry.rel.display()
            ))
            .at(&src)
            .hint("export again once nothing writes into the bundle folder"));
        }
    }
    let uncompressed = tar.into_inner().map_err(wio)?;
    let (gz, diff_id, uncompressed_size) = uncompressed.finish();
    let compressed = gz.finish().map_err(wio)?;
    let (_, digest, size) = compressed.finish();

    pad_to_block(w, size).map_err(wio)?;
    let end = w.stream_position().map_err(wio)?;
    let header = blob_header(&blob_path(&digest), size, tar::EntryType::Regular)?;
    w.seek(SeekFrom::Start(header_at)).map_err(wio)?;
    w.write_all(header.as_bytes()).map_err(wio)?;
    w.seek(SeekFrom::Start(end)).map_err(wio)?;
    Ok(LayerBlob {
        digest,
        size,
        diff_id,
        uncompressed_size,
    })
}

/// A deterministic header for the layer: root-owned without names, mtime 0.
fn layer_header(kind: tar::EntryType, size: u64, mode: u32) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_device_major(0)
        .map_err(|e| Error::internal(format!("tar header: {e}")))?;
    h.set_device_minor(0)
        .map_err(|e| Error::internal(format!("tar header: {e}")))?;
    Ok(h)
}

/// The bundle file being archived; remembers whether a failure was a read (the bundle's
/// fault) rather than a write (the output's), and how much was read.
struct Source {
    inner: io::Take<File>,
    read: u64,
    failed: Option<io::Error>,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.failed = Some(io::Error::new(e.kind(), e.to_string()));
                Err(e)
            }
        }
    }
}

/// Hashes (sha256) and counts what is written through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, `sha256:<hex>` and the byte count.
    fn finish(self) -> (W, String, u64) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (self.inner, digest, self.bytes)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---------------------------------------------------------------------------------------
// The outer archive and its JSON documents

fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

fn blob_header(path: &str, size: u64, kind: tar::EntryType) -> Result<tar::Header> {
    let mode = if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    };
    let mut h = layer_header(kind, size, mode)?;
    h.set_path(path)
        .map_err(|e| Error::internal(format!("tar path '{path}': {e}")))?;
    h.set_cksum();
    Ok(h)
}

fn write_small(w: &mut impl Write, path: &str, data: &[u8]) -> io::Result<()> {
    let header = blob_header(path, data.len() as u64, tar::EntryType::Regular)
        .map_err(|e| io::Error::other(e.to_string()))?;
    w.write_all(header.as_bytes())?;
    w.write_all(data)?;
    pad_to_block(w, data.len() as u64)
}

fn write_dir(w: &mut impl Write, path: &str) -> io::Result<()> {
    let header = blob_header(path, 0, tar::EntryType::Directory)
        .map_err(|e| io::Error::other(e.to_string()))?;
    w.write_all(header.as_bytes())
}

fn pad_to_block(w: &mut impl Write, len: u64) -> io::Result<()> {
    let rest = (512 - len % 512) % 512;
    w.write_all(&[0; 512][..rest as usize])
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("cannot write image JSON: {e}")))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: &'static str,
    digest: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'static str, String>,
}

impl Descriptor {
    fn of(media_type: &'static str, data: &[u8]) -> Self {
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
struct Platform {
    architecture: &'static str,
    os: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    schema_version: u32,
    media_type: &'static str,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    media_type: &'static str,
    manifests: Vec<Descriptor>,
}

#[derive(Serialize)]
struct ImageConfig<'a> {
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

fn image_config<'a>(spec: &'a ImageSpec, diff_id: &str) -> ImageConfig<'a> {
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

// ---------------------------------------------------------------------------------------
// Atomic output

/// `.<name>.tmp-<pid>-<n>` beside the archive; removed on drop unless persisted.
struct TempFile {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl TempFile {
    fn create(dir: &Path, name: &OsString) -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let path = dir.join(temp_name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, &e))?;
        Ok(Self {
            path,
            file,
            keep: false,
        })
    }

    fn persist(mut self, to: &Path) -> Result<()> {
        fs::rename(&self.path, to).map_err(|e| Error::io(to, &e))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        for ok in [
            "2026-11-25T12:00:00Z",
            "2026-11-25T12:00:00.123Z",
            "2026-11-25T12:00:00+01:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25 12:00:00Z",
            "2026-13-25T12:00:00Z",
            "2026-11-25T12:00:00",
            "2026-11-25T12:00:00.Z",
            "2026-11-25T12:00:00+1:00",
            "2026-11-25T12:00:00Zx",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn normalise_paths() {
        assert_eq!(normalise(Path::new("./a/b/")), Some(PathBuf::from("a/b")));
        assert_eq!(normalise(Path::new("a/../b")), None);
        assert_eq!(normalise(Path::new(".")), None);
        assert_eq!(normalise(Path::new("/a")), None);
    }

    #[test]
    fn dockerfile_quoting() {
        assert_eq!(
            quote_dockerfile(r#"a "b" $HOME \ x"#),
            r#""a \"b\" \$HOME \\ x""#
        );
        assert_eq!(quote_dockerfile("two\nlines"), "\"two lines\"");
    }

    #[test]
    fn containerfile_has_the_essentials() {
        let labels = oci_labels("maint-logreg", "0.1.3", "2026-11-25T12:00:00Z");
        let text = containerfile("maint-logreg", "0.1.3", &labels);
        for needle in [
            "ARG BASE=scratch\nFROM ${BASE}\n",
            "USER 65532:0\n",
            "EXPOSE 8080\n",
            "COPY --chown=65532:0 --chmod=0555 . /bundle\n",
            "LABEL \"org.opencontainers.image.created\"=\"2026-11-25T12:00:00Z\" \\\n      ",
            r#"ENTRYPOINT ["/bundle/bin/lathe-serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"]"#,
            "podman build -t localhost/maint-logreg:0.1.3 .",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(!text.contains("{{"));
        let bare = containerfile("m", "1", &BTreeMap::new());
        assert!(!bare.contains("LABEL") && bare.contains("FROM ${BASE}\n\nCOPY"));
    }

    #[test]
    fn validation_messages() {
        let spec = |name: &'static str, version: &'static str, user: &'static str| ImageSpec {
            bundle_dir: Path::new("."),
            exclude: &[],
            name,
            version,
            entrypoint: default_entrypoint(8080),
            user,
            exposed_port: 8080,
            labels: BTreeMap::new(),
            created: "2026-11-25T12:00:00Z",
        };
        let message = |s: ImageSpec| {
            validate(&s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(message(spec("maint-logreg", "0.1.3", "65532:0")), "");
        assert!(message(spec("Maint_LogReg", "0.1.3", "65532:0")).contains("'Maint_LogReg'"));
        assert!(message(spec("m", "0.1.3+build.7", "65532:0")).contains("'+'"));
        assert!(message(spec("m", "0.1.3", "0:0")).contains("root"));
        assert!(message(spec("m", "0.1.3", "root")).contains("root"));
    }
}
