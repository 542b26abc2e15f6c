#!/usr/bin/env python3
"""Export scikit-learn's bundled Breast Cancer Wisconsin (Diagnostic) data as breast_cancer.csv.

Needs scikit-learn (the data ships inside the package; nothing is downloaded). Use a
throwaway virtual environment outside the repo:

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn pandas
    /tmp/skvenv/bin/python sample-data/export_breast_cancer.py

Output: 569 rows, 30 numeric feature columns in scikit-learn's order with snake_case names
(`mean radius` -> `radius_mean`, `radius error` -> `radius_se`, `worst radius` -> `radius_worst`)
and a last column `diagnosis` with the values `malignant` / `benign`.
The file is written next to this script, with `\\n` line endings and a header row.
"""

import csv
from pathlib import Path

import sklearn
from sklearn.datasets import load_breast_cancer

HERE = Path(__file__).resolve().parent
OUT = HERE / "breast_cancer.csv"


def snake_case(feature_name: str) -> str:
    """`mean concave points` -> `concave_points_mean`, `area error` -> `area_se`."""
    if feature_name.startswith("mean "):
        base, suffix = feature_name[len("mean ") :], "mean"
    elif feature_name.startswith("worst "):
        base, suffix = feature_name[len("worst ") :], "worst"
    elif feature_name.endswith(" error"):
        base, suffix = feature_name[: -len(" error")], "se"
    else:
        raise ValueError(f"unexpected feature name {feature_name!r}")
    return f"{base.replace(' ', '_')}_{suffix}"


def main() -> None:
    bunch = load_breast_cancer()
    columns = [snake_case(n) for n in bunch.feature_names]
    assert bunch.data.shape == (569, 30), bunch.data.shape
    assert len(set(columns)) == 30
    assert list(bunch.target_names) == ["malignant", "benign"]  # target 0 = malignant

    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns + ["diagnosis"])
        for features, target in zip(bunch.data, bunch.target):
            writer.writerow([repr(float(v)) for v in features] + [bunch.target_names[target]])

    malignant = int((bunch.target == 0).sum())
    print(
        f"wrote {OUT.name}: {len(bunch.target)} rows, {malignant} malignant, "
        f"{len(bunch.target) - malignant} benign (scikit-learn {sklearn.__version__})"
    )


if __name__ == "__main__":
    main()
