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


# --- Group and time-series folds ------------------------------------------
# scikit-learn's own splitters on recorded cases, written to
# tests/reference/folds_groups.json: the train and test rows of every fold,
# which src/folds/tests.rs checks gridrun's folds against row for row, and, on
# datasets/wine_batches.csv, each fold's sizes and the most-frequent-class
# accuracy, which tests/folds.rs checks a run of the binary against.
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GroupKFold,
    LeaveOneGroupOut,
    StratifiedGroupKFold,
    TimeSeriesSplit,
)


def splitter(cv):
    """The scikit-learn splitter for a gridrun [cv] table."""
    kind, k = cv["kind"], cv.get("folds", 5)
    shuffled = {"shuffle": True, "random_state": cv["seed"]} if cv.get("shuffle") else {}
    if kind == "group_kfold":
        return GroupKFold(n_splits=k, **shuffled)
    if kind == "stratified_group_kfold":
        return StratifiedGroupKFold(n_splits=k, **shuffled)
    if kind == "leave_one_group_out":
        return LeaveOneGroupOut()
    if kind == "time_series_split":
        return TimeSeriesSplit(
            n_splits=k,
            test_size=cv.get("test_size"),
            gap=cv.get("gap", 0),
            max_train_size=cv.get("max_train_size"),
        )
    raise ValueError(kind)


