#include "train/data_parallel.h"

#include <algorithm>

#include "common/error.h"

#if CAIRN_HAVE_CUDA
#include "train/cuda/device_buffer.h"
#endif

namespace cairn::train {

std::int64_t counted_targets(const std::int32_t* targets, std::int64_t n) {
  return std::count_if(targets, targets + n, [](std::int32_t t) { return t >= 0; });
}

#if CAIRN_HAVE_CUDA
struct DataParallel::DeviceScratch {
  cuda::DeviceBuffer<double> sums{2};
};
#else
struct DataParallel::DeviceScratch {};
#endif

DataParallel::DataParallel(coll::Communicator& comm) : comm_(comm) {
  if (comm_.memory() == coll::MemoryKind::device) {
#if CAIRN_HAVE_CUDA
    scratch_ = std::make_unique<DeviceScratch>();
#else
    throw Error("train: the " + std::string(comm_.backend()) +
                " communicator reduces GPU memory, but this cairn was built without CUDA; use --backend ucx");
#endif
  }
}

DataParallel::~DataParallel() = default;

DataParallel::GlobalLoss DataParallel::reduce_loss(double local_mean, std::int64_t counted, coll::Stream stream) {
  // Sums of L_r N_r and N_r, in double: exact counts, and the loss to ~1e-16.
  double sums[2] = {local_mean * static_cast<double>(counted), static_cast<double>(counted)};
  if (scratch_) {
#if CAIRN_HAVE_CUDA
    scratch_->sums.upload(sums, 2);
    comm_.all_reduce(scratch_->sums.get(), scratch_->sums.get(), 2, coll::DataType::f64, coll::ReduceOp::sum, stream)
        .wait();
    scratch_->sums.download(sums, 2);
#endif
  } else {
    comm_.all_reduce(sums, sums, 2, coll::DataType::f64, coll::ReduceOp::sum, stream).wait();
  }
  GlobalLoss g;
  g.counted = static_cast<std::int64_t>(sums[1]);
  if (g.counted > 0) {
    g.mean = sums[0] / sums[1];
    g.weight = static_cast<double>(world()) * static_cast<double>(counted) / sums[1];
  }
  return g;
}

namespace {

void scale(float* grads, std::size_t count, double weight) {
  if (weight == 1.0) return;  // the usual case: every rank counted the same targets
  const auto w = static_cast<float>(weight);
  for (std::size_t i = 0; i < count; ++i) grads[i] *= w;
}

}  // namespace

// One all-reduce over the whole flat buffer, after backward: enough for the reference
// model. Buckets go here: all-reduce groups of layers as backward finishes them (last
// layer first), so communication overlaps the rest of backward.
void DataParallel::average_gradients(float* grads, std::size_t count, double weight) {
  if (scratch_) throw Error("train: host gradients cannot be reduced by the device communicator; use --device cuda");
  scale(grads, count, weight);
  comm_.all_reduce(grads, grads, count, coll::DataType::f32, coll::ReduceOp::avg).wait();
}

void DataParallel::average_gradients(Model& model, double weight, std::vector<float>& host) {
  const auto count = static_cast<std::size_t>(model.layout().total_elements());
  if (!model.gradients_on_device()) {
    average_gradients(model.gradients(), count, weight);
    return;
  }
  if (!scratch_) {  // host communicator: through host memory (one copy each way per step)
    host.resize(count);
    model.get_gradients(host.data());
    average_gradients(host.data(), count, weight);
    model.set_gradients(host.data());
    return;
  }
  if (weight != 1.0) {
    // Ranks counted different targets: scale through the host (a device scale kernel
    // would spare the copies; no masking loss takes this path yet).
    host.resize(count);
    model.get_gradients(host.data());
    scale(host.data(), count, weight);
    model.set_gradients(host.data());
  }
  float* g = model.gradients();
  comm_.all_reduce(g, g, count, coll::DataType::f32, coll::ReduceOp::avg, model.stream()).wait();
}

}  // namespace cairn::train
