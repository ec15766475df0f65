// Finding the node that slows a collective without testing every pair or every node
// alone: adaptive group testing by halving (Hwang, "A method for detecting all defective
// members in a population by group testing", JASA 1972). The collective over all N nodes
// is slow; run it over each half; the slow half holds the bad node; halve again. Each
// level costs two runs, so one bad node among N is named in 2 log2(N) runs (6 for 8).
// A group of two is split by pairing each of its nodes with a node already cleared, since
// a collective over one node never touches the network.
//
// When neither half is slow the fault lies between them (a link, which the pairs matrix
// names); when both are, there are several bad nodes and both halves are searched.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cairn::acceptance {

// Runs the collective over `members` (node indices, ascending) and says whether it is
// slow. Every call is one run, counted.
using GroupIsSlow = std::function<bool(const std::vector<int>& members)>;

struct Isolation {
  std::vector<int> suspects;  // the nodes found slow on their own, ascending
  int runs = 0;               // collectives run
  // The groups that were slow together while each part was fine: {A, B} means the fault
  // is between A and B (a link), not in a node.
  std::vector<std::pair<std::vector<int>, std::vector<int>>> between;
  std::string evidence;       // one line per decision, "; "-joined
};

// `all` is slow (the caller ran it); `nodes` the node count (>= 2).
Isolation isolate_slow_nodes(int nodes, const GroupIsSlow& is_slow);

}  // namespace cairn::acceptance
