// What checksummed gradients (ft/sdc/) are asked to do: `cairn train --sdc ...`
// (docs/ft.md, "Checksummed gradients"). Owned by ft/sdc; train/ft/attach_checked_gradients.cpp
// turns it on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::ft {

// What a run does with a fault the retries could not repair.
enum class SdcPolicy {
  skip,      // the step's update is skipped on every rank (weights and moments unchanged)
  rollback,  // the run stops (exit 1) saying to resume from the last checkpoint
  stop,      // the run stops (exit 1) naming the rank to exclude
};
std::string_view to_string(SdcPolicy p);
// "skip" | "rollback" | "stop"; cairn::Error naming --sdc-policy otherwise.
SdcPolicy parse_sdc_policy(std::string_view s);

inline constexpr int kMaxSdcRetries = 100;

struct SdcOptions {
  bool enabled = false;              // --sdc: the checked reduction replaces the all-reduce
  int retries = 2;                   // --sdc-retries: reductions re-run from the saved inputs
  SdcPolicy policy = SdcPolicy::rollback;  // --sdc-policy
  std::int64_t param_check_every = 0;      // --sdc-param-check-every: 0 off
  std::string events;                      // --sdc-events FILE: one JSON line per finding (rank 0)
};

// cairn::Error naming the flag unless every field is in range and --sdc-events can be written.
void check_sdc_options(const SdcOptions& o);

}  // namespace cairn::ft
