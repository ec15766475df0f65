#include "collectives/measure/harness/report.h"

#include <cstdarg>
#include <cstdio>

#include "collectives/backends/ucx/algo_select.h"

namespace cairn::coll::bench {
namespace {

// printf into a std::string: the formats below are nccl-tests' own, kept verbatim so the
// columns line up with its output.
[[gnu::format(printf, 1, 2)]] std::string printf_string(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return std::string(buf, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

std::string format_body(const Measurement& m) {
  const std::string time = format_float(m.time_us, 7);
  const std::string alg = format_float(m.algbw_gb_s, 6);
  const std::string bus = format_float(m.busbw_gb_s, 6);
  if (m.wrong)
    return printf_string("  %7s  %6s  %6s  %6g", time.c_str(), alg.c_str(), bus.c_str(), static_cast<double>(*m.wrong));
  return printf_string("  %7s  %6s  %6s    N/A", time.c_str(), alg.c_str(), bus.c_str());
}

Json measurement_json(const Measurement& m) {
  Json j = {{"time_us", m.time_us}, {"algbw_gb_s", m.algbw_gb_s}, {"busbw_gb_s", m.busbw_gb_s}};
  j["wrong"] = m.wrong ? Json(*m.wrong) : Json(nullptr);
  return j;
}

}  // namespace

std::string_view nccl_tests_name(DataType dt) {
  switch (dt) {
    case DataType::f32: return "float";
    case DataType::f16: return "half";
    case DataType::bf16: return "bfloat16";
    case DataType::f64: return "double";
    case DataType::i32: return "int32";
    case DataType::i64: return "int64";
    case DataType::u8: return "uint8";
  }
  return "?";
}

std::string_view nccl_tests_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::prod: return "prod";
    case ReduceOp::max: return "max";
    case ReduceOp::min: return "min";
    case ReduceOp::avg: return "avg";
  }
  return "?";
}

std::string format_float(double value, int width) {
  char buf[64];
  const auto w = static_cast<std::size_t>(width);
  if (static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%*.2f", width, value)) <= w) return buf;
  if (static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%*.1f", width, value)) <= w) return buf;
  if (static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%*.0f", width, value)) <= w) return buf;
  std::snprintf(buf, sizeof buf, width >= 7 ? "%*.1e" : "%*.0e", width, value);
  return std::string(buf).substr(0, w);
}

std::string preamble(const RunInfo& info) {
  const SweepOptions& o = info.options;
  const bool by_factor = o.step_factor > 1;
  std::string s = "# " + info.tool_line + "\n";
  s += printf_string(
      "# nThread 1 nGpus 1 minBytes %zu maxBytes %zu step: %zu(%s) warmup iters: %d iters: %d agg iters: 1 "
      "validation: %d graph: 0\n",
      o.min_bytes, o.max_bytes, by_factor ? o.step_factor : o.step_bytes, by_factor ? "factor" : "bytes",
      o.warmup_iters, o.iters, o.check_iters);
  if (o.blocking) s += "# Blocking Enabled: wait and barrier after each inner iteration (-m) \n";
  s += "#\n# Using devices\n";
  for (const std::string& d : info.devices) s += d + "\n";
  for (const SkippedCollective& k : info.skipped)
    s += "#\n# Skipped " + std::string(k.test->perf_name) + ": " + k.reason + "\n";
  return s;
}

std::string header_lines() {
  std::string s = "#\n";
  s += printf_string("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          \n",
                     "", "", "", "", "");
  s += printf_string("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s %*s\n", "size", "count",
                     "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong", 0,
                     "");
  s += printf_string("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s %*s\n", "(B)", "(elements)",
                     "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "", 0, "");
  return s;
}

std::string format_row(const Row& row) {
  const std::string root = printf_string("%6i", row.root);
  const std::string type(nccl_tests_name(row.dtype));
  const std::string op(row.op ? nccl_tests_name(*row.op) : "none");
  return printf_string("%12zu  %12zu  %8s  %6s  %6s", row.size_bytes, row.count, type.c_str(), op.c_str(),
                       root.c_str()) +
         format_body(row.out_of_place) + format_body(row.in_place) + "\n";
}

std::string footer_lines(const CollectiveReport& report) {
  std::string s = printf_string("# %-20s : %d %s\n", "Out of bounds values", report.out_of_bounds,
                                report.out_of_bounds ? "FAILED" : "OK");
  s += printf_string("# %-20s : %g %s\n", "Avg bus bandwidth", report.avg_busbw_gb_s, "");
  s += "#\n";
  return s;
}

void TableSink::begin(const CollTest& test) {
  os_ << "# Collective test starting: " << test.perf_name << "\n" << header_lines() << std::flush;
}

void TableSink::row(const Row& row) { os_ << format_row(row) << std::flush; }

void TableSink::end(const CollectiveReport& report) {
  os_ << footer_lines(report) << "# Collective test concluded: " << report.test->perf_name << "\n#\n" << std::flush;
}

Json host_algo_config_json(const AlgoConfig& c) {
  const detail::Knobs k = detail::resolve_knobs(c);
  return {{"algorithm", std::string(to_string(c.algorithm))},
          {"chunk_bytes", k.chunk_bytes},
          {"pipeline_depth", k.depth},
          {"channels", k.channels}};
}

Json to_json(const RunInfo& info, const std::vector<CollectiveReport>& reports) {
  const SweepOptions& o = info.options;
  Json config = {{"min_bytes", o.min_bytes},       {"max_bytes", o.max_bytes},  {"iters", o.iters},
                 {"warmup_iters", o.warmup_iters}, {"check_iters", o.check_iters}, {"root", o.root},
                 {"average", o.average},           {"blocking", o.blocking}};
  if (o.step_factor > 1)
    config["step_factor"] = o.step_factor;
  else
    config["step_bytes"] = o.step_bytes;
  Json collectives = Json::array();
  for (const CollectiveReport& r : reports) {
    Json rows = Json::array();
    for (const Row& row : r.rows) {
      rows.push_back({{"size", row.size_bytes},
                      {"count", row.count},
                      {"type", nccl_tests_name(row.dtype)},
                      {"redop", row.op ? nccl_tests_name(*row.op) : "none"},
                      {"root", row.root},
                      {"out_of_place", measurement_json(row.out_of_place)},
                      {"in_place", measurement_json(row.in_place)}});
    }
    collectives.push_back({{"name", r.test->name},
                           {"results", rows},
                           {"out_of_bounds", r.out_of_bounds},
                           {"avg_busbw_gb_s", r.avg_busbw_gb_s}});
  }
  Json skipped = Json::array();
  for (const SkippedCollective& k : info.skipped) skipped.push_back({{"name", k.test->name}, {"reason", k.reason}});
  Json doc = {{"tool", info.tool_line},  {"backend", info.backend},          {"nranks", info.nranks},
              {"config", config},        {"devices", info.devices},          {"collectives", collectives},
              {"skipped", skipped},
              {"host_algo_config", host_algo_config_json(info.algo)},     {"environment", info.environment}};
  return with_schema(doc, kBenchSchema, kBenchSchemaVersion);
}

}  // namespace cairn::coll::bench
