// A wake-up signal that any thread may raise and that a ZeroMQ poll loop can wait
// on, since its file descriptor goes into zmq::poll beside the sockets. Used to
// hand work to the thread that owns the sockets without sharing a socket.
//
// notify() is thread-safe; fd() and clear() belong to the polling thread.
#pragma once

namespace zerotask {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void notify();
  int fd() const { return fd_; }
  // Resets the signal; call before draining the queue it guards.
  void clear();

 private:
  int fd_;
};

}  // namespace zerotask
