// What checksummed gradients (ft/sdc/) are asked to do: `cairn train --sdc-*`.
// Owned by ft/sdc; train/ft/attach_checked_gradients.cpp turns it on.
#pragma once

namespace cairn::ft {

struct SdcOptions {
  bool enabled = false;
};

}  // namespace cairn::ft
