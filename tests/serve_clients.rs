//! The server against the protocols as written, not only as our own tests
//! send them: NVIDIA Triton's Python client (`tritonclient.http`, run by
//! `tests/clients/oip_client.py`) in binary, JSON and mixed mode, checked
//! against `lathe predict` and the JSON protocol; the binary tensor data
//! extension byte by byte (every datatype, every malformed body); the
//! `outputs` list; bodies without `Content-Type`; CSV on `/invocations`.
//!
//! The client needs Python with tritonclient: `LATHE_PYTHON`, else
//! `.ci/venv/bin/python` (made by `.ci/run` from `.ci/requirements.txt`).
//! Without it that test skips, or fails under `LATHE_REQUIRE_EXTERNAL=1`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::bundle::{Server, error_of, export, http, maintenance_bundle, post_json, text, trained};
use crate::common::{self, Sandbox};
use lathe::serve::binary;

const MODEL: &str = "maint-logreg";
const INFER: &str = "/v2/models/maint-logreg/infer";

/// `LATHE_PYTHON`, else the CI venv's; it must import tritonclient.
pub(crate) fn python() -> Result<PathBuf, String> {
    let exe = match std::env::var_os("LATHE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => common::root().join(".ci/venv/bin/python"),
    };
    if !exe.is_file() {
        return Err(format!(
            "no Python at {} (set LATHE_PYTHON, or run .ci/run to make .ci/venv)",
            exe.display()
        ));
    }
    let ok = Command::new(&exe)
        .args(["-c", "import tritonclient.http"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(exe)
    } else {
        Err(format!(
            "{} cannot import tritonclient.http (pip install -r .ci/requirements.txt)",
            exe.display()
        ))
    }
}

/// The first `n` rows of a sample file: header and cell lines.
pub(crate) fn sample_rows(sb: &Sandbox, file: &str, n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let data = std::fs::read_to_string(sb.file(file)).unwrap();
    let mut lines = data.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .take(n)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The bundle's inputs: (name, is_number).
fn inputs_of(dir: &Path) -> Vec<(String, bool)> {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bundle.json")).unwrap()).unwrap();
    m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["kind"] == "number",
            )
        })
        .collect()
}

/// The rows as columns: name → values (numbers or text), in schema order.
pub(crate) fn columns(
    dir: &Path,
    header: &[String],
    rows: &[Vec<String>],
) -> Vec<(String, Vec<Value>)> {
    inputs_of(dir)
        .into_iter()
        .map(|(name, number)| {
            let c = header.iter().position(|h| *h == name).unwrap();
            let values = rows
                .iter()
                .map(|r| {
                    if number {
                        json!(r[c].parse::<f64>().unwrap())
                    } else {
                        json!(r[c])
                    }
                })
                .collect();
            (name, values)
        })
        .collect()
}

/// The JSON infer request of these columns.
fn json_request(cols: &[(String, Vec<Value>)]) -> Value {
    let inputs: Vec<Value> = cols
        .iter()
        .map(|(name, v)| {
            let datatype = if v[0].is_string() { "BYTES" } else { "FP64" };
            json!({"name": name, "shape": [v.len()], "datatype": datatype, "data": v})
        })
        .collect();
    json!({ "inputs": inputs })
}

/// The same request with every input as binary data: the body and the header length.
fn binary_request(json_req: &Value, extra: &Value) -> (Vec<u8>, usize) {
    let mut header = json_req.clone();
    let mut blobs = Vec::new();
    for t in header["inputs"].as_array_mut().unwrap() {
        let data = t.as_object_mut().unwrap().remove("data").unwrap();
        let bytes = binary::encode(
            t["name"].as_str().unwrap(),
            t["datatype"].as_str().unwrap(),
            data.as_array().unwrap(),
        )
        .unwrap();
        t["parameters"] = json!({"binary_data_size": bytes.len()});
        blobs.push(bytes);
    }
    for (k, v) in extra.as_object().unwrap() {
        header[k] = v.clone();
    }
    let mut body = header.to_string().into_bytes();
    let len = body.len();
    for b in blobs {
        body.extend(b);
    }
    (body, len)
}

