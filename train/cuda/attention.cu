// Cairn's causal grouped-query attention kernels, flash-attention style (Dao et al. 2022,
// FlashAttention; Dao 2023, FlashAttention-2): the T x T score matrix is never stored.
// The math and the CPU reference are train/cpu/attention.h; the dispatch between these
// kernels and cuDNN's is train/cuda/attention.h.
//   forward: tiles of 32 keys stream past 32 query rows; each row keeps a running max
//     m, a running sum l and an unnormalised output (online softmax, Milakov & Gimelshein
//     2018): m' = max(m, max_j s_j), l' = l e^(m-m') + sum_j e^(s_j-m'),
//     o' = o e^(m-m') + sum_j e^(s_j-m') v_j;  at the end o / l and lse = m + log l.
//   backward recomputes P_ij = exp(s_ij - lse_i) from the saved lse, with
//     D_i = do_i . o_i,  dS_ij = P_ij (do_i . v_j - D_i) / sqrt(hd),
//   in two passes that need no atomics (deterministic): dq per query tile (over keys),
//   then dk, dv per key tile (over the group's heads and the later queries).
// bf16 storage, f32 arithmetic (SIMT, no tensor cores), head_dim up to 256.
#include "train/cuda/detail/attention_cairn.h"

#include <cmath>
#include <string>

#include "common/error.h"
#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"
#include "train/cuda/detail/scratch.h"

namespace cairn::train::cuda::detail {
namespace {

// A block is 8 warps; each warp owns 4 rows of a 32-row tile, and a lane stands for one
// row of the other 32-row tile while scores are formed, then for head dims
// lane, lane + 32, ... (DPL of them) while outputs accumulate.
constexpr int kTile = 32;
constexpr int kWarps = 8;
constexpr int kRowsPerWarp = kTile / kWarps;
constexpr int kThreads = 32 * kWarps;

struct Dims {
  std::int64_t batch, seq_len, heads, kv_heads, group;
  int head_dim;
};

// Rows row0 .. row0+31 of one head of a [batch*seq_len, nheads, hd] tensor into shared
// memory as f32 with row stride ld = hd + 1 (a column walk by 32 lanes hits 32 banks);
// rows past seq_len read as 0.
__device__ void load_tile(const bf16* src, std::int64_t b, std::int64_t row0, std::int64_t head,
                          std::int64_t nheads, const Dims& s, float* dst) {
  const int hd = s.head_dim, ld = hd + 1;
  for (int e = threadIdx.x; e < kTile * hd; e += blockDim.x) {
    const int r = e / hd, d = e % hd;
    const std::int64_t t = row0 + r;
    dst[r * ld + d] =
        t < s.seq_len ? __bfloat162float(src[((b * s.seq_len + t) * nheads + head) * hd + d]) : 0.f;
  }
}

template <int DPL>
__global__ void __launch_bounds__(kThreads)
    attention_forward_kernel(const bf16* q, const bf16* k, const bf16* v, Dims s, float scale,
                             bf16* o, float* lse) {
  extern __shared__ float smem[];
  const int hd = s.head_dim, ld = hd + 1;
  float* Qs = smem;
  float* Ks = Qs + kTile * ld;
  float* Vs = Ks + kTile * ld;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t b = blockIdx.y / s.heads, h = blockIdx.y % s.heads, g = h / s.group;
  const std::int64_t T = s.seq_len, q0 = static_cast<std::int64_t>(blockIdx.x) * kTile;
  load_tile(q, b, q0, h, s.heads, s, Qs);

  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][DPL];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.f;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) acc[r][dd] = 0.f;
  }
  const std::int64_t q_last = (q0 + kTile < T ? q0 + kTile : T) - 1;
  // Every processed tile holds a key <= each row (tile k0 <= q0), so m stays finite.
  for (std::int64_t k0 = 0; k0 <= q_last; k0 += kTile) {
    __syncthreads();  // the Q tile is written; the previous K/V tile is consumed
    load_tile(k, b, k0, g, s.kv_heads, s, Ks);
    load_tile(v, b, k0, g, s.kv_heads, s, Vs);
    __syncthreads();
    const std::int64_t j = k0 + lane;  // this lane's key
    float sc[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) sc[r] = 0.f;
    for (int d = 0; d < hd; ++d) {
      const float kd = Ks[lane * ld + d];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) sc[r] += Qs[(warp * kRowsPerWarp + r) * ld + d] * kd;
    }
    float p[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const std::int64_t i = q0 + warp * kRowsPerWarp + r;
      const float sv = (j <= i && j < T) ? sc[r] * scale : -INFINITY;
      const float m_new = fmaxf(m[r], detail::warp_max(sv));
      const float corr = expf(m[r] - m_new);  // 0 on the first tile (m = -inf)
      p[r] = expf(sv - m_new);
      l[r] = l[r] * corr + detail::warp_sum(p[r]);
      m[r] = m_new;
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) acc[r][dd] *= corr;
    }
    for (int jj = 0; jj < kTile; ++jj) {
      float pj[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) pj[r] = __shfl_sync(detail::kFullMask, p[r], jj);
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + 32 * dd;
        if (d < hd) {
          const float vd = Vs[jj * ld + d];
#pragma unroll
          for (int r = 0; r < kRowsPerWarp; ++r) acc[r][dd] += pj[r] * vd;
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const std::int64_t i = q0 + warp * kRowsPerWarp + r;
    if (i >= T) continue;
    const float inv = 1.f / l[r];
    bf16* oi = o + ((b * T + i) * s.heads + h) * hd;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + 32 * dd;
      if (d < hd) oi[d] = __float2bfloat16_rn(acc[r][dd] * inv);
    }
    if (lane == 0) lse[(b * s.heads + h) * T + i] = m[r] + logf(l[r]);
  }
}

