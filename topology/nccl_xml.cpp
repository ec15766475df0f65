#include "topology/nccl_xml.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <pugixml.hpp>

#include "common/error.h"
#include "common/untrusted_text.h"
#include "common/text_file.h"
#include "topology/bus_id.h"
#include "topology/cpu_mask.h"
#include "topology/link_model.h"

namespace cairn::topology {
namespace {

constexpr int kNcclXmlVersion = 1;          // NCCL_TOPO_XML_VERSION
constexpr std::size_t kNcclMaxNodes = 256;  // NCCL_TOPO_XML_MAX_NODES (topo.h)
constexpr std::size_t kNcclMaxSubs = 128;   // MAX_SUBS (xml.h)
constexpr int kMaxDepth = 64;               // PCI trees are a handful of levels deep

constexpr std::uint32_t kClassGpu = 0x030200;
constexpr std::uint32_t kClassNvSwitch = 0x068000;  // NCCL's kvDictPciClass: NVS
constexpr std::uint32_t kClassCpu = 0x068001;       // NCCL's kvDictPciClass: CPU
constexpr std::uint32_t kClassBridge = 0x060400;

// ---------------------------------------------------------------------------------------
// Reading

class Reader {
 public:
  Reader(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  Graph read() {
    pugi::xml_document doc;
    auto res = doc.load_buffer(text_.data(), text_.size(), pugi::parse_default, pugi::encoding_utf8);
    if (res.status == pugi::status_out_of_memory)
      fail_out_of_memory(source_, "parse its " + std::to_string(text_.size()) + " bytes of XML");
    if (!res) {
      auto [line, col] = position(static_cast<std::size_t>(res.offset));
      fail(source_, "malformed XML at line " + std::to_string(line) + ", column " + std::to_string(col) +
                        " (" + res.description() + "); is the file complete?");
    }
    auto root = doc.document_element();
    if (!root) fail(source_, "no XML element in the file; expected an NCCL topology (<system version=\"1\">)");
    if (std::strcmp(root.name(), "system") != 0)
      bad(root, std::string("root element is <") + root.name() +
                    ">, expected <system>: not an NCCL topology file (NCCL_TOPO_FILE format)");
    int version = required_int(root, "version");
    if (version != kNcclXmlVersion)
      bad(root, "<system version=\"" + std::to_string(version) + "\"> is not supported; NCCL reads version " +
                    std::to_string(kNcclXmlVersion));
    g_.source = "nccl-xml:" + source_;
    for (auto cpu : root.children()) {
      if (cpu.type() != pugi::node_element) continue;
      if (std::strcmp(cpu.name(), "cpu") == 0) read_cpu(cpu);
      else g_.notes.push_back(where(cpu) + ": <" + cpu.name() + "> ignored (NCCL reads only <cpu> here)");
    }
    for (const auto& [gpu, xml] : gpu_elements_) read_gpu_links(gpu, xml);
    for (const auto& [pair, count] : gpu_pairs_) g_.connect_nvlink(pair.first, pair.second, count);
    g_.connect_sockets();
    g_.connect_network();
    return std::move(g_);
  }

 private:
  std::pair<std::size_t, std::size_t> position(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {line, col};
  }

  std::string where(const pugi::xml_node& n) const {
    auto off = n.offset_debug();
    return source_ + ":" + std::to_string(off < 0 ? 0 : position(static_cast<std::size_t>(off)).first);
  }

  [[noreturn]] void bad(const pugi::xml_node& n, const std::string& problem) const {
    throw Error(where(n) + ": " + problem);
  }

  std::optional<long long> int_attr(const pugi::xml_node& n, const char* name) const {
    auto a = n.attribute(name);
    if (!a) return std::nullopt;
    std::string_view s = a.value();
    bool neg = !s.empty() && s.front() == '-';
    if (neg) s.remove_prefix(1);
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size())
      bad(n, std::string("<") + n.name() + "> attribute " + name + "=" + quote_excerpt(a.value()) + " is not an integer");
    return neg ? -v : v;
  }

  std::optional<int> small_int_attr(const pugi::xml_node& n, const char* name) const {
    auto v = int_attr(n, name);
    if (v && (*v < -(1LL << 31) || *v >= (1LL << 31)))
      bad(n, std::string("<") + n.name() + "> attribute " + name + "=\"" + std::to_string(*v) + "\" is out of range");
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
  }

