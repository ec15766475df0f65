#include "collectives/backends/ucx/dtree.h"

namespace cairn::coll::detail {

TreeNode btree(int n, int v) {
  TreeNode node;
  if (n <= 1) return node;
  int bit = 1;  // lowest set bit of v; for v = 0 the first power of two >= n
  while (bit < n && !(bit & v)) bit <<= 1;
  if (v == 0) {
    node.child[1] = bit >> 1;
    return node;
  }
  // Parent: clear our bit and set the next one up (we are its left or right child); if
  // that rank does not exist, the parent is the rank with our bit cleared.
  int up = (v ^ bit) | (bit << 1);
  if (up >= n) up = v ^ bit;
  node.parent = up;
  int low = bit >> 1;
  if (low == 0) return node;  // odd ranks are leaves
  node.child[0] = v - low;
  while (low > 0 && v + low >= n) low >>= 1;  // the right subtree may be cut by n
  if (low > 0) node.child[1] = v + low;
  return node;
}

TreeNode dtree(int n, int v, int t) {
  if (t == 0) return btree(n, v);
  TreeNode out;
  if (n % 2 == 1) {  // shift: tree 1 is tree 0 over ranks relabelled r -> r+1
    const TreeNode in = btree(n, (v - 1 + n) % n);
    auto map = [n](int r) { return r < 0 ? -1 : (r + 1) % n; };
    out.parent = map(in.parent);
    out.child[0] = map(in.child[0]);
    out.child[1] = map(in.child[1]);
  } else {  // mirror: r -> n-1-r
    const TreeNode in = btree(n, n - 1 - v);
    auto map = [n](int r) { return r < 0 ? -1 : n - 1 - r; };
    out.parent = map(in.parent);
    out.child[0] = map(in.child[0]);
    out.child[1] = map(in.child[1]);
  }
  return out;
}

int dtree_root(int n, int t) {
  if (t == 0 || n <= 1) return 0;
  return n % 2 == 1 ? 1 % n : n - 1;
}

}  // namespace cairn::coll::detail
