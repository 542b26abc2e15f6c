//! The bundle tree as the layer holds it: a depth-first walk with each folder's entries sorted
//! by name, leaving out what the spec excludes and the archive being written; symbolic links
//! and special files are refused.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::ImageSpec;
use crate::error::{Error, Result};

/// A file or folder of the bundle, relative to it; `size` is `None` for a folder.
pub(super) struct Entry {
    pub(super) rel: PathBuf,
    pub(super) size: Option<u64>,
    pub(super) executable: bool,
}

/// What the walk leaves out.
pub(super) struct Skip {
    exclude: Vec<PathBuf>,
    /// The archive, when it lies inside the bundle: (its folder relative to the bundle,
    /// its file name).
    archive: Option<(PathBuf, OsString)>,
}

impl Skip {
    pub(super) fn new(
        spec: &ImageSpec,
        root: &Path,
        out_dir: &Path,
        out_name: &OsString,
    ) -> Result<Self> {
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
pub(super) fn normalise(p: &Path) -> Option<PathBuf> {
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
pub(super) fn walk(dir: &Path, rel: &Path, skip: &Skip, out: &mut Vec<Entry>) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_paths() {
        assert_eq!(normalise(Path::new("./a/b/")), Some(PathBuf::from("a/b")));
        assert_eq!(normalise(Path::new("a/../b")), None);
        assert_eq!(normalise(Path::new(".")), None);
        assert_eq!(normalise(Path::new("/a")), None);
    }
}
