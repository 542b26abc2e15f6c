//! The bundled sample project, embedded in the binary so an installed lathe
//! does not depend on the source tree. `lathe` started outside any project
//! opens a copy of it in the user's data folder.

use std::path::{Path, PathBuf};

use crate::config::{Dirs, write_atomic};
use crate::error::Result;
use crate::project::PROJECT_FILE;

/// `(path inside the project, contents)` of every file of the sample project.
pub const FILES: [(&str, &[u8]); 9] = [
    (PROJECT_FILE, include_bytes!("../sample-data/lathe.toml")),
    ("README.md", include_bytes!("../sample-data/README.md")),
    ("drift.toml", include_bytes!("../sample-data/drift.toml")),
    (
        "schemas/maintenance.toml",
        include_bytes!("../sample-data/schemas/maintenance.toml"),
    ),
    (
        "maintenance_reference.csv",
        include_bytes!("../sample-data/maintenance_reference.csv"),
    ),
    (
        "maintenance_unlabelled.csv",
        include_bytes!("../sample-data/maintenance_unlabelled.csv"),
    ),
    (
        "maintenance_fresh_stable.csv",
        include_bytes!("../sample-data/maintenance_fresh_stable.csv"),
    ),
    (
        "maintenance_fresh_drift.csv",
        include_bytes!("../sample-data/maintenance_fresh_drift.csv"),
    ),
    (
        "breast_cancer.csv",
        include_bytes!("../sample-data/breast_cancer.csv"),
    ),
];

/// Where the sample project copy lives.
pub fn sample_dir(dirs: &Dirs) -> PathBuf {
    dirs.data.join("sample-project")
}

/// Write the sample project into `dir` unless it is already there; files
/// the user deleted are restored, files the user changed are left alone.
pub fn ensure_sample_project(dir: &Path) -> Result<PathBuf> {
    for (rel, bytes) in FILES {
        let path = dir.join(rel);
        if !path.exists() {
            write_atomic(&path, bytes)?;
        }
    }
    Ok(dir.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_project_opens() {
        let dir = tempfile::tempdir().unwrap();
        let root = ensure_sample_project(&dir.path().join("s")).unwrap();
        let p = crate::project::Project::open(&root).unwrap();
        assert!(p.file.sources.iter().all(|s| p.resolve(&s.path).is_file()));
        assert!(p.source("reference").is_some());
    }
}