// D[b, h, t] = do . o over head_dim; one warp per (token, head).
__global__ void attention_dot_kernel(const bf16* dout, const bf16* o, Dims s, float* D) {
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= s.batch * s.seq_len * s.heads) return;
  const std::int64_t h = row % s.heads, bt = row / s.heads;
  const std::int64_t b = bt / s.seq_len, t = bt % s.seq_len;
  float acc = 0.f;
  for (int d = lane; d < s.head_dim; d += 32)
    acc += __bfloat162float(dout[row * s.head_dim + d]) * __bfloat162float(o[row * s.head_dim + d]);
  acc = detail::warp_sum(acc);
  if (lane == 0) D[(b * s.heads + h) * s.seq_len + t] = acc;
}

// dq_i = sum_j dS_ij k_j for a tile of 32 query rows of one head.
template <int DPL>
__global__ void __launch_bounds__(kThreads)
    attention_dq_kernel(const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                        const float* lse, const float* D, Dims s, float scale, bf16* dq) {
  extern __shared__ float smem[];
  const int hd = s.head_dim, ld = hd + 1;
  float* Qs = smem;
  float* dOs = Qs + kTile * ld;
  float* Ks = dOs + kTile * ld;
  float* Vs = Ks + kTile * ld;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t b = blockIdx.y / s.heads, h = blockIdx.y % s.heads, g = h / s.group;
  const std::int64_t T = s.seq_len, q0 = static_cast<std::int64_t>(blockIdx.x) * kTile;
  load_tile(q, b, q0, h, s.heads, s, Qs);
  load_tile(dout, b, q0, h, s.heads, s, dOs);

  float row_lse[kRowsPerWarp], row_D[kRowsPerWarp], acc[kRowsPerWarp][DPL];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const std::int64_t i = q0 + warp * kRowsPerWarp + r;
    row_lse[r] = i < T ? lse[(b * s.heads + h) * T + i] : 0.f;
    row_D[r] = i < T ? D[(b * s.heads + h) * T + i] : 0.f;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) acc[r][dd] = 0.f;
  }
  const std::int64_t q_last = (q0 + kTile < T ? q0 + kTile : T) - 1;
  for (std::int64_t k0 = 0; k0 <= q_last; k0 += kTile) {
    __syncthreads();
    load_tile(k, b, k0, g, s.kv_heads, s, Ks);
    load_tile(v, b, k0, g, s.kv_heads, s, Vs);
    __syncthreads();
    const std::int64_t j = k0 + lane;
    float sc[kRowsPerWarp], dp[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) sc[r] = dp[r] = 0.f;
    for (int d = 0; d < hd; ++d) {
      const float kd = Ks[lane * ld + d], vd = Vs[lane * ld + d];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        sc[r] += Qs[(warp * kRowsPerWarp + r) * ld + d] * kd;
        dp[r] += dOs[(warp * kRowsPerWarp + r) * ld + d] * vd;
      }
    }
    float ds[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const std::int64_t i = q0 + warp * kRowsPerWarp + r;
      const float P = (j <= i && j < T) ? expf(sc[r] * scale - row_lse[r]) : 0.f;
      ds[r] = P * (dp[r] - row_D[r]) * scale;
    }
    for (int jj = 0; jj < kTile; ++jj) {
      float dsj[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) dsj[r] = __shfl_sync(detail::kFullMask, ds[r], jj);
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + 32 * dd;
        if (d < hd) {
          const float kd = Ks[jj * ld + d];
#pragma unroll
          for (int r = 0; r < kRowsPerWarp; ++r) acc[r][dd] += dsj[r] * kd;
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const std::int64_t i = q0 + warp * kRowsPerWarp + r;
    if (i >= T) continue;
    bf16* dqi = dq + ((b * T + i) * s.heads + h) * hd;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + 32 * dd;
      if (d < hd) dqi[d] = __float2bfloat16_rn(acc[r][dd]);
    }
  }
}

