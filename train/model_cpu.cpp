#include "train/model_cpu.h"

#include <algorithm>
#include <string>

#include "common/error.h"
#include "train/cpu/cross_entropy.h"
#include "train/cpu/embedding.h"
#include "train/cpu/linear.h"
#include "train/cpu/qk_norm.h"
#include "train/cpu/residual.h"
#include "train/cpu/rmsnorm.h"
#include "train/cpu/swiglu.h"
#include "train/cpu/xielu.h"
#include "train/layer_offsets.h"
#include "train/shard_layout.h"

namespace cairn::train {
namespace {

template <typename T>
std::vector<T> buffer(std::int64_t n) {
  return std::vector<T>(static_cast<std::size_t>(n));
}

// Rows of the fused projection are [q | k | v]; split into three contiguous tensors.
template <typename T>
void split_qkv(const T* qkv, std::int64_t n, std::int64_t qd, std::int64_t kvd, T* q, T* k,
               T* v) {
  const std::int64_t w = qd + 2 * kvd;
  for (std::int64_t i = 0; i < n; ++i) {
    const T* r = qkv + i * w;
    std::copy_n(r, qd, q + i * qd);
    std::copy_n(r + qd, kvd, k + i * kvd);
    std::copy_n(r + qd + kvd, kvd, v + i * kvd);
  }
}

template <typename T>
void merge_qkv(const T* q, const T* k, const T* v, std::int64_t n, std::int64_t qd,
               std::int64_t kvd, T* qkv) {
  const std::int64_t w = qd + 2 * kvd;
  for (std::int64_t i = 0; i < n; ++i) {
    T* r = qkv + i * w;
    std::copy_n(q + i * qd, qd, r);
    std::copy_n(k + i * kvd, kvd, r + qd);
    std::copy_n(v + i * kvd, kvd, r + qd + kvd);
  }
}

// o with every offset relative to its unit's first element.
LayerOffsets relative(LayerOffsets o, std::int64_t begin) {
  for (std::int64_t* f : {&o.attn_norm, &o.qkv, &o.q_norm, &o.k_norm, &o.o, &o.mlp_norm, &o.up, &o.a_p, &o.a_n, &o.down})
    if (*f >= 0) *f -= begin;
  return o;
}

}  // namespace

// Everything backward reads, per layer, plus scratch for the backward pass.
template <typename T>
struct CpuModel<T>::Activations {
  struct Layer {
    std::vector<T> x_in, rstd1, h1;           // stream in, attention pre-norm
    std::vector<T> q_raw, k_raw, qrstd, krstd;  // before QK-norm (when enabled)
    std::vector<T> q, k, v, att, lse;         // attention inputs after RoPE, its output
    std::vector<T> x_mid, rstd2, h2, up, act;  // stream after attention, MLP
  };
  std::vector<Layer> layers;
  std::vector<T> x_final, rstdf, hf, logits, lse_ce;
  std::vector<std::int32_t> inputs, targets;
  // Backward scratch.
  std::vector<T> dx, dtmp, dh, dqkv, dq, dk, dv, dact, dup;
  std::vector<LayerOffsets> offsets;  // relative to each layer's unit
  bool have_forward = false;
};

template <typename T>
CpuModel<T>::CpuModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len)
    : config_(c), layout_(c), batch_(batch), seq_len_(seq_len),
      rope_(cpu::make_rope_table<T>(seq_len > 0 ? seq_len : 1, c.head_dim(), c.rope_theta)),
      act_(std::make_unique<Activations>()) {
  if (batch <= 0 || seq_len <= 0 || seq_len > c.context)
    throw Error("model \"" + c.name + "\": batch " + std::to_string(batch) + " x seq_len " +
                std::to_string(seq_len) + " is invalid (need batch >= 1 and 1 <= seq_len <= context " +
                std::to_string(c.context) + ")");
  const std::int64_t N = batch * seq_len, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd;
  const ShardLayout whole(layout_, 1);
  for (const auto& u : whole.units()) unit_begins_.push_back(u.begin);
  if (static_cast<std::int64_t>(unit_begins_.size()) != c.n_layers + 2)
    throw Error("model \"" + c.name + "\": its parameters do not split into embedding, " +
                std::to_string(c.n_layers) + " layers and tail");
  head_ = layout_.offset("head.weight") - unit_begins_.back();
  final_norm_ = layout_.offset("final_norm.weight") - unit_begins_.back();
  auto& a = *act_;
  a.layers.resize(static_cast<std::size_t>(c.n_layers));
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    auto& L = a.layers[static_cast<std::size_t>(l)];
    L.x_in = buffer<T>(N * d);
    L.rstd1 = buffer<T>(N);
    L.h1 = buffer<T>(N * d);
    if (c.qk_norm) {
      L.q_raw = buffer<T>(N * qd);
      L.k_raw = buffer<T>(N * kvd);
      L.qrstd = buffer<T>(N * c.n_heads);
      L.krstd = buffer<T>(N * c.n_kv_heads);
    }
    L.q = buffer<T>(N * qd);
    L.k = buffer<T>(N * kvd);
    L.v = buffer<T>(N * kvd);
    L.att = buffer<T>(N * qd);
    L.lse = buffer<T>(batch * c.n_heads * seq_len);
    L.x_mid = buffer<T>(N * d);
    L.rstd2 = buffer<T>(N);
    L.h2 = buffer<T>(N * d);
    L.up = buffer<T>(N * c.up_dim());
    L.act = buffer<T>(N * c.ffn_dim);
    a.offsets.push_back(relative(layer_offsets(layout_, c, l), unit_begins_[static_cast<std::size_t>(l) + 1]));
  }
  a.x_final = buffer<T>(N * d);
  a.rstdf = buffer<T>(N);
  a.hf = buffer<T>(N * d);
  a.logits = buffer<T>(N * c.vocab);
  a.lse_ce = buffer<T>(N);
  a.dx = buffer<T>(N * d);
  a.dtmp = buffer<T>(N * d);
  a.dh = buffer<T>(N * d);
  a.dqkv = buffer<T>(N * c.qkv_dim());
  a.dq = buffer<T>(N * qd);
  a.dk = buffer<T>(N * kvd);
  a.dv = buffer<T>(N * kvd);
  a.dact = buffer<T>(N * c.ffn_dim);
  a.dup = buffer<T>(N * c.up_dim());
}

