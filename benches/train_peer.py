"""scikit-learn on the same rows as `cargo bench --bench train` (run by it).

Usage: train_peer.py DATA.parquet SPLIT.json              -> one JSON document on stdout
       train_peer.py DATA.parquet SPLIT.json --scaling N  -> fit + predict times on the first N rows
       train_peer.py DATA.parquet SPLIT.json --explain    -> shap TreeExplainer seconds on the test rows
The five models and their settings are peer-bench's (bench.py make_model), plus
HistGradientBoostingClassifier(max_iter=100) for lathe's gradient boosting; the split is lathe's
(SPLIT.json: train/test row indices, and knn_test for the scaling curve). The cross-validation
is peer-bench's cv_compare job on all rows; the peak memory of this process tree (loky workers
included) is sampled every 0.1 s while it runs.
"""
import json
import os
import sys
import threading
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

SEED = 42
N_JOBS = 2


def model(name):
    if name == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    if name == "decision_tree":
        return DecisionTreeClassifier(max_depth=10, random_state=SEED)
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=N_JOBS, random_state=SEED)
    if name == "knn":
        return make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5, n_jobs=N_JOBS))
    if name == "gaussian_nb":
        return GaussianNB()
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(max_iter=100, random_state=SEED)
    raise SystemExit(name)


MODELS = ["logistic_regression", "decision_tree", "random_forest", "knn", "gaussian_nb"]


def tree_rss_mb(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total / 2**20


class PeakWatch:
    def __enter__(self):
        self.peak, self.stop = 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))
            time.sleep(0.1)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def fit_predict(name, X, y, tr, te):
    m = model(name)
    t0 = time.perf_counter()
    m.fit(X[tr], y[tr])
    p = m.predict(X[te])
    return time.perf_counter() - t0, float(accuracy_score(y[te], p))


def main():
    path, split_path = sys.argv[1], sys.argv[2]
    df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    scaling = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--scaling" else None
    if scaling:
        df = df.head(scaling)
    y = df["failure"].to_numpy()
    cat = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("string", "str", "category")]
    num = [c for c in df.columns if c not in cat and c != "failure"]
    X = pd.get_dummies(df[num + cat], columns=cat, dtype="float64").to_numpy(dtype="float64")
    split = json.load(open(split_path))
    tr, te = np.array(split["train"]), np.array(split["test"])
    if len(sys.argv) > 3 and sys.argv[3] == "--explain":
        import shap

        out = {"explain": {}, "shap": shap.__version__}
        for name in ["random_forest", "gradient_boosting"]:
            m = model(name).fit(X[tr], y[tr])
            t0 = time.perf_counter()
            shap.TreeExplainer(m).shap_values(X[te], check_additivity=False)
            out["explain"][name] = time.perf_counter() - t0
        json.dump(out, sys.stdout)
        return
    if scaling:
        knn_te = np.array(split["knn_test"])
        out = {"scaling": {}}
        for name in ["decision_tree", "random_forest", "gradient_boosting", "knn"]:
            out["scaling"][name] = fit_predict(name, X, y, tr, knn_te if name == "knn" else te)[0]
        json.dump(out, sys.stdout)
        return
    out = {"fit_predict": {}}
    for name in MODELS + ["gradient_boosting"]:
        secs, acc = fit_predict(name, X, y, tr, te)
        out["fit_predict"][name] = {"seconds": secs, "accuracy": acc}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    acc = {}
    with PeakWatch() as watch:
        t0 = time.perf_counter()
        for name in MODELS:
            acc[name] = round(float(cross_val_score(model(name), X, y, cv=cv, n_jobs=N_JOBS, scoring="accuracy").mean()), 4)
        out["cv_seconds"] = time.perf_counter() - t0
    out["cv_accuracy"] = acc
    out["cv_peak_tree_mb"] = watch.peak
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
