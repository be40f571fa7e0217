#include "live_screen.hpp"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

namespace zerotask::zt {
namespace {

// Set by the handler, read and cleared by the one LiveScreen.
volatile std::sig_atomic_t g_quit = 0;
volatile std::sig_atomic_t g_resized = 0;

extern "C" void note_signal(int signo) {
  if (signo == SIGWINCH) {
    g_resized = 1;
  } else {
    g_quit = 1;
  }
}

constexpr const char* kEnter = "\033[?1049h\033[?25l";  // alternate screen, cursor hidden
constexpr const char* kLeave = "\033[?25h\033[?1049l";  // cursor shown, main screen back
constexpr const char* kHome = "\033[H";
constexpr const char* kClearLineEnd = "\033[K";
constexpr const char* kClearScreenEnd = "\033[J";

}  // namespace

LiveScreen::LiveScreen(int input, std::ostream& out) : input_(input), out_(out) {
  g_quit = 0;
  g_resized = 0;
  sigemptyset(&caught_);
  for (int signo : {SIGINT, SIGTERM, SIGWINCH}) sigaddset(&caught_, signo);
  pthread_sigmask(SIG_BLOCK, &caught_, &saved_mask_);
  struct sigaction action {};
  action.sa_handler = note_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &saved_int_);
  sigaction(SIGTERM, &action, &saved_term_);
  sigaction(SIGWINCH, &action, &saved_winch_);

  termios mode{};
  if (isatty(input_) == 1 && tcgetattr(input_, &mode) == 0) {
    saved_mode_ = mode;
    // Keys one at a time, not echoed; ISIG stays, so Ctrl-C is still SIGINT.
    mode.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    mode.c_cc[VMIN] = 0;
    mode.c_cc[VTIME] = 0;
    tcsetattr(input_, TCSANOW, &mode);
    input_open_ = true;
  }
  out_ << kEnter << std::flush;
}

LiveScreen::~LiveScreen() {
  out_ << kLeave << std::flush;
  if (saved_mode_) tcsetattr(input_, TCSANOW, &*saved_mode_);
  // A signal that came after the last wait() is taken here, so that unblocking
  // below does not kill the process with its default action.
  const timespec now{0, 0};
  while (sigtimedwait(&caught_, nullptr, &now) > 0) {
  }
  sigaction(SIGINT, &saved_int_, nullptr);
  sigaction(SIGTERM, &saved_term_, nullptr);
  sigaction(SIGWINCH, &saved_winch_, nullptr);
  pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
}

void LiveScreen::draw(const std::string& lines, std::size_t rows) {
  std::string frame = kHome;
  std::size_t drawn = 0;
  for (std::size_t start = 0; start < lines.size() && (rows == 0 || drawn < rows); ++drawn) {
    std::size_t end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size();
    // No line break after the last line: one at the screen's bottom would scroll it.
    if (drawn > 0) frame += "\r\n";
    frame.append(lines, start, end - start);
    frame += kClearLineEnd;
    start = end + 1;
  }
  frame += kClearScreenEnd;
  out_ << frame << std::flush;
}

LiveScreen::Event LiveScreen::wait(std::chrono::milliseconds timeout) {
  auto noted = [] {
    if (g_quit) return Event::kQuit;
    if (g_resized) {
      g_resized = 0;
      return Event::kResize;
    }
    return Event::kNone;
  };
  if (Event event = noted(); event != Event::kNone) return event;
  // The caught signals are let in only during the wait.
  sigset_t waiting = saved_mask_;
  for (int signo : {SIGINT, SIGTERM, SIGWINCH}) sigdelset(&waiting, signo);
  const auto ms = std::max<std::int64_t>(0, timeout.count());
  const timespec span{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000 * 1'000'000)};
  pollfd item{input_, POLLIN, 0};
  int ready = ppoll(input_open_ ? &item : nullptr, input_open_ ? 1 : 0, &span, &waiting);
  if (ready < 0) return noted();  // EINTR: a signal came
  if (ready > 0 && (item.revents & POLLIN)) {
    char keys[64];
    ssize_t got = read(input_, keys, sizeof keys);
    for (ssize_t k = 0; k < got; ++k) {
      if (keys[k] == 'q' || keys[k] == 'Q') return Event::kQuit;
    }
  } else if (ready > 0) {
    input_open_ = false;  // hung up: no more keys, but signals still end the view
  }
  return noted();
}

}  // namespace zerotask::zt
