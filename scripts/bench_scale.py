#!/usr/bin/env python3
"""scikit-learn's side of scripts/bench_scale.sh: GridSearchCV over a random
forest with the same data, grid and folds (a predefined fold per row) as
gridrun, refit on all rows, then the model pickled; prints one JSON object
with each phase's seconds.

    bench_scale.py rf DATA FOLDS_FILE N_JOBS OUT_DIR
"""
import json
import os
import pickle
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, PredefinedSplit


def rf(data, folds_file, n_jobs, out_dir):
    start = time.perf_counter()
    d = np.loadtxt(data, delimiter=",", skiprows=1)
    x, y = d[:, :-1], d[:, -1].astype(int)
    load = time.perf_counter() - start
    folds = PredefinedSplit(np.loadtxt(folds_file, dtype=int))
    search = GridSearchCV(
        RandomForestClassifier(n_estimators=100, random_state=0),
        {"max_features": ["sqrt", 0.1]},
        cv=folds,
        n_jobs=n_jobs,
        refit=True,
    )
    start = time.perf_counter()
    search.fit(x, y)
    search_wall = time.perf_counter() - start
    start = time.perf_counter()
    path = os.path.join(out_dir, "best_model.pkl")
    with open(path, "wb") as f:
        pickle.dump(search.best_estimator_, f, protocol=pickle.HIGHEST_PROTOCOL)
    write = time.perf_counter() - start
    r = search.cv_results_
    splits = folds.get_n_splits()
    return {
        "sklearn": sklearn.__version__,
        "load_seconds": load,
        "search_wall_seconds": search_wall,
        "fit_seconds": float(np.sum(r["mean_fit_time"]) * splits),
        "score_seconds": float(np.sum(r["mean_score_time"]) * splits),
        "refit_seconds": search.refit_time_,
        "write_seconds": write,
        "model_bytes": os.path.getsize(path),
        "best_params": search.best_params_,
        "best_score": search.best_score_,
    }


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "rf":
        print(json.dumps(rf(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])))
    else:
        sys.exit(f"unknown benchmark {what}")
