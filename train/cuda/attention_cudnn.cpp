// The only file that includes the cuDNN frontend (its headers are heavy: keep them here).
#include "train/cuda/attention_cudnn.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <cudnn_frontend.h>

#include "common/error.h"
#include "train/cuda/check.h"
#include "train/cuda/device_buffer.h"

namespace cairn::train::cuda {
namespace {

namespace fe = cudnn_frontend;

// The graphs' tensor ids (variant-pack keys).
enum Uid : std::int64_t { kQ = 1, kK, kV, kO, kStats, kDout, kDq, kDk, kDv };

std::string describe(const cpu::AttentionShape& s) {
  return "batch " + std::to_string(s.batch) + ", seq_len " + std::to_string(s.seq_len) + ", heads " +
         std::to_string(s.heads) + "/" + std::to_string(s.kv_heads) + ", head_dim " + std::to_string(s.head_dim);
}

void check_cudnn(cudnnStatus_t status, const char* call) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw Error(std::string("cuDNN call ") + call + " failed: " + cudnnGetErrorString(status));
}
#define CAIRN_CUDNN_CHECK(call) check_cudnn((call), #call)

// A graph ready to run, or why cuDNN would not take it.
struct Plan {
  std::shared_ptr<fe::graph::Graph> graph;
  std::int64_t workspace_bytes = 0;
  std::string refusal;
};

using PlanKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool, bool>;

PlanKey plan_key(const cpu::AttentionShape& s, bool backward, bool deterministic) {
  return {s.batch, s.seq_len, s.heads, s.kv_heads, s.head_dim, backward, backward && deterministic};
}

// One per (device, stream): a handle set on that stream, its graphs, its workspace. Graphs
// are built with (and run on) their context's handle.
struct Context {
  cudnnHandle_t handle = nullptr;
  DeviceBuffer<std::byte> workspace;
  std::map<PlanKey, Plan> plans;
  Context() { CAIRN_CUDNN_CHECK(cudnnCreate(&handle)); }
  ~Context() {
    if (handle) (void)cudnnDestroy(handle);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

// q, k, v, o, do, dq, dk, dv as (B, H, S, D) over Cairn's [B*S, H, D] rows.
fe::graph::Tensor_attributes bshd(const char* name, std::int64_t uid, const cpu::AttentionShape& s,
                                  std::int64_t heads) {
  const std::int64_t S = s.seq_len, D = s.head_dim;
  return fe::graph::Tensor_attributes()
      .set_name(name)
      .set_uid(uid)
      .set_dim({s.batch, heads, S, D})
      .set_stride({S * heads * D, D, heads * D, 1});
}
std::vector<std::int64_t> stats_dim(const cpu::AttentionShape& s) { return {s.batch, s.heads, s.seq_len, 1}; }
std::vector<std::int64_t> stats_stride(const cpu::AttentionShape& s) { return {s.heads * s.seq_len, s.seq_len, 1, 1}; }

std::shared_ptr<fe::graph::Graph> new_graph() {
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(fe::DataType_t::BFLOAT16)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  return g;
}

float attention_scale(const cpu::AttentionShape& s) { return 1.f / std::sqrt(static_cast<float>(s.head_dim)); }

std::shared_ptr<fe::graph::Graph> forward_graph(const cpu::AttentionShape& s) {
  auto g = new_graph();
  auto q = g->tensor(bshd("Q", kQ, s, s.heads));
  auto k = g->tensor(bshd("K", kK, s, s.kv_heads));
  auto v = g->tensor(bshd("V", kV, s, s.kv_heads));
  // Causal: the diagonal band with its right bound on the diagonal, aligned top-left
  // (query i sees keys j <= i; q and k have the same length here).
  auto options = fe::graph::SDPA_attributes()
                     .set_name("cairn_causal_gqa_forward")
                     .set_generate_stats(true)
                     .set_attn_scale(attention_scale(s))
                     .set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT)
                     .set_diagonal_band_right_bound(0);
  auto [o, stats] = g->sdpa(q, k, v, options);
  const auto o_layout = bshd("O", kO, s, s.heads);
  o->set_output(true).set_uid(kO).set_dim(o_layout.get_dim()).set_stride(o_layout.get_stride());
  stats->set_output(true)
      .set_uid(kStats)
      .set_data_type(fe::DataType_t::FLOAT)
      .set_dim(stats_dim(s))
      .set_stride(stats_stride(s));
  return g;
}

std::shared_ptr<fe::graph::Graph> backward_graph(const cpu::AttentionShape& s, bool deterministic) {
  auto g = new_graph();
  auto q = g->tensor(bshd("Q", kQ, s, s.heads));
  auto k = g->tensor(bshd("K", kK, s, s.kv_heads));
  auto v = g->tensor(bshd("V", kV, s, s.kv_heads));
  auto o = g->tensor(bshd("O", kO, s, s.heads));
  auto dout = g->tensor(bshd("dO", kDout, s, s.heads));
  auto stats = g->tensor(fe::graph::Tensor_attributes()
                             .set_name("Stats")
                             .set_uid(kStats)
                             .set_dim(stats_dim(s))
                             .set_stride(stats_stride(s))
                             .set_data_type(fe::DataType_t::FLOAT));
  auto options = fe::graph::SDPA_backward_attributes()
                     .set_name("cairn_causal_gqa_backward")
                     .set_attn_scale(attention_scale(s))
                     .set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT)
                     .set_diagonal_band_right_bound(0)
                     .set_deterministic_algorithm(deterministic);
  auto [dq, dk, dv] = g->sdpa_backward(q, k, v, o, dout, stats, options);
  const auto q_layout = bshd("dQ", kDq, s, s.heads), kv_layout = bshd("dK", kDk, s, s.kv_heads);
  dq->set_output(true).set_uid(kDq).set_dim(q_layout.get_dim()).set_stride(q_layout.get_stride());
  dk->set_output(true).set_uid(kDk).set_dim(kv_layout.get_dim()).set_stride(kv_layout.get_stride());
  dv->set_output(true).set_uid(kDv).set_dim(kv_layout.get_dim()).set_stride(kv_layout.get_stride());
  return g;
}

// Empty when the graph is built and cuDNN has an engine for it; else the step that failed
// and cuDNN's message.
std::string build(fe::graph::Graph& g, cudnnHandle_t handle, std::int64_t& workspace_bytes) {
  if (auto e = g.validate(); e.is_bad()) return "validate: " + e.get_message();
  if (auto e = g.build_operation_graph(handle); e.is_bad()) return "build_operation_graph: " + e.get_message();
  if (auto e = g.create_execution_plans({fe::HeurMode_t::A}); e.is_bad())
    return "create_execution_plans: " + e.get_message();
  if (auto e = g.check_support(); e.is_bad()) return "check_support: " + e.get_message();
  if (auto e = g.build_plans(); e.is_bad()) return "build_plans: " + e.get_message();
  if (auto e = g.get_workspace_size(workspace_bytes); e.is_bad()) return "get_workspace_size: " + e.get_message();
  return "";
}

}  // namespace