template <typename T>
CpuModel<T>::~CpuModel() = default;

template <typename T>
const T* CpuModel<T>::logits() const {
  return act_->logits.data();
}

template <typename T>
T CpuModel<T>::forward(const T* params, const std::int32_t* inputs, const std::int32_t* targets) {
  FlatUnitParams<T> units(params, nullptr, unit_begins_.data());
  return forward(units, inputs, targets);
}

template <typename T>
void CpuModel<T>::backward(const T* params, T* grads) {
  FlatUnitParams<T> units(params, grads, unit_begins_.data());
  backward(units);
}

template <typename T>
T CpuModel<T>::forward(UnitParams<T>& units, const std::int32_t* inputs, const std::int32_t* targets) {
  const auto& c = config_;
  auto& a = *act_;
  const std::int64_t N = batch_ * seq_len_, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd, F = c.ffn_dim;
  const T eps = static_cast<T>(c.norm_eps);
  const cpu::AttentionShape shape{batch_, seq_len_, c.n_heads, c.n_kv_heads, hd};
  a.inputs.assign(inputs, inputs + N);
  a.targets.assign(targets, targets + N);

  std::vector<T>& qkv = a.dqkv;  // forward borrows the backward scratch
  cpu::embedding_forward(inputs, N, units.weights(0) + (layout_.offset("embed.weight") - unit_begins_[0]), c.vocab, d,
                         a.layers.empty() ? a.x_final.data() : a.layers[0].x_in.data());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    auto& L = a.layers[l];
    const auto& o = a.offsets[l];
    const T* P = units.weights(l + 1);
    // Attention block.
    cpu::rmsnorm_forward(L.x_in.data(), P + o.attn_norm, N, d, eps, L.h1.data(), L.rstd1.data());
    cpu::linear_forward(L.h1.data(), P + o.qkv, N, d, c.qkv_dim(), qkv.data());
    if (c.qk_norm) {
      split_qkv(qkv.data(), N, qd, kvd, L.q_raw.data(), L.k_raw.data(), L.v.data());
      cpu::qk_norm_forward(L.q_raw.data(), P + o.q_norm, N, c.n_heads, hd, eps, L.q.data(), L.qrstd.data());
      cpu::qk_norm_forward(L.k_raw.data(), P + o.k_norm, N, c.n_kv_heads, hd, eps, L.k.data(), L.krstd.data());
    } else {
      split_qkv(qkv.data(), N, qd, kvd, L.q.data(), L.k.data(), L.v.data());
    }
    cpu::rope_forward(L.q.data(), N, c.n_heads, rope_, L.q.data());
    cpu::rope_forward(L.k.data(), N, c.n_kv_heads, rope_, L.k.data());
    cpu::attention_forward(L.q.data(), L.k.data(), L.v.data(), shape, L.att.data(), L.lse.data());
    cpu::linear_forward(L.att.data(), P + o.o, N, qd, d, a.dtmp.data());
    cpu::residual_add_forward(L.x_in.data(), a.dtmp.data(), N * d, L.x_mid.data());
    // MLP block.
    cpu::rmsnorm_forward(L.x_mid.data(), P + o.mlp_norm, N, d, eps, L.h2.data(), L.rstd2.data());
    cpu::linear_forward(L.h2.data(), P + o.up, N, d, c.up_dim(), L.up.data());
    if (c.mlp == MlpKind::swiglu)
      cpu::swiglu_forward(L.up.data(), N, F, L.act.data());
    else
      cpu::xielu_forward(L.up.data(), N * F, P[o.a_p], P[o.a_n], L.act.data());
    cpu::linear_forward(L.act.data(), P + o.down, N, F, d, a.dtmp.data());
    T* next = l + 1 < a.layers.size() ? a.layers[l + 1].x_in.data() : a.x_final.data();
    cpu::residual_add_forward(L.x_mid.data(), a.dtmp.data(), N * d, next);
  }
  const T* tail = units.weights(unit_begins_.size() - 1);
  cpu::rmsnorm_forward(a.x_final.data(), tail + final_norm_, N, d, eps, a.hf.data(), a.rstdf.data());
  cpu::linear_forward(a.hf.data(), tail + head_, N, d, c.vocab, a.logits.data());
  a.have_forward = true;
  return cpu::cross_entropy_forward(a.logits.data(), targets, N, c.vocab, a.lse_ce.data());
}

