// int8 dot products with an input offset, the inner loops of CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED:
//   sum + sum_i w[i] * (x[i] + input_offset)   (input_offset in [-127, 128])
// accumulated as uint32 so it wraps like TFLM's int32 accumulator, without UB.
// On cores with the DSP extension (Cortex-M4/M7/M33) contiguous runs take four
// values per step: SXTB16 / SXTAB16 widen two int8 lanes to int16 (adding the
// offset for free) and SMLAD multiplies and adds both lanes into the 32-bit
// accumulator, which also wraps modulo 2^32, so the result is the same as the
// portable loop, bit for bit.
#ifndef TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
#define TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

namespace tpw {

#if defined(__ARM_FEATURE_DSP)
// SXTB16 / SXTAB16 of `v` rotated right by one byte (lanes 1 and 3), a form
// arm_acle.h has no intrinsic for and GCC does not fuse from a separate rotate.
inline int32_t Sxtb16Ror8(uint32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}
inline int32_t Sxtab16Ror8(int32_t a, uint32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}
#endif

// sums[k] += sum over i < n of w[i] * (x[k * x_step + i] + input_offset), for
// kWindows (1 or 2) windows of a contiguous run: a second window reuses each
// weight load and sign extension.
template <int kWindows>
inline void RunDots(const int8_t* w, const int8_t* x, int32_t x_step, int32_t n, int32_t input_offset,
                    uint32_t* sums) {
  static_assert(kWindows == 1 || kWindows == 2, "one or two windows");
  uint32_t sum0 = sums[0], sum1 = kWindows == 2 ? sums[1] : 0u;
#if defined(__ARM_FEATURE_DSP)
  // (input_offset, input_offset) as two int16 lanes.
  const int32_t offsets = static_cast<int32_t>((static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u);
  for (; n >= 4; n -= 4, w += 4, x += 4) {
    uint32_t wq, xq;
    __builtin_memcpy(&wq, w, 4);  // one unaligned LDR each
    __builtin_memcpy(&xq, x, 4);
    // Lanes 0 and 2, then lanes 1 and 3.
    const int32_t w02 = __sxtb16(static_cast<int32_t>(wq));
    const int32_t w13 = Sxtb16Ror8(wq);
    sum0 = static_cast<uint32_t>(__smlad(w02, __sxtab16(offsets, static_cast<int32_t>(xq)), static_cast<int32_t>(sum0)));
    sum0 = static_cast<uint32_t>(__smlad(w13, Sxtab16Ror8(offsets, xq), static_cast<int32_t>(sum0)));
    if (kWindows == 2) {
      __builtin_memcpy(&xq, x + x_step, 4);
      sum1 = static_cast<uint32_t>(__smlad(w02, __sxtab16(offsets, static_cast<int32_t>(xq)), static_cast<int32_t>(sum1)));
      sum1 = static_cast<uint32_t>(__smlad(w13, Sxtab16Ror8(offsets, xq), static_cast<int32_t>(sum1)));
    }
  }
#endif
  for (; n > 0; --n, ++w, ++x) {
    sum0 += static_cast<uint32_t>(*w * (x[0] + input_offset));
    if (kWindows == 2) sum1 += static_cast<uint32_t>(*w * (x[x_step] + input_offset));
  }
  sums[0] = sum0;
  if (kWindows == 2) sums[1] = sum1;
}

// sum + sum over i < n of w[i] * (x[i] + input_offset).
inline uint32_t RunDot(const int8_t* w, const int8_t* x, int32_t n, int32_t input_offset, uint32_t sum) {
  RunDots<1>(w, x, 0, n, input_offset, &sum);
  return sum;
}

// Like RunDots for `n` values `w_stride` / `x_stride` apart (a depthwise
// filter's taps), the input offset already folded into the sums.
template <int kWindows>
inline void StridedDots(const int8_t* w, int32_t w_stride, const int8_t* x, int32_t x_stride, int32_t x_step,
                        int32_t n, uint32_t* sums) {
  static_assert(kWindows == 1 || kWindows == 2, "one or two windows");
  uint32_t sum0 = sums[0], sum1 = kWindows == 2 ? sums[1] : 0u;
  for (; n > 0; --n, w += w_stride, x += x_stride) {
    const int32_t weight = *w;
    sum0 += static_cast<uint32_t>(weight * x[0]);
    if (kWindows == 2) sum1 += static_cast<uint32_t>(weight * x[x_step]);
  }
  sums[0] = sum0;
  if (kWindows == 2) sums[1] = sum1;
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
