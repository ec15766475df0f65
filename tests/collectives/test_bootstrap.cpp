// Launcher detection from environment maps, Slurm's list syntaxes, and the rendezvous's
// checks (world size, duplicate rank, missing rank, wrong secret) over a real store.
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "collectives/rendezvous/bootstrap.h"
#include "common/error.h"
#include "common/host_name.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using namespace std::chrono_literals;

using ::cairn::test::error_of;

TEST(ExpandNodelist, RangesListsPaddingAndProducts) {
  EXPECT_EQ(expand_nodelist("nid[001-004,007]"),
            (std::vector<std::string>{"nid001", "nid002", "nid003", "nid004", "nid007"}));
  EXPECT_EQ(expand_nodelist("login1,gpu[9-11]"), (std::vector<std::string>{"login1", "gpu9", "gpu10", "gpu11"}));
  EXPECT_EQ(expand_nodelist("r[1-2]-n[08-09]"),
            (std::vector<std::string>{"r1-n08", "r1-n09", "r2-n08", "r2-n09"}));
  EXPECT_EQ(expand_nodelist("node17"), (std::vector<std::string>{"node17"}));
  EXPECT_EQ(expand_nodelist("a[099-101]").back(), "a101");
  EXPECT_NE(error_of([] { expand_nodelist("nid[001-004"); }).find("unbalanced"), std::string::npos);
  EXPECT_NE(error_of([] { expand_nodelist("nid[4-1]"); }).find("bad range '4-1'"), std::string::npos);
  EXPECT_NE(error_of([] { expand_nodelist("n[0-99999999]"); }).find("more hosts"), std::string::npos);
}

TEST(ExpandTasksPerNode, RepeatsAndLists) {
  EXPECT_EQ(expand_tasks_per_node("4(x2),3"), (std::vector<int>{4, 4, 3}));
  EXPECT_EQ(expand_tasks_per_node("8"), (std::vector<int>{8}));
  EXPECT_THROW(expand_tasks_per_node("4(x2"), Error);
}

TEST(DetectRankInfo, Slurm) {
  const RankInfo i = detect_rank_info({{"SLURM_PROCID", "5"},
                                       {"SLURM_NTASKS", "8"},
                                       {"SLURM_LOCALID", "1"},
                                       {"SLURM_NODEID", "2"},
                                       {"SLURM_TASKS_PER_NODE", "2(x3),2"},
                                       {"SLURM_JOB_NODELIST", "nid[004-007]"},
                                       {"SLURM_JOB_ID", "123456"}});
  EXPECT_EQ(i.launcher, "slurm");
  EXPECT_EQ(i.rank, 5);
  EXPECT_EQ(i.size, 8);
  EXPECT_EQ(i.local_rank, 1);
  EXPECT_EQ(i.local_size, 2);
  EXPECT_EQ(i.master_addr, "nid004");
  EXPECT_EQ(i.job_id, "123456");
  // The port derives from the job id: the same on every rank, in the unprivileged range.
  EXPECT_GE(i.master_port, 20000);
  EXPECT_LT(i.master_port, 40000);
  EXPECT_EQ(i.master_port, detect_rank_info({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "8"},
                                             {"SLURM_JOB_NODELIST", "nid[004-007]"}, {"SLURM_JOB_ID", "123456"}})
                               .master_port);
}

TEST(DetectRankInfo, SlurmStepLayoutBeatsTheBatchRequest) {
  // sbatch --ntasks-per-node=4, then `srun -n 2` inside: the step has 1 task per node.
  const RankInfo i = detect_rank_info({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"},
                                       {"SLURM_NODEID", "1"}, {"SLURM_NTASKS_PER_NODE", "4"},
                                       {"SLURM_STEP_TASKS_PER_NODE", "1(x2)"},
                                       {"SLURM_STEP_NODELIST", "gpu[3,5]"}, {"SLURM_JOB_NODELIST", "gpu[1-5]"}});
  EXPECT_EQ(i.local_size, 1);
  EXPECT_EQ(i.master_addr, "gpu3");  // the step's first node, not the allocation's
  EXPECT_NE(error_of([] {
              detect_rank_info({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_NODEID", "3"},
                                {"SLURM_STEP_TASKS_PER_NODE", "1(x2)"}, {"SLURM_JOB_NODELIST", "a[1-2]"}});
            }).find("SLURM_NODEID=3 but SLURM_STEP_TASKS_PER_NODE='1(x2)' lists only 2 nodes"),
            std::string::npos);
}

