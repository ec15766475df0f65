// open_backend: the --backend choice, the auto rule, its errors, and a real two-rank UCX
// communicator opened through a loopback store.
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/open_backend.h"
#include "common/error.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using ::cairn::test::error_of;

TEST(BackendChoice, ParsesTheThreeNamesAndNamesTheFixOtherwise) {
  EXPECT_EQ(parse_backend_choice("ucx"), BackendChoice::ucx);
  EXPECT_EQ(parse_backend_choice("nccl"), BackendChoice::nccl);
  EXPECT_EQ(parse_backend_choice("auto"), BackendChoice::automatic);
  EXPECT_EQ(error_of([] { parse_backend_choice("mpi"); }), "--backend 'mpi' is not a backend: use ucx, nccl or auto");
  EXPECT_EQ(error_of([] { parse_backend_choice("UCX"); }), "--backend 'UCX' is not a backend: use ucx, nccl or auto");
  EXPECT_EQ(error_of([] { parse_backend_choice(""); }), "--backend '' is not a backend: use ucx, nccl or auto");
}

TEST(ResolveBackend, AutoIsNcclExactlyWhenTheDataIsOnAGpuOfACudaBuild) {
  const auto a = BackendChoice::automatic;
  EXPECT_EQ(resolve_backend(a, DataPlace::gpu, true, 2), "nccl");
  EXPECT_EQ(resolve_backend(a, DataPlace::gpu_if_visible, true, 1), "nccl");
  EXPECT_EQ(resolve_backend(a, DataPlace::gpu_if_visible, true, 0), "ucx");
  EXPECT_EQ(resolve_backend(a, DataPlace::host, true, 8), "ucx");  // cairn train --device cpu on a GPU node
  EXPECT_EQ(resolve_backend(a, DataPlace::gpu, false, 0), "ucx");
  EXPECT_EQ(resolve_backend(a, DataPlace::gpu_if_visible, false, 0), "ucx");
  // An explicit choice is kept: UCX reduces GPU data through host copies.
  EXPECT_EQ(resolve_backend(BackendChoice::ucx, DataPlace::gpu, true, 4), "ucx");
  EXPECT_EQ(resolve_backend(BackendChoice::nccl, DataPlace::gpu_if_visible, true, 1), "nccl");
}

TEST(ResolveBackend, NcclThatCannotRunSaysWhyAndWhatToUseInstead) {
  const auto n = BackendChoice::nccl;
  EXPECT_EQ(error_of([&] { resolve_backend(n, DataPlace::gpu, false, 0); }),
            "--backend nccl: this cairn was built without CUDA (-DCAIRN_CUDA=OFF); use --backend ucx");
  EXPECT_EQ(error_of([&] { resolve_backend(n, DataPlace::host, true, 2); }),
            "--backend nccl reduces GPU memory but the data is in host memory: put it on a GPU (cairn train "
            "--device cuda) or use --backend ucx");
  for (DataPlace d : {DataPlace::gpu, DataPlace::gpu_if_visible})
    EXPECT_EQ(error_of([&] { resolve_backend(n, d, true, 0); }),
              "--backend nccl: this process sees no CUDA GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES); use "
              "--backend ucx for host memory");
}

TEST(OpenBackend, NcclOnHostDataFailsBeforeTouchingTheStore) {
  Bootstrap job = bootstrap_from_env({});
  OpenBackendOptions o;
  o.choice = BackendChoice::nccl;
  o.data = DataPlace::host;
  const std::string e = error_of([&] { open_backend(job, o); });
#ifdef CAIRN_HAVE_CUDA
  EXPECT_NE(e.find("data is in host memory"), std::string::npos) << e;
#else
  EXPECT_NE(e.find("built without CUDA"), std::string::npos) << e;
#endif
}

// Rank 1 in a child process, rank 0 here: both open UCX under the same prefix and sum.
TEST(OpenBackend, TwoRanksOpenUcxOverALoopbackStoreAndAllReduce) {
  const int port = [] {
    StoreServer probe(0, "x");
    return probe.port();
  }();
  auto job_of = [&](int rank) {
    return bootstrap_from_env({{"CAIRN_RANK", std::to_string(rank)}, {"CAIRN_WORLD_SIZE", "2"},
                               {"CAIRN_LOCAL_RANK", std::to_string(rank)}, {"CAIRN_LOCAL_SIZE", "2"},
                               {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(port)},
                               {"CAIRN_SECRET", "open-backend"}, {"CAIRN_STORE_TIMEOUT_S", "20"}});
  };
  OpenBackendOptions o;
  o.choice = BackendChoice::ucx;
  o.key_prefix = "cairn/test";
  o.timeout = std::chrono::seconds(30);
  // Both ranks sum {rank + 1, 10 * (rank + 1)}: {3, 30}.
  auto sum = [](Communicator& comm) {
    std::vector<float> send = {float(comm.rank() + 1), float(10 * (comm.rank() + 1))}, recv(2, 0.f);
    comm.all_reduce(send.data(), recv.data(), 2, DataType::f32, ReduceOp::sum).wait();
    return recv;
  };
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 0;
    try {
      Bootstrap job = job_of(1);
      OpenedBackend b = open_backend(job, o);
      code = sum(*b.comm) == std::vector<float>{3.f, 30.f} && b.comm->rank() == 1 ? 0 : 4;
      b.comm.reset();
      job.finish();
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  Bootstrap job = job_of(0);
  OpenedBackend b = open_backend(job, o);
  EXPECT_EQ(b.name, "ucx");
  EXPECT_EQ(b.memory, MemoryKind::host);
  EXPECT_EQ(b.device, -1);
  EXPECT_EQ(b.description, "backend ucx");
  EXPECT_EQ(b.comm->backend(), "ucx");
  EXPECT_EQ(b.comm->size(), 2);
  EXPECT_EQ(sum(*b.comm), (std::vector<float>{3.f, 30.f}));
  b.comm.reset();
  job.finish();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank 1: status " << status;
}

}  // namespace
}  // namespace cairn::coll