template <typename T>
void CpuModel<T>::backward(UnitParams<T>& units, T loss_scale) {
  auto& a = *act_;
  if (!a.have_forward)
    throw Error("model \"" + config_.name + "\": backward() needs a forward() first (once per forward)");
  a.have_forward = false;  // the logits are overwritten below
  const auto& c = config_;
  const std::int64_t N = batch_ * seq_len_, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd, F = c.ffn_dim;
  const cpu::AttentionShape shape{batch_, seq_len_, c.n_heads, c.n_kv_heads, hd};

  // Loss and head. dlogits overwrite the logits.
  T* dlogits = a.logits.data();
  cpu::cross_entropy_backward(a.logits.data(), a.targets.data(), a.lse_ce.data(), N, c.vocab, loss_scale, dlogits);
  const std::size_t tail = unit_begins_.size() - 1;
  {
    const T* P = units.weights(tail);
    T* G = units.gradients(tail);
    cpu::linear_backward(dlogits, a.hf.data(), P + head_, N, d, c.vocab, a.dh.data(), G + head_);
    cpu::rmsnorm_backward(a.dh.data(), a.x_final.data(), P + final_norm_, a.rstdf.data(), N, d, a.dx.data(),
                          G + final_norm_);
    units.gradients_done(tail);
  }

  for (std::size_t li = a.layers.size(); li-- > 0;) {
    auto& L = a.layers[li];
    const auto& o = a.offsets[li];
    const T* P = units.weights(li + 1);
    T* G = units.gradients(li + 1);
    // MLP block: x_out = x_mid + down(act(up(rmsnorm(x_mid)))).
    cpu::linear_backward(a.dx.data(), L.act.data(), P + o.down, N, F, d, a.dact.data(), G + o.down);
    if (c.mlp == MlpKind::swiglu)
      cpu::swiglu_backward(a.dact.data(), L.up.data(), N, F, a.dup.data());
    else
      cpu::xielu_backward(a.dact.data(), L.up.data(), N * F, P[o.a_p], P[o.a_n], a.dup.data(),
                          G + o.a_p, G + o.a_n);
    cpu::linear_backward(a.dup.data(), L.h2.data(), P + o.up, N, d, c.up_dim(), a.dh.data(), G + o.up);
    cpu::rmsnorm_backward(a.dh.data(), L.x_mid.data(), P + o.mlp_norm, L.rstd2.data(), N, d,
                          a.dtmp.data(), G + o.mlp_norm);
    cpu::residual_add_backward(a.dtmp.data(), N * d, a.dx.data());
    // Attention block: x_mid = x_in + o(attention(rope(qk_norm(split(qkv(rmsnorm(x_in))))))).
    cpu::linear_backward(a.dx.data(), L.att.data(), P + o.o, N, qd, d, a.dh.data(), G + o.o);
    cpu::attention_backward(a.dh.data(), L.q.data(), L.k.data(), L.v.data(), L.att.data(),
                            L.lse.data(), shape, a.dq.data(), a.dk.data(), a.dv.data());
    cpu::rope_backward(a.dq.data(), N, c.n_heads, rope_, a.dq.data());
    cpu::rope_backward(a.dk.data(), N, c.n_kv_heads, rope_, a.dk.data());
    if (c.qk_norm) {
      cpu::qk_norm_backward(a.dq.data(), L.q_raw.data(), P + o.q_norm, L.qrstd.data(), N,
                            c.n_heads, hd, a.dq.data(), G + o.q_norm);
      cpu::qk_norm_backward(a.dk.data(), L.k_raw.data(), P + o.k_norm, L.krstd.data(), N,
                            c.n_kv_heads, hd, a.dk.data(), G + o.k_norm);
    }
    merge_qkv(a.dq.data(), a.dk.data(), a.dv.data(), N, qd, kvd, a.dqkv.data());
    cpu::linear_backward(a.dqkv.data(), L.h1.data(), P + o.qkv, N, d, c.qkv_dim(), a.dh.data(), G + o.qkv);
    cpu::rmsnorm_backward(a.dh.data(), L.x_in.data(), P + o.attn_norm, L.rstd1.data(), N, d,
                          a.dtmp.data(), G + o.attn_norm);
    cpu::residual_add_backward(a.dtmp.data(), N * d, a.dx.data());
    units.gradients_done(li + 1);
  }
  const std::int64_t emb = layout_.offset("embed.weight") - unit_begins_[0];
  cpu::embedding_backward(a.inputs.data(), N, a.dx.data(), c.vocab, d, units.gradients(0) + emb);
  units.gradients_done(0);
}

template class CpuModel<float>;
template class CpuModel<double>;

}  // namespace cairn::train
