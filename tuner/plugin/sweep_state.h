// The process-wide sweep choice behind sweep_control.h, as the plugin's implementation
// reads it on each call. One 64-bit atomic holds the whole choice, so a call never sees
// half of an update; the counts are atomics of their own.
#pragma once

#include <optional>

namespace cairn::tuner::plugin {

struct SweepChoice {
  int func = -1;      // ncclFunc_t, or -1 for every collective
  int algo = -1;      // -1 with proto -1: channels only
  int proto = -1;
  int channels = 0;   // 0: NCCL's own
};

bool sweep_set(const SweepChoice& c);  // false (nothing changed) when a value is out of range
void sweep_clear();
// The forced choice for a call of `func`, if one is set and covers it.
std::optional<SweepChoice> sweep_for(int func);
void sweep_record(bool applied);
void sweep_counts(long* applied, long* refused);

}  // namespace cairn::tuner::plugin
