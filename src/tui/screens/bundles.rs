//! The Bundles screen: the project's bundles (`.lathe/bundles/<name>/<version>/`)
//! with their run, model, metrics and verification state, and export of a
//! run — the one selected on the Experiments screen, else `@champion` — in
//! the background, with the same core as `lathe bundle export`.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::bundle::export::{BUNDLES_DIR, ExportOptions, Exported, export};
use crate::bundle::manifest::{Manifest, read_manifest};
use crate::bundle::verify::verify;
use crate::data::display::truncate;
use crate::error::{Error, Result};
use crate::experiments::Store;
use crate::jobs::NoProgress;
use crate::project::Project;
use crate::tui::event::Event;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::theme::Theme;

/// One bundle folder as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub dir: PathBuf,
    pub manifest: Option<Manifest>,
    /// Problems `verify` found (empty: ok); or why the folder is not readable.
    pub problems: Vec<String>,
    /// Written with `--out` elsewhere: where it went.
    pub exported_to: Option<String>,
    /// Whether the checksums have been checked yet (that runs in the background).
    pub verified: bool,
}

pub struct BundlesScreen {
    /// Wakes the event loop when background work reports.
    wake: Sender<Event>,
    project: Option<Project>,
    pub bundles: Vec<Listed>,
    pub row: usize,
    pub status: String,
    job: Option<Receiver<Result<Exported>>>,
    /// Verification results as they come: (folder, problems).
    checks: Option<Receiver<(PathBuf, Vec<String>)>>,
}

impl BundlesScreen {
    pub fn new(wake: Sender<Event>) -> Self {
        Self {
            wake,
            project: None,
            bundles: Vec::new(),
            row: 0,
            status: String::new(),
            job: None,
            checks: None,
        }
    }

    pub fn set_project(&mut self, project: &Project) {
        self.project = Some(project.clone());
        self.job = None;
        self.row = 0;
        self.status.clear();
        self.reload();
    }

    pub fn busy(&self) -> bool {
        self.job.is_some() || self.checks.is_some()
    }

    /// List every bundle of the project (newest version first per name) from
    /// its manifest, and verify them in the background: hashing every file
    /// of many bundles must not hold up the keys.
    pub fn reload(&mut self) {
        let Some(p) = &self.project else { return };
        let root = p.state_dir().join(BUNDLES_DIR);
        let mut out = Vec::new();
        for name in sorted_dirs(&root) {
            let mut versions = sorted_dirs(&name);
            versions.reverse();
            for v in versions {
                out.push(listed(&v));
            }
        }
        let to_check: Vec<PathBuf> = out
            .iter()
            .filter(|b| !b.verified)
            .map(|b| b.dir.clone())
            .collect();
        self.bundles = out;
        self.row = self.row.min(self.bundles.len().saturating_sub(1));
        self.checks = None;
        if !to_check.is_empty() {
            let (tx, rx) = channel();
            let wake = self.wake.clone();
            std::thread::spawn(move || {
                for dir in to_check {
                    let problems = match verify(&dir, None) {
                        Ok(r) => r
                            .problems
                            .iter()
                            .map(|p| format!("{}: {}", p.what, p.why))
                            .collect(),
                        Err(e) => vec![e.message.clone()],
                    };
                    if tx.send((dir, problems)).is_err() {
                        break;
                    }
                    let _ = wake.send(Event::Tick);
                }
                drop(tx);
                let _ = wake.send(Event::Tick);
            });
            self.checks = Some(rx);
        }
    }

