// What the hang watchdog (ft/watchdog/) is asked to do: `cairn train --watchdog-*`.
// Owned by ft/watchdog; train/ft/attach_watchdog.cpp turns it on.
#pragma once

namespace cairn::ft {

struct WatchdogOptions {
  bool enabled = false;
};

}  // namespace cairn::ft
