# Shell helpers for scripts that start zerotask processes; source it.

# alive PID: the process exists and has not exited (a child that exited stays a
# zombie until it is waited for, and kill -0 still succeeds on it).
alive() {
  local state
  state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}
