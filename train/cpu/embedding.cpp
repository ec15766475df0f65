#include "train/cpu/embedding.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace cairn::train::cpu {
namespace {

void check_token(std::int32_t t, std::int64_t row, std::int64_t vocab) {
  if (t < 0 || t >= vocab)
    throw Error("embedding: token " + std::to_string(t) + " at row " + std::to_string(row) +
                " is outside the vocabulary [0, " + std::to_string(vocab) +
                ") (data made for another vocabulary?)");
}

}  // namespace

template <typename T>
void embedding_forward(const std::int32_t* tokens, std::int64_t n, const T* table,
                       std::int64_t vocab, std::int64_t d, T* y) {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t t = tokens[i];
    check_token(t, i, vocab);
    std::copy_n(table + t * d, d, y + i * d);
  }
}

template <typename T>
void embedding_backward(const std::int32_t* tokens, std::int64_t n, const T* dy,
                        std::int64_t vocab, std::int64_t d, T* dtable) {
  // Sequential over rows: repeated tokens add in row order (deterministic).
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t t = tokens[i];
    check_token(t, i, vocab);
    T* row = dtable + t * d;
    const T* g = dy + i * d;
    for (std::int64_t j = 0; j < d; ++j) row[j] += g[j];
  }
}

#define CAIRN_INSTANTIATE(T)                                                                \
  template void embedding_forward<T>(const std::int32_t*, std::int64_t, const T*,           \
                                     std::int64_t, std::int64_t, T*);                       \
  template void embedding_backward<T>(const std::int32_t*, std::int64_t, const T*,          \
                                      std::int64_t, std::int64_t, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
