#include "train/data/text_shard.h"

#include "common/error.h"
#include "common/text_file.h"
#include "train/data/byte_tokenizer.h"
#include "train/data/token_shard.h"

namespace cairn::train {
namespace {

// Each input is read whole and tokenised in memory (4 bytes a token): a larger corpus
// goes in as several --input files (docs/data-format.md).
constexpr std::size_t kMaxInputFileBytes = std::size_t{2} << 30;

}  // namespace

TextShardStats write_byte_shard(const std::vector<std::string>& inputs, const std::string& output,
                                bool strip_fortune) {
  if (inputs.empty()) throw Error("no --input files given");
  TextShardStats stats;
  TokenShardWriter writer(output, kByteVocab);
  for (const auto& path : inputs) {
    std::string text = read_text_file(path, false, kMaxInputFileBytes);
    stats.input_bytes += text.size();
    if (strip_fortune) text = strip_fortune_separators(text);
    writer.append(byte_tokenize(text));
    ++stats.files;
  }
  stats.tokens = writer.count();
  writer.finish();
  return stats;
}

}  // namespace cairn::train
