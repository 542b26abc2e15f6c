//! The real binary in a pseudo-terminal: keys in, screen text out, and the
//! terminal given back (alternate screen left, mouse off, cursor shown) on
//! quit and on SIGTERM; lathe started bare outside any project; the keys
//! that switch screens as a real terminal sends them.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Session {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    /// The reader saw the end of the output (lathe and its terminal are gone).
    closed: Arc<AtomicBool>,
    /// The screen so far, fed only the bytes it has not seen (a long session
    /// redraws a lot: parsing everything at each look would be quadratic).
    parsed: Mutex<(vt100::Parser, usize)>,
    size: (u16, u16),
    _dir: tempfile::TempDir,
}

impl Session {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = lathe::sample::ensure_sample_project(&dir.path().join("sample")).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lathe"));
        cmd.arg("--project");
        cmd.arg(&root);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LATHE_CONFIG_DIR", dir.path().join("config"));
        cmd.env("LATHE_DATA_DIR", dir.path().join("data"));
        cmd.cwd(dir.path());
        Self::spawn(cmd, dir, (30, 100))
    }

    /// Run `cmd` in a pseudo-terminal of `(rows, cols)`; `dir` lives as long as the session.
    pub fn spawn(cmd: CommandBuilder, dir: tempfile::TempDir, size: (u16, u16)) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: size.0,
                cols: size.1,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        let closed = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&closed);
        std::thread::spawn(move || {
            let _keep_master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            done.store(true, Ordering::Release);
        });
        Self {
            child,
            writer,
            output,
            closed,
            parsed: Mutex::new((vt100::Parser::new(size.0, size.1, 0), 0)),
            size,
            _dir: dir,
        }
    }

    pub fn screen(&self) -> vt100::Parser {
        let mut p = vt100::Parser::new(self.size.0, self.size.1, 0);
        p.process(&self.output.lock().unwrap());
        p
    }

    /// The text on screen now.
    pub fn text(&self) -> String {
        let mut parsed = self.parsed.lock().unwrap();
        let (parser, seen) = &mut *parsed;
        let out = self.output.lock().unwrap();
        parser.process(&out[*seen..]);
        *seen = out.len();
        parser.screen().contents()
    }

    /// Wait until `text` is on screen; panic with the screen after `secs`.
    pub fn wait_long(&self, text: &str, secs: u64) {
        self.wait_until(&format!("'{text}' never appeared"), secs, |s| {
            s.contains(text)
        });
    }

    /// Wait until the screen passes `check`; panic with `what` and the screen after `secs`.
    pub fn wait_until(&self, what: &str, secs: u64, check: impl Fn(&str) -> bool) {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if check(&self.text()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{what}; screen:\n{}", self.text());
    }

    pub fn wait_for(&self, text: &str) {
        self.wait_long(text, 60);
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
                // Let the reader drain the last bytes: it stops at the end of
                // the output (on Linux, once no process holds the terminal).
                let drained = Instant::now() + Duration::from_secs(5);
                while !self.closed.load(Ordering::Acquire) && Instant::now() < drained {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return status;
            }
            assert!(Instant::now() < end, "lathe did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn assert_restored(&self) {
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

/// `lathe` with no arguments in `cwd`, with an environment of its own: a
/// TERM, and HOME and the XDG folders under `home`. Nothing of this
/// machine's user (config, keymap, recent files, `LATHE_*` variables,
/// `LATHE_SERVER_BINARY`) reaches it.
pub fn bare_lathe(cwd: &Path, home: &Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lathe"));
    cmd.env_clear();
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    for (var, sub) in [
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ] {
        cmd.env(var, home.join(sub));
    }
    cmd.cwd(cwd);
    cmd
}

/// What xterm (TERM=xterm-256color) sends for F1–F6.
pub fn f_key(n: u8) -> &'static [u8] {
    match n {
        1 => b"\x1bOP",
        2 => b"\x1bOQ",
        3 => b"\x1bOR",
        4 => b"\x1bOS",
        5 => b"\x1b[15~",
        6 => b"\x1b[17~",
        _ => panic!("F{n} is no screen key"),
    }
}

#[test]
fn no_arguments_outside_a_project_opens_a_copy_of_the_sample_and_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, home) = (dir.path().join("empty"), dir.path().join("home"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let mut s = Session::spawn(bare_lathe(&cwd, &home), dir, (40, 160));
    s.wait_for("maintenance_reference.csv  csv · 10000 rows × 15 columns");
    s.wait_for("Checks · 70 passed, 0 failed");
    s.wait_for("reading_id int (i64)");
    let screen = s.text();
    let tabs = screen.lines().next().unwrap();
    assert!(tabs.contains("1:Data"), "{screen}");
    assert!(
        tabs.contains(
            "project: predictive-maintenance (sample copy; I: new project in this folder)"
        ),
        "{screen}"
    );
    // The copy is in the user's data folder (XDG_DATA_HOME/lathe), not in
    // the folder lathe was started in, which stays empty.
    let copy = home.join(".local/share/lathe/sample-project");
    for f in ["lathe.toml", "maintenance_reference.csv", "drift.toml"] {
        assert!(copy.join(f).is_file(), "{f} not in {}", copy.display());
    }
    let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
    assert!(
        left.is_empty(),
        "lathe wrote into its start folder: {left:?}"
    );
    s.send(b"q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.assert_restored();
}

/// The keys as a real terminal sends them reach lathe through crossterm:
/// on the Label screen a digit is a class key, and F3 (`ESC O R`), Alt-3
/// (`ESC 3`) and `'` then `3` (two plain characters, here in two reads)
/// open the Train screen.
#[test]
fn f3_alt3_and_quote_then_3_switch_from_the_label_screen() {
    let mut s = Session::start();
    s.wait_for("Checks · 70 passed");
    s.send(b"2");
    s.wait_for("Row 1 of 2000");
    s.wait_for("F3:Train");
    // A digit is a class key here: 3 is none of the sample's two classes.
    s.send(b"3");
    s.wait_for("key 3 has no class");
    s.send(b"\r");
    s.wait_until("the dialog stayed", 60, |t| {
        !t.contains("key 3 has no class")
    });
    for (keys, what) in [
        (f_key(3), "F3"),
        (b"\x1b3".as_slice(), "Alt-3"),
        (b"'".as_slice(), "'"),
    ] {
        s.send(keys);
        if what == "'" {
            s.wait_for("3  Train");
            assert!(s.text().contains("Row 1 of 2000"), "{what} alone stays");
            s.send(b"3");
        }
        s.wait_for("Algorithms ·");
        // From the Train screen a digit switches.
        s.send(b"2");
        s.wait_for("Row 1 of 2000");
    }
    s.send(f_key(1));
    s.wait_for("Checks · 70 passed");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.assert_restored();
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
