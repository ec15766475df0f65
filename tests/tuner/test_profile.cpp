// The profile schema (tuner/profile/profile.h): round trip, a refusal naming the field for
// every malformed field, find_rule's edges, nccl.env and NCCL's example CSV, and the
// node topology hash (tuner/profile/topology_hash.h).
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/support/error_of.h"
#include "tests/support/fixtures.h"
#include "tests/tuner/sample_profile.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/topology_hash.h"

namespace cairn::tuner {
namespace {
namespace fs = std::filesystem;
using test::error_of;
using test::sample_profile;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("cairn_tuner_profile_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(ProfileNames, RoundTripAndRefuse) {
  for (int i = 0; i < kNcclNumAlgorithms; ++i)
    EXPECT_EQ(parse_nccl_algo(to_string(static_cast<NcclAlgo>(i))), static_cast<NcclAlgo>(i));
  for (int i = 0; i < kNcclNumProtocols; ++i)
    EXPECT_EQ(parse_nccl_proto(to_string(static_cast<NcclProto>(i))), static_cast<NcclProto>(i));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(parse_nccl_func(to_string(static_cast<NcclFunc>(i))), static_cast<NcclFunc>(i));
  EXPECT_EQ(parse_nccl_func("allreduce"), NcclFunc::all_reduce);
  EXPECT_EQ(parse_nccl_func("reducescatter"), NcclFunc::reduce_scatter);
  EXPECT_EQ(nccl_func_of("alltoall"), std::nullopt);
  EXPECT_EQ(nccl_func_of("all_gather"), NcclFunc::all_gather);
  EXPECT_NE(error_of([] { parse_nccl_algo("rings"); }).find("expected one of tree, ring"), std::string::npos);
  EXPECT_NE(error_of([] { parse_nccl_proto("LL"); }).find("ll, ll128, simple"), std::string::npos);
  EXPECT_NE(error_of([] { parse_nccl_func("alltoall"); }).find("allreduce"), std::string::npos);
}

TEST(ProfileFile, RoundTrip) {
  const auto dir = temp_dir("round_trip");
  Profile p = sample_profile();
  const std::string path = (dir / "profile.json").string();
  write_profile_file(p, path);
  const Profile back = read_profile_file(path);
  EXPECT_EQ(profile_to_json(back), profile_to_json(p));
  ASSERT_EQ(back.cells.size(), p.cells.size());
  EXPECT_EQ(back.cells[2].tuned->channels, 4);
  EXPECT_EQ(back.cells[2].tuned->nccl_protocol, NcclProto::ll128);
  EXPECT_FALSE(back.cells[1].tuned);

  Profile u;
  u.backend = "ucx";
  u.topology_hash = "fedcba9876543210";
  u.nranks = 4;
  auto cell = test::sample_cell("all_reduce", 4096, 1, 4);
  cell.tuned = Choice{.channels = 2, .host_algorithm = "rhd", .chunk_bytes = 65536, .pipeline_depth = 4, .key = "ucx/rhd"};
  cell.tuned_figure = cell.default_figure;
  u.cells.push_back(cell);
  u.cells.push_back(test::sample_cell("alltoall", 4096, 1, 4));
  write_profile_file(u, path);
  EXPECT_EQ(profile_to_json(read_profile_file(path)), profile_to_json(u));
  fs::remove_all(dir);
}

TEST(ProfileFile, FuzzSeedIsAValidProfile) {
  // The fuzzer's seed must reach the plugin's rules: valid, and keyed to an empty PCI tree.
  const Profile p = read_profile_file(std::string(CAIRN_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_tuner_profile/valid_profile.json");
  EXPECT_EQ(p.topology_hash, "ef46db3751d8e999");
  EXPECT_EQ(p.nranks, 8);
  EXPECT_NE(find_rule(p, NcclFunc::all_reduce, 1024, 1, 8), nullptr);
}

TEST(ProfileFile, WriterRefusesWhatTheReaderWould) {
  const auto dir = temp_dir("writer");
  Profile p = sample_profile();
  p.cells[0].nranks = 0;
  const std::string path = (dir / "p.json").string();
  EXPECT_NE(error_of([&] { write_profile_file(p, path); }).find("cells[0].nranks"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));
  fs::remove_all(dir);
}

TEST(ProfileFile, MissingOrMalformedFileNamesIt) {
  const auto dir = temp_dir("missing");
  const std::string path = (dir / "nope.json").string();
  EXPECT_NE(error_of([&] { read_profile_file(path); }).find(path), std::string::npos);
  write(dir / "bad.json", "{\"schema\": ");
  EXPECT_NE(error_of([&] { read_profile_file((dir / "bad.json").string()); }).find("malformed JSON"), std::string::npos);
  write(dir / "other.json", "{\"schema\": \"cairn.bench\", \"schema_version\": 2}");
  EXPECT_NE(error_of([&] { read_profile_file((dir / "other.json").string()); }).find("cairn.tune.profile"),
            std::string::npos);
  fs::remove_all(dir);
}

// One malformed field each: the error names the source and the field.
struct Malformed {
  const char* what;
  std::function<void(Json&)> change;
  const char* expect;
};

TEST(ProfileFile, EveryMalformedFieldIsRefusedByName) {
  const std::vector<Malformed> cases = {
      {"schema_version", [](Json& j) { j["schema_version"] = 2; }, "schema_version 2"},
      {"unknown top field", [](Json& j) { j["cels"] = Json::array(); }, "unknown field \"cels\""},
      {"backend", [](Json& j) { j["backend"] = "mpi"; }, "field \"backend\""},
      {"backend type", [](Json& j) { j["backend"] = 1; }, "\"backend\" has the wrong type"},
      {"nccl_version", [](Json& j) { j["nccl_version"] = 0; }, "field \"nccl_version\""},
      {"nccl_version float", [](Json& j) { j["nccl_version"] = 22809.5; }, "\"nccl_version\" has the wrong type"},
      {"topology_hash", [](Json& j) { j["topology_hash"] = "0123"; }, "field \"topology_hash\""},
      {"topology_hash upper", [](Json& j) { j["topology_hash"] = "0123456789ABCDEF"; }, "field \"topology_hash\""},
      {"nnodes", [](Json& j) { j["nnodes"] = 0; }, "field \"nnodes\""},
      {"nranks", [](Json& j) { j["nranks"] = 0; }, "field \"nranks\""},
      {"nranks missing", [](Json& j) { j.erase("nranks"); }, "missing field \"nranks\""},
      {"created_utc", [](Json& j) { j["created_utc"] = "a\nb"; }, "field \"created_utc\""},
      {"host", [](Json& j) { j["host"] = std::string(300, 'h'); }, "field \"host\""},
      {"environment type", [](Json& j) { j["environment"] = "x"; }, "field \"environment\""},
      {"environment name", [](Json& j) { j["environment"]["nccl_x"] = "1"; }, "variable name \"nccl_x\""},
      {"environment value", [](Json& j) { j["environment"]["NCCL_X"] = 1; }, "\"environment.NCCL_X\" has the wrong type"},
      {"environment newline", [](Json& j) { j["environment"]["NCCL_X"] = "1\nrm"; }, "field \"environment.NCCL_X\""},
      {"environment reserved", [](Json& j) { j["environment"]["NCCL_TUNER_PLUGIN"] = "x"; },
       "\"environment.NCCL_TUNER_PLUGIN\" is set by nccl.env"},
      {"cells type", [](Json& j) { j["cells"] = Json::object(); }, "field \"cells\" must be an array"},
      {"cell type", [](Json& j) { j["cells"][0] = 3; }, "field \"cells[0]\" must be a JSON object"},
      {"cell unknown", [](Json& j) { j["cells"][0]["tuned_choice"] = 1; }, "unknown field \"cells[0].tuned_choice\""},
      {"collective", [](Json& j) { j["cells"][1]["collective"] = "allreduce"; }, "field \"cells[1].collective\""},
      {"dtype", [](Json& j) { j["cells"][1]["dtype"] = "Float 32"; }, "field \"cells[1].dtype\""},
      {"bytes zero", [](Json& j) { j["cells"][1]["bytes"] = 0; }, "field \"cells[1].bytes\" must be an integer >= 1"},
      {"bytes negative", [](Json& j) { j["cells"][1]["bytes"] = -4096; }, "field \"cells[1].bytes\""},
      {"bytes float", [](Json& j) { j["cells"][1]["bytes"] = 4096.5; }, "\"cells[1].bytes\" has the wrong type"},
      {"cell nnodes", [](Json& j) { j["cells"][1]["nnodes"] = -1; }, "field \"cells[1].nnodes\""},
      {"cell nranks", [](Json& j) { j["cells"][4]["nranks"] = 1; }, "field \"cells[4].nranks\""},
      {"default missing", [](Json& j) { j["cells"][1].erase("default"); }, "missing field \"cells[1].default\""},
      {"time_us", [](Json& j) { j["cells"][1]["default"]["time_us"] = 0; }, "\"cells[1].default.time_us\" must be > 0"},
      {"busbw", [](Json& j) { j["cells"][1]["default"]["busbw_gb_s"] = -1; }, "\"cells[1].default.busbw_gb_s\""},
      {"spread", [](Json& j) { j["cells"][1]["default"]["spread"] = "x"; }, "\"cells[1].default.spread\" has the wrong"},
      {"rounds", [](Json& j) { j["cells"][1]["default"]["rounds"] = 0; }, "\"cells[1].default.rounds\""},
      {"tuned alone", [](Json& j) { j["cells"][0].erase("tuned_figure"); }, "\"cells[0].tuned\" and \"cells[0].tuned_figure\""},
      {"algorithm", [](Json& j) { j["cells"][0]["tuned"]["nccl_algorithm"] = "Ring"; }, "\"cells[0].tuned.nccl_algorithm\""},
      {"protocol", [](Json& j) { j["cells"][0]["tuned"]["nccl_protocol"] = "ll64"; }, "\"cells[0].tuned.nccl_protocol\""},
      {"protocol missing", [](Json& j) { j["cells"][0]["tuned"].erase("nccl_protocol"); },
       "missing field \"cells[0].tuned.nccl_protocol\""},
      {"channels", [](Json& j) { j["cells"][0]["tuned"]["channels"] = 65; }, "\"cells[0].tuned.channels\" must be an integer in [0, 64]"},
      {"key", [](Json& j) { j["cells"][0]["tuned"]["key"] = 5; }, "\"cells[0].tuned.key\" has the wrong type"},
      {"ucx field in nccl", [](Json& j) { j["cells"][0]["tuned"]["host_algorithm"] = "ring"; }, "(ucx fields)"},
      {"tuned figure", [](Json& j) { j["cells"][0]["tuned_figure"]["rounds"] = -3; }, "\"cells[0].tuned_figure.rounds\""},
      {"speedup", [](Json& j) { j["cells"][0]["speedup"] = 0; }, "\"cells[0].speedup\""},
      {"speedup interval", [](Json& j) { j["cells"][0]["speedup_low"] = 3.0; }, "speedup_low <= speedup_high"},
      {"candidates", [](Json& j) { j["cells"][0]["candidates_measured"] = -1; }, "\"cells[0].candidates_measured\""},
      {"duplicate cell", [](Json& j) { j["cells"][1]["bytes"] = 1024; }, "\"cells[1]\" repeats an earlier cell"},
      {"nccl winner for alltoall", [](Json& j) { j["cells"][0]["collective"] = "alltoall"; }, "\"cells[0].tuned\": NCCL's tuner"},
  };
  const Json good = profile_to_json(sample_profile());
  ASSERT_NO_THROW(profile_from_json(good, "p.json"));
  for (const auto& c : cases) {
    Json doc = good;
    c.change(doc);
    const std::string e = error_of([&] { profile_from_json(doc, "p.json"); });
    EXPECT_EQ(e.rfind("p.json: ", 0), 0u) << c.what << ": " << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.what << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << c.what;
  }
}

TEST(ProfileFile, UcxChoicesAreChecked) {
  Profile u;
  u.backend = "ucx";
  u.topology_hash = "fedcba9876543210";
  u.nranks = 4;
  auto cell = test::sample_cell("all_reduce", 4096, 1, 4);
  cell.tuned = Choice{.host_algorithm = "rhd", .key = "ucx/rhd"};
  cell.tuned_figure = cell.default_figure;
  u.cells.push_back(cell);
  Json doc = profile_to_json(u);
  doc["cells"][0]["tuned"]["host_algorithm"] = "butterfly";
  EXPECT_NE(error_of([&] { profile_from_json(doc, "u.json"); }).find("\"cells[0].tuned.host_algorithm\""),
            std::string::npos);
  doc = profile_to_json(u);
  doc["cells"][0]["tuned"]["nccl_algorithm"] = "ring";
  EXPECT_NE(error_of([&] { profile_from_json(doc, "u.json"); }).find("(nccl fields)"), std::string::npos);
  doc = profile_to_json(u);
  doc["cells"][0]["tuned"]["chunk_bytes"] = -1;
  EXPECT_NE(error_of([&] { profile_from_json(doc, "u.json"); }).find("\"cells[0].tuned.chunk_bytes\""), std::string::npos);
}

TEST(FindRule, NearestOnALogScaleInsideTheMeasuredRangeOnly) {
  const Profile p = sample_profile();
  auto rule = [&](std::size_t bytes) { return find_rule(p, NcclFunc::all_reduce, bytes, 1, 8); };
  EXPECT_EQ(rule(1023), nullptr);           // below the smallest measured size: no extrapolation
  EXPECT_EQ(rule(1024), &p.cells[0]);
  EXPECT_EQ(rule(2048), &p.cells[0]);       // 2048^2 == 1024 x 4096: ties go to the smaller size
  EXPECT_EQ(rule(2049), nullptr);           // nearer 4096, whose default stays
  EXPECT_EQ(rule(4096), nullptr);
  EXPECT_EQ(rule(8192), nullptr);           // 8192^2 == 4096 x 16384: still 4096's
  EXPECT_EQ(rule(8193), &p.cells[2]);
  EXPECT_EQ(rule(16384), &p.cells[2]);
  EXPECT_EQ(rule(16385), nullptr);          // 16 KiB .. 1 MiB is 64x apart: sparse, NCCL decides
  EXPECT_EQ(rule(1 << 19), nullptr);
  EXPECT_EQ(rule((1 << 20) - 1), nullptr);
  EXPECT_EQ(rule(1 << 20), &p.cells[3]);    // a measured size always answers for itself
  EXPECT_EQ(rule((1 << 20) + 1), nullptr);  // above the largest: no extrapolation
  EXPECT_EQ(find_rule(p, NcclFunc::all_reduce, 1024, 2, 8), nullptr);  // other nnodes
  EXPECT_EQ(find_rule(p, NcclFunc::all_reduce, 1024, 1, 16), nullptr); // other nranks
  EXPECT_EQ(find_rule(p, NcclFunc::broadcast, 1024, 1, 8), nullptr);   // other collective
  EXPECT_EQ(find_rule(p, NcclFunc::all_gather, 65536, 2, 16), &p.cells[4]);
  EXPECT_EQ(find_rule(Profile{}, NcclFunc::all_reduce, 1024, 1, 8), nullptr);
}

TEST(FindRule, RangesAreDisjointAndCoverOnlyDenseGaps) {
  Profile p = sample_profile();
  const auto r = rule_ranges(p, NcclFunc::all_reduce, 1, 8);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].min_bytes, 1024u);
  EXPECT_EQ(r[0].max_bytes, 2048u);
  EXPECT_EQ(r[1].min_bytes, 2049u);
  EXPECT_EQ(r[1].max_bytes, 8192u);
  EXPECT_EQ(r[2].min_bytes, 8193u);
  EXPECT_EQ(r[2].max_bytes, 16384u);
  EXPECT_EQ(r[3].min_bytes, std::size_t{1} << 20);
  EXPECT_EQ(r[3].max_bytes, std::size_t{1} << 20);
  // Huge sizes: the log midpoint is exact where a*b overflows 64 bits.
  p.cells = {test::sample_cell("all_reduce", std::size_t{1} << 62, 1, 8),
             test::sample_cell("all_reduce", std::size_t{1} << 63, 1, 8)};
  const auto big = rule_ranges(p, NcclFunc::all_reduce, 1, 8);
  ASSERT_EQ(big.size(), 2u);
  EXPECT_EQ(big[0].max_bytes, 6521908912666391106ull);  // floor(sqrt(2^125))
  EXPECT_EQ(big[1].min_bytes, big[0].max_bytes + 1);
}

TEST(ProfileOutputs, NcclEnv) {
  const Profile p = sample_profile();
  EXPECT_EQ(format_nccl_env(p, "/opt/tune/profile.json"),
            "# NCCL settings from the Cairn tuning profile /opt/tune/profile.json\n"
            "# backend nccl, NCCL 22809, topology 0123456789abcdef, 1 nodes, 8 ranks, measured 2026-12-07T00:00:00Z on node001\n"
            "NCCL_BUFFSIZE=8388608\n"
            "NCCL_NTHREADS=256\n"
            "NCCL_TUNER_PLUGIN=cairn\n"
            "CAIRN_TUNER_PROFILE=/opt/tune/profile.json\n");
  EXPECT_NE(error_of([&] { format_nccl_env(p, "a\nb"); }).find("nccl.env"), std::string::npos);
  Profile u = p;
  u.backend = "ucx";
  EXPECT_EQ(format_nccl_env(u, "p.json").find("NCCL_TUNER_PLUGIN"), std::string::npos);
}

TEST(ProfileOutputs, ExamplePluginCsv) {
  const Profile p = sample_profile();
  EXPECT_EQ(format_example_plugin_csv(p),
            "# NCCL example tuner plugin configuration (ext-tuner/example/nccl_tuner.conf) from a Cairn profile:\n"
            "# collective_type,min_bytes,max_bytes,algorithm,protocol,channels,nNodes,nRanks,numPipeOps,regBuff\n"
            "allgather,65536,65536,pat,simple,-1,2,16,-1,-1\n"
            "allreduce,1024,2048,tree,ll,-1,1,8,-1,-1\n"
            "allreduce,8193,16384,ring,ll128,4,1,8,-1,-1\n"
            "allreduce,1048576,1048576,ring,simple,-1,1,8,-1,-1\n");
  Profile u = p;
  u.backend = "ucx";
  EXPECT_EQ(format_example_plugin_csv(u), "");
}

void write_pci(const fs::path& root, const std::string& bdf, const std::string& vendor, const std::string& device,
               const std::string& cls, const std::string& numa) {
  const fs::path d = root / "bus/pci/devices" / bdf;
  write(d / "vendor", vendor + "\n");
  write(d / "device", device + "\n");
  write(d / "class", cls + "\n");
  write(d / "numa_node", numa + "\n");
}

TEST(TopologyHash, ReadsGpusAndNicsOnly) {
  const auto root = temp_dir("sysfs_a");
  write_pci(root, "0000:17:00.0", "0x10de", "0x2330", "0x030200", "0");  // H100 (3D controller)
  write_pci(root, "0000:18:00.0", "0x15b3", "0x1021", "0x020700", "0");  // ConnectX-7 (InfiniBand)
  write_pci(root, "0000:19:00.0", "0x8086", "0x1593", "0x020000", "1");  // Ethernet
  write_pci(root, "0000:00:01.0", "0x8086", "0x09ab", "0x060400", "0");  // a bridge: left out
  write_pci(root, "0000:1a:00.0", "0x1a03", "0x2000", "0x030000", "0");  // ASPEED VGA: not NVIDIA
  write_pci(root, "0000:1b:00.0", "0x10de", "0x22a3", "0x068000", "0");  // NVSwitch: not a GPU
  const auto lines = node_topology_lines(root.string());
  EXPECT_EQ(lines, (std::vector<std::string>{"gpu 0x2330 numa 0", "net 0x15b3:0x1021 numa 0", "net 0x8086:0x1593 numa 1"}));
  const auto h = node_topology_hash(root.string());
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);

