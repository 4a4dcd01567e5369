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

// Contiguous run of `n` values: w[0..n) and x[0..n).
inline uint32_t RunDot(const int8_t* w, const int8_t* x, int32_t n, int32_t input_offset, uint32_t sum) {
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
    const int32_t x02 = __sxtab16(offsets, static_cast<int32_t>(xq));
    const int32_t x13 = Sxtab16Ror8(offsets, xq);
    sum = static_cast<uint32_t>(__smlad(w02, x02, static_cast<int32_t>(sum)));
    sum = static_cast<uint32_t>(__smlad(w13, x13, static_cast<int32_t>(sum)));
  }
#endif
  for (; n > 0; --n) sum += static_cast<uint32_t>(*w++ * (*x++ + input_offset));
  return sum;
}

// `n` values `w_stride` / `x_stride` apart (a depthwise filter's taps).
inline uint32_t StridedDot(const int8_t* w, int32_t w_stride, const int8_t* x, int32_t x_stride, int32_t n,
                           int32_t input_offset, uint32_t sum) {
  for (int32_t i = 0; i < n; ++i) sum += static_cast<uint32_t>(w[i * w_stride] * (x[i * x_stride] + input_offset));
  return sum;
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
