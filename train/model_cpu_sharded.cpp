#include "train/model_cpu_sharded.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/error.h"
#include "train/optim/grad_clip.h"

namespace cairn::train {

// CpuModel's view of the shards: gather a unit on request, reduce-scatter its gradient.
// Two weight buffers: while the model computes with unit u in one, the gather of the
// unit it asks for next (u+1 in forward, u-1 in backward) fills the other. Every rank
// asks in the same order, so the collectives queue in the same order everywhere. The
// tail, forward's last unit and backward's first, is used again without a gather.
class ShardedCpuModel::Units final : public UnitParams<float> {
 public:
  explicit Units(ShardedCpuModel& m) : m_(m) {}
  ~Units() override {
    if (pending_ < 0) return;
    try {
      request_.wait();
    } catch (...) {  // the error, if any, is the one already on its way out
    }
  }
  Units(const Units&) = delete;
  Units& operator=(const Units&) = delete;

  // Backward asks for the units tail first from here on.
  void start_backward() { backward_ = true; }

  const float* weights(std::size_t u) override {
    const auto unit = static_cast<std::int64_t>(u);
    if (unit != held_) {
      if (pending_ == unit) {
        request_.wait();
        pending_ = -1;
      } else {
        if (pending_ >= 0) request_.wait();  // a prefetch the model did not ask for
        pending_ = -1;
        gather(unit, 1 - current_).wait();
      }
      current_ = 1 - current_;
      held_ = unit;
    }
    const std::int64_t next = backward_ ? unit - 1 : unit + 1;
    const auto last = static_cast<std::int64_t>(m_.shards_.units().size()) - 1;
    // Backward never asks for the embedding's weights (unit 0).
    if (next >= (backward_ ? 1 : 0) && next <= last && pending_ < 0) {
      request_ = gather(next, 1 - current_);
      pending_ = next;
    }
    return m_.work_[current_].data();
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
  coll::Request gather(std::int64_t unit, int buffer) {
    const ShardUnit& s = m_.shards_.units()[static_cast<std::size_t>(unit)];
    return m_.comm_.all_gather(m_.params_.data() + s.local_begin, m_.work_[buffer].data(),
                               static_cast<std::size_t>(s.shard), coll::DataType::f32);
  }

  ShardedCpuModel& m_;
  bool backward_ = false;
  int current_ = 0;            // the buffer the model reads
  std::int64_t held_ = -1;     // the unit in it
  std::int64_t pending_ = -1;  // the unit being gathered into the other one
  coll::Request request_;
};

namespace {

std::vector<float> zeros(std::int64_t n) { return std::vector<float>(static_cast<std::size_t>(n), 0.0f); }

}  // namespace

ShardedCpuModel::ShardedCpuModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len,
                                 coll::Communicator& comm)
    : model_(c, batch, seq_len), comm_(comm), shards_(model_.layout(), comm.size()),
      runs_(shards_.local_runs(model_.layout(), comm.rank())), params_(zeros(shards_.local_elements())),
      grads_(zeros(shards_.local_elements())), m_(zeros(shards_.local_elements())),
      v_(zeros(shards_.local_elements())),
      work_{zeros(shards_.max_unit_elements()), zeros(shards_.max_unit_elements())}, grad_work_(zeros(shards_.max_unit_elements())) {
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

void ShardedCpuModel::drop_full_state() {
  full_.params = {};
  full_.m = {};
  full_.v = {};
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
  units.start_backward();
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
  return {bytes(params_) + bytes(grads_) + bytes(m_) + bytes(v_), bytes(work_[0]) + bytes(work_[1]) + bytes(grad_work_)};
}

}  // namespace cairn::train
