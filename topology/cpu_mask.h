// CPU sets as NCCL's topology XML spells them (<cpu affinity="ffffffff,ffff0000,00000000">:
// the Linux cpumap format, 32-bit hex words, most significant first) converted to and from
// the Linux list strings the rest of Cairn keeps ("16-63").
#pragma once

#include <optional>
#include <string>

namespace cairn::topology {

// "0-19" -> "000fffff"; "" -> "00000000". std::nullopt if the list is malformed.
std::optional<std::string> cpu_list_to_mask(const std::string& list);

// "00000000,000fffff" -> "0-19". std::nullopt if the mask is malformed.
std::optional<std::string> cpu_mask_to_list(const std::string& mask);

}  // namespace cairn::topology
