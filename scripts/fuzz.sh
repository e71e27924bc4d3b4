#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with cargo-fuzz (libFuzzer): the
# config parser and the CSV loader. Not run by CI.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 600)
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain (the only one on these machines) provide them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
cd "$repo"
for target in config_parse csv_load; do
  mkdir -p "scripts/fuzz/corpus/$target"
  log="scripts/fuzz/$target.log"
  cargo fuzz run --fuzz-dir scripts/fuzz "$target" "scripts/fuzz/corpus/$target" "scripts/fuzz/seeds/$target" \
    -- -max_total_time="$seconds" -print_final_stats=1 > "$log" 2>&1 || true
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  crashes=$(find "scripts/fuzz/artifacts/$target" -type f 2>/dev/null | wc -l)
  corpus=$(find "scripts/fuzz/corpus/$target" -type f | wc -l)
  echo "$target: ${seconds}s, $execs execs ($rate/s), corpus $corpus, crashes $crashes (log: $log)"
done
