// Who am I, and where is everyone: rank, world size and local rank from whichever launcher
// started this process (Slurm, Open MPI, PMI, torchrun, `cairn launch`), then a rendezvous
// through the store hosted by rank 0 that checks every rank agrees on the world size and
// that no rank was started twice.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectives/rendezvous/store.h"
#include "collectives/rendezvous/tcp_store.h"

namespace cairn::coll {

// An environment as a map, so detection is testable without touching the process's own.
using EnvMap = std::map<std::string, std::string>;
EnvMap process_environment();

struct RankInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string master_addr;  // rank 0's host; empty only when size == 1
  int master_port = 0;
  std::string launcher;  // "slurm", "ompi", "pmi", "torchrun", "cairn", or "single"
  std::string job_id;    // the launcher's job id where it has one
};

// Reads the first launcher found, most specific first: Cairn's own (CAIRN_RANK), torchrun
// (RANK/WORLD_SIZE), Open MPI (OMPI_COMM_WORLD_*), PMI (PMI_RANK, PMIX_RANK), Slurm
// (SLURM_PROCID). MASTER_ADDR/MASTER_PORT override what the launcher implies. A job whose
// launcher puts every rank on this host (local size == world size) and names no master
// uses 127.0.0.1. Without MASTER_PORT the port derives from the launcher's job id (Open
// MPI's PMIX_NAMESPACE, Slurm's job and step), else 29500. No launcher: a single rank. Throws cairn::Error naming the variables on inconsistent values (rank
// not below size, a non-number, a multi-rank job without a master address).
RankInfo detect_rank_info(const EnvMap& env);

// Expands Slurm's compact host list: "nid[001-003,007],login1" -> nid001 nid002 nid003
// nid007 login1 (zero padding kept; several bracket groups in one name multiply out).
std::vector<std::string> expand_nodelist(const std::string& nodelist);

// Expands "4(x2),3" (SLURM_TASKS_PER_NODE) to 4 4 3.
std::vector<int> expand_tasks_per_node(const std::string& spec);

// 32 hex digits from /dev/urandom: a job secret.
std::string random_secret();

// The connected job: rank 0 also hosts the store. The store is declared after the server
// so that it is destroyed first.
struct Bootstrap {
  RankInfo info;
  std::unique_ptr<StoreServer> server;  // rank 0 only
  std::unique_ptr<Store> store;
  std::chrono::milliseconds timeout{60000};  // the store's, for finish()

  // Collective at the end of the job: the other ranks check out and go; rank 0 waits
  // (up to `timeout`) until all have, so that shutting its store down cannot cut off a
  // rank still talking to it. Throws cairn::Error on rank 0 if some never check out.
  void finish();
};

// Starts the store on rank 0, connects every rank, and runs the rendezvous. Throws
// cairn::Error for an unreachable master, a wrong secret, a world-size mismatch ("rank 3
// says world size 4 but rank 0 says 8: ..."), a rank that joined twice, or ranks that
// never joined within `timeout` (named).
Bootstrap bootstrap(const RankInfo& info, const std::string& secret,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// detect_rank_info(env), the secret from CAIRN_SECRET (required when size > 1; generated
// for a single rank) and the timeout from CAIRN_STORE_TIMEOUT_S (default 60), then
// bootstrap().
Bootstrap bootstrap_from_env(const EnvMap& env);

}  // namespace cairn::coll
