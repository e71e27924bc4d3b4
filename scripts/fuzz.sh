#!/usr/bin/env bash
# Fuzzes the two parsers of untrusted input with cargo-fuzz (libFuzzer):
#   config_parse  gridrun::config::Config::parse on any text
#   csv_load      gridrun::data::prepare + Dataset::open + read_features_csv
#                 on any bytes (first byte: target column / task hint)
# The fuzz crate is scripts/fuzz (its own workspace); seeds are committed in
# scripts/fuzz/seeds/<target>, what the fuzzer adds goes to
# scripts/fuzz/corpus/<target> and crashes to scripts/fuzz/artifacts/<target>
# (both git-ignored). Not run by CI.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 600; the targets run one after the other
#   TARGET              default: config_parse csv_load
# Environment:
#   FUZZ_KEEP_GOING=1   keep fuzzing after a crash (libFuzzer fork mode with
#                       -ignore_crashes): collects every crash, not just the first
#   FUZZ_ARGS="..."     extra libFuzzer flags
# Exit status: 0 if no target crashed in this run, 1 otherwise.
#
# cargo-fuzz needs nightly features (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets the
# stable toolchain, the only one on these machines, provide them.
set -euo pipefail

# All in a function, so bash reads the whole file before running any of it.
main() {
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  fuzz_dir="$repo/scripts/fuzz"
  seconds=${1:-600}
  shift || true
  targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=(config_parse csv_load)
  case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;; esac

  export PATH="$HOME/.cargo/bin:$PATH"
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz..."
    cargo install cargo-fuzz --locked
  fi
  export RUSTC_BOOTSTRAP=1

  # The CSV target writes a file, a cache (with fsync) and two tempfiles per
  # input: on a tmpfs that is ~10x faster (1,600 vs 145 exec/s here). The
  # harness and gridrun both take their temporary files from TMPDIR.
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    scratch=$(mktemp -d /dev/shm/gridrun-fuzz.XXXXXX)
  else
    scratch=$(mktemp -d)
  fi
  trap 'rm -rf "$scratch"' EXIT
  export TMPDIR="$scratch"

  cd "$repo"
  mkdir -p "$fuzz_dir/logs"
  echo "building fuzz targets ($(cargo fuzz --version))..."
  for target in "${targets[@]}"; do
    cargo fuzz build --fuzz-dir "$fuzz_dir" "$target"
  done

  summary=()
  crashed=0
  for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    seeds="$fuzz_dir/seeds/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    marker="$scratch/start-$target"
    : >"$marker"
    flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048)
    [ -f "$fuzz_dir/dicts/$target.dict" ] && flags+=(-dict="$fuzz_dir/dicts/$target.dict")
    [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    # shellcheck disable=SC2206
    flags+=(${FUZZ_ARGS:-})
    cmd=(cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" "$seeds" -- "${flags[@]}")
    echo "== $target: ${cmd[*]}"
    echo "   (log: ${log#"$repo"/})"
    start=$(date +%s)
    status=0
    "${cmd[@]}" </dev/null >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))

    # libFuzzer's final stats (plain mode); fork mode reports in its status lines.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    if [ -z "$execs" ] && [ -n "$last" ]; then
      execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
      rate=$(grep -Eo 'exec/s: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
    fi
    units=$(grep -Eo 'corp: [0-9]+(/[0-9]+[a-zA-Z]*)?' <<<"$last" | sed 's/corp: //' || true)
    cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
    files=$(find "$corpus" -type f | wc -l)
    new=$(find "$artifacts" -type f -newer "$marker" | sort)
    n_new=$(grep -c . <<<"$new" || true)
    total=$(find "$artifacts" -type f | wc -l)
    line="$target: ${elapsed}s, ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, corpus ${units:-?} units in libFuzzer (${files} files in corpus/$target + $(find "$seeds" -type f | wc -l) seeds), crashes this run: ${n_new} (all-time artifacts: ${total}), fuzzer exit ${status}"
    echo "   $line"
    summary+=("$line")
    if [ "$n_new" -gt 0 ] || { [ "$status" -ne 0 ] && [ "${FUZZ_KEEP_GOING:-0}" != 1 ]; }; then
      crashed=1
      grep -E "panicked at|^thread '|SUMMARY|ERROR: libFuzzer|Test unit written" -A2 "$log" | head -40 | sed 's/^/   | /'
      for f in $new; do
        echo "   crash input: ${f#"$repo"/} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir scripts/fuzz $target ${f#"$repo"/})"
      done
    fi
  done

  echo
  echo "== summary (${seconds}s per target)"
  printf '%s\n' "${summary[@]}"
  exit "$crashed"
}

main "$@"
