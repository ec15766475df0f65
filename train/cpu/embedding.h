// Token embedding: a row lookup into a [vocab, d] table.
//   forward:  y[i, :] = table[tokens[i], :]
//   backward: dtable[tokens[i], :] += dy[i, :]   (rows of repeated tokens add up)
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// tokens: n ids, each in [0, vocab) (checked: cairn::Error names the row and the id).
// y: [n, d].
template <typename T>
void embedding_forward(const std::int32_t* tokens, std::int64_t n, const T* table,
                       std::int64_t vocab, std::int64_t d, T* y);

// dtable: [vocab, d], accumulated (+=) like every parameter gradient.
template <typename T>
void embedding_backward(const std::int32_t* tokens, std::int64_t n, const T* dy,
                        std::int64_t vocab, std::int64_t d, T* dtable);

}  // namespace cairn::train::cpu
