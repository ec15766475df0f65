// Which attention runs: CAIRN_ATTENTION's choice, cuDNN's verdict on the shape.
#include "train/cuda/attention.h"

#include <string>

#include "common/env_knobs.h"
#include "common/error.h"
#include "train/cuda/detail/attention_cairn.h"
#ifdef CAIRN_HAVE_CUDNN_FRONTEND
#include "train/cuda/attention_cudnn.h"
#endif

namespace cairn::train::cuda {
namespace {

// A shape Cairn's kernels would refuse goes to them, for their error message.
bool well_formed(const cpu::AttentionShape& s) {
  return s.batch > 0 && s.seq_len > 0 && s.heads > 0 && s.kv_heads > 0 && s.head_dim > 0 &&
         s.heads % s.kv_heads == 0;
}

}  // namespace

AttentionImpl attention_impl_from(const std::map<std::string, std::string>& vars) {
  const auto v = env::choice("CAIRN_ATTENTION", vars);  // cudnn or cairn, else malformed
  if (!v) return cudnn_attention_built() ? AttentionImpl::cudnn : AttentionImpl::cairn;
  if (*v == "cairn") return AttentionImpl::cairn;
  if (!cudnn_attention_built())
    throw Error("CAIRN_ATTENTION=cudnn, but this build has no cuDNN attention (CMake's 'Attention:' line "
                "says why; run scripts/deps.sh and reconfigure); unset it or set cairn");
  return AttentionImpl::cudnn;
}

const char* name(AttentionImpl impl) { return impl == AttentionImpl::cudnn ? "cudnn" : "cairn"; }

bool cudnn_attention_built() {
#ifdef CAIRN_HAVE_CUDNN_FRONTEND
  return true;
#else
  return false;
#endif
}

AttentionImpl default_attention_impl() {
  static const AttentionImpl impl = attention_impl_from(env::process_vars());
  return impl;
}

AttentionOptions default_attention_options() { return AttentionOptions{default_attention_impl(), false}; }

AttentionImpl attention_impl_for(const cpu::AttentionShape& s, bool backward, const AttentionOptions& options,
                                 cudaStream_t stream) {
  if (options.impl != AttentionImpl::cudnn || !well_formed(s)) return AttentionImpl::cairn;
#ifdef CAIRN_HAVE_CUDNN_FRONTEND
  if (CudnnAttention::shared().refusal(s, backward, options.deterministic, stream).empty())
    return AttentionImpl::cudnn;
#else
  (void)backward;
  (void)stream;
#endif
  return AttentionImpl::cairn;
}

AttentionImpl attention_forward(const bf16* q, const bf16* k, const bf16* v, const cpu::AttentionShape& s,
                                bf16* o, float* lse, cudaStream_t stream, const AttentionOptions& options) {
#ifdef CAIRN_HAVE_CUDNN_FRONTEND
  if (options.impl == AttentionImpl::cudnn && well_formed(s) &&
      CudnnAttention::shared().forward(q, k, v, s, o, lse, stream))
    return AttentionImpl::cudnn;
#else
  (void)options;
#endif
  detail::attention_forward_cairn(q, k, v, s, o, lse, stream);
  return AttentionImpl::cairn;
}

AttentionImpl attention_backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const bf16* o,
                                 const float* lse, const cpu::AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                                 cudaStream_t stream, const AttentionOptions& options) {
#ifdef CAIRN_HAVE_CUDNN_FRONTEND
  if (options.impl == AttentionImpl::cudnn && well_formed(s) &&
      CudnnAttention::shared().backward(dout, q, k, v, o, lse, s, dq, dk, dv, options.deterministic, stream))
    return AttentionImpl::cudnn;
#else
  (void)options;
#endif
  detail::attention_backward_cairn(dout, q, k, v, o, lse, s, dq, dk, dv, stream);
  return AttentionImpl::cairn;
}

}  // namespace cairn::train::cuda
