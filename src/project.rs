//! A lathe project: a folder with a `lathe.toml` and a `.lathe/` state folder.
//!
//! `lathe.toml` schema (format version 1). Later steps add their own
//! optional sections; unknown keys are rejected with their line named.
//!
//! ```toml
//! format_version = 1          # required: the version of this file's schema
//! name = "my-project"         # required
//! description = "…"           # optional
//!
//! [[sources]]                 # data files of the project, any number
//! name = "reference"          # required, unique
//! path = "data/train.csv"     # required, relative to the project folder
//! description = "…"           # optional
//! schema = "schemas/train.toml"   # optional: data tests (see data::schema)
//! [sources.checks]            # optional: data tests inline, same format
//! rows = { min = 100 }
//! columns = [{ name = "id", unique = true }]
//! types = { machine_type = "categorical" }   # optional type overrides
//! ```
//!
//! `.lathe/` holds `state.toml` with its own `format_version`, so a future
//! lathe can migrate the state (labels, runs and bundles come later).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::data::LogicalType;
use crate::data::schema::{Schema, SchemaSpec};
use crate::error::{Error, Result, toml_error};

/// The project file's name.
pub const PROJECT_FILE: &str = "lathe.toml";
/// The state folder's name.
pub const STATE_DIR: &str = ".lathe";
/// The `lathe.toml` schema version this lathe writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The `.lathe/` layout version this lathe writes and reads.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// The contents of `lathe.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// What the label step labels by default (`lathe label …`, the Label screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<LabelDefaults>,
    /// `[pipeline]`: kept as a table here; `pipeline::spec` reads and checks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<toml::Table>,
}

/// `[label]`: the dataset labelled by default and its starting settings.
/// The choices made later (on the Label screen or with `lathe label
/// --classes`) are kept in `.lathe/labels/<source>.toml`, not written back here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct LabelDefaults {
    /// The name of the source to label.
    pub source: String,
    /// The label column (it may not exist in the file yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A column whose values identify rows (else rows are keyed by their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The classes, in key order (1–9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// `classification` (default) or `regression` (labels typed as numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A data file of the project.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A schema file with data tests, relative to the project folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<PathBuf>,
    /// Data tests written inline, in the schema file's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Schema>,
    /// Column type overrides, e.g. integer codes read as categorical.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, LogicalType>,
}

/// `.lathe/state.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct State {
    format_version: u32,
}

/// An opened project.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub file: ProjectFile,
}

impl Project {
    /// Open the project whose `lathe.toml` is in `root`.
    pub fn open(root: &Path) -> Result<Self> {
        let path = root.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
        let file: ProjectFile = toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
        if file.format_version != FORMAT_VERSION {
            return Err(Error::config(format!(
                "format_version {} is not supported by this lathe (it reads version {FORMAT_VERSION})",
                file.format_version
            ))
            .at(&path)
            .field("format_version"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &file.sources {
            if !seen.insert(&s.name) {
                return Err(
                    Error::config(format!("source '{}' is defined twice", s.name))
                        .at(&path)
                        .field("sources.name"),
                );
            }
        }
        if let Some(l) = &file.label
            && !file.sources.iter().any(|s| s.name == l.source)
        {
            let names: Vec<&str> = file.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(Error::config(format!(
                "[label] names source '{}', which lathe.toml does not define",
                l.source
            ))
            .at(&path)
            .field("label.source")
            .hint(format!("use one of: {}", names.join(", "))));
        }
        let project = Self {
            root: root.to_owned(),
            file,
        };
        project.ensure_state()?;
        Ok(project)
    }

    /// Find the project that contains `start`: it or its nearest parent with a `lathe.toml`.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .find(|d| d.join(PROJECT_FILE).is_file())
            .map(Path::to_owned)
    }

    /// Make a new project in `root` (which may exist, but must not hold a project yet).
    pub fn init(root: &Path, name: Option<&str>) -> Result<Self> {
        let path = root.join(PROJECT_FILE);
        if path.exists() {
            return Err(Error::usage("a lathe project already exists here")
                .at(&path)
                .hint("open it with 'lathe' or edit lathe.toml"));
        }
        let name = name.map(str::to_owned).unwrap_or_else(|| {
            root.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "project".to_owned())
        });
        let file = ProjectFile {
            format_version: FORMAT_VERSION,
            name,
            description: None,
            sources: Vec::new(),
            label: None,
            pipeline: None,
        };
        let body = toml::to_string(&file).map_err(|e| Error::internal(e.to_string()))?;
        let text = format!(
            "# lathe project file. Schema: format_version, name, description, [[sources]]\n\
             # (name, path, description, schema, types). See the README.\n{body}"
        );
        write_atomic(&path, text.as_bytes())?;
        Self::open(root)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Resolve a path written in `lathe.toml` against the project folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.root.join(path)
        }
    }

