// The checked gradient reduction (docs/ft.md, "Checksummed gradients"): the mean of every
// rank's gradients, like an all-reduce with ReduceOp::avg, but every byte moves as a plain
// copy that a hash verifies bit-exactly and the arithmetic happens in one place, so that
// any flipped bit before, in or after the reduction is found, named and repaired.
//
// Aggregate float checks cannot do this alone: a flip in bits 0-22 of a small element
// changes a chunk's sum by less than the rounding the sum itself may carry (sum_bound.h).
// So, for R ranks, n elements and chunks of C = ceil(n / R):
//   1. each rank scales its gradients by its weight into a send buffer S (padded to R C),
//      and fingerprints each chunk c of S (fingerprint.h); S is the step's saved input;
//   2. an all-gather of each rank's NaN/Inf count, an alltoall of the fingerprints (each
//      to its chunk's owner) and one of the chunks: rank c receives chunk c of every rank
//      and verifies each against what its sender declared;
//   3. the owner sums its R chunks in rank order and divides by R (deterministic: replays
//      are bitwise equal), checks (b) the sum against the declared sums within the
//      rounding bound of sum_bound.h and (c) no NaN/Inf, and fingerprints its result;
//   4. an all-gather of the owners' reports (result fingerprints, findings), an all-gather
//      of the result chunks straight into the caller's buffer, which every rank then
//      verifies chunk by chunk against the owners' fingerprints, and a last all-gather of
//      what each rank found: every rank holds the same bits, verified, or they all retry.
// Traffic: (R-1)/R n each way, a ring all-reduce's 2(R-1)/R n, plus 40 bytes a chunk
// and three small reports of R records; hashing: ~3n + n/R per
// rank; memory: ~2n floats (S and the received chunks) and a chunk (n more when padded).
//
// On a finding the reduction re-runs from the saved inputs (the caller's buffer while it
// still holds them, else S as declared), up to `retries` times, after localising it: the
// sender whose chunk broke re-hashes S (changed: its memory; unchanged: the transfer
// between it and the owner); the owner of a result chunk that differs somewhere re-hashes
// its copy (changed: its memory; unchanged: the all-gather to that rank or its memory).
// Every rank sees every report, so every rank takes the same decision at the same point
// and none is left waiting in a collective. (The reports themselves travel unhashed: a
// flip there reads as a finding and costs a retry.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "ft/inject/fault_spec.h"
#include "ft/sdc/fingerprint.h"

namespace cairn::ft {

// Where injected faults (ft/inject bitflip) meet the reduction, each told the attempt it
// is in (a transient fault fires on attempt 0 only). Empty: none.
struct ReductionTaps {
  // The send buffer S (gradient element e at S[e]), after its fingerprints are taken.
  std::function<void(int attempt, float* send, std::size_t n)> gradient;
  // The chunk the owner received from `sender`: gradient elements [first, first + count).
  std::function<void(int attempt, int sender, float* chunk, std::size_t first, std::size_t count)> transit;
  // The caller's buffer holding the reduced gradients, before its verification.
  std::function<void(int attempt, float* reduced, std::size_t n)> reduced;
};

struct ReductionOutcome {
  bool verified = false;        // the caller's buffer holds the mean, bitwise the same on every rank
  int retries = 0;              // reductions re-run
  bool inputs_nonfinite = false;  // a rank's own gradients held NaN/Inf: no retry helps
  std::vector<int> suspects;    // the ranks the findings point at (memory or arithmetic), ascending
  std::vector<std::string> findings;  // one sentence each, the same on every rank, in order
};

class CheckedReduction {
 public:
  // comm: a host-memory communicator, outliving this object.
  CheckedReduction(coll::Communicator& comm, int retries);

  // Collective. grads[0, n): this rank's gradients in, the mean of every rank's
  // weight * grads out (when verified).
  ReductionOutcome reduce(float* grads, std::size_t n, double weight, const ReductionTaps& taps = {});

  // The same data path with every check off: what an unchecked run with an injected
  // flip suffers (the flip lands where it would under the checks, and stays).
  void reduce_unchecked(float* grads, std::size_t n, double weight, const ReductionTaps& taps = {});

  // The chunk of the gradients rank `owner` reduces: [first, first + count) of n.
  static std::size_t chunk_elements(std::size_t n, int ranks) { return (n + ranks - 1) / ranks; }

 private:
  struct OwnerReport;
  struct ReceiverReport;
  struct Localisation;
  std::size_t valid(int chunk) const;
  void build_send(const float* grads, double weight);
  void exchange_chunks(int attempt, const ReductionTaps& taps);
  void verify_and_sum(std::vector<Fingerprint>& received, Fingerprint& result);
  void gather_result(float* grads);

  coll::Communicator& comm_;
  int retries_;
  int ranks_, me_;
  std::size_t n_ = 0, chunk_ = 0;
  std::vector<float> send_, received_, result_, gathered_;
  std::vector<Fingerprint> declared_;  // R: declared_[q], rank q's fingerprint of my chunk
  std::vector<Fingerprint> mine_;      // R: my S's chunks, as declared
  FingerprintStream full_;             // reused: no allocation per step
  std::vector<FingerprintStream> received_streams_;  // bits only, one per sender
};

}  // namespace cairn::ft
