#!/usr/bin/env bash
# Serving benchmark (issue 6): lathe-serve and `lathe predict` side by side with peer-bench's serving peers.
#
#   (cd ../peer-bench && JOBS="serve_mlflow serve_mlserver batch_predict_sklearn" ./run.sh)   # the peers first
#   benches/serve.sh                                                                         # then lathe
#
# What it does, with peer-bench's data, request row and load settings:
#  1. builds `lathe` (cargo build --release --locked) and the static, serve-only `lathe-serve` (into
#     target/serve-static: the bench runs the server binary itself, outside a bundle);
#  2. trains logistic regression in a temporary project on ../peer-bench/data/maint_100k.parquet (the file and
#     the 22 raw columns peer-bench's sklearn model is fitted on: 20 numbers + machine_type, site; target failure)
#     and exports it as the bundle `maint-logreg` (with --oci when IMAGE=1);
#  3. starts the static lathe-serve on a free loopback port and POSTs the held-out row the peers get
#     (../peer-bench/serve/body_*.json, decoded back to raw columns): to /v2/models/maint-logreg/infer as one
#     tensor per column (FP64 numbers, BYTES text), and to /invocations as MLflow's dataframe_split;
#  4. drives each endpoint with wrk exactly as peer-bench does (its wrk_post.lua, -t2 -c16, --timeout 2s, a 3 s
#     warm-up then REPS=3 runs of 20 s with --latency, median reported), reading the server's RSS (VmRSS) before
#     and after every run and its peak (VmHWM) from /proc/PID/status, and its CPU time;
#  5. times `lathe predict` of data/maint_1m.csv end to end (read, encode, predict, write CSV; a new process per
#     rep, bundle load included) under /usr/bin/time -v, and benches/predict_peer.py (scikit-learn: read_csv +
#     encode + predict + to_csv of the same file, in ../peer-bench/venv) the same way;
#  6. with IMAGE=1 (default when podman is installed): loads the OCI archive with podman and reads its size;
#  7. prints one table, with the peers' numbers from ../peer-bench/results/ and the ratios.
#
# Before every measurement it waits (up to LOAD_WAIT=600 s) for the 1-minute load average to fall below
# LOAD_MAX=0.8 and records it. Results: target/serve-bench/results.json, logs beside it.
# Env: PEER_BENCH (../peer-bench), REPS=3, WRK_THREADS=2 WRK_CONNS=16 WRK_DURATION=20 WRK_WARMUP=3
# WRK_TIMEOUT=2s (peer-bench's names and defaults), LOAD_MAX, LOAD_WAIT, IMAGE=0|1, BUILD=0 (use built
# binaries), KEEP=1 (keep the temporary project).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEER=$(cd "${PEER_BENCH:-$ROOT/../peer-bench}" 2>/dev/null && pwd) || {
  echo "serve.sh: peer-bench not found at ${PEER_BENCH:-$ROOT/../peer-bench}." >&2
  echo "  get it: cp -r ../shared/peer-bench ../peer-bench && (cd ../peer-bench && JOBS=\"serve_mlflow serve_mlserver batch_predict_sklearn\" ./run.sh)" >&2
  exit 2
}
REPS=${REPS:-3}
WRK_THREADS=${WRK_THREADS:-2} WRK_CONNS=${WRK_CONNS:-16} WRK_DURATION=${WRK_DURATION:-20}
WRK_WARMUP=${WRK_WARMUP:-3} WRK_TIMEOUT=${WRK_TIMEOUT:-2s}
LOAD_MAX=${LOAD_MAX:-0.8} LOAD_WAIT=${LOAD_WAIT:-600}
export WRK_THREADS WRK_CONNS WRK_DURATION WRK_WARMUP WRK_TIMEOUT
BUILD=${BUILD:-1} KEEP=${KEEP:-0}
if [ -z "${IMAGE:-}" ]; then if command -v podman >/dev/null; then IMAGE=1; else IMAGE=0; fi; fi
NAME=maint-logreg
OUT=$ROOT/target/serve-bench
LUA=$PEER/wrk_post.lua
PY=$PEER/venv/bin/python

die() { echo "serve.sh: $*" >&2; exit 2; }

