#include "train/memory_plan.h"

#include <fmt/format.h>

#include "common/checked_size.h"
#include "common/error.h"
#include "common/host_memory.h"
#include "train/model.h"
#include "train/parameter_layout.h"

#if CAIRN_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace cairn::train {
namespace {

constexpr std::int64_t kF32 = 4, kBf16 = 2, kI32 = 4;

// Per-token element counts of the activation buffers, by type.
struct PerToken {
  CheckedSize f32, bf16, i32;
};

// CpuModel's constructor (train/model_cpu.cpp): every buffer f32, the token ids kept.
PerToken cpu_activations(const ModelConfig& c) {
  const std::int64_t d = c.d_model, qd = c.n_heads * c.head_dim(), kvd = c.n_kv_heads * c.head_dim();
  CheckedSize layer = CheckedSize(4) * d + 2 + 2 * qd + 2 * kvd + c.n_heads + c.up_dim() + c.ffn_dim;
  if (c.qk_norm) layer += CheckedSize(qd) + kvd + c.n_heads + c.n_kv_heads;
  const CheckedSize rest = CheckedSize(5) * d + 2 + c.vocab + c.qkv_dim() + qd + 2 * kvd + c.ffn_dim + c.up_dim();
  return {CheckedSize(c.n_layers) * layer + rest, 0, 2};
}

// CudaModel's constructor (train/model_cuda.cpp): the residual stream and statistics in
// f32, the rest in bf16.
PerToken cuda_activations(const ModelConfig& c) {
  const std::int64_t d = c.d_model, qd = c.n_heads * c.head_dim(), kvd = c.n_kv_heads * c.head_dim();
  CheckedSize layer32 = CheckedSize(2) * d + 2 + c.n_heads;
  CheckedSize layer16 = CheckedSize(2) * d + 2 * qd + 2 * kvd + c.up_dim() + c.ffn_dim;
  if (c.qk_norm) {
    layer32 += CheckedSize(c.n_heads) + c.n_kv_heads;
    layer16 += CheckedSize(qd) + kvd;
  }
  const CheckedSize rest32 = CheckedSize(4) * d + 3;
  const CheckedSize rest16 = CheckedSize(3) * d + c.vocab + c.qkv_dim() + c.ffn_dim + c.up_dim() + qd + 2 * kvd;
  return {CheckedSize(c.n_layers) * layer32 + rest32, CheckedSize(c.n_layers) * layer16 + rest16, 2};
}

[[noreturn]] void overflow(const TrainConfig& cfg) {
  throw Error(fmt::format("model \"{}\" with --batch {} x --seq-len {} needs more memory than 64 bits can count; "
                          "use a smaller --batch or --seq-len",
                          cfg.model.name, cfg.batch, cfg.seq_len));
}

std::int64_t value(CheckedSize s, const TrainConfig& cfg) {
  if (s.overflowed()) overflow(cfg);
  return s.value();
}

std::string breakdown(const MemoryNeed& n) {
  return fmt::format("weights {}, gradients {}, AdamW moments {}, activations {}", format_bytes(n.weights),
                     format_bytes(n.gradients), format_bytes(n.moments), format_bytes(n.activations));
}

[[noreturn]] void does_not_fit(const TrainConfig& cfg, const char* where, const MemoryNeed& need,
                               const MemoryAvailable& have) {
  throw Error(fmt::format("model \"{}\" with --batch {} x --seq-len {} needs {} of {} memory ({}) but {} is "
                          "available ({}); use a smaller --preset, --batch or --seq-len",
                          cfg.model.name, cfg.batch, cfg.seq_len, format_bytes(need.total()), where, breakdown(need),
                          format_bytes(have.bytes), have.source));
}

}  // namespace

MemoryPlan memory_plan(const TrainConfig& cfg) {
  const ModelConfig& c = cfg.model;
  const CheckedSize P = ParameterLayout(c).total_elements();
  const CheckedSize tokens = CheckedSize(cfg.batch) * cfg.seq_len;
  MemoryPlan plan;
  if (cfg.device == Device::cpu) {
    const PerToken a = cpu_activations(c);
    plan.host.weights = value(P * kF32, cfg);
    plan.host.gradients = value(P * kF32, cfg);
    plan.host.moments = value(P * (2 * kF32), cfg);
    plan.host.activations = value(tokens * (a.f32 * kF32 + a.i32 * kI32), cfg);
  } else {
    const PerToken a = cuda_activations(c);
    plan.device.weights = value(P * (kF32 + kBf16), cfg);
    plan.device.gradients = value(P * kF32, cfg);
    plan.device.moments = value(P * (2 * kF32), cfg);
    plan.device.activations = value(tokens * (a.f32 * kF32 + a.bf16 * kBf16 + a.i32 * kI32), cfg);
    plan.host.weights = value(P * kF32, cfg);  // the host copy a checkpoint is written from
    plan.host.moments = value(P * (2 * kF32), cfg);
  }
  if ((CheckedSize(plan.host.total()) + plan.device.total()).overflowed()) overflow(cfg);
  return plan;
}

std::string require_memory_fits(const TrainConfig& cfg) {
  const MemoryPlan plan = memory_plan(cfg);
  const MemoryAvailable host = process_memory_available();
  if (plan.host.total() > host.bytes) does_not_fit(cfg, "host", plan.host, host);
  std::string summary = fmt::format("memory: {} of host memory ({}) of {} available ({})", format_bytes(plan.host.total()),
                                    breakdown(plan.host), format_bytes(host.bytes), host.source);
#if CAIRN_HAVE_CUDA
  if (cfg.device == Device::cuda && cuda_available()) {
    std::size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
      const MemoryAvailable gpu{static_cast<std::int64_t>(free_bytes), "cudaMemGetInfo"};
      if (plan.device.total() > gpu.bytes) does_not_fit(cfg, "GPU", plan.device, gpu);
      summary += fmt::format("; {} of GPU memory ({}) of {} free", format_bytes(plan.device.total()),
                             breakdown(plan.device), format_bytes(gpu.bytes));
    } else {
      (void)cudaGetLastError();  // make_model reports a GPU that cannot be used
    }
  }
#endif
  return summary;
}

std::string format_bytes(std::int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e12) return fmt::format("{:.3g} TB", b / 1e12);
  if (b >= 1e9) return fmt::format("{:.3g} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.3g} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.3g} kB", b / 1e3);
  return fmt::format("{} bytes", bytes);
}

}  // namespace cairn::train
