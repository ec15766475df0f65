// What one small NCCL operation costs on the host through Cairn's Communicator, against
// the same NCCL calls made directly in the same process (the peer). Below ~1 MiB a
// one-GPU operation is bound by the host's launch rate, not by the GPU, so this is
// where `cairn bench` and nccl-tests differ at small sizes.
//
//   Raw*       ncclGroupStart/Send/Recv/GroupEnd (or ncclAllReduce) on a communicator
//              from ncclCommInitRank: nccl-tests' loop
//   RawSplit*  the same on a blocking communicator split from a non-blocking one, as
//              Cairn's NCCL backend makes it
//   *Event     RawSplit* plus a completion event recorded after each operation
//   Cairn*     Communicator::send_recv / all_reduce, Request kept until the batch ends
//
// Each iteration launches one operation of 8 floats; every 256 the stream is drained so
// the queue stays short. Time per iteration = the sustained launch rate.
#include <cuda_runtime.h>
#include <nccl.h>

#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "collectives/measure/memory.h"
#include "collectives/rendezvous/tcp_store.h"
#include "probe/cuda_devices.h"

namespace cairn::coll {
namespace {

constexpr int kBatch = 256;
constexpr std::size_t kCount = 8;

struct Buffers {
  void* send = nullptr;
  void* recv = nullptr;
  cudaStream_t stream{};
  Buffers() {
    cudaSetDevice(0);
    cudaMalloc(&send, kCount * sizeof(float));
    cudaMalloc(&recv, kCount * sizeof(float));
    cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  }
  ~Buffers() {
    cudaStreamDestroy(stream);
    cudaFree(send);
    cudaFree(recv);
  }
};

ncclComm_t raw_comm(bool split) {
  ncclUniqueId id;
  ncclGetUniqueId(&id);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = split ? 0 : 1;
  ncclComm_t comm = nullptr;
  ncclCommInitRankConfig(&comm, 1, id, 0, &config);
  ncclResult_t state = ncclInProgress;
  while (state == ncclInProgress) ncclCommGetAsyncError(comm, &state);
  if (!split) return comm;
  ncclConfig_t child_config = NCCL_CONFIG_INITIALIZER;
  child_config.blocking = 1;
  ncclComm_t child = nullptr;
  ncclCommSplit(comm, 0, 0, &child, &child_config);
  state = ncclInProgress;
  while (state == ncclInProgress) ncclCommGetAsyncError(comm, &state);
  ncclCommFinalize(comm);
  state = ncclInProgress;
  while (state == ncclInProgress) ncclCommGetAsyncError(comm, &state);
  ncclCommDestroy(comm);
  return child;
}

template <typename Launch, typename Drained>
void run_batches(benchmark::State& state, cudaStream_t stream, Launch launch, Drained drained) {
  int i = 0;
  for (auto _ : state) {
    launch();
    if (++i % kBatch == 0) {
      cudaStreamSynchronize(stream);
      drained();
    }
  }
  cudaStreamSynchronize(stream);
}

// `events`: also record a completion event after each operation, cycling through a
// batch's worth, as the Communicator's requests do.
void raw(benchmark::State& state, bool split, bool sendrecv, bool events = false) {
  if (probe::visible_cuda_device_count() == 0) return state.SkipWithError("no CUDA device");
  Buffers b;
  ncclComm_t comm = raw_comm(split);
  std::vector<cudaEvent_t> done(kBatch);
  for (cudaEvent_t& e : done) cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
  std::size_t next = 0;
  run_batches(state, b.stream, [&] {
    if (sendrecv) {
      ncclGroupStart();
      ncclSend(b.send, kCount, ncclFloat32, 0, comm, b.stream);
      ncclRecv(b.recv, kCount, ncclFloat32, 0, comm, b.stream);
      ncclGroupEnd();
    } else {
      ncclAllReduce(b.send, b.recv, kCount, ncclFloat32, ncclSum, comm, b.stream);
    }
    if (events) cudaEventRecord(done[next++ % kBatch], b.stream);
  }, [] {});
  for (cudaEvent_t e : done) cudaEventDestroy(e);
  ncclCommDestroy(comm);
}

void cairn(benchmark::State& state, bool sendrecv) {
  if (probe::visible_cuda_device_count() == 0) return state.SkipWithError("no CUDA device");
  Buffers b;
  StoreServer server(0, "bench");
  auto store = connect_store(StoreOptions{"127.0.0.1", server.port(), "bench"});
  auto comm = make_nccl_communicator(*store, 0, 1, 0);
  std::vector<Request> pending;
  pending.reserve(kBatch);
  run_batches(
      state, b.stream,
      [&] {
        if (sendrecv)
          pending.push_back(comm->send_recv(b.send, kCount, 0, b.recv, kCount, 0, DataType::f32, b.stream));
        else
          pending.push_back(comm->all_reduce(b.send, b.recv, kCount, DataType::f32, ReduceOp::sum, b.stream));
      },
      [&] { pending.clear(); });
}

void RawSendRecv(benchmark::State& s) { raw(s, false, true); }
void RawSplitSendRecv(benchmark::State& s) { raw(s, true, true); }
void RawSplitSendRecvEvent(benchmark::State& s) { raw(s, true, true, true); }
void CairnSendRecv(benchmark::State& s) { cairn(s, true); }
void RawAllReduce(benchmark::State& s) { raw(s, false, false); }
void RawSplitAllReduce(benchmark::State& s) { raw(s, true, false); }
void RawSplitAllReduceEvent(benchmark::State& s) { raw(s, true, false, true); }
void CairnAllReduce(benchmark::State& s) { cairn(s, false); }

BENCHMARK(RawSendRecv)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(RawSplitSendRecv)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(RawSplitSendRecvEvent)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(CairnSendRecv)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(RawAllReduce)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(RawSplitAllReduce)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(RawSplitAllReduceEvent)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(CairnAllReduce)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

}  // namespace
}  // namespace cairn::coll

BENCHMARK_MAIN();
