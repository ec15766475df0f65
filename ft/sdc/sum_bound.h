// The rounding bound of the checked reduction's sum check (b): how far the sum of a
// reduced chunk may lie from the mean of its inputs' sums with no fault at all.
//
// The owner of a chunk computes y_i = fl(fl(...fl(x_0i + x_1i) ... + x_{R-1,i}) / R) in
// f32 (rank order) and then T = sum_i y_i in double; each sender declared, in double,
// S_r = sum_i x_ri and A_r = sum_i |x_ri|. With u = 2^-24 (f32) and Higham's
// gamma_k = k u / (1 - k u) (Accuracy and Stability of Numerical Algorithms, 2nd ed.,
// Lemma 3.1 and eq. (4.4): recursive summation of k+1 terms errs by at most
// gamma_k sum |x|, in any order):
//   |y_i - t_i/R| <= (gamma_{R-1} + u (1 + gamma_{R-1})) a_i / R + 2^-150
// (t_i = sum_r x_ri exactly, a_i = sum_r |x_ri|; the last term: the division's rounding
// when the quotient is subnormal), so over the C elements of a chunk
//   |sum_i y_i - (1/R) sum_r S_r| <= (gamma_{R-1} + u (1 + gamma_{R-1})) A / R + C 2^-150
// with A = sum_r A_r, plus the double sums' own error, gamma_{C+R+2}(2^-53) (2A/R + 2Y)
// with Y the result's sum of magnitudes (a generous form; it is ~1e-16 C of the data).
#pragma once

#include <cstddef>

namespace cairn::ft {

// gamma_k = k u / (1 - k u); infinite when k u >= 1.
double gamma_bound(double k, double unit_roundoff);

// The bound above, for R ranks and chunks of C elements; A and Y as above.
double reduction_sum_bound(double inputs_abs_sum, double result_abs_sum, int ranks, std::size_t chunk);

}  // namespace cairn::ft
