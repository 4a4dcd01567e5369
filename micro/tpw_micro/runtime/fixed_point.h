// The gemmlowp fixed-point transcendental functions TFLM's int8 SOFTMAX and
// LOGISTIC are built on, on raw int32 values. A value with I integer bits
// represents raw / 2^(31 - I). Constants are the Q-format encodings gemmlowp
// uses (e.g. 1895147668 = exp(-1/8) in Q0.31).
#ifndef TPW_MICRO_RUNTIME_FIXED_POINT_H_
#define TPW_MICRO_RUNTIME_FIXED_POINT_H_

#include <stdint.h>

#include "quantization.h"

namespace tpw {
namespace fixed_point {

// 1.0 with 0 integer bits is not representable: gemmlowp uses INT32_MAX.
constexpr int32_t kOneQ0 = INT32_MAX;

inline int32_t One(int integer_bits) {
  return integer_bits == 0 ? kOneQ0 : static_cast<int32_t>(int64_t{1} << (31 - integer_bits));
}

// Product of values with a and b integer bits has a + b integer bits.
inline int32_t Mul(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }

// x * 2^exponent, rounding when shifting right and saturating when shifting left.
inline int32_t SaturatingRoundingMultiplyByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return RoundingDivideByPOT(x, -exponent);
  const int32_t threshold = static_cast<int32_t>((int64_t{1} << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

// Changes a value's format from `from_bits` to `to_bits` integer bits.
inline int32_t Rescale(int32_t x, int from_bits, int to_bits) {
  return SaturatingRoundingMultiplyByPOT(x, from_bits - to_bits);
}

// (a + b) / 2 rounded away from zero, without overflow.
inline int32_t RoundingHalfSum(int32_t a, int32_t b) {
  int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<int32_t>((sum + sign) / 2);
}

// exp(a) for a in [-1/4, 0), a and result in Q0.31.
int32_t ExpOnIntervalNegativeQuarterToZero(int32_t a);
// exp(a) for a <= 0 with `integer_bits` integer bits; result in Q0.31.
int32_t ExpOnNegativeValues(int32_t a, int integer_bits);
// 1 / (1 + a) for a in [0, 1), a and result in Q0.31.
int32_t OneOverOnePlusX(int32_t a);
// 1 / (1 + exp(-a)) with `integer_bits` integer bits; result in Q0.31.
int32_t Logistic(int32_t a, int integer_bits);
// Reciprocal of a positive x with `integer_bits` integer bits, as a Q0.31
// significand and the power of two above unit (TFLM's GetReciprocal).
int32_t GetReciprocal(int32_t x, int integer_bits, int* num_bits_over_unit);

}  // namespace fixed_point
}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_FIXED_POINT_H_
