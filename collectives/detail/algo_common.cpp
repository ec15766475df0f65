// Pieces shared by the algorithm files: ring order and the sliced plan.
#include <algorithm>

#include "collectives/detail/algorithms.h"

namespace cairn::coll::detail {

int Ring::rank_at(int pos) const {
  pos = ((pos % size) + size) % size;
  return reversed ? (size - pos) % size : pos;
}

int Ring::pos_of(int rank) const { return reversed ? (size - rank) % size : rank; }

SlicedPlan::SlicedPlan(std::size_t total, int channels, std::size_t piece_elems)
    : total_(total), channels_(std::max(1, channels)), piece_elems_(std::max<std::size_t>(1, piece_elems)) {}

std::size_t SlicedPlan::pieces(int channel) const {
  return ceil_div(even_part(total_, std::size_t(channels_), std::size_t(channel)).count, piece_elems_);
}

Span SlicedPlan::piece(int channel, std::size_t p) const {
  const Span slice = even_part(total_, std::size_t(channels_), std::size_t(channel));
  const Span part = even_part(slice.count, pieces(channel), p);
  return {slice.offset + part.offset, part.count};
}

}  // namespace cairn::coll::detail
