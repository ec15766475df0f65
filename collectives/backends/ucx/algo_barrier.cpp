// Dissemination barrier (Hensgen, Finkel & Manber, 1988): in round k every rank signals
// rank+2^k and waits for rank-2^k; after ceil(log2 N) rounds each rank has heard,
// directly or through others, from every rank, whatever N is.
#include "collectives/backends/ucx/algorithms.h"

namespace cairn::coll::detail {
namespace {

class DisseminationJob final : public Job {
 public:
  DisseminationJob(int rank, int size, std::byte* scratch) : rank_(rank), size_(size), token_(scratch) {}
  bool step(Links& l) override {
    if (distance_ >= size_) return false;
    const int to = (rank_ + distance_) % size_, from = (rank_ - distance_ % size_ + size_) % size_;
    // One byte: zero-byte transfers are skipped by Links.
    l.send(to, token_, 1, std::uint32_t(round_));
    l.recv(from, token_ + 1, 1, std::uint32_t(round_));
    ++round_;
    distance_ *= 2;
    return true;
  }

 private:
  int rank_, size_;
  std::byte* token_;
  int round_ = 0;
  int distance_ = 1;
};

class BarrierPlan final : public Plan {
 public:
  BarrierPlan(int rank, int size) : rank_(rank), size_(size) {}
  int channels() const override { return 1; }
  std::size_t pieces(int) const override { return size_ > 1 ? 1 : 0; }
  std::size_t scratch_bytes() const override { return 2; }
  std::uint32_t steps_per_job() const override { return 32; }
  std::unique_ptr<Job> job(int, std::size_t, std::byte* scratch) override {
    return std::make_unique<DisseminationJob>(rank_, size_, scratch);
  }

 private:
  int rank_, size_;
};

}  // namespace

std::unique_ptr<Plan> dissemination_barrier(int rank, int size) { return std::make_unique<BarrierPlan>(rank, size); }

}  // namespace cairn::coll::detail
