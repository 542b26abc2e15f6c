//! Helpers shared by the integration tests: fixture paths, a throw-away copy
//! of the sample project, and the `lathe` binary with its folders sandboxed.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The crate root (tests run with it as the working directory, but do not rely on that).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests").join("fixtures").join(rel)
}

/// The path of the `lathe` binary cargo built for these tests.
pub fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lathe"))
}

/// A temp folder holding a copy of `sample-data` (`*.csv`, `lathe.toml`,
/// `schemas/`) in `project/`, plus `config/` and `data/` for the user folders.
/// Nothing is ever written into the source tree.
pub struct Sandbox {
    pub tmp: TempDir,
}

impl Sandbox {
    /// An empty sandbox: user folders, no project.
    pub fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["config", "data", "project"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        Self { tmp }
    }

    /// A sandbox with a copy of the sample project in `project/`.
    pub fn sample() -> Self {
        let sb = Self::empty();
        let src = root().join("sample-data");
        let dst = sb.project();
        for entry in std::fs::read_dir(&src).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".csv") || name == "lathe.toml" || name == "drift.toml" {
                std::fs::copy(&p, dst.join(&name)).unwrap();
            }
        }
        std::fs::create_dir_all(dst.join("schemas")).unwrap();
        for entry in std::fs::read_dir(src.join("schemas")).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, dst.join("schemas").join(p.file_name().unwrap())).unwrap();
        }
        sb
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The project folder (the working directory of [`Sandbox::lathe`]).
    pub fn project(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    /// A file in the project folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.project().join(name)
    }

    /// `lathe` run in the project folder, with its user folders in the sandbox.
    pub fn lathe(&self) -> Command {
        let mut cmd = Command::new(bin_path());
        self.sandbox_env(&mut cmd);
        cmd.current_dir(self.project());
        cmd
    }

    /// Run lathe with `args` in the project folder and collect its output.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.lathe().args(args).output().unwrap()
    }

    /// Start lathe with `args` in the project folder without waiting; output piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        std::process::Command::new(bin_path())
            .env("LATHE_CONFIG_DIR", self.tmp.path().join("config"))
            .env("LATHE_DATA_DIR", self.tmp.path().join("data"))
            .env_remove("LATHE_LOG")
            .env_remove("LATHE_SERVER_BINARY")
            .env("NO_COLOR", "1")
            .current_dir(self.project())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Point lathe's user folders into the sandbox and drop variables that change its output
    /// (bundles carry the server embedded in lathe, not one from the environment).
    pub fn sandbox_env(&self, cmd: &mut Command) {
        cmd.env("LATHE_CONFIG_DIR", self.tmp.path().join("config"))
            .env("LATHE_DATA_DIR", self.tmp.path().join("data"))
            .env_remove("LATHE_LOG")
            .env_remove("LATHE_SERVER_BINARY")
            .env("NO_COLOR", "1");
    }
}

/// The header fields of a CSV file (simple CSV: no quoted commas in the header).
pub fn csv_header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap();
    first.split(',').map(str::to_owned).collect()
}

/// Data lines (excluding the header) of a CSV file without embedded newlines.
pub fn csv_data_lines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().skip(1).filter(|l| !l.is_empty()).count()
}

/// True when an external tool is required (CI sets `LATHE_REQUIRE_EXTERNAL=1`):
/// a test that cannot find it must then fail instead of skipping.
pub fn require_external() -> bool {
    std::env::var("LATHE_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1")
}

/// Skip (return true, after a message) or, when external tools are required, fail.
pub fn skip_or_fail(why: &str) -> bool {
    assert!(!require_external(), "LATHE_REQUIRE_EXTERNAL=1 but {why}");
    eprintln!("SKIPPED: {why} (set LATHE_REQUIRE_EXTERNAL=1 to make this a failure)");
    true
}

/// Find `tool` on PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}
