#include "collectives/measure/harness/options.h"

#include <string>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::coll::bench {

std::vector<DataType> parse_dtypes(std::string_view text) {
  if (text == "all")
    return {DataType::u8, DataType::i32, DataType::i64, DataType::f16, DataType::f32, DataType::f64, DataType::bf16};
  return {parse_dtype(text)};
}

std::vector<ReduceOp> parse_ops(std::string_view text) {
  if (text == "all") return {ReduceOp::sum, ReduceOp::prod, ReduceOp::max, ReduceOp::min, ReduceOp::avg};
  if (text == "mulsum")
    throw Error("-o mulsum (nccl-tests' pre-multiplied sum) is not a Cairn reduction: use sum, prod, max, min, avg "
                "or all");
  return {parse_op(text)};
}

std::vector<const CollTest*> parse_collectives(std::string_view text) {
  if (text == "all") return all_collectives();
  std::vector<const CollTest*> tests;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    try {
      tests.push_back(&find_collective(name));
    } catch (const Error& e) {
      // nccl-tests spells the reduction --op; Cairn's --op is the collective.
      const bool is_reduction = name == "sum" || name == "prod" || name == "max" || name == "min" || name == "avg";
      throw Error(std::string("--op: ") + e.what() +
                  (is_reduction ? "; the reduction is -o/--redop (nccl-tests' --op)" : ""));
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (tests.empty()) throw Error("--op is empty: name a collective or 'all'");
  return tests;
}

CollectiveSelection select_for_ranks(const std::vector<const CollTest*>& tests, int nranks, bool all) {
  CollectiveSelection selection;
  for (const CollTest* test : tests) {
    if (nranks >= test->min_ranks) {
      selection.run.push_back(test);
      continue;
    }
    if (!all)
      throw Error(fmt::format("--op {} needs at least {} ranks and this run has {}: start them with "
                              "'cairn launch -n {} -- cairn bench --op {} ...'",
                              test->name, test->min_ranks, nranks, test->min_ranks, test->name));
    selection.skipped.push_back(
        {test, fmt::format("needs at least {} ranks, this run has {}", test->min_ranks, nranks)});
  }
  return selection;
}

}  // namespace cairn::coll::bench
