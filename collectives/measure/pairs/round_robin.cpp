#include "collectives/measure/pairs/round_robin.h"

#include <string>
#include <utility>

#include "common/error.h"

namespace cairn::coll::pairs {

std::vector<Round> round_robin(int n) {
  if (n < 1) throw Error("pairs schedule: need at least one rank, got " + std::to_string(n));
  // m players on a circle: position 0 is fixed, positions 1..m-1 rotate by one per round,
  // and position i plays position m-1-i. With odd n, player n is the phantom.
  std::vector<Round> rounds;
  if (n == 1) return rounds;  // no pair to measure (not one round of a lone bye)
  const int m = n % 2 == 0 ? n : n + 1;
  rounds.reserve(static_cast<std::size_t>(m - 1));
  for (int r = 0; r < m - 1; ++r) {
    auto at = [&](int position) { return position == 0 ? 0 : 1 + (position - 1 + r) % (m - 1); };
    Round round;
    for (int i = 0; i < m / 2; ++i) {
      int a = at(i), b = at(m - 1 - i);
      if (a > b) std::swap(a, b);
      if (b == n)
        round.bye = a;  // met the phantom
      else
        round.pairs.push_back({a, b});
    }
    rounds.push_back(std::move(round));
  }
  return rounds;
}

int partner(const Round& round, int player) {
  for (const auto& p : round.pairs) {
    if (p.a == player) return p.b;
    if (p.b == player) return p.a;
  }
  return -1;
}

}  // namespace cairn::coll::pairs
