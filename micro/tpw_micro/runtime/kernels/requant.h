// TFLM's per-channel requantization of an int32 accumulator,
//   MultiplyByQuantizedMultiplier(x, multiplier, shift) + zero_point
// (quantization.h: a rounding doubling high multiply, then a rounding right
// shift, ties away from zero), in four instructions on Cortex-M4 for the
// shifts conv layers have (a right shift of 1 to 20 bits, TFLM's multiplier
// significand in [2^30, 2^31) or 0):
//
//   t    = saturate(2 x)                                    QADD
//   high = (t * multiplier + offset_x * 2^32 + 2^31) >> 32  SMMLAR
//          offset_x = 2^(shift-1) + zero_point * 2^shift - (x < 0)
//   out  = high >> shift                                    ASR (+ the sign ADD)
//
// (three when the caller accumulates 2 x itself, e.g. with doubled weights and
// bias, and proves |x| < 2^30 so that 2 x does not wrap: t = 2 x, OfDoubled).
//
// Why it is exact: with t = 2x, (t * m + 2^31) >> 32 is TFLM's first rounding
// (x * m + 2^30) >> 31, so high = h + offset_x for TFLM's h. TFLM's second
// rounding of h by 2^s, ties away from zero, is (h + 2^(s-1) - (h < 0)) >> s;
// h < 0 only when x < 0, and when x < 0 but h = 0 the term does not change the
// shift (s >= 1). The zero point is a multiple of 2^s, so it passes the shift
// whole. Saturating 2x only touches |x| >= 2^30, where |h| >= 2^29 (m >= 2^30)
// and both results leave the int8 range on the same side (s <= 20); then
// |high| < 2^31, so nothing wraps.
#ifndef TPW_MICRO_RUNTIME_KERNELS_REQUANT_H_
#define TPW_MICRO_RUNTIME_KERNELS_REQUANT_H_

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) || defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

namespace tpw {

struct FastRequant {
  static constexpr int32_t kMaxShift = 20;

  int32_t multiplier;  // TFLM's Q31 significand
  int32_t offset;      // 2^(shift-1) + zero_point * 2^shift
  int32_t shift;       // right shift, 1..kMaxShift

  // True when this form gives TFLM's result for TFLM's (multiplier, shift)
  // and an int8 zero point: a right shift of 1..kMaxShift bits.
  static bool Applies(int32_t tflm_shift) { return tflm_shift <= -1 && tflm_shift >= -kMaxShift; }

  FastRequant() = default;
  FastRequant(int32_t tflm_multiplier, int32_t tflm_shift, int32_t zero_point)
      : multiplier(tflm_multiplier),
        offset((2 * zero_point + 1) * (int32_t{1} << (-tflm_shift - 1))),  // 2^(s-1) + zero_point 2^s
        shift(-tflm_shift) {}

  // TFLM's requantized value of the wrapped accumulator `sum`, plus the zero
  // point, before the activation clamp.
  int32_t operator()(uint32_t sum) const {
    const int32_t x = static_cast<int32_t>(sum);
#if defined(__ARM_FEATURE_DSP)
    return OfDoubled(__qadd(x, x));
#else
    return OfDoubled(x > INT32_MAX / 2 ? INT32_MAX : (x < INT32_MIN / 2 ? INT32_MIN : 2 * x));
#endif
  }

  // The same from t = saturate(2 x) (no QADD where the caller's accumulator is
  // 2 x already and cannot overflow).
  int32_t OfDoubled(int32_t t) const {
    const int32_t offset_t = offset + (t >> 31);  // t < 0 exactly when x < 0
#if defined(__ARM_FEATURE_DSP)
    int32_t high;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(high) : "r"(t), "r"(multiplier), "r"(offset_t));
#else
    const int32_t high = static_cast<int32_t>(
        (int64_t{t} * multiplier + offset_t * (int64_t{1} << 32) + (int64_t{1} << 31)) >> 32);
#endif
    return high >> shift;
  }
};

// v clamped to the int8 range (one SSAT where the core has it).
inline int32_t SaturateToInt8(int32_t v) {
#if defined(__ARM_FEATURE_SAT)
  return __ssat(v, 8);
#else
  return v < -128 ? -128 : (v > 127 ? 127 : v);
#endif
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_REQUANT_H_
