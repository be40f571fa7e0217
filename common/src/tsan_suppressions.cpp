// ThreadSanitizer suppressions, compiled into every zerotask executable and test
// of a -DZEROTASK_TSAN=ON build (common/CMakeLists.txt adds this file to each target
// that links zerotask_common). libzmq is not instrumented, so TSan sees the memory
// its threads touch through intercepted calls (recv, memcpy, free) but not the
// lock-free hand-over between its threads and ours: every message would be reported
// as a race. Only reports with a libzmq frame are suppressed; a race in our own code
// still fails the run.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so.5\n"
         "race:libzmq.so\n";
}
