// Pipelined chain reduce and broadcast (the "ring" choice for rooted collectives): the
// ranks form a line from the root, rank root+i at position i, and each piece travels it
// hop by hop, so with many pieces in flight every link is busy at once and the time is
// about (N-1 + pieces) hops of one piece. Odd channels walk the line the other way round.
#include <cstring>

#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/host_reduce.h"

namespace cairn::coll::detail {
namespace {

// Broadcast: position i receives from i-1 and forwards to i+1.
class ChainBroadcastJob final : public Job {
 public:
  ChainBroadcastJob(const CollArgs& a, Span piece, Ring line) : a_(a), piece_(piece), line_(line), pos_(line.pos_of(a.rank)) {}
  bool step(Links& l) override {
    std::byte* mine = a_.recv + piece_.offset * a_.elem_bytes;
    const std::size_t bytes = piece_.count * a_.elem_bytes;
    switch (k_++) {
      case 0:
        if (pos_ == 0) {
          const std::byte* src = a_.send + piece_.offset * a_.elem_bytes;
          if (src != mine) std::memcpy(mine, src, bytes);
          return forward(l, mine, bytes);
        }
        l.recv(line_.rank_at(pos_ - 1), mine, bytes, 0);
        return true;
      case 1:
        return pos_ != 0 && forward(l, mine, bytes);
      default:
        return false;
    }
  }

 private:
  bool forward(Links& l, const std::byte* buf, std::size_t bytes) {
    if (pos_ + 1 >= a_.size) return false;
    l.send(line_.rank_at(pos_ + 1), buf, bytes, 0);
    return true;
  }
  const CollArgs& a_;
  Span piece_;
  Ring line_;
  int pos_;
  int k_ = 0;
};

// Reduce: the last position sends its input toward the root; every other position adds
// its own input to what arrives and passes the sum on; the root's sum is the result.
class ChainReduceJob final : public Job {
 public:
  ChainReduceJob(const CollArgs& a, Span piece, Ring line, std::byte* scratch)
      : a_(a), piece_(piece), line_(line), pos_(line.pos_of(a.rank)), incoming_(scratch),
        partial_(scratch + piece.count * a.elem_bytes) {}
  bool step(Links& l) override {
    const std::size_t bytes = piece_.count * a_.elem_bytes;
    const std::byte* input = a_.send + piece_.offset * a_.elem_bytes;
    switch (k_++) {
      case 0:
        if (pos_ + 1 < a_.size) {
          l.recv(line_.rank_at(pos_ + 1), incoming_, bytes, 0);
          return true;
        }
        l.send(line_.rank_at(pos_ - 1), input, bytes, 0);  // the far end: nothing to add
        k_ = 2;
        return true;
      case 1:
        if (pos_ == 0) {
          std::byte* out = a_.recv + piece_.offset * a_.elem_bytes;
          reduce_to(out, input, incoming_, piece_.count, a_.dt, a_.op);
          finish_avg(out, piece_.count, a_.dt, a_.op, a_.size);
          return false;
        }
        reduce_to(partial_, input, incoming_, piece_.count, a_.dt, a_.op);
        l.send(line_.rank_at(pos_ - 1), partial_, bytes, 0);
        return true;
      default:
        return false;
    }
  }

 private:
  const CollArgs& a_;
  Span piece_;
  Ring line_;
  int pos_;
  std::byte* incoming_;
  std::byte* partial_;
  int k_ = 0;
};

}  // namespace

std::unique_ptr<Plan> chain_reduce(const CollArgs& a, const Knobs& k) {
  const std::size_t chunk = chunk_elems(a, k);
  return sliced_plan(a, PlanShape{a.count, k.channels, chunk, 2 * chunk * a.elem_bytes, 1},
                     [](const CollArgs& args, int channel, Span piece, std::byte* scratch) {
                       return std::make_unique<ChainReduceJob>(args, piece, Ring{args.size, channel % 2 == 1, args.root}, scratch);
                     });
}

std::unique_ptr<Plan> chain_broadcast(const CollArgs& a, const Knobs& k) {
  return sliced_plan(a, PlanShape{a.count, k.channels, chunk_elems(a, k), 0, 1},
                     [](const CollArgs& args, int channel, Span piece, std::byte*) {
                       return std::make_unique<ChainBroadcastJob>(args, piece, Ring{args.size, channel % 2 == 1, args.root});
                     });
}

}  // namespace cairn::coll::detail
