// Where CpuModel's forward and backward find the weights of each unit (ShardLayout's
// units: the embedding, each decoder layer, the tail) and put its gradients. The plain
// model hands out pointers into one flat buffer (FlatUnitParams); sharded data parallel
// (train/model_cpu_sharded.h) all-gathers a unit into a working buffer when asked for
// it and reduce-scatters its gradient when backward is done with it. Pointers index the
// unit from its first element (ShardUnit::begin in the flat buffer).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::train {

template <typename T>
class UnitParams {
 public:
  virtual ~UnitParams() = default;
  // The unit's weights; valid until the next weights() call.
  virtual const T* weights(std::size_t unit) = 0;
  // Where backward accumulates (+=) the unit's gradient; valid until gradients_done(unit).
  virtual T* gradients(std::size_t unit) = 0;
  // Backward has finished the unit's gradient (units come tail first, embedding last).
  virtual void gradients_done(std::size_t unit) = 0;
};

// The whole model in flat buffers: unit u at begins[u].
template <typename T>
class FlatUnitParams final : public UnitParams<T> {
 public:
  FlatUnitParams(const T* params, T* grads, const std::int64_t* begins)
      : params_(params), grads_(grads), begins_(begins) {}
  const T* weights(std::size_t u) override { return params_ + begins_[u]; }
  T* gradients(std::size_t u) override { return grads_ + begins_[u]; }
  void gradients_done(std::size_t) override {}

 private:
  const T* params_;
  T* grads_;
  const std::int64_t* begins_;
};

}  // namespace cairn::train
