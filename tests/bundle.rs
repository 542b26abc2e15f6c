//! Bundles and serving: export, verify (checksums, tampering, signatures,
//! newer formats), `lathe predict`, the server on loopback through real HTTP
//! (every endpoint and the bad requests), and the container built with
//! buildah / loaded from the OCI archive and run with podman.
//!
//! A bundle carries the static, serve-only `lathe-serve` that `lathe` embeds
//! (build.rs builds it): no test passes a server binary unless it tests that flag.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{self, Sandbox};
use crate::containers::{Container, Image, container_tools, podman};

const CANCER: &str = "breast_cancer.csv";

pub(crate) fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub(crate) fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// Train on `data` with `extra` flags; the run id with a stored model.
pub(crate) fn trained(sb: &Sandbox, data: &str, target: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "train", "--data", data, "--target", target, "--folds", "3", "--json",
    ];
    args.extend_from_slice(extra);
    let doc = json_of(&sb.run(&args));
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["has_model"] == true)
        .map(|r| r["run_id"].as_str().unwrap().to_owned())
        .expect("a refitted run")
}

/// Export `run`; the bundle folder.
pub(crate) fn export(sb: &Sandbox, run: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["bundle", "export", run, "--json"];
    args.extend_from_slice(extra);
    let doc = json_of(&sb.run(&args));
    PathBuf::from(doc["bundle"]["dir"].as_str().unwrap())
}

fn cancer_bundle(extra: &[&str]) -> (Sandbox, String, PathBuf) {
    let sb = Sandbox::sample();
    let run = trained(
        &sb,
        CANCER,
        "diagnosis",
        &["--algorithms", "logistic_regression"],
    );
    let dir = export(&sb, &run, extra);
    (sb, run, dir)
}

/// The maintenance data with categories, trained to refuse unseen ones.
pub(crate) fn maintenance_bundle() -> (Sandbox, PathBuf) {
    let sb = Sandbox::sample();
    std::fs::write(
        sb.file("train.toml"),
        "data = \"maintenance_reference.csv\"\ntarget = \"failure\"\nignore = [\"reading_id\", \"timestamp\", \"machine_id\"]\n\
         [preprocess]\nunseen = \"error\"\n[[algorithms]]\nid = \"logistic_regression\"\n",
    )
    .unwrap();
    let run = trained(
        &sb,
        "maintenance_reference.csv",
        "failure",
        &["--spec", "train.toml"],
    );
    let dir = export(&sb, &run, &["--name", "maint-logreg"]);
    (sb, dir)
}

// ---- a running server ------------------------------------------------------------------

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    pub(crate) fn start(sb: &Sandbox, dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["serve", dir.to_str().unwrap(), "--port", "0"];
        args.extend_from_slice(extra);
        let mut child = sb.spawn(&args);
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in: {line}"))
            .parse()
            .unwrap();
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Self { child, addr }
    }

    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(40),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection: status and body.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    // Chunked bodies: keep the JSON between the chunk sizes.
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body.lines()
            .filter(|l| !l.chars().all(|c| c.is_ascii_hexdigit()) || l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        body
    };
    (status, body)
}

pub(crate) fn post_json(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let (code, text) = http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    (
        code,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({"raw": text})),
    )
}

/// The error message of a refused request.
pub(crate) fn error_of(v: &Value) -> String {
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {v}"))
        .to_owned()
}

// ---- export and verify ----------------------------------------------------------------

