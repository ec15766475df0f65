// Helpers for probe tests: temporary directories and sysfs-like trees built from files.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>

#include "common/error.h"
#include "tests/support/error_of.h"
#include "tests/support/shared_topologies.h"
#include "tests/support/temp_dir.h"

namespace cairn::probe::test {

using ::cairn::test::error_of;
using ::cairn::test::TempDir;  // tests/support/temp_dir.h

}  // namespace cairn::probe::test
