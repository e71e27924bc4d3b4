#!/usr/bin/env bash
# For each config in configs/: `gridrun estimate` (pilot + cost model) predicts
# the wall time of the run on this machine's cores, then the real run is
# timed. Prints predicted vs measured (target: within 20%).
# Usage: scripts/estimate_accuracy.sh [PILOT_SECONDS]   (default 30)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
pilot=${1:-30}
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/gridrun"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-18s %6s %12s %12s %8s\n' config tasks predicted measured error
for config in "$repo"/configs/*.toml; do
  name=$(basename "$config" .toml)
  out="$work/$name"
  "$bin" estimate "$config" --deadline 1h --pilot-seconds "$pilot" --json -o "$out" > "$work/$name.json"
  "$bin" "$config" --quiet --fresh -o "$out" > /dev/null || true
  python3 - "$work/$name.json" "$out/run.json" "$name" <<'PY'
import json, sys
est = json.load(open(sys.argv[1])); run = json.load(open(sys.argv[2]))
p, m = est["this_machine"]["predicted_wall_seconds"], run["wall_seconds"]
print(f"{sys.argv[3]:<18} {run['tasks']:>6} {p:>11.2f}s {m:>11.2f}s {100 * (p - m) / m:>+7.0f}%")
PY
done
