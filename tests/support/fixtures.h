// Fixtures Cairn made itself and keeps in the repository (tests/fixtures/): what a plain
// clone tests the probe and topology readers on. captures/<name>/ holds one
// `cairn probe --capture` each, snapshots/<name>/ one hwloc-gather-topology tree each.
#pragma once

#include <string>
#include <vector>

namespace cairn::test {

// The path of `rel` under tests/fixtures.
std::string fixture(const std::string& rel);
// Every folder under tests/fixtures/captures, by name, sorted: a test over all of them
// covers a capture that is dropped in later without changing the test.
std::vector<std::string> capture_fixtures();

}  // namespace cairn::test
