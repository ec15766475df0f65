#include "common/untrusted_text.h"

#include <cstdio>

namespace cairn {
namespace {

void append_escaped(std::string& out, unsigned char c, bool escape_non_ascii) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (c < 0x20 || c == 0x7f || (escape_non_ascii && c >= 0x80)) {
    char hex[5];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
  } else {
    out += static_cast<char>(c);
  }
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string quote_excerpt(std::string_view text, std::size_t keep) {
  const std::string_view shown = text.substr(0, keep);
  std::string out = "\"";
  for (char c : shown) {
    if (c == '"' || c == '\\') out += '\\';
    append_escaped(out, static_cast<unsigned char>(c), true);
  }
  out += '"';
  if (shown.size() < text.size()) {
    out.insert(out.size() - 1, "...");
    out += " (" + std::to_string(text.size()) + " bytes, " + std::to_string(text.size() - shown.size()) +
           " not shown)";
  }
  return out;
}

std::string one_line(std::string_view message, std::size_t max_bytes) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (char c : s) append_escaped(out, static_cast<unsigned char>(c), false);
    return out;
  };
  if (message.size() <= max_bytes) {
    std::string flat = escape(message);
    if (flat.size() <= max_bytes) return flat;
  }
  // Only the first and last max_bytes can survive the cut, so escape just those.
  const std::size_t ends = message.size() < max_bytes ? message.size() : max_bytes;
  const std::string head = escape(message.substr(0, ends));
  const std::string tail = escape(message.substr(message.size() - ends));
  const std::string marker = " [...] ";
  const std::size_t room = max_bytes > marker.size() ? max_bytes - marker.size() : 0;
  std::size_t head_bytes = room / 2;
  std::size_t tail_from = tail.size() - (room - head_bytes);
  while (head_bytes > 0 && is_continuation(head[head_bytes])) --head_bytes;
  while (tail_from < tail.size() && is_continuation(tail[tail_from])) ++tail_from;
  return head.substr(0, head_bytes) + marker + tail.substr(tail_from);
}

}  // namespace cairn
