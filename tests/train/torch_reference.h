// Cairn's model against the PyTorch reference fixtures of tests/train/reference/
// (made by make_tiny_reference.py, float64 autograd): the script's weight and token
// generator, written again here, and the comparison of a model's loss, logits and
// gradients with a fixture. The script's docstring is the generator's specification.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/json_io.h"
#include "train/config.h"
#include "train/cpu/xielu.h"
#include "train/parameter_layout.h"
#include "train/rng.h"

namespace cairn::train::test {

inline constexpr std::uint64_t kRefSeed = 2026;
inline constexpr std::uint64_t kRefInputStream = std::uint64_t{1} << 32;
inline constexpr std::uint64_t kRefTargetStream = (std::uint64_t{1} << 32) + 1;
inline constexpr std::uint64_t kRefLogitProjection = std::uint64_t{2} << 32;
inline constexpr std::uint64_t kRefGradProjection = std::uint64_t{3} << 32;

// In (-1, 1).
inline double ref_sym(std::uint64_t stream, std::uint64_t i) {
  return 2.0 * uniform01(hash3(kRefSeed, stream, i)) - 1.0;
}

inline bool ref_ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The flat parameter buffer of the script's weights (padding 0).
inline std::vector<double> reference_weights(const ParameterLayout& layout) {
  std::vector<double> p(static_cast<std::size_t>(layout.total_elements()), 0.0);
  const auto& entries = layout.entries();
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    double center = 0, scale = 0;
    if (e.name == "embed.weight") {
      scale = 1;
    } else if (ref_ends_with(e.name, "norm.weight")) {
      center = 1, scale = 0.5;
    } else if (ref_ends_with(e.name, "xielu.a_p")) {
      center = cpu::xielu_initial_a_p(), scale = 0.5;
    } else if (ref_ends_with(e.name, "xielu.a_n")) {
      center = cpu::xielu_initial_a_n(), scale = 0.5;
    } else {
      scale = std::sqrt(3.0 / static_cast<double>(e.shape.at(1)));
    }
    for (std::int64_t i = 0; i < e.numel(); ++i)
      p[static_cast<std::size_t>(e.offset + i)] = center + scale * ref_sym(k, static_cast<std::uint64_t>(i));
  }
  return p;
}

inline std::vector<std::int32_t> reference_tokens(std::uint64_t stream, std::int64_t n, std::int64_t vocab) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    t[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(
        (hash3(kRefSeed, stream, static_cast<std::uint64_t>(i)) >> 11) % static_cast<std::uint64_t>(vocab));
  return t;
}

inline Json load_torch_reference(const std::string& preset_name) {
  const std::string path = std::string(CAIRN_SOURCE_DIR) + "/tests/train/reference/" + preset_name + ".json";
  Json doc = read_json_file(path);
  require_schema(doc, "cairn.torch_reference", 1, path);
  return doc;
}

// The fixture's batch: [batch, seq_len] token ids, targets < 0 ignored.
struct ReferenceBatch {
  std::int64_t batch = 0, seq_len = 0;
  std::vector<std::int32_t> inputs, targets;
};

inline ReferenceBatch reference_batch(const Json& ref) {
  return {ref.at("batch").get<std::int64_t>(), ref.at("seq_len").get<std::int64_t>(),
          ref.at("inputs").get<std::vector<std::int32_t>>(), ref.at("targets").get<std::vector<std::int32_t>>()};
}

// Every comparison is |ours - ref| <= tol * max(|ref|, scale): relative, except where
// the reference value is small against its tensor (a sum or a projection that cancels,
// a sample near zero), where it is relative to the tensor's size, scale:
//   l2 norms, lse, loss: scale 0;   sums, projections: the l2 norm of the row/tensor;
//   samples: the rms of the row/tensor.
struct Tolerances {
  double loss, logits, grads;
};

// Largest tol-normalised error seen in one group; the first few values outside the
// bound fail with their details, finish() counts the rest.
class ErrorTracker {
 public:
  ErrorTracker(double tol, std::string what) : tol_(tol), what_(std::move(what)) {}
  void check(double ours, double ref, double scale, const std::string& where) {
    const double err = std::abs(ours - ref) / std::max(std::abs(ref), scale);
    worst_ = std::max(worst_, std::isnan(err) ? INFINITY : err);
    if (!(err <= tol_) && ++failures_ <= kShown)
      ADD_FAILURE() << what_ << " " << where << ": ours " << ours << ", reference " << ref
                    << " (relative error " << err << " > " << tol_ << ")";
  }
  double finish() const {  // the worst error
    if (failures_ > kShown)
      ADD_FAILURE() << what_ << ": " << failures_ - kShown << " more values outside the bound (worst relative error "
                    << worst_ << ")";
    return worst_;
  }

 private:
  static constexpr int kShown = 5;
  double tol_;
  std::string what_;
  double worst_ = 0;
  int failures_ = 0;
};

struct ReferenceErrors {
  double loss = 0, logits = 0, grads = 0;  // worst relative errors, as ErrorTracker
};

