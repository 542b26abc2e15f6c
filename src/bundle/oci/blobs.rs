//! The outer archive's tar entries: deterministic headers (root-owned without names, mtime 0),
//! the `blobs/sha256/<hex>` paths, small files and folders, and the padding to 512-byte blocks.

use std::io::{self, Write};

use crate::error::{Error, Result};

/// A deterministic header for the layer: root-owned without names, mtime 0.
pub(super) fn layer_header(kind: tar::EntryType, size: u64, mode: u32) -> Result<tar::Header> {
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

pub(super) fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

pub(super) fn blob_header(path: &str, size: u64, kind: tar::EntryType) -> Result<tar::Header> {
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

pub(super) fn write_small(w: &mut impl Write, path: &str, data: &[u8]) -> io::Result<()> {
    let header = blob_header(path, data.len() as u64, tar::EntryType::Regular)
        .map_err(|e| io::Error::other(e.to_string()))?;
    w.write_all(header.as_bytes())?;
    w.write_all(data)?;
    pad_to_block(w, data.len() as u64)
}

pub(super) fn write_dir(w: &mut impl Write, path: &str) -> io::Result<()> {
    let header = blob_header(path, 0, tar::EntryType::Directory)
        .map_err(|e| io::Error::other(e.to_string()))?;
    w.write_all(header.as_bytes())
}

pub(super) fn pad_to_block(w: &mut impl Write, len: u64) -> io::Result<()> {
    let rest = (512 - len % 512) % 512;
    w.write_all(&[0; 512][..rest as usize])
}
