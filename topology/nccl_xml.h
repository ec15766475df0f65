// NCCL's topology XML (the NCCL_TOPO_FILE / NCCL_TOPO_DUMP_FILE format), read into a Graph
// and written from one. Written for machines where NCCL cannot see the PCIe tree (VMs):
// NCCL loads the file first and fills in, from the live system, what it leaves out.
//
// The format (NCCL src/graph/xml.cc, topo.cc):
//   <system version="1">
//     <cpu numaid affinity arch vendor familyid modelid>        a NUMA node
//       <pci busid class vendor device subsystem_vendor subsystem_device link_speed link_width>
//         <pci ...>                                            a switch's children, nested
//         <gpu dev sm rank gdr>                                inside a GPU's <pci>
//           <nvlink target count tclass/>                      tclass 0x030200 GPU, 0x068000
//           <c2c bw count/>                                    NVSwitch, 0x068001 CPU
//         <nic><net name dev speed port latency guid maxconn gdr coll/></nic>
//       <nic>...</nic>                                         a NIC with no PCI device
// Kinds: a <pci> with a <gpu> child or a 0x03 class is a GPU; with a <nic> child or a 0x02
// class a NIC; class 0x068000 an NVSwitch; class 0x0604 (or one with <pci> children) a PCI
// switch. Other leaves are skipped, as NCCL skips them. A GPU's NVLink targets that are not
// visible (NCCL writes "fffffff:ffff:ff") are one NVSwitch, as in NCCL.
//
// What the writer emits NCCL's own parser accepts: no XML declaration (NCCL's reader
// rejects one), double quotes, spaces for indentation, no empty attribute slots, at most
// 256 elements (NCCL_TOPO_XML_MAX_NODES) and 128 children each (MAX_SUBS).
#pragma once

#include <string>

#include "topology/graph.h"

namespace cairn::topology {

// `source` names the text in errors ("FILE:LINE: problem") and in Graph::source.
Graph parse_nccl_xml(const std::string& text, const std::string& source);

// Reads a file; missing, empty, truncated or malformed: cairn::Error naming the file.
Graph read_nccl_xml_file(const std::string& path);

// The graph as an NCCL topology file. Throws cairn::Error if the graph is larger than NCCL
// can read.
std::string to_nccl_xml(const Graph& g);

void write_nccl_xml_file(const Graph& g, const std::string& path);

}  // namespace cairn::topology
