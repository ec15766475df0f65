// Causal GQA attention through cuDNN's fused scaled-dot-product attention (SDPA: a
// flash-attention kernel on tensor cores), driven by the cuDNN frontend's graph API.
// Same contract as train/cuda/attention.h: q, o [batch*seq_len, heads, head_dim] and
// k, v [batch*seq_len, kv_heads, head_dim] bf16, seen by cuDNN as (B, H, S, D) with
// strides (S*H*D, D, H*D, 1); lse [batch, heads, seq_len] f32 natural-log logsumexp, its
// "Stats" (B, H, S, 1). f32 compute, scale 1/sqrt(head_dim), the causal mask a diagonal
// band (top-left aligned, right bound 0: key j <= query i).
//
// A graph is built once per (device, stream, shape, op, deterministic) and kept with its
// workspace size; the workspace is one buffer per (device, stream), grown as needed.
// cuDNN's refusal of a shape (validate, build_operation_graph, check_support or
// build_plans fails: a head_dim it has no kernel for, an old GPU) is decided then and
// kept: forward/backward return false for it, and the caller runs Cairn's kernel. Only
// this header's users see no cuDNN types; the frontend lives in attention_cudnn.cpp.
#pragma once

#include <memory>
#include <string>

#include <cuda_runtime.h>

#include "train/cpu/attention.h"
#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

class CudnnAttention {
 public:
  CudnnAttention();
  ~CudnnAttention();
  CudnnAttention(const CudnnAttention&) = delete;
  CudnnAttention& operator=(const CudnnAttention&) = delete;

  // The process's instance (its graphs and handles live until exit).
  static CudnnAttention& shared();

  // Queue the op on `stream`; false, and nothing queued, when cuDNN refuses the shape.
  // cairn::Error with cuDNN's message when a supported graph fails to run.
  bool forward(const bf16* q, const bf16* k, const bf16* v, const cpu::AttentionShape& s, bf16* o,
               float* lse, cudaStream_t stream);
  // deterministic: cuDNN's backward without atomics in dq (bitwise repeatable, slower).
  bool backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const bf16* o,
                const float* lse, const cpu::AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                bool deterministic, cudaStream_t stream);

  // Builds (or finds) the graph; empty when cuDNN takes the shape, else its reason.
  std::string refusal(const cpu::AttentionShape& s, bool backward, bool deterministic,
                      cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::train::cuda
