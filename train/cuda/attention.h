// Causal grouped-query attention on the GPU (math and CPU reference: train/cpu/attention.h),
// in two implementations behind one contract:
//   cudnn  cuDNN's fused scaled-dot-product attention (attention_cudnn.h), the default
//          where the build has it. Attention is most of a long-sequence step's FLOPs, and
//          only a tensor-core kernel with an asynchronous, warp-specialised pipeline comes
//          near the GPU's peak there (FlashAttention-2, Dao 2023; FlashAttention-3 on
//          Hopper, Shah et al. 2024). cuDNN's SDPA is NVIDIA's maintained kernel of that
//          kind for each GPU generation, so Cairn uses it rather than writing its own.
//   cairn  Cairn's own f32 SIMT flash-style kernels (attention.cu): no tensor cores, any
//          head_dim up to 256, deterministic. The fallback for any shape cuDNN refuses
//          (decided once per shape, when its graph is built, with one line on stderr),
//          and the reference the cuDNN path is tested beside.
// The process default comes from CAIRN_ATTENTION (cudnn | cairn; docs/environment.md).
// Both write the same lse (natural-log logsumexp), so a forward of one implementation
// and a backward of the other agree.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <cuda_runtime.h>

#include "train/cpu/attention.h"
#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

enum class AttentionImpl { cairn, cudnn };
const char* name(AttentionImpl impl);

struct AttentionOptions {
  AttentionImpl impl = AttentionImpl::cairn;
  // cuDNN's backward without atomic dq accumulation: bitwise repeatable, slower. Cairn's
  // kernels are deterministic either way.
  bool deterministic = false;
};

// Whether this build has cuDNN's attention (CMake found the frontend and libcudnn).
bool cudnn_attention_built();
// CAIRN_ATTENTION, read once: cudnn where built, else cairn when unset. cairn::Error for
// another value, or for cudnn in a build without it.
AttentionImpl default_attention_impl();
// The same reading of CAIRN_ATTENTION from `vars` (a test's environment).
AttentionImpl attention_impl_from(const std::map<std::string, std::string>& vars);
AttentionOptions default_attention_options();

// The implementation that runs `s` given `impl` (cudnn becomes cairn for a shape cuDNN
// refuses, or without cuDNN in the build); builds and keeps cuDNN's graph to know.
AttentionImpl attention_impl_for(const cpu::AttentionShape& s, bool backward, const AttentionOptions& options,
                                 cudaStream_t stream);

// q, o: [batch*seq_len, heads, head_dim]; k, v: [batch*seq_len, kv_heads, head_dim];
// lse: [batch, heads, seq_len] f32 (output, saved for backward). Returns the
// implementation that ran.
AttentionImpl attention_forward(const bf16* q, const bf16* k, const bf16* v, const cpu::AttentionShape& s,
                                bf16* o, float* lse, cudaStream_t stream,
                                const AttentionOptions& options = default_attention_options());

// dq, dk, dv shaped as q, k, v; overwritten. Returns the implementation that ran.
AttentionImpl attention_backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const bf16* o,
                                 const float* lse, const cpu::AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                                 cudaStream_t stream, const AttentionOptions& options = default_attention_options());

}  // namespace cairn::train::cuda