def fold_rows(cv, y, groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "groups ignored", "least populated class"
        splits = splitter(cv).split(np.zeros((len(y), 1)), y, groups)
        return [(train.tolist(), test.tolist()) for train, test in splits]


def split_cases():
    """Small cases chosen for ties: groups of equal sizes, groups with the
    same class counts in another order, labels that sort differently as
    numbers and as text, several seeds."""
    rng = np.random.RandomState(0)
    cases = []

    def case(name, cv, y, groups):
        y = np.asarray(y)
        folds = fold_rows(cv, y, None if groups is None else np.asarray(groups))
        if cv["kind"] != "time_series_split":
            assert all(sorted(tr + te) == list(range(len(y))) for tr, te in folds), name
        cases.append({
            "name": name,
            "cv": cv,
            "y": [int(v) for v in y],
            "groups": None if groups is None else [g.item() if hasattr(g, "item") else g for g in groups],
            # Every kind but the time series trains on all rows outside the
            # test fold; so only the time series lists its training rows.
            "folds": [{"train": tr, "test": te} if cv["kind"] == "time_series_split" else {"test": te} for tr, te in folds],
        })

    sizes = [5, 3, 3, 8, 1, 3, 5, 2, 2, 6, 4, 8]  # ties at 2, 3, 5, 8
    ints = np.repeat(np.arange(len(sizes)) * 7 - 20, sizes)  # negative too
    rng.shuffle(ints)
    y_ints = rng.randint(0, 2, len(ints))
    for k in (2, 3, 5):
        case(f"group_kfold_k{k}", {"kind": "group_kfold", "folds": k}, y_ints, ints)
    for seed in (0, 42, 2**32 - 1):
        case(f"group_kfold_shuffle_{seed}", {"kind": "group_kfold", "folds": 4, "shuffle": True, "seed": seed}, y_ints, ints)
    # Text that sorts differently from its numbers: "b10" < "b9".
    names = np.array([f"b{g}" for g in rng.randint(0, 14, 70)])
    y_names = rng.randint(0, 3, 70)
    case("group_kfold_text", {"kind": "group_kfold", "folds": 5}, y_names, names.tolist())
    case("group_kfold_text_shuffle", {"kind": "group_kfold", "folds": 3, "shuffle": True, "seed": 7}, y_names, names.tolist())
    floats = rng.choice([0.5, 1.5, 2.0, 10.0, -3.25, 7.0], 30)
    case("group_kfold_floats", {"kind": "group_kfold", "folds": 3}, rng.randint(0, 2, 30), floats)
    for name, n, n_groups, n_classes in [("binary", 60, 15, 2), ("three", 120, 30, 3), ("many", 300, 80, 5), ("seven", 200, 25, 7), ("nine", 400, 60, 9)]:
        g = rng.randint(0, n_groups, n)
        # Classes that depend on the group, so groups differ in their class mix.
        y = (g * 3 + rng.randint(0, 2, n)) % n_classes
        for k in (3, 5):
            case(f"stratified_group_kfold_{name}_k{k}", {"kind": "stratified_group_kfold", "folds": k}, y, g)
        for seed in (0, 1, 42):
            case(f"stratified_group_kfold_{name}_shuffle_{seed}", {"kind": "stratified_group_kfold", "folds": 4, "shuffle": True, "seed": seed}, y, g)
    # Groups with the same class counts in another order (equal spreads).
    g = np.repeat(np.arange(12), 4)
    y = np.array([[0, 0, 1, 2], [1, 1, 2, 0], [2, 2, 0, 1], [0, 1, 1, 1]] * 3).ravel()
    for seed in (None, 3, 11):
        cv = {"kind": "stratified_group_kfold", "folds": 3}
        if seed is not None:
            cv.update(shuffle=True, seed=seed)
        case(f"stratified_group_kfold_mirrored_{seed}", cv, y, g)
    case("leave_one_group_out_ints", {"kind": "leave_one_group_out"}, y_ints, ints)
    case("leave_one_group_out_text", {"kind": "leave_one_group_out"}, y_names, names.tolist())
    y23 = rng.randint(0, 2, 23)
    for cv in [
        {"folds": 5},
        {"folds": 3, "test_size": 4},
        {"folds": 3, "test_size": 3, "gap": 2},
        {"folds": 4, "max_train_size": 5},
        {"folds": 2, "test_size": 6, "gap": 1, "max_train_size": 7},
        {"folds": 10},
    ]:
        cv = {"kind": "time_series_split", **cv}
        name = "time_series_split_" + "_".join(f"{k}{v}" for k, v in cv.items() if k != "kind")
        case(name, cv, y23, None)
    return cases


# The dataset runs tests/folds.rs repeats through the binary.
WINE_BATCHES_RUNS = [
    {"kind": "group_kfold", "folds": 5},
    {"kind": "group_kfold", "folds": 4, "shuffle": True, "seed": 3},
    {"kind": "stratified_group_kfold", "folds": 5},
    {"kind": "stratified_group_kfold", "folds": 3, "shuffle": True, "seed": 42},
    {"kind": "leave_one_group_out"},
    {"kind": "time_series_split", "folds": 4, "test_size": 30, "gap": 5, "max_train_size": 60},
]


def wine_batches_runs():
    """Per fold: training and test rows, and the accuracy of predicting the
    most frequent training class (gridrun's `debug` model does the same)."""
    raw = np.genfromtxt(os.path.join(ROOT, "datasets", "wine_batches.csv"), delimiter=",", dtype=str)
    header, raw = raw[0], raw[1:]
    assert header[0] == "batch" and header[-1] == "class"
    groups = raw[:, 0]
    _, y = np.unique(raw[:, -1].astype(int), return_inverse=True)
    x = raw[:, 1:-1].astype(float)
    runs = []
    for cv in WINE_BATCHES_RUNS:
        folds = fold_rows(cv, y, groups)
        accuracy = [
            float(DummyClassifier(strategy="most_frequent").fit(x[tr], y[tr]).score(x[te], y[te]))
            for tr, te in folds
        ]
        runs.append({
            "cv": cv,
            "n_train": [len(tr) for tr, _ in folds],
            "n_test": [len(te) for _, te in folds],
            "most_frequent_accuracy": accuracy,
        })
        print(f"wine_batches   {cv['kind']:22s} {len(folds)} folds, accuracy {np.mean(accuracy):.4f}", flush=True)
    return {"file": "datasets/wine_batches.csv", "groups": "batch", "runs": runs}


def write_split_references():
    report = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "generated_by": "scripts/sklearn_reference.py (write_split_references)",
        "cases_are": "y, groups (labels as given to scikit-learn), the [cv] table, and every fold's test rows from its split() (and training rows for time_series_split; for the other kinds they are all the other rows)",
        "cases": split_cases(),
        "wine_batches": wine_batches_runs(),
    }
    print(f"split reference cases: {len(report['cases'])}")
    # One case per line: readable diffs without a line per row index.
    cases = report.pop("cases")
    text = json.dumps(report, indent=1)[:-2]
    text += ',\n "cases": [\n' + ",\n".join("  " + json.dumps(c) for c in cases) + "\n ]\n}\n"
    with open(os.path.join(OUT, "folds_groups.json"), "w") as f:
        f.write(text)


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


