#include "collectives/backends/ucx/ucx_signals.h"

#include <csignal>
#include <cstdlib>

#include <ucs/debug/debug.h>

namespace cairn::coll::ucx {

void restore_hangup_signal() {
  if (std::getenv("UCX_DEBUG_SIGNO")) return;  // the user asked for UCX's debugger
  ucs_debug_disable_signal(SIGHUP);             // reinstalls the handler UCX found
}

}  // namespace cairn::coll::ucx
