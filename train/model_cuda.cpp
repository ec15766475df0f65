#include "train/model_cuda.h"

#include <limits>
#include <string>
#include <utility>

#include "common/error.h"
#include "train/cpu/cross_entropy.h"
#include "train/cuda/adamw.h"
#include "train/cuda/attention.h"
#include "train/cuda/check.h"
#include "train/cuda/convert.h"
#include "train/cuda/cross_entropy.h"
#include "train/cuda/grad_clip.h"
#include "train/cuda/linear.h"
#include "train/cuda/qk_norm.h"
#include "train/cuda/residual.h"
#include "train/cuda/rmsnorm.h"
#include "train/cuda/swiglu.h"
#include "train/cuda/xielu.h"
#include "train/layer_offsets.h"

namespace cairn::train {

using cuda::bf16;
using cuda::DeviceBuffer;
using cuda::OutType;

namespace {

ModelConfig checked(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len) {
  validate(c, "model config \"" + c.name + "\"");
  if (batch <= 0 || seq_len <= 0 || seq_len > c.context)
    throw Error("model \"" + c.name + "\": batch " + std::to_string(batch) + " x seq_len " +
                std::to_string(seq_len) + " is invalid (need batch >= 1 and 1 <= seq_len <= context " +
                std::to_string(c.context) + ")");
  if (batch * seq_len > std::numeric_limits<std::int32_t>::max())
    throw Error("model \"" + c.name + "\": " + std::to_string(batch * seq_len) +
                " tokens per step exceed the 2^31 rows the embedding index holds");
  return c;
}

}  // namespace

// What backward reads, per layer. bf16 unless named f32.
struct CudaModel::Layer {
  LayerOffsets at;
  DeviceBuffer<float> x_in, rstd1;        // f32: the stream entering the layer
  DeviceBuffer<bf16> h1;
  DeviceBuffer<bf16> q_raw, k_raw;        // before QK-norm (when enabled)
  DeviceBuffer<float> q_rstd, k_rstd;
  DeviceBuffer<bf16> q, k, v, att;        // attention inputs after RoPE, its output
  DeviceBuffer<float> lse;
  DeviceBuffer<float> x_mid, rstd2;       // f32: the stream after attention
  DeviceBuffer<bf16> h2, up, act;
};

CudaModel::CudaModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len)
    : config_(checked(c, batch, seq_len)),
      layout_(config_),
      batch_(batch),
      seq_len_(seq_len),
      tokens_(batch * seq_len),
      shape_{batch, seq_len, c.n_heads, c.n_kv_heads, c.head_dim()},
      rope_(cuda::upload_rope_table(cpu::make_rope_table<float>(seq_len, c.head_dim(), c.rope_theta))),
      token_rows_(batch * seq_len) {
  const std::int64_t N = tokens_, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd, P = layout_.total_elements();
  cuda::keep_scratch_pool_cached();
  params_ = DeviceBuffer<float>(P);
  grads_ = DeviceBuffer<float>(P);
  m_ = DeviceBuffer<float>(P);
  v_ = DeviceBuffer<float>(P);
  params_bf16_ = DeviceBuffer<bf16>(P);
  for (auto* b : {&params_, &grads_, &m_, &v_}) b->fill_bytes(0);
  params_bf16_.fill_bytes(0);
  inputs_ = DeviceBuffer<std::int32_t>(N);
  targets_ = DeviceBuffer<std::int32_t>(N);
  layers_.resize(static_cast<std::size_t>(c.n_layers));
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    Layer& L = layers_[static_cast<std::size_t>(l)];
    L.at = layer_offsets(layout_, c, l);
    L.x_in = DeviceBuffer<float>(N * d);
    L.rstd1 = DeviceBuffer<float>(N);
    L.h1 = DeviceBuffer<bf16>(N * d);
    if (c.qk_norm) {
      L.q_raw = DeviceBuffer<bf16>(N * qd);
      L.k_raw = DeviceBuffer<bf16>(N * kvd);
      L.q_rstd = DeviceBuffer<float>(N * c.n_heads);
      L.k_rstd = DeviceBuffer<float>(N * c.n_kv_heads);
    }
    L.q = DeviceBuffer<bf16>(N * qd);
    L.k = DeviceBuffer<bf16>(N * kvd);
    L.v = DeviceBuffer<bf16>(N * kvd);
    L.att = DeviceBuffer<bf16>(N * qd);
    L.lse = DeviceBuffer<float>(batch * c.n_heads * seq_len);
    L.x_mid = DeviceBuffer<float>(N * d);
    L.rstd2 = DeviceBuffer<float>(N);
    L.h2 = DeviceBuffer<bf16>(N * d);
    L.up = DeviceBuffer<bf16>(N * c.up_dim());
    L.act = DeviceBuffer<bf16>(N * c.ffn_dim);
  }
  x_final_ = DeviceBuffer<float>(N * d);
  rstd_final_ = DeviceBuffer<float>(N);
  h_final_ = DeviceBuffer<bf16>(N * d);
  logits_ = DeviceBuffer<bf16>(N * c.vocab);
  lse_ce_ = DeviceBuffer<float>(N);
  row_loss_ = DeviceBuffer<float>(N);
  loss_ = DeviceBuffer<float>(1);
  qkv_ = DeviceBuffer<bf16>(N * c.qkv_dim());
  branch_ = DeviceBuffer<float>(N * d);
  dx_ = DeviceBuffer<float>(N * d);
  dtmp_ = DeviceBuffer<float>(N * d);
  dy16_ = DeviceBuffer<bf16>(N * d);
  dh_ = DeviceBuffer<bf16>(N * d);
  dact_ = DeviceBuffer<bf16>(N * c.ffn_dim);
  dup_ = DeviceBuffer<bf16>(N * c.up_dim());
  dq_ = DeviceBuffer<bf16>(N * qd);
  dk_ = DeviceBuffer<bf16>(N * kvd);
  dv_ = DeviceBuffer<bf16>(N * kvd);
}

