// ThreadSanitizer suppressions, compiled into every zerotask executable and test
// executable of a -DZEROTASK_TSAN=ON build (common/CMakeLists.txt adds this file to
// each executable that links zerotask_common). libzmq is not instrumented, so TSan sees the memory
// its threads touch through intercepted calls (recv, memcpy, free) but not the
// lock-free hand-over between its threads and ours: every message would be reported
// as a race. Over CURVE, libzmq's I/O thread decrypts each message with libsodium
// (not instrumented either), whose writes TSan sees the same way. Only reports with
// a libzmq or libsodium frame are suppressed; a race in our own code still fails the
// run.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so.5\n"
         "called_from_lib:libsodium.so.23\n"
         "race:libzmq.so\n"
         "race:libsodium.so\n";
}
