// Shapes of the double binary tree (Sanders, Speck & Träff, "Two-tree algorithms for full
// bandwidth broadcast, reduction and scan", Parallel Computing 35(12), 2009). Two binary
// trees over the same ranks, each carrying half of the data; a rank that is an inner
// node of one tree is a leaf of the other (exactly so for even counts), so every rank
// sends and receives about the whole buffer once: full bandwidth at logarithmic depth.
// The layout is the one NCCL builds (src/graph/trees.cc): an in-order tree whose node r
// has its parent and children at +-(lowest set bit of r)/2 offsets; the second tree is
// the first mirrored (r -> n-1-r) for even n, or shifted by one rank for odd n.
#pragma once

namespace cairn::coll::detail {

struct TreeNode {
  int parent = -1;  // -1: the root
  int child[2] = {-1, -1};
};

// Links of rank v in the binary tree over ranks 0..n-1 (root 0, which has one child).
TreeNode btree(int n, int v);

// Links of rank v in tree t (0 or 1) of the double binary tree over ranks 0..n-1.
TreeNode dtree(int n, int v, int t);

// The root of tree t.
int dtree_root(int n, int t);

}  // namespace cairn::coll::detail
