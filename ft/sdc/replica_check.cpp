#include "ft/sdc/replica_check.h"

#include <algorithm>

#include "ft/sdc/fingerprint.h"

namespace cairn::ft {

ReplicaVerdict judge_replicas(const std::vector<std::uint64_t>& hashes) {
  ReplicaVerdict v;
  if (hashes.empty()) return v;
  std::size_t best = 0;
  std::ptrdiff_t best_count = 0;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    const auto c = std::count(hashes.begin(), hashes.end(), hashes[i]);
    if (c > best_count) best = i, best_count = c;
  }
  v.majority = hashes[best];
  for (std::size_t i = 0; i < hashes.size(); ++i)
    if (hashes[i] != v.majority) v.differing.push_back(static_cast<int>(i));
  v.agree = v.differing.empty();
  return v;
}

ReplicaVerdict compare_replicas(coll::Communicator& comm, const float* params, std::size_t n) {
  const std::uint64_t mine = hash_bits(params, n);
  std::vector<std::uint64_t> all(static_cast<std::size_t>(comm.size()));
  comm.all_gather(&mine, all.data(), 1, coll::DataType::i64).wait();
  return judge_replicas(all);
}

}  // namespace cairn::ft
