// NCCL 2.28's side of the tuner plugin ABI, for tests: dlopen the library as
// src/plugin/plugin_open.cc does (RTLD_NOW | RTLD_LOCAL), look up ncclTunerPlugin_v5,
// then _v4, _v3, _v2 (src/plugin/tuner.cc), and call any of them through NCCL's adapters
// to the v5 shape (src/plugin/tuner/tuner_v{2,3,4}.cc): v4 and v3 get the same cost
// table (v3 without regBuff), v2 names an algorithm and protocol and the adapter zeroes
// that entry unless it is NCCL_ALGO_PROTO_IGNORE. The cost table is a flat
// float[7][3], as enqueue.cc getAlgoInfo passes it.
#pragma once

#include <array>
#include <cstdarg>
#include <cstdio>
#include <dlfcn.h>
#include <string>
#include <vector>

#include "tuner/plugin/nccl_tuner_abi.h"

namespace cairn::test {

namespace abi = tuner::nccl_abi;

// What the plugin logged through NCCL's logger.
struct LogLine {
  int level;
  unsigned long flags;
  std::string text;
};
inline std::vector<LogLine>& plugin_log() {
  static std::vector<LogLine> lines;
  return lines;
}
inline void record_log(abi::LogLevel level, unsigned long flags, const char* /*file*/, int /*line*/, const char* fmt,
                       ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  plugin_log().push_back({level, flags, buf});
}
inline int count_log(int level) {
  int n = 0;
  for (const auto& l : plugin_log()) n += l.level == level;
  return n;
}

// NCCL's cost table: 7 algorithms x 3 protocols, -1 where NCCL disabled an entry.
struct CostTable {
  std::array<float, 21> t;
  float& at(int algo, int proto) { return t[static_cast<std::size_t>(algo * 3 + proto)]; }
  float** as_nccl_passes_it() { return reinterpret_cast<float**>(t.data()); }
  // topoGetAlgoInfo (enqueue.cc): the smallest entry >= 0, first on ties; -1 when none.
  std::pair<int, int> pick() const {
    float best = 3600000000.0f;
    std::pair<int, int> out{-1, -1};
    for (int a = 0; a < 7; ++a)
      for (int p = 0; p < 3; ++p) {
        const float v = t[static_cast<std::size_t>(a * 3 + p)];
        if (v >= 0 && v < best) best = v, out = {a, p};
      }
    return out;
  }
};

// A table as NCCL fills it on one node: every algorithm/protocol costed but CollNet and
// NVLS (disabled: -1), Ring/Simple cheapest.
inline CostTable typical_table() {
  CostTable c;
  for (int a = 0; a < 7; ++a)
    for (int p = 0; p < 3; ++p) c.at(a, p) = 10.0f + static_cast<float>(a * 3 + p);
  for (int a : {2, 3, 4, 5})
    for (int p = 0; p < 3; ++p) c.at(a, p) = abi::kAlgoProtoIgnore;
  c.at(1, 2) = 5.0f;
  return c;
}

class NcclTunerHost {
 public:
  explicit NcclTunerHost(const std::string& path) : lib_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    if (!lib_) return;
    v5_ = static_cast<abi::TunerV5*>(dlsym(lib_, "ncclTunerPlugin_v5"));
    v4_ = static_cast<abi::TunerV4*>(dlsym(lib_, "ncclTunerPlugin_v4"));
    v3_ = static_cast<abi::TunerV3*>(dlsym(lib_, "ncclTunerPlugin_v3"));
    v2_ = static_cast<abi::TunerV2*>(dlsym(lib_, "ncclTunerPlugin_v2"));
  }
  ~NcclTunerHost() {
    if (lib_) dlclose(lib_);
  }
  NcclTunerHost(const NcclTunerHost&) = delete;
  NcclTunerHost& operator=(const NcclTunerHost&) = delete;

  void* lib() const { return lib_; }
  bool has(int version) const { return symbol(version) != nullptr; }
  const void* symbol(int version) const {
    switch (version) {
      case 5: return v5_;
      case 4: return v4_;
      case 3: return v3_;
      case 2: return v2_;
    }
    return nullptr;
  }
  // NCCL's choice: the newest shape the library exports (tuner.cc ncclTunerPluginLoad).
  int version_nccl_picks() const {
    for (int v : {5, 4, 3, 2})
      if (has(v)) return v;
    return 0;
  }
  const char* name(int version) const {
    switch (version) {
      case 5: return v5_->name;
      case 4: return v4_->name;
      case 3: return v3_->name;
      case 2: return v2_->name;
    }
    return nullptr;
  }

  // init as NCCL calls it for one communicator, through the version's adapter.
  abi::Result init(int version, void** ctx, std::size_t nranks, std::size_t nnodes) {
    abi::NvlDomainInfoV5 nvl{1, static_cast<int>(nranks), static_cast<int>(nranks)};
    switch (version) {
      case 5: return v5_->init(ctx, 0x1234, nranks, nnodes, record_log, &nvl, &constants_);
      case 4: return v4_->init(nranks, nnodes, record_log, ctx);
      case 3: return v3_->init(nranks, nnodes, record_log, ctx);
      case 2: return v2_->init(nranks, nnodes, record_log, ctx);
    }
    return abi::internal_error;
  }

  // getCollInfo as enqueue.cc getAlgoInfo calls it: nChannels starts at 0.
  abi::Result coll_info(int version, void* ctx, int func, std::size_t nbytes, CostTable& table, int* nchannels) {
    switch (version) {
      case 5: return v5_->getCollInfo(ctx, func, nbytes, 1, table.as_nccl_passes_it(), 7, 3, 0, nchannels);
      case 4: return v4_->getCollInfo(ctx, func, nbytes, 1, table.as_nccl_passes_it(), 7, 3, 0, nchannels);
      case 3: return v3_->getCollInfo(ctx, func, nbytes, 1, table.as_nccl_passes_it(), 7, 3, nchannels);
      case 2: {
        // tuner_v2.cc: support flags from the table, then zero the named entry unless ignored.
        const int nvls = table.at(4, 2) != abi::kAlgoProtoIgnore || table.at(5, 2) != abi::kAlgoProtoIgnore;
        const int collnet = table.at(3, 2) != abi::kAlgoProtoIgnore;
        int algo = abi::kUndef, proto = abi::kUndef;
        const abi::Result r = v2_->getCollInfo(ctx, func, nbytes, collnet, nvls, 1, &algo, &proto, nchannels);
        if (algo >= 0 && algo < 7 && proto >= 0 && proto < 3 && table.at(algo, proto) != abi::kAlgoProtoIgnore)
          table.at(algo, proto) = 0.0f;
        return r;
      }
    }
    return abi::internal_error;
  }

  abi::Result finalize(int version, void* ctx) {
    switch (version) {
      case 5: return v5_->finalize(ctx);
      case 4: return v4_->destroy(ctx);
      case 3: return v3_->destroy(ctx);
      case 2: return v2_->destroy(ctx);
    }
    return abi::internal_error;
  }

 private:
  void* lib_ = nullptr;
  abi::TunerV5* v5_ = nullptr;
  abi::TunerV4* v4_ = nullptr;
  abi::TunerV3* v3_ = nullptr;
  abi::TunerV2* v2_ = nullptr;
  abi::TunerConstantsV5 constants_{};
};

}  // namespace cairn::test
