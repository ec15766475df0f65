#include "probe/storage/stop_signals.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::probe::storage {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop(int sig) { g_stop_signal = sig; }

struct sigaction g_previous_int, g_previous_term;

}  // namespace

StopSignals::StopSignals() {
  g_stop_signal = 0;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a read or write blocked on slow storage returns EINTR
  sigaction(SIGINT, &sa, &g_previous_int);
  sigaction(SIGTERM, &sa, &g_previous_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

int stop_requested() { return g_stop_signal; }

void throw_if_stopped(const std::string& what) {
  const int sig = g_stop_signal;
  if (sig == 0) return;
  throw Error(fmt::format("interrupted by {} during {}; removed every file the probe made",
                          sig == SIGINT ? "SIGINT" : "SIGTERM", what));
}

}  // namespace cairn::probe::storage
