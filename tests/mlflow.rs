//! Pushing runs to MLflow: a real `mlflow server` (SQLite store, proxied
//! artifacts) on loopback; runs trained in the sample project are pushed
//! through the library and read back through the same REST API. Without
//! MLflow (`LATHE_MLFLOW`, `.ci/venv/bin/mlflow` or `mlflow` on PATH) that
//! test skips, or fails under `LATHE_REQUIRE_EXTERNAL=1`. The refusing and
//! silent servers are tiny listeners here and always run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{self, Sandbox};
use lathe::experiments::mlflow::{PushOptions, PushOutcome, PushRun, push};
use lathe::experiments::{RunRecord, Store};

const CANCER: &str = "breast_cancer.csv";
const EXPERIMENT: &str = "lathe-test";

/// `LATHE_MLFLOW`, else the CI venv's, else the one on PATH.
fn mlflow_exe() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("LATHE_MLFLOW") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("LATHE_MLFLOW={} is not a file", p.display()))
        };
    }
    let venv = common::root().join(".ci/venv/bin/mlflow");
    if venv.is_file() {
        return Ok(venv);
    }
    common::which("mlflow").ok_or_else(|| {
        "mlflow is not installed (set LATHE_MLFLOW, or run .ci/run to make .ci/venv)".to_owned()
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `mlflow server`; dropping it kills its whole process group
/// (the server, its uvicorn worker), pass or fail.
struct Server {
    child: Child,
    url: String,
    dir: TempDir,
}

impl Server {
    /// Start the server; it is not answering yet (see [`Server::wait_ready`]).
    fn spawn(exe: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(exe)
            .arg("server")
            .arg("--backend-store-uri")
            .arg(format!(
                "sqlite:///{}",
                dir.path().join("mlflow.db").display()
            ))
            .arg("--artifacts-destination")
            .arg(dir.path().join("artifacts"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--workers", "1"])
            // Its background job runner is of no use here and costs a core.
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap();
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Wait for `GET /health` (MLflow is slow to start on a small machine).
    fn wait_ready(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("mlflow server exited ({status}):\n{}", self.log());
            }
            let ok = ureq::get(format!("{}/health", self.url))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if ok {
                eprintln!(
                    "mlflow server answered after {:.1} s",
                    start.elapsed().as_secs_f64()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "mlflow server did not answer /health in 120 s:\n{}",
            self.log()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Workers outlive a server that ignored TERM: take the whole group.
        signal("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(url: &str, endpoint: &str, query: &[(&str, &str)]) -> Value {
    let mut req = ureq::get(format!("{url}/api/2.0/mlflow/{endpoint}"));
    for (k, v) in query {
        req = req.query(k, v);
    }
    let text = req.call().unwrap().body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn post(url: &str, endpoint: &str, body: &Value) -> Value {
    let text = ureq::post(format!("{url}/api/2.0/mlflow/{endpoint}"))
        .content_type("application/json")
        .send(body.to_string())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every active run of the experiment.
fn all_runs(url: &str, exp_id: &str) -> Vec<Value> {
    let body = post(
        url,
        "runs/search",
        &json!({"experiment_ids": [exp_id], "max_results": 1000}),
    );
    body["runs"].as_array().cloned().unwrap_or_default()
}

fn kv<'a>(list: &'a Value, key: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|x| x["key"] == key)
        .map(|x| &x["value"])
}

fn tag<'a>(run: &'a Value, key: &str) -> Option<&'a str> {
    kv(&run["data"]["tags"], key).and_then(Value::as_str)
}

fn run_id(run: &Value) -> String {
    run["info"]["run_id"].as_str().unwrap().to_owned()
}

/// The sample project, a git repository (so runs carry a commit), with
/// `algorithms` trained; returns the sandbox, HEAD, and the records.
fn trained(algorithms: &str) -> (Sandbox, String, Vec<RunRecord>) {
    let sb = Sandbox::sample();
    let git = |args: &[&str]| -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=lathe",
                "-c",
                "user.email=lathe@example.invalid",
            ])
            .args(args)
            .current_dir(sb.project())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "sample project"]);
    let head = git(&["rev-parse", "HEAD"]);
    let out = sb.run(&[
        "train",
        "--data",
        CANCER,
        "--target",
        "diagnosis",
        "--algorithms",
        algorithms,
        "--folds",
        "3",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (runs, bad) = Store::at(&sb.project().join(".lathe")).list().unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    (sb, head, runs)
}

fn push_run<'a>(sb: &Sandbox, r: &'a RunRecord) -> PushRun<'a> {
    let dir = sb.project().join(".lathe/runs").join(&r.run_id);
    let files = ["run.json", "model.json.gz"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    PushRun {
        record: r,
        name: None,
        tags: vec!["baseline".into()],
        note: Some(format!("{} on the breast cancer data", r.algorithm)),
        aliases: if r.algorithm == "decision_tree" {
            vec!["champion".into()]
        } else {
            Vec::new()
        },
        files,
    }
}

fn options(url: &str) -> PushOptions {
    PushOptions {
        url: url.to_owned(),
        experiment: EXPERIMENT.into(),
        token: None,
        timeout: Duration::from_secs(30),
    }
}

fn push_all(runs: &[PushRun], opts: &PushOptions) -> Vec<PushOutcome> {
    let mut seen = Vec::new();
    let out = push(runs, opts, &mut |i, id, o| {
        seen.push((i, id.to_owned(), o.clone()))
    })
    .unwrap_or_else(|e| panic!("push failed: {e}"));
    let expect: Vec<_> = runs
        .iter()
        .zip(&out)
        .enumerate()
        .map(|(i, (r, o))| (i, r.record.run_id.clone(), o.clone()))
        .collect();
    assert_eq!(seen, expect, "progress reports each run in order");
    out
}

/// What a pushed run must look like in MLflow.
fn check_run(url: &str, mlflow_id: &str, r: &RunRecord, head: &str, files: &[PathBuf]) {
    let run = &get(url, "runs/get", &[("run_id", mlflow_id)])["run"];
    let info = &run["info"];
    assert_eq!(info["status"], "FINISHED");
    let (start, end) = (
        info["start_time"].as_i64().unwrap(),
        info["end_time"].as_i64().unwrap(),
    );
    assert!(start > 1_600_000_000_000 && end >= start, "{info}");
    assert_eq!(
        info["run_name"],
        format!("{} {}", r.algorithm, &r.run_id[..12])
    );

    let params = &run["data"]["params"];
    assert_eq!(kv(params, "algorithm"), Some(&json!(r.algorithm)));
    assert_eq!(kv(params, "engine"), Some(&json!(r.engine)));
    assert_eq!(kv(params, "validation.folds"), Some(&json!("3")));
    assert_eq!(kv(params, "seed"), Some(&json!(r.lineage.seed.to_string())));
    assert!(!r.params.is_empty());
    for (k, v) in &r.params {
        assert_eq!(kv(params, k), Some(&json!(v.to_string())), "param {k}");
    }

    let metrics = &run["data"]["metrics"];
    let acc = &r.metrics["accuracy"];
    let latest = |k: &str| kv(metrics, k).and_then(Value::as_f64).unwrap();
    assert_eq!(latest("accuracy"), acc.mean);
    assert_eq!(latest("accuracy_std"), acc.std);
    assert_eq!(
        latest("holdout_accuracy"),
        r.holdout_metrics.as_ref().unwrap()["accuracy"]
    );
    assert_eq!(latest("fit_time_s"), r.timing.fit_s);
    let history = get(
        url,
        "metrics/get-history",
        &[("run_id", mlflow_id), ("metric_key", "cv_accuracy")],
    );
    let mut folds: Vec<(i64, f64)> = history["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["step"].as_i64().unwrap(), m["value"].as_f64().unwrap()))
        .collect();
    folds.sort_by_key(|f| f.0);
    let want: Vec<(i64, f64)> = acc
        .folds
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, *v))
        .collect();
    assert_eq!(
        folds, want,
        "one point per fold, step = fold index, none twice"
    );

    assert_eq!(tag(run, "lathe.run_id"), Some(r.run_id.as_str()));
    assert_eq!(tag(run, "lathe.study_id"), Some(r.study_id.as_str()));
    assert_eq!(tag(run, "mlflow.source.git.commit"), Some(head));
    assert_eq!(r.lineage.git_commit.as_deref(), Some(head));
    assert_eq!(tag(run, "mlflow.source.name"), Some("lathe"));
    let fp = &r.lineage.data_fingerprint;
    assert_eq!(fp.len(), 71, "sha256: and 64 hex digits");
    assert_eq!(tag(run, "lathe.data_fingerprint"), Some(fp.as_str()));
    assert_eq!(tag(run, "lathe.status"), Some("finished"));
    assert_eq!(tag(run, "lathe.tag.baseline"), Some("true"));
    assert_eq!(tag(run, "lathe.push_complete"), Some("true"));
    assert!(tag(run, "mlflow.note.content").is_some_and(|n| n.contains(&r.algorithm)));

    let inputs = run["inputs"]["dataset_inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    let ds = &inputs[0]["dataset"];
    assert_eq!(ds["name"], "breast_cancer");
    assert_eq!(
        ds["digest"],
        json!(&fp[..36]),
        "the fingerprint's first 36 characters"
    );
    assert_eq!(ds["source_type"], "local");
    let profile: Value = serde_json::from_str(ds["profile"].as_str().unwrap()).unwrap();
    assert_eq!(profile["num_rows"], json!(r.lineage.rows));
    let schema: Value = serde_json::from_str(ds["schema"].as_str().unwrap()).unwrap();
    assert_eq!(
        schema["mlflow_colspec"].as_array().unwrap().len(),
        r.lineage.schema.len()
    );
    assert_eq!(
        kv(&inputs[0]["tags"], "mlflow.data.context"),
        Some(&json!("training"))
    );

    let listed = get(url, "artifacts/list", &[("run_id", mlflow_id)]);
    let mut names: Vec<(String, u64)> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let size = f["file_size"]
                .as_u64()
                .or_else(|| f["file_size"].as_str()?.parse().ok());
            (f["path"].as_str().unwrap().to_owned(), size.unwrap())
        })
        .collect();
    names.sort();
    let mut want: Vec<(String, u64)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::metadata(p).unwrap().len())
        })
        .collect();
    want.sort();
    assert_eq!(names, want);
    // The bytes came through whole.
    let root = info["artifact_uri"].as_str().unwrap();
    let path = root.strip_prefix("mlflow-artifacts:/").unwrap();
    let mut body = ureq::get(format!(
        "{url}/api/2.0/mlflow-artifacts/artifacts/{path}/run.json"
    ))
    .call()
    .unwrap();
    let bytes = body.body_mut().read_to_vec().unwrap();
    let local = files.iter().find(|p| p.ends_with("run.json")).unwrap();
    assert_eq!(bytes, std::fs::read(local).unwrap());
}

