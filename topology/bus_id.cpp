#include "topology/bus_id.h"

#include <cctype>

namespace cairn::topology {
namespace {

bool all_hex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> normalize_bus_id(std::string_view text) {
  // domain ':' bus(2) ':' device(2) '.' function(1)
  auto c1 = text.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  auto domain = text.substr(0, c1);
  auto rest = text.substr(c1 + 1);
  if (rest.size() != 7 || rest[2] != ':' || rest[5] != '.') return std::nullopt;
  auto bus = rest.substr(0, 2), dev = rest.substr(3, 2), fn = rest.substr(6, 1);
  if (domain.size() < 4 || domain.size() > 8 || !all_hex(domain) || !all_hex(bus) || !all_hex(dev))
    return std::nullopt;
  if (fn[0] < '0' || fn[0] > '7') return std::nullopt;
  // A PCI device number has 5 bits.
  if (std::stoi(std::string(dev), nullptr, 16) > 0x1f) return std::nullopt;
  while (domain.size() > 4 && domain.front() == '0') domain.remove_prefix(1);
  return lower(domain) + ":" + lower(bus) + ":" + lower(dev) + "." + std::string(fn);
}

std::string root_bus_of(const std::string& bus_id) {
  auto last = bus_id.rfind(':');
  return last == std::string::npos ? bus_id : bus_id.substr(0, last);
}

std::string device_of(const std::string& bus_id) {
  auto dot = bus_id.rfind('.');
  return dot == std::string::npos ? bus_id : bus_id.substr(0, dot);
}

}  // namespace cairn::topology