/// One request; status, lower-case headers and the raw body.
fn http_raw(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked"),
        "a chunked answer: {head}"
    );
    (status.parse().unwrap(), headers, raw[split + 4..].to_vec())
}

fn get_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A binary (or JSON) infer response as the JSON it stands for: each binary
/// output's bytes decoded back into `data`.
fn decode_response(headers: &[(String, String)], body: &[u8]) -> Value {
    let Some(len) = get_header(headers, "inference-header-content-length") else {
        return serde_json::from_slice(body).unwrap();
    };
    assert_eq!(
        get_header(headers, "content-type"),
        Some("application/octet-stream")
    );
    let len: usize = len.parse().unwrap();
    let mut v: Value = serde_json::from_slice(&body[..len]).unwrap();
    let mut rest = &body[len..];
    for o in v["outputs"].as_array_mut().unwrap() {
        let Some(size) = o["parameters"]["binary_data_size"].as_u64() else {
            continue;
        };
        assert!(o.get("data").is_none(), "{o}");
        let (bytes, tail) = rest.split_at(size as usize);
        let count = o["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .product();
        let data = binary::decode("out", o["datatype"].as_str().unwrap(), bytes, count).unwrap();
        o["data"] = Value::Array(data);
        o.as_object_mut().unwrap().remove("parameters");
        rest = tail;
    }
    assert!(rest.is_empty());
    v
}

/// `lathe predict` on `rows`: labels and each row's probabilities.
pub(crate) fn predict(
    sb: &Sandbox,
    dir: &Path,
    header: &[String],
    rows: &[Vec<String>],
) -> (Vec<String>, Vec<Vec<f64>>) {
    let input = sb.path().join("rows.csv");
    let mut t = header.join(",") + "\n";
    for r in rows {
        t.push_str(&(r.join(",") + "\n"));
    }
    std::fs::write(&input, t).unwrap();
    let out = sb.path().join("rows-pred.csv");
    let o = sb.run(&[
        "predict",
        dir.to_str().unwrap(),
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_owned(),
                f[1..].iter().map(|x| x.parse().unwrap()).collect(),
            )
        })
        .unzip()
}

pub(crate) fn run_client(
    py: &Path,
    addr: SocketAddr,
    model: &str,
    cols: &[(String, Vec<Value>)],
    sb: &Sandbox,
) -> Value {
    let file = sb.path().join(format!("{model}-columns.json"));
    let obj: serde_json::Map<String, Value> = cols
        .iter()
        .map(|(n, v)| (n.clone(), Value::Array(v.clone())))
        .collect();
    std::fs::write(&file, Value::Object(obj).to_string()).unwrap();
    let out = Command::new(py)
        .arg(common::root().join("tests/clients/oip_client.py"))
        .arg(addr.to_string())
        .arg(model)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "oip_client.py: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)))
}

