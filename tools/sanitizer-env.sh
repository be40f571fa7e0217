# Sourced by tools/test.sh and tools/fuzz.sh: the sanitizers' run-time options
# (each kept if already set) and, for clang's sanitizers, the symbolizer that turns
# addresses into file:line.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

# Debian's llvm-14 puts llvm-symbolizer beside the real clang binary
# (/usr/lib/llvm-14/bin), not on the PATH.
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]] && ! command -v llvm-symbolizer >/dev/null 2>&1 &&
   command -v clang++ >/dev/null 2>&1; then
  zerotask_symbolizer="$(dirname "$(readlink -f "$(command -v clang++)")")/llvm-symbolizer"
  if [[ -x "$zerotask_symbolizer" ]]; then
    export ASAN_SYMBOLIZER_PATH=$zerotask_symbolizer
  else
    echo "sanitizers: no llvm-symbolizer: clang's reports will show addresses, not file:line" >&2
  fi
  unset zerotask_symbolizer
fi
