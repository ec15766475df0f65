// A rank for the `cairn launch` tests: bootstraps from the environment the launcher set,
// checks the store works across ranks, and prints one line.
#include <iostream>

#include "collectives/rendezvous/bootstrap.h"

int main() {
  try {
    auto b = cairn::coll::bootstrap_from_env(cairn::coll::process_environment());
    const auto total = b.store->add("sum_of_ranks", b.info.rank);
    b.store->barrier("summed", b.info.size);
    const auto sum = b.store->add("sum_of_ranks", 0);
    std::cout << "rank " << b.info.rank << " of " << b.info.size << " via " << b.info.launcher
              << ": sum " << sum << "\n";
    (void)total;
    b.finish();
    return sum == b.info.size * (b.info.size - 1) / 2 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "helper: " << e.what() << "\n";
    return 2;
  }
}
