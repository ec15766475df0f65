#include "train/model_cpu_sharded.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/error.h"
#include "train/optim/grad_clip.h"

namespace cairn::train {

// CpuModel's view of the shards: gather a unit on request, reduce-scatter its gradient.
class ShardedCpuModel::Units final : public UnitParams<float> {
 public:
  explicit Units(ShardedCpuModel& m) : m_(m) {}
  const float* weights(std::size_t u) override {
    const ShardUnit& s = m_.shards_.units()[u];
    m_.comm_.all_gather(m_.params_.data() + s.local_begin, m_.work_.data(), static_cast<std::size_t>(s.shard),
                        coll::DataType::f32)
        .wait();
    return m_.work_.data();
  }
  float* gradients(std::size_t u) override {
    const ShardUnit& s = m_.shards_.units()[u];
    std::fill_n(m_.grad_work_.begin(), s.shard * m_.shards_.world(), 0.0f);  // the padding stays 0
    return m_.grad_work_.data();
  }
  void gradients_done(std::size_t u) override {
    const ShardUnit& s = m_.shards_.units()[u];
    m_.comm_.reduce_scatter(m_.grad_work_.data(), m_.grads_.data() + s.local_begin, static_cast<std::size_t>(s.shard),
                            coll::DataType::f32, coll::ReduceOp::avg)
        .wait();
  }

 private:
  ShardedCpuModel& m_;
};

namespace {

std::vector<float> zeros(std::int64_t n) { return std::vector<float>(static_cast<std::size_t>(n), 0.0f); }

}  // namespace

ShardedCpuModel::ShardedCpuModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len,
                                 coll::Communicator& comm)
    : model_(c, batch, seq_len), comm_(comm), shards_(model_.layout(), comm.size()),
      runs_(shards_.local_runs(model_.layout(), comm.rank())), params_(zeros(shards_.local_elements())),
      grads_(zeros(shards_.local_elements())), m_(zeros(shards_.local_elements())),
      v_(zeros(shards_.local_elements())), work_(zeros(shards_.max_unit_elements())),
      grad_work_(zeros(shards_.max_unit_elements())) {
  if (comm.memory() != coll::MemoryKind::host)
    throw Error("train: sharded data parallel runs the CPU model on host ranks; the " + std::string(comm.backend()) +
                " communicator reduces GPU memory (use --backend ucx)");
}

ShardedCpuModel::~ShardedCpuModel() = default;

void ShardedCpuModel::load_state(TrainState s) {
  check_state_fits(s, model_.layout(), model_.config());
  const auto r = comm_.rank();
  shards_.scatter_to_local(s.params.data(), r, params_.data());
  shards_.scatter_to_local(s.m.data(), r, m_.data());
  shards_.scatter_to_local(s.v.data(), r, v_.data());
  full_ = TrainState{};
  full_.step = s.step;
}

void ShardedCpuModel::sync_state() {
  const auto n = static_cast<std::size_t>(model_.layout().total_elements());
  std::vector<float> gathered = zeros(shards_.local_elements() * shards_.world());
  const auto full = [&](const std::vector<float>& local, std::vector<float>& out) {
    comm_.all_gather(local.data(), gathered.data(), local.size(), coll::DataType::f32).wait();
    out.assign(n, 0.0f);
    for (std::int64_t r = 0; r < shards_.world(); ++r)
      shards_.gather_from_local(gathered.data() + r * shards_.local_elements(), r, out.data());
  };
  full(params_, full_.params);
  full(m_, full_.m);
  full(v_, full_.v);
}

void ShardedCpuModel::get_gradients(float*) {
  throw Error("train: a sharded run holds only its shard of the gradients; there are no full gradients to copy");
}

void ShardedCpuModel::set_gradients(const float*) {
  throw Error("train: a sharded run holds only its shard of the gradients; full gradients cannot be set");
}

double ShardedCpuModel::forward_backward(const std::int32_t* inputs, const std::int32_t* targets) {
  Units units(*this);
  const double l = model_.forward(units, inputs, targets);
  model_.backward(units, static_cast<float>(loss_weight_));
  return l;
}

double ShardedCpuModel::loss(const std::int32_t* inputs, const std::int32_t* targets) {
  Units units(*this);
  return model_.forward(units, inputs, targets);
}

double ShardedCpuModel::clip_grad_norm(double max_norm) {
  double ss = global_norm(grads_.data(), static_cast<std::int64_t>(grads_.size()));
  ss *= ss;
  comm_.all_reduce(&ss, &ss, 1, coll::DataType::f64, coll::ReduceOp::sum).wait();
  const double norm = std::sqrt(ss);
  scale_to_norm(grads_.data(), static_cast<std::int64_t>(grads_.size()), norm, max_norm);
  return norm;
}

void ShardedCpuModel::optimizer_step(const AdamWHyper& h) {
  const std::int64_t step = full_.step + 1;
  for (const LocalRun& r : runs_)
    adamw_update(params_.data() + r.local_begin, grads_.data() + r.local_begin, m_.data() + r.local_begin,
                 v_.data() + r.local_begin, r.count, h, step, r.weight_decay ? h.weight_decay : 0.0);
  full_.step = step;
}

ShardedCpuModel::HeldBytes ShardedCpuModel::held_bytes() const {
  const auto bytes = [](const std::vector<float>& b) { return static_cast<std::int64_t>(b.size() * sizeof(float)); };
  return {bytes(params_) + bytes(grads_) + bytes(m_) + bytes(v_), bytes(work_) + bytes(grad_work_)};
}

}  // namespace cairn::train
