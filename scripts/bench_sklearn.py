#!/usr/bin/env python3
"""scikit-learn's side of scripts/bench_vs_sklearn.sh: the same data, split,
grid and folds as gridrun; prints one JSON object.

    bench_sklearn.py fit  DATA SPLIT_FILE MODEL SEEDS N_JOBS [N_ESTIMATORS]
    bench_sklearn.py grid DATA N_JOBS
    bench_sklearn.py boost DATA SPLIT_FILE hgb|lightgbm REPEATS N_THREADS
    bench_sklearn.py linfa MODEL DATA FOLDS_FILE    (MODEL: a key of LINFA_MODELS)
    bench_sklearn.py linfa_config MODEL             (its gridrun [model] lines)
"""
import json
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier


def load(path):
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    return d[:, :-1], d[:, -1].astype(int)


def fit(data, split_file, model, seeds, n_jobs, n_estimators=100):
    x, y = load(data)
    test = np.loadtxt(split_file, dtype=int) == 0
    times, accs = [], []
    for seed in range(seeds):
        if model == "random_forest":
            est = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=n_jobs)
        else:
            est = DecisionTreeClassifier(random_state=seed)
        start = time.perf_counter()
        est.fit(x[~test], y[~test])
        times.append(time.perf_counter() - start)
        accs.append(est.score(x[test], y[test]))
    return {"median_fit_seconds": statistics.median(times), "mean_accuracy": float(np.mean(accs)), "accuracies": accs, "sklearn": sklearn.__version__}


def boost(data, split_file, which, repeats, n_threads):
    """HistGradientBoostingClassifier or LightGBM with the parameters of
    gridrun's gradient_boosting row: 100 iterations, learning rate 0.1, 31
    leaves, 20 rows per leaf, 255 bins, no early stopping. Deterministic, so
    the repeats only steady the timing (median)."""
    x, y = load(data)
    test = np.loadtxt(split_file, dtype=int) == 0
    times, accs = [], []
    for _ in range(repeats):
        if which == "hgb":
            from sklearn.ensemble import HistGradientBoostingClassifier
            from threadpoolctl import threadpool_limits
            est = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, early_stopping=False, random_state=0)
            with threadpool_limits(limits=n_threads, user_api="openmp"):
                start = time.perf_counter()
                est.fit(x[~test], y[~test])
                times.append(time.perf_counter() - start)
        else:
            import lightgbm
            # LightGBM names the columns itself, then warns on plain arrays.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            est = lightgbm.LGBMClassifier(n_estimators=100, learning_rate=0.1, num_leaves=31, min_child_samples=20, min_child_weight=1e-3, reg_lambda=0.0, max_bin=255, n_jobs=n_threads, deterministic=True, force_col_wise=True, verbose=-1, random_state=0)
            start = time.perf_counter()
            est.fit(x[~test], y[~test])
            times.append(time.perf_counter() - start)
        accs.append(float(np.mean(est.predict(x[test]) == y[test])))
    return {"median_fit_seconds": statistics.median(times), "mean_accuracy": float(np.mean(accs))}


# The linfa-backed models against scikit-learn: (gridrun [model] lines,
# scikit-learn estimator); gridrun scales all but linear_regression by default.
LINFA_MODELS = {
    "svc_rbf": ('kind = "svc"', "make_pipeline(StandardScaler(), SVC())"),
    "svc_linear": ('kind = "svc"\nkernel = "linear"', "make_pipeline(StandardScaler(), SVC(kernel='linear'))"),
    "knn": ('kind = "knn"', "make_pipeline(StandardScaler(), KNeighborsClassifier())"),
    "svr_rbf": ('kind = "svr"', "make_pipeline(StandardScaler(), SVR())"),
    "svr_linear": ('kind = "svr"\nkernel = "linear"', "make_pipeline(StandardScaler(), SVR(kernel='linear'))"),
    "knn_regression": ('kind = "knn"', "make_pipeline(StandardScaler(), KNeighborsRegressor())"),
    "linear_regression": ('kind = "linear_regression"', "LinearRegression()"),
    "ridge": ('kind = "ridge"', "make_pipeline(StandardScaler(), Ridge())"),
    "lasso": ('kind = "lasso"', "make_pipeline(StandardScaler(), Lasso())"),
    "elastic_net": ('kind = "elastic_net"', "make_pipeline(StandardScaler(), ElasticNet())"),
}


def linfa(model, data, folds_file):
    """Per fold of FOLDS_FILE: fit seconds and predict seconds of the
    scikit-learn counterpart of a linfa-backed model (medians over folds)."""
    from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge  # noqa: F401
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: F401
    from sklearn.pipeline import make_pipeline  # noqa: F401
    from sklearn.preprocessing import StandardScaler  # noqa: F401
    from sklearn.svm import SVC, SVR  # noqa: F401
    raw = np.genfromtxt(data, delimiter=",", dtype=str, skip_header=1)
    x = raw[:, :-1].astype(float)
    try:
        y = raw[:, -1].astype(float)
    except ValueError:  # class labels as text
        y = np.unique(raw[:, -1], return_inverse=True)[1]
    folds = np.loadtxt(folds_file, dtype=int)
    fits, predicts, scores = [], [], []
    for k in sorted(set(folds) - {-1}):
        test = folds == k
        est = eval(LINFA_MODELS[model][1])
        start = time.perf_counter()
        est.fit(x[~test], y[~test])
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        scores.append(est.score(x[test], y[test]))
        predicts.append(time.perf_counter() - start)
    return {"median_fit_seconds": statistics.median(fits), "median_score_seconds": statistics.median(predicts), "mean_score": float(np.mean(scores))}


def grid(data, n_jobs):
    """The grid of configs/rf.toml, 5 stratified folds."""
    x, y = load(data)
    param_grid = {"n_estimators": [100, 300], "max_features": ["sqrt", 0.3], "max_depth": [None, 16]}
    search = GridSearchCV(RandomForestClassifier(random_state=0), param_grid, cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=n_jobs, scoring="accuracy", refit=False)
    start = time.perf_counter()
    search.fit(x, y)
    wall = time.perf_counter() - start
    best = int(np.argmin(search.cv_results_["rank_test_score"]))
    return {"wall_seconds": wall, "best_mean_accuracy": float(search.cv_results_["mean_test_score"][best]), "best_params": {k: str(v) for k, v in search.cv_results_["params"][best].items()}, "sklearn": sklearn.__version__}


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "fit":
        result = fit(args[0], args[1], args[2], int(args[3]), int(args[4]), int(args[5]) if len(args) > 5 else 100)
    elif what == "linfa":
        result = linfa(args[0], args[1], args[2])
    elif what == "linfa_config":
        print(LINFA_MODELS[args[0]][0])
        sys.exit(0)
    elif what == "boost":
        result = boost(args[0], args[1], args[2], int(args[3]), int(args[4]))
    else:
        result = grid(args[0], int(args[1]))
    print(json.dumps(result))
