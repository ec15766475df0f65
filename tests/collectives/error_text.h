// The message of the cairn::Error a call throws, or "(no error)": tests compare messages
// users read.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace cairn::coll::testing_support {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace cairn::coll::testing_support
