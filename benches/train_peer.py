"""scikit-learn on the same rows as `cargo bench --bench train` (run by it).

Usage: train_peer.py DATA.parquet SPLIT.json CV_ROWS  -> one JSON document on stdout.
The five models and their settings are peer-bench's (bench.py make_model);
the split is lathe's (SPLIT.json: train/test row indices, knn_test subset).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
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
    raise SystemExit(name)


MODELS = ["logistic_regression", "decision_tree", "random_forest", "knn", "gaussian_nb"]


def main():
    path, split_path, cv_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    y = df["failure"].to_numpy()
    cat = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("string", "str", "category")]
    num = [c for c in df.columns if c not in cat and c != "failure"]
    X = pd.get_dummies(df[num + cat], columns=cat, dtype="float64").to_numpy(dtype="float64")
    split = json.load(open(split_path))
    tr, te, knn_te = (np.array(split[k]) for k in ("train", "test", "knn_test"))
    out = {"fit_predict": {}}
    for name in MODELS:
        m = model(name)
        q = knn_te if name == "knn" else te
        t0 = time.perf_counter()
        m.fit(X[tr], y[tr])
        t1 = time.perf_counter()
        p = m.predict(X[q])
        t2 = time.perf_counter()
        secs = (t1 - t0) + (t2 - t1) * (len(te) / len(q))
        out["fit_predict"][name] = {"seconds": secs, "accuracy": float(accuracy_score(y[q], p))}
    Xc, yc = X[:cv_rows], y[:cv_rows]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    t0 = time.perf_counter()
    acc = {}
    for name in MODELS:
        acc[name] = round(float(cross_val_score(model(name), Xc, yc, cv=cv, n_jobs=N_JOBS, scoring="accuracy").mean()), 4)
    out["cv_seconds"] = time.perf_counter() - t0
    out["cv_accuracy"] = acc
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
