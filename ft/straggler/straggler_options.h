// What the straggler detector (ft/straggler/) is asked to do: `cairn train --straggler-*`.
// Owned by ft/straggler; train/ft/attach_straggler.cpp turns it on.
#pragma once

namespace cairn::ft {

struct StragglerOptions {
  bool enabled = false;
};

}  // namespace cairn::ft
