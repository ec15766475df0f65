// The byte-level tokenizer: token = byte value, vocabulary 256. Lossless for any input
// (UTF-8 included) and needs no vocabulary file, which is all the CPU/CI model needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::train {

inline constexpr std::uint32_t kByteVocab = 256;

std::vector<std::uint32_t> byte_tokenize(std::string_view text);
std::string byte_detokenize(const std::vector<std::uint32_t>& tokens);

// fortune(6) files separate entries with lines holding only "%": drops those lines,
// leaving the entries back to back (each still ends in its own newline).
std::string strip_fortune_separators(std::string_view text);

}  // namespace cairn::train
