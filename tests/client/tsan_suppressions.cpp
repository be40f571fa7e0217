// ThreadSanitizer sees the memory libzmq's threads touch through calls it
// intercepts (recv, memcpy, free) but not libzmq's lock-free hand-over between its
// threads and ours, since the library is not instrumented: every message would be
// reported as a race. Ignoring the intercepted calls made from libzmq keeps the
// reports to the code built here.
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so.5\n";
}
#endif