  int required_int(const pugi::xml_node& n, const char* name) const {
    if (!n.attribute(name)) missing(n, name);
    return *small_int_attr(n, name);
  }

  [[noreturn]] void missing(const pugi::xml_node& n, const char* name) const {
    bad(n, std::string("<") + n.name() + "> has no " + name + " attribute (NCCL needs it)");
  }

  std::string required_str(const pugi::xml_node& n, const char* name) const {
    auto a = n.attribute(name);
    if (!a) missing(n, name);
    return a.value();
  }

  std::string bus_id_attr(const pugi::xml_node& n, const char* name) const {
    std::string raw = required_str(n, name);
    auto bus = normalize_bus_id(raw);
    if (!bus)
      bad(n, std::string("<") + n.name() + " " + name + "=" + quote_excerpt(raw) +
                 "> is not a PCI bus id (expected dddd:bb:dd.f, e.g. 0000:17:00.0)");
    return *bus;
  }

  std::uint32_t class_attr(const pugi::xml_node& n, const char* name) const {
    std::string raw = required_str(n, name);
    std::string_view hex = raw;
    bool ok = hex.size() > 2 && hex.substr(0, 2) == "0x";
    if (ok) hex.remove_prefix(2);
    ok = ok && (hex.size() == 2 || hex.size() == 4 || hex.size() == 6);
    std::uint32_t v = 0;
    if (ok) {
      auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
      ok = ec == std::errc() && p == hex.data() + hex.size();
    }
    if (!ok)
      bad(n, std::string("<") + n.name() + " " + name + "=" + quote_excerpt(raw) +
                 "> is not a PCI class (expected hex like 0x030200)");
    // NCCL matches classes by prefix ("0x03" is any GPU); a short class is its high bytes.
    return v << (8 * (3 - hex.size() / 2));
  }

  // PCI vendor and device ids: 16 bits.
  std::optional<int> id_attr(const pugi::xml_node& n, const char* name) const {
    auto v = small_int_attr(n, name);
    if (v && (*v < 0 || *v > 0xffff))
      bad(n, std::string("<") + n.name() + " " + name + "=" + quote_excerpt(n.attribute(name).value()) + "> is not a 16-bit PCI id");
    return v;
  }

  void read_cpu(const pugi::xml_node& x) {
    CpuAttrs c;
    c.numa_id = required_int(x, "numaid");
    if (g_.find_cpu(c.numa_id) >= 0) bad(x, "<cpu numaid=\"" + std::to_string(c.numa_id) + "\"> appears twice");
    if (auto a = x.attribute("affinity")) {
      auto list = cpu_mask_to_list(a.value());
      if (!list)
        bad(x, std::string("<cpu affinity=\"") + a.value() + "\"> is not a CPU mask (expected hex words like 0000ffff,ffffffff)");
      c.cpus = *list;
    }
    c.arch = x.attribute("arch").value();
    c.vendor = x.attribute("vendor").value();
    c.family_id = small_int_attr(x, "familyid").value_or(-1);
    c.model_id = small_int_attr(x, "modelid").value_or(-1);
    if (x.attribute("familyid") && c.family_id < 0) bad(x, "<cpu familyid> must not be negative");
    if (x.attribute("modelid") && c.model_id < 0) bad(x, "<cpu modelid> must not be negative");
    int cpu = g_.add_cpu(c);
    for (auto child : x.children()) {
      if (child.type() != pugi::node_element) continue;
      if (std::strcmp(child.name(), "pci") == 0) read_pci(child, cpu, 1);
      else if (std::strcmp(child.name(), "nic") == 0) read_local_nic(child, cpu);
      else g_.notes.push_back(where(child) + ": <" + child.name() + "> ignored in <cpu>");
    }
  }

  bool has_child(const pugi::xml_node& x, const char* name) const { return static_cast<bool>(x.child(name)); }