  // The same devices at other bus addresses hash alike; a moved NUMA node does not.
  const auto other = temp_dir("sysfs_b");
  write_pci(other, "0000:c1:00.0", "0x8086", "0x1593", "0x020000", "1");
  write_pci(other, "0000:a1:00.0", "0x15b3", "0x1021", "0x020700", "0");
  write_pci(other, "0000:b1:00.0", "0x10de", "0x2330", "0x030200", "0");
  EXPECT_EQ(node_topology_hash(other.string()), h);
  write(other / "bus/pci/devices/0000:b1:00.0/numa_node", "1\n");
  EXPECT_NE(node_topology_hash(other.string()), h);
  fs::remove_all(root);
  fs::remove_all(other);
}

TEST(TopologyHash, Fixtures) {
  // The captures record what the probe read (link state), not vendor and class: their
  // description is empty, and hashes like an empty PCI tree.
  const auto empty = temp_dir("sysfs_empty");
  fs::create_directories(empty / "bus/pci/devices");
  EXPECT_TRUE(node_topology_lines(test::fixture("captures/h100-vm/sysfs")).empty());
  EXPECT_EQ(node_topology_hash(test::fixture("captures/h100-vm/sysfs")), node_topology_hash(empty.string()));
  EXPECT_EQ(node_topology_hash(empty.string()), "ef46db3751d8e999");  // XXH64 of no bytes, seed 0
  // A tree without bus/pci/devices is refused by name, not hashed as nothing.
  const std::string e = error_of([] { node_topology_hash(test::fixture("captures/debian12-vm/sysfs")); });
  EXPECT_NE(e.find("debian12-vm/sysfs/bus/pci/devices: not a directory"), std::string::npos) << e;
  fs::remove_all(empty);
}

TEST(TopologyHash, LiveNodeIsStable) {
  if (!fs::is_directory("/sys/bus/pci/devices")) GTEST_SKIP() << "no /sys/bus/pci/devices here";
  EXPECT_EQ(node_topology_hash(), node_topology_hash("/sys"));
}

}  // namespace
}  // namespace cairn::tuner
