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

#if defined(__ARM_FEATURE_DSP)
inline uint32_t Smlad(int32_t a, int32_t b, uint32_t acc) {
  return static_cast<uint32_t>(__smlad(a, b, static_cast<int32_t>(acc)));
}
inline int32_t Load4(const int8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);  // one unaligned LDR
  return v;
}
#endif

// sum + sum over i < n of w[i] * (x[i] + input_offset).
inline uint32_t RunDot(const int8_t* w, const int8_t* x, int32_t n, int32_t input_offset, uint32_t sum) {
#if defined(__ARM_FEATURE_DSP)
  // (input_offset, input_offset) as two int16 lanes.
  const int32_t offsets = static_cast<int32_t>((static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u);
  for (; n >= 4; n -= 4, w += 4, x += 4) {
    const int32_t wq = Load4(w), xq = Load4(x);
    // Lanes 0 and 2, then lanes 1 and 3.
    sum = Smlad(__sxtb16(wq), __sxtab16(offsets, xq), sum);
    sum = Smlad(Sxtb16Ror8(wq), Sxtab16Ror8(offsets, xq), sum);
  }
#endif
  for (; n > 0; --n, ++w, ++x) sum += static_cast<uint32_t>(*w * (*x + input_offset));
  return sum;
}

// sums[c * kWindows + k] += sum over i < n of w[c * w_step + i] * x[k * x_step + i]
// for two filters and kWindows (1 or 2) windows of a contiguous run, the input
// offset already folded into the sums. A block shares loads and sign
// extensions: every weight word feeds kWindows SMLAD pairs and every input word
// two, so the 2x2 block does 8 SMLADs per 4 loads where one window of one
// channel does 2 per 2. The sums are scalars so they stay in registers.
template <int kWindows>
inline void RunDots(const int8_t* w, int32_t w_step, const int8_t* x, int32_t x_step, int32_t n, uint32_t* sums) {
  static_assert(kWindows == 1 || kWindows == 2, "one or two windows");
  constexpr bool kTwoWindows = kWindows == 2;
  uint32_t s00 = sums[0], s01 = kTwoWindows ? sums[1] : 0u;
  uint32_t s10 = sums[kWindows], s11 = kTwoWindows ? sums[3] : 0u;
#if defined(__ARM_FEATURE_DSP)
  for (; n >= 4; n -= 4, w += 4, x += 4) {
    const int32_t wq0 = Load4(w), xq0 = Load4(x), wq1 = Load4(w + w_step);
    const int32_t w02 = __sxtb16(wq0), w13 = Sxtb16Ror8(wq0);  // lanes 0 and 2, then 1 and 3
    const int32_t v02 = __sxtb16(wq1), v13 = Sxtb16Ror8(wq1);
    const int32_t x02 = __sxtb16(xq0), x13 = Sxtb16Ror8(xq0);
    s00 = Smlad(w13, x13, Smlad(w02, x02, s00));
    s10 = Smlad(v13, x13, Smlad(v02, x02, s10));
    if (kTwoWindows) {
      const int32_t xq1 = Load4(x + x_step);
      const int32_t y02 = __sxtb16(xq1), y13 = Sxtb16Ror8(xq1);
      s01 = Smlad(w13, y13, Smlad(w02, y02, s01));
      s11 = Smlad(v13, y13, Smlad(v02, y02, s11));
    }
  }
#endif
  for (; n > 0; --n, ++w, ++x) {
    const int32_t w0 = w[0], w1 = w[w_step];
    const int32_t x0 = x[0], x1 = kTwoWindows ? x[x_step] : 0;
    s00 += static_cast<uint32_t>(w0 * x0);
    s10 += static_cast<uint32_t>(w1 * x0);
    if (kTwoWindows) s01 += static_cast<uint32_t>(w0 * x1);
    if (kTwoWindows) s11 += static_cast<uint32_t>(w1 * x1);
  }
  sums[0] = s00;
  sums[kWindows] = s10;
  if (kTwoWindows) sums[1] = s01, sums[3] = s11;
}

// Four neighbouring depthwise channels (depth multiplier 1: they read
// neighbouring weights and inputs), n taps w_stride / x_stride apart, kWindows
// (1 or 2) windows x_step apart: sums[c * kWindows + k] += sum over taps of
// w[c] * x[k * x_step + c], the input offset already folded into the sums.
// With the DSP extension the four lanes are one word of each: SXTB16 splits
// channels (0, 2) and (1, 3) into int16 halves and SMLABB / SMLATT
// multiply-accumulate each half into its own channel's sum (wrapping modulo
// 2^32 like the portable loop).
template <int kWindows>
inline void ChannelDots(const int8_t* w, int32_t w_stride, const int8_t* x, int32_t x_stride, int32_t x_step,
                        int32_t n, uint32_t* sums) {
  static_assert(kWindows == 1 || kWindows == 2, "one or two windows");
  constexpr bool kTwo = kWindows == 2;
  uint32_t a0 = sums[0], a1 = sums[kWindows], a2 = sums[2 * kWindows], a3 = sums[3 * kWindows];
  uint32_t b0 = kTwo ? sums[1] : 0u, b1 = kTwo ? sums[kWindows + 1] : 0u;
  uint32_t b2 = kTwo ? sums[2 * kWindows + 1] : 0u, b3 = kTwo ? sums[3 * kWindows + 1] : 0u;
#if defined(__ARM_FEATURE_DSP)
  auto mac = [](int32_t w_lanes, int32_t x_lanes, uint32_t& low, uint32_t& high) {
    low = static_cast<uint32_t>(__smlabb(w_lanes, x_lanes, static_cast<int32_t>(low)));
    high = static_cast<uint32_t>(__smlatt(w_lanes, x_lanes, static_cast<int32_t>(high)));
  };
  for (; n > 0; --n, w += w_stride, x += x_stride) {
    const int32_t wq = Load4(w), xq = Load4(x);
    const int32_t w02 = __sxtb16(wq), w13 = Sxtb16Ror8(wq);
    mac(w02, __sxtb16(xq), a0, a2);
    mac(w13, Sxtb16Ror8(xq), a1, a3);
    if (kTwo) {
      const int32_t yq = Load4(x + x_step);
      mac(w02, __sxtb16(yq), b0, b2);
      mac(w13, Sxtb16Ror8(yq), b1, b3);
    }
  }
#else
  for (; n > 0; --n, w += w_stride, x += x_stride) {
    a0 += static_cast<uint32_t>(w[0] * x[0]), a1 += static_cast<uint32_t>(w[1] * x[1]);
    a2 += static_cast<uint32_t>(w[2] * x[2]), a3 += static_cast<uint32_t>(w[3] * x[3]);
    if (kTwo) {
      b0 += static_cast<uint32_t>(w[0] * x[x_step]), b1 += static_cast<uint32_t>(w[1] * x[x_step + 1]);
      b2 += static_cast<uint32_t>(w[2] * x[x_step + 2]), b3 += static_cast<uint32_t>(w[3] * x[x_step + 3]);
    }
  }
#endif
  sums[0] = a0, sums[kWindows] = a1, sums[2 * kWindows] = a2, sums[3 * kWindows] = a3;
  if (kTwo) sums[1] = b0, sums[kWindows + 1] = b1, sums[2 * kWindows + 1] = b2, sums[3 * kWindows + 1] = b3;
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
