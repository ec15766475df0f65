#include "probe/storage/storage_demand.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::probe::storage {

std::uint64_t checkpoint_bytes_for_parameters(std::int64_t parameters) {
  if (parameters <= 0 ||
      static_cast<std::uint64_t>(parameters) > std::numeric_limits<std::uint64_t>::max() / kCheckpointBytesPerParameter)
    throw Error(fmt::format("a model of {} parameters has no checkpoint size", parameters));
  return static_cast<std::uint64_t>(parameters) * kCheckpointBytesPerParameter;
}

std::optional<double> StorageDemand::read_gb_s() const {
  if (!tokens_per_s_per_gpu || !gpus) return std::nullopt;
  return *tokens_per_s_per_gpu * *gpus * bytes_per_token / 1e9;
}

std::optional<double> StorageDemand::write_gb_s() const {
  if (!checkpoint_bytes || !checkpoint_every_s) return std::nullopt;
  return static_cast<double>(*checkpoint_bytes) / (*checkpoint_every_s * kCheckpointWriteFraction) / 1e9;
}

void validate(const StorageDemand& d) {
  auto positive = [](double x) { return std::isfinite(x) && x > 0; };
  if (d.tokens_per_s_per_gpu && !positive(*d.tokens_per_s_per_gpu))
    throw Error(fmt::format("--tokens-per-s-per-gpu {} must be a finite number above 0", *d.tokens_per_s_per_gpu));
  if (d.gpus && *d.gpus < 1) throw Error(fmt::format("--gpus {} must be 1 or more", *d.gpus));
  if (d.tokens_per_s_per_gpu.has_value() != d.gpus.has_value())
    throw Error(d.gpus ? "--gpus needs --tokens-per-s-per-gpu: the read demand is tokens/s per GPU x GPUs x bytes per token"
                       : "--tokens-per-s-per-gpu needs --gpus: the read demand is tokens/s per GPU x GPUs x bytes per token");
  if (d.bytes_per_token != 1 && d.bytes_per_token != 2 && d.bytes_per_token != 4)
    throw Error(fmt::format("--bytes-per-token {} is not a token width: give 1, 2 or 4 (train/data/token_shard.h)",
                            d.bytes_per_token));
  if (d.checkpoint_bytes && *d.checkpoint_bytes == 0) throw Error("--checkpoint-bytes must be above 0");
  if (d.checkpoint_every_s && !positive(*d.checkpoint_every_s))
    throw Error(fmt::format("--checkpoint-every-s {} must be a finite number of seconds above 0", *d.checkpoint_every_s));
  if (d.checkpoint_every_s && !d.checkpoint_bytes)
    throw Error("--checkpoint-every-s needs the checkpoint's size: give --checkpoint-bytes or --preset");
  if (d.checkpoint_bytes && !d.checkpoint_every_s)
    throw Error(d.checkpoint_source + " needs the interval between checkpoints: give --checkpoint-every-s");
}

std::vector<FigureVerdict> judge(const StorageFigures& f, const StorageDemand& d) {
  std::vector<FigureVerdict> v;
  auto add = [&](const char* figure, double measured, double demanded) {
    const double headroom = demanded > 0 ? measured / demanded : std::numeric_limits<double>::infinity();
    v.push_back({figure, measured, demanded, headroom, headroom >= 1.0});
  };
  if (const auto read = d.read_gb_s()) {
    add("sequential_read", f.sequential_read_gb_s, *read);
    add("random_read", f.random_read_gb_s, *read);
  }
  if (const auto write = d.write_gb_s()) add("write", f.write_gb_s, *write);
  return v;
}

bool all_pass(const std::vector<FigureVerdict>& v) {
  for (const auto& x : v)
    if (!x.pass) return false;
  return true;
}

}  // namespace cairn::probe::storage
