//! Projects: `lathe.toml` errors that name their line, refusing a state folder
//! from a newer lathe, and finding the project from a subfolder.

use lathe::error::ErrorKind;
use lathe::project::{PROJECT_FILE, Project, STATE_FORMAT_VERSION};
use predicates::prelude::*;

use crate::common::Sandbox;

const GOOD: &str =
    "format_version = 1\nname = \"demo\"\n\n[[sources]]\nname = \"a\"\npath = \"a.csv\"\n";

#[test]
fn an_unknown_key_in_lathe_toml_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{GOOD}descripton = \"typo\"\n");
    std::fs::write(dir.path().join(PROJECT_FILE), &text).unwrap();
    let e = Project::open(dir.path()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert_eq!(e.location.line, Some(7), "{e}");
    assert!(e.message.contains("descripton"), "{e}");
    assert!(e.to_string().contains("lathe.toml:7"), "{e}");
}

#[test]
fn the_cli_reports_a_broken_lathe_toml_with_its_line() {
    let sb = Sandbox::empty();
    std::fs::write(
        sb.file(PROJECT_FILE),
        "format_version = 1\nname = \"demo\"\ncolour = \"red\"\n",
    )
    .unwrap();
    sb.lathe()
        .arg("--project")
        .arg(sb.project())
        .args(["data", "head", "x.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lathe.toml:3").and(predicate::str::contains("colour")));
}

#[test]
fn a_wrong_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(PROJECT_FILE),
        GOOD.replace("format_version = 1", "format_version = 2"),
    )
    .unwrap();
    let e = Project::open(dir.path()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert_eq!(e.location.field.as_deref(), Some("format_version"), "{e}");
    assert!(e.message.contains('2'), "{e}");
}

#[test]
fn a_source_defined_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(PROJECT_FILE),
        format!("{GOOD}\n[[sources]]\nname = \"a\"\npath = \"b.csv\"\n"),
    )
    .unwrap();
    let e = Project::open(dir.path()).unwrap_err();
    assert!(
        e.message.contains("'a'") && e.message.contains("twice"),
        "{e}"
    );
}

#[test]
fn a_newer_state_folder_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    Project::init(dir.path(), Some("demo")).unwrap();
    let state = dir.path().join(".lathe/state.toml");
    let newer = format!("format_version = {}\n", STATE_FORMAT_VERSION + 1);
    std::fs::write(&state, &newer).unwrap();
    let e = Project::open(dir.path()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(e.message.contains("newer"), "{e}");
    assert_eq!(e.path.as_deref(), Some(state.as_path()));
    assert!(
        e.hint.as_deref().is_some_and(|h| h.contains("upgrade")),
        "{e}"
    );
    // Refusing must not rewrite (downgrade) the state.
    assert_eq!(std::fs::read_to_string(&state).unwrap(), newer);
}

#[test]
fn the_current_state_version_opens_and_a_missing_state_is_made() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(PROJECT_FILE), GOOD).unwrap();
    let p = Project::open(dir.path()).unwrap();
    assert_eq!(p.file.name, "demo");
    assert_eq!(p.file.sources.len(), 1);
    let state = std::fs::read_to_string(dir.path().join(".lathe/state.toml")).unwrap();
    assert_eq!(
        state.trim(),
        format!("format_version = {STATE_FORMAT_VERSION}")
    );
    // Opened again: the state is read, not rewritten.
    Project::open(dir.path()).unwrap();
}

#[test]
fn a_damaged_state_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    Project::init(dir.path(), Some("demo")).unwrap();
    let state = dir.path().join(".lathe/state.toml");
    std::fs::write(&state, "format_version = 1\nlabels = 3\n").unwrap();
    let e = Project::open(dir.path()).unwrap_err();
    assert_eq!(e.location.line, Some(2), "{e}");
    assert!(e.to_string().contains("state.toml:2"), "{e}");
}

#[test]
fn discover_finds_the_project_from_a_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    let deep = root.join("data/raw/2024");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(Project::discover(&deep), None, "no lathe.toml yet");
    Project::init(&root, Some("demo")).unwrap();
    assert_eq!(Project::discover(&deep), Some(root.clone()));
    assert_eq!(Project::discover(&root), Some(root.clone()));
    // A nested project wins over the outer one.
    let inner = root.join("data");
    Project::init(&inner, Some("inner")).unwrap();
    assert_eq!(Project::discover(&deep), Some(inner));
    assert_eq!(Project::discover(&root.join("elsewhere")), Some(root));
}

#[test]
fn the_cli_finds_the_project_from_a_subfolder() {
    let sb = Sandbox::sample();
    let sub = sb.project().join("notebooks/scratch");
    std::fs::create_dir_all(&sub).unwrap();
    // `reference` is a source name only the project knows.
    sb.lathe()
        .current_dir(&sub)
        .args(["data", "validate", "reference"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS  reading_id: unique"));
}
