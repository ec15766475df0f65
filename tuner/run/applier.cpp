#include "tuner/run/applier.h"

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::tuner {
namespace {

class HostApplier final : public Applier {
 public:
  explicit HostApplier(coll::Communicator& comm) : comm_(comm) {}

  coll::Communicator& apply(const Candidate& c) override {
    if (c.level == Level::per_communicator || c.level == Level::per_process)
      throw Error(fmt::format("candidate {}: the host backend has no per-communicator or per-process settings",
                              c.key));
    coll::Communicator& target = c.rank_order.empty() ? comm_ : placements_.get(comm_, c);
    target.set_algo_config(c.host);
    return target;
  }
  bool honoured(const Candidate&) override { return true; }
  void reset() override { comm_.set_algo_config({}); }
  coll::Communicator& base() override { return comm_; }

 private:
  coll::Communicator& comm_;
  PlacementCache placements_;
};

}  // namespace

coll::Communicator& PlacementCache::get(coll::Communicator& base, const Candidate& c) {
  auto it = comms_.find(c.rank_order);
  if (it != comms_.end()) return *it->second;
  if (c.rank_order.size() != static_cast<std::size_t>(base.size()))
    throw Error(fmt::format("candidate {}: its rank order has {} entries for {} ranks", c.key, c.rank_order.size(),
                            base.size()));
  std::unique_ptr<coll::Communicator> comm = base.split(0, c.rank_order[static_cast<std::size_t>(base.rank())]);
  if (!comm) throw Error(fmt::format("candidate {}: splitting the communicator gave this rank no part", c.key));
  return *comms_.emplace(c.rank_order, std::move(comm)).first->second;
}

std::unique_ptr<Applier> make_host_applier(coll::Communicator& comm) { return std::make_unique<HostApplier>(comm); }

}  // namespace cairn::tuner
