// A set of CPU (or NUMA node) indexes, read from the two spellings the probe meets:
// hwloc's bitmap strings ("0x000000ff,0xffff0000,0x0": 32-bit hex words, most
// significant first, an empty word meaning zero) and Linux list strings ("0-3,8,10-11"),
// and written as a list string (the form NodeInfo keeps).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::probe {

class CpuSet {
 public:
  CpuSet() = default;

  // std::nullopt when the text is not a bitmap. hwloc writes an infinite set as
  // "0xf...f,..."; its unbounded tail is dropped (only the stated words are kept).
  static std::optional<CpuSet> from_hwloc_bitmap(std::string_view text);
  // std::nullopt when the text is not a list ("" is the empty set).
  static std::optional<CpuSet> from_list(std::string_view text);

  void set(unsigned index);
  void set_range(unsigned lo, unsigned hi);  // lo..hi inclusive
  bool test(unsigned index) const;
  bool empty() const;
  unsigned count() const;
  bool intersects(const CpuSet& other) const;
  std::vector<unsigned> indexes() const;
  std::string to_list() const;  // "0-3,8"; "" when empty

  bool operator==(const CpuSet& other) const;

 private:
  std::vector<std::uint64_t> words_;  // bit i of words_[i / 64]
};

}  // namespace cairn::probe