#[test]
fn tritons_client_gets_what_lathe_predict_gives_in_binary_and_json() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            common::skip_or_fail(&why);
            return;
        }
    };
    let (sb, dir) = maintenance_bundle();
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 40);
    let cols = columns(&dir, &header, &rows);
    let (labels, probs) = predict(&sb, &dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let (code, ours) = post_json(server.addr, INFER, &json_request(&cols));
    assert_eq!(code, 200, "{ours}");
    let ours_p: Vec<f64> = ours["outputs"][1]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let got = run_client(&py, server.addr, MODEL, &cols, &sb);
    assert!(
        got["extensions"]
            .as_array()
            .unwrap()
            .contains(&json!("binary_tensor_data")),
        "{got}"
    );
    assert_eq!(got["inputs"]["machine_type"], "BYTES");
    assert_eq!(got["inputs"]["torque_nm"], "FP64");
    let forms = [
        ("binary", "binary", "binary"),
        ("json", "json", "json"),
        ("mixed", "binary", "json"),
    ];
    for (mode, pred_form, prob_form) in forms {
        let r = &got[mode];
        assert_eq!(r["forms"]["failure"], pred_form, "{mode}: {r}");
        assert_eq!(r["forms"]["probabilities"], prob_form, "{mode}: {r}");
        let served: Vec<&str> = r["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(served, labels, "{mode}");
        let p: Vec<Vec<f64>> = serde_json::from_value(r["probabilities"].clone()).unwrap();
        // Exactly the JSON protocol's numbers, and lathe predict's (as its CSV prints them).
        assert_eq!(p.concat(), ours_p, "{mode}");
        for (got, want) in p.concat().iter().zip(probs.concat()) {
            assert!(
                (got - want).abs() <= 1e-15 * want.abs().max(1.0),
                "{mode}: {got} vs {want}"
            );
        }
    }
    assert!(server.stop().success());
}

#[test]
fn tritons_client_reads_a_regressors_fp64_predictions() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            common::skip_or_fail(&why);
            return;
        }
    };
    let sb = Sandbox::sample();
    std::fs::write(
        sb.file("reg.toml"),
        "data = \"maintenance_reference.csv\"\ntarget = \"power_kw\"\n\
         ignore = [\"reading_id\", \"timestamp\", \"machine_id\", \"failure\"]\n\
         [[algorithms]]\nid = \"ridge\"\n",
    )
    .unwrap();
    let run = trained(
        &sb,
        "maintenance_reference.csv",
        "power_kw",
        &["--spec", "reg.toml"],
    );
    let dir = export(&sb, &run, &["--name", "power"]);
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 25);
    let cols = columns(&dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let (code, ours) = post_json(server.addr, "/v2/models/power/infer", &json_request(&cols));
    assert_eq!(code, 200, "{ours}");
    assert_eq!(ours["outputs"][0]["datatype"], "FP64");
    let got = run_client(&py, server.addr, "power", &cols, &sb);
    for mode in ["binary", "json", "mixed"] {
        assert_eq!(
            got[mode]["predictions"], ours["outputs"][0]["data"],
            "{mode}"
        );
        assert!(got[mode].get("probabilities").is_none());
    }
    assert_eq!(got["binary"]["forms"]["power_kw"], "binary");
    assert_eq!(got["json"]["forms"]["power_kw"], "json");
    assert!(server.stop().success());
}

