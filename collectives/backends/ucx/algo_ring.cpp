// Ring algorithms (Patarasuk & Yuan, "Bandwidth optimal all-reduce algorithms for
// clusters of workstations", JPDC 2009): all_reduce as reduce-scatter then all-gather,
// 2(N-1) steps each moving 1/N of a piece, so every rank sends 2(N-1)/N of the buffer,
// the lower bound. Blocks are numbered by ring position; at reduce-scatter step s the
// rank at position p sends block p-s and receives block p-s-1, so after N-1 steps it
// holds block p+1 fully reduced, and all-gather step g forwards block p+1-g.
#include <cstring>

#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/host_reduce.h"

namespace cairn::coll::detail {
namespace {

int mod(int a, int n) { return ((a % n) + n) % n; }

class RingAllReduceJob final : public Job {
 public:
  RingAllReduceJob(const CollArgs& a, Span piece, Ring ring, std::byte* scratch)
      : a_(a), piece_(piece), ring_(ring), pos_(ring.pos_of(a.rank)), scratch_(scratch) {}

  bool step(Links& l) override {
    const int n = a_.size;
    const int next = ring_.rank_at(pos_ + 1), prev = ring_.rank_at(pos_ - 1);
    // Out of place, the send buffer is read where it is: every block of recv is first
    // written by a reduction or a receive (a copy of the piece into recv first would
    // add a third to the memory traffic of two ranks).
    if (k_ >= 1 && k_ <= n - 1) {  // the receive of reduce-scatter step k-1 landed
      const int b = mod(pos_ - k_, n);
      reduce_to(at(block(b).offset), mine(block(b).offset), scratch_, block(b).count, a_.dt, a_.op);
      if (k_ == n - 1) finish_avg(at(block(b).offset), block(b).count, a_.dt, a_.op, n);
    }
    if (k_ < n - 1) {  // reduce-scatter step s = k: block pos-s, own data at s = 0
      const int s = k_, out = mod(pos_ - s, n), in = mod(pos_ - s - 1, n);
      l.send(next, s == 0 ? mine(block(out).offset) : at(block(out).offset), bytes(block(out)), std::uint32_t(s));
      l.recv(prev, scratch_, bytes(block(in)), std::uint32_t(s));
    } else if (k_ < 2 * n - 2) {  // all-gather step g
      const int g = k_ - (n - 1), out = mod(pos_ + 1 - g, n), in = mod(pos_ - g, n);
      l.send(next, at(block(out).offset), bytes(block(out)), std::uint32_t(k_));
      l.recv(prev, at(block(in).offset), bytes(block(in)), std::uint32_t(k_));
    } else {
      return false;
    }
    ++k_;
    return true;
  }

 private:
  Span block(int pos) const { return even_part(piece_.count, std::size_t(a_.size), std::size_t(pos)); }
  std::byte* at(std::size_t elem_in_piece) const { return a_.recv + (piece_.offset + elem_in_piece) * a_.elem_bytes; }
  const std::byte* mine(std::size_t elem_in_piece) const { return a_.send + (piece_.offset + elem_in_piece) * a_.elem_bytes; }
  std::size_t bytes(Span s) const { return s.count * a_.elem_bytes; }

  const CollArgs& a_;
  Span piece_;
  Ring ring_;
  int pos_;
  std::byte* scratch_;
  int k_ = 0;
};

// Reduce-scatter: block b (the rank-b block of every piece) ends fully reduced at rank b.
// At step s the rank at position p sends its partial sum of block p-s-1 and receives
// block p-s-2; the last step's block is its own.
class RingReduceScatterJob final : public Job {
 public:
  RingReduceScatterJob(const CollArgs& a, Span piece, Ring ring, std::byte* scratch)
      : a_(a), piece_(piece), ring_(ring), pos_(ring.pos_of(a.rank)), incoming_(scratch),
        partial_(scratch + piece.count * a.elem_bytes) {}

