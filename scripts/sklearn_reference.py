#!/usr/bin/env python3
"""Reference CV accuracies from scikit-learn on the shipped datasets, with
fixed folds that gridrun reads too (cv.kind = "predefined"), so the test
suite can check our models' accuracy without scikit-learn installed.

Writes tests/reference/folds_<dataset>.txt (one test-fold index per CSV row,
no header: the test_fold of scikit-learn's PredefinedSplit) and
tests/reference/sklearn_cv.json.

    .venv/bin/python scripts/sklearn_reference.py     # after scripts/python-env.sh
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "tests", "reference")
DATASETS = ["iris", "wine", "breast_cancer"]
# A forest's score moves by a point or two with its seed on 150-569 rows, so
# it is also recorded averaged over these seeds.
SEEDS = list(range(5))  # SEEDS[0] == the random_state of MODELS below

# name: (scikit-learn estimator, the parameters we set, gridrun's [model] table)
MODELS = {
    "decision_tree": (DecisionTreeClassifier, {"random_state": 0}, {"kind": "decision_tree"}),
    "decision_tree_depth3": (
        DecisionTreeClassifier,
        {"max_depth": 3, "random_state": 0},
        {"kind": "decision_tree", "max_depth": 3},
    ),
    "random_forest": (
        RandomForestClassifier,
        {"n_estimators": 100, "random_state": 0},
        {"kind": "random_forest", "n_estimators": 100},
    ),
    "gaussian_nb": (GaussianNB, {}, {"kind": "gaussian_nb"}),
    "logistic_regression": (
        LogisticRegression,
        {"max_iter": 1000},
        {"kind": "logistic_regression", "max_iter": 1000},
    ),
}
# Read by tests/accuracy.rs (datasets.<name>.models): these four, each
# averaged over SEEDS, since gridrun's test runs random_state = SEEDS as a grid.
SEED_AVERAGED = ["decision_tree", "decision_tree_depth3", "random_forest", "gaussian_nb"]


def load(name):
    """Features and label indices exactly as gridrun reads datasets/<name>.csv
    (last column `class`, labels numbered in sorted order)."""
    raw = np.genfromtxt(os.path.join(ROOT, "datasets", f"{name}.csv"), delimiter=",", dtype=str)
    header, raw = raw[0], raw[1:]
    assert header[-1] == "class", f"{name}: last column is {header[-1]!r}, not class"
    _, y = np.unique(raw[:, -1], return_inverse=True)
    return raw[:, :-1].astype(float), y


def write_folds(name, y):
    test_fold = np.empty(len(y), dtype=int)
    splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
    for k, (_, test) in enumerate(splits):
        test_fold[test] = k
    path = os.path.join(OUT, f"folds_{name}.txt")
    np.savetxt(path, test_fold, fmt="%d")
    return PredefinedSplit(test_fold), os.path.relpath(path, ROOT)


def split_accuracy(estimator, params, x, y, cv):
    """Accuracy on test folds 0..4; notes whether an iterative fit stopped early."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        scores = cross_val_score(estimator(**params), x, y, cv=cv, scoring="accuracy")
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return [float(s) for s in scores], converged


