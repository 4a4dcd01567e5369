#include "fixed_point.h"

namespace tpw {
namespace fixed_point {

int32_t ExpOnIntervalNegativeQuarterToZero(int32_t a) {
  const int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8)
  const int32_t kOneThird = 715827883;
  // Taylor expansion around -1/8: x = a + 1/8 (1/8 is 1 << 28 in Q0.31).
  const int32_t x = WrappingAdd(a, int32_t{1} << 28);
  const int32_t x2 = Mul(x, x);
  const int32_t x3 = Mul(x2, x);
  const int32_t x4 = Mul(x2, x2);
  const int32_t x4_over_4 = SaturatingRoundingMultiplyByPOT(x4, -2);
  const int32_t poly = SaturatingRoundingMultiplyByPOT(
      WrappingAdd(Mul(WrappingAdd(x4_over_4, x3), kOneThird), x2), -1);
  return WrappingAdd(kExpMinusOneEighth, Mul(kExpMinusOneEighth, WrappingAdd(x, poly)));
}

int32_t ExpOnNegativeValues(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = static_cast<int32_t>(int64_t{1} << (fractional_bits - 2));
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = WrappingSub(a & mask, one_quarter);
  int32_t result = ExpOnIntervalNegativeQuarterToZero(Rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
  const int32_t remainder = WrappingSub(a_mod_quarter_minus_quarter, a);
  // Barrel shifter: multiply by exp(-2^k) for every set bit 2^k of -a above 1/4.
  struct Step {
    int exponent;
    int32_t multiplier;  // exp(-2^exponent) in Q0.31
  };
  static const Step kSteps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                                {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Step& step : kSteps) {
    if (integer_bits <= step.exponent) continue;
    const int shift = fractional_bits + step.exponent;
    if ((remainder & static_cast<int32_t>(int64_t{1} << shift)) != 0) result = Mul(result, step.multiplier);
  }
  if (integer_bits > 5) {
    // Below -32 the result underflows to zero.
    const int32_t clamp = -static_cast<int32_t>(int64_t{1} << (36 - integer_bits));
    if (a < clamp) result = 0;
  }
  if (a == 0) result = kOneQ0;
  return result;
}

int32_t OneOverOnePlusX(int32_t a) {
  // Newton-Raphson on half the denominator, in Q2.29.
  const int32_t half_denominator = RoundingHalfSum(a, kOneQ0);
  const int32_t k48Over17 = 1515870810;
  const int32_t kMinus32Over17 = -1010580540;
  const int32_t one_q2 = One(2);
  int32_t x = WrappingAdd(k48Over17, Mul(half_denominator, kMinus32Over17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = Mul(half_denominator, x);
    const int32_t one_minus = WrappingSub(one_q2, half_denominator_times_x);
    x = WrappingAdd(x, Rescale(Mul(x, one_minus), 4, 2));
  }
  // x / 2 exactly reinterprets Q2 as Q1; then rescale to Q0.
  return Rescale(x, 1, 0);
}

int32_t Logistic(int32_t a, int integer_bits) {
  const bool positive = a > 0;
  const int32_t abs_input = positive ? a : WrappingSub(0, a);
  const int32_t result_if_positive = OneOverOnePlusX(ExpOnNegativeValues(WrappingSub(0, abs_input), integer_bits));
  const int32_t result_if_negative = WrappingSub(kOneQ0, result_if_positive);
  if (a == 0) return int32_t{1} << 30;  // one half
  return positive ? result_if_positive : result_if_negative;
}

int32_t GetReciprocal(int32_t x, int integer_bits, int* num_bits_over_unit) {
  int headroom_plus_one = 0;
  for (uint32_t v = static_cast<uint32_t>(x); headroom_plus_one < 32 && (v & 0x80000000u) == 0; v <<= 1) {
    ++headroom_plus_one;
  }
  *num_bits_over_unit = integer_bits - headroom_plus_one;
  const uint32_t shifted = headroom_plus_one >= 32 ? 0u : static_cast<uint32_t>(x) << headroom_plus_one;
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(shifted - (uint32_t{1} << 31));
  return OneOverOnePlusX(shifted_sum_minus_one);
}

}  // namespace fixed_point
}  // namespace tpw
