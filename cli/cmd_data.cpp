// cairn data: text files -> a byte-level token shard (docs/data-format.md).
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/same_file.h"
#include "train/data/text_shard.h"

namespace cairn::cli {

int cmd_data(const Args& args) {
  po::options_description desc("Options");
  std::vector<std::string> inputs;
  std::string output;
  desc.add_options()
      ("input", po::value(&inputs)->multitoken()->required(), "text files to tokenise, in order (each at most 2 GiB)")
      ("output", po::value(&output)->required(), "token shard to write")
      ("fortune", po::bool_switch(), "drop fortune(6) '%' separator lines (the fortunes corpus)");
  po::variables_map vm;
  if (!parse_options("data", "--input FILES... --output SHARD [--fortune]", args, desc, vm)) return 0;
  for (const auto& input : inputs) refuse_output_over_inputs({"--output", output}, {{"--input", input}});
  const auto stats = train::write_byte_shard(inputs, output, vm["fortune"].as<bool>());
  std::cout << output << ": " << stats.tokens << " byte tokens (vocab 256) from " << stats.files
            << " file(s), " << stats.input_bytes << " bytes read\n";
  return 0;
}

}  // namespace cairn::cli