// dk_j = sum dS_ij q_i and dv_j = sum P_ij do_i for a tile of 32 keys of one KV head,
// summed over the heads of its group and the queries i >= j, in a fixed order.
template <int DPL>
__global__ void __launch_bounds__(kThreads)
    attention_dkv_kernel(const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                         const float* lse, const float* D, Dims s, float scale, bf16* dk,
                         bf16* dv) {
  extern __shared__ float smem[];
  const int hd = s.head_dim, ld = hd + 1;
  float* Ks = smem;
  float* Vs = Ks + kTile * ld;
  float* Qs = Vs + kTile * ld;
  float* dOs = Qs + kTile * ld;
  float* Ls = dOs + kTile * ld;  // lse of the query tile
  float* Ds = Ls + kTile;        // D of the query tile
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::int64_t b = blockIdx.y / s.kv_heads, g = blockIdx.y % s.kv_heads;
  const std::int64_t T = s.seq_len, k0 = static_cast<std::int64_t>(blockIdx.x) * kTile;
  load_tile(k, b, k0, g, s.kv_heads, s, Ks);
  load_tile(v, b, k0, g, s.kv_heads, s, Vs);

  float dk_acc[kRowsPerWarp][DPL], dv_acc[kRowsPerWarp][DPL];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r)
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) dk_acc[r][dd] = dv_acc[r][dd] = 0.f;

  for (std::int64_t h = g * s.group; h < (g + 1) * s.group; ++h) {
    for (std::int64_t q0 = k0; q0 < T; q0 += kTile) {  // queries before k0 see none of these keys
      __syncthreads();  // K/V written; the previous Q/dO tile consumed
      load_tile(q, b, q0, h, s.heads, s, Qs);
      load_tile(dout, b, q0, h, s.heads, s, dOs);
      if (threadIdx.x < kTile) {
        const std::int64_t t = q0 + threadIdx.x;
        Ls[threadIdx.x] = t < T ? lse[(b * s.heads + h) * T + t] : 0.f;
        Ds[threadIdx.x] = t < T ? D[(b * s.heads + h) * T + t] : 0.f;
      }
      __syncthreads();
      const std::int64_t i = q0 + lane;  // this lane's query
      float sc[kRowsPerWarp], dp[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) sc[r] = dp[r] = 0.f;
      for (int d = 0; d < hd; ++d) {
        const float qd = Qs[lane * ld + d], dod = dOs[lane * ld + d];
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
          sc[r] += qd * Ks[(warp * kRowsPerWarp + r) * ld + d];
          dp[r] += dod * Vs[(warp * kRowsPerWarp + r) * ld + d];
        }
      }
      float P[kRowsPerWarp], ds[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const std::int64_t j = k0 + warp * kRowsPerWarp + r;
        P[r] = (i < T && j <= i) ? expf(sc[r] * scale - Ls[lane]) : 0.f;
        ds[r] = P[r] * (dp[r] - Ds[lane]) * scale;
      }
      for (int ii = 0; ii < kTile; ++ii) {
        float Pi[kRowsPerWarp], dsi[kRowsPerWarp];
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
          Pi[r] = __shfl_sync(detail::kFullMask, P[r], ii);
          dsi[r] = __shfl_sync(detail::kFullMask, ds[r], ii);
        }
#pragma unroll
        for (int dd = 0; dd < DPL; ++dd) {
          const int d = lane + 32 * dd;
          if (d < hd) {
            const float qv = Qs[ii * ld + d], dov = dOs[ii * ld + d];
#pragma unroll
            for (int r = 0; r < kRowsPerWarp; ++r) {
              dv_acc[r][dd] += Pi[r] * dov;
              dk_acc[r][dd] += dsi[r] * qv;
            }
          }
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const std::int64_t j = k0 + warp * kRowsPerWarp + r;
    if (j >= T) continue;
    const std::int64_t base = ((b * T + j) * s.kv_heads + g) * hd;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) {
      const int d = lane + 32 * dd;
      if (d < hd) {
        dk[base + d] = __float2bfloat16_rn(dk_acc[r][dd]);
        dv[base + d] = __float2bfloat16_rn(dv_acc[r][dd]);
      }
    }
  }
}

