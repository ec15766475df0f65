// Double binary tree all_reduce, reduce and broadcast, in the form of Sanders, Speck &
// Träff (2009): the root sits above two binary trees spanning the other N-1 ranks
// (dtree.h), and each tree carries every other slice of the buffer. A reduction flows up
// (children's pieces are combined, then sent to the parent), a broadcast down; all_reduce
// is both with root 0, pipelined piece by piece so that all levels work at once. Every
// rank ends with the root's bytes, so results agree bit for bit.
#include <cstring>

#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/ucx/dtree.h"
#include "collectives/backends/host_reduce.h"

namespace cairn::coll::detail {
namespace {

constexpr std::uint32_t kUp = 0, kDown = 1;

// A rank's links for slices of tree t: the root's child is the tree's root; the tree's
// root's parent is the root.
TreeNode rooted_links(int size, int root, int rank, int t) {
  const int others = size - 1;
  auto real = [&](int v) { return v < 0 ? -1 : (root + 1 + v) % size; };
  TreeNode out;
  if (rank == root) {
    out.child[0] = real(dtree_root(others, t));
    return out;
  }
  const TreeNode in = dtree(others, (rank - root - 1 + size) % size, t);
  out.parent = in.parent < 0 ? root : real(in.parent);
  out.child[0] = real(in.child[0]);
  out.child[1] = real(in.child[1]);
  return out;
}

class TreeJob final : public Job {
 public:
  TreeJob(const CollArgs& a, Span piece, TreeNode links, bool up, bool down, std::byte* scratch)
      : a_(a), piece_(piece), links_(links), up_(up), down_(down), from_child_{scratch, scratch + piece.count * a.elem_bytes},
        partial_(scratch + 2 * piece.count * a.elem_bytes) {}

  bool step(Links& l) override {
    switch (state_) {
      case State::start:
        if (up_) {
          for (int i = 0; i < 2; ++i)
            if (links_.child[i] >= 0) l.recv(links_.child[i], from_child_[i], bytes(), kUp);
          state_ = State::children_arrived;
        } else if (is_root()) {
          if (send_piece() != recv_piece()) std::memcpy(recv_piece(), send_piece(), bytes());
          send_to_children(l);
          state_ = State::done;
        } else {
          l.recv(links_.parent, recv_piece(), bytes(), kDown);
          state_ = State::parent_arrived;
        }
        return true;
      case State::children_arrived: {
        // The accumulator: recv at the root and for all_reduce, scratch for a reduce's
        // inner ranks (whose recv buffer is not theirs to write), the input for leaves.
        const bool into_recv = is_root() || down_;
        const std::byte* acc = send_piece();
        std::byte* out = into_recv ? recv_piece() : partial_;
        bool copied = false;
        for (int i = 0; i < 2; ++i) {
          if (links_.child[i] < 0) continue;
          reduce_to(out, acc, from_child_[i], piece_.count, a_.dt, a_.op);
          acc = out;
          copied = true;
        }
        if (into_recv && !copied && send_piece() != recv_piece()) std::memcpy(recv_piece(), send_piece(), bytes());
        if (into_recv) acc = recv_piece();
        if (is_root()) {
          finish_avg(recv_piece(), piece_.count, a_.dt, a_.op, a_.size);
          if (down_) send_to_children(l);
          state_ = State::done;
          return true;
        }
        l.send(links_.parent, acc, bytes(), kUp);
        // all_reduce: the parent's answer can only come after it has our bytes, so the
        // receive may overwrite the buffer being sent.
        if (down_) l.recv(links_.parent, recv_piece(), bytes(), kDown);
        state_ = down_ ? State::parent_arrived : State::done;
        return true;
      }
      case State::parent_arrived:
        send_to_children(l);
        state_ = State::done;
        return true;
      case State::done:
        return false;
    }
    return false;
  }

 private:
  enum class State { start, children_arrived, parent_arrived, done };
  bool is_root() const { return links_.parent < 0; }
  std::size_t bytes() const { return piece_.count * a_.elem_bytes; }
  const std::byte* send_piece() const { return a_.send + piece_.offset * a_.elem_bytes; }
  std::byte* recv_piece() const { return a_.recv + piece_.offset * a_.elem_bytes; }
  void send_to_children(Links& l) {
    for (int i = 0; i < 2; ++i)
      if (links_.child[i] >= 0) l.send(links_.child[i], recv_piece(), bytes(), kDown);
  }

  const CollArgs& a_;
  Span piece_;
  TreeNode links_;
  bool up_, down_;
  std::byte* from_child_[2];
  std::byte* partial_;
  State state_ = State::start;
};

}  // namespace

// Slices 2c and 2c+1 of channel c go down trees 0 and 1.
std::unique_ptr<Plan> tree_plan(const CollArgs& a, const Knobs& k, bool up, bool down) {
  const std::size_t chunk = chunk_elems(a, k);
  const TreeNode links[2] = {rooted_links(a.size, a.root, a.rank, 0), rooted_links(a.size, a.root, a.rank, 1)};
  const PlanShape shape{a.count, 2 * k.channels, chunk, up ? 3 * chunk * a.elem_bytes : 0, 2};
  return sliced_plan(a, shape, [links, up, down](const CollArgs& args, int slice, Span piece, std::byte* scratch) {
    return std::make_unique<TreeJob>(args, piece, links[slice % 2], up, down, scratch);
  });
}

std::unique_ptr<Plan> tree_all_reduce(const CollArgs& a, const Knobs& k) {
  CollArgs at_zero = a;
  at_zero.root = 0;
  return tree_plan(at_zero, k, true, true);
}
std::unique_ptr<Plan> tree_reduce(const CollArgs& a, const Knobs& k) { return tree_plan(a, k, true, false); }
std::unique_ptr<Plan> tree_broadcast(const CollArgs& a, const Knobs& k) { return tree_plan(a, k, false, true); }

}  // namespace cairn::coll::detail
