// Where every parameter lives in one flat buffer: the layout the CPU model, the CUDA
// model, the optimizer state, data-parallel gradient buckets and checkpoints share.
// Tensors are stored back to back in forward order (embedding, layers 0..L-1, final
// norm, head), each row-major, each starting at a multiple of kParameterAlignment
// elements (so a GPU view of any tensor is 256-byte aligned in f32 and bf16).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/config.h"

namespace cairn::train {

inline constexpr std::int64_t kParameterAlignment = 64;  // elements

struct ParameterInfo {
  std::string name;                 // e.g. "layers.3.attn.qkv.weight"
  std::int64_t offset = 0;          // in elements
  std::vector<std::int64_t> shape;  // row-major
  bool weight_decay = true;         // matrices decay; norm gains and xIELU scalars do not
  std::int64_t numel() const;
};

class ParameterLayout {
 public:
  explicit ParameterLayout(const ModelConfig& c);

  const std::vector<ParameterInfo>& entries() const { return entries_; }
  // Total elements including alignment padding (the size of a flat buffer).
  std::int64_t total_elements() const { return total_; }
  // Sum of numel() (the parameter count; padding excluded).
  std::int64_t parameter_count() const;
  const ParameterInfo& at(const std::string& name) const;  // cairn::Error if unknown
  std::int64_t offset(const std::string& name) const { return at(name).offset; }

  Json to_json() const;  // {"schema": "cairn.parameter_layout", ...}

 private:
  void add(std::string name, std::vector<std::int64_t> shape, bool weight_decay);
  std::vector<ParameterInfo> entries_;
  std::int64_t total_ = 0;
};

// Names used by the model, so CPU, CUDA and checkpoint code spell them the same way.
std::string layer_param(std::int64_t layer, const char* suffix);

}  // namespace cairn::train
