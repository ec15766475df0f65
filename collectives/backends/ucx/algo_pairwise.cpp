// Pairwise-exchange alltoall: in round i (1..N-1) every rank sends its block for rank+i
// and receives the block from rank-i, so each round is a perfect matching of senders and
// receivers and no rank is hit by two senders at once (the schedule of MPICH's
// long-message alltoall). Blocks are cut into chunk-sized pieces; rounds spread over the
// channels, and pipeline_depth pieces per channel are in flight.
#include <cstring>
#include <vector>

#include "collectives/backends/ucx/algorithms.h"

namespace cairn::coll::detail {
namespace {

class ExchangeJob final : public Job {
 public:
  ExchangeJob(const CollArgs& a, int round, Span piece) : a_(a), round_(round), piece_(piece) {}
  bool step(Links& l) override {
    if (started_) return false;
    started_ = true;
    const int to = (a_.rank + round_) % a_.size, from = (a_.rank - round_ + a_.size) % a_.size;
    const std::size_t bytes = piece_.count * a_.elem_bytes;
    l.send(to, a_.send + (std::size_t(to) * a_.count + piece_.offset) * a_.elem_bytes, bytes, 0);
    l.recv(from, a_.recv + (std::size_t(from) * a_.count + piece_.offset) * a_.elem_bytes, bytes, 0);
    return true;
  }

 private:
  const CollArgs& a_;
  int round_;
  Span piece_;
  bool started_ = false;
};

// Channel c runs rounds c+1, c+1+C, ...; its pieces are (round, chunk) pairs. In place
// (send == recv), blocks are sent from a copy, since arriving blocks overwrite them.
class PairwisePlan final : public Plan {
 public:
  PairwisePlan(const CollArgs& a, const Knobs& k)
      : a_(a), channels_(std::max(1, std::min(k.channels, a.size - 1))), chunks_(ceil_div(a.count, chunk_elems(a, k))) {
    const std::size_t block = a.count * a.elem_bytes;
    if (a.send == a.recv) {
      copy_.assign(a.send, a.send + block * std::size_t(a.size));
      a_.send = copy_.data();
    } else {  // the own block never leaves the rank
      std::memcpy(a.recv + std::size_t(a.rank) * block, a.send + std::size_t(a.rank) * block, block);
    }
  }
  int channels() const override { return channels_; }
  std::size_t pieces(int c) const override {
    const int rounds = a_.size - 1;
    const int mine = rounds / channels_ + (c < rounds % channels_ ? 1 : 0);
    return std::size_t(mine) * chunks_;
  }
  std::uint32_t steps_per_job() const override { return 1; }
  std::unique_ptr<Job> job(int c, std::size_t p, std::byte*) override {
    const int round = 1 + c + channels_ * int(p / chunks_);
    return std::make_unique<ExchangeJob>(a_, round, even_part(a_.count, chunks_, p % chunks_));
  }

 private:
  CollArgs a_;
  int channels_;
  std::size_t chunks_;
  std::vector<std::byte> copy_;
};

}  // namespace

std::unique_ptr<Plan> pairwise_alltoall(const CollArgs& a, const Knobs& k) { return std::make_unique<PairwisePlan>(a, k); }

}  // namespace cairn::coll::detail
