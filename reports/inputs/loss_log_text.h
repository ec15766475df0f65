// `cairn train --loss-log FILE` read back: one line per optimizer step, "STEP LOSS
// GRAD_NORM LR" (train/loss_log.h writes it), STEP 1-based. NaN and infinities are read
// as such: a diverged run logs them, and the report shows where.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::reports {

struct LossPoint {
  std::int64_t step = 0;
  double loss = 0, grad_norm = 0, lr = 0;
};

// True when the first non-empty line has four fields and the first is all digits:
// how a loss log is told from other text without a schema.
bool looks_like_loss_log(std::string_view text);

// Every non-empty line; cairn::Error "SOURCE line N: ..." for a line that is not four
// numbers with a step of 1 or more, and for a file without a line.
std::vector<LossPoint> parse_loss_log(std::string_view text, const std::string& source);

}  // namespace cairn::reports
