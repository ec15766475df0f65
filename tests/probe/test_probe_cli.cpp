// The built `cairn probe` binary end to end: a captured tree with one InfiniBand port down
// and one GPU link trained at half width reports exactly those two errors and exits 1,
// and bad inputs give one line naming the file and exit 2.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "common/text_file.h"
#include "probe_test_util.h"
#include "tests/support/fixtures.h"

namespace cairn::probe {
namespace {

using test::TempDir;

struct Run {
  int code = -1;
  std::string out, err;
};

Run cairn(const std::string& args) {
  static TempDir io("cli_io");
  std::string cmd = std::string(CAIRN_BINARY_DIR) + "/bin/cairn " + args + " >'" + (io / "out") + "' 2>'" + (io / "err") + "'";
  int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(io / "out", true);
  r.err = read_text_file(io / "err", true);
  return r;
}

// A capture as `cairn probe --capture` writes it, of the Conan node (hwloc file): its
// ConnectX-4 mlx5_0 with port 1 DOWN, and the CUDA GPU 84:00.0 trained at x8 of x16.
void write_capture(const TempDir& cap, const std::string& hwloc) {
  cap.write("hwloc.xml", read_text_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml"));
  cap.write("meta.json", R"({"schema": "cairn.probe-capture", "schema_version": 1, "hostname": "conan",
                             "date": "2024-05-01T12:00:00Z", "cairn_version": "0.1.0"})");
  cap.write("verbs.json", R"({"schema": "cairn.probe-verbs", "schema_version": 1, "active_mtu": {"mlx5_0": {"1": 4096}}})");
  cap.write("gpus.json", R"({"schema": "cairn.probe-gpus", "schema_version": 1,
    "cuda_available": true, "nvml_available": true, "notes": [],
    "cuda": [{"cuda_index": 0, "bus_id": "0000:84:00.0", "name": "Tesla K40m", "memory_bytes": 12079136768,
              "cc_major": 3, "cc_minor": 5, "source": "cuda"}],
    "nvml": [{"bus_id": "0000:84:00.0", "name": "Tesla K40m", "uuid": "GPU-5b1f9c0e-58c5-7d52-0ab2-b6e3e2c3d4a1",
              "memory_bytes": 12079136768, "cc_major": 3, "cc_minor": 5,
              "pcie": {"speed_gt_s": 8, "width": 8, "max_speed_gt_s": 8, "max_width": 16},
              "ecc_enabled": true, "ecc_corrected": 0, "ecc_uncorrected": 0, "retired_pages": 0,
              "retirement_pending": false, "throttle_reasons": ["gpu_idle"], "source": "nvml"}]})");
  const std::string ib = "sysfs/class/infiniband/mlx5_0/";
  cap.write(ib + "fw_ver", "12.28.2006\n");
  cap.write(ib + "node_guid", "248a:0703:001e:39fe\n");
  cap.write(ib + "device/uevent", "DRIVER=mlx5_core\nPCI_CLASS=20700\nPCI_ID=15B3:1013\nPCI_SUBSYS_ID=15B3:0013\n"
                                  "PCI_SLOT_NAME=0000:04:00.0\nMODALIAS=pci:v000015B3d00001013sv000015B3sd00000013bc02sc07i00\n");
  cap.mkdir(ib + "device/net/ib0");
  cap.write(ib + "ports/1/state", "1: DOWN\n");
  cap.write(ib + "ports/1/phys_state", "2: Polling\n");
  cap.write(ib + "ports/1/rate", "10 Gb/sec (4X SDR)\n");
  cap.write(ib + "ports/1/link_layer", "InfiniBand\n");
  cap.write(ib + "ports/1/lid", "0x0\n");
  cap.write(ib + "ports/1/gids/0", "fe80:0000:0000:0000:248a:0703:001e:39fe\n");
  for (auto [name, value] : {std::pair{"symbol_error", "0"}, {"link_downed", "1"}, {"port_rcv_errors", "0"},
                             {"port_xmit_discards", "0"}, {"link_error_recovery", "0"}, {"port_xmit_data", "81234"}})
    cap.write(ib + "ports/1/counters/" + name, std::string(value) + "\n");
  cap.write(ib + "ports/1/hw_counters/out_of_buffer", "0\n");
  auto link = [&](const std::string& bdf, const char* speed, int width, const char* max_speed, int max_width) {
    std::string d = "sysfs/bus/pci/devices/" + bdf + "/";
    cap.write(d + "current_link_speed", std::string(speed) + "\n");
    cap.write(d + "current_link_width", std::to_string(width) + "\n");
    cap.write(d + "max_link_speed", std::string(max_speed) + "\n");
    cap.write(d + "max_link_width", std::to_string(max_width) + "\n");
  };
  link("0000:80:03.0", "8.0 GT/s PCIe", 8, "8.0 GT/s PCIe", 16);  // root port of the GPU and the HCA
  link("0000:84:00.0", "8.0 GT/s PCIe", 8, "8.0 GT/s PCIe", 16);  // the K40m: x8 of x16
  link("0000:04:00.0", "8.0 GT/s PCIe", 8, "8.0 GT/s PCIe", 8);   // the ConnectX-4: a x8 card
  link("0000:83:00.0", "5.0 GT/s PCIe", 16, "5.0 GT/s PCIe", 16);
  cap.write("sysfs/class/net/eth0/operstate", "up\n");
  cap.write("sysfs/class/net/eth0/speed", "1000\n");
  cap.write("sysfs/class/net/eth0/mtu", "1500\n");
}

TEST(ProbeCli, CaptureWithPortDownAndHalfWidthLinkGivesExactlyTwoErrors) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  TempDir cap("capture");
  write_capture(cap, hwloc);
  auto r = cairn("probe --json --from '" + cap.str() + "'");
  EXPECT_EQ(r.code, 1) << r.err;
  auto doc = parse_json(r.out, "stdout");
  std::vector<std::string> errors;
  for (const auto& f : doc["findings"])
    if (f["severity"] == "error") errors.push_back(f["check"].get<std::string>() + " " + f["subject"].get<std::string>());
  EXPECT_EQ(errors, (std::vector<std::string>{"ib_port_not_active mlx5_0 port 1",
                                              "pcie_downtrained GPU 0 (0000:84:00.0)"}));
  // The capture's facts arrived: the GPU is CUDA 0 with its NVML UUID, the port has its MTU.
  EXPECT_EQ(doc["gpus"][0]["bus_id"], "0000:84:00.0");
  EXPECT_EQ(doc["gpus"][0]["uuid"], "GPU-5b1f9c0e-58c5-7d52-0ab2-b6e3e2c3d4a1");
  EXPECT_EQ(doc["gpus"][0]["numa_node"], 1);
  EXPECT_EQ(doc["source"], "capture:" + cap.str());