def make_pipeline_scaled(est):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(), est)


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
    # gridrun scales svc, svr, knn, ridge, lasso and elastic_net by default
    # (in-fold, fitted on each training fold): a StandardScaler Pipeline.
    scaled = make_pipeline_scaled
    for name in ["iris", "wine", "breast_cancer"]:
        x, y = load(name)
        cv, folds = write_folds(name, y)
        for model, est, gridrun in [
            ("svc_linear", scaled(SVC(kernel="linear")), {"kind": "svc", "kernel": "linear"}),
            ("svc_rbf", scaled(SVC()), {"kind": "svc"}),
            ("knn", scaled(KNeighborsClassifier()), {"kind": "knn"}),
            ("knn_distance_manhattan", scaled(KNeighborsClassifier(weights="distance", metric="manhattan")), {"kind": "knn", "weights": "distance", "metric": "manhattan"}),
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
            ("ridge", scaled(Ridge(alpha=10.0)), {"kind": "ridge", "alpha": 10.0}),
            ("lasso", scaled(Lasso(alpha=1.0)), {"kind": "lasso", "alpha": 1.0}),
            ("elastic_net", scaled(ElasticNet(alpha=0.1, l1_ratio=0.5)), {"kind": "elastic_net", "alpha": 0.1, "l1_ratio": 0.5}),
            # rbf, not linear: linfa-svm's linear SVR took 46 s for these 5 folds.
            ("svr_rbf", scaled(SVR(C=10.0)), {"kind": "svr", "C": 10.0}),
            ("knn_regression", scaled(KNeighborsRegressor()), {"kind": "knn"}),
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


def native_categorical():
    """HistGradientBoostingClassifier with native categorical splits
    (categorical_features="from_dtype": the text columns as pandas
    categories), default parameters, on the messy datasets' folds; gridrun's
    gradient_boosting splits the same columns natively by default
    (configs/titanic-gbdt.toml, configs/penguins-gbdt.toml). Needs
    scripts/python-env.sh dataframes (pandas)."""
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    report = {"sklearn_version": sklearn.__version__,
              "generated_by": "scripts/sklearn_reference.py native",
              "estimator": "HistGradientBoostingClassifier(categorical_features='from_dtype', random_state=0)",
              "datasets": {}}
    for name, (csv_name, target, dropped, _, _) in MESSY.items():
        df = pd.read_csv(os.path.join(ROOT, "datasets", csv_name))
        y = np.unique(df[target].astype(str), return_inverse=True)[1]
        x = df.drop(columns=[target] + dropped)
        categorical = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
        for c in categorical:
            x[c] = x[c].astype("category")
        folds_file = os.path.join(OUT, f"folds_{name}.txt")
        test_fold = np.loadtxt(folds_file, dtype=int)
        model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
        scores = cross_val_score(model, x, y, cv=PredefinedSplit(test_fold), scoring="accuracy")
        print(f"{name} native categorical: {scores.mean():.4f}", flush=True)
        report["datasets"][name] = {
            "csv": f"datasets/{csv_name}", "target": target, "dropped": dropped,
            "categorical": categorical, "folds_file": os.path.relpath(folds_file, ROOT),
            "mean_accuracy": float(scores.mean()),
        }
    write_json("sklearn_native_categorical.json", report)


def write_json(name, data):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


SECTIONS = {
    "accuracy": main,
    "folds": write_split_references,
    "models": models_reference,
    "logistic": logistic_per_c,
    "messy": messy,
    "native": native_categorical,
}

if __name__ == "__main__":
    # No argument: every section; else the named ones.
    import sys

    for section in sys.argv[1:] or list(SECTIONS):
        SECTIONS[section]()
