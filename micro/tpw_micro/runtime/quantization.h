// Fixed-point requantization, reproducing TFLM's reference integer arithmetic.
//
// TFLM (without TFLITE_SINGLE_ROUNDING) rescales an int32 accumulator in two
// rounding steps: SaturatingRoundingDoublingHighMul (round to nearest, ties
// away from zero, on the high 32 bits of 2*x*m) then RoundingDivideByPOT
// (round to nearest, ties away from zero). Bit-exact parity depends on
// keeping both steps. Overflowing products wrap as two's complement, which is
// what TFLM's builds do in practice, without the undefined behaviour.
#ifndef TPW_MICRO_RUNTIME_QUANTIZATION_H_
#define TPW_MICRO_RUNTIME_QUANTIZATION_H_

#include <stdint.h>

namespace tpw {

inline int32_t WrappingMul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}
inline int32_t WrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrappingSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}

// High 32 bits of 2*a*b, rounded to nearest (ties away from zero), saturated.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  // TFLM adds a nudge of 2^30 (1 - 2^30 for a negative product) and divides by
  // 2^31 truncating toward zero; for a negative product that truncation equals
  // flooring (product + 2^30) / 2^31, so both cases are one add and an
  // arithmetic shift (an SMLAL on Cortex-M instead of a sign-dependent sequence).
  const int64_t product = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  return static_cast<int32_t>((product + (int64_t{1} << 30)) >> 31);
}

// x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * multiplier * 2^shift with TFLM's two roundings; -31 <= shift <= 30.
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(WrappingMul(x, int32_t{1} << left_shift), multiplier),
      right_shift);
}

// Splits a real multiplier into a Q31 significand and a power-of-two shift the
// way TFLM's QuantizeMultiplier does (frexp, then round(q * 2^31)). Returns
// false for a negative, non-finite or out-of-range multiplier (|shift| > 30
// for a non-negligible value), which TFLM would abort on or misbehave with.
bool QuantizeMultiplier(double real_multiplier, int32_t* multiplier, int* shift);

// Largest |input - zero_point| whose rescaled value still fits the fixed-point
// input range of softmax/logistic (TFLM's CalculateInputRadius).
int32_t CalculateInputRadius(int input_integer_bits, int input_left_shift, int total_signed_bits);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_QUANTIZATION_H_
