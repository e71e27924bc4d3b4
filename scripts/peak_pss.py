#!/usr/bin/env python3
"""Run a command and report the peak memory of its whole process tree.

PSS (proportional set size) splits each shared page among the processes that
map it, so N workers mapping one dataset count it once, as they should. The
tree is sampled from /proc every --interval seconds; the peaks printed are the
highest sum over the tree and the coordinator's own peak RSS.

    scripts/peak_pss.py [--interval 0.05] [--json FILE] -- CMD ARGS...
"""
import argparse
import json
import os
import subprocess
import sys
import time


def children(pid):
    """Direct children of pid (Linux /proc/PID/task/*/children)."""
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(k) for k in f.read().split())
    except OSError:
        pass
    return kids


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def rollup(pid):
    """(Pss, Rss) in bytes from smaps_rollup, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = {}
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[0] in ("Pss:", "Rss:"):
                    fields[parts[0][:-1]] = int(parts[1]) * 1024
            return fields.get("Pss", 0), fields.get("Rss", 0)
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command given")
    start = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak_tree, peak_root_rss, peak_procs = 0, 0, 0
    while proc.poll() is None:
        pids = tree(proc.pid)
        total = 0
        for p in pids:
            r = rollup(p)
            if r is None:
                continue
            total += r[0]
            if p == proc.pid:
                peak_root_rss = max(peak_root_rss, r[1])
        peak_tree = max(peak_tree, total)
        peak_procs = max(peak_procs, len(pids))
        time.sleep(args.interval)
    figures = {
        "exit_code": proc.returncode,
        "wall_seconds": round(time.monotonic() - start, 3),
        "peak_tree_pss_bytes": peak_tree,
        "peak_root_rss_bytes": peak_root_rss,
        "peak_processes": peak_procs,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    print(json.dumps(figures), file=sys.stderr)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
