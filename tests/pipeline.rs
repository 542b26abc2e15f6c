//! The retraining pipeline (`lathe pipeline …`) end to end on the sample
//! project: bad `[pipeline]` sections refused by line and key before any
//! work; the first run trains, bundles and promotes; the same inputs do
//! nothing; a stable batch with `--when-drift` does nothing and the drifted
//! one retrains; shuffled labels fail the gate (exit 1, champion unchanged);
//! a second pipeline refuses while one holds the lock; a run killed during a
//! step leaves a consistent store; the generated Kubernetes, Tekton and
//! kustomize files parse back into their types.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::Sandbox;

/// The sample project with a faster train spec (3 folds) for the tests.
fn sample() -> Sandbox {
    let sb = Sandbox::sample();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    assert!(toml.contains("folds = 5"), "the sample pipeline changed");
    std::fs::write(
        sb.file("lathe.toml"),
        toml.replace("folds = 5", "folds = 3"),
    )
    .unwrap();
    sb
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `lathe pipeline run --json ARGS`: exit code and the run record.
fn run(sb: &Sandbox, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["pipeline", "run", "--json"];
    args.extend_from_slice(extra);
    let out = sb.run(&args);
    let code = out.status.code().unwrap_or(-1);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON (exit {code}): {}", text(&out)));
    assert_eq!(doc["exit_code"], code, "{doc:#}");
    (code, doc["pipeline"].clone())
}

fn champion(sb: &Sandbox) -> Option<String> {
    let cur: Value =
        serde_json::from_slice(&std::fs::read(sb.file(".lathe/experiments.json")).ok()?).ok()?;
    cur["aliases"]["champion"].as_str().map(str::to_owned)
}

fn alias(sb: &Sandbox, name: &str) -> Option<String> {
    let cur: Value =
        serde_json::from_slice(&std::fs::read(sb.file(".lathe/experiments.json")).ok()?).ok()?;
    cur["aliases"][name].as_str().map(str::to_owned)
}

fn run_count(sb: &Sandbox) -> usize {
    std::fs::read_dir(sb.file(".lathe/runs"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// Bundle folders (complete or not) under `.lathe/bundles/`.
fn bundle_dirs(sb: &Sandbox) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in std::fs::read_dir(sb.file(".lathe/bundles"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for v in std::fs::read_dir(name.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            out.push(v.path());
        }
    }
    out.sort();
    out
}

fn steps(rec: &Value) -> Vec<(String, String)> {
    rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn add_batch(sb: &Sandbox, src: &str, name: &str) {
    std::fs::create_dir_all(sb.file("incoming")).unwrap();
    std::fs::copy(sb.file(src), sb.file("incoming").join(name)).unwrap();
}

#[test]
fn the_sample_pipeline_trains_promotes_is_idempotent_retrains_on_drift_and_gates_bad_labels() {
    let sb = sample();

    // 1. First run: every step passes, a bundle is made, the candidate becomes champion.
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0, "{rec:#}");
    assert_eq!(rec["outcome"], "done");
    let names: Vec<String> = steps(&rec).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        names,
        [
            "data", "validate", "labels", "train", "gate", "bundle", "promote"
        ]
    );
    assert!(steps(&rec).iter().all(|(_, v)| v == "pass"), "{rec:#}");
    let first = rec["candidate"].as_str().unwrap().to_owned();
    assert_eq!(champion(&sb).as_deref(), Some(first.as_str()));
    assert_eq!(alias(&sb, "previous"), None);
    let bundles = bundle_dirs(&sb);
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    assert!(bundles[0].ends_with("predictive-maintenance/0.1.0"));
    let verify = sb.run(&["bundle", "verify", bundles[0].to_str().unwrap()]);
    assert!(verify.status.success(), "{}", text(&verify));
    let runs_after_first = run_count(&sb);

    // The generated deployment files parse back into their types.
    generated_files_parse_back(&sb);

    // 2. Same data, labels and spec: nothing to do, no new run, no new bundle.
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0, "{rec:#}");
    assert_eq!(rec["outcome"], "nothing_to_do");
    assert!(rec["summary"].as_str().unwrap().contains("nothing to do"));
    assert_eq!(run_count(&sb), runs_after_first);
    assert_eq!(bundle_dirs(&sb).len(), 1);

    // 3. A stable batch and --when-drift: no drift, nothing to do.
    add_batch(&sb, "maintenance_fresh_stable.csv", "01-stable.csv");
    let (code, rec) = run(&sb, &["--when-drift"]);
    assert_eq!(code, 0, "{rec:#}");
    assert_eq!(rec["outcome"], "nothing_to_do", "{rec:#}");
    assert_eq!(steps(&rec), [("drift".to_owned(), "pass".to_owned())]);
    assert_eq!(run_count(&sb), runs_after_first);

    // 4. The drifted batch: dataset drift, retrain on every batch, new champion.
    add_batch(&sb, "maintenance_fresh_drift.csv", "02-drift.csv");
    let (code, rec) = run(&sb, &["--when-drift"]);
    assert_eq!(code, 0, "{rec:#}");
    assert_eq!(rec["outcome"], "done", "{rec:#}");
    assert_eq!(steps(&rec)[0], ("drift".to_owned(), "drift".to_owned()));
    let data = &rec["steps"][1]["detail"];
    assert!(data.as_str().unwrap().contains("16000 rows"), "{data}");
    let second = rec["candidate"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(champion(&sb).as_deref(), Some(second.as_str()));
    assert_eq!(alias(&sb, "previous").as_deref(), Some(first.as_str()));
    let bundles = bundle_dirs(&sb);
    assert!(
        bundles
            .iter()
            .any(|b| b.ends_with("predictive-maintenance/0.1.1")),
        "{bundles:?}"
    );

    // 5. Shuffled labels from a label file: the candidate fails the gate,
    //    exit 1, nothing bundled, the champion unchanged.
    let data = std::fs::read_to_string(sb.file("maintenance_reference.csv")).unwrap();
    let mut rows: Vec<(String, String)> = data
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[f.len() - 1].to_owned())
        })
        .collect();
    // A fixed derangement of the labels (rotate by a third), for reproducibility.
    let labels: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let n = labels.len();
    for (i, r) in rows.iter_mut().enumerate() {
        r.1 = labels[(i * 7919 + n / 3) % n].clone();
    }
    let mut csv = String::from("reading_id,failure\n");
    for (k, v) in &rows {
        csv.push_str(&format!("{k},{v}\n"));
    }
    std::fs::write(sb.file("labels.csv"), csv).unwrap();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    std::fs::write(sb.file("lathe.toml"), with_label_file(&toml)).unwrap();
    let before = bundle_dirs(&sb);
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 1, "{rec:#}");
    assert_eq!(rec["outcome"], "failed");
    assert!(
        steps(&rec).contains(&("gate".to_owned(), "fail".to_owned())),
        "{rec:#}"
    );
    assert!(
        !steps(&rec)
            .iter()
            .any(|(s, _)| s == "bundle" || s == "promote")
    );
    assert_eq!(champion(&sb).as_deref(), Some(second.as_str()));
    assert_eq!(bundle_dirs(&sb), before);

    // The history lists every run, newest first.
    let out = sb.run(&["pipeline", "history", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let h: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<&str> = h["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["failed", "done", "nothing_to_do", "nothing_to_do", "done"]
    );
}

/// `lathe pipeline generate`: the CronJob parses back into k8s-openapi's
/// type, the Tekton files have what Tekton requires, the overlay is kustomize's.
fn generated_files_parse_back(sb: &Sandbox) {
    use k8s_openapi::api::batch::v1::CronJob;
    use lathe::pipeline::deploy::tekton::{Pipeline, Task, param_refs};

    let out = sb.run(&[
        "pipeline",
        "generate",
        "--out",
        "deploy",
        "--schedule",
        "15 2 * * 1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let read = |rel: &str| std::fs::read_to_string(sb.file("deploy").join(rel)).unwrap();

    let cron: CronJob = yaml_serde::from_str(&read("cronjob.yaml")).unwrap();
    let spec = cron.spec.unwrap();
    assert_eq!(spec.schedule, "15 2 * * 1");
    assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
    let pod = spec.job_template.spec.unwrap().template.spec.unwrap();
    let args = pod.containers[0].args.clone().unwrap();
    assert_eq!(&args[..3], ["pipeline", "run", "/project/lathe.toml"]);
    assert!(pod.volumes.unwrap()[0].persistent_volume_claim.is_some());
    assert_eq!(
        cron.metadata.name.as_deref(),
        Some("predictive-maintenance-retrain")
    );

    let task_text = read("tekton/task.yaml");
    let task: Task = yaml_serde::from_str(&task_text).unwrap();
    assert_eq!(task.api_version, "tekton.dev/v1");
    assert_eq!(task.kind, "Task");
    assert!(!task.metadata.name.is_empty());
    assert!(!task.spec.steps.is_empty());
    let declared: Vec<&str> = task.spec.params.iter().map(|p| p.name.as_str()).collect();
    for r in param_refs(&task_text) {
        assert!(
            declared.contains(&r.as_str()),
            "task uses undeclared param {r}"
        );
    }
    for s in &task.spec.steps {
        assert!(!s.name.is_empty() && !s.image.is_empty());
    }
    let pipe_text = read("tekton/pipeline.yaml");
    let pipe: Pipeline = yaml_serde::from_str(&pipe_text).unwrap();
    assert_eq!(
        (pipe.api_version.as_str(), pipe.kind.as_str()),
        ("tekton.dev/v1", "Pipeline")
    );
    assert!(!pipe.spec.tasks.is_empty());
    let pipe_params: Vec<&str> = pipe.spec.params.iter().map(|p| p.name.as_str()).collect();
    for r in param_refs(&pipe_text) {
        assert!(
            pipe_params.contains(&r.as_str()),
            "pipeline uses undeclared param {r}"
        );
    }
    for t in &pipe.spec.tasks {
        assert_eq!(t.task_ref.name, task.metadata.name);
        for p in &t.params {
            assert!(
                declared.contains(&p.name.as_str()),
                "task has no param {}",
                p.name
            );
        }
    }

    let overlay: lathe::bundle::k8s::Kustomization =
        yaml_serde::from_str(&read("gitops/overlays/production/kustomization.yaml")).unwrap();
    assert_eq!(overlay.resources, ["../../base"]);
    assert_eq!(
        overlay.images[0].new_name.as_deref(),
        Some("registry.example.com/ml/model")
    );
    let base: lathe::bundle::k8s::Kustomization =
        yaml_serde::from_str(&read("gitops/base/kustomization.yaml")).unwrap();
    for r in &base.resources {
        assert!(
            sb.file("deploy/gitops/base").join(r).is_file(),
            "base lacks {r}"
        );
    }
}

/// Write `lathe.toml` with `pipeline` as its [pipeline] section; run; the error.
fn refused(pipeline: &str) -> (i32, String) {
    let sb = Sandbox::sample();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    let head = toml.split("\n[pipeline]").next().unwrap();
    std::fs::write(sb.file("lathe.toml"), format!("{head}\n{pipeline}")).unwrap();
    let out = sb.run(&["pipeline", "run"]);
    assert!(!sb.file(".lathe/pipeline/runs").exists(), "work started");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line of `needle` in the section as written after the project's head.
fn line_of(pipeline: &str, needle: &str) -> usize {
    let sb = Sandbox::sample();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    let head = toml.split("\n[pipeline]").next().unwrap();
    let full = format!("{head}\n{pipeline}");
    full.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn bad_pipeline_sections_are_refused_before_any_work_naming_line_and_key() {
    let base = "[pipeline]\nsteps = [\"data\", \"train\", \"gate\"]\n[pipeline.data]\nsources = [\"reference\"]\n\
                [pipeline.train]\ntarget = \"failure\"\ntask = \"classification\"\n";
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            base.replace("\"gate\"]", "\"gate\", \"deploy\"]"),
            "\"deploy\"",
            "pipeline.steps",
            "unknown step 'deploy'",
        ),
        (
            base.replace("[\"reference\"]", "[\"reference\", \"nope\"]"),
            "\"nope\"",
            "pipeline.data.sources",
            "no source 'nope'",
        ),
        (
            format!("{base}[pipeline.gate]\nmin = {{ r2 = 0.5 }}\n"),
            "r2 = 0.5",
            "pipeline.gate.min.r2",
            "'r2' is not a metric of classification",
        ),
        (
            format!("{base}[pipeline.gate]\nmin = {{ accuracy = 1.5 }}\n"),
            "accuracy = 1.5",
            "pipeline.gate.min.accuracy",
            "out of range",
        ),
        (
            format!("{base}[pipeline.gate]\nalpha = 2.0\n"),
            "alpha = 2.0",
            "pipeline.gate.alpha",
            "alpha must be between 0 and 1",
        ),
        (
            format!("{base}[pipeline.gate]\nthreshold = 0.8\n"),
            "threshold = 0.8",
            "",
            "unknown field `threshold`",
        ),
        (
            base.replace(
                "\"data\", \"train\", \"gate\"",
                "\"data\", \"train\", \"promote\"",
            ),
            "steps =",
            "pipeline.steps",
            "step 'promote' needs step 'gate'",
        ),
    ];
    for (section, needle, key, message) in cases {
        let (code, err) = refused(&section);
        assert_eq!(code, 2, "{section}\n{err}");
        let line = line_of(&section, needle);
        assert!(
            err.contains(&format!("lathe.toml:{line}:")),
            "want line {line}:\n{err}"
        );
        assert!(err.contains(message), "want '{message}':\n{err}");
        if !key.is_empty() {
            assert!(
                err.contains(&format!("field '{key}'")),
                "want key {key}:\n{err}"
            );
        }
    }
    // --when-drift needs a batch folder: refused before any work too.
    let sb = Sandbox::sample();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    std::fs::write(
        sb.file("lathe.toml"),
        toml.replace("batches = \"incoming\"\n", ""),
    )
    .unwrap();
    let out = sb.run(&["pipeline", "run", "--when-drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("field 'pipeline.data.batches'"),
        "{}",
        text(&out)
    );
    assert!(!sb.file(".lathe/pipeline/runs").exists(), "work started");

    // A server binary given for the bundle step that is not there: refused before training.
    let sb = Sandbox::sample();
    let out = sb.run(&["pipeline", "run", "--server-binary", "no/such/lathe-serve"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no/such/lathe-serve (--server-binary) does not exist"),
        "{}",
        text(&out)
    );
    assert!(!sb.file(".lathe/pipeline/runs").exists(), "work started");

    // A project file without the section says how to write one.
    let (code, err) = refused("");
    assert_eq!(code, 2);
    assert!(err.contains("no [pipeline] section"), "{err}");
}

#[test]
fn a_second_pipeline_refuses_while_one_holds_the_lock() {
    let sb = Sandbox::sample();
    let project = lathe::project::Project::open(&sb.project()).unwrap();
    let held = lathe::pipeline::state::lock(&project, false).unwrap();
    let out = sb.run(&["pipeline", "run"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another pipeline is running on this project"),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains("--wait"), "{err}");
    drop(held);
}

/// Start a pipeline, SIGKILL it once its record shows `after` finished (the
/// next step is under way), and return the record as the kill left it (or
/// as the run left it, when it ended before the kill could land).
fn kill_after(sb: &Sandbox, after: &str) -> Value {
    let before: Vec<String> = hist(sb)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let mut child = sb.spawn(&["pipeline", "run"]);
    let dir = sb.file(".lathe/pipeline/runs");
    let newest = || -> Option<Value> {
        let mut recs: Vec<Value> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| serde_json::from_slice::<Value>(&std::fs::read(e.path()).ok()?).ok())
            .filter(|r| !before.iter().any(|b| r["id"] == b.as_str()))
            .collect();
        recs.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_owned());
        recs.pop()
    };
    let start = Instant::now();
    loop {
        if let Some(rec) = newest()
            && steps(&rec).iter().any(|(s, _)| s == after)
        {
            child.kill().unwrap();
            child.wait().unwrap();
            return newest().unwrap_or(rec);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let rec = newest().expect("a pipeline record");
            assert!(status.success(), "the pipeline failed: {rec:#}");
            return rec;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "no step '{after}'"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After a kill: the store reads, no half-written bundle, and the champion
/// is the one before or the killed run's candidate once its gate passed.
fn consistent_after_kill(sb: &Sandbox, champion_before: Option<&str>, killed: &Value) {
    let out = sb.run(&["runs", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    for b in bundle_dirs(sb) {
        let name = b.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary folder, never read as a bundle
        }
        let v = sb.run(&["bundle", "verify", b.to_str().unwrap()]);
        assert!(
            v.status.success(),
            "half-written bundle {}: {}",
            b.display(),
            text(&v)
        );
    }
    let gate_passed = steps(killed).contains(&("gate".to_owned(), "pass".to_owned()));
    let now = champion(sb);
    assert!(
        now.as_deref() == champion_before
            || gate_passed && now.as_deref() == killed["candidate"].as_str(),
        "champion {now:?} after the kill of {killed:#}"
    );
}

fn hist(sb: &Sandbox) -> Vec<Value> {
    let out = sb.run(&["pipeline", "history", "--json"]);
    let h: Value = serde_json::from_slice(&out.stdout).unwrap();
    h["runs"].as_array().unwrap().clone()
}

#[test]
fn a_pipeline_killed_during_train_bundle_or_promote_leaves_a_consistent_store() {
    let sb = sample();
    // Killed during train: no champion, no bundle.
    let killed = kill_after(&sb, "labels");
    consistent_after_kill(&sb, None, &killed);
    assert!(
        bundle_dirs(&sb)
            .iter()
            .all(|b| !b.join("bundle.json").is_file())
    );
    // Killed during the bundle: the gate passed, but nothing was promoted.
    let killed = kill_after(&sb, "gate");
    consistent_after_kill(&sb, None, &killed);
    // Killed during promote: the champion is none or the candidate that passed.
    let killed = kill_after(&sb, "bundle");
    consistent_after_kill(&sb, None, &killed);
    let before = champion(&sb);
    // The next run marks all three interrupted, then does the work (or
    // finds it done, when the promote had completed).
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0, "{rec:#}");
    let h = hist(&sb);
    assert_eq!(h.len(), 4);
    let interrupted = |r: &Value| {
        r["outcome"] == "error" && r["summary"].as_str().unwrap().starts_with("interrupted")
    };
    assert!(h[2..].iter().all(interrupted), "{h:#?}");
    assert!(interrupted(&h[1]) || h[1]["outcome"] == "done", "{h:#?}");
    let now = champion(&sb);
    assert!(now.is_some());
    assert!(
        now == before || now.as_deref() == rec["candidate"].as_str(),
        "{rec:#}"
    );
}

/// The Experiments screen's pipeline history (P): the runs, newest first,
/// and the selected run's steps; Esc goes back to the leaderboard.
#[cfg(feature = "tui")]
#[test]
fn the_experiments_screen_shows_the_pipeline_history() {
    use crossterm::event::{KeyCode, KeyModifiers};
    use lathe::pipeline::state::{Outcome, PipelineRecord, StepRecord, write_record};

    let dir = tempfile::tempdir().unwrap();
    let root = lathe::sample::ensure_sample_project(&dir.path().join("sample")).unwrap();
    let project = lathe::project::Project::open(&root).unwrap();
    let step = |name: &str, verdict: &str, detail: &str| StepRecord {
        step: name.into(),
        verdict: verdict.into(),
        seconds: 1.5,
        detail: detail.into(),
    };
    let rec = |id: &str, outcome, summary: &str, steps| PipelineRecord {
        format_version: 1,
        id: id.into(),
        started: "2026-01-02T03:04:05.000Z".into(),
        finished: None,
        outcome,
        summary: summary.into(),
        key: None,
        steps,
        candidate: None,
        champion_before: None,
        champion_after: None,
        bundle: None,
        gate: None,
        lathe_version: "test".into(),
    };
    write_record(
        &project,
        &rec(
            "01KAAAAAA1AAAAAAAAAAAAAAAA",
            Outcome::Done,
            "new champion RUN1",
            vec![
                step("data", "pass", "1 inputs, 10000 rows"),
                step("promote", "pass", "champion → RUN1"),
            ],
        ),
    )
    .unwrap();
    write_record(
        &project,
        &rec(
            "01KAAAAAA2AAAAAAAAAAAAAAAA",
            Outcome::Failed,
            "the gate failed; nothing promoted",
            vec![step("gate", "fail", "✗ roc_auc >= 0.8: roc_auc = 0.5012")],
        ),
    )
    .unwrap();

    let mut h = crate::tui::Harness::on_project(project, dir, 120, 32);
    h.key(KeyCode::Char('4'), KeyModifiers::ALT);
    assert!(h.screen().contains("pipeline runs"), "the key bar names P");
    h.key(KeyCode::Char('P'), KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("Pipeline runs"), "{s}");
    // Newest first, the newest selected: its steps below.
    let newest = s.find("01KAAAAAA2AA").expect("newest run listed");
    let older = s.find("01KAAAAAA1AA").expect("older run listed");
    assert!(newest < older, "{s}");
    assert!(s.contains("roc_auc = 0.5012"), "{s}");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("champion → RUN1"), "{s}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let s = h.screen();
    assert!(!s.contains("Pipeline runs"), "{s}");
}

/// An error once the run started (here a label file without the key column)
/// is a recorded outcome: exit 2, the JSON record names the step and why.
#[test]
fn an_error_after_the_start_is_recorded_with_its_step_and_exits_2() {
    let sb = sample();
    std::fs::write(sb.file("labels.csv"), "id,failure\n100001,1\n").unwrap();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    std::fs::write(sb.file("lathe.toml"), with_label_file(&toml)).unwrap();
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 2, "{rec:#}");
    assert_eq!(rec["outcome"], "error");
    assert_eq!(steps(&rec), [("data".to_owned(), "error".to_owned())]);
    let why = rec["summary"].as_str().unwrap();
    assert!(
        why.contains("no column 'reading_id'") && why.contains("labels.csv"),
        "{why}"
    );
    assert_eq!(champion(&sb), None);
    // The human form says it on stderr too.
    let out = sb.run(&["pipeline", "run"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: ") && err.contains("no column 'reading_id'"),
        "{err}"
    );
}

/// A champion of another configuration is cross-validated again on the
/// candidate's folds and compared, paired; a margin it cannot clear fails
/// the gate (exit 1) and leaves the champion.
#[test]
fn the_gate_compares_with_a_champion_of_another_configuration_on_the_same_folds() {
    let sb = sample();
    let out = sb.run(&[
        "train",
        "--data",
        "maintenance_reference.csv",
        "--target",
        "failure",
        "--algorithms",
        "gaussian_nb",
        "--ignore",
        "reading_id,timestamp,machine_id",
        "--folds",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nb = doc["runs"][0]["run_id"].as_str().unwrap().to_owned();
    assert!(sb.run(&["runs", "alias", &nb, "champion"]).status.success());
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    std::fs::write(
        sb.file("lathe.toml"),
        toml.replace("margin = 0.0", "margin = 0.5"),
    )
    .unwrap();

    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 1, "{rec:#}");
    let cmp = &rec["gate"]["comparison"];
    assert_eq!(cmp["champion"], nb.as_str());
    assert_eq!(cmp["same_configuration"], false);
    assert_eq!(cmp["metric"], "roc_auc");
    let (cand, champ) = (
        cmp["candidate_mean"].as_f64().unwrap(),
        cmp["champion_mean"].as_f64().unwrap(),
    );
    assert!(cand > 0.5 && champ > 0.5, "{cmp:#}");
    let p = cmp["p"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p), "{cmp:#}");
    // Beating it by 0.5 of ROC AUC is impossible: the one-sided p is large.
    assert!(p >= 0.5, "{cmp:#}");
    assert!(
        !steps(&rec)
            .iter()
            .any(|(s, _)| s == "bundle" || s == "promote")
    );
    assert_eq!(champion(&sb).as_deref(), Some(nb.as_str()));
}

/// The sample's `[pipeline.labels]` with a label file instead of the journal.
fn with_label_file(toml: &str) -> String {
    toml.replace(
        "[pipeline.labels]\njournal = true\n",
        "[pipeline.labels]\nfile = \"labels.csv\"\nkey = \"reading_id\"\n",
    )
}

/// `[pipeline.labels] journal = true`: the rows labelled with `lathe label`
/// join the training data, and a new label is new work.
#[test]
fn the_labels_step_adds_the_rows_labelled_in_the_journal() {
    let sb = sample();
    let toml = std::fs::read_to_string(sb.file("lathe.toml")).unwrap();
    let toml = toml.replace(
        "steps = [\"data\", \"validate\", \"labels\", \"train\", \"gate\", \"bundle\", \"promote\"]",
        "steps = [\"data\", \"labels\", \"train\"]",
    );
    // The sample project takes the journal's labels: `[pipeline.labels] journal = true`.
    assert!(
        toml.contains("[pipeline.labels]\njournal = true\n"),
        "{toml}"
    );
    std::fs::write(sb.file("lathe.toml"), toml).unwrap();
    for (expr, class) in [("vibration_rms > 4.5", "1"), ("vibration_rms < 2", "0")] {
        let out = sb.run(&["label", "set", "--where", expr, "--class", class]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let labelled: Value =
        serde_json::from_slice(&sb.run(&["label", "status", "--json"]).stdout).unwrap();
    let n = labelled["labelled"].as_u64().unwrap();
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0, "{rec:#}");
    let detail = rec["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "labels")
        .map(|s| s["detail"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(
        detail.contains(&format!("{n} rows from the label journal")),
        "{detail}"
    );
    // Nothing new: nothing to do. One more label: new work.
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0);
    assert_eq!(rec["outcome"], "nothing_to_do", "{rec:#}");
    let again = rec["key"].clone();
    sb.run(&["label", "set", "--key", "200001", "--class", "1"]);
    let (code, rec) = run(&sb, &[]);
    assert_eq!(code, 0, "{rec:#}");
    assert_eq!(rec["outcome"], "done", "{rec:#}");
    assert_ne!(
        rec["key"], again,
        "the journal's position is part of the work key"
    );
}