Dims make_dims(const cpu::AttentionShape& s) {
  if (s.batch <= 0 || s.seq_len <= 0 || s.heads <= 0 || s.kv_heads <= 0 || s.head_dim <= 0 ||
      s.heads % s.kv_heads != 0 || s.head_dim > 256)
    throw Error("attention (CUDA): bad shape (batch " + std::to_string(s.batch) + ", seq_len " +
                std::to_string(s.seq_len) + ", heads " + std::to_string(s.heads) + ", kv_heads " +
                std::to_string(s.kv_heads) + ", head_dim " + std::to_string(s.head_dim) +
                "); kv_heads must divide heads and head_dim be at most 256");
  if (s.batch * s.heads > 65535)
    throw Error("attention (CUDA): batch x heads = " + std::to_string(s.batch * s.heads) +
                " exceeds the 65535 blocks of a grid column; use a smaller batch");
  return Dims{s.batch, s.seq_len, s.heads, s.kv_heads, s.heads / s.kv_heads,
              static_cast<int>(s.head_dim)};
}

template <typename Kernel>
void allow_shared(Kernel kernel, std::size_t bytes) {
  CAIRN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(bytes)));
}

// The kernels' dims-per-lane instance for a head_dim: DPL * 32 >= head_dim.
template <typename F>
void with_dims_per_lane(int head_dim, F&& f) {
  if (head_dim <= 32)
    f.template operator()<1>();
  else if (head_dim <= 64)
    f.template operator()<2>();
  else if (head_dim <= 128)
    f.template operator()<4>();
  else
    f.template operator()<8>();
}

}  // namespace

void attention_forward_cairn(const bf16* q, const bf16* k, const bf16* v,
                             const cpu::AttentionShape& shape, bf16* o, float* lse,
                             cudaStream_t stream) {
  const Dims s = make_dims(shape);
  const float scale = 1.f / std::sqrt(static_cast<float>(s.head_dim));
  const std::size_t smem = 3 * kTile * (s.head_dim + 1) * sizeof(float);
  const dim3 grid(static_cast<unsigned>((s.seq_len + kTile - 1) / kTile), static_cast<unsigned>(s.batch * s.heads));
  with_dims_per_lane(s.head_dim, [&]<int DPL>() {
    allow_shared(attention_forward_kernel<DPL>, smem);
    attention_forward_kernel<DPL><<<grid, kThreads, smem, stream>>>(q, k, v, s, scale, o, lse);
    check_launch("attention_forward_kernel");
  });
}

void attention_backward_cairn(const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                              const bf16* o, const float* lse, const cpu::AttentionShape& shape,
                              bf16* dq, bf16* dk, bf16* dv, cudaStream_t stream) {
  const Dims s = make_dims(shape);
  const float scale = 1.f / std::sqrt(static_cast<float>(s.head_dim));
  const std::int64_t rows = s.batch * s.seq_len * s.heads;
  detail::Scratch<float> D(rows, stream);
  attention_dot_kernel<<<static_cast<unsigned>((rows + kWarps - 1) / kWarps), kThreads, 0, stream>>>(
      dout, o, s, D.get());
  check_launch("attention_dot_kernel");

  const unsigned tiles = static_cast<unsigned>((s.seq_len + kTile - 1) / kTile);
  const std::size_t ld = static_cast<std::size_t>(s.head_dim) + 1;
  const std::size_t dq_smem = 4 * kTile * ld * sizeof(float);
  const std::size_t dkv_smem = (4 * kTile * ld + 2 * kTile) * sizeof(float);
  with_dims_per_lane(s.head_dim, [&]<int DPL>() {
    allow_shared(attention_dq_kernel<DPL>, dq_smem);
    attention_dq_kernel<DPL><<<dim3(tiles, static_cast<unsigned>(s.batch * s.heads)), kThreads, dq_smem, stream>>>(
        dout, q, k, v, lse, D.get(), s, scale, dq);
    check_launch("attention_dq_kernel");
    allow_shared(attention_dkv_kernel<DPL>, dkv_smem);
    attention_dkv_kernel<DPL><<<dim3(tiles, static_cast<unsigned>(s.batch * s.kv_heads)), kThreads, dkv_smem, stream>>>(
        dout, q, k, v, lse, D.get(), s, scale, dk, dv);
    check_launch("attention_dkv_kernel");
  });
}

}  // namespace cairn::train::cuda::detail
