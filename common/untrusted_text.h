// Quoting text that came from outside (a file, a sysfs attribute, a flag's value) in an
// error message, so one hostile value cannot turn a one-line error into megabytes or
// several lines: control characters and non-ASCII bytes are escaped, and only the first
// few dozen bytes are kept, with a count of what was cut.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

// How many bytes of an untrusted value an error message quotes.
inline constexpr std::size_t kExcerptBytes = 48;

// "\"abc\"" for short text; "\"abcdef...\" (20971520 bytes, 20971472 not shown)" for long
// text. \n, \r, \t, quotes and backslashes are escaped C-style, other control characters
// and bytes >= 0x80 as \xNN, so the result is one line of printable ASCII.
std::string quote_excerpt(std::string_view text, std::size_t keep = kExcerptBytes);

// The longest error line a command prints, prefix and newline included: a path and a
// sentence fit, a file's contents do not. main() cuts to it; the hostile suite checks it.
inline constexpr std::size_t kMaxErrorLineBytes = 400;

// The last guard of the one-line contract: control characters (newlines included) are
// escaped, and a message longer than max_bytes is cut in the middle ("head ... [N bytes
// cut] ... tail"), so the thing it names (the head) and the fix (the tail) both remain.
// UTF-8 sequences are never split.
std::string one_line(std::string_view message, std::size_t max_bytes);

}  // namespace cairn
