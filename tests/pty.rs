//! The real binary in a pseudo-terminal: keys in, screen text out, and the
//! terminal given back (alternate screen left, mouse off, cursor shown) on
//! quit and on SIGTERM.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Session {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    _dir: tempfile::TempDir,
}

impl Session {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = lathe::sample::ensure_sample_project(&dir.path().join("sample")).unwrap();
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lathe"));
        cmd.arg("--project");
        cmd.arg(&root);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LATHE_CONFIG_DIR", dir.path().join("config"));
        cmd.env("LATHE_DATA_DIR", dir.path().join("data"));
        cmd.cwd(dir.path());
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let _keep_master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            writer,
            output,
            _dir: dir,
        }
    }

    pub fn screen(&self) -> vt100::Parser {
        let mut p = vt100::Parser::new(30, 100, 0);
        p.process(&self.output.lock().unwrap());
        p
    }

    pub fn wait_for(&self, text: &str) {
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            if self.screen().screen().contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "'{text}' never appeared; screen:\n{}",
            self.screen().screen().contents()
        );
    }

    /// Send keys without waiting (a burst).
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// The sample project's folder the session runs on.
    pub fn root(&self) -> std::path::PathBuf {
        self._dir.path().join("sample")
    }

    pub fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain the last bytes.
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            assert!(Instant::now() < end, "lathe did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn assert_restored(&self) {
        let tail = {
            let out = self.output.lock().unwrap();
            String::from_utf8_lossy(&out[out.len().saturating_sub(400)..]).into_owned()
        };
        let after_last_draw = tail.rsplit("\x1b[?1049h").next().unwrap_or(&tail);
        assert!(
            after_last_draw.contains("\x1b[?1049l"),
            "alternate screen not left: {tail:?}"
        );
        assert!(
            after_last_draw.contains("\x1b[?1000l"),
            "mouse capture not disabled: {tail:?}"
        );
        assert!(
            after_last_draw.contains("\x1b[?25h"),
            "cursor not shown: {tail:?}"
        );
        assert!(
            !self.screen().screen().alternate_screen(),
            "still on the alternate screen"
        );
    }
}

#[test]
fn loads_moves_around_quits_and_restores_the_terminal() {
    let mut s = Session::start();
    s.wait_for("Checks · 70 passed");
    s.keys(b"lllll");
    s.wait_for("air_temp_k float");
    s.keys(b"G");
    s.wait_for("10000 ");
    s.keys(b"q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Session::start();
    s.wait_for("Checks · 70 passed");
    let pid = s.child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    s.wait_exit();
    s.assert_restored();
}
