#!/usr/bin/env python3
"""Writes datasets/iris.csv, wine.csv and breast_cancer.csv from the copies of
the UCI data that ship inside the scikit-learn package (no download).

    $(scripts/python-env.sh) scripts/export_datasets.py
"""
import csv
import os
import re

from sklearn import datasets

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def snake(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def export(name, loader, label_names):
    d = loader()
    path = os.path.join(ROOT, "datasets", f"{name}.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([snake(c) for c in d.feature_names] + ["class"])
        for x, y in zip(d.data, d.target):
            label = d.target_names[y] if label_names else int(y) + 1
            w.writerow([repr(float(v)) for v in x] + [label])
    print(f"{path}: {len(d.target)} rows, {len(d.feature_names)} features")


if __name__ == "__main__":
    export("iris", datasets.load_iris, True)  # species names
    export("wine", datasets.load_wine, False)  # cultivar 1, 2, 3 as in UCI
    export("breast_cancer", datasets.load_breast_cancer, True)  # malignant / benign
