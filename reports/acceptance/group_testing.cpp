#include "reports/acceptance/group_testing.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"

namespace cairn::acceptance {
namespace {

class Search {
 public:
  Search(int nodes, const GroupIsSlow& is_slow) : nodes_(nodes), is_slow_(is_slow), cleared_(nodes, false) {}

  // `group` was slow; find what in it is.
  void slow_group(const std::vector<int>& group) {
    if (group.size() == 1) {
      suspect(group.front());
      return;
    }
    if (group.size() == 2) {
      slow_pair(group);
      return;
    }
    const auto mid = group.begin() + static_cast<std::ptrdiff_t>(group.size() / 2);
    const std::vector<int> a(group.begin(), mid), b(mid, group.end());
    const bool slow_a = run(a), slow_b = run(b);
    if (!slow_a) clear(a);
    if (!slow_b) clear(b);
    if (slow_a) slow_group(a);
    if (slow_b) slow_group(b);
    if (!slow_a && !slow_b) between(a, b);
  }

  Isolation result() {
    std::sort(out_.suspects.begin(), out_.suspects.end());
    return std::move(out_);
  }

 private:
  // Each node of a slow pair goes with a cleared node; with none cleared yet, with a node
  // outside the pair (which then risks being the slow one: the caller's verdict says so).
  void slow_pair(const std::vector<int>& pair) {
    const int partner = pick_partner(pair);
    if (partner < 0) {  // a job of two nodes: the pair is all there is
      out_.evidence += fmt::format("{}nodes {} slow together, no third node to tell them apart", sep(), pair);
      between({pair[0]}, {pair[1]});
      return;
    }
    bool any = false;
    for (int n : pair) {
      std::vector<int> g = {std::min(n, partner), std::max(n, partner)};
      if (run(g)) {
        suspect(n);
        any = true;
      } else {
        cleared_[n] = true;
      }
    }
    if (!any) between({pair[0]}, {pair[1]});
  }

  int pick_partner(const std::vector<int>& pair) const {
    for (int n = 0; n < nodes_; ++n)
      if (cleared_[n] && std::find(pair.begin(), pair.end(), n) == pair.end()) return n;
    for (int n = 0; n < nodes_; ++n)
      if (std::find(pair.begin(), pair.end(), n) == pair.end()) return n;
    return -1;
  }

  bool run(const std::vector<int>& g) {
    ++out_.runs;
    const bool slow = is_slow_(g);
    out_.evidence += fmt::format("{}{} {}", sep(), g, slow ? "slow" : "fine");
    return slow;
  }
  void clear(const std::vector<int>& g) {
    for (int n : g) cleared_[n] = true;
  }
  void suspect(int n) { out_.suspects.push_back(n); }
  void between(std::vector<int> a, std::vector<int> b) { out_.between.emplace_back(std::move(a), std::move(b)); }
  const char* sep() const { return out_.evidence.empty() ? "" : "; "; }

  int nodes_;
  const GroupIsSlow& is_slow_;
  std::vector<bool> cleared_;
  Isolation out_;
};

}  // namespace

Isolation isolate_slow_nodes(int nodes, const GroupIsSlow& is_slow) {
  if (nodes < 2) throw Error("group testing needs at least two nodes");
  std::vector<int> all(static_cast<std::size_t>(nodes));
  for (int i = 0; i < nodes; ++i) all[std::size_t(i)] = i;
  Search search(nodes, is_slow);
  search.slow_group(all);
  return search.result();
}

}  // namespace cairn::acceptance