# ---------------------------------------------------------------- what it needs
command -v wrk >/dev/null || die "wrk is not installed: apt-get install -y wrk (peer-bench's setup.sh does it as root)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install -y time"
command -v curl >/dev/null || die "curl is not installed: apt-get install -y curl"
for f in data/maint_100k.parquet data/maint_1m.csv wrk_post.lua venv/bin/python; do
  [ -e "$PEER/$f" ] || die "$PEER/$f is missing: run peer-bench's serving jobs first (cd $PEER && JOBS=\"serve_mlflow serve_mlserver batch_predict_sklearn\" ./run.sh), which makes the venvs and the data"
done
for f in serve/body_v2.json serve/body_invocations.json serve/model_info.json serve/mlserver/$NAME/model.joblib; do
  [ -e "$PEER/$f" ] || die "$PEER/$f is missing: run (cd $PEER && venv-serve/bin/python serve_bench.py prepare), or the peers' serving jobs"
done

SERVER_PID="" WORK="" IMAGE_REF=""
podman_() {
  CONTAINERS_CONF=$WORK/containers.conf podman --runtime runc --storage-driver vfs "$@"
}
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$IMAGE_REF" ]; then podman_ rmi -f "$IMAGE_REF" >/dev/null 2>&1 || true; fi
  if [ -n "$WORK" ] && [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi
  [ "$KEEP" = 1 ] && [ -n "$WORK" ] && echo "kept $WORK" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wait until the machine is quiet; print the 1-minute load average it started at.
wait_quiet() {
  local what=$1 t0=$SECONDS l
  while :; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v l="$l" -v m="$LOAD_MAX" 'BEGIN{exit !(l < m)}'; then break; fi
    if (( SECONDS - t0 >= LOAD_WAIT )); then
      echo "WARNING: load average still $l (>= $LOAD_MAX) after ${LOAD_WAIT}s; measuring $what anyway" >&2
      break
    fi
    sleep 5
  done
  echo "$what $l $((SECONDS - t0))" >> "$OUT/load.txt"
  echo "$l"
}

# ---------------------------------------------------------------- build
cd "$ROOT"
rm -rf "$OUT"; mkdir -p "$OUT"
STATIC_TARGET=$ROOT/target/serve-static
LATHE=$ROOT/target/release/lathe
SERVE_BIN=$STATIC_TARGET/x86_64-unknown-linux-gnu/release/lathe-serve
if [ "$BUILD" = 1 ]; then
  echo "== building lathe (release) and the static lathe-serve" >&2
  cargo build --release --locked --bin lathe >&2
  CARGO_TARGET_DIR=$STATIC_TARGET RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu --no-default-features --features serve \
    --bin lathe-serve >&2
fi
[ -x "$LATHE" ] || die "$LATHE is missing (run without BUILD=0)"
[ -x "$SERVE_BIN" ] || die "$SERVE_BIN is missing (run without BUILD=0)"

# ---------------------------------------------------------------- train and export
WORK=$(mktemp -d /tmp/lathe-serve-bench.XXXXXX)
echo "== training logistic regression on maint_100k (project $WORK/proj)" >&2
"$LATHE" init "$WORK/proj" --name serve-bench >/dev/null
# peer-bench drops nothing but the label: all 22 raw columns are features (no id or time column to --ignore).
"$LATHE" --project "$WORK/proj" train --data "$PEER/data/maint_100k.parquet" --target failure \
  --algorithms logistic_regression --folds 2 --yes --json > "$OUT/train.json"
RUN=$("$PY" - "$OUT/train.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ok = [r for r in d["runs"] if r.get("has_model") and r.get("status") == "done"] or \
     [r for r in d["runs"] if r.get("has_model")]
if not ok:
    sys.exit("no run with a model in train.json")
m = d["metric"]
best = max(ok, key=lambda r: (r["metrics"].get(m) or {}).get("mean") or float("-inf"))
print(best["run_id"])
EOF
)
OCI_FLAG=(); [ "$IMAGE" = 1 ] && OCI_FLAG=(--oci)
"$LATHE" --project "$WORK/proj" bundle export "$RUN" --server-binary "$SERVE_BIN" --name "$NAME" \
  --out "$WORK/bundle" "${OCI_FLAG[@]}" --json > "$OUT/export.json"
BUNDLE=$WORK/bundle

# ---------------------------------------------------------------- request bodies: the peers' held-out row, raw
"$PY" - "$PEER" "$BUNDLE/bundle.json" "$OUT" <<'EOF'
import json, os, sys
peer, manifest, out = sys.argv[1:]
inv = json.load(open(os.path.join(peer, "serve", "body_invocations.json")))["dataframe_split"]
meta = json.load(open(os.path.join(peer, "data", "meta.json")))
enc = dict(zip(inv["columns"], inv["data"][0]))             # 20 numbers + one-hot machine_type_*, site_*
row = {c: enc[c] for c in meta["numeric"]}
for c in meta["categorical"]:
    hot = [k[len(c) + 1:] for k, v in enc.items() if k.startswith(c + "_") and v == 1.0]
    assert len(hot) == 1, (c, hot)
    row[c] = hot[0]
inputs = json.load(open(manifest))["inputs"]
names = [f["name"] for f in inputs]
if sorted(names) != sorted(row):
    sys.exit(f"the bundle's inputs {names} are not peer-bench's raw columns {sorted(row)}")
def num(v):                                                   # 1621.0 -> 1621 as in the CSV
    return int(v) if float(v).is_integer() else v
v2 = {"inputs": [
    {"name": n, "shape": [1], "datatype": "BYTES", "data": [row[n]]} if isinstance(row[n], str) else
    {"name": n, "shape": [1], "datatype": "FP64", "data": [num(row[n])]} for n in names]}
mlflow = {"dataframe_split": {"columns": names, "data": [[row[n] if isinstance(row[n], str) else num(row[n])
                                                          for n in names]]}}
for k, b in (("v2", v2), ("invocations", mlflow)):
    with open(os.path.join(out, f"body_{k}.json"), "w") as fh:
        json.dump(b, fh, separators=(",", ":"))
json.dump(row, open(os.path.join(out, "row.json"), "w"))
EOF

# ---------------------------------------------------------------- serve
status() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }   # kB
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
echo "== starting $SERVE_BIN" >&2
"$SERVE_BIN" "$BUNDLE" --host 127.0.0.1 --port 0 > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 100); do
  PORT=$(sed -n 's#.* on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$OUT/server.log" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "lathe-serve exited at start"; }
  sleep 0.1
done
[ -n "$PORT" ] || die "lathe-serve did not say which port it listens on (see $OUT/server.log)"
BASE=http://127.0.0.1:$PORT
curl -fsS "$BASE/v2/models/$NAME/ready" >/dev/null || die "$BASE/v2/models/$NAME/ready did not answer 200"
declare -A URL=([v2]="$BASE/v2/models/$NAME/infer" [invocations]="$BASE/invocations")
WANT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected_prediction"])' "$PEER/serve/model_info.json")
for ep in v2 invocations; do
  curl -fsS -H 'Content-Type: application/json' --data-binary "@$OUT/body_$ep.json" "${URL[$ep]}" \
    > "$OUT/answer_$ep.json" || die "POST ${URL[$ep]} failed: $(cat "$OUT/answer_$ep.json")"
done
echo "$(status "$SERVER_PID" VmRSS)" > "$OUT/rss_idle_kb"
CLK=$(getconf CLK_TCK)

machine_cpu() { awk 'NR==1{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }   # busy total (jiffies)
# run_wrk ENDPOINT TAG SECONDS [--latency]
run_wrk() {
  local ep=$1 tag=$2 secs=$3; shift 3
  local f=$OUT/wrk_$ep.$tag
  local c0 c1 m0 m1
  c0=$(cpu_ticks "$SERVER_PID"); read -r m0b m0t < <(machine_cpu)
  /usr/bin/time -f '%U %S %e' -o "$f.time" \
    wrk "-t$WRK_THREADS" "-c$WRK_CONNS" "-d${secs}s" --timeout "$WRK_TIMEOUT" "$@" -s "$LUA" "${URL[$ep]}" \
    -- "$OUT/body_$ep.json" > "$f.txt" 2>&1 || { cat "$f.txt" >&2; die "wrk failed on ${URL[$ep]}"; }
  c1=$(cpu_ticks "$SERVER_PID"); read -r m1b m1t < <(machine_cpu)
  kill -0 "$SERVER_PID" 2>/dev/null || die "lathe-serve died under load (see $OUT/server.log)"
  { grep '^WRK_JSON ' "$f.txt" | sed 's/^WRK_JSON //'
    printf '{"server_cpu_s":%s,"wrk_cpu":"%s","machine_busy_jiffies":%s,"machine_total_jiffies":%s,' \
      "$(echo "scale=3; ($c1-$c0)/$CLK" | bc)" "$(cat "$f.time")" "$((m1b-m0b))" "$((m1t-m0t))"
    printf '"rss_after_kb":%s,"hwm_after_kb":%s}\n' "$(status "$SERVER_PID" VmRSS)" "$(status "$SERVER_PID" VmHWM)"
  } > "$f.json"
}

for ep in v2 invocations; do
  l=$(wait_quiet "serve_$ep")
  echo "== wrk on ${URL[$ep]} (load average $l)" >&2
  echo "$(status "$SERVER_PID" VmRSS)" > "$OUT/rss_before_${ep}_kb"
  run_wrk "$ep" warmup "$WRK_WARMUP"
  for i in $(seq "$REPS"); do run_wrk "$ep" "run$i" "$WRK_DURATION" --latency; done
done
echo "$(status "$SERVER_PID" VmRSS) $(status "$SERVER_PID" VmHWM) $(status "$SERVER_PID" Threads)" > "$OUT/rss_end_kb"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

# ---------------------------------------------------------------- batch: lathe predict vs scikit-learn
PRED_OUT=$WORK/predictions.csv
l=$(wait_quiet predict_lathe)
echo "== lathe predict of maint_1m.csv x$REPS (load average $l)" >&2
for i in $(seq "$REPS"); do
  /usr/bin/time -v -o "$OUT/predict_lathe.$i.time" \
    "$LATHE" predict "$BUNDLE" "$PEER/data/maint_1m.csv" --out "$PRED_OUT" 2> "$OUT/predict_lathe.$i.log" \
    || { cat "$OUT/predict_lathe.$i.log" >&2; die "lathe predict failed"; }
done
head -3 "$PRED_OUT" > "$OUT/predict_lathe.head"; stat -c %s "$PRED_OUT" > "$OUT/predict_lathe.bytes"
"$PY" - "$PRED_OUT" "$PEER/data/maint_1m.csv" > "$OUT/predict_lathe.check.json" <<'EOF'
import json, sys
import pandas as pd
p = pd.read_csv(sys.argv[1], dtype={"prediction": str})
y = pd.read_csv(sys.argv[2], usecols=["failure"])["failure"].astype(str)
print(json.dumps({"rows": len(p), "columns": list(p.columns), "accuracy_1m": float((p["prediction"] == y).mean())}))
EOF
rm -f "$PRED_OUT"

l=$(wait_quiet predict_peer)
echo "== scikit-learn read_csv + encode + predict + to_csv x$REPS (load average $l)" >&2
/usr/bin/time -v -o "$OUT/predict_peer.time" "$PY" "$ROOT/benches/predict_peer.py" "$PEER" --reps "$REPS" \
  --out "$WORK/peer_predictions.csv" --json "$OUT/predict_peer.json" > "$OUT/predict_peer.log" 2>&1 \
  || { cat "$OUT/predict_peer.log" >&2; die "benches/predict_peer.py failed"; }
head -3 "$WORK/peer_predictions.csv" > "$OUT/predict_peer.head"; rm -f "$WORK/peer_predictions.csv"

# ---------------------------------------------------------------- image size
if [ "$IMAGE" = 1 ]; then
  command -v podman >/dev/null || die "IMAGE=1 needs podman: apt-get install -y podman runc"
  printf '[containers]\ndefault_ulimits = []\n' > "$WORK/containers.conf"
  OCI=$(ls "$WORK"/bundle*.oci.tar "$BUNDLE"/*.oci.tar 2>/dev/null | head -1 || true)
  [ -n "$OCI" ] || OCI=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["bundle"]; print((d.get("oci") or [""])[0])' "$OUT/export.json")
  [ -f "$OCI" ] || die "export --oci wrote no archive (see $OUT/export.json)"
  ref=localhost/$NAME:$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$BUNDLE/bundle.json")
  if podman_ image exists "$ref"; then
    echo "WARNING: $ref is already in podman's store; not replacing it, image size not measured" >&2
  else
    podman_ load -i "$OCI" > "$OUT/podman_load.txt" 2>&1 || { cat "$OUT/podman_load.txt" >&2; die "podman load failed"; }
    IMAGE_REF=$ref
    podman_ image inspect --format '{{.Size}}' "$ref" > "$OUT/image_bytes"
    stat -c %s "$OCI" > "$OUT/oci_archive_bytes"
    podman_ rmi -f "$ref" > /dev/null && IMAGE_REF=""
  fi
fi

# ---------------------------------------------------------------- summary
"$PY" - "$OUT" "$PEER" "$REPS" <<'EOF'
import glob, json, os, statistics, sys, time
out, peer, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = statistics.median
x = lambda r: f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"
kb = lambda p: int(open(os.path.join(out, p)).read().split()[0])

def wrk(ep):
    runs = []
    for i in range(1, reps + 1):
        w, x = (json.loads(l) for l in open(os.path.join(out, f"wrk_{ep}.run{i}.json")).read().splitlines())
        u, s, e = (float(v) for v in x["wrk_cpu"].split())
        secs = w["duration_us"] / 1e6
        busy = 100 * x["machine_busy_jiffies"] / max(x["machine_total_jiffies"], 1)
        runs.append({"req_per_s": w["requests"] / secs, "p50_ms": w["latency_us"]["p50"] / 1000,
                     "p90_ms": w["latency_us"]["p90"] / 1000, "p99_ms": w["latency_us"]["p99"] / 1000,
                     "max_ms": w["latency_us"]["max"] / 1000, "requests": w["requests"],
                     "errors": sum(w["errors"].values()), "server_cpu_s": x["server_cpu_s"],
                     "server_cpu_pct_of_2_cores": 100 * x["server_cpu_s"] / secs / os.cpu_count(),
                     "wrk_cpu_pct_of_2_cores": 100 * (u + s) / e / os.cpu_count(),
                     "other_cpu_pct_of_2_cores": busy - 100 * (x["server_cpu_s"] + u + s) / e / os.cpu_count(),
                     "rss_after_mb": x["rss_after_kb"] / 1024, "hwm_after_mb": x["hwm_after_kb"] / 1024})
    n = sum(r["requests"] for r in runs)
    return {"req_per_s": med(r["req_per_s"] for r in runs), "p50_ms": med(r["p50_ms"] for r in runs),
            "p90_ms": med(r["p90_ms"] for r in runs), "p99_ms": med(r["p99_ms"] for r in runs),
            "errors_total": sum(r["errors"] for r in runs),
            "server_cpu_ms_per_request": 1000 * sum(r["server_cpu_s"] for r in runs) / max(n, 1),
            "rss_before_mb": kb(f"rss_before_{ep}_kb") / 1024, "runs": runs}

load = {l.split()[0]: {"loadavg_1m": float(l.split()[1]), "waited_s": int(l.split()[2])}
        for l in open(os.path.join(out, "load.txt"))}
rss_end, hwm_end, threads = (int(v) for v in open(os.path.join(out, "rss_end_kb")).read().split())
serve = {ep: wrk(ep) for ep in ("v2", "invocations")}
for ep in serve:
    serve[ep]["loadavg_1m_before"] = load[f"serve_{ep}"]["loadavg_1m"]
    serve[ep]["answer"] = json.load(open(os.path.join(out, f"answer_{ep}.json")))

def tv(path):
    d = {}
    for line in open(path):
        k, _, v = line.strip().rpartition(": ")
        d[k] = v
    w = d["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
    return {"wall_s": wall, "peak_rss_mb": int(d["Maximum resident set size (kbytes)"]) / 1024,
            "user_s": float(d["User time (seconds)"]), "sys_s": float(d["System time (seconds)"])}

lp = [tv(p) for p in sorted(glob.glob(os.path.join(out, "predict_lathe.*.time")))]
lathe_pred = {"median_s": med(r["wall_s"] for r in lp), "times_s": [r["wall_s"] for r in lp],
              "peak_rss_mb": max(r["peak_rss_mb"] for r in lp), "runs": lp,
              "check": json.load(open(os.path.join(out, "predict_lathe.check.json"))),
              "out_bytes": int(open(os.path.join(out, "predict_lathe.bytes")).read()),
              "loadavg_1m_before": load["predict_lathe"]["loadavg_1m"],
              "timing": "wall time of each `lathe predict` process (start, bundle load, read, encode, predict, "
                        "write CSV), median"}
peer_pred = json.load(open(os.path.join(out, "predict_peer.json")))
peer_pred["process"] = tv(os.path.join(out, "predict_peer.time"))
peer_pred["loadavg_1m_before"] = load["predict_peer"]["loadavg_1m"]
image = None
if os.path.exists(os.path.join(out, "image_bytes")):
    image = {"podman_size_bytes": int(open(os.path.join(out, "image_bytes")).read()),
             "oci_archive_bytes": int(open(os.path.join(out, "oci_archive_bytes")).read())}
res = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "serve": serve,
       "server": {"idle_rss_mb": kb("rss_idle_kb") / 1024, "rss_end_mb": rss_end / 1024,
                  "peak_rss_mb": hwm_end / 1024, "threads": threads},
       "predict": {"lathe": lathe_pred, "scikit-learn": peer_pred}, "image": image,
       "load": {"threads": int(os.environ.get("WRK_THREADS", 2)), "connections": int(os.environ.get("WRK_CONNS", 16)),
                "duration_s": int(os.environ.get("WRK_DURATION", 20)), "warmup_s": int(os.environ.get("WRK_WARMUP", 3)),
                "reps": reps}, "loadavg": load}

peers = {}
for key in ("serve_mlflow", "serve_mlserver"):
    p = os.path.join(peer, "results", key + ".json")
    if os.path.exists(p):
        d = json.load(open(p))
        d["_age_min"] = (time.time() - os.path.getmtime(p)) / 60
        peers[key] = d
pb = os.path.join(peer, "results", "batch_predict_sklearn.json")
res["peers"] = {k: {f: v.get(f) for f in ("req_per_s", "p50_ms", "p99_ms", "errors_total", "server_peak_rss_tree_mb",
                                          "server_idle_rss_tree_mb", "other_cpu_pct_of_2_cores",
                                          "loadavg_1m_before_load", "_age_min")} for k, v in peers.items()}
json.dump(res, open(os.path.join(out, "results.json"), "w"), indent=1)

srv = res["server"]
rows = [("lathe-serve  /v2/models/maint-logreg/infer", serve["v2"], srv["peak_rss_mb"], serve["v2"]["rss_before_mb"],
         serve["v2"]["runs"][-1]["rss_after_mb"], serve["v2"]["loadavg_1m_before"]),
        ("lathe-serve  /invocations", serve["invocations"], srv["peak_rss_mb"],
         serve["invocations"]["rss_before_mb"], serve["invocations"]["runs"][-1]["rss_after_mb"],
         serve["invocations"]["loadavg_1m_before"])]
label = {"serve_mlflow": "mlflow models serve  /invocations", "serve_mlserver": "MLServer  /v2/.../infer"}
for k, d in peers.items():
    rows.append((label[k] + f" (peer-bench, {d['_age_min']:.0f} min ago)", d, d["server_peak_rss_tree_mb"],
                 d["server_idle_rss_tree_mb"], None, d.get("loadavg_1m_before_load")))
print()
print(f"Serving: wrk -t{res['load']['threads']} -c{res['load']['connections']} -d{res['load']['duration_s']}s "
      f"--timeout {os.environ.get('WRK_TIMEOUT', '2s')} --latency, {reps} runs after a {res['load']['warmup_s']} s warm-up, medians; "
      f"single held-out row (peer-bench's), loopback")
print(f"{'server / endpoint':<58} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
      f"{'RSS before→after MiB':>21} {'peak MiB':>8} {'load1':>5} {'other%':>6}")
for ep in serve:
    serve[ep]["other_cpu_pct_of_2_cores"] = med(r["other_cpu_pct_of_2_cores"] for r in serve[ep]["runs"])
for name, d, peak, before, after, l in rows:
    ba = f"{before:.1f}→{after:.1f}" if after is not None else f"{before:.0f} (idle)"
    o = d.get("other_cpu_pct_of_2_cores")
    print(f"{name:<58} {d['req_per_s']:>9,.0f} {d['p50_ms']:>7.2f} {d['p99_ms']:>7.2f} {d['errors_total']:>6} "
          f"{ba:>21} {peak:>8.1f} {('%.2f' % l) if l is not None else '?':>5} {('%.0f' % o) if o is not None else '?':>6}")
print(f"lathe-serve: idle RSS {srv['idle_rss_mb']:.1f} MiB, after both endpoints {srv['rss_end_mb']:.1f} MiB, "
      f"peak (VmHWM) {srv['peak_rss_mb']:.1f} MiB, {srv['threads']} threads; CPU per request "
      f"{serve['v2']['server_cpu_ms_per_request']:.3f} ms (v2) / {serve['invocations']['server_cpu_ms_per_request']:.3f} ms "
      f"(invocations); other CPU during runs: "
      + ", ".join(f"{r['other_cpu_pct_of_2_cores']:.0f}%" for ep in serve for r in serve[ep]["runs"]))
for ep, peer_key in (("invocations", "serve_mlflow"), ("v2", "serve_mlserver")):
    if peer_key in peers:
        d, me = peers[peer_key], serve[ep]
        print(f"  lathe {ep} vs {label[peer_key].split('  ')[0]:<20}: {x(me['req_per_s'] / d['req_per_s'])} the req/s, "
              f"p99 {x(d['p99_ms'] / me['p99_ms'])} lower, peak memory {x(d['server_peak_rss_tree_mb'] / srv['peak_rss_mb'])} lower")
goal = lambda ok: "ok" if ok else "MISSED"
want = json.load(open(os.path.join(peer, "serve", "model_info.json")))["expected_prediction"]
got = {"v2": serve["v2"]["answer"]["outputs"][0]["data"][0], "invocations": serve["invocations"]["answer"]["predictions"][0]}
print(f"  answers for the held-out row: v2 {got['v2']!r}, invocations {got['invocations']!r} "
      f"(the peers' model: {want!r})" + ("" if all(str(g) == str(want) for g in got.values()) else "  DIFFERENT"))
for ep in serve:
    print(f"  goal {ep}: >= 20,000 req/s {goal(serve[ep]['req_per_s'] >= 20000)}, p99 < 5 ms {goal(serve[ep]['p99_ms'] < 5)}")
print()
print("Batch scoring of maint_1m.csv (1,000,000 rows): read + encode + predict + write CSV, median of "
      f"{reps}")
pp = peer_pred
print(f"  lathe predict (whole process)      {lathe_pred['median_s']:7.2f} s   peak RSS {lathe_pred['peak_rss_mb']:7.1f} MiB   "
      f"load1 {lathe_pred['loadavg_1m_before']:.2f}   accuracy {lathe_pred['check']['accuracy_1m']:.4f}")
print(f"  scikit-learn (timed section)       {pp['median_s']:7.2f} s   peak RSS {pp['process']['peak_rss_mb']:7.1f} MiB   "
      f"load1 {pp['loadavg_1m_before']:.2f}   accuracy {pp['accuracy_1m']:.4f}")
print(f"    = read_csv {pp['read_csv_median_s']:.2f} + encode {pp['encode_median_s']:.2f} + predict "
      f"{pp['predict_median_s']:.2f} + to_csv {pp['to_csv_median_s']:.2f} s")
if os.path.exists(pb):
    b = json.load(open(pb))
    print(f"  (peer-bench batch_predict_sklearn, predict only: read_csv {b['read_csv_median_s']:.2f} + encode "
          f"{b['encode_median_s']:.2f} + predict {b['median_s']:.2f} s, no write; "
          f"{(time.time() - os.path.getmtime(pb)) / 60:.0f} min ago)")
print(f"  lathe / scikit-learn: time {lathe_pred['median_s'] / pp['median_s']:.2f}x, peak memory "
      f"{lathe_pred['peak_rss_mb'] / pp['process']['peak_rss_mb']:.2f}x  "
      f"({goal(lathe_pred['median_s'] <= pp['median_s'])}: no slower)")
if image:
    mb = image["podman_size_bytes"] / 1e6
    print(f"\nImage: {mb:.1f} MB uncompressed (podman image inspect .Size), OCI archive "
          f"{image['oci_archive_bytes'] / 1e6:.1f} MB; goal < 30 MB {goal(mb < 30)}")
print(f"\nresults: {os.path.join(out, 'results.json')}")
EOF
