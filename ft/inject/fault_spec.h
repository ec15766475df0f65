// The faults `--inject` asks for (cairn train; several at once, one flag each), so a test
// or a drill on a live cluster exercises each fault-tolerance layer on purpose:
//
//   slow-compute:rank=R,factor=F[,from=S]      rank R's compute takes F times as long (F > 1)
//   slow-link:rank=R,factor=F[,from=S]         rank R's collectives take F times as long
//   bitflip:rank=R,step=S,where=W,bit=B[,element=E]
//                                              flip bit B (0-31 of an f32) of gradient element E
//                                              (default: one picked from the step) on rank R at
//                                              step S; W: gradient (before the reduction, after
//                                              the fingerprint), transit (in the reduction) or
//                                              reduced (in the reduced buffer, after it)
//   kill:rank=R,step=S                          rank R dies (SIGKILL) at the start of step S
//   hang:rank=R,step=S                          rank R stops in step S's gradient reduction
//   corrupt-checkpoint:step=S                   the checkpoint written after step S is damaged
//                                              once committed (one byte of one shard)
//   disk-full:step=S                            the save after step S meets ENOSPC part way
//
// Steps are 0-based indices of the step being taken (the progress table prints S + 1).
// A fault fires only in the job's first start (CAIRN_RESTART unset or 0) unless it says
// attempt=K (that start) or attempt=any: a restarted job must not meet its kill again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::ft {

enum class FaultKind { slow_compute, slow_link, bit_flip, kill, hang, corrupt_checkpoint, disk_full };
std::string_view to_string(FaultKind k);

// Where a bit flip lands relative to the gradient reduction.
enum class FlipSite { gradient, transit, reduced };
std::string_view to_string(FlipSite s);

inline constexpr int kAnyAttempt = -1;

struct FaultSpec {
  FaultKind kind = FaultKind::kill;
  int rank = -1;              // -1: not rank-specific (corrupt-checkpoint, disk-full)
  std::int64_t step = -1;     // the step it fires at; slow-*: the first step it applies to
  double factor = 1;          // slow-*: > 1
  FlipSite where = FlipSite::gradient;
  int bit = -1;               // bitflip: 0..31
  std::optional<std::int64_t> element;  // bitflip: the gradient element; none: picked from the step
  int attempt = 0;            // the start of the job it fires in; kAnyAttempt: every start
  std::string text;           // as given, for messages

  // Whether it applies to `rank` in start `attempt` of the job.
  bool applies(int on_rank, int in_attempt) const;
};

// One --inject value. cairn::Error naming --inject, the text and the fix on anything
// malformed: an unknown kind or key, a missing key, a value out of range.
FaultSpec parse_fault_spec(std::string_view text);
std::vector<FaultSpec> parse_fault_specs(const std::vector<std::string>& texts);

// cairn::Error naming --inject unless every rank a fault names is below `world`.
void check_fault_ranks(const std::vector<FaultSpec>& faults, int world);

// The faults of `kind` that apply to `rank` in this start of the job (CAIRN_RESTART).
std::vector<FaultSpec> faults_for(const std::vector<FaultSpec>& faults, FaultKind kind, int rank);
// CAIRN_RESTART: 0 unless a restarting launcher set it.
int current_attempt();

}  // namespace cairn::ft
