#!/usr/bin/env python3
"""Reference CV accuracies from scikit-learn on the shipped datasets, with
fixed folds that gridrun reads too (cv.kind = "predefined"), so the test
suite can check our models' accuracy without scikit-learn installed.

Writes tests/reference/folds_<dataset>.txt (one test-fold index per row, the
format of scikit-learn's PredefinedSplit) and tests/reference/sklearn_cv.json.

    $(scripts/python-env.sh) scripts/sklearn_reference.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import PredefinedSplit, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "reference")
SEEDS = range(5)


def load(name):
    raw = np.genfromtxt(os.path.join(ROOT, "datasets", f"{name}.csv"), delimiter=",", dtype=str, skip_header=1)
    x = raw[:, :-1].astype(float)
    _, y = np.unique(raw[:, -1], return_inverse=True)
    return x, y


def folds_for(name, y):
    test_fold = np.empty(len(y), dtype=int)
    for k, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)):
        test_fold[test] = k
    path = os.path.join(OUT, f"folds_{name}.txt")
    np.savetxt(path, test_fold, fmt="%d")
    return PredefinedSplit(test_fold), os.path.relpath(path, ROOT)


MODELS = {
    # name: (gridrun model and params, scikit-learn factory of a seed)
    "decision_tree": ({"kind": "decision_tree"}, lambda s: DecisionTreeClassifier(random_state=s)),
    "decision_tree_depth3": ({"kind": "decision_tree", "max_depth": 3}, lambda s: DecisionTreeClassifier(max_depth=3, random_state=s)),
    "random_forest": ({"kind": "random_forest", "n_estimators": 100}, lambda s: RandomForestClassifier(100, random_state=s, n_jobs=2)),
    "gaussian_nb": ({"kind": "gaussian_nb"}, lambda s: GaussianNB()),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    report = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "generated_by": "scripts/sklearn_reference.py",
        "folds": "StratifiedKFold(5, shuffle=True, random_state=0)",
        "accuracy_is": f"mean over the 5 folds, averaged over random_state in {list(SEEDS)}",
        "datasets": {},
    }
    for name in ["iris", "wine", "breast_cancer"]:
        x, y = load(name)
        cv, folds_file = folds_for(name, y)
        entry = {"folds_file": folds_file, "models": {}}
        for model, (gridrun_params, make) in MODELS.items():
            per_seed = [cross_val_score(make(s), x, y, cv=cv, scoring="accuracy").mean() for s in SEEDS]
            entry["models"][model] = {"gridrun": gridrun_params, "mean_accuracy": float(np.mean(per_seed)), "per_seed": [float(a) for a in per_seed]}
            print(f"{name:14s} {model:22s} {np.mean(per_seed):.4f}")
        report["datasets"][name] = entry
    with open(os.path.join(OUT, "sklearn_cv.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
