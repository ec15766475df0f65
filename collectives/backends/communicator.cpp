// The public operations of Communicator: one set of argument checks for every backend,
// then the observers, then the backend's implementation.
#include "collectives/backends/communicator.h"

#include <exception>

#include "collectives/backends/argcheck.h"

namespace cairn::coll {

// An operation whose implementation throws has ended too (failed): its trace is
// finished here, so later operations' ends are not held back behind it.
template <typename Run>
Request Communicator::observed(OpRecord record, Run&& run) {
  OpTrace trace = log_.begin(std::move(record));
  if (!trace) return run(OpTrace{});
  try {
    return run(trace);
  } catch (...) {
    trace.finish_now(true);
    throw;
  }
}

Request Communicator::all_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, Stream stream) {
  detail::check_reduction("all_reduce", op, dt, can_reduce(op, dt), backend());
  const std::size_t bytes = detail::check_bytes("all_reduce", count, dt);
  detail::check_buffer("all_reduce", "send", send, count);
  detail::check_buffer("all_reduce", "recv", recv, count);
  return observed(OpRecord{.kind = OpKind::all_reduce, .bytes = bytes, .dtype = dt},
                  [&](OpTrace t) { return do_all_reduce(send, recv, count, dt, op, stream, std::move(t)); });
}

Request Communicator::reduce_scatter(const void* send, void* recv, std::size_t recv_count, DataType dt, ReduceOp op,
                                     Stream stream) {
  detail::check_reduction("reduce_scatter", op, dt, can_reduce(op, dt), backend());
  const std::size_t bytes = detail::check_bytes("reduce_scatter", recv_count, dt, std::size_t(size()));
  detail::check_buffer("reduce_scatter", "send", send, recv_count);
  detail::check_buffer("reduce_scatter", "recv", recv, recv_count);
  return observed(OpRecord{.kind = OpKind::reduce_scatter, .bytes = bytes, .dtype = dt},
                  [&](OpTrace t) { return do_reduce_scatter(send, recv, recv_count, dt, op, stream, std::move(t)); });
}

Request Communicator::all_gather(const void* send, void* recv, std::size_t send_count, DataType dt, Stream stream) {
  const std::size_t bytes = detail::check_bytes("all_gather", send_count, dt, std::size_t(size()));
  detail::check_buffer("all_gather", "send", send, send_count);
  detail::check_buffer("all_gather", "recv", recv, send_count);
  return observed(OpRecord{.kind = OpKind::all_gather, .bytes = bytes, .dtype = dt},
                  [&](OpTrace t) { return do_all_gather(send, recv, send_count, dt, stream, std::move(t)); });
}

Request Communicator::broadcast(const void* send, void* recv, std::size_t count, DataType dt, int root, Stream stream) {
  detail::check_rank("broadcast", "root", root, size());
  const std::size_t bytes = detail::check_bytes("broadcast", count, dt);
  if (rank() == root) detail::check_buffer("broadcast", "the root's send", send, count);
  detail::check_buffer("broadcast", "recv", recv, count);
  return observed(OpRecord{.kind = OpKind::broadcast, .bytes = bytes, .dtype = dt, .peer = root},
                  [&](OpTrace t) { return do_broadcast(send, recv, count, dt, root, stream, std::move(t)); });
}

Request Communicator::reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, int root,
                             Stream stream) {
  detail::check_rank("reduce", "root", root, size());
  detail::check_reduction("reduce", op, dt, can_reduce(op, dt), backend());
  const std::size_t bytes = detail::check_bytes("reduce", count, dt);
  detail::check_buffer("reduce", "send", send, count);
  if (rank() == root) detail::check_buffer("reduce", "the root's recv", recv, count);
  return observed(OpRecord{.kind = OpKind::reduce, .bytes = bytes, .dtype = dt, .peer = root},
                  [&](OpTrace t) { return do_reduce(send, recv, count, dt, op, root, stream, std::move(t)); });
}

Request Communicator::alltoall(const void* send, void* recv, std::size_t count, DataType dt, Stream stream) {
  const std::size_t bytes = detail::check_bytes("alltoall", count, dt, std::size_t(size()));
  detail::check_buffer("alltoall", "send", send, count);
  detail::check_buffer("alltoall", "recv", recv, count);
  return observed(OpRecord{.kind = OpKind::alltoall, .bytes = bytes, .dtype = dt},
                  [&](OpTrace t) { return do_alltoall(send, recv, count, dt, stream, std::move(t)); });
}

Request Communicator::send(const void* buf, std::size_t count, DataType dt, int peer, Stream stream) {
  detail::check_peer("send", "peer", peer, rank(), size(), sends_to_self(), backend());
  const std::size_t bytes = detail::check_bytes("send", count, dt);
  detail::check_buffer("send", "send", buf, count);
  return observed(OpRecord{.kind = OpKind::send, .bytes = bytes, .dtype = dt, .peer = peer},
                  [&](OpTrace t) { return do_send_recv(buf, count, peer, nullptr, 0, -1, dt, stream, std::move(t)); });
}

Request Communicator::recv(void* buf, std::size_t count, DataType dt, int peer, Stream stream) {
  detail::check_peer("recv", "peer", peer, rank(), size(), sends_to_self(), backend());
  const std::size_t bytes = detail::check_bytes("recv", count, dt);
  detail::check_buffer("recv", "recv", buf, count);
  return observed(OpRecord{.kind = OpKind::recv, .bytes = bytes, .dtype = dt, .peer = peer},
                  [&](OpTrace t) { return do_send_recv(nullptr, 0, -1, buf, count, peer, dt, stream, std::move(t)); });
}

Request Communicator::send_recv(const void* send_buf, std::size_t send_count, int to, void* recv_buf, std::size_t recv_count,
                                int from, DataType dt, Stream stream) {
  detail::check_peer("send_recv", "destination", to, rank(), size(), sends_to_self(), backend());
  detail::check_peer("send_recv", "source", from, rank(), size(), sends_to_self(), backend());
  const std::size_t bytes = detail::check_bytes("send_recv", send_count, dt);
  detail::check_bytes("send_recv", recv_count, dt);
  detail::check_buffer("send_recv", "send", send_buf, send_count);
  detail::check_buffer("send_recv", "recv", recv_buf, recv_count);
  return observed(OpRecord{.kind = OpKind::send_recv, .bytes = bytes, .dtype = dt, .peer = to, .from = from},
                  [&](OpTrace t) {
                    return do_send_recv(send_buf, send_count, to, recv_buf, recv_count, from, dt, stream, std::move(t));
                  });
}

Request Communicator::barrier(Stream stream) {
  return observed(OpRecord{.kind = OpKind::barrier}, [&](OpTrace t) { return do_barrier(stream, std::move(t)); });
}

}  // namespace cairn::coll
