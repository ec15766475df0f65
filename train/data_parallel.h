// Data parallelism for the trainer: every rank holds the same weights, trains on its own
// rows of the global batch (SamplerConfig rank/world), and after backward the ranks
// combine their gradients so that each holds the gradient of the one global mean loss.
// With N_r the targets rank r counted (ignored targets left out) and N = sum_r N_r,
//   L = sum_r (N_r / N) L_r        g = sum_r (N_r / N) g_r
// where L_r and g_r are rank r's mean loss and its gradient. The gradients are reduced as
// g = avg_r (w_r g_r) with w_r = R N_r / N, so w_r = 1 (nothing to scale) whenever every
// rank counts the same targets: then R ranks of batch B compute what one rank of batch
// R*B does, up to the order of the float sums.
//
// Host communicators (UCX) reduce host buffers; device communicators (NCCL) reduce the
// model's GPU gradients in place on its stream. A host communicator meeting GPU
// gradients copies them through the host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "collectives/backends/communicator.h"
#include "train/model.h"

namespace cairn::train {

// Targets that count in the loss (>= 0) among n.
std::int64_t counted_targets(const std::int32_t* targets, std::int64_t n);

class DataParallel {
 public:
  // comm must outlive this object.
  explicit DataParallel(coll::Communicator& comm);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return comm_.rank(); }
  int world() const { return comm_.size(); }

  struct GlobalLoss {
    double mean = 0;           // L over every rank's counted targets
    std::int64_t counted = 0;  // N
    double weight = 0;         // this rank's w_r = R N_r / N (0 when N is 0)
  };
  // Collective. local_mean is L_r over `counted` targets. `stream` (a cudaStream_t)
  // orders the exchange after the model's work on a device communicator.
  GlobalLoss reduce_loss(double local_mean, std::int64_t counted, coll::Stream stream = nullptr);

  // Collective. Host gradients: grads *= weight, then averaged over the ranks in place.
  void average_gradients(float* grads, std::size_t count, double weight);
  // Collective. The model's gradients where they live: host gradients in place; GPU
  // gradients in place on the device with a device communicator, through `host`
  // (resized to fit) with a host communicator.
  void average_gradients(Model& model, double weight, std::vector<float>& host);

 private:
  coll::Communicator& comm_;
  struct DeviceScratch;                    // two doubles on the GPU (device communicators)
  std::unique_ptr<DeviceScratch> scratch_;
};

}  // namespace cairn::train
