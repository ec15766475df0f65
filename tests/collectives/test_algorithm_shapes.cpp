// The shapes the UCX algorithms are built on: even partitions, rings, the double binary
// tree, the automatic algorithm choice, and the tag layout.
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/algo_select.h"
#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/ucx/dtree.h"
#include "collectives/backends/ucx/chunk_schedule.h"

namespace cairn::coll::detail {
namespace {

TEST(EvenPart, PartsTileTheRangeAndDifferByAtMostOne) {
  for (std::size_t total : {0, 1, 7, 64, 1001}) {
    for (std::size_t parts : {1, 2, 3, 8, 13}) {
      std::size_t next = 0, lo = total, hi = 0;
      for (std::size_t i = 0; i < parts; ++i) {
        const Span s = even_part(total, parts, i);
        EXPECT_EQ(s.offset, next);
        next += s.count;
        lo = std::min(lo, s.count);
        hi = std::max(hi, s.count);
      }
      EXPECT_EQ(next, total);
      EXPECT_EQ(even_part(total, parts, parts).offset, total);  // the end, for block ranges
      EXPECT_LE(hi - lo, 1u);
    }
  }
}

TEST(Ring, EveryOriginAndDirectionVisitsEveryRankOnce) {
  for (int n : {2, 3, 8}) {
    for (bool reversed : {false, true}) {
      for (int origin = 0; origin < n; ++origin) {
        const Ring ring{n, reversed, origin};
        std::set<int> seen;
        for (int p = 0; p < n; ++p) {
          seen.insert(ring.rank_at(p));
          EXPECT_EQ(ring.pos_of(ring.rank_at(p)), p);
        }
        EXPECT_EQ(int(seen.size()), n);
        EXPECT_EQ(ring.rank_at(0), origin);
        EXPECT_EQ(ring.rank_at(-1), ring.rank_at(n - 1));
        EXPECT_EQ(ring.rank_at(1), reversed ? (origin + n - 1) % n : (origin + 1) % n);
      }
    }
  }
}

// Checks that tree t over n ranks is one spanning tree: one root, parent and child links
// agree, every rank reachable from the root.
void expect_spanning_tree(int n, int t) {
  SCOPED_TRACE("n=" + std::to_string(n) + " tree " + std::to_string(t));
  int roots = 0;
  std::vector<std::vector<int>> children(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v) {
    const TreeNode node = dtree(n, v, t);
    if (node.parent < 0) {
      ++roots;
      EXPECT_EQ(v, dtree_root(n, t));
    } else {
      ASSERT_LT(node.parent, n);
      const TreeNode up = dtree(n, node.parent, t);
      EXPECT_TRUE(up.child[0] == v || up.child[1] == v) << "rank " << v << " is not a child of its parent " << node.parent;
    }
    for (int c : node.child) {
      if (c < 0) continue;
      ASSERT_LT(c, n);
      EXPECT_EQ(dtree(n, c, t).parent, v);
      children[std::size_t(v)].push_back(c);
    }
  }
  EXPECT_EQ(roots, 1);
  std::vector<int> stack{dtree_root(n, t)};
  std::set<int> reached;
  int depth_guard = 0;
  while (!stack.empty() && ++depth_guard < 10 * n) {
    const int v = stack.back();
    stack.pop_back();
    EXPECT_TRUE(reached.insert(v).second) << "rank " << v << " reached twice";
    for (int c : children[std::size_t(v)]) stack.push_back(c);
  }
  EXPECT_EQ(int(reached.size()), n);
}

TEST(DoubleBinaryTree, BothTreesSpanEveryRankCount) {
  for (int n = 1; n <= 70; ++n)
    for (int t = 0; t < 2; ++t) expect_spanning_tree(n, t);
}

TEST(DoubleBinaryTree, MatchesNcclLayoutForTwelveRanks) {
  // NCCL's src/graph/trees.cc draws tree 0 for 12 ranks as 0 -> 8 -> {4, 10}, 4 -> {2, 6}.
  EXPECT_EQ(btree(12, 0).child[1], 8);
  EXPECT_EQ(btree(12, 8).child[0], 4);
  EXPECT_EQ(btree(12, 8).child[1], 10);
  EXPECT_EQ(btree(12, 4).child[0], 2);
  EXPECT_EQ(btree(12, 4).child[1], 6);
  EXPECT_EQ(btree(12, 10).child[0], 9);
  EXPECT_EQ(btree(12, 10).child[1], 11);
  EXPECT_EQ(dtree_root(12, 1), 11);  // mirrored
  EXPECT_EQ(dtree_root(13, 1), 1);   // shifted
}

TEST(DoubleBinaryTree, EveryRankIsALeafInOneTreeForEvenCounts) {
  // The complementary property that gives the two trees full bandwidth (Sanders et al.
  // 2009): no rank forwards data in both trees.
  for (int n = 2; n <= 64; n += 2) {
    for (int v = 0; v < n; ++v) {
      const TreeNode a = dtree(n, v, 0), b = dtree(n, v, 1);
      const bool inner0 = a.child[0] >= 0 || a.child[1] >= 0, inner1 = b.child[0] >= 0 || b.child[1] >= 0;
      EXPECT_FALSE(inner0 && inner1) << "n=" << n << " rank " << v;
    }
  }
}

TEST(AlgoSelect, AutomaticPicksRhdForSmallAndRingForLargeBuffers) {
  AlgoConfig c;
  EXPECT_EQ(choose_all_reduce(c, 4096, 8), Algorithm::rhd);
  EXPECT_EQ(choose_all_reduce(c, 64 << 20, 8), Algorithm::ring);
  c.algorithm = Algorithm::tree;
  EXPECT_EQ(choose_all_reduce(c, 64 << 20, 8), Algorithm::tree);
  EXPECT_EQ(choose_rooted(c), Algorithm::tree);
  c.algorithm = Algorithm::ring;
  EXPECT_EQ(choose_rooted(c), Algorithm::ring);
  c.channels = 1000;
  c.pipeline_depth = -3;
  const Knobs k = resolve_knobs(c);
  EXPECT_EQ(k.channels, kMaxChannels);
  EXPECT_EQ(k.depth, 1);
  EXPECT_EQ(k.chunk_bytes, kDefaultChunkBytes);
}

TEST(TagLayout, FieldsDoNotOverlap) {
  const std::uint64_t t = TagLayout::make(65535, 5, 3, 9);
  EXPECT_NE(TagLayout::make(1, 5, 3, 9), TagLayout::make(2, 5, 3, 9));
  EXPECT_NE(TagLayout::make(1, 5, 3, 9), TagLayout::make(1, 6, 3, 9));
  EXPECT_NE(TagLayout::make(1, 5, 3, 9), TagLayout::make(1, 5, 4, 9));
  EXPECT_NE(TagLayout::make(1, 5, 3, 9), TagLayout::make(1, 5, 3, 10));
  // Sequence and step wrap inside their fields instead of spilling into the neighbours.
  EXPECT_EQ(TagLayout::make(1, 5 + (1u << TagLayout::kSeqBits), 3, 9), TagLayout::make(1, 5, 3, 9));
  EXPECT_EQ(TagLayout::make(1, 5, 3, 9 + (1u << TagLayout::kStepBits)), TagLayout::make(1, 5, 3, 9));
  EXPECT_EQ(t & ~TagLayout::kAnySenderMask, std::uint64_t(65535) << (64 - TagLayout::kRankBits));
}

}  // namespace
}  // namespace cairn::coll::detail
