#include "quantization.h"

#include <math.h>

namespace tpw {

bool QuantizeMultiplier(double real_multiplier, int32_t* multiplier, int* shift) {
  *multiplier = 0;
  *shift = 0;
  if (!(real_multiplier >= 0.0) || !isfinite(real_multiplier)) return false;
  if (real_multiplier == 0.0) return true;
  int exponent = 0;
  const double significand = frexp(real_multiplier, &exponent);
  int64_t fixed = static_cast<int64_t>(round(significand * static_cast<double>(int64_t{1} << 31)));
  if (fixed == (int64_t{1} << 31)) {
    fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) return true;  // every bit would shift out: TFLM uses 0 * 2^0
  if (exponent > 30) return false;
  *multiplier = static_cast<int32_t>(fixed);
  *shift = exponent;
  return true;
}

int32_t CalculateInputRadius(int input_integer_bits, int input_left_shift, int total_signed_bits) {
  const double max_input_rescaled = 1.0 * ((1 << input_integer_bits) - 1) *
                                    static_cast<double>(int64_t{1} << (total_signed_bits - input_integer_bits)) /
                                    static_cast<double>(int64_t{1} << input_left_shift);
  return static_cast<int32_t>(floor(max_input_rescaled));
}

}  // namespace tpw