TEST(DetectRankInfo, SlurmUniformTasksAndMasterOverride) {
  const RankInfo i = detect_rank_info({{"SLURM_PROCID", "3"},
                                       {"SLURM_NTASKS", "4"},
                                       {"SLURM_LOCALID", "3"},
                                       {"SLURM_NTASKS_PER_NODE", "4"},
                                       {"SLURM_JOB_NODELIST", "gpu[1-2]"},
                                       {"MASTER_ADDR", "10.0.0.7"},
                                       {"MASTER_PORT", "29400"}});
  EXPECT_EQ(i.local_size, 4);
  EXPECT_EQ(i.master_addr, "10.0.0.7");
  EXPECT_EQ(i.master_port, 29400);
}

TEST(DetectRankInfo, OpenMpiWinsOverTheSlurmAllocationAroundIt) {
  // mpirun inside an sbatch script: the batch step's SLURM_PROCID=0 is inherited by all.
  const RankInfo i = detect_rank_info({{"OMPI_COMM_WORLD_RANK", "6"},
                                       {"OMPI_COMM_WORLD_SIZE", "16"},
                                       {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                       {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                                       {"SLURM_PROCID", "0"},
                                       {"SLURM_NTASKS", "1"},
                                       {"MASTER_ADDR", "head"}});
  EXPECT_EQ(i.launcher, "ompi");
  EXPECT_EQ(i.rank, 6);
  EXPECT_EQ(i.size, 16);
  EXPECT_EQ(i.local_rank, 2);
  EXPECT_EQ(i.local_size, 4);
  EXPECT_EQ(i.master_addr, "head");
  EXPECT_EQ(i.master_port, 29500);
}

// mpirun -np 2 on one host names no master: every rank is local, so rank 0 is on loopback,
// at a port every rank derives alike from the job id.
TEST(DetectRankInfo, AllRanksOnThisHostNeedNoMasterAddress) {
  auto ompi = [](const char* rank) {
    return EnvMap{{"OMPI_COMM_WORLD_RANK", rank}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_LOCAL_RANK", rank},
                  {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}, {"PMIX_NAMESPACE", "prterun-host-4242@1"}};
  };
  const RankInfo r0 = detect_rank_info(ompi("0")), r1 = detect_rank_info(ompi("1"));
  EXPECT_EQ(r0.master_addr, "127.0.0.1");
  EXPECT_EQ(r1.master_addr, "127.0.0.1");
  EXPECT_EQ(r0.master_port, r1.master_port);
  EXPECT_GE(r0.master_port, 20000);
  EXPECT_LT(r0.master_port, 40000);
  EnvMap other_job = ompi("0");
  other_job["PMIX_NAMESPACE"] = "prterun-host-4243@1";
  EXPECT_NE(detect_rank_info(other_job).master_port, r0.master_port);
  // MASTER_ADDR still wins.
  EnvMap named = ompi("1");
  named["MASTER_ADDR"] = "head";
  EXPECT_EQ(detect_rank_info(named).master_addr, "head");

  const RankInfo hydra = detect_rank_info({{"PMI_RANK", "1"}, {"PMI_SIZE", "3"}, {"MPI_LOCALRANKID", "1"},
                                           {"MPI_LOCALNRANKS", "3"}});
  EXPECT_EQ(hydra.master_addr, "127.0.0.1");
  EXPECT_EQ(hydra.master_port, 29500);  // Hydra without PMIX_NAMESPACE has no job id
  const RankInfo torchrun = detect_rank_info({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_WORLD_SIZE", "2"}});
  EXPECT_EQ(torchrun.master_addr, "127.0.0.1");

  // Ranks on other hosts (local size below the world size): still an error.
  EnvMap spread = ompi("0");
  spread["OMPI_COMM_WORLD_SIZE"] = "4";
  EXPECT_NE(error_of([&] { detect_rank_info(spread); }).find("no master address: set MASTER_ADDR"),
            std::string::npos);
  // Slurm without a node list says nothing of the local size: no guess either.
  EXPECT_NE(error_of([] { detect_rank_info({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}); })
                .find("no master address"),
            std::string::npos);
}

TEST(DetectRankInfo, PmiHydraAndPmix) {
  const RankInfo hydra = detect_rank_info({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}, {"MPI_LOCALRANKID", "1"},
                                           {"MPI_LOCALNRANKS", "2"}, {"MASTER_ADDR", "n1"}});
  EXPECT_EQ(hydra.launcher, "pmi");
  EXPECT_EQ(hydra.rank, 1);
  EXPECT_EQ(hydra.size, 2);
  EXPECT_EQ(hydra.local_rank, 1);
  EXPECT_EQ(hydra.local_size, 2);
  // srun --mpi=pmix: the size and master come from Slurm.
  const RankInfo pmix = detect_rank_info({{"PMIX_RANK", "3"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "3"},
                                          {"SLURM_JOB_NODELIST", "c[7-8]"}, {"PMIX_NAMESPACE", "slurm.pmix.9.0"}});
  EXPECT_EQ(pmix.launcher, "pmi");
  EXPECT_EQ(pmix.rank, 3);
  EXPECT_EQ(pmix.size, 4);
  EXPECT_EQ(pmix.master_addr, "c7");
  EXPECT_EQ(pmix.job_id, "slurm.pmix.9.0");
  EXPECT_NE(error_of([] { detect_rank_info({{"PMIX_RANK", "0"}}); }).find("no world size"), std::string::npos);
}

TEST(DetectRankInfo, TorchrunAndCairn) {
  const RankInfo t = detect_rank_info({{"RANK", "2"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "0"},
                                       {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "trainer-0"},
                                       {"MASTER_PORT", "29501"}});
  EXPECT_EQ(t.launcher, "torchrun");
  EXPECT_EQ(t.rank, 2);
  EXPECT_EQ(t.size, 4);
  EXPECT_EQ(t.local_size, 2);
  EXPECT_EQ(t.master_addr, "trainer-0");
  EXPECT_EQ(t.master_port, 29501);
  // cairn launch sets both its own and torchrun's variables; its own win.
  const RankInfo c = detect_rank_info({{"CAIRN_RANK", "1"}, {"CAIRN_WORLD_SIZE", "3"}, {"CAIRN_LOCAL_RANK", "1"},
                                       {"CAIRN_LOCAL_SIZE", "3"}, {"CAIRN_MASTER_ADDR", "127.0.0.1"},
                                       {"CAIRN_MASTER_PORT", "4242"}, {"CAIRN_JOB_ID", "j1"},
                                       {"RANK", "9"}, {"WORLD_SIZE", "10"}});
  EXPECT_EQ(c.launcher, "cairn");
  EXPECT_EQ(c.rank, 1);
  EXPECT_EQ(c.size, 3);
  EXPECT_EQ(c.master_port, 4242);
  EXPECT_EQ(c.job_id, "j1");
}

TEST(DetectRankInfo, NoLauncherIsOneRank) {
  const RankInfo i = detect_rank_info({{"HOME", "/root"}});
  EXPECT_EQ(i.launcher, "single");
  EXPECT_EQ(i.rank, 0);
  EXPECT_EQ(i.size, 1);
}

TEST(DetectRankInfo, InconsistentValuesAreNamed) {
  EXPECT_EQ(error_of([] { detect_rank_info({{"RANK", "4"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "h"}}); }),
            "rank 4 (from RANK) is not below the world size 4 (from WORLD_SIZE): the torchrun environment is "
            "inconsistent");
  EXPECT_NE(error_of([] { detect_rank_info({{"SLURM_PROCID", "x1"}, {"SLURM_NTASKS", "2"}}); })
                .find("SLURM_PROCID='x1' is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of([] { detect_rank_info({{"RANK", "0"}, {"WORLD_SIZE", "2"}}); })
                .find("world size 2 (from WORLD_SIZE) but no master address: set MASTER_ADDR"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              detect_rank_info({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}});
            }).find("MASTER_PORT='70000'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              detect_rank_info({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"},
                                {"OMPI_COMM_WORLD_LOCAL_RANK", "2"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                {"MASTER_ADDR", "h"}});
            }).find("local rank 2 (from OMPI_COMM_WORLD_LOCAL_RANK) is not below the local size 2"),
            std::string::npos);
  EXPECT_NE(error_of([] { detect_rank_info({{"SLURM_PROCID", "0"}}); }).find("SLURM_NTASKS is not set"),
            std::string::npos);
}

