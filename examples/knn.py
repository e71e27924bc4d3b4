#!/usr/bin/env python3
"""One gridrun task with only Python's standard library: k nearest
neighbours on gridrun's fold of a CSV (see configs/knn-stdlib.toml).

Nearest first by (distance, row index); the vote goes to the most frequent
label among the k nearest, ties to the smallest label.
"""
import csv
import json
import os
import sys


def load_csv(path):
    """Features as floats, the last column (the target) as strings."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return [[float(v) for v in r[:-1]] for r in rows], [r[-1] for r in rows]


def read_rows(path):
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def distance(a, b, metric):
    if metric == "manhattan":
        return sum(abs(x - y) for x, y in zip(a, b))
    return sum((x - y) * (x - y) for x, y in zip(a, b))  # squared euclidean: same order


def predict(X, y, train, row, k, metric):
    nearest = sorted(train, key=lambda r: (distance(X[r], X[row], metric), r))[:k]
    votes = {}
    for r in nearest:
        votes[y[r]] = votes.get(y[r], 0) + 1
    return min(votes, key=lambda label: (-votes[label], label))


def main():
    k, metric = int(sys.argv[1]), sys.argv[2]
    X, y = load_csv(os.environ["GRIDRUN_DATA"])
    train = read_rows(os.environ["GRIDRUN_TRAIN_ROWS"])
    test = read_rows(os.environ["GRIDRUN_TEST_ROWS"])
    correct = sum(predict(X, y, train, row, k, metric) == y[row] for row in test)
    print(json.dumps({"accuracy": correct / len(test), "errors": len(test) - correct}))


if __name__ == "__main__":
    main()
