//! Which `lathe-serve` goes into a bundle: the one given (`--server-binary`,
//! `$LATHE_SERVER_BINARY`), else the static server embedded in this `lathe`
//! at build time (build.rs). A host without one (another OS, or a lathe built
//! with `LATHE_EMBED_SERVER=0`) gets a bundle without the image parts and a
//! warning that says how to add them; never a half-written folder.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bundle::elf;
use crate::error::{Error, Result};

/// Environment variable naming the server binary (like `--server-binary`).
pub const SERVER_ENV: &str = "LATHE_SERVER_BINARY";

/// The static server embedded at build time, gzipped (x86-64 Linux builds).
#[cfg(lathe_embedded_server)]
pub const EMBEDDED: Option<&[u8]> =
    Some(include_bytes!(concat!(env!("OUT_DIR"), "/lathe-serve.gz")));
#[cfg(not(lathe_embedded_server))]
pub const EMBEDDED: Option<&[u8]> = None;

/// The host a bundle is exported on: its OS decides whether this lathe can
/// carry a Linux server. A parameter, so both branches are tested anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub os: &'static str,
    /// This build's embedded server, gzipped.
    pub embedded: Option<&'static [u8]>,
}

impl Default for Host {
    fn default() -> Self {
        Self {
            os: std::env::consts::OS,
            embedded: EMBEDDED,
        }
    }
}

/// Where the bundle's server comes from.
#[derive(Debug, Clone)]
pub enum Server {
    /// A static server file the user gave.
    File(PathBuf),
    /// The server embedded in this lathe (gzipped).
    Embedded(&'static [u8]),
    /// None here: the bundle is written without the image parts, for this reason.
    Absent(String),
}

impl Server {
    /// The server for a bundle: `given` (`--server-binary`), `$LATHE_SERVER_BINARY`,
    /// then the embedded one. A given file must be a static x86-64 Linux executable.
    pub fn resolve(given: Option<&Path>, host: Host) -> Result<Self> {
        let env = std::env::var_os(SERVER_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        if let Some(path) = given.map(Path::to_path_buf).or(env) {
            if !path.is_file() {
                let from = if given.is_some() {
                    "--server-binary"
                } else {
                    SERVER_ENV
                };
                return Err(Error::usage(format!(
                    "the server binary {} ({from}) does not exist",
                    path.display()
                ))
                .at(&path)
                .hint(if host.embedded.is_some() {
                    format!("leave out {from}: this lathe carries its own static server")
                } else {
                    format!("build one with: {}", elf::BUILD_SERVER)
                }));
            }
            elf::check_static(&path)?;
            return Ok(Self::File(path));
        }
        if let Some(gz) = host.embedded {
            return Ok(Self::Embedded(gz));
        }
        Ok(Self::Absent(if host.os == "linux" {
            "this lathe was built without its embedded server (LATHE_EMBED_SERVER=0)".to_owned()
        } else {
            format!(
                "a lathe built on {} carries no Linux server for the image",
                host.os
            )
        }))
    }

    /// Write the server to `dest`; a warning when a given file looks like a debug build.
    pub fn write_to(&self, dest: &Path) -> Result<Option<String>> {
        match self {
            Self::File(src) => {
                std::fs::copy(src, dest).map_err(|e| Error::io(src, &e))?;
                Ok(elf::has_debug_info(src)?.then(|| {
                    format!(
                        "the server binary {} carries debug information (a debug build?): \
                         the image is larger and slower than with a release build",
                        src.display()
                    )
                }))
            }
            Self::Embedded(gz) => {
                let mut bytes = Vec::new();
                flate2::read::GzDecoder::new(*gz)
                    .read_to_end(&mut bytes)
                    .map_err(|e| Error::internal(format!("the embedded server is damaged: {e}")))?;
                std::fs::write(dest, bytes).map_err(|e| Error::io(dest, &e))?;
                Ok(None)
            }
            Self::Absent(_) => Ok(None),
        }
    }

    /// The warning of a bundle written without the image parts.
    pub fn absent_warning(&self) -> Option<String> {
        match self {
            Self::Absent(why) => Some(format!(
                "{why}: the bundle has no bin/lathe-serve, Containerfile or image; it serves with \
                 `lathe serve` and predicts with `lathe predict`. For the image, export on x86-64 \
                 Linux, or give --server-binary a static lathe-serve built there ({})",
                elf::BUILD_SERVER
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linux_lathe_uses_its_embedded_server() {
        let host = Host {
            os: "linux",
            embedded: Some(b"gz"),
        };
        assert!(matches!(
            Server::resolve(None, host),
            Ok(Server::Embedded(b"gz"))
        ));
    }

    #[test]
    fn another_os_gets_no_image_parts_and_says_why() {
        let host = Host {
            os: "macos",
            embedded: None,
        };
        let s = Server::resolve(None, host).unwrap();
        let w = s.absent_warning().unwrap();
        assert!(w.starts_with("a lathe built on macos"), "{w}");
        assert!(w.contains("--server-binary"), "{w}");
    }

    #[test]
    fn a_missing_given_server_is_named() {
        let e =
            Server::resolve(Some(Path::new("/no/such/lathe-serve")), Host::default()).unwrap_err();
        assert!(e.message.contains("/no/such/lathe-serve"), "{}", e.message);
        assert!(e.message.contains("--server-binary"), "{}", e.message);
    }

    #[cfg(lathe_embedded_server)]
    #[test]
    fn the_embedded_server_is_a_static_linux_executable() {
        let dir = std::env::temp_dir().join(format!("lathe-embed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("lathe-serve");
        let w = Server::Embedded(EMBEDDED.unwrap()).write_to(&bin).unwrap();
        assert!(w.is_none());
        elf::check_static(&bin).unwrap();
        assert!(!elf::has_debug_info(&bin).unwrap(), "a release build");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