CudaModel::~CudaModel() {
  (void)cudaStreamSynchronize(stream_.get());  // the buffers are freed next; let queued work finish
}

void CudaModel::set_parameters(const float* params) {
  params_.upload(params, layout_.total_elements());
  cuda::convert_to_bf16(params_.get(), params_.size(), params_bf16_.get(), stream_.get());
}

void CudaModel::get_parameters(float* params) {
  stream_.synchronize();
  params_.download(params, layout_.total_elements());
}

void CudaModel::set_optimizer_state(const float* m, const float* v) {
  m_.upload(m, layout_.total_elements());
  v_.upload(v, layout_.total_elements());
}

void CudaModel::get_optimizer_state(float* m, float* v) {
  stream_.synchronize();
  m_.download(m, layout_.total_elements());
  v_.download(v, layout_.total_elements());
}

void CudaModel::load_state(TrainState s) {
  check_state_fits(s, layout_, config_);
  host_ = std::move(s);
  set_parameters(host_.params.data());
  set_optimizer_state(host_.m.data(), host_.v.data());
}

void CudaModel::sync_state() {
  get_parameters(host_.params.data());
  get_optimizer_state(host_.m.data(), host_.v.data());
}

Model::DeviceState CudaModel::device_state() {
  stream_.synchronize();
  return {params_.get(), m_.get(), v_.get()};
}

void CudaModel::set_gradients(const float* grads) { grads_.upload(grads, layout_.total_elements()); }

void CudaModel::get_gradients(float* grads) {
  stream_.synchronize();
  grads_.download(grads, layout_.total_elements());
}

void CudaModel::zero_gradients() {
  CAIRN_CUDA_CHECK(cudaMemsetAsync(grads_.get(), 0, grads_.bytes(), stream_.get()));
}

std::vector<float> CudaModel::logits() {
  if (!have_forward_)
    throw Error("model \"" + config_.name + "\": logits() needs a forward() (backward overwrites them)");
  stream_.synchronize();
  return cuda::to_float(logits_.to_host());
}