    /// The data tests of a source: its schema file and its inline checks.
    pub fn schema_spec(&self, source: &Source) -> SchemaSpec {
        SchemaSpec {
            file: source.schema.as_ref().map(|f| self.resolve(f)),
            inline: source.checks.clone(),
        }
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.file.sources.iter().find(|s| s.name == name)
    }

    /// The source whose path is `path`, if the project lists it.
    pub fn source_for_path(&self, path: &Path) -> Option<&Source> {
        let want = path.canonicalize().ok()?;
        self.file
            .sources
            .iter()
            .find(|s| self.resolve(&s.path).canonicalize().ok().as_ref() == Some(&want))
    }

    /// Create `.lathe/` if missing, and refuse a state folder from a newer lathe.
    fn ensure_state(&self) -> Result<()> {
        let dir = self.state_dir();
        let path = dir.join("state.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let state: State =
                    toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
                if state.format_version > STATE_FORMAT_VERSION {
                    return Err(Error::config(format!(
                        "the state folder has format version {}, newer than this lathe's {STATE_FORMAT_VERSION}",
                        state.format_version
                    ))
                    .at(&path)
                    .hint("upgrade lathe to open this project"));
                }
                // Older versions would be migrated here; version 1 is the first.
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                for sub in ["labels", "runs", "bundles"] {
                    let d = dir.join(sub);
                    std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, &e))?;
                }
                let text = format!("format_version = {STATE_FORMAT_VERSION}\n");
                write_atomic(&path, text.as_bytes())
            }
            Err(e) => Err(Error::io(&path, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_then_open_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = Project::init(dir.path(), Some("demo")).unwrap();
        assert_eq!(p.file.name, "demo");
        assert!(dir.path().join(".lathe/state.toml").is_file());
        assert!(dir.path().join(".lathe/runs").is_dir());
        let again = Project::init(dir.path(), None).unwrap_err();
        assert!(again.message.contains("already exists"));
        assert_eq!(
            Project::discover(&dir.path().join("a/b")),
            Some(dir.path().to_owned())
        );
    }

    #[test]
    fn unknown_key_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(PROJECT_FILE),
            "format_version = 1\nname = \"x\"\n\n[[sources]]\nname = \"a\"\npath = \"a.csv\"\nschemaa = \"s.toml\"\n",
        )
        .unwrap();
        let e = Project::open(dir.path()).unwrap_err();
        assert_eq!(e.location.line, Some(7), "{e}");
        assert!(e.message.contains("schemaa"), "{e}");
    }

    #[test]
    fn inline_checks_add_to_the_schema_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.toml"),
            "format_version = 1\n[[columns]]\nname = \"a\"\nnot_null = true\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(PROJECT_FILE),
            "format_version = 1\nname = \"x\"\n[[sources]]\nname = \"d\"\npath = \"d.csv\"\nschema = \"s.toml\"\n\
             [sources.checks]\nrows = { min = 5 }\ncolumns = [{ name = \"b\", unique = true }]\n",
        )
        .unwrap();
        let p = Project::open(dir.path()).unwrap();
        let schema = p
            .schema_spec(p.source("d").unwrap())
            .load()
            .unwrap()
            .unwrap();
        let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(schema.rows.and_then(|r| r.min), Some(5));
    }

    #[test]
    fn newer_state_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Project::init(dir.path(), Some("x")).unwrap();
        std::fs::write(
            dir.path().join(".lathe/state.toml"),
            "format_version = 99\n",
        )
        .unwrap();
        let e = Project::open(dir.path()).unwrap_err();
        assert!(e.message.contains("newer"), "{e}");
    }
}
