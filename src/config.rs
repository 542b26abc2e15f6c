//! User-level configuration: where lathe keeps its files, and the user's
//! preferences (theme, keymap overrides, recent files and projects).
//!
//! Locations come from `directories::ProjectDirs` and can be overridden
//! with `LATHE_CONFIG_DIR` and `LATHE_DATA_DIR` (tests and shared machines
//! use these). Writes are atomic: a temp file in the same folder, then a rename.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, toml_error};

/// The folders lathe uses for this user.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// `config.toml`, user themes (`themes/NAME.toml`) and `keymap.toml`.
    pub config: PathBuf,
    /// The sample project copy and `recent.toml`.
    pub data: PathBuf,
}

impl Dirs {
    /// Resolve from the environment, then from the platform's conventions.
    pub fn from_env() -> Result<Self> {
        let project = directories::ProjectDirs::from("dev", "lathe", "lathe");
        let pick = |var: &str, default: Option<PathBuf>| -> Result<PathBuf> {
            match std::env::var_os(var) {
                Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
                _ => default
                    .ok_or_else(|| Error::config(format!("cannot find a home folder; set {var}"))),
            }
        };
        Ok(Self {
            config: pick(
                "LATHE_CONFIG_DIR",
                project.as_ref().map(|p| p.config_dir().to_owned()),
            )?,
            data: pick(
                "LATHE_DATA_DIR",
                project.as_ref().map(|p| p.data_dir().to_owned()),
            )?,
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    pub fn keymap_file(&self) -> PathBuf {
        self.config.join("keymap.toml")
    }

    pub fn theme_file(&self, name: &str) -> PathBuf {
        self.config.join("themes").join(format!("{name}.toml"))
    }

    pub fn recent_file(&self) -> PathBuf {
        self.data.join("recent.toml")
    }
}

/// `config.toml`: the user's preferences.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UserConfig {
    /// Theme name: `dark` (default), `light`, `high-contrast`, or a user theme file's name.
    pub theme: Option<String>,
}

impl UserConfig {
    /// Read `config.toml`; a missing file is the default config.
    pub fn load(dirs: &Dirs) -> Result<Self> {
        read_toml_or_default(&dirs.config_file())
    }
}

/// Recently opened files and projects, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Recent {
    pub files: Vec<PathBuf>,
    pub projects: Vec<PathBuf>,
}

impl Recent {
    const KEEP: usize = 20;

    pub fn load(dirs: &Dirs) -> Self {
        // A damaged recent list is not worth stopping for: start a new one.
        read_toml_or_default(&dirs.recent_file()).unwrap_or_default()
    }

    pub fn push_file(&mut self, path: &Path) {
        push_front(&mut self.files, path);
    }

    pub fn push_project(&mut self, path: &Path) {
        push_front(&mut self.projects, path);
    }

    pub fn save(&self, dirs: &Dirs) -> Result<()> {
        let text = toml::to_string(self).map_err(|e| Error::internal(e.to_string()))?;
        write_atomic(&dirs.recent_file(), text.as_bytes())
    }
}

fn push_front(list: &mut Vec<PathBuf>, path: &Path) {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    list.retain(|p| p != &path);
    list.insert(0, path);
    list.truncate(Recent::KEEP);
}

/// Parse a TOML file into `T`, or `T::default()` when the file does not exist.
pub fn read_toml_or_default<T: Default + serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| toml_error(path, &text, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(Error::io(path, &e)),
    }
}

/// Write `bytes` to `path` atomically: temp file beside it, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let file_name = path
        .file_name()
        .map_or_else(|| "lathe".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, &e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keeps_newest_first_without_repeats() {
        let mut r = Recent::default();
        r.push_file(Path::new("/nonexistent/a.csv"));
        r.push_file(Path::new("/nonexistent/b.csv"));
        r.push_file(Path::new("/nonexistent/a.csv"));
        assert_eq!(
            r.files,
            vec![
                PathBuf::from("/nonexistent/a.csv"),
                PathBuf::from("/nonexistent/b.csv")
            ]
        );
    }

    #[test]
    fn unknown_config_key_is_rejected_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "theme = \"dark\"\ncolour = \"red\"\n").unwrap();
        let e = read_toml_or_default::<UserConfig>(&path).unwrap_err();
        assert_eq!(e.location.line, Some(2), "{e}");
        assert!(e.message.contains("colour"), "{e}");
    }
}
