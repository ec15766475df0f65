#include "tuner/run/shared_text.h"

#include <cstdint>
#include <cstring>
#include <set>

#include "collectives/measure/harness/harness.h"
#include "common/host_name.h"

namespace cairn::tuner {

std::string broadcast_text(coll::Communicator& comm, coll::bench::Memory& memory, const std::string& text) {
  namespace bench = coll::bench;
  std::uint64_t size = comm.rank() == 0 ? text.size() : 0;
  bench::Buffer length(memory, sizeof size);
  memory.upload(length.data(), &size, sizeof size);
  comm.broadcast(length.data(), length.data(), 1, coll::DataType::i64, 0, memory.stream()).wait();
  memory.download(&size, length.data(), sizeof size);
  if (size == 0) return {};
  bench::Buffer bytes(memory, size);
  if (comm.rank() == 0) memory.upload(bytes.data(), text.data(), size);
  comm.broadcast(bytes.data(), bytes.data(), size, coll::DataType::u8, 0, memory.stream()).wait();
  std::string out(size, '\0');
  memory.download(out.data(), bytes.data(), size);
  return out;
}

int count_hosts(coll::Communicator& comm, coll::bench::Memory& memory) {
  const std::vector<std::string> hosts = coll::bench::gather_lines(comm, memory, host_name());
  return static_cast<int>(std::set<std::string>(hosts.begin(), hosts.end()).size());
}

}  // namespace cairn::tuner
