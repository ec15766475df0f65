#include "probe/discover.h"

#include <filesystem>
#include <unistd.h>

#include "common/error.h"
#include "common/host_name.h"
#include "common/json_io.h"
#include "common/output_dir.h"
#include "common/text_file.h"
#include "common/utc_time.h"
#include "probe/hwloc_live.h"
#include "probe/hwloc_xml.h"
#include "probe/ib_sysfs.h"
#include "probe/node_json.h"
#include "probe/pcie_sysfs.h"

namespace cairn::probe {
namespace fs = std::filesystem;

namespace {

void prepare_capture_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    fail(dir, "exists and is not an empty directory; name a new directory for the capture");
  make_output_dir("--capture", dir);
}

}  // namespace

void add_device_facts(NodeInfo& node, const SysfsRoot& sysfs, const VerbsMtus& mtus, const GpuFacts& gpus) {
  read_pcie_links(sysfs, node);
  merge_ib_devices(node, read_ib_devices(sysfs));
  read_netdev_ports(sysfs, node);
  apply_verbs_mtus(node, mtus);
  merge_gpu_facts(node, gpus);
}

NodeInfo probe_live(const std::string& capture_dir) {
  if (!capture_dir.empty()) prepare_capture_dir(capture_dir);
  std::string xml = export_live_hwloc_xml();
  NodeInfo node = parse_hwloc_xml(xml, "live hwloc export");
  SysfsRoot sysfs("/sys");
  if (!capture_dir.empty()) {
    write_file_atomically(capture_dir + "/hwloc.xml", xml);
    sysfs.record_to(capture_dir + "/sysfs");
  }
  VerbsMtus mtus = query_verbs_mtus();
  GpuFacts gpus = query_gpu_facts();
  add_device_facts(node, sysfs, mtus, gpus);
  if (node.hostname.empty()) node.hostname = host_name();
  node.source = "live";
  if (!capture_dir.empty()) {
    write_file_atomically(capture_dir + "/gpus.json", gpu_facts_to_json(gpus).dump(2) + "\n");
    write_file_atomically(capture_dir + "/verbs.json", verbs_mtus_to_json(mtus).dump(2) + "\n");
    Json meta = with_schema({{"hostname", node.hostname}, {"date", utc_now_iso8601()},
                             {"cairn_version", CAIRN_VERSION}},
                            kCaptureSchema, 1);
    write_file_atomically(capture_dir + "/meta.json", meta.dump(2) + "\n");
  }
  return node;
}

NodeInfo probe_capture(const std::string& dir) {
  Json meta = read_json_file(dir + "/meta.json");
  require_schema(meta, kCaptureSchema, 1, dir + "/meta.json");
  NodeInfo node = read_hwloc_xml_file(dir + "/hwloc.xml");
  GpuFacts gpus = gpu_facts_from_json(read_json_file(dir + "/gpus.json"), dir + "/gpus.json");
  VerbsMtus mtus;
  if (fs::exists(dir + "/verbs.json"))
    mtus = verbs_mtus_from_json(read_json_file(dir + "/verbs.json"), dir + "/verbs.json");
  SysfsRoot sysfs(dir + "/sysfs");
  add_device_facts(node, sysfs, mtus, gpus);
  if (node.hostname.empty() && meta.contains("hostname") && meta["hostname"].is_string())
    node.hostname = meta["hostname"].get<std::string>();
  node.source = "capture:" + dir;
  return node;
}

NodeInfo probe_snapshot(const std::string& dir) {
  NodeInfo node = parse_hwloc_xml(export_snapshot_hwloc_xml(dir), dir);
  // A snapshot holds files only: no verbs queries, no CUDA/NVML answers.
  add_device_facts(node, SysfsRoot(dir + "/sys"), VerbsMtus{}, GpuFacts{});
  node.source = "snapshot:" + dir;
  return node;
}

NodeInfo probe_from(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "meta.json", ec)) return probe_capture(path);
    if (fs::is_directory(fs::path(path) / "sys", ec) && fs::is_directory(fs::path(path) / "proc", ec))
      return probe_snapshot(path);
    fail(path, "is a directory but not a capture (no meta.json) and not a /sys + /proc snapshot (no sys/ and "
               "proc/); make a capture with 'cairn probe --capture DIR' or a snapshot with hwloc-gather-topology");
  }
  std::string text = read_text_file(path);
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') return node_from_json(parse_json(text, path), path);
  return parse_hwloc_xml(text, path);
}

}  // namespace cairn::probe