  bool step(Links& l) override {
    const int n = a_.size;
    const int next = ring_.rank_at(pos_ + 1), prev = ring_.rank_at(pos_ - 1);
    const std::size_t bytes = piece_.count * a_.elem_bytes;
    if (k_ == n - 1) {  // the own block arrived: add the own contribution into recv
      std::byte* out = a_.recv + piece_.offset * a_.elem_bytes;
      reduce_to(out, input(a_.rank), incoming_, piece_.count, a_.dt, a_.op);
      finish_avg(out, piece_.count, a_.dt, a_.op, n);
      return false;
    }
    const std::byte* outgoing = input(ring_.rank_at(pos_ - 1));
    if (k_ > 0) {
      reduce_to(partial_, input(ring_.rank_at(pos_ - k_ - 1)), incoming_, piece_.count, a_.dt, a_.op);
      outgoing = partial_;
    }
    l.send(next, outgoing, bytes, std::uint32_t(k_));
    l.recv(prev, incoming_, bytes, std::uint32_t(k_));
    ++k_;
    return true;
  }

 private:
  const std::byte* input(int block_rank) const {
    return a_.send + (std::size_t(block_rank) * a_.count + piece_.offset) * a_.elem_bytes;
  }
  const CollArgs& a_;
  Span piece_;
  Ring ring_;
  int pos_;
  std::byte* incoming_;
  std::byte* partial_;
  int k_ = 0;
};

// All-gather: at step g the rank at position p forwards block p-g (its own at g = 0).
class RingAllGatherJob final : public Job {
 public:
  RingAllGatherJob(const CollArgs& a, Span piece, Ring ring) : a_(a), piece_(piece), ring_(ring), pos_(ring.pos_of(a.rank)) {}

  bool step(Links& l) override {
    const int n = a_.size;
    const std::size_t bytes = piece_.count * a_.elem_bytes;
    if (k_ == 0) {
      const std::byte* mine = a_.send + piece_.offset * a_.elem_bytes;
      if (mine != block(a_.rank)) std::memcpy(block(a_.rank), mine, bytes);
    }
    if (k_ == n - 1) return false;
    l.send(ring_.rank_at(pos_ + 1), block(ring_.rank_at(pos_ - k_)), bytes, std::uint32_t(k_));
    l.recv(ring_.rank_at(pos_ - 1), block(ring_.rank_at(pos_ - k_ - 1)), bytes, std::uint32_t(k_));
    ++k_;
    return true;
  }

 private:
  std::byte* block(int block_rank) const {
    return a_.recv + (std::size_t(block_rank) * a_.count + piece_.offset) * a_.elem_bytes;
  }
  const CollArgs& a_;
  Span piece_;
  Ring ring_;
  int pos_;
  int k_ = 0;
};

Ring ring_of(const CollArgs& a, int channel) { return Ring{a.size, channel % 2 == 1}; }

}  // namespace

std::unique_ptr<Plan> ring_all_reduce(const CollArgs& a, const Knobs& k) {
  // A piece is one chunk per rank; each step moves one chunk.
  const std::size_t chunk = chunk_elems(a, k);
  const PlanShape shape{a.count, k.channels, chunk * std::size_t(a.size), chunk * a.elem_bytes, std::uint32_t(2 * a.size)};
  return sliced_plan(a, shape, [](const CollArgs& args, int channel, Span piece, std::byte* scratch) {
    return std::make_unique<RingAllReduceJob>(args, piece, ring_of(args, channel), scratch);
  });
}

std::unique_ptr<Plan> ring_reduce_scatter(const CollArgs& a, const Knobs& k) {
  const std::size_t chunk = chunk_elems(a, k);
  const PlanShape shape{a.count, k.channels, chunk, 2 * chunk * a.elem_bytes, std::uint32_t(a.size)};
  return sliced_plan(a, shape, [](const CollArgs& args, int channel, Span piece, std::byte* scratch) {
    return std::make_unique<RingReduceScatterJob>(args, piece, ring_of(args, channel), scratch);
  });
}

std::unique_ptr<Plan> ring_all_gather(const CollArgs& a, const Knobs& k) {
  const PlanShape shape{a.count, k.channels, chunk_elems(a, k), 0, std::uint32_t(a.size)};
  return sliced_plan(a, shape, [](const CollArgs& args, int channel, Span piece, std::byte*) {
    return std::make_unique<RingAllGatherJob>(args, piece, ring_of(args, channel));
  });
}

}  // namespace cairn::coll::detail