#[test]
fn binary_tensors_score_as_their_json_and_outputs_come_as_asked() {
    let (sb, dir) = maintenance_bundle();
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 12);
    let cols = columns(&dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let a = server.addr;
    let req = json_request(&cols);
    let (code, want) = post_json(a, INFER, &req);
    assert_eq!(code, 200, "{want}");
    // Binary in, binary out (the request-wide flag), no Content-Type at all.
    let extra = json!({"id": "b-1", "parameters": {"binary_data_output": true}});
    let (body, len) = binary_request(&req, &extra);
    let hl = len.to_string();
    let (code, h, raw) = http_raw(a, INFER, &[("Inference-Header-Content-Length", &hl)], &body);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&raw));
    let got = decode_response(&h, &raw);
    assert_eq!(got["id"], "b-1");
    for i in 0..2 {
        assert_eq!(
            got["outputs"][i]["data"], want["outputs"][i]["data"],
            "output {i}"
        );
        assert_eq!(got["outputs"][i]["shape"], want["outputs"][i]["shape"]);
    }
    // Binary in as Triton's docs show it (octet-stream), JSON out.
    let (body, len) = binary_request(&req, &json!({}));
    let hl = len.to_string();
    let octet = ("Content-Type", "application/octet-stream");
    let (code, h, raw) = http_raw(
        a,
        INFER,
        &[octet, ("Inference-Header-Content-Length", &hl)],
        &body,
    );
    assert_eq!(code, 200);
    assert_eq!(get_header(&h, "content-type"), Some("application/json"));
    assert!(get_header(&h, "inference-header-content-length").is_none());
    let got: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(got["outputs"], want["outputs"]);
    // Only the outputs asked for, in the asked form.
    let ask = |outputs: Value| {
        let (body, len) = binary_request(&req, &json!({ "outputs": outputs }));
        let hl = len.to_string();
        http_raw(a, INFER, &[("Inference-Header-Content-Length", &hl)], &body)
    };
    let (code, h, raw) =
        ask(json!([{"name": "probabilities", "parameters": {"binary_data": true}}]));
    assert_eq!(code, 200);
    let got = decode_response(&h, &raw);
    assert_eq!(got["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(got["outputs"][0]["data"], want["outputs"][1]["data"]);
    let (code, h, raw) = ask(json!([{"name": "failure"}]));
    assert_eq!(code, 200);
    assert!(get_header(&h, "inference-header-content-length").is_none());
    let got: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(got["outputs"], json!([want["outputs"][0]]));
    // JSON requests pick outputs the same way.
    let mut only = req.clone();
    only["outputs"] = json!([{"name": "probabilities"}]);
    let (code, got) = post_json(a, INFER, &only);
    assert_eq!(code, 200, "{got}");
    assert_eq!(got["outputs"], json!([want["outputs"][1]]));
    for (outputs, says) in [
        (json!([{"name": "score"}]), "unknown output 'score'"),
        (json!([{"name": "failure"}, {"name": "failure"}]), "twice"),
        (
            json!([{"name": "failure", "parameters": {"classification": 2}}]),
            "classification",
        ),
        (
            json!([{"name": "failure", "parameters": {"binary_data": "yes"}}]),
            "true or false",
        ),
    ] {
        let mut r = req.clone();
        r["outputs"] = outputs;
        let (code, v) = post_json(a, INFER, &r);
        assert_eq!(code, 400, "{v}");
        assert!(error_of(&v).contains(says), "{v}");
    }
    assert!(server.stop().success());
}

#[test]
fn every_datatype_in_binary_scores_as_the_same_values_in_json() {
    let (sb, dir) = maintenance_bundle();
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 6);
    let cols = columns(&dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let a = server.addr;
    // tool_wear_min in every number type: its values fit them all once halved and rounded.
    let wear: Vec<Value> = cols
        .iter()
        .find(|c| c.0 == "tool_wear_min")
        .unwrap()
        .1
        .iter()
        .map(|v| json!((v.as_f64().unwrap() / 2.0).round() as i64 % 100))
        .collect();
    for dt in [
        "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "FP16", "FP32",
        "FP64",
    ] {
        let mut req = json_request(&cols);
        for t in req["inputs"].as_array_mut().unwrap() {
            if t["name"] == "tool_wear_min" {
                t["datatype"] = json!(dt);
                t["data"] = Value::Array(wear.clone());
            }
        }
        let (code, want) = post_json(a, INFER, &req);
        assert_eq!(code, 200, "{dt}: {want}");
        let (body, len) = binary_request(&req, &json!({}));
        let hl = len.to_string();
        let (code, h, raw) = http_raw(a, INFER, &[("Inference-Header-Content-Length", &hl)], &body);
        assert_eq!(code, 200, "{dt}: {}", String::from_utf8_lossy(&raw));
        assert_eq!(
            decode_response(&h, &raw)["outputs"],
            want["outputs"],
            "{dt}"
        );
    }
    // BOOL and BYTES where the model wants a number: the same refusal either way.
    for (dt, data) in [
        ("BOOL", json!(vec![true; 6])),
        ("BYTES", json!(vec!["7"; 6])),
    ] {
        let mut req = json_request(&cols);
        for t in req["inputs"].as_array_mut().unwrap() {
            if t["name"] == "torque_nm" {
                t["datatype"] = json!(dt);
                t["data"] = data.clone();
            }
        }
        let (code, want) = post_json(a, INFER, &req);
        assert_eq!(code, 400, "{dt}: {want}");
        let (body, len) = binary_request(&req, &json!({}));
        let hl = len.to_string();
        let (code, _, raw) = http_raw(a, INFER, &[("Inference-Header-Content-Length", &hl)], &body);
        assert_eq!(code, 400);
        let got: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(got, want, "{dt}");
    }
    assert!(server.stop().success());
}

/// Where each binary input's bytes sit after the header: name → range.
fn layout(header: &Value) -> Vec<(String, std::ops::Range<usize>)> {
    let mut at = 0;
    header["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let size = t["parameters"]["binary_data_size"].as_u64().unwrap() as usize;
            at += size;
            (t["name"].as_str().unwrap().to_owned(), at - size..at)
        })
        .collect()
}

