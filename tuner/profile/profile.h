// A tuning profile: what `cairn tune` measured and chose, cell by cell, and what production
// applies. Cairn's NCCL tuner plugin (tuner/plugin/) reads it; nccl.env and the CSV that
// NCCL's example tuner plugin reads are derived from it. JSON, schema "cairn.tune.profile"
// v1 (docs/tuner.md has the full schema).
//
// A cell is keyed as the issue and NCCL's tuner API key a call: (collective, bytes,
// nNodes, nRanks), inside a profile that names its topology hash and NCCL version.
// `bytes` is NCCL's nBytes for the call, which is also the size column of nccl-tests and
// `cairn bench` (Row::size_bytes): count x element size for all_reduce, broadcast and
// reduce; the receive size (count x nRanks) for all_gather; the send size for
// reduce_scatter (enqueue.cc getAlgoInfo: ncclFuncMaxSendRecvCount).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json_io.h"

namespace cairn::tuner {

// NCCL's indices (nccl_common.h, 2.28): the rows and columns of the cost table its tuner
// API passes, and the names its example plugin's CSV uses.
enum class NcclAlgo : int { tree = 0, ring = 1, collnet_direct = 2, collnet_chain = 3, nvls = 4, nvls_tree = 5, pat = 6 };
enum class NcclProto : int { ll = 0, ll128 = 1, simple = 2 };
inline constexpr int kNcclNumAlgorithms = 7;
inline constexpr int kNcclNumProtocols = 3;
// ncclFunc_t: broadcast 0, reduce 1, all_gather 2, reduce_scatter 3, all_reduce 4.
enum class NcclFunc : int { broadcast = 0, reduce = 1, all_gather = 2, reduce_scatter = 3, all_reduce = 4 };

// "tree", "ring", "collnet_direct", ...; "ll", "ll128", "simple"; "broadcast", "reduce",
// "all_gather", "reduce_scatter", "all_reduce" (Cairn's spelling; NCCL's CSV spells
// allgather, reducescatter, allreduce). Parsers throw cairn::Error listing the names.
const char* to_string(NcclAlgo a);
const char* to_string(NcclProto p);
const char* to_string(NcclFunc f);
NcclAlgo parse_nccl_algo(const std::string& s);
NcclProto parse_nccl_proto(const std::string& s);
NcclFunc parse_nccl_func(const std::string& s);  // Cairn's or NCCL's spelling
std::optional<NcclFunc> nccl_func_of(const std::string& collective);  // none for alltoall, sendrecv

// One configuration of a backend, as the profile stores a cell's winner.
// NCCL (in-process, answered by the plugin): algorithm and protocol, channels (0: NCCL's).
// UCX: Cairn's host AlgoConfig (algorithm "automatic"|"ring"|"tree"|"rhd", chunk bytes,
// pipeline depth, channels; 0 = the backend's default).
struct Choice {
  std::optional<NcclAlgo> nccl_algorithm;  // set for NCCL choices
  std::optional<NcclProto> nccl_protocol;
  int channels = 0;
  std::string host_algorithm;              // set for UCX choices
  std::size_t chunk_bytes = 0;
  int pipeline_depth = 0;
  std::string key;                         // the candidate's key in the journal (candidate.h)
};

// Median time of one candidate in one cell with its spread, from interleaved rounds.
struct CellFigure {
  double time_us = 0;       // median over rounds
  double busbw_gb_s = 0;    // from time_us by nccl-tests' formula
  double spread = 0;        // (p75 - p25) / median over rounds
  int rounds = 0;
};

struct ProfileCell {
  std::string collective;   // "all_reduce", ...
  std::string dtype = "float";
  std::size_t bytes = 0;    // NCCL's nBytes (see above)
  int nnodes = 1;
  int nranks = 1;
  CellFigure default_figure;               // NCCL's (or UCX's) own choice
  std::optional<CellFigure> tuned_figure;  // the winner's, when one was declared
  std::optional<Choice> tuned;             // none: the default stays (lead within noise)
  double speedup = 1.0;                    // default time / tuned time (median of paired ratios)
  double speedup_low = 1.0, speedup_high = 1.0;  // its confidence interval
  int candidates_measured = 0;
};

struct Profile {
  std::string backend;          // "nccl" or "ucx"
  int nccl_version = 0;         // NCCL_VERSION_CODE of the library measured (0 for ucx)
  std::string topology_hash;    // of the node topology measured under (16 hex digits)
  int nnodes = 1;
  int nranks = 1;
  std::string created_utc;
  std::string host;             // rank 0's host name
  // Process-wide settings the sweep chose (per-process NCCL_* and FI_CXI_* variables,
  // per-communicator ncclConfig_t fields through their NCCL_* variables): nccl.env.
  std::map<std::string, std::string> environment;
  std::vector<ProfileCell> cells;
};

// The most read_profile_file takes: thousands of cells are a few MiB.
inline constexpr std::size_t kMaxProfileBytes = std::size_t{64} << 20;

Json profile_to_json(const Profile& p);
// Checks the schema and every field; errors name `source` and the field.
Profile profile_from_json(const Json& doc, const std::string& source);
Profile read_profile_file(const std::string& path);
void write_profile_file(const Profile& p, const std::string& path);  // atomic (common/atomic_file.h)

// The rule for one call, as the plugin applies it: the cell of the same collective,
// nnodes and nranks whose measured size is nearest to `bytes` on a log scale, only
// inside the measured range [smallest, largest measured size] and only where the
// neighbouring measured sizes are at most 4x apart (a sparse cell defers to NCCL);
// nullptr when no cell applies or the cell's default stays.
const ProfileCell* find_rule(const Profile& p, NcclFunc func, std::size_t bytes, int nnodes, int nranks);

// The sizes each measured cell of one (func, nnodes, nranks) answers under find_rule,
// [min_bytes, max_bytes] inclusive, ascending and disjoint; a cell whose default stays is
// listed too (find_rule gives nullptr there). The plugin builds these once per
// communicator and looks calls up with find_range; the CSV writes them out. Between two
// neighbours a size goes to the lower one when size^2 <= lower x upper (log-scale nearest).
struct RuleRange {
  std::size_t min_bytes = 0, max_bytes = 0;
  const ProfileCell* cell = nullptr;
};
std::vector<RuleRange> rule_ranges(const Profile& p, NcclFunc func, int nnodes, int nranks);
const RuleRange* find_range(const std::vector<RuleRange>& ranges, std::size_t bytes);  // nullptr: none

// nccl.env: one NAME=value line per environment entry, sorted, with a comment header that
// names the profile; NCCL_TUNER_PLUGIN=cairn and CAIRN_TUNER_PROFILE=<profile_path> last
// (nccl profiles only: a ucx profile has no per-call choices for NCCL).
std::string format_nccl_env(const Profile& p, const std::string& profile_path);
// NCCL's example plugin CSV (ext-tuner/example/nccl_tuner.conf, 2.28): one line a tuned
// NCCL cell, collective_type,min_bytes,max_bytes,algorithm,protocol,channels,nNodes,
// nRanks,numPipeOps,regBuff, the byte range being the cell's range under find_rule;
// channels -1 where the choice leaves them to NCCL. Empty for a ucx profile.
std::string format_example_plugin_csv(const Profile& p);

}  // namespace cairn::tuner
