#include "collectives/measure/harness/collective.h"

#include <string>

#include "common/error.h"

namespace cairn::coll::bench {

Bandwidth bandwidth(const CollTest& test, std::size_t param_count, std::size_t elt_bytes, int nranks,
                    double seconds) {
  const double bytes = static_cast<double>(param_count) * static_cast<double>(elt_bytes) *
                       test.alg_count_factor(nranks);
  Bandwidth bw;
  bw.algbw_gb_s = bytes / 1.0e9 / seconds;
  bw.busbw_gb_s = bw.algbw_gb_s * test.bus_factor(nranks);
  return bw;
}

std::size_t per_rank_count(std::size_t count, std::size_t elt_bytes, int nranks) {
  // 16 / elt - 1 is 15 for bytes, 7 for halves, 3 for floats, 1 for doubles.
  const std::size_t mask = 16 / elt_bytes - 1;
  return (count / static_cast<std::size_t>(nranks)) & ~mask;
}

const std::vector<const CollTest*>& all_collectives() {
  static const std::vector<const CollTest*> tests = {&all_reduce_test, &reduce_scatter_test, &all_gather_test,
                                                     &broadcast_test,  &reduce_test,         &alltoall_test,
                                                     &sendrecv_test};
  return tests;
}

const CollTest& find_collective(std::string_view name) {
  std::string names;
  for (const CollTest* t : all_collectives()) {
    if (name == t->name || name == t->perf_name) return *t;
    names += names.empty() ? "" : ", ";
    names += t->name;
  }
  throw Error("unknown collective '" + std::string(name) + "' (valid: " + names + ", all)");
}

}  // namespace cairn::coll::bench