float CudaModel::forward(const std::int32_t* inputs, const std::int32_t* targets) {
  const auto& c = config_;
  const std::int64_t N = tokens_, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd, F = c.ffn_dim;
  const float eps = static_cast<float>(c.norm_eps);
  cudaStream_t s = stream_.get();
  // Host-side checks first (ids in range), then the ids go up.
  counted_ = cpu::count_targets(targets, N, c.vocab);
  token_rows_.build(inputs, N, c.vocab);
  inputs_.upload(inputs, N);
  targets_.upload(targets, N);

  const float* P = params_.get();
  const bf16* W = params_bf16_.get();
  cuda::embedding_forward(inputs_.get(), N, P + layout_.offset("embed.weight"), d,
                          layers_.empty() ? x_final_.get() : layers_[0].x_in.get(), s);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& L = layers_[l];
    const LayerOffsets& o = L.at;
    // Attention block.
    cuda::rmsnorm_forward<float>(L.x_in.get(), P + o.attn_norm, N, d, eps, L.h1.get(), L.rstd1.get(), s);
    cuda::linear_forward(blas_, L.h1.get(), W + o.qkv, N, d, c.qkv_dim(), qkv_.get(), OutType::bfloat16, s);
    if (c.qk_norm) {
      cuda::split_qkv(qkv_.get(), N, qd, kvd, L.q_raw.get(), L.k_raw.get(), L.v.get(), s);
      cuda::qk_norm_forward(L.q_raw.get(), P + o.q_norm, N, c.n_heads, hd, eps, L.q.get(), L.q_rstd.get(), s);
      cuda::qk_norm_forward(L.k_raw.get(), P + o.k_norm, N, c.n_kv_heads, hd, eps, L.k.get(), L.k_rstd.get(), s);
    } else {
      cuda::split_qkv(qkv_.get(), N, qd, kvd, L.q.get(), L.k.get(), L.v.get(), s);
    }
    cuda::rope_forward(L.q.get(), N, c.n_heads, rope_, L.q.get(), s);
    cuda::rope_forward(L.k.get(), N, c.n_kv_heads, rope_, L.k.get(), s);
    cuda::attention_forward(L.q.get(), L.k.get(), L.v.get(), shape_, L.att.get(), L.lse.get(), s);
    cuda::linear_forward(blas_, L.att.get(), W + o.o, N, qd, d, branch_.get(), OutType::float32, s);
    cuda::residual_add_forward(L.x_in.get(), branch_.get(), N * d, L.x_mid.get(), s);
    // MLP block.
    cuda::rmsnorm_forward<float>(L.x_mid.get(), P + o.mlp_norm, N, d, eps, L.h2.get(), L.rstd2.get(), s);
    cuda::linear_forward(blas_, L.h2.get(), W + o.up, N, d, c.up_dim(), L.up.get(), OutType::bfloat16, s);
    if (c.mlp == MlpKind::swiglu)
      cuda::swiglu_forward(L.up.get(), N, F, L.act.get(), s);
    else
      cuda::xielu_forward(L.up.get(), N * F, P + o.a_p, P + o.a_n, L.act.get(), s);
    cuda::linear_forward(blas_, L.act.get(), W + o.down, N, F, d, branch_.get(), OutType::float32, s);
    float* next = l + 1 < layers_.size() ? layers_[l + 1].x_in.get() : x_final_.get();
    cuda::residual_add_forward(L.x_mid.get(), branch_.get(), N * d, next, s);
  }
  cuda::rmsnorm_forward<float>(x_final_.get(), P + layout_.offset("final_norm.weight"), N, d, eps,
                               h_final_.get(), rstd_final_.get(), s);
  cuda::linear_forward(blas_, h_final_.get(), W + layout_.offset("head.weight"), N, d, c.vocab,
                       logits_.get(), OutType::bfloat16, s);
  cuda::cross_entropy_forward(logits_.get(), targets_.get(), N, c.vocab, counted_, lse_ce_.get(),
                              row_loss_.get(), loss_.get(), s);
  have_forward_ = true;
  float loss = 0;
  CAIRN_CUDA_CHECK(cudaMemcpyAsync(&loss, loss_.get(), sizeof(loss), cudaMemcpyDeviceToHost, s));
  CAIRN_CUDA_CHECK(cudaStreamSynchronize(s));
  return loss;
}