    /// Export `run` (a run name: id, prefix or @alias) in the background.
    pub fn start_export(&mut self, run: Option<String>) -> Result<()> {
        if self.job.is_some() {
            self.status = "an export is running".to_owned();
            return Ok(());
        }
        let Some(project) = self.project.clone() else {
            return Ok(());
        };
        let store = Store::open(&project);
        let run = match run {
            Some(r) => r,
            None => "@champion".to_owned(),
        };
        let run_id = store.resolve(&run).map_err(|e| {
            e.hint("select a run on the Experiments screen (4), or set an alias: lathe runs alias RUN champion")
        })?;
        // Check a given server binary ($LATHE_SERVER_BINARY) now, so the dialog comes at once.
        crate::bundle::server::Server::resolve(None, crate::bundle::server::Host::default())?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let r = export(
                &project,
                &store,
                &run_id,
                &ExportOptions::default(),
                &NoProgress,
            );
            let _ = tx.send(r);
        });
        self.job = Some(rx);
        self.status = format!("exporting run {}…", &run[..run.len().min(14)]);
        Ok(())
    }

    /// Collect verification results and a finished export; an error to show.
    pub fn poll(&mut self) -> Option<Error> {
        if let Some(rx) = &self.checks {
            loop {
                match rx.try_recv() {
                    Ok((dir, problems)) => {
                        if let Some(b) = self.bundles.iter_mut().find(|b| b.dir == dir) {
                            b.problems = problems;
                            b.verified = true;
                        }
                    }
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        self.checks = None;
                        break;
                    }
                }
            }
        }
        let r = self.job.as_ref()?.try_recv().ok()?;
        self.job = None;
        match r {
            Ok(done) => {
                self.status = format!(
                    "exported {} {} ({} files, {})",
                    done.name,
                    done.version,
                    done.files,
                    crate::util::human_bytes(done.bytes)
                );
                // Warnings (a bundle without the image parts, a server with debug
                // sections) are part of the result, not a log line.
                for w in &done.warnings {
                    self.status.push_str(" · warning: ");
                    self.status.push_str(w);
                }
                self.reload();
                if let Some(i) = self.bundles.iter().position(|b| b.dir == done.dir) {
                    self.row = i;
                }
                None
            }
            Err(e) => {
                self.status = "export failed".to_owned();
                Some(e)
            }
        }
    }

    pub fn action(&mut self, a: Action) {
        let n = self.bundles.len();
        match a {
            Action::Up => self.row = self.row.saturating_sub(1),
            Action::Down => self.row = (self.row + 1).min(n.saturating_sub(1)),
            Action::Top => self.row = 0,
            Action::Bottom => self.row = n.saturating_sub(1),
            Action::Start => {
                self.reload();
                self.status = format!("{n} bundle(s) read and verified");
            }
            _ => {}
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, keys: &Keymap) {
        let t = theme;
        let [list, detail, bottom] = Layout::vertical([
            Constraint::Percentage(40),
            Constraint::Min(6),
            Constraint::Length(1),
        ])
        .areas(area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border.focus"))
            .title(Span::styled(" Bundles ", t.style("title")));
        let inner = block.inner(list);
        f.render_widget(block, list);
        let key = |a: Action| keys.first(a).unwrap_or_else(|| "?".into());
        if self.bundles.is_empty() {
            f.render_widget(
                Paragraph::new(format!(
                    "No bundles yet. {} exports the run selected on the Experiments screen (or @champion); \
                     `lathe bundle export RUN` does the same.",
                    key(Action::Export)
                ))
                .style(t.style("dim"))
                .wrap(Wrap { trim: true }),
                inner,
            );
        } else {
            let header = Line::styled(
                format!(
                    " {:<28} {:<9} {:<13} {:<20} {:<10} {}",
                    "Name", "Version", "Run", "Algorithm", "Verified", "Created"
                ),
                t.style("header"),
            );
            let mut lines = vec![header];
            let visible = (inner.height as usize).saturating_sub(1);
            let offset = self.row.saturating_sub(visible.saturating_sub(1));
            for (i, b) in self.bundles.iter().enumerate().skip(offset).take(visible) {
                let style = if i == self.row {
                    t.style("selection")
                } else if b.problems.is_empty() {
                    t.style("text")
                } else {
                    t.style("status.error")
                };
                let (name, version, run, alg, created) = match &b.manifest {
                    Some(m) => (
                        m.name.clone(),
                        m.version.clone(),
                        m.run_id.chars().take(12).collect(),
                        m.algorithm.clone(),
                        m.created
                            .chars()
                            .take(16)
                            .collect::<String>()
                            .replace('T', " "),
                    ),
                    None => (
                        b.dir.display().to_string(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ),
                };
                let verified = if b.exported_to.is_some() {
                    "elsewhere"
                } else if !b.verified {
                    "checking…"
                } else if b.problems.is_empty() {
                    "ok"
                } else {
                    "PROBLEM"
                };
                lines.push(Line::styled(
                    format!(
                        " {:<28} {:<9} {:<13} {:<20} {:<10} {}",
                        truncate(&name, 28),
                        truncate(&version, 9),
                        run,
                        truncate(&alg, 20),
                        verified,
                        created
                    ),
                    style,
                ));
            }
            f.render_widget(Paragraph::new(lines), inner);
        }
        self.render_detail(f, detail, t);
        let text = if self.status.is_empty() {
            format!(
                " {} export the selected run (Experiments) or @champion · {} verify again · ↑↓ select",
                key(Action::Export),
                key(Action::Start)
            )
        } else {
            format!(" {}", self.status)
        };
        f.render_widget(Paragraph::new(Line::styled(text, t.style("dim"))), bottom);
    }

    fn render_detail(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style("border"))
            .title(Span::styled(" Bundle ", t.style("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(b) = self.bundles.get(self.row) else {
            return;
        };
        let label = |s: &str| Span::styled(format!("{s:<11}"), t.style("dim"));
        let mut lines = vec![Line::from(vec![
            label("folder"),
            Span::raw(b.dir.display().to_string()),
        ])];
        if let Some(to) = &b.exported_to {
            lines.push(Line::from(vec![label("written to"), Span::raw(to.clone())]));
        }
        if let Some(m) = &b.manifest {
            lines.push(Line::from(vec![
                label("model"),
                Span::raw(format!(
                    "{} predicting '{}' ({}), {} inputs, {} classes",
                    m.algorithm,
                    m.target,
                    m.task,
                    m.inputs.len(),
                    m.classes.len()
                )),
            ]));
            let metric = m
                .metrics
                .get("f1_macro")
                .map(|v| ("f1_macro", v))
                .or_else(|| m.metrics.get("r2").map(|v| ("r2", v)));
            if let Some((name, v)) = metric {
                lines.push(Line::from(vec![
                    label("metric"),
                    Span::raw(format!(
                        "{name} {:.4} ± {:.4} over the folds",
                        v.mean, v.std
                    )),
                ]));
            }
            lines.push(Line::from(vec![
                label("lineage"),
                Span::raw(format!(
                    "{} · {} · seed {}",
                    m.lineage.data,
                    truncate(&m.lineage.data_fingerprint, 22),
                    m.lineage.seed
                )),
            ]));
            lines.push(Line::from(vec![
                label("run it"),
                Span::styled(
                    format!(
                        "buildah bud -t localhost/{}:{} {}  ·  lathe serve {}",
                        m.name,
                        m.version,
                        b.dir.display(),
                        b.dir.display()
                    ),
                    t.style("header"),
                ),
            ]));
        }
        for p in b.problems.iter().take(4) {
            lines.push(Line::from(vec![
                label("problem"),
                Span::styled(p.clone(), t.style("status.error")),
            ]));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    }
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    // Versions sort numerically (0.1.10 after 0.1.9).
    v.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nums: Vec<u64> = name.split('.').filter_map(|x| x.parse().ok()).collect();
        (nums, name)
    });
    v
}

fn listed(dir: &Path) -> Listed {
    let exported_to = std::fs::read_to_string(dir.join("exported-to.txt"))
        .ok()
        .map(|s| s.trim().to_owned());
    match read_manifest(dir) {
        Ok((m, _)) => Listed {
            dir: dir.to_path_buf(),
            manifest: Some(m),
            problems: Vec::new(),
            // A record of a bundle written elsewhere has nothing here to check.
            verified: exported_to.is_some(),
            exported_to,
        },
        Err(e) => Listed {
            dir: dir.to_path_buf(),
            manifest: None,
            problems: vec![e.message.clone()],
            exported_to,
            verified: true,
        },
    }
}
