// The rendezvous (bootstrap.h: bootstrap). Every rank, through the store:
//   1. counts itself in under cairn/rdv/join/<rank> and records its host there; a second
//      join of the same rank is a duplicate.
//   2. publishes its world size and compares it with rank 0's.
//   3. counts itself into cairn/rdv/arrived; the rank that completes the count writes the
//      outcome "ok".
// Any rank that finds a fault writes the outcome "error: <message>" instead, so every rank
// (not just the faulty one) fails with the same message. The first outcome written wins.
// Rank 0 stays up to two seconds after a failure, until every process that joined has
// read the outcome (cairn/rdv/seen reaches cairn/rdv/processes).
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "collectives/rendezvous/bootstrap.h"
#include "collectives/rendezvous/store_wire.h"
#include "common/env_knobs.h"
#include "common/error.h"
#include "common/host_name.h"

namespace cairn::coll {

namespace {

const std::string kPrefix = "cairn/rdv/";
const std::string kOutcome = kPrefix + "outcome";
constexpr std::chrono::seconds kVerdictGrace{3};

std::string this_process() {
  const std::string host = host_name();
  return fmt::format("{} (pid {})", host.empty() ? "?" : host, ::getpid());
}

// Writes the outcome unless another rank already has.
void publish_outcome(Store& store, const std::string& outcome) {
  if (store.add(kPrefix + "outcome_writers", 1) == 1) store.set(kOutcome, outcome);
}

[[noreturn]] void fail_everyone(Store& store, const std::string& msg) {
  publish_outcome(store, "error: " + msg);
  store.add(kPrefix + "seen", 1);
  throw Error(msg);
}

// Rank 0 hosts the store: before it exits on a failed rendezvous, it gives the other
// processes that joined a moment to read the outcome, so that they report the fault and
// not a lost connection.
void linger_until_outcome_seen(Store& store) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (store.add(kPrefix + "seen", 0) < store.add(kPrefix + "processes", 0) &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Names the ranks that never counted themselves in (at most a dozen).
std::string missing_ranks(Store& store, int size) {
  std::vector<int> missing;
  for (int r = 0; r < size && missing.size() <= 12; ++r)
    if (store.add(kPrefix + "join/" + std::to_string(r), 0) == 0) missing.push_back(r);
  if (missing.empty()) return "every rank joined but the count never completed (a rank failed a check?)";
  std::string list;
  for (std::size_t i = 0; i < missing.size() && i < 12; ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
  if (missing.size() > 12) list += ", ...";
  return fmt::format("rank{} {} never joined (started? with the same MASTER_ADDR/MASTER_PORT?)",
                     missing.size() == 1 ? "" : "s", list);
}

void rendezvous(Store& store, const RankInfo& info, const std::string& address,
                std::chrono::milliseconds timeout) {
  const std::string me = this_process();
  store.add(kPrefix + "processes", 1);
  const std::string join = kPrefix + "join/" + std::to_string(info.rank);
  const std::int64_t joins = store.add(join, 1);
  store.set(fmt::format("{}/host/{}", join, joins), me);
  if (joins > 1)
    fail_everyone(store, fmt::format("rank {} joined twice: from {} and {} (two processes got the same rank: "
                                     "check the launcher's rank variables)",
                                     info.rank, store.get(join + "/host/1"), me));

  store.set(kPrefix + "size/" + std::to_string(info.rank), std::to_string(info.size));
  if (info.rank != 0) {
    std::string size0;
    try {
      size0 = store.get(kPrefix + "size/0");
    } catch (const StoreTimeout&) {
      throw Error(fmt::format("rank 0 never joined the rendezvous at {} within {}: did it start?", address,
                              detail::seconds_text(timeout)));
    }
    if (size0 != std::to_string(info.size))
      fail_everyone(store, fmt::format("rank {} says world size {} but rank 0 says {}: start every rank with "
                                       "the same world size (-n, SLURM_NTASKS, WORLD_SIZE)",
                                       info.rank, info.size, size0));
  }

  if (store.add(kPrefix + "arrived", 1) == info.size) publish_outcome(store, "ok");
  std::string outcome;
  if (info.rank == 0) {
    try {
      outcome = store.get(kOutcome);
    } catch (const StoreTimeout&) {
      // Rank 0 names the absentees for everyone.
      publish_outcome(store, fmt::format("error: rendezvous at {} timed out after {}: {}", address,
                                         detail::seconds_text(timeout), missing_ranks(store, info.size)));
      outcome = store.get(kOutcome);
    }
  } else {
    // The others wait a little longer than rank 0, to read its verdict on a timeout.
    store.set_timeout(timeout + kVerdictGrace);
    try {
      outcome = store.get(kOutcome);
    } catch (const StoreTimeout&) {
      throw Error(fmt::format("rendezvous at {} timed out after {} and rank 0 gave no verdict", address,
                              detail::seconds_text(timeout + kVerdictGrace)));
    }
    store.set_timeout(timeout);
  }
  store.add(kPrefix + "seen", 1);
  if (outcome.rfind("error: ", 0) == 0) {
    if (info.rank == 0) linger_until_outcome_seen(store);
    throw Error(outcome.substr(7));
  }
}

}  // namespace

std::string random_secret() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw Error("/dev/urandom: cannot read random bytes for the job secret");
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

Bootstrap bootstrap(const RankInfo& info, const std::string& secret, std::chrono::milliseconds timeout) {
  Bootstrap b;
  b.info = info;
  b.timeout = timeout;
  const std::string address = store_address(info.master_addr.empty() ? "localhost" : info.master_addr,
                                            info.master_port);
  StoreOptions options{info.master_addr, info.master_port, secret, timeout};
  if (info.rank == 0) {
    b.server = std::make_unique<StoreServer>(info.size == 1 ? 0 : info.master_port, secret);
    // Rank 0 reaches its own store through loopback: its MASTER_ADDR name may resolve
    // only from other hosts (a Kubernetes service that lists ready pods).
    options.host = "localhost";
    options.port = b.server->port();
  }
  b.store = connect_store(options);
  rendezvous(*b.store, info, address, timeout);
  return b;
}

void Bootstrap::finish() {
  // One request per rank: a second one (say, the last rank setting a "done" key) could
  // still be in flight when rank 0 sees the count complete and shuts the store down.
  const std::string counter = kPrefix + "finished";
  std::int64_t done = store->add(counter, 1);
  if (info.rank != 0) return;
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (done < info.size) {
    if (std::chrono::steady_clock::now() >= give_up)
      throw Error(fmt::format("only {} of {} ranks reached the end of the job within {} (the others failed or "
                              "hang)",
                              done, info.size, detail::seconds_text(timeout)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done = store->add(counter, 0);
  }
}

Bootstrap bootstrap_from_env(const EnvMap& env) {
  const RankInfo info = detect_rank_info(env);
  std::string secret;
  if (auto s = env::text("CAIRN_SECRET", env)) secret = *s;
  else if (info.size == 1) secret = random_secret();
  else
    throw Error("CAIRN_SECRET is not set: give every rank the job's secret (export CAIRN_SECRET=$(head -c 16 "
                "/dev/urandom | od -An -tx1 | tr -d ' \\n') before srun or mpirun; cairn launch sets it)");
  std::chrono::milliseconds timeout{60000};
  if (auto s = env::seconds("CAIRN_STORE_TIMEOUT_S", env))
    timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*s * 1000));
  return bootstrap(info, secret, timeout);
}

}  // namespace cairn::coll
