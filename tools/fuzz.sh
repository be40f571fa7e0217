#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang++, ASan + UBSan) and
# runs each for a bounded time, all at once, starting from its seed corpus in
# tests/fuzz/corpus/<target>/ (one directory per target). Inputs the fuzzers find go
# to a scratch directory, never into the repository. Exits non-zero if a fuzzer
# finds a crash, a sanitizer report, a leak or a hang, and prints the reproducer.
#
#   tools/fuzz.sh [TARGET]...      (default: every target with a seed corpus)
#
# Environment:
#   ZEROTASK_FUZZ_SECONDS    seconds each target runs (default 20)
#   ZEROTASK_FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   ZEROTASK_FUZZ_CXX_FLAGS  optimization and debug flags (default -O1 -g1: no
#                            -DNDEBUG, so assertions, the project's and
#                            nlohmann::json's, are checked)
#   ZEROTASK_FUZZ_WORKDIR    scratch directory (default BUILD_DIR/runs; emptied per target)
#   ZEROTASK_JOBS            build parallelism (default nproc)
# tools/test.sh fuzzes in its AddressSanitizer build (build-asan/, -O0), which is
# configured the same way.
# Replay a reproducer: BUILD_DIR/bin/TARGET FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${ZEROTASK_FUZZ_BUILD_DIR:-build-fuzz}
CXX_FLAGS=${ZEROTASK_FUZZ_CXX_FLAGS:--O1 -g1}
CORPUS_DIR=tests/fuzz/corpus
DICTIONARY=tests/fuzz/json_rpc.dict
SECONDS_PER_TARGET=${ZEROTASK_FUZZ_SECONDS:-20}
WORKDIR=${ZEROTASK_FUZZ_WORKDIR:-$BUILD_DIR/runs}
MAX_LEN=4096       # bytes per input: room for a conversation of a dozen messages
INPUT_TIMEOUT=10   # seconds one input may take before it counts as a hang
JOBS=${ZEROTASK_JOBS:-$(nproc)}

case "${1:-}" in
  -h|--help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    exit 0
    ;;
esac
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: ZEROTASK_FUZZ_SECONDS must be a positive number of seconds, not '$SECONDS_PER_TARGET'" >&2
  exit 2
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for dir in "$CORPUS_DIR"/*/; do targets+=("$(basename "$dir")"); done
fi
for target in "${targets[@]}"; do
  if [[ ! -d "$CORPUS_DIR/$target" ]]; then
    echo "fuzz: no seed corpus $CORPUS_DIR/$target/ for target '$target'" >&2
    exit 2
  fi
done

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found: run tools/install-deps.sh" >&2
  exit 1
fi

build_start=$SECONDS
cmake -S . -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$CXX_FLAGS" -DZEROTASK_TESTS=ON -DZEROTASK_FUZZ=ON >/dev/null
target_args=()
for target in "${targets[@]}"; do target_args+=(--target "$target"); done
echo "fuzz: building ${targets[*]} in $BUILD_DIR"
cmake --build "$BUILD_DIR" -j "$JOBS" "${target_args[@]}"
echo "fuzz: built in $((SECONDS - build_start)) s"

source tools/sanitizer-env.sh

echo "fuzz: running ${targets[*]} for $SECONDS_PER_TARGET s each, scratch in $WORKDIR/"
run_start=$SECONDS
pids=()
for target in "${targets[@]}"; do
  dir="$WORKDIR/$target"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # The first corpus directory receives new inputs; the seeds are only read.
  "$BUILD_DIR/bin/$target" "$dir/corpus" "$CORPUS_DIR/$target" \
    -dict="$DICTIONARY" -max_len="$MAX_LEN" -timeout="$INPUT_TIMEOUT" \
    -max_total_time="$SECONDS_PER_TARGET" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
    >"$dir/fuzz.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  dir="$WORKDIR/$target"
  rc=0
  wait "${pids[$i]}" || rc=$?
  stats=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
  coverage=$(grep -o 'cov: [0-9]*' "$dir/fuzz.log" | tail -n 1 || true)
  if [[ $rc -eq 0 ]]; then
    echo "fuzz: $target passed (${stats:-?} inputs, ${coverage:-cov: ?}; $(find "$dir/corpus" -type f | wc -l) new inputs in $dir/corpus)"
    continue
  fi
  failed=1
  echo "fuzz: $target FAILED (exit $rc); its log, $dir/fuzz.log, ends:" >&2
  tail -n 60 "$dir/fuzz.log" >&2
  for artifact in "$dir"/artifacts/*; do
    [[ -e "$artifact" ]] || continue
    echo "fuzz: reproducer: $artifact (replay: $BUILD_DIR/bin/$target $artifact)" >&2
  done
done
echo "fuzz: ran in $((SECONDS - run_start)) s"
exit "$failed"