#[test]
fn malformed_binary_bodies_are_400s_naming_the_tensor() {
    let (sb, dir) = maintenance_bundle();
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 2);
    let cols = columns(&dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let a = server.addr;
    let req = json_request(&cols);
    let (body, len) = binary_request(&req, &json!({}));
    let hl = len.to_string();
    let send = |body: &[u8], hl: &str| {
        let (code, _, raw) = http_raw(a, INFER, &[("Inference-Header-Content-Length", hl)], body);
        (code, String::from_utf8_lossy(&raw).into_owned())
    };
    assert_eq!(send(&body, &hl).0, 200);
    let head: Value = serde_json::from_slice(&body[..len]).unwrap();
    let places = layout(&head);
    let range = |name: &str| places.iter().find(|p| p.0 == name).unwrap().1.clone();
    let last = places.last().unwrap().0.clone();
    let bin = &body[len..];
    // The header with one tensor changed, and the binary part as given.
    let with = |tensor: &str, change: &dyn Fn(&mut Value), tail: &[u8]| -> (Vec<u8>, String) {
        let mut h = head.clone();
        for t in h["inputs"].as_array_mut().unwrap() {
            if t["name"] == tensor {
                change(t);
            }
        }
        let mut b = h.to_string().into_bytes();
        let l = b.len().to_string();
        b.extend_from_slice(tail);
        (b, l)
    };
    // The binary part with some bytes of one tensor replaced.
    let patched = |tensor: &str, at: usize, bytes: &[u8]| -> (Vec<u8>, String) {
        let mut tail = bin.to_vec();
        let start = range(tensor).start + at;
        tail[start..start + bytes.len()].copy_from_slice(bytes);
        with(tensor, &|_| {}, &tail)
    };
    let ihcl = "Inference-Header-Content-Length";
    let mut cases: Vec<(Vec<u8>, String, &str, &str)> = vec![
        (body.clone(), (body.len() + 1).to_string(), ihcl, "only"),
        (body.clone(), "0".into(), ihcl, "raw binary"),
        (body.clone(), "ten".into(), ihcl, "'ten'"),
        (body[..body.len() - 1].to_vec(), hl.clone(), &last, "only"),
        (
            [&body[..], b"xx"].concat(),
            hl.clone(),
            "inputs",
            "belong to no input",
        ),
    ];
    // (tensor, key — in its parameters for binary_data_size —, new value, what the error says)
    let changes = [
        (
            "torque_nm",
            "binary_data_size",
            json!(8),
            "2 FP64 elements (16 bytes)",
        ),
        ("torque_nm", "shape", json!([3]), "3 FP64 elements"),
        ("torque_nm", "data", json!([1.0, 2.0]), "both"),
        ("torque_nm", "binary_data_size", json!(1u64 << 40), "only"),
        ("torque_nm", "shape", json!([u64::MAX, 4]), "shape"),
        ("torque_nm", "datatype", json!("BF16"), "BF16"),
        ("machine_type", "shape", json!([1_000_000]), "at most"),
    ];
    for (tensor, key, value, says) in changes {
        let set = |t: &mut Value| {
            if key == "binary_data_size" {
                t["parameters"][key] = value.clone();
            } else {
                t[key] = value.clone();
            }
        };
        let (b, l) = with(tensor, &set, bin);
        cases.push((b, l, tensor, says));
    }
    // A BYTES length past its tensor, text that is not UTF-8, infinity.
    let (b, l) = patched("machine_type", 0, &200u32.to_le_bytes());
    cases.push((b, l, "machine_type", "cut short"));
    let (b, l) = patched("machine_type", 4, &[0xff]);
    cases.push((b, l, "machine_type", "not UTF-8"));
    let (b, l) = patched("torque_nm", 8, &f64::INFINITY.to_le_bytes());
    cases.push((b, l, "torque_nm", "element 1 is inf"));
    for (b, l, names, says) in &cases {
        let (code, t) = send(b, l);
        assert_eq!(code, 400, "{names}/{says}: {t}");
        let v: Value = serde_json::from_str(&t).unwrap();
        let e = error_of(&v);
        assert!(e.contains(names) && e.contains(says), "{names}/{says}: {e}");
    }
    // NaN is a missing value: scored as JSON's null is (these columns allow missing values).
    let (b, l) = patched("torque_nm", 0, &f64::NAN.to_le_bytes());
    let (code, t) = send(&b, &l);
    assert_eq!(code, 200, "{t}");
    let mut with_null = req.clone();
    for t in with_null["inputs"].as_array_mut().unwrap() {
        if t["name"] == "torque_nm" {
            t["data"][0] = Value::Null;
        }
    }
    let (code, want) = post_json(a, INFER, &with_null);
    assert_eq!(code, 200, "{want}");
    assert_eq!(
        serde_json::from_str::<Value>(&t).unwrap()["outputs"],
        want["outputs"]
    );
    assert!(server.stop().success());
}