  void read_pci(const pugi::xml_node& x, int parent, int depth) {
    if (depth > kMaxDepth) bad(x, "<pci> elements nested deeper than " + std::to_string(kMaxDepth) + " levels");
    Vertex v;
    v.bus_id = bus_id_attr(x, "busid");
    v.pci.class_code = class_attr(x, "class");
    if (g_.find_bus_id(v.bus_id) >= 0) bad(x, "<pci busid=" + quote_excerpt(v.bus_id) + "> appears twice");
    v.pci.vendor = id_attr(x, "vendor");
    v.pci.device = id_attr(x, "device");
    v.pci.subsystem_vendor = id_attr(x, "subsystem_vendor");
    v.pci.subsystem_device = id_attr(x, "subsystem_device");
    std::uint32_t base = v.pci.class_code >> 16;
    bool has_pci_children = has_child(x, "pci");
    if (has_child(x, "gpu") || (base == 0x03 && !has_pci_children)) v.kind = VertexKind::gpu;
    else if (has_child(x, "nic") || (base == 0x02 && !has_pci_children)) v.kind = VertexKind::nic;
    else if (v.pci.class_code == kClassNvSwitch) v.kind = VertexKind::nvswitch;
    else if ((v.pci.class_code >> 8) == (kClassBridge >> 8) || has_pci_children) v.kind = VertexKind::pci;
    else {
      g_.notes.push_back(where(x) + ": <pci busid=\"" + v.bus_id + "\"> is neither a GPU, a NIC, an NVSwitch nor a switch; skipped, as NCCL skips it");
      return;
    }
    double gt_s = link_speed(x);
    int width = link_width(x);
    if (v.kind == VertexKind::nic) read_ports(x.child("nic"), v.nic);
    int id = g_.add_vertex(std::move(v));
    g_.connect_pcie(id, parent, gt_s, width);
    std::size_t subs = 0;
    for (auto child : x.children()) subs += child.type() == pugi::node_element;
    if (subs > kNcclMaxSubs) bad(x, "more than " + std::to_string(kNcclMaxSubs) + " children (NCCL's MAX_SUBS)");
    for (auto child : x.children()) {
      if (child.type() != pugi::node_element) continue;
      if (std::strcmp(child.name(), "pci") == 0) {
        if (g_.vertex(id).kind != VertexKind::pci) bad(child, "<pci> inside a device that is not a switch");
        read_pci(child, id, depth + 1);
      } else if (std::strcmp(child.name(), "gpu") == 0) {
        read_gpu(child, id);
      }
    }
  }

  double link_speed(const pugi::xml_node& x) const {
    auto a = x.attribute("link_speed");
    std::string s = a ? a.value() : "";
    if (s.empty()) return 0;  // NCCL writes "" where sysfs had nothing
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    std::string rest = end;
    if (end == s.c_str() || !(v > 0 && v < 1000) || rest.find("GT/s") == std::string::npos)
      bad(x, "<pci link_speed=" + quote_excerpt(s) + "> is not a PCIe rate (expected e.g. \"16.0 GT/s PCIe\")");
    return v;
  }

  int link_width(const pugi::xml_node& x) const {
    auto a = x.attribute("link_width");
    if (!a || std::string(a.value()).empty()) return 0;
    int w = *small_int_attr(x, "link_width");
    if (w < 0 || w > 32) bad(x, "<pci link_width=\"" + std::to_string(w) + "\"> is not a lane count (1-32)");
    return w;
  }

  void read_gpu(const pugi::xml_node& x, int gpu) {
    auto& a = g_.vertex(gpu).gpu;
    a.sm = small_int_attr(x, "sm");
    a.dev = small_int_attr(x, "dev");
    a.rank = small_int_attr(x, "rank");
    a.gdr = small_int_attr(x, "gdr");
    gpu_elements_.emplace_back(gpu, x);
  }

  // Second pass, once every GPU exists: NVLinks may point at GPUs later in the file.
  void read_gpu_links(int gpu, const pugi::xml_node& x) {
    for (auto link : x.children()) {
      if (link.type() != pugi::node_element) continue;
      if (std::strcmp(link.name(), "nvlink") == 0) read_nvlink(link, gpu);
      else if (std::strcmp(link.name(), "c2c") == 0) read_c2c(link, gpu);
      else g_.notes.push_back(where(link) + ": <" + link.name() + "> ignored in <gpu>");
    }
  }

