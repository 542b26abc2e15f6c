#!/usr/bin/env bash
# The speed table of issue 17, both columns in one run: lathe and its peers,
# whole processes, interleaved so machine noise falls on both alike.
#
#   benches/speed_table.sh [REPS]        (default 5 repetitions, medians reported)
#
# Needs peer-bench's data and venv (`cp -r ../shared/peer-bench ../peer-bench &&
# ../peer-bench/setup.sh && ../peer-bench/venv/bin/python ../peer-bench/gen_data.py`)
# and a release build (`cargo build --release --locked`). Rows:
#   1. `lathe data profile maint_1m.csv` against python-polars `read_csv` alone and
#      `read_csv` + `describe()`, each a whole process;
#   2. the size of the release binary;
#   3. the learners (logistic regression, gradient boosting, k-NN) from
#      `cargo bench --bench train`, which runs scikit-learn on the same rows in the
#      same run (skip with NO_TRAIN=1).
# Keep the machine otherwise quiet: a parallel build halves every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
peer=${PEER_BENCH:-../peer-bench}
py=${PEER_PYTHON:-$peer/venv/bin/python3}
csv=$peer/data/maint_1m.csv
lathe=target/release/lathe
[ -x "$lathe" ] || { echo "build it first: cargo build --release --locked" >&2; exit 2; }
[ -f "$csv" ] || { echo "no $csv: generate peer-bench's data first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { # run a command quietly, print its wall time in seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }

echo "== data profile of $csv, $reps runs each, interleaved ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
for _ in $(seq "$reps"); do
  (cd "$work" && seconds "$OLDPWD/$lathe" data profile "$csv") >>"$work/lathe"
  seconds "$py" -c "import polars as pl; pl.read_csv('$csv')" >>"$work/read"
  seconds "$py" -c "import polars as pl; pl.read_csv('$csv').describe()" >>"$work/describe"
done
l=$(median <"$work/lathe"); r=$(median <"$work/read"); d=$(median <"$work/describe")
printf '| data profile, whole process | %s s | read_csv %s s | %.2f× |\n' "$l" "$r" "$(echo "$l / $r" | bc -l)"
printf '| data profile, whole process | %s s | read_csv + describe %s s | %.2f× |\n' "$l" "$d" "$(echo "$l / $d" | bc -l)"
printf '| release binary | %s MB |\n' "$(( $(stat -c %s "$lathe") / 1000000 ))"

if [ -z "${NO_TRAIN:-}" ]; then
  echo "== cargo bench --bench train (scikit-learn in the same run)"
  PEER_PYTHON=$py cargo bench --locked --bench train -- "$peer/data/maint_100k.parquet"
fi
