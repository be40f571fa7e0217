#!/usr/bin/env bash
# Builds zerotask and runs every test: the whole suite in build/, then the suites
# that exercise threads again under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/, clang++) and under ThreadSanitizer (build-tsan/), then fuzzes the
# JSON-RPC decoder and the broker's request dispatcher for a bounded time in the
# AddressSanitizer build (tools/fuzz.sh; ZEROTASK_FUZZ_SECONDS per target, default
# 40 here: that -O0 build runs inputs several times slower than fuzz.sh's own -O1
# build). Runs every stage even after a failure, prints a summary, and exits
# non-zero if any stage failed.
#
#   tools/test.sh [--no-sanitizers]     (--no-sanitizers also skips the fuzzing)
#
# The sanitizer builds compile only the test suites named below and the executables
# the integration tests start.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Test suites (test targets, and the prefix of their CTest names) rerun under the
# sanitizers: the ones with threads. ThreadSanitizer leaves out the broker's unit
# tests, which are mostly its single-threaded scheduler (the broker's threads run
# under it in the integration suites, through the real executable); that keeps
# tools/test.sh within 20 minutes on 2 cores.
ASAN_SUITES='node_tests|client_tests|broker_tests|integration_tests|http_integration_tests'
TSAN_SUITES='node_tests|client_tests|integration_tests|http_integration_tests'
# Executables the integration tests start, built beside the suites.
SANITIZER_EXECUTABLES=(broker node zt)
# Optimization and debug info of the sanitizer builds; -g1 gives file:line in every
# report. ASan+UBSan builds at -O0, which compiles the test files about twice as
# fast as -O1 (the suites' run time is mostly waiting, not computing); TSan keeps
# -O1, as its own slowdown would otherwise stretch the timing of the thread tests.
ASAN_CXX_FLAGS='-O0 -g1'
TSAN_CXX_FLAGS='-O1 -g1'
# The ASan+UBSan build is also the fuzz build (one build instead of two): clang++,
# which compiles it about 40% faster than g++ at -O0, with libFuzzer's coverage.
# The other builds use g++, so both compilers' warnings are errors.
ASAN_CMAKE_ARGS=(-DCMAKE_CXX_COMPILER=clang++ -DZEROTASK_FUZZ=ON)
TSAN_CMAKE_ARGS=(-DZEROTASK_TSAN=ON)
CTEST_ARGS=(--output-on-failure -j2 --timeout 300 --no-tests=error)
# One compile job more than CPUs: a CPU is not idle while a job links or reads.
export ZEROTASK_JOBS=${ZEROTASK_JOBS:-$(($(nproc) + 1))}

run_sanitizers=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-sanitizers) run_sanitizers=0; shift ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) echo "test: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

started=$SECONDS
failures=()
stage() {
  # stage NAME COMMAND...: runs COMMAND with errexit in a subshell and records a failure.
  local name=$1
  shift
  echo
  echo "=== test: $name"
  local stage_start=$SECONDS
  set +e
  (set -e; "$@")
  local rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then
    echo "=== test: $name passed ($((SECONDS - stage_start)) s)"
  else
    echo "=== test: $name FAILED (exit $rc, $((SECONDS - stage_start)) s)" >&2
    failures+=("$name")
  fi
}

main_suite() {
  bash tools/build.sh -DZEROTASK_TESTS=ON
  cd build
  ctest "${CTEST_ARGS[@]}"
}

# sanitizer_suite DIR CXX_FLAGS SUITES CMAKE_ARGS...: builds the suites with one
# sanitizer (chosen by CMAKE_ARGS) and runs them.
sanitizer_suite() {
  local dir=$1 flags=$2 suite_names=$3
  shift 3
  local cmake_args=("$@")
  # The test executables are the targets named by the suites, built as the
  # dependencies of one target: make builds one goal's targets side by side but
  # several goals one after another, and in a unity build each is one compile.
  local suites
  IFS='|' read -r -a suites <<<"$suite_names"
  local targets=("${SANITIZER_EXECUTABLES[@]}" "${suites[@]}")
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" \
    -DZEROTASK_TESTS=ON -DZEROTASK_SELECTED_TARGETS="$(IFS=';'; echo "${targets[*]}")" "${cmake_args[@]}" >/dev/null
  echo "test: building ${targets[*]} in $dir"
  cmake --build "$dir" -j "$ZEROTASK_JOBS" --target zerotask_selected
  cd "$dir"
  # Every suite must have been built and have registered tests: a suite that is
  # silently missing would otherwise pass.
  local suite count
  for suite in "${suites[@]}"; do
    count=$(ctest -N -R "^$suite:" | sed -n 's/^Total Tests: //p')
    if [[ "${count:-0}" -eq 0 ]]; then
      echo "test: no tests matching '$suite' in $dir" >&2
      return 1
    fi
  done
  local prefix=()
  if [[ " ${cmake_args[*]} " == *" -DZEROTASK_TSAN=ON "* ]]; then
    read -r -a prefix <<<"$(tsan_prefix)"
    [[ ${#prefix[@]} -eq 0 ]] || echo "test: ThreadSanitizer needs address randomization off here: ${prefix[*]}"
  fi
  "${prefix[@]+"${prefix[@]}"}" ctest "${CTEST_ARGS[@]}" -R "^($suite_names):"
}

# ThreadSanitizer cannot map its shadow memory when the kernel randomizes mmap with
# more bits than it expects (vm.mmap_rnd_bits > 28 with GCC 12). Prints the command
# prefix that runs programs with address randomization off when that is needed.
tsan_prefix() {
  local probe
  probe=$(mktemp -d)
  printf 'int main() { return 0; }\n' >"$probe/probe.cpp"
  if g++ -fsanitize=thread "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null &&
     ! "$probe/probe" >/dev/null 2>&1 && setarch "$(uname -m)" -R "$probe/probe" >/dev/null 2>&1; then
    echo "setarch $(uname -m) -R"
  fi
  rm -rf "$probe"
}

source tools/sanitizer-env.sh

echo "=== test: dependencies"
bash tools/install-deps.sh --tests
stage "build and all tests (build/)" main_suite
if [[ $run_sanitizers -eq 1 ]]; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)" \
    sanitizer_suite build-asan "$ASAN_CXX_FLAGS" "$ASAN_SUITES" "${ASAN_CMAKE_ARGS[@]}"
  stage "ThreadSanitizer (build-tsan/)" sanitizer_suite build-tsan "$TSAN_CXX_FLAGS" "$TSAN_SUITES" "${TSAN_CMAKE_ARGS[@]}"
  stage "libFuzzer, JSON-RPC decoder and request dispatcher (build-asan/)" \
    env ZEROTASK_FUZZ_BUILD_DIR=build-asan ZEROTASK_FUZZ_CXX_FLAGS="$ASAN_CXX_FLAGS" \
    ZEROTASK_FUZZ_SECONDS="${ZEROTASK_FUZZ_SECONDS:-40}" bash tools/fuzz.sh
fi

echo
if [[ ${#failures[@]} -eq 0 ]]; then
  echo "test: all stages passed in $((SECONDS - started)) s"
else
  echo "test: ${#failures[@]} stage(s) failed in $((SECONDS - started)) s:" >&2
  for name in "${failures[@]}"; do echo "  - $name" >&2; done
  exit 1
fi
