#!/usr/bin/env bash
# Installs a built tree into a temporary prefix, builds examples/ against the
# installed CMake package, then runs the installed broker, the example node and the
# example client together and checks the client's answers.
#
#   install_and_build_example.sh BUILD_DIR EXAMPLES_DIR CXX_COMPILER [LINK_FLAGS]
#
# LINK_FLAGS: extra linker flags for the examples (the sanitizer of a sanitizer
# build, whose static libraries need its runtime). Every step has a timeout; every
# process started is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ $# -lt 3 ]]; then
  echo "usage: $0 BUILD_DIR EXAMPLES_DIR CXX_COMPILER [LINK_FLAGS]" >&2
  exit 2
fi
build_dir=$1
examples_dir=$2
cxx=$3
link_flags=${4:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/zerotask-packaging.XXXXXX")
prefix=$work/prefix
pids=()

cleanup() {
  local status=$?
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]+"${pids[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $status -ne 0 ]]; then
    for log in "$work"/*.log; do
      [[ -f "$log" ]] || continue
      echo "--- $(basename "$log") (last 40 lines)"
      tail -n 40 "$log"
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "packaging: $*" >&2
  exit 1
}

# alive PID: see tools/lib/processes.sh.
source ../../tools/lib/processes.sh

# stop PID NAME: SIGTERM, and the process must exit with status 0 within 20 s.
stop() {
  local pid=$1 name=$2
  kill -TERM "$pid"
  local deadline=$((SECONDS + 20))
  while alive "$pid"; do
    ((SECONDS < deadline)) || fail "$name did not stop within 20 s of SIGTERM"
    sleep 0.1
  done
  local status=0
  wait "$pid" || status=$?
  [[ $status -eq 0 ]] || fail "$name exited with status $status after SIGTERM"
}

echo "packaging: installing $build_dir into $prefix"
timeout 120 cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  fail "cmake --install failed"

for file in bin/zerotask-broker bin/zerotask-node bin/zt bin/zt-bench include/zerotask/json_rpc.hpp \
            include/zerotask/node.hpp include/zerotask/client.hpp; do
  [[ -f "$prefix/$file" ]] || fail "$file is not installed"
done
for program in zerotask-broker zerotask-node zt zt-bench; do
  [[ -x "$prefix/bin/$program" ]] || fail "bin/$program is not executable"
done
[[ ! -e "$prefix/bin/broker" && ! -e "$prefix/bin/node" ]] || fail "the daemons are installed under their build-tree names"
config=$(find "$prefix" -name zerotaskConfig.cmake -print -quit)
[[ -n "$config" ]] || fail "zerotaskConfig.cmake is not installed"
[[ -f "$(dirname "$config")/zerotaskConfigVersion.cmake" ]] || fail "zerotaskConfigVersion.cmake is not installed"
timeout 10 "$prefix/bin/zerotask-broker" --version >"$work/version.log" 2>&1 || fail "zerotask-broker --version failed"
timeout 10 "$prefix/bin/zerotask-node" --help >"$work/help.log" 2>&1 || fail "zerotask-node --help failed"

echo "packaging: building $examples_dir against the installed package"
timeout 120 cmake -S "$examples_dir" -B "$work/examples" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_EXE_LINKER_FLAGS="$link_flags" >"$work/configure.log" 2>&1 ||
  fail "configuring the examples failed"
timeout 300 cmake --build "$work/examples" -j 2 >"$work/build.log" 2>&1 || fail "building the examples failed"

# A port pair that is free: the broker refuses to start on a taken one, so retry.
endpoint=
for _ in $(seq 20); do
  port=$((20000 + (RANDOM % 20000) * 2))
  "$prefix/bin/zerotask-broker" --store memory --endpoint "tcp://127.0.0.1:$port" >"$work/broker.log" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  started=0
  deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)) && alive "$broker_pid"; do
    if timeout 5 "$prefix/bin/zt" --broker "tcp://127.0.0.1:$port" ping >/dev/null 2>&1; then
      started=1
      break
    fi
    sleep 0.1
  done
  if [[ $started -eq 1 ]]; then
    endpoint=tcp://127.0.0.1:$port
    break
  fi
  kill -KILL "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
done
[[ -n "$endpoint" ]] || fail "the installed broker did not start on any of 20 port pairs"
echo "packaging: installed broker listening on $endpoint"

"$work/examples/custom_node" "$endpoint" >"$work/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")

echo "packaging: running custom_client"
client_status=0
timeout 60 "$work/examples/custom_client" "$endpoint" >"$work/client.log" 2>&1 || client_status=$?
cat "$work/client.log"
[[ $client_status -eq 0 ]] || fail "custom_client exited with status $client_status"
grep -qF 'reverse("hello, zerotask") = "ksatorez ,olleh"' "$work/client.log" || fail "no reverse result"
grep -qE '^word_count\(task [0-9a-f]{16}\) = .*"words":9' "$work/client.log" || fail "no word_count result"
grep -qF 'reverse(42) failed as expected: reverse expects exactly one string' "$work/client.log" ||
  fail "no error for reverse(42)"
grep -qF 'custom_client: all answers as expected' "$work/client.log" || fail "custom_client did not confirm"

stop "$node_pid" custom_node
stop "$broker_pid" zerotask-broker
pids=()
echo "packaging: the installed package works"
