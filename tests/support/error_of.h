// The message of the cairn::Error a call throws, or "(no error)": tests compare the
// messages users read. Shared by every module's tests.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace cairn::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace cairn::test
