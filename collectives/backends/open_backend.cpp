// open_backend.h: the backend choice, the auto rule and the opening of a communicator.
#include "collectives/backends/open_backend.h"

#include <fmt/format.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "probe/cuda_devices.h"

namespace cairn::coll {

namespace {

#ifdef CAIRN_HAVE_CUDA
constexpr bool kCudaBuild = true;
#else
constexpr bool kCudaBuild = false;
#endif

bool data_on_gpu(DataPlace data, int visible_gpus) {
  return data == DataPlace::gpu || (data == DataPlace::gpu_if_visible && visible_gpus > 0);
}

// The rank's GPU: the one asked for, else the local rank's share of the visible ones.
int choose_device(int requested, int local_rank, int visible_gpus) {
  if (requested < 0) return local_rank % visible_gpus;
  if (requested >= visible_gpus)
    throw Error(fmt::format("--device {}: this process sees {} CUDA GPU{} (0..{}); check CUDA_VISIBLE_DEVICES",
                            requested, visible_gpus, visible_gpus == 1 ? "" : "s", visible_gpus - 1));
  return requested;
}

}  // namespace

BackendChoice parse_backend_choice(const std::string& text) {
  if (text == "ucx") return BackendChoice::ucx;
  if (text == "nccl") return BackendChoice::nccl;
  if (text == "auto") return BackendChoice::automatic;
  throw Error(fmt::format("--backend '{}' is not a backend: use ucx, nccl or auto", text));
}

std::string resolve_backend(BackendChoice choice, DataPlace data, bool cuda_build, int visible_gpus) {
  if (choice == BackendChoice::automatic)
    return cuda_build && data_on_gpu(data, visible_gpus) ? "nccl" : "ucx";
  if (choice == BackendChoice::ucx) return "ucx";
  if (!cuda_build)
    throw Error("--backend nccl: this cairn was built without CUDA (-DCAIRN_CUDA=OFF); use --backend ucx");
  if (data == DataPlace::host)
    throw Error("--backend nccl reduces GPU memory but the data is in host memory: put it on a GPU "
                "(cairn train --device cuda) or use --backend ucx");
  if (visible_gpus == 0)
    throw Error("--backend nccl: this process sees no CUDA GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES); "
                "use --backend ucx for host memory");
  return "nccl";
}

std::string backend_for(const OpenBackendOptions& options) {
  return resolve_backend(options.choice, options.data, kCudaBuild, probe::visible_cuda_device_count());
}

OpenedBackend open_backend(Bootstrap& job, const OpenBackendOptions& options) {
  const int gpus = probe::visible_cuda_device_count();
  OpenedBackend b;
  b.name = resolve_backend(options.choice, options.data, kCudaBuild, gpus);
  // gpu_if_visible data follows the backend: on the GPU for nccl, in host memory for ucx.
  if (gpus > 0 && (b.name == "nccl" || options.data == DataPlace::gpu))
    b.device = choose_device(options.device, job.info.local_rank, gpus);
  const RankInfo& me = job.info;
  if (b.name == "ucx") {
    b.comm = make_ucx_communicator(*job.store, me.rank, me.size, options.key_prefix + "/ucx");
    b.description = "backend ucx";
  } else {
#ifdef CAIRN_HAVE_CUDA
    NcclOptions nccl = options.nccl;
    nccl.store_prefix = options.key_prefix + "/nccl";
    // Also makes the rank's GPU current, so what the caller allocates next lands on it.
    b.comm = make_nccl_communicator(*job.store, me.rank, me.size, b.device, nccl);
    b.description = fmt::format("backend nccl nccl-library={}{}", nccl_library_version(),
                                nccl.blocking_operations ? "" : " nonblocking");
#endif
  }
  b.memory = b.comm->memory();
  if (options.timeout) b.comm->set_timeout(*options.timeout);
  return b;
}

}  // namespace cairn::coll
