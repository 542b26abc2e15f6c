//! A bundle's image, for real: built with buildah (or loaded with podman),
//! run detached under podman with the settings these machines need
//! (DESIGN.md §4), and always removed — container and image — when the test
//! ends, pass or fail.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common;

/// The containers.conf these machines need, once buildah, podman and runc are
/// there; `None` (after a skip note) or a failure under `LATHE_REQUIRE_EXTERNAL=1`.
pub fn container_tools() -> Option<PathBuf> {
    for tool in ["podman", "buildah", "runc"] {
        if common::which(tool).is_none() {
            common::skip_or_fail(&format!(
                "{tool} is not installed (apt-get install -y buildah podman runc)"
            ));
            return None;
        }
    }
    let dir = std::env::temp_dir().join(format!("lathe-containers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("containers.conf");
    std::fs::write(&conf, "[containers]\ndefault_ulimits = []\n").unwrap();
    Some(conf)
}

/// podman with the vfs storage driver and runc.
pub fn podman(conf: &Path) -> Command {
    let mut c = Command::new("podman");
    c.env("CONTAINERS_CONF", conf)
        .args(["--runtime", "runc", "--storage-driver", "vfs"]);
    c
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An image, removed when dropped.
pub struct Image<'a> {
    pub conf: &'a Path,
    pub name: String,
}

impl<'a> Image<'a> {
    /// `buildah bud` of the bundle folder's Containerfile.
    pub fn build(conf: &'a Path, bundle: &Path, name: &str) -> Self {
        let image = Image {
            conf,
            name: name.to_owned(),
        };
        let out = Command::new("buildah")
            .env("CONTAINERS_CONF", conf)
            .args(["--storage-driver", "vfs", "bud", "--isolation", "chroot"])
            .args(["-t", name])
            .arg(bundle)
            .output()
            .unwrap();
        assert!(out.status.success(), "buildah: {}", text(&out));
        image
    }

    /// The image's uncompressed size.
    pub fn bytes(&self) -> u64 {
        let size = podman(self.conf)
            .args(["image", "inspect", "--format", "{{.Size}}", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&size.stdout)
            .trim()
            .parse()
            .unwrap_or(u64::MAX)
    }
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        let _ = podman(self.conf).args(["rmi", "-f", &self.name]).output();
    }
}

/// A container serving on a loopback port, removed when dropped.
pub struct Container<'a> {
    conf: &'a Path,
    name: String,
    pub addr: SocketAddr,
}

impl<'a> Container<'a> {
    /// `podman run -d` of `image` with its port 8080 on a free loopback port; waits until
    /// the server is ready and checks that it runs as the image's non-root user.
    pub fn run(conf: &'a Path, image: &str, name: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Container {
            conf,
            name: name.to_owned(),
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
        };
        let out = podman(conf)
            .args(["run", "-d", "--name", name])
            .args(["-p", &format!("127.0.0.1:{port}:8080"), image])
            .output()
            .unwrap();
        assert!(out.status.success(), "podman run: {}", text(&out));
        let t = Instant::now();
        while !c.ready() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "the container never got ready: {}",
                text(&podman(conf).args(["logs", name]).output().unwrap())
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let user = podman(conf)
            .args(["inspect", "--format", "{{.Config.User}}", name])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&user.stdout).starts_with("65532"),
            "{}",
            text(&user)
        );
        c
    }

    fn ready(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = TcpStream::connect(self.addr) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let req = format!(
            "GET /v2/health/ready HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        let mut got = String::new();
        s.write_all(req.as_bytes()).is_ok()
            && s.read_to_string(&mut got).is_ok()
            && got.starts_with("HTTP/1.1 200")
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = podman(self.conf)
            .args(["rm", "-f", "-t", "0", &self.name])
            .output();
    }
}
