// The topology files of ../shared/topologies (hwloc XML, NCCL XML, a saved sysfs tree of a
// POWER9 node). They sit beside the checkout, not in it: a plain clone has none, so a
// test that reads them skips with the reason, and tests/fixtures/ covers the same readers.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace cairn::test {

// The path of `rel` (a file or folder) under ../shared/topologies, or "" when absent.
std::string shared_topology(const std::string& rel);
// One line for the skip: what is missing and what covers a plain clone.
std::string shared_topology_absent(const std::string& rel);

}  // namespace cairn::test

// Declares `const std::string var`, the path of `rel` under ../shared/topologies, or skips
// the test with the reason when it is absent. Use in a TEST body (GTEST_SKIP returns).
#define CAIRN_SHARED_TOPOLOGY_OR_SKIP(var, rel)                      \
  const std::string var = ::cairn::test::shared_topology(rel);       \
  if (var.empty()) GTEST_SKIP() << ::cairn::test::shared_topology_absent(rel)