struct CudnnAttention::Impl {
  std::mutex mutex;
  std::map<std::pair<int, std::uintptr_t>, std::unique_ptr<Context>> contexts;

  Context& context(cudaStream_t stream) {
    int device = 0;
    CAIRN_CUDA_CHECK(cudaGetDevice(&device));
    auto& c = contexts[{device, reinterpret_cast<std::uintptr_t>(stream)}];
    if (!c) c = std::make_unique<Context>();
    CAIRN_CUDNN_CHECK(cudnnSetStream(c->handle, stream));
    return *c;
  }

  Plan& plan(Context& c, const cpu::AttentionShape& s, bool backward, bool deterministic) {
    const PlanKey key = plan_key(s, backward, deterministic);
    if (auto it = c.plans.find(key); it != c.plans.end()) return it->second;
    // cuDNN decides (validate refuses, e.g., a head_dim that is no multiple of 8, or the
    // backward of a one-token sequence; check_support a shape no engine of this GPU runs).
    Plan p;
    p.graph = backward ? backward_graph(s, deterministic) : forward_graph(s);
    p.refusal = build(*p.graph, c.handle, p.workspace_bytes);
    if (!p.refusal.empty()) {
      p.graph.reset();
      std::fprintf(stderr, "cairn: cuDNN attention %s refuses %s (%s); Cairn's kernel runs it\n",
                   backward ? "backward" : "forward", describe(s).c_str(), p.refusal.c_str());
    }
    return c.plans.emplace(key, std::move(p)).first->second;
  }

  void run(Context& c, Plan& p, std::unordered_map<std::int64_t, void*>& pack, const char* what,
           const cpu::AttentionShape& s) {
    if (c.workspace.bytes() < static_cast<std::size_t>(p.workspace_bytes))
      c.workspace = DeviceBuffer<std::byte>(p.workspace_bytes);  // cudaFree waits for the old one's users
    if (auto e = p.graph->execute(c.handle, pack, c.workspace.get()); e.is_bad())
      throw Error(std::string("cuDNN attention ") + what + " (" + describe(s) + ") failed: " + e.get_message());
  }
};

CudnnAttention::CudnnAttention() : impl_(std::make_unique<Impl>()) {}
CudnnAttention::~CudnnAttention() = default;

CudnnAttention& CudnnAttention::shared() {
  // Never destroyed: handles and buffers outliving the CUDA runtime's teardown at exit
  // would be freed into a dead context.
  static CudnnAttention* instance = new CudnnAttention;
  return *instance;
}

std::string CudnnAttention::refusal(const cpu::AttentionShape& s, bool backward, bool deterministic,
                                    cudaStream_t stream) {
  std::lock_guard lock(impl_->mutex);
  return impl_->plan(impl_->context(stream), s, backward, deterministic).refusal;
}

bool CudnnAttention::forward(const bf16* q, const bf16* k, const bf16* v, const cpu::AttentionShape& s, bf16* o,
                             float* lse, cudaStream_t stream) {
  std::lock_guard lock(impl_->mutex);
  Context& c = impl_->context(stream);
  Plan& p = impl_->plan(c, s, false, false);
  if (!p.graph) return false;
  std::unordered_map<std::int64_t, void*> pack = {
      {kQ, const_cast<bf16*>(q)}, {kK, const_cast<bf16*>(k)}, {kV, const_cast<bf16*>(v)},
      {kO, o},                    {kStats, lse}};
  impl_->run(c, p, pack, "forward", s);
  return true;
}

bool CudnnAttention::backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const bf16* o,
                              const float* lse, const cpu::AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                              bool deterministic, cudaStream_t stream) {
  std::lock_guard lock(impl_->mutex);
  Context& c = impl_->context(stream);
  Plan& p = impl_->plan(c, s, true, deterministic);
  if (!p.graph) return false;
  std::unordered_map<std::int64_t, void*> pack = {
      {kQ, const_cast<bf16*>(q)},        {kK, const_cast<bf16*>(k)},
      {kV, const_cast<bf16*>(v)},        {kO, const_cast<bf16*>(o)},
      {kDout, const_cast<bf16*>(dout)},  {kStats, const_cast<float*>(lse)},
      {kDq, dq},                         {kDk, dk},
      {kDv, dv}};
  impl_->run(c, p, pack, "backward", s);
  return true;
}

}  // namespace cairn::train::cuda
