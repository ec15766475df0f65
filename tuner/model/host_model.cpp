#include "tuner/model/host_model.h"

#include <cmath>

#include "collectives/backends/ucx/algo_select.h"
#include "common/error.h"

namespace cairn::tuner {
namespace {

int floor_pow2(int n) {
  int p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

double ceil_log2(int n) { return std::ceil(std::log2(static_cast<double>(n))); }

std::string strip_prefix(const std::string& family) {
  return family.rfind("ucx:", 0) == 0 ? family.substr(4) : family;
}

HostShape ring(const std::string& collective, int n) {
  if (collective == "all_reduce") return {"ring", 2.0 * (n - 1), 2.0 * (n - 1) / n};
  return {"ring", double(n - 1), double(n - 1) / n};
}
HostShape tree(const std::string& collective, int n) {
  if (collective == "all_reduce") return {"tree", 2 * ceil_log2(n), 2.0};
  return {"tree", ceil_log2(n), 1.0};
}
HostShape rhd(int n) {
  const int p = floor_pow2(n);
  const double extra = n != p ? 2.0 : 0.0;
  return {"rhd", 2 * std::log2(double(p)) + extra, 2.0 * (p - 1) / p + extra};
}
HostShape chain(int n) { return {"chain", double(n - 1), 1.0}; }
HostShape pairwise(int n) { return {"pairwise", double(n - 1), double(n - 1) / n}; }

}  // namespace

std::vector<std::string> host_family_names() { return {"ring", "tree", "rhd", "chain", "pairwise", "automatic", "default"}; }

HostShape host_shape(const std::string& family, const std::string& collective, int nranks, double bytes) {
  std::string f = strip_prefix(family);
  const std::string what = "family " + family + " (" + collective + ")";
  if (nranks < 2) fail(what, "has no steps at " + std::to_string(nranks) + " rank; the model needs 2 or more");
  bool known = false;
  for (const std::string& k : host_family_names()) known = known || k == f;
  if (!known) fail(what, "unknown host family; known: ring, tree, rhd, chain, pairwise, automatic (optionally ucx:...)");
  if (f == "automatic" || f == "default") {
    // The backend's own choice for AlgoConfig{} at this size.
    if (collective == "all_reduce") {
      if (bytes < 0) fail(what, "the backend's automatic all_reduce depends on the size; give the bytes");
      const coll::Algorithm a = coll::detail::choose_all_reduce(coll::AlgoConfig{}, static_cast<std::size_t>(bytes), nranks);
      f = a == coll::Algorithm::rhd ? "rhd" : a == coll::Algorithm::tree ? "tree" : "ring";
    } else {
      f = coll::detail::choose_rooted(coll::AlgoConfig{}) == coll::Algorithm::ring ? "chain" : "tree";
    }
  }
  if (collective == "all_reduce") {
    if (f == "ring") return ring(collective, nranks);
    if (f == "tree") return tree(collective, nranks);
    if (f == "rhd") return rhd(nranks);
    fail(what, "all_reduce runs ring, tree or rhd");
  }
  if (collective == "reduce_scatter" || collective == "all_gather") {
    return ring(collective, nranks);  // the backend runs the ring whatever the family
  }
  if (collective == "reduce" || collective == "broadcast") {
    if (f == "ring" || f == "chain") return chain(nranks);
    return tree(collective, nranks);  // tree, rhd: the double binary tree (choose_rooted)
  }
  if (collective == "alltoall") {
    return pairwise(nranks);  // the backend's one alltoall
  }
  fail(what, "unknown collective; known: all_reduce, reduce_scatter, all_gather, reduce, broadcast, alltoall");
}

}  // namespace cairn::tuner
