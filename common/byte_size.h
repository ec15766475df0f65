// Byte counts as flags give them: "8", "512K", "1M", "1.5G" (K/M/G are 2^10, 2^20, 2^30
// as in nccl-tests' parsesize; lower case too). Shared by `cairn bench` and friends
// (-b, -e, --bytes) and `cairn probe storage` (--size).
#pragma once

#include <cstddef>
#include <string_view>

namespace cairn {

// Throws cairn::Error naming `flag` and the text unless it is such a size.
std::size_t parse_size(std::string_view text, std::string_view flag);

}  // namespace cairn
