#!/usr/bin/env python3
"""Reference CV accuracies from scikit-learn on the shipped datasets, with
fixed folds that gridrun reads too (cv.kind = "predefined"), so the test
suite can check our models' accuracy without scikit-learn installed.

Writes tests/reference/folds_<dataset>.txt (one test-fold index per CSV row,
no header: the test_fold of scikit-learn's PredefinedSplit) and
tests/reference/sklearn_cv.json.

    .venv/bin/python scripts/sklearn_reference.py          # after scripts/python-env.sh
    .venv/bin/python scripts/sklearn_reference.py models   # only sklearn_models.json
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


# ---------------------------------------------------------------------------
# Gradient boosting grids and the linfa adapters: tests/reference/sklearn_models.json,
# read by tests/accuracy.rs (models_match_scikit_learn_*). Each entry: the
# dataset, its folds file, the task, gridrun's [model] table and [grid], the
# scoring, and scikit-learn's mean CV score (best over the grid for grids).

REGRESSION = ["regression_1k"]


def load_regression(name):
    d = np.loadtxt(os.path.join(ROOT, "datasets", f"{name}.csv"), delimiter=",", skiprows=1)
    return d[:, :-1], d[:, -1]


def write_kfolds(name, n):
    from sklearn.model_selection import KFold
    test_fold = np.empty(n, dtype=int)
    for k, (_, test) in enumerate(KFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(n))):
        test_fold[test] = k
    path = os.path.join(OUT, f"folds_{name}.txt")
    np.savetxt(path, test_fold, fmt="%d")
    return PredefinedSplit(test_fold), os.path.relpath(path, ROOT)


def grid_best(estimator, grid, x, y, cv, scoring):
    from sklearn.model_selection import GridSearchCV
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(estimator, grid, cv=cv, scoring=scoring, refit=False).fit(x, y)
    best = int(np.argmin(search.cv_results_["rank_test_score"]))
    return float(search.cv_results_["mean_test_score"][best]), {k: v for k, v in search.cv_results_["params"][best].items()}


def models_reference():
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.svm import SVC, SVR

    entries = []
    gb_grid = {"learning_rate": [0.1, 0.3], "max_leaf_nodes": [7, 31]}
    gb_fixed = {"max_iter": 50, "early_stopping": False}
    for name in ["breast_cancer", "synthetic_2k"]:
        x, y = load(name)
        cv, folds = write_folds(name, y)
        score, params = grid_best(HistGradientBoostingClassifier(**gb_fixed, random_state=0), gb_grid, x, y, cv, "accuracy")
        entries.append({"name": f"gradient_boosting_grid/{name}", "dataset": name, "folds_file": folds, "metric": "accuracy",
                        "model": {"kind": "gradient_boosting", **gb_fixed}, "grid": gb_grid, "sklearn": score, "sklearn_best_params": params})
    for name in ["iris", "wine", "breast_cancer"]:
        x, y = load(name)
        cv, folds = write_folds(name, y)
        for model, est, gridrun in [
            ("svc_linear", SVC(kernel="linear"), {"kind": "svc", "kernel": "linear"}),
            ("svc_rbf", SVC(), {"kind": "svc"}),
            ("knn", KNeighborsClassifier(), {"kind": "knn"}),
            ("knn_distance_manhattan", KNeighborsClassifier(weights="distance", metric="manhattan"), {"kind": "knn", "weights": "distance", "metric": "manhattan"}),
        ]:
            score = float(np.mean(cross_val_score(est, x, y, cv=cv, scoring="accuracy")))
            entries.append({"name": f"{model}/{name}", "dataset": name, "folds_file": folds, "metric": "accuracy",
                            "model": gridrun, "grid": {}, "sklearn": score})
    for name in REGRESSION:
        x, y = load_regression(name)
        cv, folds = write_kfolds(name, len(y))
        score, params = grid_best(HistGradientBoostingRegressor(max_iter=100, early_stopping=False, random_state=0),
                                  {"loss": ["squared_error", "absolute_error"]}, x, y, cv, "r2")
        entries.append({"name": f"gradient_boosting_grid/{name}", "dataset": name, "folds_file": folds, "metric": "r2",
                        "model": {"kind": "gradient_boosting", "max_iter": 100, "early_stopping": False},
                        "grid": {"loss": ["squared_error", "absolute_error"]}, "sklearn": score, "sklearn_best_params": params})
        for model, est, gridrun in [
            ("linear_regression", LinearRegression(), {"kind": "linear_regression"}),
            ("ridge", Ridge(alpha=10.0), {"kind": "ridge", "alpha": 10.0}),
            ("lasso", Lasso(alpha=1.0), {"kind": "lasso", "alpha": 1.0}),
            ("elastic_net", ElasticNet(alpha=0.1, l1_ratio=0.5), {"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 0.5}),
            ("svr_linear", SVR(kernel="linear", C=10.0), {"kind": "svr", "kernel": "linear", "C": 10.0}),
            ("knn_regression", KNeighborsRegressor(), {"kind": "knn"}),
        ]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                score = float(np.mean(cross_val_score(est, x, y, cv=cv, scoring="r2")))
            entries.append({"name": f"{model}/{name}", "dataset": name, "folds_file": folds, "metric": "r2",
                            "model": gridrun, "grid": {}, "sklearn": score})
    for e in entries:
        print(f"{e['name']:40s} {e['metric']:9s} {e['sklearn']:.4f}", flush=True)
    with open(os.path.join(OUT, "sklearn_models.json"), "w") as f:
        json.dump({"sklearn_version": sklearn.__version__, "generated_by": "scripts/sklearn_reference.py",
                   "folds": "StratifiedKFold(5, shuffle=True, random_state=0) for classes, KFold(5, shuffle=True, random_state=0) for regression",
                   "entries": entries}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["models"]:
        models_reference()
    else:
        main()
        models_reference()
