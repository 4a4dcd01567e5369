// FastRequant against TFLM's formula (quantization.h's MultiplyByQuantizedMultiplier
// plus the zero point) for every shift it applies to: exactly for |x| < 2^30, and
// after the int8 clamp for every x, including INT32_MIN / INT32_MAX. Accumulators
// in [-4096, 4096] hit both roundings' ties (multiplier 2^30 halves x exactly); the
// extremes and a pseudo-random sweep cover the saturated range. The parity tests
// only reach the accumulators real models produce.
//   requant_test   -> prints one line per mismatch, exits 1 if any
#include <stdio.h>

#include "kernels/kernel_util.h"
#include "kernels/requant.h"

namespace {

int failures = 0;
long checked = 0;

void Check(int32_t x, int32_t multiplier, int32_t shift, int32_t zero_point) {
  const tpw::FastRequant fast(multiplier, shift, zero_point);
  const int32_t expected = tpw::MultiplyByQuantizedMultiplier(x, multiplier, shift) + zero_point;
  const int32_t got = fast(static_cast<uint32_t>(x));
  const bool in_range = x > -(int32_t{1} << 30) && x < (int32_t{1} << 30);
  const bool ok = in_range ? got == expected : tpw::SaturateInt8(got) == tpw::SaturateInt8(expected);
  ++checked;
  if (!ok && ++failures <= 20) {
    printf("FAILED x=%ld multiplier=%ld shift=%ld zero_point=%ld: got %ld, TFLM %ld\n", static_cast<long>(x),
           static_cast<long>(multiplier), static_cast<long>(shift), static_cast<long>(zero_point),
           static_cast<long>(got), static_cast<long>(expected));
  }
}

}  // namespace

int main() {
  const int32_t multipliers[] = {0, 1 << 30, (1 << 30) + 1, 1518500250, 1879048192, INT32_MAX};
  const int32_t zero_points[] = {-128, -1, 0, 5, 127};
  const int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1,
                              (1 << 30) - 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX};
  uint32_t random = 12345;
  for (int32_t shift = -tpw::FastRequant::kMaxShift; shift <= -1; ++shift) {
    if (!tpw::FastRequant::Applies(shift)) ++failures, printf("FAILED Applies(%ld)\n", static_cast<long>(shift));
    for (int32_t multiplier : multipliers) {
      for (int32_t zero_point : zero_points) {
        for (int32_t x = -4096; x <= 4096; ++x) Check(x, multiplier, shift, zero_point);
        for (int32_t x : extremes) Check(x, multiplier, shift, zero_point);
        for (int i = 0; i < 2000; ++i) {
          random = random * 1664525u + 1013904223u;
          Check(static_cast<int32_t>(random) >> (i % 24), multiplier, shift, zero_point);
        }
      }
    }
  }
  if (tpw::FastRequant::Applies(0) || tpw::FastRequant::Applies(-tpw::FastRequant::kMaxShift - 1)) {
    ++failures, printf("FAILED Applies outside 1..%ld\n", static_cast<long>(tpw::FastRequant::kMaxShift));
  }
  printf("%s requant_test: %ld cases, %d mismatches\n", failures == 0 ? "ok" : "FAILED", checked, failures);
  return failures == 0 ? 0 : 1;
}