void CudaModel::backward() {
  if (!have_forward_)
    throw Error("model \"" + config_.name + "\": backward() needs a forward() first (once per forward)");
  have_forward_ = false;  // the logits are overwritten below
  const auto& c = config_;
  const std::int64_t N = tokens_, d = c.d_model, hd = c.head_dim();
  const std::int64_t qd = c.n_heads * hd, kvd = c.n_kv_heads * hd, F = c.ffn_dim;
  cudaStream_t s = stream_.get();
  const float* P = params_.get();
  const bf16* W = params_bf16_.get();
  float* G = grads_.get();

  // Loss and head; dlogits overwrite the logits.
  bf16* dlogits = logits_.get();
  cuda::cross_entropy_backward(logits_.get(), targets_.get(), lse_ce_.get(), N, c.vocab, counted_, 1.f,
                               dlogits, s);
  const std::int64_t head = layout_.offset("head.weight"), fnorm = layout_.offset("final_norm.weight");
  cuda::linear_backward(blas_, dlogits, h_final_.get(), W + head, N, d, c.vocab, dh_.get(), G + head, s);
  cuda::rmsnorm_backward<float>(dh_.get(), x_final_.get(), P + fnorm, rstd_final_.get(), N, d, dx_.get(),
                                G + fnorm, s);

  for (std::size_t li = layers_.size(); li-- > 0;) {
    Layer& L = layers_[li];
    const LayerOffsets& o = L.at;
    // MLP block: x_out = x_mid + down(act(up(rmsnorm(x_mid)))). The f32 stream gradient
    // enters the bf16 GEMM rounded, as autocast's cast of the branch does.
    cuda::convert_to_bf16(dx_.get(), N * d, dy16_.get(), s);
    cuda::linear_backward(blas_, dy16_.get(), L.act.get(), W + o.down, N, F, d, dact_.get(), G + o.down, s);
    if (c.mlp == MlpKind::swiglu)
      cuda::swiglu_backward(dact_.get(), L.up.get(), N, F, dup_.get(), s);
    else
      cuda::xielu_backward(dact_.get(), L.up.get(), N * F, P + o.a_p, P + o.a_n, dup_.get(), G + o.a_p,
                           G + o.a_n, s);
    cuda::linear_backward(blas_, dup_.get(), L.h2.get(), W + o.up, N, d, c.up_dim(), dh_.get(), G + o.up, s);
    cuda::rmsnorm_backward<float>(dh_.get(), L.x_mid.get(), P + o.mlp_norm, L.rstd2.get(), N, d,
                                  dtmp_.get(), G + o.mlp_norm, s);
    cuda::residual_add_backward(dtmp_.get(), N * d, dx_.get(), s);
    // Attention block: x_mid = x_in + o(attention(rope(qk_norm(split(qkv(rmsnorm(x_in))))))).
    cuda::convert_to_bf16(dx_.get(), N * d, dy16_.get(), s);
    bf16* datt = dh_.get();  // [N, qd] with qd = d
    cuda::linear_backward(blas_, dy16_.get(), L.att.get(), W + o.o, N, qd, d, datt, G + o.o, s);
    cuda::attention_backward(datt, L.q.get(), L.k.get(), L.v.get(), L.att.get(), L.lse.get(), shape_,
                             dq_.get(), dk_.get(), dv_.get(), s);
    cuda::rope_backward(dq_.get(), N, c.n_heads, rope_, dq_.get(), s);
    cuda::rope_backward(dk_.get(), N, c.n_kv_heads, rope_, dk_.get(), s);
    if (c.qk_norm) {
      cuda::qk_norm_backward(dq_.get(), L.q_raw.get(), P + o.q_norm, L.q_rstd.get(), N, c.n_heads, hd,
                             dq_.get(), G + o.q_norm, s);
      cuda::qk_norm_backward(dk_.get(), L.k_raw.get(), P + o.k_norm, L.k_rstd.get(), N, c.n_kv_heads, hd,
                             dk_.get(), G + o.k_norm, s);
    }
    bf16* dqkv = qkv_.get();
    cuda::merge_qkv(dq_.get(), dk_.get(), dv_.get(), N, qd, kvd, dqkv, s);
    cuda::linear_backward(blas_, dqkv, L.h1.get(), W + o.qkv, N, d, c.qkv_dim(), dh_.get(), G + o.qkv, s);
    cuda::rmsnorm_backward<float>(dh_.get(), L.x_in.get(), P + o.attn_norm, L.rstd1.get(), N, d,
                                  dtmp_.get(), G + o.attn_norm, s);
    cuda::residual_add_backward(dtmp_.get(), N * d, dx_.get(), s);
  }
  cuda::embedding_backward(token_rows_, dx_.get(), d, G + layout_.offset("embed.weight"), s);
}

double CudaModel::forward_backward(const std::int32_t* inputs, const std::int32_t* targets) {
  zero_gradients();
  const float l = forward(inputs, targets);
  backward();
  return l;
}

double CudaModel::loss(const std::int32_t* inputs, const std::int32_t* targets) {
  return forward(inputs, targets);
}

double CudaModel::clip_grad_norm(double max_norm) {
  return cuda::clip_grad_norm(grads_.get(), grads_.size(), max_norm, stream_.get());
}

void CudaModel::optimizer_step(const AdamWHyper& h) {
  adamw_step(h, host_.step + 1);
  ++host_.step;
}

void CudaModel::adamw_step(const AdamWHyper& h, std::int64_t step) {
  cuda::adamw_step(layout_, params_.get(), grads_.get(), m_.get(), v_.get(), h, step,
                   params_bf16_.get(), stream_.get());
}

}  // namespace cairn::train
