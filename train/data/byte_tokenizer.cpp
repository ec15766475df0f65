#include "train/data/byte_tokenizer.h"

namespace cairn::train {

std::vector<std::uint32_t> byte_tokenize(std::string_view text) {
  std::vector<std::uint32_t> t(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) t[i] = static_cast<unsigned char>(text[i]);
  return t;
}

std::string byte_detokenize(const std::vector<std::uint32_t>& tokens) {
  std::string s(tokens.size(), '\0');
  for (std::size_t i = 0; i < tokens.size(); ++i) s[i] = static_cast<char>(tokens[i] & 0xff);
  return s;
}

std::string strip_fortune_separators(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line != "%") out.append(text.substr(pos, (last ? end : end + 1) - pos));
    pos = last ? end : end + 1;
  }
  return out;
}

}  // namespace cairn::train
