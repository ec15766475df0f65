// Graphs from Cairn's own fixtures (tests/fixtures/): each committed capture and the
// /sys + /proc snapshot give a graph whose NCCL XML round trip keeps it whole. These run
// on a plain clone, where the ../shared topologies are absent.
#include <gtest/gtest.h>

#include <string>

#include "probe/discover.h"
#include "tests/support/fixtures.h"
#include "topology/from_probe.h"
#include "topology/nccl_xml.h"
#include "topology/paths.h"

namespace cairn::topology {
namespace {

using test::capture_fixtures;
using test::fixture;

void expect_round_trip(const Graph& g, const std::string& what) {
  Graph again = parse_nccl_xml(to_nccl_xml(g), what);
  EXPECT_EQ(canonical_text(again), canonical_text(g)) << what;
  EXPECT_EQ(format_matrix(again), format_matrix(g)) << what;
}

TEST(FixtureGraphs, EveryCaptureExportsAndReimportsTheSameGraph) {
  for (const auto& name : capture_fixtures()) {
    Graph g = graph_from_probe(probe::probe_capture(fixture("captures/" + name)));
    EXPECT_FALSE(g.of_kind(VertexKind::cpu).empty()) << name;
    expect_round_trip(g, name);
  }
}

TEST(FixtureGraphs, Debian12VmIsOneCpuAndOneEthernetNic) {
  Graph g = graph_from_probe(probe::probe_capture(fixture("captures/debian12-vm")));
  auto cpus = g.of_kind(VertexKind::cpu);
  ASSERT_EQ(cpus.size(), 1u);
  EXPECT_EQ(g.vertex(cpus[0]).cpu.cpus, "0-1");
  EXPECT_TRUE(g.of_kind(VertexKind::gpu).empty());
  auto nics = g.of_kind(VertexKind::nic);
  ASSERT_EQ(nics.size(), 1u);
  EXPECT_EQ(g.nic_name(nics[0]), "eth0");
}

TEST(FixtureGraphs, SnapshotGivesTheCpusOfTheCapture) {
  Graph snap = graph_from_probe(probe::probe_from(fixture("snapshots/debian12-vm")));
  Graph cap = graph_from_probe(probe::probe_capture(fixture("captures/debian12-vm")));
  auto cpus = snap.of_kind(VertexKind::cpu);
  ASSERT_EQ(cpus.size(), 1u);
  EXPECT_EQ(snap.vertex(cpus[0]).cpu.cpus, cap.vertex(cap.of_kind(VertexKind::cpu)[0]).cpu.cpus);
  expect_round_trip(snap, "snapshot");
}

}  // namespace
}  // namespace cairn::topology
