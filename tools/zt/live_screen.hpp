// LiveScreen: the terminal while `zt top` redraws on it, with plain ANSI escapes.
//
// The constructor switches to the terminal's alternate screen and hides the
// cursor, turns off line buffering and echo on the input when it is a terminal
// (so that a single q is read at once; Ctrl-C still sends SIGINT), and catches
// SIGINT, SIGTERM and SIGWINCH. The destructor puts all of that back, whether the
// view ends by q, by one of those signals or by an exception, so the shell gets
// its screen and its line editing back.
//
// The three signals stay blocked except while wait() waits (ppoll), so that they
// interrupt that wait and nothing else: build the LiveScreen before starting any
// thread (a Client), whose threads then inherit the blocked mask. Main thread
// only; at most one at a time.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <ostream>
#include <string>

#include <termios.h>

namespace zerotask::zt {

class LiveScreen {
 public:
  // kNone: the wait ended with nothing to do (its time passed, or a key other than
  // q came); wait again for what is left of the time.
  enum class Event { kNone, kQuit, kResize };

  // `input`: the descriptor keys are read from; `out`: the terminal's stream.
  LiveScreen(int input, std::ostream& out);
  ~LiveScreen();
  LiveScreen(const LiveScreen&) = delete;
  LiveScreen& operator=(const LiveScreen&) = delete;

  // Draws `lines` (each already fitted to the width, "\n" after each) over the
  // previous frame from the top left, at most `rows` of them (0: all), clearing
  // what the previous frame left beyond them.
  void draw(const std::string& lines, std::size_t rows);

  // Waits up to `timeout` for q (or Q) on the input, SIGINT or SIGTERM (kQuit), or
  // a change of the terminal's size (kResize). Once the view is to end, every
  // later call returns kQuit at once.
  Event wait(std::chrono::milliseconds timeout);

 private:
  int input_;
  std::ostream& out_;
  std::optional<termios> saved_mode_;  // the input's mode before, when it is a terminal
  bool input_open_ = false;            // false once the input hung up: no more keys
  sigset_t caught_{};
  sigset_t saved_mask_{};
  struct sigaction saved_int_ {};
  struct sigaction saved_term_ {};
  struct sigaction saved_winch_ {};
};

}  // namespace zerotask::zt
