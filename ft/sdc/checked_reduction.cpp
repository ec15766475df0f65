#include "ft/sdc/checked_reduction.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "common/error.h"
#include "ft/sdc/sum_bound.h"

namespace cairn::ft {
namespace {

constexpr int kNamed = 8;  // findings a report carries by name (the count is always exact)

// Everyone's copy of one fixed-size record: an all-gather of raw bytes.
template <typename T>
std::vector<T> gather_all(coll::Communicator& comm, const T& mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<T> all(static_cast<std::size_t>(comm.size()));
  comm.all_gather(&mine, all.data(), sizeof(T), coll::DataType::u8).wait();
  return all;
}

}  // namespace

// What the owner of a chunk found, and its result's fingerprint.
struct CheckedReduction::OwnerReport {
  Fingerprint result{};
  std::int32_t bad_senders = 0;  // received chunks that differ from their sender's fingerprint
  std::int32_t bad_sender[kNamed] = {};
  std::uint8_t sum_failed = 0, result_nonfinite = 0;
  double sum_error = 0, sum_bound = 0;
};

// Which result chunks differ in a rank's final buffer.
struct CheckedReduction::ReceiverReport {
  std::int32_t bad_owners = 0;
  std::int32_t bad_owner[kNamed] = {};
};

// A rank's answer to the findings that name it.
struct CheckedReduction::Localisation {
  std::int32_t sends_changed = 0;     // of my flagged send chunks, those S no longer matches
  std::uint8_t result_changed = 0;    // my result chunk no longer matches its fingerprint
};

CheckedReduction::CheckedReduction(coll::Communicator& comm, int retries)
    : comm_(comm), retries_(retries), ranks_(comm.size()), me_(comm.rank()) {
  if (comm.memory() != coll::MemoryKind::host)
    throw Error("--sdc (and --inject bitflip): the checked reduction works on host memory, but the " +
                std::string(comm.backend()) + " communicator reduces GPU memory; use --backend ucx");
}

std::size_t CheckedReduction::valid(int chunk) const {
  const std::size_t first = static_cast<std::size_t>(chunk) * chunk_;
  return first >= n_ ? 0 : std::min(chunk_, n_ - first);
}

// S = weight * grads, padded with zeros, fingerprinted block by block as it is written
// (fused: the fingerprint reads each block while it is in cache).
void CheckedReduction::build_send(const float* grads, double weight) {
  send_.resize(chunk_ * static_cast<std::size_t>(ranks_));
  mine_.resize(static_cast<std::size_t>(ranks_));
  const auto w = static_cast<float>(weight);  // as DataParallel scales: grads *= w in f32
  for (int c = 0; c < ranks_; ++c) {
    float* dst = send_.data() + c * chunk_;
    const std::size_t first = static_cast<std::size_t>(c) * chunk_, real = valid(c);
    full_.reset();
    for (std::size_t b = 0; b < chunk_; b += kFingerprintBlock) {
      const std::size_t m = std::min(kFingerprintBlock, chunk_ - b);
      for (std::size_t i = b; i < b + m; ++i) dst[i] = i < real ? (weight == 1.0 ? grads[first + i] : grads[first + i] * w) : 0.0f;
      full_.update(dst + b, m);
    }
    mine_[c] = full_.finish();
  }
}

void CheckedReduction::exchange_chunks(int attempt, const ReductionTaps& taps) {
  if (taps.gradient) taps.gradient(attempt, send_.data(), n_);
  received_.resize(send_.size());
  comm_.alltoall(send_.data(), received_.data(), chunk_, coll::DataType::f32).wait();
  if (taps.transit)
    for (int q = 0; q < ranks_; ++q)
      taps.transit(attempt, q, received_.data() + q * chunk_, static_cast<std::size_t>(me_) * chunk_, valid(me_));
}

// The owner's pass over what it received, block by block while each is in cache: the
// bits of every sender's chunk (to verify), their sum in rank order and one division
// (what ReduceOp::avg computes), and the result's fingerprint over its real elements.
void CheckedReduction::verify_and_sum(std::vector<Fingerprint>& received, Fingerprint& result) {
  while (received_streams_.size() < static_cast<std::size_t>(ranks_)) received_streams_.emplace_back(false);
  for (auto& st : received_streams_) st.reset();
  full_.reset();
  result_.resize(chunk_);
  const std::size_t real = valid(me_);
  const auto r = static_cast<float>(ranks_);
  for (std::size_t b = 0; b < chunk_; b += kFingerprintBlock) {
    const std::size_t m = std::min(kFingerprintBlock, chunk_ - b);
    float* y = result_.data() + b;
    for (int q = 0; q < ranks_; ++q) {
      const float* v = received_.data() + q * chunk_ + b;
      received_streams_[q].update(v, m);
      if (q == 0) std::copy(v, v + m, y);
      else
        for (std::size_t i = 0; i < m; ++i) y[i] += v[i];
    }
    for (std::size_t i = 0; i < m; ++i) y[i] /= r;
    if (b < real) full_.update(y, std::min(m, real - b));
  }
  received.resize(static_cast<std::size_t>(ranks_));
  for (int q = 0; q < ranks_; ++q) received[q] = received_streams_[q].finish();
  result = full_.finish();
}

void CheckedReduction::gather_result(float* grads) {
  const std::size_t total = chunk_ * static_cast<std::size_t>(ranks_);
  float* into = grads;
  if (total != n_) {  // padded: through a buffer of R whole chunks
    gathered_.resize(total);
    into = gathered_.data();
  }
  comm_.all_gather(result_.data(), into, chunk_, coll::DataType::f32).wait();
  if (into != grads) std::copy(gathered_.begin(), gathered_.begin() + static_cast<std::ptrdiff_t>(n_), grads);
}

void CheckedReduction::reduce_unchecked(float* grads, std::size_t n, double weight, const ReductionTaps& taps) {
  n_ = n;
  chunk_ = chunk_elements(n, ranks_);
  build_send(grads, weight);
  exchange_chunks(0, taps);
  std::vector<Fingerprint> received;
  Fingerprint result;
  verify_and_sum(received, result);
  gather_result(grads);
  if (taps.reduced) taps.reduced(0, grads, n_);
}

ReductionOutcome CheckedReduction::reduce(float* grads, std::size_t n, double weight, const ReductionTaps& taps) {
  n_ = n;
  chunk_ = chunk_elements(n, ranks_);
  const auto R = static_cast<std::size_t>(ranks_);
  ReductionOutcome out;
  std::set<int> suspects;
  auto finish = [&](bool verified) {
    out.verified = verified;
    out.suspects.assign(suspects.begin(), suspects.end());
    return out;
  };
  bool inputs_in_grads = true;  // until the result is gathered into the caller's buffer
  for (int attempt = 0;; ++attempt) {
    out.retries = attempt;
    const bool last = attempt >= retries_;
    // 1. The saved input: rebuilt from the caller's gradients while they are there; after
    //    that S as it was declared (a change to it is then found like any other).
    if (inputs_in_grads) build_send(grads, weight);
    // 2. Each rank's NaN/Inf count (8 bytes a rank: everyone must agree before anything
    //    moves), each chunk's fingerprint to its owner only (an alltoall: R fingerprints
    //    a rank, not R^2), then the chunks.
    std::uint64_t own_nonfinite = 0;
    for (const Fingerprint& f : mine_) own_nonfinite += f.nonfinite;
    const std::vector<std::uint64_t> nonfinite = gather_all(comm_, own_nonfinite);
    for (int q = 0; q < ranks_; ++q) {
      const std::uint64_t bad = nonfinite[q];
      if (bad == 0) continue;
      suspects.insert(q);
      out.inputs_nonfinite = true;
      out.findings.push_back(fmt::format(
          "rank {}'s own gradients hold {} NaN/Inf value{} before the reduction: its computation, or the run "
          "diverged (no retry repairs that)",
          q, bad, bad == 1 ? "" : "s"));
    }
    if (out.inputs_nonfinite) return finish(false);
    declared_.resize(R);
    comm_.alltoall(mine_.data(), declared_.data(), sizeof(Fingerprint), coll::DataType::u8).wait();
    exchange_chunks(attempt, taps);

    // 3. The owner verifies what it received, sums it, checks the sum and fingerprints it.
    OwnerReport own;
    std::vector<Fingerprint> received;
    Fingerprint result;
    verify_and_sum(received, result);
    double inputs_sum = 0, inputs_abs = 0;
    for (int q = 0; q < ranks_; ++q) {
      const Fingerprint& said = declared_[q];
      if (!same_bits(received[q], said)) {
        if (own.bad_senders < kNamed) own.bad_sender[own.bad_senders] = q;
        ++own.bad_senders;
      }
      inputs_sum += said.sum;
      inputs_abs += said.abs_sum;
    }
    if (own.bad_senders == 0) {
      own.result = result;
      // Padding is zeros on every rank; its sum is zero and stays out of the fingerprint.
      own.sum_error = std::fabs(own.result.sum - inputs_sum / ranks_);
      own.sum_bound = reduction_sum_bound(inputs_abs, own.result.abs_sum, ranks_, chunk_);
      own.sum_failed = !(own.sum_error <= own.sum_bound);
      own.result_nonfinite = own.result.nonfinite > 0;
    }
    const std::vector<OwnerReport> owners = gather_all(comm_, own);

    bool phase_ok = true;
    std::vector<std::pair<int, int>> broken_sends;  // (sender, owner)
    for (int o = 0; o < ranks_; ++o) {
      const OwnerReport& r = owners[o];
      for (int k = 0; k < std::min<std::int32_t>(r.bad_senders, kNamed); ++k) broken_sends.emplace_back(r.bad_sender[k], o);
      if (r.bad_senders > kNamed)
        out.findings.push_back(fmt::format("attempt {}: {} more chunks received by rank {} differ from their senders'",
                                           attempt + 1, r.bad_senders - kNamed, o));
      if (r.bad_senders > 0) phase_ok = false;
      if (r.sum_failed) {
        phase_ok = false;
        suspects.insert(o);
        out.findings.push_back(fmt::format(
            "attempt {}: the sum of reduced chunk {} is off by {:.3g} from its inputs' sums (bound {:.3g}): the "
            "arithmetic on rank {}",
            attempt + 1, o, r.sum_error, r.sum_bound, o));
      }
      if (r.result_nonfinite) {
        phase_ok = false;
        suspects.insert(o);
        out.findings.push_back(fmt::format(
            "attempt {}: reduced chunk {} holds {} NaN/Inf value(s) from finite inputs: the arithmetic on rank {}",
            attempt + 1, o, r.result.nonfinite, o));
      }
    }
    if (!phase_ok) {
      // Localise: each sender named re-hashes the chunk it sent.
      Localisation mine;
      for (const auto& [q, o] : broken_sends)
        if (q == me_ && !same_bits(bits_fingerprint(send_.data() + o * chunk_, chunk_), mine_[o])) ++mine.sends_changed;
      const std::vector<Localisation> answers = gather_all(comm_, mine);
      bool repairable = true;
      for (const auto& [q, o] : broken_sends) {
        const bool changed = answers[q].sends_changed > 0;
        if (changed) suspects.insert(q);
        if (changed && !inputs_in_grads) repairable = false;
        const std::string path = q == o ? fmt::format("the alltoall's local copy on rank {}", q)
                                        : fmt::format("the communication between rank {} and rank {}", q, o);
        out.findings.push_back(
            changed ? fmt::format("attempt {}: chunk {} from rank {} differs at rank {}, and rank {}'s own send buffer "
                                  "changed since its fingerprint: computation/memory on rank {}",
                                  attempt + 1, o, q, o, q, q)
                    : fmt::format("attempt {}: chunk {} from rank {} differs at rank {}, while rank {}'s send buffer "
                                  "still matches: {}",
                                  attempt + 1, o, q, o, q, path));
        if (!changed && q == o) suspects.insert(q);
      }
      if (!repairable) {
        out.findings.push_back("the saved inputs changed after the gradients were overwritten: no retry can repair it");
        return finish(false);
      }
      if (last) return finish(false);
      continue;
    }

    // 4. The result, gathered straight into the caller's buffer, verified there.
    gather_result(grads);
    inputs_in_grads = false;
    if (taps.reduced) taps.reduced(attempt, grads, n_);
    ReceiverReport got;
    for (int o = 0; o < ranks_; ++o) {
      const std::size_t first = static_cast<std::size_t>(o) * chunk_;
      if (!same_bits(bits_fingerprint(grads + first, valid(o)), owners[o].result)) {
        if (got.bad_owners < kNamed) got.bad_owner[got.bad_owners] = o;
        ++got.bad_owners;
      }
    }
    const std::vector<ReceiverReport> receivers = gather_all(comm_, got);
    std::vector<std::pair<int, int>> broken_results;  // (owner, receiver)
    for (int r = 0; r < ranks_; ++r) {
      for (int k = 0; k < std::min<std::int32_t>(receivers[r].bad_owners, kNamed); ++k)
        broken_results.emplace_back(receivers[r].bad_owner[k], r);
      if (receivers[r].bad_owners > kNamed)
        out.findings.push_back(fmt::format("attempt {}: {} more reduced chunks differ on rank {}", attempt + 1,
                                           receivers[r].bad_owners - kNamed, r));
    }
    if (broken_results.empty()) return finish(true);
    // Localise: each owner named re-hashes its result chunk.
    Localisation mine;
    for (const auto& [o, r] : broken_results)
      if (o == me_) mine.result_changed = !same_bits(bits_fingerprint(result_.data(), valid(me_)), owners[me_].result);
    const std::vector<Localisation> answers = gather_all(comm_, mine);
    for (const auto& [o, r] : broken_results) {
      const bool changed = answers[o].result_changed != 0;
      suspects.insert(changed ? o : r);
      out.findings.push_back(
          changed ? fmt::format("attempt {}: reduced chunk {} differs on rank {}, and its owner's copy changed since "
                                "its fingerprint: memory on rank {}",
                                attempt + 1, o, r, o)
                  : fmt::format("attempt {}: reduced chunk {} differs on rank {}, while its owner's copy still "
                                "matches: the all-gather from rank {} to rank {}, or rank {}'s memory",
                                attempt + 1, o, r, o, r, r));
    }
    if (last) return finish(false);
  }
}

}  // namespace cairn::ft