  void read_nvlink(const pugi::xml_node& x, int gpu) {
    int count = required_int(x, "count");
    if (count <= 0 || count > 64) bad(x, "<nvlink count=\"" + std::to_string(count) + "\"> is not a link count (1-64)");
    std::uint32_t tclass = class_attr(x, "tclass");
    if ((tclass >> 16) == 0x03) {
      int peer = g_.find_bus_id(bus_id_attr(x, "target"));
      if (peer == gpu) {
        g_.notes.push_back(where(x) + ": NVLink from a GPU to itself; skipped");
        return;
      }
      if (peer < 0 || g_.vertex(peer).kind != VertexKind::gpu) {
        // NCCL skips a link to a GPU that is not in the topology too.
        g_.notes.push_back(where(x) + ": NVLink to GPU " + required_str(x, "target") + ", which is not in the file; skipped");
        return;
      }
      auto key = std::minmax(gpu, peer);
      auto& n = gpu_pairs_[{key.first, key.second}];
      n = std::max(n, count);
    } else {
      int remote = tclass == kClassCpu ? g_.cpu_of(gpu) : nvswitch(x);
      int existing = g_.link_between(gpu, remote, LinkKind::nvlink);
      if (existing >= 0 && g_.link(existing).count + count > 64)
        bad(x, "more than 64 NVLinks between one GPU and one peer");
      g_.connect_nvlink(gpu, remote, count);
    }
  }

  // The NVSwitch an <nvlink> points at: a visible one by bus id, else the hidden one.
  int nvswitch(const pugi::xml_node& x) {
    std::string target = x.attribute("target").value();
    if (auto bus = normalize_bus_id(target)) {
      int sw = g_.find_bus_id(*bus);
      if (sw >= 0 && g_.vertex(sw).kind == VertexKind::nvswitch) return sw;
    }
    return g_.hidden_nvswitch();
  }

  void read_c2c(const pugi::xml_node& x, int gpu) {
    int count = required_int(x, "count");
    int bw = required_int(x, "bw");
    if (count <= 0 || bw <= 0) bad(x, "<c2c> needs a positive count and bw (MB/s per link)");
    int cpu = g_.cpu_of(gpu);
    if (cpu >= 0) g_.connect_c2c(gpu, cpu, count, bw);
  }

  void read_ports(const pugi::xml_node& nic, NicAttrs& out) const {
    if (!nic) return;
    for (auto net : nic.children()) {
      if (net.type() != pugi::node_element) continue;
      if (std::strcmp(net.name(), "net") != 0) {
        bad(net, std::string("<") + net.name() + "> inside <nic>; expected <net>");
      }
      NetPort p;
      p.name = net.attribute("name").value();
      p.dev = small_int_attr(net, "dev");
      p.speed_mbit_s = int_attr(net, "speed");
      p.port = small_int_attr(net, "port");
      if (auto a = net.attribute("latency")) {
        char* end = nullptr;
        double v = std::strtod(a.value(), &end);
        if (end == a.value() || *end != '\0' || !std::isfinite(v))
          bad(net, std::string("<net latency=\"") + a.value() + "\"> is not a number");
        p.latency_us = v;
      }
      if (auto a = net.attribute("guid")) p.guid = a.value();
      p.maxconn = small_int_attr(net, "maxconn");
      p.gdr = small_int_attr(net, "gdr");
      p.coll = small_int_attr(net, "coll");
      out.ports.push_back(std::move(p));
    }
  }

  void read_local_nic(const pugi::xml_node& x, int cpu) {
    Vertex v;
    v.kind = VertexKind::nic;
    read_ports(x, v.nic);
    g_.connect_local(g_.add_vertex(std::move(v)), cpu);
  }

