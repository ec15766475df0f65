// Which ranks meet in which round of an all-pairs measurement: a round-robin tournament by
// the circle method (Kirkman 1847; e.g. Harary & Moser, "The theory of round robin
// tournaments", 1966). Rank 0 stays put while the others rotate one place per round, so
// every one of the N(N-1)/2 pairs meets exactly once, each rank is in at most one pair per
// round, and the whole tournament takes N-1 rounds for even N. Odd N adds a phantom
// player: whoever meets it sits the round out (a bye), giving N rounds.
#pragma once

#include <vector>

namespace cairn::coll::pairs {

struct Pair {
  int a = 0;  // a < b
  int b = 0;
  friend bool operator==(const Pair&, const Pair&) = default;
};

struct Round {
  std::vector<Pair> pairs;
  int bye = -1;  // the rank that sits this round out (odd N), else -1
};

// The rounds for n players (n >= 1; n == 1 gives no rounds). Throws cairn::Error for n < 1.
std::vector<Round> round_robin(int n);

// The player `player` meets in `round`, or -1 (a bye, or not in the round at all).
int partner(const Round& round, int player);

}  // namespace cairn::coll::pairs
