#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts a broker
# (its durable SQLite store in build/demo/, ports 5555/5556) and a node, shows
# zerotask at work with the zt command line, and kills the broker with SIGKILL and
# restarts it to show that its tasks survive. Stops both at the end (also on Ctrl-C
# or an error).
#
#   tools/demo.sh [--keep-running]
#
# --keep-running leaves the broker and the node running afterwards and prints how
# to stop them. Logs go to build/demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

keep_running=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keep-running) keep_running=1; shift ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) echo "demo: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

BIN=build/bin
LOGS=build/demo
NODE_NAME=demo-node
broker_pid=
node_pid=

# Bold headings and cyan commands on a terminal; plain text in a log.
if [[ -t 1 ]]; then
  bold=$'\033[1m' cyan=$'\033[36m' plain=$'\033[0m'
else
  bold='' cyan='' plain=''
fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

# zt_shown ARGS...: prints the zt command as a user would type it, then runs it
# (bounded to 60 s so that a demo never hangs).
zt_shown() {
  local shown=zt arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=-]+$ ]]; then shown+=" $arg"; else shown+=" '$arg'"; fi
  done
  printf '%s$ %s%s\n' "$cyan" "$shown" "$plain"
  timeout 60 "$BIN/zt" "$@"
}
zt() { timeout 10 "$BIN/zt" --timeout 2000 "$@"; }

# alive PID: see tools/lib/processes.sh.
source tools/lib/processes.sh

# stop_process PID NAME: SIGTERM, then up to 15 s for a clean exit, then SIGKILL.
stop_process() {
  local pid=$1 name=$2
  [[ -n "$pid" ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
      echo "demo: $name did not stop within 15 s of SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  echo "demo: $name stopped (exit status $status)"
}

cleanup() {
  local status=$?
  if [[ $keep_running -eq 1 && $status -eq 0 ]]; then
    return
  fi
  stop_process "$node_pid" node
  stop_process "$broker_pid" broker
  if [[ $status -ne 0 && -d "$LOGS" ]]; then
    echo "demo: failed (logs in $LOGS/)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready PID NAME LOG DESCRIPTION COMMAND...: retries COMMAND for up to 15 s;
# gives up at once, showing the log, if the process exits meanwhile.
wait_ready() {
  local pid=$1 name=$2 log=$3 description=$4
  shift 4
  local deadline=$((SECONDS + 15))
  while ((SECONDS < deadline)); do
    if ! alive "$pid"; then
      echo "demo: the $name exited during start-up; the end of its log ($log):" >&2
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: $description did not happen within 15 s; the end of the $name's log ($log):" >&2
  tail -n 20 "$log" >&2 || true
  return 1
}

node_registered() { zt nodes --json | grep -qF "\"$NODE_NAME\""; }

say "Installing missing dependencies (tools/install-deps.sh)"
bash tools/install-deps.sh
say "Building broker, node and zt (tools/build.sh)"
bash tools/build.sh --target broker --target node --target zt

mkdir -p "$LOGS"
if "$BIN/zt" ping --timeout 1000 >/dev/null 2>&1; then
  echo "demo: a broker already answers on tcp://127.0.0.1:5555 (an earlier --keep-running demo?);" \
    "stop it first, or use it directly with $BIN/zt" >&2
  exit 1
fi
STORE="$LOGS/zerotask.db"
rm -f "$STORE" "$STORE-wal" "$STORE-shm"
# start_broker: the broker on its durable store, in the background.
start_broker() {
  "$BIN/broker" --store "$STORE" --endpoint tcp://127.0.0.1:5555 >>"$LOGS/broker.log" 2>&1 &
  broker_pid=$!
  if ! wait_ready "$broker_pid" broker "$LOGS/broker.log" "the broker answering zt ping" zt ping; then
    echo "demo: is another broker (or something else) using port 5555 or 5556?" >&2
    exit 1
  fi
}
: >"$LOGS/broker.log"
say "Starting the broker (SQLite store $STORE, requests on tcp://127.0.0.1:5555, events on tcp://127.0.0.1:5556)"
start_broker
zt_shown ping

say "Starting a node with the example functions"
"$BIN/node" --broker tcp://127.0.0.1:5555 --name "$NODE_NAME" --threads 2 >"$LOGS/node.log" 2>&1 &
node_pid=$!
wait_ready "$node_pid" node "$LOGS/node.log" "the node registering with the broker" node_registered
zt_shown nodes

say "A blocking call: add 5 and 6"
zt_shown call add 5 6

say "Params are JSON: echo a string"
zt_shown call echo '"hello"'

say "A longer task in the background, watched live (count to 5, 300 ms a step)"
submitted=$(zt_shown submit count 5 300)
echo "$submitted"
task_id=$(grep -oE '[0-9a-f]{16}' <<<"$submitted" | head -n 1)
if [[ -z "$task_id" ]]; then
  echo "demo: no task id in the output of zt submit" >&2
  exit 1
fi
zt_shown watch "$task_id"

say "A function that raises: the error comes back to the caller"
if zt_shown call fail '"boom"'; then
  echo "demo: zt call fail succeeded, but it should have reported the error" >&2
  exit 1
else
  echo "(zt exited with status $?, as it does for a failed task)"
fi

say "A chain: multiply(add(1, 2), 10), each step fed the previous result by the broker"
zt_shown chain 'add 1 2' 'multiply 10'

say "A chord: two additions side by side, then sum of their results"
zt_shown chord 'add 1 2' 'add 3 4' --then 'sum'

say "What the broker has seen"
zt_shown stats

say "Killing the broker with SIGKILL and starting it again on the same store"
kill -KILL "$broker_pid"
wait "$broker_pid" 2>/dev/null || true
start_broker
echo "(the task from before the crash is still there, and the node is back)"
zt_shown status "$task_id"
wait_ready "$node_pid" node "$LOGS/node.log" "the node registering with the new broker" node_registered
zt_shown call add 2 3

if [[ $keep_running -eq 1 ]]; then
  say "Still running (--keep-running)"
  cat <<MSG
broker: pid $broker_pid, tcp://127.0.0.1:5555 (events :5556), log $LOGS/broker.log
node:   pid $node_pid ($NODE_NAME), log $LOGS/node.log
Try:    $BIN/zt call add 1 2      $BIN/zt --help
Stop:   kill $node_pid $broker_pid
MSG
else
  say "Stopping the node and the broker"
  stop_process "$node_pid" node
  node_pid=
  stop_process "$broker_pid" broker
  broker_pid=
  say "Demo finished"
fi
