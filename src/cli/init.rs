//! `lathe init [DIR]`: make a new project.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::project::Project;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to make the project in (created if missing; default: the current folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Project name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(args: &InitArgs) -> Result<i32> {
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io(&args.dir, &e))?;
    let project = Project::init(&args.dir, args.name.as_deref())?;
    super::output::emitln(&format!(
        "made project '{}' in {}\nadd data files as [[sources]] in lathe.toml, then run `lathe`",
        project.file.name,
        project.root.display()
    ))?;
    Ok(0)
}
