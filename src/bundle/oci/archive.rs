//! Writes `bundle.oci.tar`: the image layout's entries in order (`oci-layout`, the layer, the
//! config, the manifest, `index.json`) into a temporary file beside the archive, renamed over it
//! only once complete (atomic output).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::blobs::{blob_path, write_dir, write_small};
use super::documents::{Descriptor, Index, Manifest, Platform, image_config, to_json};
use super::layer::write_layer_blob;
use super::tree::{Skip, walk};
use super::validate::{check_entrypoint, validate};
use super::{
    ImageSpec, MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX, MEDIA_TYPE_LAYER, MEDIA_TYPE_MANIFEST,
    OciSummary,
};
use crate::error::{Error, Result};

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
