#include "probe/cpuset.h"

#include <algorithm>
#include <bit>
#include <charconv>

namespace cairn::probe {
namespace {

// Bounds what a hostile file can make us allocate: 2^20 CPUs is far beyond any node.
constexpr unsigned kMaxIndex = 1u << 20;

bool parse_hex_word(std::string_view w, std::uint32_t& out) {
  if (w.size() >= 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) w.remove_prefix(2);
  if (w.empty() || w.size() > 8) return false;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out, 16);
  return ec == std::errc() && p == w.data() + w.size();
}

bool parse_uint(std::string_view s, unsigned& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<CpuSet> CpuSet::from_hwloc_bitmap(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    words.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!words.empty() && words.front() == "0xf...f") words.erase(words.begin());
  if (words.empty() || words.size() * 32 > kMaxIndex) return std::nullopt;
  CpuSet s;
  // The last word holds bits 0-31, the one before it 32-63, and so on.
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::uint32_t value = 0;
    auto w = words[words.size() - 1 - i];
    if (!w.empty() && !parse_hex_word(w, value)) return std::nullopt;
    for (unsigned b = 0; b < 32; ++b)
      if (value & (1u << b)) s.set(static_cast<unsigned>(i * 32 + b));
  }
  return s;
}

std::optional<CpuSet> CpuSet::from_list(std::string_view text) {
  CpuSet s;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return s;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    unsigned lo = 0, hi = 0;
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_uint(item, lo)) return std::nullopt;
      hi = lo;
    } else if (!parse_uint(item.substr(0, dash), lo) || !parse_uint(item.substr(dash + 1), hi)) {
      return std::nullopt;
    }
    if (hi < lo || hi >= kMaxIndex) return std::nullopt;
    s.set_range(lo, hi);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return s;
}

void CpuSet::set(unsigned index) {
  if (words_.size() <= index / 64) words_.resize(index / 64 + 1, 0);
  words_[index / 64] |= std::uint64_t{1} << (index % 64);
}

void CpuSet::set_range(unsigned lo, unsigned hi) {
  if (words_.size() <= hi / 64) words_.resize(hi / 64 + 1, 0);
  for (unsigned i = lo; i <= hi;) {
    if (i % 64 == 0 && hi - i >= 63) {
      words_[i / 64] = ~std::uint64_t{0};
      i += 64;
    } else {
      words_[i / 64] |= std::uint64_t{1} << (i % 64);
      ++i;
    }
  }
}

bool CpuSet::test(unsigned index) const {
  return index / 64 < words_.size() && (words_[index / 64] >> (index % 64)) & 1;
}

bool CpuSet::empty() const {
  return std::all_of(words_.begin(), words_.end(), [](std::uint64_t w) { return w == 0; });
}

unsigned CpuSet::count() const {
  unsigned n = 0;
  for (auto w : words_) n += static_cast<unsigned>(std::popcount(w));
  return n;
}

bool CpuSet::intersects(const CpuSet& other) const {
  auto n = std::min(words_.size(), other.words_.size());
  for (std::size_t i = 0; i < n; ++i)
    if (words_[i] & other.words_[i]) return true;
  return false;
}

std::vector<unsigned> CpuSet::indexes() const {
  std::vector<unsigned> out;
  for (std::size_t i = 0; i < words_.size(); ++i)
    for (std::uint64_t w = words_[i]; w; w &= w - 1)
      out.push_back(static_cast<unsigned>(i * 64 + std::countr_zero(w)));
  return out;
}

std::string CpuSet::to_list() const {
  std::string out;
  auto idx = indexes();
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(idx[i]);
    if (j > i) out += '-' + std::to_string(idx[j]);
    i = j + 1;
  }
  return out;
}

bool CpuSet::operator==(const CpuSet& other) const { return indexes() == other.indexes(); }

}  // namespace cairn::probe
