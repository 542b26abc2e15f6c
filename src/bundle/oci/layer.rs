//! The image's single layer: a gzipped tar of the bundle under `bundle/`, streamed file by file
//! through tar → sha256 (diff id) → gzip → sha256 (blob digest) into the archive, so memory
//! stays flat whatever the bundle size.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

use super::blobs::{blob_header, blob_path, layer_header, pad_to_block};
use super::tree::Entry;
use crate::error::{Error, Result};

pub(super) struct LayerBlob {
    pub(super) digest: String,
    pub(super) size: u64,
    pub(super) diff_id: String,
    pub(super) uncompressed_size: u64,
}

/// Streams the layer (a gzipped tar of `bundle/…`) into the archive as
/// `blobs/sha256/<digest>`: a placeholder header first, the compressed bytes hashed on the
/// way through, then the real header written over the placeholder.
pub(super) fn write_layer_blob<W: Write + Seek>(
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
