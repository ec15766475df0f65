#include "train/train_config_check.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::train {
namespace {

// "--beta2 2 is out of range: it must be in [0, 1) (AdamW's second-moment decay; usually 0.95)"
template <typename V>
void require(bool ok, const char* flag, V value, const std::string& range, const char* about) {
  if (!ok) throw Error(fmt::format("{} {} is out of range: it must be {} ({})", flag, value, range, about));
}

bool finite_in(double x, double lo, double hi) { return std::isfinite(x) && x >= lo && x <= hi; }

}  // namespace

void check_train_config(const TrainConfig& c) {
  require(c.steps >= 1, "--steps", c.steps, "at least 1", "optimizer steps");
  require(c.batch >= 1, "--batch", c.batch, "at least 1", "sequences per step and rank; usually 8 to 64");
  require(c.seq_len >= 0 && c.seq_len <= c.model.context, "--seq-len", c.seq_len,
          "from 1 to the context of model \"" + c.model.name + "\", " + std::to_string(c.model.context),
          "tokens per sequence; 0 for the whole context");
  require(std::isfinite(c.adamw.lr) && c.adamw.lr > 0, "--lr", c.adamw.lr, "finite and above 0",
          "the peak learning rate; usually 1e-4 to 3e-3");
  require(c.warmup_steps >= 0, "--warmup", c.warmup_steps, "at least 0", "linear warmup steps; usually 1% to 5% of --steps");
  require(finite_in(c.min_lr_ratio, 0, 1), "--min-lr-ratio", c.min_lr_ratio, "from 0 to 1",
          "the cosine floor as a fraction of --lr; usually 0.1");
  require(finite_in(c.adamw.weight_decay, 0, 1), "--weight-decay", c.adamw.weight_decay, "from 0 to 1",
          "AdamW's decoupled weight decay; usually 0.1");
  require(std::isfinite(c.adamw.beta1) && c.adamw.beta1 >= 0 && c.adamw.beta1 < 1, "AdamW beta1", c.adamw.beta1,
          "in [0, 1)", "usually 0.9");
  require(std::isfinite(c.adamw.beta2) && c.adamw.beta2 >= 0 && c.adamw.beta2 < 1, "--beta2", c.adamw.beta2,
          "in [0, 1)", "AdamW's second-moment decay; usually 0.95 to 0.999");
  require(std::isfinite(c.adamw.eps) && c.adamw.eps > 0, "AdamW eps", c.adamw.eps, "finite and above 0",
          "usually 1e-8");
  require(std::isfinite(c.grad_clip) && c.grad_clip >= 0, "--grad-clip", c.grad_clip, "finite and at least 0",
          "the global gradient norm clipped to; 0 turns clipping off; usually 1.0");
}

void check_cpu_threads(std::int64_t threads) {
  require(threads >= 0 && threads <= kMaxCpuThreads, "--threads", threads,
          "from 0 to " + std::to_string(kMaxCpuThreads), "CPU threads; 0 for every core");
}

}  // namespace cairn::train