def main():
    os.makedirs(OUT, exist_ok=True)
    report = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "generated_by": "scripts/sklearn_reference.py",
        "folds": "StratifiedKFold(5, shuffle=True, random_state=0)",
        "accuracy_is": "accuracy on each test fold (split_accuracy, folds 0..4) and their mean",
        "models_is": f"the same, each averaged over random_state in {SEEDS}; read by tests/accuracy.rs",
        "datasets": {},
    }
    for name in DATASETS:
        x, y = load(name)
        cv, folds_file = write_folds(name, y)
        entry = {"folds_file": folds_file, "rows": len(y), "features": x.shape[1]}
        per_seed = {}  # model -> [split accuracies for each seed]
        for model, (estimator, params, gridrun) in MODELS.items():
            splits, converged = split_accuracy(estimator, params, x, y, cv)
            if model in SEED_AVERAGED:
                # SEEDS[0] is the run above; a model without a seed scores the same each time.
                per_seed[model] = [splits] + [
                    split_accuracy(estimator, {**params, "random_state": s}, x, y, cv)[0]
                    if "random_state" in params
                    else splits
                    for s in SEEDS[1:]
                ]
            entry[model] = {
                "estimator": estimator.__name__,
                "params": params,
                "gridrun": gridrun,
                "mean_accuracy": float(np.mean(splits)),
                "split_accuracy": splits,
            }
            if not converged:
                entry[model]["converged"] = False
            print(f"{name:14s} {model:22s} {np.mean(splits):.4f}", flush=True)

        forests = np.array(per_seed["random_forest"])
        entry["random_forest_5_seeds"] = {
            "estimator": "RandomForestClassifier",
            "params": {"n_estimators": 100, "random_state": SEEDS},
            "gridrun": {"kind": "random_forest", "n_estimators": 100},
            "mean_accuracy": float(forests.mean(axis=1).mean()),
            "per_seed_mean_accuracy": [float(a) for a in forests.mean(axis=1)],
            "split_accuracy": [float(a) for a in forests.mean(axis=0)],
        }
        print(f"{name:14s} {'random_forest_5_seeds':22s} {forests.mean():.4f}", flush=True)

        entry["models"] = {}
        for model in SEED_AVERAGED:
            seed_means = [float(np.mean(s)) for s in per_seed[model]]
            entry["models"][model] = {
                "gridrun": MODELS[model][2],
                "mean_accuracy": float(np.mean(seed_means)),
                "per_seed": seed_means,
            }
        report["datasets"][name] = entry
    with open(os.path.join(OUT, "sklearn_cv.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


# --- logistic regression per C, raw and scaled (tests/data.rs) -------------

LOGISTIC_CS = [float(c) for c in np.logspace(-3, 3, 7)]


def logistic_per_c():
    """breast_cancer, the folds of folds_breast_cancer.txt: mean CV accuracy of
    LogisticRegression(C, max_iter=1000) on raw features and in a Pipeline
    after StandardScaler, for every C, with the count of folds that raised
    a ConvergenceWarning."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load("breast_cancer")
    folds_file = os.path.join(OUT, "folds_breast_cancer.txt")
    cv = PredefinedSplit(np.loadtxt(folds_file, dtype=int))
    rows = []
    for scale in ["none", "standard"]:
        for c in LOGISTIC_CS:
            est = LogisticRegression(C=c, max_iter=1000)
            if scale == "standard":
                est = make_pipeline(StandardScaler(), est)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                scores = cross_val_score(est, x, y, cv=cv, scoring="accuracy")
            unconverged = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            rows.append({"C": c, "scale": scale, "mean_accuracy": float(scores.mean()),
                         "folds_not_converged": unconverged})
            print(f"breast_cancer logistic C={c:g} scale={scale}: {scores.mean():.4f}", flush=True)
    write_json("sklearn_logistic_breast_cancer.json", {
        "sklearn_version": sklearn.__version__,
        "generated_by": "scripts/sklearn_reference.py logistic",
        "estimator": "LogisticRegression(C, max_iter=1000) [after StandardScaler when scale = standard]",
        "folds_file": os.path.relpath(folds_file, ROOT),
        "results": rows,
    })


# --- messy data: penguins and titanic (tests/data.rs) ------------------------

# name: (csv, target, dropped columns, numeric imputer strategy, gridrun config)
MESSY = {
    "penguins": ("penguins.csv", "species", [], "mean", "configs/penguins.toml"),
    "titanic": ("titanic.csv", "survived", ["name"], "median", "configs/titanic.toml"),
}
MESSY_CS = [float(c) for c in np.logspace(-2, 2, 5)]


def messy():
    """The shipped messy configs' grids as scikit-learn Pipelines: numbers
    imputed (mean or median) then standardised, text columns imputed with
    the most frequent value then one-hot encoded (unknown: all zeros), then
    LogisticRegression(C, max_iter=1000), on fixed folds written beside."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    report = {"sklearn_version": sklearn.__version__, "generated_by": "scripts/sklearn_reference.py messy",
              "folds": "StratifiedKFold(5, shuffle=True, random_state=0)", "datasets": {}}
    for name, (csv_name, target, dropped, strategy, config) in MESSY.items():
        df = pd.read_csv(os.path.join(ROOT, "datasets", csv_name))
        y = np.unique(df[target].astype(str), return_inverse=True)[1]
        x = df.drop(columns=[target] + dropped)
        numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
        categorical = [c for c in x.columns if c not in numeric]
        test_fold = np.empty(len(y), dtype=int)
        splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
        for k, (_, test) in enumerate(splits):
            test_fold[test] = k
        folds_file = os.path.join(OUT, f"folds_{name}.txt")
        np.savetxt(folds_file, test_fold, fmt="%d")
        per_c = []
        for c in MESSY_CS:
            pipeline = Pipeline([
                ("columns", ColumnTransformer([
                    ("num", Pipeline([("impute", SimpleImputer(strategy=strategy)),
                                      ("scale", StandardScaler())]), numeric),
                    ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                                      ("encode", OneHotEncoder(handle_unknown="ignore"))]), categorical),
                ])),
                ("model", LogisticRegression(C=c, max_iter=1000)),
            ])
            scores = cross_val_score(pipeline, x, y, cv=PredefinedSplit(test_fold), scoring="accuracy")
            per_c.append({"C": c, "mean_accuracy": float(scores.mean())})
            print(f"{name} C={c:g}: {scores.mean():.4f}", flush=True)
        best = max(per_c, key=lambda r: r["mean_accuracy"])
        report["datasets"][name] = {
            "config": config, "folds_file": os.path.relpath(folds_file, ROOT),
            "numeric": numeric, "categorical": categorical, "dropped": dropped,
            "impute": strategy, "per_C": per_c, "best": best,
        }
    write_json("sklearn_messy.json", report)


def write_json(name, data):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


SECTIONS = {"accuracy": main, "logistic": logistic_per_c, "messy": messy}

if __name__ == "__main__":
    # No argument: every section; else the named ones.
    import sys

    for section in sys.argv[1:] or list(SECTIONS):
        SECTIONS[section]()
