#!/usr/bin/env python3
"""scikit-learn's side of the batch-scoring benchmark (benches/serve.sh), in ../peer-bench/venv.

A copy of peer-bench's `batch_predict_sklearn` job (serve_bench.py `job_batch`) with the CSV write added, so that
it does what `lathe predict BUNDLE maint_1m.csv --out OUT` does end to end: read the 1,000,000-row CSV (pandas C
engine), one-hot encode it to the 28 float64 features the model was fitted on, score it with the fitted pipeline
peer-bench serves (serve/mlserver/maint-logreg/model.joblib: StandardScaler + LogisticRegression), and write the
predictions with `DataFrame.to_csv`.

The file written has the columns lathe writes: `prediction` and `probability_<class>` per class. The prediction is
the class of the highest probability (what `LogisticRegression.predict` returns, from one `predict_proba` call).
`--columns prediction` writes only the prediction (`model.predict`, as in the peer job) for comparison.

    ../peer-bench/venv/bin/python benches/predict_peer.py ../peer-bench [--reps 3] [--out FILE] [--json FILE]

Like the peer job: interpreter start, imports and loading the model are not timed; each rep re-reads the CSV;
the median of the reps is reported. Peak memory: ru_maxrss of this process (run it under /usr/bin/time -v too).
"""
import argparse, gc, json, os, resource, statistics, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("peer_bench", help="the peer-bench folder (data/, serve/ after `serve_bench.py prepare`)")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("REPS", 3)))
    ap.add_argument("--out", help="CSV to write (default: a temporary file, removed at the end)")
    ap.add_argument("--columns", choices=["lathe", "prediction"], default="lathe")
    ap.add_argument("--json", help="write the result here too")
    a = ap.parse_args()

    here = os.path.abspath(a.peer_bench)
    csv = os.path.join(here, "data", "maint_1m.csv")
    info_path = os.path.join(here, "serve", "model_info.json")
    for p, how in ((csv, "venv/bin/python gen_data.py"), (info_path, "venv-serve/bin/python serve_bench.py prepare")):
        if not os.path.exists(p):
            sys.exit(f"predict_peer.py: {p} is missing; in {here} run: {how}")
    import numpy as np, pandas as pd, joblib, sklearn
    sys.path.insert(0, here)
    import bench                                          # NUM, CAT, LABEL: the peer job's columns
    info = json.load(open(info_path))
    model = joblib.load(info["mlserver_model"])          # the same fitted pipeline the peer servers serve
    cols = info["columns"]
    out = a.out or os.path.join(here, "results", f"predict_peer.{os.getpid()}.csv")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    reads, encs, preds, writes, totals = [], [], [], [], []
    for _ in range(a.reps):
        df = X = p = res = None
        gc.collect()
        t0 = time.perf_counter()
        df = pd.read_csv(csv)
        t1 = time.perf_counter()
        X = pd.get_dummies(df[bench.NUM + bench.CAT], columns=bench.CAT, dtype="float64") \
            .reindex(columns=cols, fill_value=0.0).to_numpy(dtype="float64")
        t2 = time.perf_counter()
        if a.columns == "lathe":
            proba = model.predict_proba(X)
            classes = model.classes_
            res = pd.DataFrame({"prediction": classes[proba.argmax(axis=1)]})
            for k, c in enumerate(classes):
                res[f"probability_{c}"] = proba[:, k]
            p = res["prediction"].to_numpy()
        else:
            p = model.predict(X)
            res = pd.DataFrame({"prediction": p})
        t3 = time.perf_counter()
        res.to_csv(out, index=False)
        t4 = time.perf_counter()
        reads.append(t1 - t0); encs.append(t2 - t1); preds.append(t3 - t2); writes.append(t4 - t3)
        totals.append(t4 - t0)
    y = df[bench.LABEL].to_numpy()
    out_bytes = os.path.getsize(out)
    if not a.out:
        os.remove(out)
    med = statistics.median
    r = {
        "job": "predict_peer", "lib": f"scikit-learn {sklearn.__version__}, pandas {pd.__version__}, "
                                      f"numpy {np.__version__}",
        "model": info["model"], "file": "maint_1m.csv", "rows": int(X.shape[0]), "n_features": int(X.shape[1]),
        "columns_written": list(res.columns), "out_bytes": out_bytes,
        "median_s": med(totals), "times_s": totals,
        "read_csv_median_s": med(reads), "encode_median_s": med(encs), "predict_median_s": med(preds),
        "to_csv_median_s": med(writes), "reps": a.reps,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accuracy_1m": float((p.astype(y.dtype) == y).mean()),
        "timing": "median_s = read_csv + encode (get_dummies + reindex + to_numpy) + predict + to_csv, "
                  "each rep re-reads the CSV; imports and model load untimed",
    }
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(r, fh, indent=1)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