// logits: [rows, vocab] of the forward; grads: the flat gradient (layout's buffer) of
// its backward. Checks the fixture's shapes, then every statistic and sample; prints
// the worst errors with `model` naming what ran.
inline ReferenceErrors compare_with_reference(const Json& ref, const std::string& model,
                                              const ParameterLayout& layout, double loss,
                                              const std::vector<double>& logits,
                                              const std::vector<double>& grads, const Tolerances& tol) {
  ReferenceErrors out;
  ErrorTracker loss_err(tol.loss, "loss");
  loss_err.check(loss, ref.at("loss").get<double>(), 0.0, "");
  out.loss = loss_err.finish();

  const Json& lg = ref.at("logits");
  const std::int64_t rows = lg.at("rows").get<std::int64_t>(), V = lg.at("vocab").get<std::int64_t>();
  EXPECT_EQ(static_cast<std::int64_t>(logits.size()), rows * V);
  if (static_cast<std::int64_t>(logits.size()) != rows * V) return out;
  ErrorTracker logit_err(tol.logits, "logits");
  std::vector<double> row_rms(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* z = logits.data() + r * V;
    double mx = *std::max_element(z, z + V), se = 0, ss = 0, sum = 0, proj = 0;
    for (std::int64_t v = 0; v < V; ++v) {
      se += std::exp(z[v] - mx);
      ss += z[v] * z[v];
      sum += z[v];
      proj += z[v] * ref_sym(kRefLogitProjection, static_cast<std::uint64_t>(r * V + v));
    }
    const auto at = [&](const char* key) { return lg.at(key).at(static_cast<std::size_t>(r)).get<double>(); };
    const std::string row = "row " + std::to_string(r);
    const double l2 = at("l2_norm");
    logit_err.check(mx + std::log(se), at("lse"), 0.0, row + " logsumexp");
    logit_err.check(std::sqrt(ss), l2, 0.0, row + " l2 norm");
    logit_err.check(sum, at("sum"), l2, row + " sum");
    logit_err.check(proj, at("projection"), l2, row + " projection");
    row_rms[static_cast<std::size_t>(r)] = l2 / std::sqrt(static_cast<double>(V));
  }
  const Json& li = lg.at("sample_index");
  for (std::size_t j = 0; j < li.size(); ++j) {
    const auto i = li[j].get<std::int64_t>();
    if (i < 0 || i >= rows * V) {
      ADD_FAILURE() << "logit sample index " << i << " is outside [0, " << rows * V << ")";
      continue;
    }
    logit_err.check(logits[static_cast<std::size_t>(i)], lg.at("sample_value")[j].get<double>(),
                    row_rms[static_cast<std::size_t>(i / V)], "[" + std::to_string(i / V) + ", " + std::to_string(i % V) + "]");
  }
  out.logits = logit_err.finish();

  const Json& gs = ref.at("gradients");
  const auto& entries = layout.entries();
  EXPECT_EQ(gs.size(), entries.size()) << "the fixture's parameter list differs from ParameterLayout";
  ErrorTracker grad_err(tol.grads, "gradient");
  for (std::size_t k = 0; k < std::min(gs.size(), entries.size()); ++k) {
    const auto& e = entries[k];
    const Json& g = gs[k];
    EXPECT_EQ(g.at("name").get<std::string>(), e.name) << "parameter " << k;
    EXPECT_EQ(g.at("shape").get<std::vector<std::int64_t>>(), e.shape) << e.name;
    if (g.at("name").get<std::string>() != e.name || g.at("shape").get<std::vector<std::int64_t>>() != e.shape) continue;
    const double* gr = grads.data() + e.offset;
    double ss = 0, sum = 0, proj = 0;
    for (std::int64_t i = 0; i < e.numel(); ++i) {
      ss += gr[i] * gr[i];
      sum += gr[i];
      proj += gr[i] * ref_sym(kRefGradProjection + k, static_cast<std::uint64_t>(i));
    }
    const double l2 = g.at("l2_norm").get<double>();
    grad_err.check(std::sqrt(ss), l2, 0.0, e.name + " l2 norm");
    grad_err.check(sum, g.at("sum").get<double>(), l2, e.name + " sum");
    grad_err.check(proj, g.at("projection").get<double>(), l2, e.name + " projection");
    const double rms = l2 / std::sqrt(static_cast<double>(e.numel()));
    const Json& gi = g.at("sample_index");
    for (std::size_t j = 0; j < gi.size(); ++j) {
      const auto i = gi[j].get<std::int64_t>();
      if (i < 0 || i >= e.numel()) {
        ADD_FAILURE() << e.name << " sample index " << i << " is outside [0, " << e.numel() << ")";
        continue;
      }
      grad_err.check(gr[i], g.at("sample_value")[j].get<double>(), rms, e.name + "[" + std::to_string(i) + "]");
    }
  }
  out.grads = grad_err.finish();
  std::printf("%s vs torch %s (%s): worst relative error loss %.2e, logits %.2e, gradients %.2e\n",
              ref.at("preset").get<std::string>().c_str(), ref.at("torch_version").get<std::string>().c_str(),
              model.c_str(), out.loss, out.logits, out.grads);
  return out;
}

}  // namespace cairn::train::test