  const std::string& text_;
  std::string source_;
  Graph g_;
  std::vector<std::pair<int, pugi::xml_node>> gpu_elements_;
  std::map<std::pair<int, int>, int> gpu_pairs_;
};

// ---------------------------------------------------------------------------------------
// Writing

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      // A literal newline or tab in a value reads back as a space (XML attribute
      // normalisation); a character reference keeps it.
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string hex(std::uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, v);
  return buf;
}

// The shortest text that reads back as the same double.
std::string shortest(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

// "16.0 GT/s PCIe", the spelling kernels since 5.7 use and NCCL's kvDictPciGen matches;
// a rate NCCL does not know is written exactly (NCCL takes its Gen3 fallback for it).
std::string link_speed_text(double gt_s) {
  if (gt_s <= 0) return "";
  if (gt_s == 2.5) return "2.5 GT/s PCIe";
  char buf[32];
  if (nccl_knows_pcie_rate(gt_s)) {
    std::snprintf(buf, sizeof buf, "%.1f GT/s PCIe", gt_s);
    return buf;
  }
  return shortest(gt_s) + " GT/s PCIe";
}

class Writer {
 public:
  explicit Writer(const Graph& g) : g_(g) {}

  std::string write() {
    open(0, "system", {{"version", std::to_string(kNcclXmlVersion)}});
    for (int cpu : g_.of_kind(VertexKind::cpu)) write_cpu(cpu);
    close(0, "system");
    if (elements_ > kNcclMaxNodes)
      throw Error("topology has " + std::to_string(elements_) + " NCCL XML elements; NCCL reads at most " +
                  std::to_string(kNcclMaxNodes) + " (NCCL_TOPO_XML_MAX_NODES)");
    return out_;
  }

 private:
  using Attrs = std::vector<std::pair<std::string, std::string>>;

  void line(int indent, const std::string& tag, const Attrs& attrs, const char* end) {
    ++elements_;
    out_ += std::string(static_cast<std::size_t>(indent), ' ') + "<" + tag;
    for (const auto& [k, v] : attrs) out_ += " " + k + "=\"" + escape(v) + "\"";
    out_ += end;
  }
  void open(int indent, const std::string& tag, const Attrs& attrs) { line(indent, tag, attrs, ">\n"); }
  void leaf(int indent, const std::string& tag, const Attrs& attrs) { line(indent, tag, attrs, "/>\n"); }
  void close(int indent, const std::string& tag) {
    out_ += std::string(static_cast<std::size_t>(indent), ' ') + "</" + tag + ">\n";
  }

  std::vector<int> children_of(int v) const {
    std::vector<int> kids;
    for (int i = 0; i < static_cast<int>(g_.vertices().size()); ++i)
      if (g_.vertex(i).up == v) kids.push_back(i);
    std::stable_sort(kids.begin(), kids.end(), [&](int a, int b) { return g_.vertex(a).bus_id < g_.vertex(b).bus_id; });
    if (kids.size() > kNcclMaxSubs)
      throw Error(g_.name_of(v) + " has " + std::to_string(kids.size()) + " children; NCCL's XML reader takes at most " +
                  std::to_string(kNcclMaxSubs));
    return kids;
  }

  void write_cpu(int cpu) {
    const auto& c = g_.vertex(cpu).cpu;
    Attrs a{{"numaid", std::to_string(c.numa_id)}};
    if (!c.cpus.empty()) a.emplace_back("affinity", cpu_list_to_mask(c.cpus).value_or(""));
    if (!c.arch.empty()) a.emplace_back("arch", c.arch);
    // NCCL reads the vendor on x86_64 only; elsewhere (our "NVIDIA" for Grace) it is kept
    // for the round trip and ignored by NCCL.
    if (!c.vendor.empty()) a.emplace_back("vendor", c.vendor);
    if (c.family_id >= 0) a.emplace_back("familyid", std::to_string(c.family_id));
    if (c.model_id >= 0) a.emplace_back("modelid", std::to_string(c.model_id));
    auto kids = children_of(cpu);
    if (kids.empty()) {
      leaf(2, "cpu", a);
      return;
    }
    open(2, "cpu", a);
    for (int k : kids) {
      if (g_.vertex(k).bus_id.empty()) write_nic_element(4, k);
      else write_pci(4, k);
    }
    close(2, "cpu");
  }

  void write_pci(int indent, int v) {
    const auto& x = g_.vertex(v);
    Attrs a{{"busid", x.bus_id}, {"class", hex(x.pci.class_code, 6)}};
    if (x.pci.vendor) a.emplace_back("vendor", hex(static_cast<std::uint32_t>(*x.pci.vendor), 4));
    if (x.pci.device) a.emplace_back("device", hex(static_cast<std::uint32_t>(*x.pci.device), 4));
    if (x.pci.subsystem_vendor) a.emplace_back("subsystem_vendor", hex(static_cast<std::uint32_t>(*x.pci.subsystem_vendor), 4));
    if (x.pci.subsystem_device) a.emplace_back("subsystem_device", hex(static_cast<std::uint32_t>(*x.pci.subsystem_device), 4));
    int up = g_.up_link(v);
    const Link* l = up >= 0 ? &g_.link(up) : nullptr;
    a.emplace_back("link_speed", l ? link_speed_text(l->pcie_gt_s) : "");
    a.emplace_back("link_width", l && l->pcie_width > 0 ? std::to_string(l->pcie_width) : "");

    // The child element also marks the kind where the class alone would not (a 0x0c06
    // InfiniBand controller is a NIC only through its <nic>).
    std::uint32_t base = x.pci.class_code >> 16;
    bool gpu_element = x.kind == VertexKind::gpu && (has_gpu_content(v) || base != 0x03);
    bool nic_element = x.kind == VertexKind::nic && (!x.nic.ports.empty() || base != 0x02);
    auto kids = x.kind == VertexKind::pci ? children_of(v) : std::vector<int>{};
    if (kids.empty() && !gpu_element && !nic_element) {
      leaf(indent, "pci", a);
      return;
    }
    open(indent, "pci", a);
    for (int k : kids) write_pci(indent + 2, k);
    if (gpu_element) write_gpu(indent + 2, v);
    if (nic_element) write_nic_element(indent + 2, v);
    close(indent, "pci");
  }

  bool has_gpu_content(int v) const {
    const auto& gp = g_.vertex(v).gpu;
    if (gp.sm || gp.dev || gp.rank || gp.gdr) return true;
    for (int l : g_.links_of(v)) {
      auto k = g_.link(l).kind;
      if (k == LinkKind::nvlink || k == LinkKind::c2c) return true;
    }
    return false;
  }

  void write_gpu(int indent, int v) {
    const auto& gp = g_.vertex(v).gpu;
    Attrs a;
    if (gp.dev) a.emplace_back("dev", std::to_string(*gp.dev));
    if (gp.sm) a.emplace_back("sm", std::to_string(*gp.sm));
    if (gp.rank) a.emplace_back("rank", std::to_string(*gp.rank));
    if (gp.gdr) a.emplace_back("gdr", std::to_string(*gp.gdr));
    std::vector<std::pair<std::string, Attrs>> subs;
    for (int li : g_.links_of(v)) {
      const auto& l = g_.link(li);
      int other = l.a == v ? l.b : l.a;
      const auto& o = g_.vertex(other);
      if (l.kind == LinkKind::nvlink) {
        std::string target = o.kind == VertexKind::nvswitch && o.bus_id.empty() ? kNcclHiddenNvLinkTarget
                             : o.kind == VertexKind::cpu ? kNcclHiddenNvLinkTarget
                                                         : o.bus_id;
        std::uint32_t tclass = o.kind == VertexKind::gpu ? kClassGpu : o.kind == VertexKind::cpu ? kClassCpu : kClassNvSwitch;
        subs.push_back({"nvlink", {{"target", target}, {"count", std::to_string(l.count)}, {"tclass", hex(tclass, 6)}}});
      } else if (l.kind == LinkKind::c2c) {
        long per_link = std::lround(l.gb_s * 1000.0 / std::max(1, l.count));
        subs.push_back({"c2c", {{"bw", std::to_string(per_link)}, {"count", std::to_string(l.count)}}});
      }
    }
    std::sort(subs.begin(), subs.end());
    if (subs.empty()) {
      leaf(indent, "gpu", a);
      return;
    }
    open(indent, "gpu", a);
    for (const auto& [tag, attrs] : subs) leaf(indent + 2, tag, attrs);
    close(indent, "gpu");
  }

  void write_nic_element(int indent, int v) {
    const auto& ports = g_.vertex(v).nic.ports;
    if (ports.empty()) {
      leaf(indent, "nic", {});
      return;
    }
    open(indent, "nic", {});
    for (const auto& p : ports) {
      Attrs a{{"name", p.name}};
      if (p.dev) a.emplace_back("dev", std::to_string(*p.dev));
      if (p.speed_mbit_s) a.emplace_back("speed", std::to_string(*p.speed_mbit_s));
      if (p.port) a.emplace_back("port", std::to_string(*p.port));
      if (p.latency_us) a.emplace_back("latency", shortest(*p.latency_us));
      if (p.guid) a.emplace_back("guid", *p.guid);
      if (p.maxconn) a.emplace_back("maxconn", std::to_string(*p.maxconn));
      if (p.gdr) a.emplace_back("gdr", std::to_string(*p.gdr));
      if (p.coll) a.emplace_back("coll", std::to_string(*p.coll));
      leaf(indent + 2, "net", a);
    }
    close(indent, "nic");
  }

  const Graph& g_;
  std::string out_;
  std::size_t elements_ = 0;
};

}  // namespace

Graph parse_nccl_xml(const std::string& text, const std::string& source) { return Reader(text, source).read(); }

Graph read_nccl_xml_file(const std::string& path) { return parse_nccl_xml(read_text_file(path), path); }

std::string to_nccl_xml(const Graph& g) { return Writer(g).write(); }

void write_nccl_xml_file(const Graph& g, const std::string& path) { write_file_atomically(path, to_nccl_xml(g)); }

}  // namespace cairn::topology
