#!/usr/bin/env python3
"""One gridrun task: scikit-learn's SVC on gridrun's fold of a CSV.

gridrun runs this once per setting x fold (see configs/svc.toml) with the
fold's rows in GRIDRUN_TRAIN_ROWS / GRIDRUN_TEST_ROWS and the CSV in
GRIDRUN_DATA; the last stdout line, a JSON object, holds the scores.
"""
import argparse
import csv
import json
import os

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def load_csv(path, target="class"):
    """Features as floats, the target column as strings (class labels)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(target)
    X = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in body])
    y = np.array([r[t] for r in body])
    return X, y


def read_rows(path):
    with open(path) as f:
        return np.array([int(line) for line in f if line.strip()], dtype=np.intp)


def model(C, gamma):
    return make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, required=True)
    parser.add_argument("--gamma", type=float, required=True)
    args = parser.parse_args()
    X, y = load_csv(os.environ["GRIDRUN_DATA"])
    train = read_rows(os.environ["GRIDRUN_TRAIN_ROWS"])
    test = read_rows(os.environ["GRIDRUN_TEST_ROWS"])
    fitted = model(args.C, args.gamma).fit(X[train], y[train])
    predicted = fitted.predict(X[test])
    print(json.dumps({
        "accuracy": accuracy_score(y[test], predicted),
        "f1_macro": f1_score(y[test], predicted, average="macro"),
    }))


if __name__ == "__main__":
    main()
