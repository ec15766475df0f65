// Recursive halving/doubling all_reduce (Rabenseifner, "Optimization of collective
// reduction operations", ICCS 2004; Thakur, Rabenseifner & Gropp, IJHPCA 19(1), 2005):
// a reduce-scatter by recursive halving (log2 P exchanges, each of half the previous
// size) then an all-gather by recursive doubling. 2 log2 P messages instead of the
// ring's 2(P-1), at the same bandwidth term: the choice for small and medium buffers.
//
// For N not a power of two, P is the largest power of two below N and the first 2(N-P)
// ranks pair up in a pre-step: each even one hands its buffer to the odd one above it
// and sits out, getting the result back in a post-step (MPICH's scheme).
#include <cstring>

#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/host_reduce.h"

namespace cairn::coll::detail {
namespace {

int floor_pow2(int n) {
  int p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
int log2_exact(int p) {
  int l = 0;
  while ((1 << l) < p) ++l;
  return l;
}

class RhdJob final : public Job {
 public:
  RhdJob(const CollArgs& a, Span piece, std::byte* scratch)
      : a_(a), piece_(piece), scratch_(scratch), p2_(floor_pow2(a.size)), extra_(a.size - p2_), levels_(log2_exact(p2_)),
        paired_(a.rank < 2 * extra_), vrank_(paired_ ? (a.rank % 2 == 0 ? -1 : a.rank / 2) : a.rank - extra_) {}

  // Message numbers: 0 the pre-step, 1..L halving levels, L+1..2L doubling, 2L+1 post.
  bool step(Links& l) override {
    const std::uint32_t pre = 0, post = std::uint32_t(2 * levels_ + 1);
    for (;;) {
      switch (phase_) {
        case Phase::start:
          if (a_.send != a_.recv) std::memcpy(at(0), a_.send + piece_.offset * a_.elem_bytes, piece_bytes());
          if (vrank_ < 0) {  // an even rank of a pre-step pair: hand over, wait for the result
            l.send(a_.rank + 1, at(0), piece_bytes(), pre);
            l.recv(a_.rank + 1, at(0), piece_bytes(), post);
            phase_ = Phase::done;
            return true;
          }
          phase_ = Phase::halving;
          if (paired_) {
            l.recv(a_.rank - 1, scratch_, piece_bytes(), pre);
            received_ = {0, p2_};
            return true;
          }
          continue;
        case Phase::halving: {
          reduce_received();
          if (level_ > levels_) {  // our block [vrank, vrank+1) is complete
            finish_avg(at(offset(vrank_)), count(vrank_, vrank_ + 1), a_.dt, a_.op, a_.size);
            phase_ = Phase::doubling;
            level_ = 1;
            continue;
          }
          // Keep the half of [lo, hi) our bit selects, send the other half to the partner.
          const int mask = p2_ >> level_, mid = (lo_ + hi_) / 2;
          const bool upper = vrank_ & mask;
          const int give_lo = upper ? lo_ : mid, give_hi = upper ? mid : hi_;
          if (upper) lo_ = mid; else hi_ = mid;
          const int partner = real(vrank_ ^ mask);
          l.send(partner, at(offset(give_lo)), bytes(give_lo, give_hi), std::uint32_t(level_));
          l.recv(partner, scratch_, bytes(lo_, hi_), std::uint32_t(level_));
          received_ = {lo_, hi_};
          ++level_;
          return true;
        }
        case Phase::doubling: {
          if (level_ > levels_) {
            phase_ = Phase::done;
            if (paired_) {  // return the result to the even rank that sat out
              l.send(a_.rank - 1, at(0), piece_bytes(), post);
              return true;
            }
            return false;
          }
          // Swap the aligned range of `mask` blocks holding our block for the partner's.
          const int mask = 1 << (level_ - 1);
          const int mine = vrank_ & ~(mask - 1), theirs = (vrank_ ^ mask) & ~(mask - 1);
          const int partner = real(vrank_ ^ mask);
          l.send(partner, at(offset(mine)), bytes(mine, mine + mask), std::uint32_t(levels_ + level_));
          l.recv(partner, at(offset(theirs)), bytes(theirs, theirs + mask), std::uint32_t(levels_ + level_));
          ++level_;
          return true;
        }
        case Phase::done:
          return false;
      }
    }
  }

 private:
  enum class Phase { start, halving, doubling, done };
  struct Range {
    int lo = 0, hi = 0;
  };
  // Folds what the last exchange brought (in scratch) into its block range.
  void reduce_received() {
    if (received_.hi > received_.lo)
      reduce_into(at(offset(received_.lo)), scratch_, count(received_.lo, received_.hi), a_.dt, a_.op);
    received_ = {};
  }
  int real(int v) const { return v < extra_ ? 2 * v + 1 : v + extra_; }
  // Blocks: the piece cut into P near-equal parts; block P's offset is the piece's end.
  std::size_t offset(int b) const { return even_part(piece_.count, std::size_t(p2_), std::size_t(b)).offset; }
  std::size_t count(int lo, int hi) const { return offset(hi) - offset(lo); }
  std::size_t bytes(int lo, int hi) const { return count(lo, hi) * a_.elem_bytes; }
  std::size_t piece_bytes() const { return piece_.count * a_.elem_bytes; }
  std::byte* at(std::size_t elem_in_piece) const { return a_.recv + (piece_.offset + elem_in_piece) * a_.elem_bytes; }

  const CollArgs& a_;
  Span piece_;
  std::byte* scratch_;
  const int p2_, extra_, levels_;
  const bool paired_;  // in the pre-step pairs (ranks below 2 * extra)
  const int vrank_;    // rank among the P that take part; -1 for those sitting out
  Phase phase_ = Phase::start;
  int level_ = 1;
  int lo_ = 0, hi_ = p2_;
  Range received_;
};

}  // namespace

std::unique_ptr<Plan> rhd_all_reduce(const CollArgs& a, const Knobs& k) {
  // A piece is two chunks: the first halving exchange sends one chunk; the pre-step
  // receives a whole piece into scratch.
  const std::size_t piece = 2 * chunk_elems(a, k);
  const PlanShape shape{a.count, k.channels, piece, piece * a.elem_bytes, std::uint32_t(2 * log2_exact(floor_pow2(a.size)) + 2)};
  return sliced_plan(a, shape, [](const CollArgs& args, int, Span p, std::byte* scratch) {
    return std::make_unique<RhdJob>(args, p, scratch);
  });
}

}  // namespace cairn::coll::detail