#[test]
fn export_writes_a_complete_bundle_that_verifies() {
    let (sb, run, dir) = cancer_bundle(&[]);
    assert!(
        dir.ends_with(".lathe/bundles/predictive-maintenance/0.1.0"),
        "{}",
        dir.display()
    );
    for f in [
        "bundle.json",
        "model.json",
        "input_example.json",
        "serving_input_example.json",
        "bin/lathe-serve",
        "Containerfile",
        "k8s/deployment.yaml",
        "k8s/service.yaml",
        "k8s/inferenceservice.yaml",
        "k8s/kustomization.yaml",
        "sbom.cdx.json",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(m["name"], "predictive-maintenance");
    assert_eq!(m["version"], "0.1.0");
    assert_eq!(m["run_id"], run.as_str());
    assert_eq!(m["classes"], json!(["benign", "malignant"]));
    assert_eq!(m["inputs"].as_array().unwrap().len(), 30);
    let radius = &m["inputs"][0];
    assert_eq!(radius["name"], "radius_mean");
    assert_eq!(radius["kind"], "number");
    assert!(radius["min"].as_f64().unwrap() < radius["max"].as_f64().unwrap());
    assert!(
        m["reference"]["profile"]["columns"]
            .as_array()
            .unwrap()
            .len()
            >= 30
    );
    assert!(m["reference"]["predictions"]["columns"].is_array());
    assert_eq!(m["reference"]["sample"].as_array().unwrap().len(), 569);
    assert_eq!(m["examples"]["predictions"].as_array().unwrap().len(), 3);
    // The server is the one lathe embeds: static, a release build (no debug sections).
    let server = dir.join("bin/lathe-serve");
    lathe::bundle::elf::check_static(&server).unwrap();
    assert!(!lathe::bundle::elf::has_debug_info(&server).unwrap());
    // The model is the run's model, byte for byte.
    let run_json = json_of(&sb.run(&["runs", "show", &run, "--json"]));
    let sha = lathe::bundle::manifest::sha256_file(&dir.join("model.json")).unwrap();
    assert_eq!(run_json["model_sha256"].as_str(), Some(sha.as_str()));
    assert_eq!(m["files"]["model.json"].as_str(), Some(sha.as_str()));
    // The next export of the name gets the next patch version.
    let again = export(&sb, &run, &[]);
    assert!(
        again.ends_with("predictive-maintenance/0.1.1"),
        "{}",
        again.display()
    );
    // verify: ok.
    let out = sb.run(&["bundle", "verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("2 examples replay"), "{}", text(&out));
    // The SBOM names the server's crates, not polars.
    let sbom: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sbom.cdx.json")).unwrap()).unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let names: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"axum") && names.contains(&"linfa-logistic"),
        "{names:?}"
    );
    assert!(!names.contains(&"polars"));
}

#[test]
fn the_k8s_files_parse_back_into_typed_structs() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Service;
    let (_sb, _run, dir) = cancer_bundle(&[]);
    let read = |f: &str| std::fs::read_to_string(dir.join("k8s").join(f)).unwrap();
    let d: Deployment = yaml_serde::from_str(&read("deployment.yaml")).unwrap();
    let pod = d.spec.unwrap().template.spec.unwrap();
    let c = &pod.containers[0];
    assert_eq!(
        c.image.as_deref(),
        Some("localhost/predictive-maintenance:0.1.0")
    );
    let live = c
        .liveness_probe
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap();
    assert_eq!(live.path.as_deref(), Some("/v2/health/live"));
    let ready = c
        .readiness_probe
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap();
    assert_eq!(ready.path.as_deref(), Some("/v2/health/ready"));
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(
        sc.capabilities.as_ref().unwrap().drop.as_deref(),
        Some(&["ALL".to_owned()][..])
    );
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    assert!(c.resources.as_ref().unwrap().limits.is_some());
    let s: Service = yaml_serde::from_str(&read("service.yaml")).unwrap();
    assert_eq!(s.spec.unwrap().ports.unwrap()[0].port, 80);
    let isvc: lathe::bundle::k8s::InferenceService =
        yaml_serde::from_str(&read("inferenceservice.yaml")).unwrap();
    assert_eq!(isvc.api_version, "serving.kserve.io/v1beta1");
    let _k: lathe::bundle::k8s::Kustomization =
        yaml_serde::from_str(&read("kustomization.yaml")).unwrap();
}

#[test]
fn verify_names_a_changed_or_missing_file_and_refuses_what_is_not_a_bundle() {
    let (sb, _run, dir) = cancer_bundle(&[]);
    let d = dir.to_str().unwrap();
    // A changed byte in the model.
    let model = dir.join("model.json");
    let mut bytes = std::fs::read(&model).unwrap();
    let i = bytes.iter().position(|b| b.is_ascii_digit()).unwrap();
    bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
    std::fs::write(&model, &bytes).unwrap();
    let out = sb.run(&["bundle", "verify", d]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("model.json: changed"), "{}", text(&out));
    // The server refuses it too.
    let serve = sb.run(&["serve", d, "--port", "0"]);
    assert_eq!(serve.status.code(), Some(2));
    assert!(text(&serve).contains("model.json"), "{}", text(&serve));
    // A missing file.
    std::fs::remove_file(dir.join("k8s/service.yaml")).unwrap();
    let out = sb.run(&["bundle", "verify", d, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let whats: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["what"].as_str().unwrap())
        .collect();
    assert!(
        whats.contains(&"k8s/service.yaml") && whats.contains(&"model.json"),
        "{whats:?}"
    );
    // Not a bundle, and a bundle from a newer lathe: exit 2.
    let out = sb.run(&["bundle", "verify", sb.project().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not a lathe bundle"), "{}", text(&out));
    let manifest = dir.join("bundle.json");
    let m = std::fs::read_to_string(&manifest).unwrap().replacen(
        "\"format_version\": 1",
        "\"format_version\": 7",
        1,
    );
    std::fs::write(&manifest, m).unwrap();
    let out = sb.run(&["bundle", "verify", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("newer lathe"), "{}", text(&out));
}

#[test]
fn a_signed_bundle_verifies_with_its_key_and_not_with_another() {
    let sb = Sandbox::sample();
    let keys = sb.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for k in ["team", "other"] {
        let out = sb.run(&["bundle", "keygen", keys.join(k).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let run = trained(&sb, CANCER, "diagnosis", &["--algorithms", "gaussian_nb"]);
    let secret = keys.join("team.key");
    let dir = export(&sb, &run, &["--sign", secret.to_str().unwrap()]);
    let d = dir.to_str().unwrap();
    let team = keys.join("team.pub");
    let other = keys.join("other.pub");
    assert_eq!(
        sb.run(&["bundle", "verify", d, "--key", team.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let out = sb.run(&["bundle", "verify", d, "--key", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("signature"), "{}", text(&out));
    // Rewriting the manifest with matching checksums does not fool the key.
    let manifest = dir.join("bundle.json");
    let m = std::fs::read_to_string(&manifest).unwrap().replacen(
        "\"version\": \"0.1.0\"",
        "\"version\": \"9.9.9\"",
        1,
    );
    std::fs::write(&manifest, m).unwrap();
    assert_eq!(
        sb.run(&["bundle", "verify", d]).status.code(),
        Some(0),
        "checksums alone still match"
    );
    assert_eq!(
        sb.run(&["bundle", "verify", d, "--key", team.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    let serve = sb.run(&["serve", d, "--port", "0", "--key", team.to_str().unwrap()]);
    assert_eq!(serve.status.code(), Some(2), "{}", text(&serve));
}

#[test]
fn a_dynamic_server_binary_is_refused_with_how_to_build_a_static_one() {
    let sb = Sandbox::sample();
    let run = trained(&sb, CANCER, "diagnosis", &["--algorithms", "gaussian_nb"]);
    // The test binary of lathe itself is dynamically linked.
    let dynamic = common::bin_path();
    let out = sb.run(&[
        "bundle",
        "export",
        &run,
        "--server-binary",
        dynamic.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(
        msg.contains("dynamically linked") && msg.contains("crt-static"),
        "{msg}"
    );
    assert!(
        !sb.project().join(".lathe/bundles").exists()
            || std::fs::read_dir(sb.project().join(".lathe/bundles"))
                .unwrap()
                .count()
                == 0
    );
}

/// Export through the library on a host of `os` without an embedded server.
fn export_on(sb: &Sandbox, run: &str, os: &'static str, oci: bool) -> lathe::Result<PathBuf> {
    use lathe::bundle::export::{ExportOptions, export};
    use lathe::bundle::server::Host;
    let project = lathe::project::Project::open(&sb.project()).unwrap();
    let store = lathe::experiments::Store::open(&project);
    let opts = ExportOptions {
        host: Host { os, embedded: None },
        oci,
        ..ExportOptions::default()
    };
    let done = export(&project, &store, run, &opts, &lathe::jobs::NoProgress)?;
    assert!(
        done.warnings
            .iter()
            .any(|w| w.contains(&format!("a lathe built on {os}"))),
        "{:?}",
        done.warnings
    );
    Ok(done.dir)
}

#[test]
fn another_os_writes_a_bundle_without_the_image_parts_that_still_verifies_and_serves() {
    let sb = Sandbox::sample();
    let run = trained(&sb, CANCER, "diagnosis", &["--algorithms", "gaussian_nb"]);
    // Asked for the image archive, it refuses before writing anything.
    let e = export_on(&sb, &run, "macos", true).unwrap_err();
    assert!(e.message.contains("no image archive"), "{}", e.message);
    let bundles = sb.file(".lathe/bundles");
    assert!(
        !bundles.exists() || std::fs::read_dir(&bundles).unwrap().count() == 0,
        "nothing half-written"
    );
    let dir = export_on(&sb, &run, "macos", false).unwrap();
    for gone in ["bin/lathe-serve", "Containerfile", ".containerignore"] {
        assert!(!dir.join(gone).exists(), "{gone} written");
    }
    assert!(dir.join("k8s/deployment.yaml").is_file());
    let out = sb.run(&["bundle", "verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

// ---- predict and serve -----------------------------------------------------------------

#[test]
fn predict_and_both_protocols_give_the_same_answers() {
    let (sb, _run, dir) = cancer_bundle(&[]);
    let d = dir.to_str().unwrap();
    let out_csv = sb.path().join("pred.csv");
    let out = sb.run(&["predict", d, CANCER, "--out", out_csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("prediction,probability_benign,probability_malignant")
    );
    let predicted: Vec<(String, f64)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(predicted.len(), 569);
    // The same 20 rows through the server, both protocols.
    let data = std::fs::read_to_string(sb.file(CANCER)).unwrap();
    let mut rows = data.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let features: Vec<&str> = header
        .iter()
        .copied()
        .filter(|h| *h != "diagnosis")
        .collect();
    let records: Vec<Value> = rows
        .take(20)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let mut o = serde_json::Map::new();
            for (h, c) in header.iter().zip(&cells) {
                if *h != "diagnosis" {
                    o.insert((*h).to_owned(), json!(c.parse::<f64>().unwrap()));
                }
            }
            Value::Object(o)
        })
        .collect();
    let server = Server::start(&sb, &dir, &[]);
    let (code, v) = post_json(
        server.addr,
        "/invocations",
        &json!({"dataframe_records": records}),
    );
    assert_eq!(code, 200, "{v}");
    let labels: Vec<String> = v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        labels,
        predicted[..20]
            .iter()
            .map(|p| p.0.clone())
            .collect::<Vec<_>>()
    );
    let inputs: Vec<Value> = features
        .iter()
        .map(|f| {
            json!({"name": f, "shape": [20], "datatype": "FP64",
                   "data": records.iter().map(|r| r[*f].clone()).collect::<Vec<_>>()})
        })
        .collect();
    let (code, v) = post_json(
        server.addr,
        "/v2/models/predictive-maintenance/infer",
        &json!({"id": "r-1", "inputs": inputs}),
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["id"], "r-1");
    assert_eq!(v["model_name"], "predictive-maintenance");
    assert_eq!(v["outputs"][0]["name"], "diagnosis");
    assert_eq!(v["outputs"][0]["datatype"], "BYTES");
    let oip_labels: Vec<&str> = v["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        oip_labels,
        labels.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(v["outputs"][1]["shape"], json!([20, 2]));
    let p1: Vec<f64> = v["outputs"][1]["data"]
        .as_array()
        .unwrap()
        .chunks(2)
        .map(|c| c[1].as_f64().unwrap())
        .collect();
    for (got, (_, want)) in p1.iter().zip(&predicted) {
        assert!(
            (got - want).abs() <= 1e-15 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    }
    // One [N, F] tensor in schema order gives the same.
    let flat: Vec<Value> = records
        .iter()
        .flat_map(|r| features.iter().map(move |f| r[*f].clone()))
        .collect();
    let (code, v2) = post_json(
        server.addr,
        "/v2/models/predictive-maintenance/infer",
        &json!({"inputs": [{"name": "x", "shape": [20, features.len()], "datatype": "FP64", "data": flat}]}),
    );
    assert_eq!(code, 200, "{v2}");
    assert_eq!(v2["outputs"][0]["data"], v["outputs"][0]["data"]);
    assert!(server.stop().success());
}

#[test]
fn the_server_answers_every_endpoint_and_refuses_bad_requests_clearly() {
    let (sb, dir) = maintenance_bundle();
    let logs = sb.path().join("predlog");
    let token = sb.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let server = Server::start(
        &sb,
        &dir,
        &[
            "--token-file",
            token.to_str().unwrap(),
            "--log-predictions",
            logs.to_str().unwrap(),
        ],
    );
    let a = server.addr;
    let auth = ("Authorization", "Bearer s3cret");
    let ct = ("Content-Type", "application/json");
    // Probes need no token; everything else does.
    assert_eq!(http(a, "GET", "/v2/health/live", &[], b"").0, 200);
    assert_eq!(http(a, "GET", "/v2/health/ready", &[], b"").0, 200);
    assert_eq!(http(a, "GET", "/ping", &[], b"").0, 200);
    let (code, body) = http(a, "GET", "/v2", &[], b"");
    assert_eq!(code, 401, "{body}");
    let (code, body) = http(a, "GET", "/v2", &[auth], b"");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("lathe-serve"));
    let (code, body) = http(a, "GET", "/v2/models/maint-logreg", &[auth], b"");
    assert_eq!(code, 200, "{body}");
    let meta: Value = serde_json::from_str(&body).unwrap();
    let machine_type = meta["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "machine_type")
        .unwrap();
    assert_eq!(machine_type["datatype"], "BYTES");
    assert_eq!(
        http(a, "GET", "/v2/models/maint-logreg/ready", &[auth], b"").0,
        200
    );
    let (code, body) = http(a, "GET", "/v2/models/other/ready", &[auth], b"");
    assert_eq!(code, 404);
    assert!(body.contains("maint-logreg"), "{body}");
    // A good request: one row of the reference file.
    let row = json!({
        "air_temp_k": 300.1, "process_temp_k": 309.3, "rot_speed_rpm": 1671.3, "torque_nm": 31.5,
        "tool_wear_min": 198, "vibration_rms": 3.82, "oil_viscosity_cst": 47.3, "pressure_bar": 5.31,
        "power_kw": 5.44, "machine_type": "L", "site": "bilbao"
    });
    let send = |body: &[u8], headers: &[(&str, &str)]| -> (u16, Value) {
        let (code, t) = http(a, "POST", "/invocations", headers, body);
        (
            code,
            serde_json::from_str(&t).unwrap_or_else(|_| json!({"raw": t})),
        )
    };
    let good = json!({"dataframe_records": [row]}).to_string();
    let (code, v) = send(good.as_bytes(), &[auth, ct]);
    assert_eq!(code, 200, "{v}");
    assert!(v["predictions"][0].is_string());
    assert_eq!(send(good.as_bytes(), &[ct]).0, 401);
    // Bad requests, each a 4xx with a clear JSON error.
    let with = |k: &str, val: Value| {
        let mut r = row.clone();
        r[k] = val;
        json!({"dataframe_records": [r]}).to_string()
    };
    let mut unknown = row.clone();
    unknown["colour"] = json!("red");
    let mut missing = row.clone();
    missing.as_object_mut().unwrap().remove("torque_nm");
    let cases: Vec<(String, u16, &str)> = vec![
        (
            "{\"dataframe_records\": [".to_owned(),
            400,
            "malformed JSON",
        ),
        (
            json!({"dataframe_records": [unknown]}).to_string(),
            400,
            "colour",
        ),
        (
            json!({"dataframe_records": [missing]}).to_string(),
            400,
            "torque_nm",
        ),
        (with("torque_nm", json!("NaN")), 400, "torque_nm"),
        (with("torque_nm", json!("heavy")), 400, "wants a number"),
        (with("machine_type", json!("XL")), 400, "never saw"),
        (json!({"dataframe_records": []}).to_string(), 400, "empty"),
        (
            json!({"instances": [], "inputs": {}}).to_string(),
            400,
            "exactly one",
        ),
    ];
    for (body, want, says) in &cases {
        let (code, v) = send(body.as_bytes(), &[auth, ct]);
        assert_eq!(code, *want, "{body}: {v}");
        assert!(error_of(&v).contains(says), "{body}: {v}");
    }
    let (code, v) = send(good.as_bytes(), &[auth, ("Content-Type", "text/html")]);
    assert_eq!(code, 415, "{v}");
    assert!(error_of(&v).contains("text/csv"), "{v}");
    // OIP: shape and datatype mismatches.
    let bad_shape = json!({"inputs": [{"name": "air_temp_k", "shape": [2], "datatype": "FP64", "data": [300.0]}]});
    let (code, t) = http(
        a,
        "POST",
        "/v2/models/maint-logreg/infer",
        &[auth, ct],
        bad_shape.to_string().as_bytes(),
    );
    assert_eq!(code, 400, "{t}");
    assert!(t.contains("shape"), "{t}");
    let bad_type = json!({"inputs": [{"name": "air_temp_k", "shape": [1], "datatype": "BYTES", "data": [300.0]}]});
    let (code, t) = http(
        a,
        "POST",
        "/v2/models/maint-logreg/infer",
        &[auth, ct],
        bad_type.to_string().as_bytes(),
    );
    assert_eq!(code, 400, "{t}");
    // A 1 GB body is refused from its header, without reading it.
    let (code, t) = http(
        a,
        "POST",
        "/invocations",
        &[auth, ct, ("Content-Length", "1073741824")],
        b"",
    );
    assert_eq!(code, 413, "{t}");
    // A slow client holding a half-sent request does not stop the others.
    let mut slow = TcpStream::connect(a).unwrap();
    slow.write_all(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let t = Instant::now();
    let (code, _) = send(good.as_bytes(), &[auth, ct]);
    assert_eq!(code, 200);
    assert!(t.elapsed() < Duration::from_secs(2));
    // …and is cut off once the header timeout passes.
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    // Metrics.
    let (code, m) = http(a, "GET", "/metrics", &[auth], b"");
    assert_eq!(code, 200);
    assert!(
        m.contains(
            "lathe_requests_total{code=\"200\",endpoint=\"invocations\",model=\"maint-logreg\"} 2"
        ),
        "{m}"
    );
    assert!(
        m.contains("lathe_errors_total{kind=\"bad_request\",model=\"maint-logreg\"}"),
        "{m}"
    );
    assert!(
        m.contains("lathe_errors_total{kind=\"body_too_large\",model=\"maint-logreg\"} 1"),
        "{m}"
    );
    assert!(m.contains("lathe_request_duration_seconds_bucket{endpoint=\"invocations\",model=\"maint-logreg\",le=\"+Inf\"}"), "{m}");
    assert!(m.contains("lathe_predictions_total{class="), "{m}");
    assert!(
        m.contains(
            "lathe_input_outside_training_range_total{column=\"air_temp_k\",model=\"maint-logreg\"}"
        ),
        "{m}"
    );
    // Out-of-range inputs are counted.
    let (code, _) = send(with("air_temp_k", json!(400.0)).as_bytes(), &[auth, ct]);
    assert_eq!(code, 200);
    let (_, m) = http(a, "GET", "/metrics", &[auth], b"");
    assert!(
        m.contains("column=\"air_temp_k\",model=\"maint-logreg\"} 1"),
        "{m}"
    );
    // SIGTERM: a clean exit, and the prediction log holds every scored row.
    assert!(server.stop().success());
    let logged: Vec<Value> = std::fs::read_dir(&logs)
        .unwrap()
        .flat_map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect();
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert_eq!(logged[0]["machine_type"], "L");
    assert!(logged[0]["prediction"].is_string() && logged[0]["time"].is_string());
}

// ---- the container, for real ------------------------------------------------------------

/// Run `image`, call infer and compare with `lathe predict` on the same rows.
fn run_and_compare(conf: &Path, image: &str, container: &str, sb: &Sandbox, dir: &Path) {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bundle.json")).unwrap()).unwrap();
    let name = m["name"].as_str().unwrap().to_owned();
    let running = Container::run(conf, image, container);
    let addr = running.addr;
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("serving_input_example.json")).unwrap(),
    )
    .unwrap();
    let split = &example["dataframe_split"];
    let cols: Vec<&str> = split["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let rows = split["data"].as_array().unwrap();
    let inputs: Vec<Value> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"name": c, "shape": [rows.len()], "datatype": "FP64", "data": rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>()}))
        .collect();
    let (code, v) = post_json(
        addr,
        &format!("/v2/models/{name}/infer"),
        &json!({"inputs": inputs}),
    );
    assert_eq!(code, 200, "{v}");
    // lathe predict on the same rows.
    let csv_in = sb.path().join(format!("{container}.csv"));
    let mut text_in = cols.join(",") + "\n";
    for r in rows {
        text_in.push_str(
            &r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        text_in.push('\n');
    }
    std::fs::write(&csv_in, text_in).unwrap();
    let csv_out = sb.path().join(format!("{container}-pred.csv"));
    let out = sb.run(&[
        "predict",
        dir.to_str().unwrap(),
        csv_in.to_str().unwrap(),
        "--out",
        csv_out.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let predicted: Vec<String> = std::fs::read_to_string(&csv_out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let served: Vec<String> = v["outputs"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(served, predicted);
}

#[test]
fn the_containerfile_builds_with_buildah_and_serves_under_podman() {
    let Some(conf) = container_tools() else {
        return;
    };
    let (sb, _run, dir) = cancer_bundle(&[]);
    let image = Image::build(
        &conf,
        &dir,
        &format!("localhost/lathe-test-{}:0.1.0", std::process::id()),
    );
    // The image is small: the server, the model and the files.
    assert!(image.bytes() < 30 << 20, "image of {} bytes", image.bytes());
    run_and_compare(
        &conf,
        &image.name,
        &format!("lathe-test-built-{}", std::process::id()),
        &sb,
        &dir,
    );
}

#[test]
fn the_oci_archive_loads_with_podman_and_serves() {
    let Some(conf) = container_tools() else {
        return;
    };
    let (sb, _run, dir) = cancer_bundle(&[
        "--oci",
        "--name",
        &format!("lathe-oci-{}", std::process::id()),
    ]);
    let archive = dir.with_file_name(format!(
        "{}.oci.tar",
        dir.file_name().unwrap().to_string_lossy()
    ));
    assert!(archive.is_file(), "{}", archive.display());
    let out = podman(&conf)
        .args(["load", "-i", archive.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "podman load: {}", text(&out));
    let image = Image {
        conf: &conf,
        name: format!("localhost/lathe-oci-{}:0.1.0", std::process::id()),
    };
    assert!(text(&out).contains(&image.name), "{}", text(&out));
    assert!(image.bytes() < 30 << 20, "image of {} bytes", image.bytes());
    run_and_compare(
        &conf,
        &image.name,
        &format!("lathe-test-oci-{}", std::process::id()),
        &sb,
        &dir,
    );
}

// ---- drift against a bundle ------------------------------------------------------------

#[test]
fn drift_against_a_bundle_needs_no_training_data_and_checks_the_model_too() {
    let (sb, dir) = maintenance_bundle();
    let d = dir.to_str().unwrap();
    let run = |current: &str| {
        let out = sb.run(&[
            "drift",
            "--reference",
            d,
            "--current",
            current,
            "--spec",
            "drift.toml",
            "--json",
        ]);
        let code = out.status.code();
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
        (code, v)
    };
    let (code, drifted) = run("maintenance_fresh_drift.csv");
    assert_eq!(code, Some(1));
    assert_eq!(drifted["report"]["dataset_drift"], true);
    // The same verdicts as against the raw training file.
    let raw = sb.run(&[
        "drift",
        "--reference",
        "maintenance_reference.csv",
        "--current",
        "maintenance_fresh_drift.csv",
        "--spec",
        "drift.toml",
        "--json",
    ]);
    let raw: Value = serde_json::from_slice(&raw.stdout).unwrap();
    let verdicts = |v: &Value| -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = v["report"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["drifted"].as_bool().unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(verdicts(&drifted), verdicts(&raw));
    // Predictions and metrics on the labelled fresh rows.
    let model = &drifted["model"];
    let preds = model["predictions"]["columns"].as_array().unwrap();
    assert!(preds.iter().any(|c| c["name"] == "prediction"), "{model}");
    let perf = &model["performance"];
    assert_eq!(perf["rows"], 3000);
    let acc = perf["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "accuracy")
        .unwrap();
    assert!(
        acc["fresh"].as_f64().unwrap() > 0.0 && acc["reference"].as_f64().is_some(),
        "{acc}"
    );
    let (code, stable) = run("maintenance_fresh_stable.csv");
    assert_eq!(code, Some(0), "{stable}");
    assert_eq!(stable["report"]["dataset_drift"], false);
    assert!(
        stable["model"]["predictions"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["drifted"] == false),
        "{stable}"
    );
}

#[test]
fn the_prediction_log_is_current_data_for_drift() {
    let (sb, dir) = maintenance_bundle();
    let logs = sb.path().join("predlog");
    let server = Server::start(&sb, &dir, &["--log-predictions", logs.to_str().unwrap()]);
    // Production sees the drifted batch, 500 rows a request.
    let data = std::fs::read_to_string(sb.file("maintenance_fresh_drift.csv")).unwrap();
    let mut lines = data.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bundle.json")).unwrap()).unwrap();
    let inputs: Vec<String> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for chunk in rows.chunks(500) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|cells| {
                let mut o = serde_json::Map::new();
                for (h, c) in header.iter().zip(cells) {
                    if inputs.contains(h) {
                        let v = if c.is_empty() {
                            Value::Null
                        } else {
                            c.parse::<f64>().map_or_else(|_| json!(c), |x| json!(x))
                        };
                        o.insert(h.clone(), v);
                    }
                }
                Value::Object(o)
            })
            .collect();
        let (code, v) = post_json(
            server.addr,
            "/invocations",
            &json!({"dataframe_records": records}),
        );
        assert_eq!(code, 200, "{v}");
    }
    assert!(server.stop().success());
    let out = sb.run(&[
        "drift",
        "--reference",
        dir.to_str().unwrap(),
        "--current",
        logs.to_str().unwrap(),
        "--spec",
        "drift.toml",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let batches = v["batches"].as_array().unwrap();
    assert!(!batches.is_empty());
    let logged_rows: u64 = batches
        .iter()
        .map(|b| b["report"]["current_rows"].as_u64().unwrap())
        .sum();
    assert_eq!(logged_rows, 3000);
    assert_eq!(batches.last().unwrap()["report"]["dataset_drift"], true);
}
