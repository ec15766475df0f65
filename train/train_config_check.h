// What `cairn train` accepts before it spends compute: every hyperparameter of a run
// checked against the range it can train in, by the library, so any caller (the CLI,
// a test, a future scheduler) gets the same refusal. Each message names the flag, the
// value given, the allowed range and the usual value.
#pragma once

#include <cstdint>

#include "train/trainer.h"

namespace cairn::train {

// cairn::Error unless steps >= 1, batch >= 1, seq_len is 0 (the context) or within
// [1, model context], lr is finite and > 0, warmup >= 0, min_lr_ratio in [0, 1],
// weight_decay in [0, 1], beta1 and beta2 in [0, 1), eps finite and > 0 and grad_clip
// finite and >= 0 (0: off). The model itself is checked by validate(ModelConfig).
void check_train_config(const TrainConfig& cfg);

// The largest --threads accepted: far above any node's cores, far below a thread count
// that would exhaust the process table.
inline constexpr std::int64_t kMaxCpuThreads = 4096;
// cairn::Error unless 0 <= threads <= kMaxCpuThreads (0: every core).
void check_cpu_threads(std::int64_t threads);

}  // namespace cairn::train
