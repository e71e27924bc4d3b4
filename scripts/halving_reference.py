#!/usr/bin/env python3
"""Reference successive-halving schedules from scikit-learn, for the unit
tests of src/strategy/halving.rs (which need no Python).

Runs scikit-learn's HalvingGridSearchCV / HalvingRandomSearchCV for real on
small synthetic data (cheap trees: only the schedule matters) and records,
per case, the inputs gridrun's schedule takes and scikit-learn's fitted
n_candidates_, n_resources_, n_iterations_, n_required_iterations_,
n_possible_iterations_, min_resources_, max_resources_. Also records
`_top_k` (the per-round selection) on score vectors without ties.

    PY=$(scripts/python-env.sh); $PY scripts/halving_reference.py
writes tests/reference/halving_schedules.json.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV, KFold, StratifiedKFold
from sklearn.model_selection._search_successive_halving import _top_k
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "tests", "reference", "halving_schedules.json")

# name: dict of the case. "candidates": grid size (HalvingGridSearchCV) or
# n_candidates (HalvingRandomSearchCV, "random": True).
CASES = [
    dict(name="grid27_f3_exhaust", n_samples=1000, n_classes=3, folds=5, candidates=27),
    dict(name="grid27_f3_smallest", n_samples=1000, n_classes=3, folds=5, candidates=27, min_resources="smallest"),
    dict(name="grid30_f2_min50", n_samples=1000, n_classes=3, folds=5, candidates=30, factor=2, min_resources=50),
    dict(name="grid100_aggressive", n_samples=400, n_classes=2, folds=4, candidates=100,
         min_resources="smallest", aggressive_elimination=True),
    dict(name="grid100_not_aggressive", n_samples=400, n_classes=2, folds=4, candidates=100,
         min_resources="smallest"),
    dict(name="grid40_f2.5_exhaust", n_samples=1500, n_classes=3, folds=3, candidates=40, factor=2.5),
    dict(name="grid243_f3_log_rounding", n_samples=3000, n_classes=2, folds=3, candidates=243),
    dict(name="grid125_f3_10k_10classes", n_samples=10000, n_classes=10, folds=5, candidates=125),
    dict(name="grid125_f3_max_resources", n_samples=10000, n_classes=10, folds=5, candidates=125,
         max_resources=3000),
    dict(name="grid8_resource_max_depth", n_samples=300, n_classes=2, folds=3, candidates=8,
         resource="max_depth", max_resources=30),
    dict(name="grid20_resource_max_depth_smallest", n_samples=300, n_classes=2, folds=3, candidates=20,
         resource="max_depth", max_resources=30, min_resources="smallest", factor=2),
    dict(name="grid1_single_candidate", n_samples=500, n_classes=2, folds=5, candidates=1),
    dict(name="random_exhaust_regression", n_samples=2000, n_classes=None, folds=5, candidates="exhaust",
         random=True),
    dict(name="random_exhaust_classes", n_samples=2000, n_classes=4, folds=5, candidates="exhaust",
         random=True, factor=4),
    dict(name="random_20_f4", n_samples=2000, n_classes=4, folds=5, candidates=20, random=True, factor=4),
]


def data(case):
    if case["n_classes"] is None:
        x, y = make_regression(n_samples=case["n_samples"], n_features=5, random_state=0)
    else:
        x, y = make_classification(n_samples=case["n_samples"], n_features=6, n_informative=4,
                                   n_classes=case["n_classes"], n_clusters_per_class=1, random_state=0)
    return x, y


def run(case):
    x, y = data(case)
    regression = case["n_classes"] is None
    # The resource, when a hyperparameter, is set by each round.
    depth = 3 if case.get("resource", "n_samples") == "n_samples" else None
    estimator = (DecisionTreeRegressor if regression else DecisionTreeClassifier)(max_depth=depth)
    cv = (KFold if regression else StratifiedKFold)(case["folds"], shuffle=True, random_state=0)
    options = dict(
        factor=case.get("factor", 3),
        resource=case.get("resource", "n_samples"),
        max_resources=case.get("max_resources", "auto"),
        aggressive_elimination=case.get("aggressive_elimination", False),
        cv=cv,
        random_state=0,
        n_jobs=1,
    )
    if "min_resources" in case:
        options["min_resources"] = case["min_resources"]
    # A grid of distinct candidates (the resource stays out of it).
    values = list(np.linspace(0.0, 0.01, 1000))
    if case.get("random"):
        search = HalvingRandomSearchCV(estimator, {"min_impurity_decrease": values},
                                       n_candidates=case["candidates"], **options)
    else:
        search = HalvingGridSearchCV(estimator, {"min_impurity_decrease": values[: case["candidates"]]},
                                     **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(x, y)
    return {
        "n_candidates_": [int(n) for n in search.n_candidates_],
        "n_resources_": [int(n) for n in search.n_resources_],
        "n_iterations_": int(search.n_iterations_),
        "n_required_iterations_": int(search.n_required_iterations_),
        "n_possible_iterations_": int(search.n_possible_iterations_),
        "min_resources_": float(search.min_resources_),
        "max_resources_": int(search.max_resources_),
    }


def top_k_cases():
    rng = np.random.RandomState(0)
    cases = []
    for n, k, nans in [(9, 3, 0), (27, 9, 2), (10, 4, 3), (5, 5, 5), (40, 14, 0), (6, 6, 1)]:
        scores = rng.permutation(n).astype(float) / n  # distinct: no ties
        scores[rng.choice(n, nans, replace=False)] = np.nan
        results = {"iter": [0] * n, "mean_test_score": scores, "params": [{"i": i} for i in range(n)]}
        kept = [p["i"] for p in _top_k(results, k, 0)]
        cases.append({"scores": [None if np.isnan(s) else float(s) for s in scores], "k": k, "kept": kept})
    return cases


def main():
    out = {
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "cases": [],
        "top_k": top_k_cases(),
    }
    for case in CASES:
        record = dict(case)
        record["factor"] = case.get("factor", 3)
        record["resource"] = case.get("resource", "n_samples")
        record["min_resources"] = case.get("min_resources", "smallest" if case.get("random") else "exhaust")
        record["max_resources"] = case.get("max_resources", "auto")
        record["aggressive_elimination"] = case.get("aggressive_elimination", False)
        record["random"] = case.get("random", False)
        record["expected"] = run(case)
        out["cases"].append(record)
        print(case["name"], record["expected"]["n_candidates_"], record["expected"]["n_resources_"])
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