#[test]
fn runs_pushed_to_a_real_mlflow_server_read_back_whole_and_push_once() {
    let Ok(exe) = mlflow_exe().map_err(|why| common::skip_or_fail(&why)) else {
        return;
    };
    // The server starts while the runs train.
    let mut server = Server::spawn(&exe);
    let (sb, head, records) = trained("gaussian_nb,decision_tree,logistic_regression");
    assert_eq!(records.len(), 3);
    server.wait_ready();
    let url = server.url.clone();
    let opts = options(&url);
    let all: Vec<PushRun> = records.iter().map(|r| push_run(&sb, r)).collect();

    // 1. Two runs: created, and everything is there.
    let first = push_all(&all[..2], &opts);
    assert!(
        first
            .iter()
            .all(|o| matches!(o, PushOutcome::Created { .. })),
        "{first:?}"
    );
    let exp = get(
        &url,
        "experiments/get-by-name",
        &[("experiment_name", EXPERIMENT)],
    );
    let exp_id = exp["experiment"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(all_runs(&url, &exp_id).len(), 2);
    for (run, outcome) in all[..2].iter().zip(&first) {
        check_run(&url, outcome.mlflow_run_id(), run.record, &head, &run.files);
    }
    let champion = all_runs(&url, &exp_id)
        .into_iter()
        .find(|r| tag(r, "lathe.aliases") == Some("champion"))
        .map(|r| run_id(&r));
    let tree = all[..2]
        .iter()
        .position(|r| r.record.algorithm == "decision_tree");
    assert_eq!(champion.as_deref(), tree.map(|i| first[i].mlflow_run_id()));

    // 2. Again: nothing sent, nothing new.
    let again = push_all(&all[..2], &opts);
    let unchanged: Vec<PushOutcome> = first
        .iter()
        .map(|o| PushOutcome::Unchanged {
            mlflow_run_id: o.mlflow_run_id().to_owned(),
        })
        .collect();
    assert_eq!(again, unchanged);
    assert_eq!(all_runs(&url, &exp_id).len(), 2);

    // 2b. The CLI does the same: `lathe runs push`, into another experiment.
    let cli = |args: &[&str]| {
        let out = sb.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let id0 = all[0].record.run_id.as_str();
    let args = [
        "runs",
        "push",
        id0,
        "--mlflow",
        &url,
        "--experiment",
        "from-cli",
        "--json",
    ];
    let once = cli(&args);
    assert_eq!(once["runs"][0]["outcome"], "created", "{once}");
    let twice = cli(&args);
    assert_eq!(twice["runs"][0]["outcome"], "unchanged", "{twice}");
    assert_eq!(
        twice["runs"][0]["mlflow_run_id"],
        once["runs"][0]["mlflow_run_id"]
    );

    // 3. A push that died right after creating the third run (only its
    //    lathe.run_id tag and one param made it) is finished in place, and one
    //    that died before its last tag is finished without sending twice.
    let third = &records[2];
    let by_hand = post(
        &url,
        "runs/create",
        &json!({
            "experiment_id": exp_id,
            "start_time": 1_700_000_000_000_i64,
            "tags": [{"key": "lathe.run_id", "value": third.run_id}],
        }),
    );
    let by_hand_id = run_id(&by_hand["run"]);
    post(
        &url,
        "runs/log-batch",
        &json!({"run_id": by_hand_id, "params": [{"key": "algorithm", "value": third.algorithm}]}),
    );
    let second_id = first[1].mlflow_run_id().to_owned();
    post(
        &url,
        "runs/delete-tag",
        &json!({"run_id": second_id, "key": "lathe.push_complete"}),
    );
    let resumed = push_all(&all, &opts);
    assert_eq!(
        resumed,
        vec![
            unchanged[0].clone(),
            PushOutcome::Completed {
                mlflow_run_id: second_id.clone()
            },
            PushOutcome::Completed {
                mlflow_run_id: by_hand_id.clone()
            },
        ]
    );
    assert_eq!(all_runs(&url, &exp_id).len(), 3, "no duplicate");
    check_run(&url, &second_id, all[1].record, &head, &all[1].files);
    check_run(&url, &by_hand_id, third, &head, &all[2].files);
    let all_unchanged = push_all(&all, &opts);
    assert!(
        all_unchanged
            .iter()
            .all(|o| matches!(o, PushOutcome::Unchanged { .. }))
    );

    // 4. A bad path prefix: MLflow's 404 page, named.
    let err = push(
        &all[..1],
        &options(&format!("{url}/nope")),
        &mut |_, _, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!("'{url}/nope'")) && err.contains("HTTP 404"),
        "{err}"
    );
    assert!(
        err.contains("root URL of an MLflow tracking server"),
        "{err}"
    );
    drop(server);

    // 5. Nothing listens any more: a clear error, quickly.
    let start = Instant::now();
    let err = push(&all[..1], &opts, &mut |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(
        err.contains(&format!("cannot reach MLflow at '{url}'")),
        "{err}"
    );
    assert!(
        err.contains("connection refused") && err.contains("mlflow server"),
        "{err}"
    );
}

/// A one-thread HTTP server that reads each request and answers with `reply`
/// (or never answers, when `reply` is None).
fn fake_server(reply: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            match reply {
                Some(body) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
                None => held.push(stream),
            }
        }
    });
    url
}

#[test]
fn refusing_and_silent_servers_give_errors_naming_the_url() {
    let (sb, _, records) = trained("gaussian_nb");
    let runs: Vec<PushRun> = records.iter().map(|r| push_run(&sb, r)).collect();

    let url = fake_server(Some(
        r#"{"error_code": "INTERNAL_ERROR", "message": "database is locked"}"#,
    ));
    let err = push(&runs, &options(&url), &mut |_, _, _| {}).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "MLflow at '{url}' refused GET /api/2.0/mlflow/experiments/get-by-name"
        )),
        "{text}"
    );
    assert!(
        text.contains("HTTP 500 INTERNAL_ERROR: database is locked"),
        "{text}"
    );
    assert_eq!(err.exit_code(), 2);

    let url = fake_server(None);
    let opts = PushOptions {
        timeout: Duration::from_secs(1),
        ..options(&url)
    };
    let start = Instant::now();
    let text = push(&runs, &opts, &mut |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(
        text.contains(&format!("MLflow at '{url}' did not answer GET /api/2.0/mlflow/experiments/get-by-name within 1 s")),
        "{text}"
    );

    let text = push(&runs, &options("localhost:5000"), &mut |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("'localhost:5000' is not an http(s) URL"),
        "{text}"
    );
}
