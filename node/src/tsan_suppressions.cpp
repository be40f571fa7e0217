// ThreadSanitizer suppressions built into the node's executables (the `node`
// program and the node tests). libzmq is not compiled with ThreadSanitizer, so the
// lock-free pipes that hand each message between its I/O thread and ours are
// invisible to it and every message would be reported as a race. Only reports with
// a libzmq frame are suppressed; a race in our own code still fails the run.
// Without -fsanitize=thread nothing calls this function.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libzmq.so\n";
}
