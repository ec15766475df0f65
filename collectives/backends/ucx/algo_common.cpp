// Pieces shared by the algorithm files: ring order and the sliced plan.
#include <algorithm>

#include "collectives/backends/ucx/algorithms.h"

namespace cairn::coll::detail {

int Ring::rank_at(int pos) const {
  const int r = reversed ? origin - pos : origin + pos;
  return ((r % size) + size) % size;
}

int Ring::pos_of(int rank) const {
  const int p = reversed ? origin - rank : rank - origin;
  return ((p % size) + size) % size;
}

namespace {

class SlicedPlan final : public Plan {
 public:
  SlicedPlan(const CollArgs& a, const PlanShape& shape, JobMaker make) : a_(a), shape_(shape), make_(std::move(make)) {
    shape_.channels = std::max(1, shape_.channels);
    shape_.piece_elems = std::max<std::size_t>(1, shape_.piece_elems);
  }
  int channels() const override { return shape_.channels; }
  std::size_t pieces(int channel) const override { return ceil_div(slice(channel).count, shape_.piece_elems); }
  std::size_t scratch_bytes() const override { return shape_.scratch_bytes; }
  std::uint32_t steps_per_job() const override { return shape_.steps_per_job; }
  std::unique_ptr<Job> job(int channel, std::size_t p, std::byte* scratch) override {
    const Span s = slice(channel), part = even_part(s.count, pieces(channel), p);
    return make_(a_, channel, Span{s.offset + part.offset, part.count}, scratch);
  }

 private:
  Span slice(int channel) const { return even_part(shape_.total, std::size_t(shape_.channels), std::size_t(channel)); }
  CollArgs a_;
  PlanShape shape_;
  JobMaker make_;
};

}  // namespace

std::unique_ptr<Plan> sliced_plan(const CollArgs& a, const PlanShape& shape, JobMaker make) {
  return std::make_unique<SlicedPlan>(a, shape, std::move(make));
}

std::size_t chunk_elems(const CollArgs& a, const Knobs& k) { return std::max<std::size_t>(1, k.chunk_bytes / a.elem_bytes); }

}  // namespace cairn::coll::detail