  auto text = cairn("probe --from '" + cap.str() + "'");
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("Findings: 2 errors"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("DOWN/Polling"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Gen3 x8/Gen3 x16"), std::string::npos) << text.out;

  // Healthy again once the port is up and the card reseated: exit 0.
  cap.write("sysfs/class/infiniband/mlx5_0/ports/1/state", "4: ACTIVE\n");
  cap.write("sysfs/class/infiniband/mlx5_0/ports/1/phys_state", "5: LinkUp\n");
  cap.write("sysfs/bus/pci/devices/0000:84:00.0/current_link_width", "16\n");
  cap.write("sysfs/bus/pci/devices/0000:80:03.0/current_link_width", "16\n");
  auto fixed = cairn("probe --from '" + cap.str() + "'");
  EXPECT_EQ(fixed.code, 0) << fixed.out;
}

TEST(ProbeCli, ExpectSpecTurnsShortfallsIntoErrors) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  TempDir cap("capture_expect");
  write_capture(cap, hwloc);
  cap.write("sysfs/class/infiniband/mlx5_0/ports/1/state", "4: ACTIVE\n");
  cap.write("sysfs/class/infiniband/mlx5_0/ports/1/rate", "56 Gb/sec (4X FDR)\n");
  cap.write("sysfs/bus/pci/devices/0000:84:00.0/current_link_width", "16\n");
  cap.write("spec.json", R"({"schema": "cairn.expect", "schema_version": 1, "gpus": 4, "nics": 1, "nic_rate_gbit_s": 100})");
  auto r = cairn("probe --json --expect '" + (cap / "spec.json") + "' --from '" + cap.str() + "'");
  EXPECT_EQ(r.code, 1);
  std::vector<std::string> errors;
  auto doc = parse_json(r.out, "stdout");
  for (const auto& f : doc["findings"])
    if (f["severity"] == "error") errors.push_back(f["check"].get<std::string>());
  EXPECT_EQ(errors, (std::vector<std::string>{"ib_port_slow", "gpu_count"}));
}

// One line on stderr naming the file and the problem, exit 2.
void expect_bad_input(const std::string& args, const std::string& file, const std::string& problem) {
  auto r = cairn(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.out << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(problem), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(ProbeCli, BadInputsFailWithOneLineNamingTheFile) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  TempDir d("bad_inputs");
  auto xml = read_text_file(hwloc + "/24em64t-2n6c2t-pci.xml");
  d.write("truncated.xml", xml.substr(0, xml.size() * 2 / 3));
  expect_bad_input("probe --from '" + (d / "truncated.xml") + "'", "truncated.xml", "malformed XML");
  d.write("v1.xml", "<?xml version=\"1.0\"?>\n<topology><object type=\"Machine\"/></topology>\n");
  expect_bad_input("probe --from '" + (d / "v1.xml") + "'", "v1.xml", "hwloc 1.x");
  d.write("empty.xml", "");
  expect_bad_input("probe --from '" + (d / "empty.xml") + "'", "empty.xml", "empty");
  expect_bad_input("probe --from '" + (d / "missing.xml") + "'", "missing.xml", "no such file");

  auto json = read_text_file(hwloc + "/nvidiaDGX2.xml");
  d.write("truncated.json", "{\"schema\": \"cairn.probe\", \"schema_version\": 1, \"gpus\": [");
  expect_bad_input("probe --from '" + (d / "truncated.json") + "'", "truncated.json", "malformed JSON");
  d.write("v9.json", R"({"schema": "cairn.probe", "schema_version": 9})");
  expect_bad_input("probe --from '" + (d / "v9.json") + "'", "v9.json", "schema_version 9 is not supported");
  d.write("spec.json", R"({"schema": "cairn.expect", "schema_version": 1, "gpus": "eight"})");
  expect_bad_input("probe --expect '" + (d / "spec.json") + "' --from '" + (d / "v9.json") + "'", "spec.json", "\"gpus\"");
  d.write("empty.json", "");
  expect_bad_input("probe --expect '" + (d / "empty.json") + "'", "empty.json", "empty");
  d.mkdir("notacapture");
  expect_bad_input("probe --from '" + (d / "notacapture") + "'", "notacapture", "not a capture");

  TempDir cap("capture_bad");
  write_capture(cap, hwloc);
  cap.write("gpus.json", R"({"schema": "cairn.probe-gpus", "schema_version": 1, "cuda_available": true)");
  expect_bad_input("probe --from '" + cap.str() + "'", "gpus.json", "malformed JSON");
  expect_bad_input("probe --frm x", "--frm", "unrecognised");
}

TEST(ProbeCli, LiveCaptureReplaysToTheSameNode) {
  TempDir d("live_capture");
  auto live = cairn("probe --json --capture '" + (d / "cap") + "'");
  ASSERT_NE(live.code, 2) << live.err;
  auto replay = cairn("probe --json --from '" + (d / "cap") + "'");
  ASSERT_EQ(replay.code, live.code) << replay.err;
  auto a = parse_json(live.out, "live"), b = parse_json(replay.out, "replay");
  EXPECT_EQ(a["source"], "live");
  a.erase("source");
  b.erase("source");
  EXPECT_EQ(a, b);
  // A second capture into the same directory is refused rather than mixed.
  auto again = cairn("probe --capture '" + (d / "cap") + "'");
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("not an empty directory"), std::string::npos) << again.err;
}

// A committed capture (tests/fixtures/captures) through the built command: what a plain
// clone has of the capture tests above, which need ../shared's hwloc files.
TEST(ProbeCli, FromCommittedCapture) {
  const std::string dir = ::cairn::test::fixture("captures/debian12-vm");
  auto r = cairn("probe --json --from '" + dir + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = parse_json(r.out, "capture");
  EXPECT_EQ(doc["source"], "capture:" + dir);
  EXPECT_EQ(doc["hostname"], "vm");
  ASSERT_EQ(doc["nics"].size(), 1u);
  EXPECT_EQ(doc["nics"][0]["name"], "eth0");
  EXPECT_TRUE(doc["findings"].empty()) << doc["findings"].dump();
  auto text = cairn("probe --from '" + dir + "'");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("[capture:" + dir + "]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Findings: 0 errors, 0 warnings"), std::string::npos) << text.out;
}

// A plain /sys + /proc snapshot (tests/fixtures/snapshots, hwloc-gather-topology's tree)
// is read like a capture: the built command reports the VM it was saved on.
TEST(ProbeCli, FromSnapshotDirectory) {
  const std::string dir = ::cairn::test::fixture("snapshots/debian12-vm");
  auto r = cairn("probe --json --from '" + dir + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = parse_json(r.out, "snapshot");
  EXPECT_EQ(doc["source"], "snapshot:" + dir);
  EXPECT_EQ(doc["hostname"], "vm");
  auto text = cairn("probe --from '" + dir + "'");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("[snapshot:" + dir + "]"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace cairn::probe
