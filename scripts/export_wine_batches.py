#!/usr/bin/env python3
"""Writes datasets/wine_batches.csv: the UCI wine data (datasets/wine.csv,
unchanged values) in a shuffled row order, with a synthetic first column
`batch` saying which production lot each bottle came from. Every lot holds
3 to 12 bottles of one cultivar, so rows of a lot are alike and a CV that
splits lots between training and test rows is optimistic: the data for the
group CV kinds (`[dataset] groups = "batch"`).

    .venv/bin/python scripts/export_wine_batches.py     # after scripts/python-env.sh

numpy's RandomState(2024) makes the lots and the order, so the file is the
same on every run.
"""
import csv
import os

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main():
    with open(os.path.join(ROOT, "datasets", "wine.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    rng = np.random.RandomState(2024)
    lot_of_row = [None] * len(rows)
    lots = 0
    for label in sorted({r[-1] for r in rows}):
        members = [i for i, r in enumerate(rows) if r[-1] == label]
        start = 0
        while start < len(members):
            size = int(rng.randint(3, 13))
            if len(members) - (start + size) < 3:  # no lot smaller than 3
                size = len(members) - start
            lots += 1
            for i in members[start : start + size]:
                lot_of_row[i] = lots
            start += size
    # Lot names in a random order, so a lot's name says nothing about its cultivar.
    names = [f"L{n:02d}" for n in rng.permutation(lots) + 1]
    order = rng.permutation(len(rows))
    path = os.path.join(ROOT, "datasets", "wine_batches.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)  # RFC 4180 CSV: CRLF line ends, like the other datasets
        w.writerow(["batch"] + header)
        for i in order:
            w.writerow([names[lot_of_row[i] - 1]] + rows[i])
    print(f"{os.path.relpath(path, ROOT)}: {len(rows)} rows in {lots} lots")


if __name__ == "__main__":
    main()