// A port that was free a moment ago.
int free_port() {
  StoreServer probe(0, "x");
  return probe.port();
}

RankInfo rank_info(int rank, int size, int port) {
  RankInfo i;
  i.rank = rank;
  i.size = size;
  i.master_addr = "127.0.0.1";
  i.master_port = port;
  i.launcher = "cairn";
  return i;
}

// Runs bootstrap() for each (rank, size, secret) on its own thread; returns each one's
// error ("" on success).
std::vector<std::string> run_ranks(const std::vector<std::tuple<int, int, std::string>>& ranks,
                                   std::chrono::milliseconds timeout) {
  const int port = free_port();
  std::vector<std::future<std::string>> results;
  for (const auto& [rank, size, secret] : ranks) {
    results.push_back(std::async(std::launch::async, [=] {
      try {
        Bootstrap b = bootstrap(rank_info(rank, size, port), secret, timeout);
        b.finish();  // rank 0's server outlives the others' use of it
        return std::string();
      } catch (const Error& e) {
        return std::string(e.what());
      }
    }));
  }
  std::vector<std::string> errors;
  for (auto& r : results) errors.push_back(r.get());
  return errors;
}

TEST(Bootstrap, FourRanksRendezvousAndShareTheStore) {
  const auto errors = run_ranks({{0, 4, "k"}, {1, 4, "k"}, {2, 4, "k"}, {3, 4, "k"}}, 10s);
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST(Bootstrap, WorldSizeMismatchFailsEveryRankWithOneMessage) {
  const auto errors = run_ranks({{0, 2, "k"}, {1, 4, "k"}}, 10s);
  const std::string want = "rank 1 says world size 4 but rank 0 says 2";
  for (const auto& e : errors) EXPECT_NE(e.find(want), std::string::npos) << e;
}

TEST(Bootstrap, DuplicateRankIsNamedWithBothHosts) {
  const auto errors = run_ranks({{0, 3, "k"}, {1, 3, "k"}, {1, 3, "k"}}, 10s);
  const std::string host = host_name();
  for (const auto& e : errors) {
    EXPECT_NE(e.find("rank 1 joined twice: from " + std::string(host) + " (pid"), std::string::npos) << e;
    EXPECT_NE(e.find(") and " + std::string(host)), std::string::npos) << e;
  }
}

TEST(Bootstrap, MissingRankIsNamedAfterTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto errors = run_ranks({{0, 4, "k"}, {1, 4, "k"}, {3, 4, "k"}}, 600ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // Rank 0 names the absentee, and every rank reports its verdict.
  for (const auto& e : errors) {
    EXPECT_NE(e.find("timed out after 0.6 s: rank 2 never joined"), std::string::npos) << e;
  }
}

TEST(Bootstrap, WrongSecretIsRefusedAndRank0NamesTheAbsentee) {
  testing::internal::CaptureStderr();
  const auto errors = run_ranks({{0, 2, "right"}, {1, 2, "wrong"}}, 800ms);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(errors[1].find("refused this rank: wrong job secret"), std::string::npos) << errors[1];
  EXPECT_NE(errors[0].find("rank 1 never joined"), std::string::npos) << errors[0];
  EXPECT_NE(log.find("refused a peer from 127.0.0.1"), std::string::npos) << log;
}

// Ranks as processes configured only through the environment, as a launcher does it.
TEST(Bootstrap, ForkedRanksFromTheEnvironment) {
  constexpr int kRanks = 3;
  const int port = free_port();
  auto env_of = [&](int rank) {
    return EnvMap{{"CAIRN_RANK", std::to_string(rank)}, {"CAIRN_WORLD_SIZE", std::to_string(kRanks)},
                  {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(port)},
                  {"CAIRN_SECRET", "forked"}, {"CAIRN_STORE_TIMEOUT_S", "10"}};
  };
  std::vector<pid_t> children;
  for (int r = 1; r < kRanks; ++r) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        Bootstrap b = bootstrap_from_env(env_of(r));
        b.store->set("hello/" + std::to_string(r), "from " + std::to_string(b.info.rank));
        b.finish();
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  Bootstrap b = bootstrap_from_env(env_of(0));
  EXPECT_EQ(b.store->get("hello/2"), "from 2");
  b.finish();
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
}

TEST(Bootstrap, MultiRankJobWithoutSecretIsAClearError) {
  EXPECT_NE(error_of([] {
              bootstrap_from_env({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}});
            }).find("CAIRN_SECRET is not set"),
            std::string::npos);
  // One rank needs no secret: it makes one.
  Bootstrap b = bootstrap_from_env({});
  b.store->set("k", "v");
  EXPECT_EQ(b.store->get("k"), "v");
  EXPECT_EQ(random_secret().size(), 32u);
  EXPECT_NE(random_secret(), random_secret());
}

}  // namespace
}  // namespace cairn::coll