#[test]
fn content_types_as_clients_send_them() {
    let (sb, dir) = maintenance_bundle();
    let (header, rows) = sample_rows(&sb, "maintenance_reference.csv", 5);
    let cols = columns(&dir, &header, &rows);
    let server = Server::start(&sb, &dir, &[]);
    let a = server.addr;
    let req = json_request(&cols).to_string();
    let (code, want) = post_json(a, INFER, &json_request(&cols));
    assert_eq!(code, 200);
    // No Content-Type, curl's default and JSON with a charset: JSON.
    for ct in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=utf-8"),
    ] {
        let h: Vec<(&str, &str)> = ct.map(|c| ("Content-Type", c)).into_iter().collect();
        let (code, body) = http(a, "POST", INFER, &h, req.as_bytes());
        assert_eq!(code, 200, "{ct:?}: {body}");
        let got: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(got["outputs"], want["outputs"]);
    }
    let records: Vec<Value> = (0..rows.len())
        .map(|r| {
            Value::Object(
                cols.iter()
                    .map(|(n, v)| (n.clone(), v[r].clone()))
                    .collect(),
            )
        })
        .collect();
    let mlflow = json!({ "dataframe_records": records }).to_string();
    let (code, body) = http(a, "POST", "/invocations", &[], mlflow.as_bytes());
    assert_eq!(code, 200, "{body}");
    let predictions: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(predictions["predictions"], want["outputs"][0]["data"]);
    // What clearly is not JSON: 415, saying what is taken.
    for (path, ct, says) in [
        (INFER, "text/html", "application/octet-stream"),
        ("/invocations", "text/html", "text/csv"),
        (INFER, "text/csv", "'text/csv'"),
        ("/invocations", "application/json; charset=latin-1", "UTF-8"),
    ] {
        let (code, body) = http(a, "POST", path, &[("Content-Type", ct)], req.as_bytes());
        assert_eq!(code, 415, "{path} {ct}: {body}");
        assert!(body.contains(says), "{path} {ct}: {body}");
    }
    let (code, body) = http(
        a,
        "POST",
        INFER,
        &[("Content-Encoding", "gzip")],
        req.as_bytes(),
    );
    assert_eq!(code, 415, "{body}");
    assert!(body.contains("uncompressed"), "{body}");
    // GET /v2 names the binary extension.
    let (code, body) = http(a, "GET", "/v2", &[], b"");
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["extensions"], json!(["binary_tensor_data"]));
    // CSV on /invocations: pandas' to_csv (an unnamed index column, quoting), extra columns
    // of the file refused by name.
    let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    let mut csv = format!(",{}\n", names.join(","));
    for r in 0..rows.len() {
        let cells: Vec<String> = cols
            .iter()
            .map(|(_, v)| match &v[r] {
                Value::String(s) => format!("\"{s}\""),
                x => x.to_string(),
            })
            .collect();
        csv.push_str(&format!("{r},{}\n", cells.join(",")));
    }
    let ct = ("Content-Type", "text/csv");
    let (code, body) = http(a, "POST", "/invocations", &[ct], csv.as_bytes());
    assert_eq!(code, 200, "{body}");
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got, predictions);
    let bad = csv.replacen(",31.5,", ",heavy,", 1);
    assert_ne!(bad, csv, "the first row's torque is 31.5");
    let (code, body) = http(a, "POST", "/invocations", &[ct], bad.as_bytes());
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("line 2, column 'torque_nm': 'heavy' is not a number"),
        "{body}"
    );
    let short = format!("{csv}9,1.0\n");
    let (code, body) = http(a, "POST", "/invocations", &[ct], short.as_bytes());
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains(&format!("line {}: 2 cells", rows.len() + 2)),
        "{body}"
    );
    let (code, body) = http(a, "POST", "/invocations", &[ct], b"colour\nred\n");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("unknown column 'colour'"), "{body}");
    assert!(server.stop().success());
}
