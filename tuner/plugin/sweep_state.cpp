#include "tuner/plugin/sweep_state.h"

#include <atomic>
#include <cstdint>

#include "tuner/plugin/nccl_tuner_abi.h"
#include "tuner/profile/profile.h"

namespace cairn::tuner::plugin {
namespace {

// Bit 63: set. Then one byte each of func + 1, algo + 1, proto + 1 and channels.
constexpr std::uint64_t kActive = std::uint64_t{1} << 63;
std::atomic<std::uint64_t> g_choice{0};
std::atomic<long> g_applied{0}, g_refused{0};

// NCCL's MAXCHANNELS (src/include/device.h, 2.28).
constexpr int kMaxChannels = 64;

std::uint64_t pack(const SweepChoice& c) {
  auto byte = [](int v) { return static_cast<std::uint64_t>(static_cast<std::uint8_t>(v)); };
  return kActive | byte(c.func + 1) << 24 | byte(c.algo + 1) << 16 | byte(c.proto + 1) << 8 | byte(c.channels);
}

SweepChoice unpack(std::uint64_t w) {
  auto at = [w](int shift) { return static_cast<int>((w >> shift) & 0xff); };
  return {at(24) - 1, at(16) - 1, at(8) - 1, at(0)};
}

}  // namespace

bool sweep_set(const SweepChoice& c) {
  const bool func_ok = c.func >= -1 && c.func < nccl_abi::kNumFunctions;
  const bool both = c.algo >= 0 && c.algo < kNcclNumAlgorithms && c.proto >= 0 && c.proto < kNcclNumProtocols;
  const bool channels_only = c.algo == -1 && c.proto == -1 && c.channels > 0;
  if (!func_ok || !(both || channels_only) || c.channels < 0 || c.channels > kMaxChannels) return false;
  g_applied.store(0);
  g_refused.store(0);
  g_choice.store(pack(c), std::memory_order_release);
  return true;
}

void sweep_clear() { g_choice.store(0, std::memory_order_release); }

std::optional<SweepChoice> sweep_for(int func) {
  const std::uint64_t w = g_choice.load(std::memory_order_acquire);
  if (!(w & kActive)) return std::nullopt;
  const SweepChoice c = unpack(w);
  if (c.func != -1 && c.func != func) return std::nullopt;
  return c;
}

void sweep_record(bool applied) { (applied ? g_applied : g_refused).fetch_add(1, std::memory_order_relaxed); }

void sweep_counts(long* applied, long* refused) {
  if (applied) *applied = g_applied.load();
  if (refused) *refused = g_refused.load();
}

}  // namespace cairn::tuner::plugin
