#!/usr/bin/env bash
# Explanation latency (issue 22): one-row `POST /v1/models/{name}:explain` on a 100-tree random forest,
# p50/p90/p99 over sequential requests on one keep-alive connection. Run by hand, not in CI.
#
#   benches/serve_explain.sh
#
# What it does:
#  1. builds the release, serve-only `lathe-serve` (cargo build --release --no-default-features --features
#     serve; no polars, so minutes, not the full lathe's quarter hour) unless BUILD=0; `lathe` itself (to
#     train and export) is LATHE=path, else target/release/lathe, else target/debug/lathe;
#  2. trains random_forest (n_trees=100, max_depth=10: the defaults) in a temporary project on DATA
#     (default ../peer-bench/data/maint_100k.csv, peer-bench's 100k table; else the sample project's
#     maintenance_reference.csv) with 2 folds, and exports it as the bundle `explain-bench`;
#  3. starts lathe-serve on a free loopback port and sends REQUESTS=2000 one-row :explain requests (each a
#     row of the data, in turn) after WARMUP=200, from a Python (stdlib http.client) keep-alive client, timing
#     each request from send to the parsed answer; also the same rows to :predict for comparison;
#  4. prints p50, p90, p99 and max in ms, the additivity check, and writes target/explain-bench/results.json.
# Env: DATA, LATHE, BUILD=0|1, REQUESTS, WARMUP, KEEP=1 (keep the temporary project), BUNDLE=DIR (serve this
# bundle, exported from DATA, instead of training one; its name must be explain-bench).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTS=${REQUESTS:-2000} WARMUP=${WARMUP:-200} BUILD=${BUILD:-1} KEEP=${KEEP:-0}
OUT=$ROOT/target/explain-bench
NAME=explain-bench
die() { echo "serve_explain.sh: $*" >&2; exit 2; }

DATA=${DATA:-}
if [ -z "$DATA" ]; then
  for d in "$ROOT/../peer-bench/data/maint_100k.csv" "$ROOT/../shared/peer-bench/data/maint_100k.csv" \
           "$ROOT/sample-data/maintenance_reference.csv"; do
    if [ -f "$d" ]; then DATA=$d; break; fi
  done
fi
[ -f "$DATA" ] || die "no data: set DATA to a maintenance CSV (target 'failure')"
DATA=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")

if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && LATHE_EMBED_SERVER=0 nice cargo build --release --locked --no-default-features \
    --features serve --bin lathe-serve)
fi
SERVE=$ROOT/target/release/lathe-serve
[ -x "$SERVE" ] || die "$SERVE is missing: run with BUILD=1"
LATHE=${LATHE:-}
if [ -z "$LATHE" ]; then
  if [ -x "$ROOT/target/release/lathe" ]; then LATHE=$ROOT/target/release/lathe; else LATHE=$ROOT/target/debug/lathe; fi
fi
[ -x "$LATHE" ] || die "no lathe binary: cargo build --locked (or set LATHE)"

mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- train and export
mkdir -p "$WORK/project"
cd "$WORK/project"
export LATHE_CONFIG_DIR=$WORK/config LATHE_DATA_DIR=$WORK/data
cp "$DATA" data.csv
if [ -z "${BUNDLE:-}" ]; then
  "$LATHE" init --name "$NAME" >/dev/null
  IGNORE=$(head -1 data.csv | tr ',' '\n' | grep -xE 'reading_id|timestamp|machine_id' | paste -sd, - || true)
  echo "training a 100-tree forest on $DATA with $LATHE ..." >&2
  ARGS=(train --data data.csv --target failure --algorithms random_forest --folds 2 --json)
  [ -n "$IGNORE" ] && ARGS+=(--ignore "$IGNORE")
  RUN=$("$LATHE" "${ARGS[@]}" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(r["run_id"] for r in d["runs"] if r["has_model"]))')
  BUNDLE=$("$LATHE" bundle export "$RUN" --name "$NAME" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle"]["dir"])')
fi

# ---------------------------------------------------------------- serve
"$SERVE" "$BUNDLE" --port 0 2> "$OUT/server.log" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 100); do
  ADDR=$(grep -o 'http://[0-9.:]*' "$OUT/server.log" | head -1 | sed 's|http://||' || true)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || die "the server did not start: $(cat "$OUT/server.log")"

# ---------------------------------------------------------------- measure
python3 - "$ADDR" "$NAME" "$BUNDLE/bundle.json" data.csv "$REQUESTS" "$WARMUP" "$OUT/results.json" <<'PY'
import csv, http.client, json, sys, time
addr, name, manifest, data, n, warm, out = sys.argv[1:8]
n, warm = int(n), int(warm)
m = json.load(open(manifest))
inputs = [(f["name"], f["kind"]) for f in m["inputs"]]
rows = []
with open(data, newline="") as f:
    for r in csv.DictReader(f):
        inst = {}
        for c, kind in inputs:
            v = r.get(c, "")
            inst[c] = None if v == "" else (float(v) if kind == "number" else v)
        rows.append(inst)
        if len(rows) >= n + warm:
            break
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
def post(verb, inst):
    body = json.dumps({"instances": [inst]})
    t = time.perf_counter()
    conn.request("POST", f"/v1/models/{name}:{verb}", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    doc = json.loads(r.read())
    dt = time.perf_counter() - t
    if r.status != 200:
        sys.exit(f"{verb}: {r.status} {doc}")
    return dt, doc
def run(verb):
    for i in range(warm):
        post(verb, rows[i % len(rows)])
    times, worst = [], 0.0
    for i in range(n):
        dt, doc = post(verb, rows[(warm + i) % len(rows)])
        times.append(dt * 1000)
        for e in doc.get("explanations", []):
            worst = max(worst, abs(e["base_value"] + sum(e["values"].values()) - e["output"]))
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    return {"requests": n, "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99),
            "max_ms": times[-1], "additivity_error": worst}
res = {"trees": m["params"], "rows": m["lineage"]["rows"], "explain": run("explain"), "predict": run("predict")}
json.dump(res, open(out, "w"), indent=2)
for verb in ("explain", "predict"):
    r = res[verb]
    print(f"{verb:8} one row: p50 {r['p50_ms']:.2f} ms  p90 {r['p90_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
          f"max {r['max_ms']:.2f} ms  ({r['requests']} requests)")
print(f"additivity: worst |base + sum - output| = {res['explain']['additivity_error']:.3g}")
PY
echo "results: $OUT/results.json" >&2
