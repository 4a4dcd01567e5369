// int8 dot products with an input offset, the inner loops of CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED:
//   sum + sum_i w[i] * (x[i] + input_offset)   (input_offset in [-127, 128])
// accumulated as uint32 so it wraps like TFLM's int32 accumulator, without UB.
//
// The loops are written with the Cortex-M4 DSP instructions they compile to
// (SXTB16, SXTAB16, PKHBT/PKHTB, SMLAD: words of two int16 lanes); on a core
// without the DSP extension (and on the host, where the tests run) the same
// functions compute the same lanes in portable C, so both take one path and
// give the same result bit for bit. SMLAD's 32-bit accumulator wraps modulo
// 2^32 like the portable sum.
#ifndef TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
#define TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

namespace tpw {

// A word of two int16 lanes: `low` in bits 0-15, `high` in bits 16-31.
inline uint32_t Lanes(int32_t low, int32_t high) {
  return (static_cast<uint32_t>(low) & 0xFFFFu) | (static_cast<uint32_t>(high) << 16);
}
inline int32_t LowLane(uint32_t v) { return static_cast<int16_t>(v & 0xFFFFu); }
inline int32_t HighLane(uint32_t v) { return static_cast<int16_t>(v >> 16); }

// The four int8 values at p as one word (one unaligned LDR), value i in byte i.
inline uint32_t Load4(const int8_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// The n (1 to 3) int8 values at p in bytes 0..n-1 of a word, the others zero (the
// end of a run that must not read past it).
inline uint32_t LoadPartial(const int8_t* p, int32_t n) {
  uint32_t v = static_cast<uint8_t>(p[0]);
  if (n > 1) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8;
  if (n > 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16;
  return v;
}

#if defined(__ARM_FEATURE_DSP)
// Bytes 0 and 2 of v sign-extended into two lanes, plus the lanes of `a`.
inline uint32_t Sxtab16(uint32_t a, uint32_t v) { return static_cast<uint32_t>(__sxtab16(a, v)); }
// Bytes 1 and 3 (SXTAB16 with ROR #8, a form arm_acle.h has no intrinsic for).
inline uint32_t Sxtab16Ror8(uint32_t a, uint32_t v) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}
inline uint32_t Sxtb16(uint32_t v) { return static_cast<uint32_t>(__sxtb16(v)); }
inline uint32_t Sxtb16Ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}
// acc + low(a) * low(b) + high(a) * high(b), modulo 2^32.
inline uint32_t Smlad(uint32_t a, uint32_t b, uint32_t acc) {
  return static_cast<uint32_t>(__smlad(a, b, static_cast<int32_t>(acc)));
}
#else
inline uint32_t Sxtab16(uint32_t a, uint32_t v) {
  return Lanes(LowLane(a) + static_cast<int8_t>(v), HighLane(a) + static_cast<int8_t>(v >> 16));
}
inline uint32_t Sxtab16Ror8(uint32_t a, uint32_t v) {
  return Lanes(LowLane(a) + static_cast<int8_t>(v >> 8), HighLane(a) + static_cast<int8_t>(v >> 24));
}
inline uint32_t Sxtb16(uint32_t v) { return Sxtab16(0u, v); }
inline uint32_t Sxtb16Ror8(uint32_t v) { return Sxtab16Ror8(0u, v); }
inline uint32_t Smlad(uint32_t a, uint32_t b, uint32_t acc) {
  return acc + static_cast<uint32_t>(LowLane(a) * LowLane(b)) + static_cast<uint32_t>(HighLane(a) * HighLane(b));
}
#endif

// (low(a), low(b)) and (high(a), high(b)): PKHBT a, b, LSL #16 and PKHTB b, a,
// ASR #16 (GCC spends two instructions on each written in C).
#if defined(__ARM_FEATURE_DSP)
inline uint32_t PackLow(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
inline uint32_t PackHigh(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
  return r;
}
#else
inline uint32_t PackLow(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
inline uint32_t PackHigh(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xFFFF0000u); }
#endif

// sum + sum over i < n of w[i] * (x[i] + input_offset): four values a step,
// lanes 0 and 2 then lanes 1 and 3 of a word of each.
inline uint32_t RunDot(const int8_t* w, const int8_t* x, int32_t n, int32_t input_offset, uint32_t sum) {
  const uint32_t offsets = Lanes(input_offset, input_offset);
  for (; n >= 4; n -= 4, w += 4, x += 4) {
    const uint32_t wq = Load4(w), xq = Load4(x);
    sum = Smlad(Sxtb16(wq), Sxtab16(offsets, xq), sum);
    sum = Smlad(Sxtb16Ror8(wq), Sxtab16Ror8(offsets, xq), sum);
  }
  for (; n > 0; --n, ++w, ++x) sum += static_cast<uint32_t>(*w * (*x + input_offset));
  return sum;
}

// A widened run: the n int8 values at x plus input_offset as int16 lanes, four
// values a group of two words, dst[0] = (x[0], x[2]) and dst[1] = (x[1], x[3])
// (the lane order SXTB16 gives a weight word, so a weight word needs no
// shuffle), groups 4 words apart so that two windows interleave; lanes past n
// are 0.
inline void WidenRun(const int8_t* x, int32_t n, int32_t input_offset, uint32_t* dst) {
  const uint32_t offsets = Lanes(input_offset, input_offset);
  for (; n >= 4; n -= 4, x += 4, dst += 4) {
    const uint32_t v = Load4(x);
    dst[0] = Sxtab16(offsets, v), dst[1] = Sxtab16Ror8(offsets, v);
  }
  if (n > 0) {
    int32_t lane[4] = {0, 0, 0, 0};
    for (int32_t i = 0; i < n; ++i) lane[i] = x[i] + input_offset;
    dst[0] = Lanes(lane[0], lane[2]), dst[1] = Lanes(lane[1], lane[3]);
  }
}

// Lanes of four values of each of two windows k: lane[2k] = (x_k[i], x_k[i+2]),
// lane[2k+1] = (x_k[i+1], x_k[i+3]).
struct InputLanes {
  uint32_t lane[4];
};

// PairDots inputs read from two widened runs interleaved group by group
// (WidenRun, the second run 2 words after the first).
struct WidenedInputs {
  const uint32_t* x;
  InputLanes operator()(int32_t i, int32_t) const {
    const uint32_t* g = x + i;  // 4 words a group of 4 values
    return {{g[0], g[1], g[2], g[3]}};
  }
};

// PairDots inputs read from two int8 runs x_step apart, sign-extended as they
// are loaded (the input offset is left to the caller).
struct Int8Inputs {
  const int8_t* x;
  int32_t x_step;
  InputLanes operator()(int32_t i, int32_t n) const {
    const uint32_t v = n == 4 ? Load4(x + i) : LoadPartial(x + i, n);
    const uint32_t u = n == 4 ? Load4(x + x_step + i) : LoadPartial(x + x_step + i, n);
    return {{Sxtb16(v), Sxtb16Ror8(v), Sxtb16(u), Sxtb16Ror8(u)}};
  }
};

// sums[2c + k] += sum over i < n of w[c * w_step + i] * x_k[i] for two filters c
// and two windows x_k whose values come from inputs(i, n) as InputLanes, zero
// past n (the lane order SXTB16 gives a weight word, so weights need no
// shuffle). Every weight word is loaded and sign-extended once for both
// windows and every input word feeds both filters: 8 SMLADs per two weight
// words. whole_words: n is rounded up to a multiple of 4, the caller knowing
// that both filters are followed by at least that many bytes and that the
// inputs past n are zero (a widened run's last group), so no partial step.
template <typename Inputs>
[[gnu::always_inline]] inline void PairDots(const int8_t* w, int32_t w_step, int32_t n, Inputs inputs, uint32_t* sums,
                                             bool whole_words = false) {
  if (whole_words) n = (n + 3) & ~3;
  uint32_t s00 = sums[0], s01 = sums[1], s10 = sums[2], s11 = sums[3];
  auto step = [&](uint32_t a, uint32_t b, const InputLanes& lanes) {
    const uint32_t* g = lanes.lane;
    const uint32_t a02 = Sxtb16(a), a13 = Sxtb16Ror8(a);
    s00 = Smlad(a13, g[1], Smlad(a02, g[0], s00));
    s01 = Smlad(a13, g[3], Smlad(a02, g[2], s01));
    const uint32_t b02 = Sxtb16(b), b13 = Sxtb16Ror8(b);
    s10 = Smlad(b13, g[1], Smlad(b02, g[0], s10));
    s11 = Smlad(b13, g[3], Smlad(b02, g[2], s11));
  };
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) step(Load4(w + i), Load4(w + w_step + i), inputs(i, 4));
  if (i < n) step(LoadPartial(w + i, n - i), LoadPartial(w + w_step + i, n - i), inputs(i, n - i));
  sums[0] = s00, sums[1] = s01, sums[2] = s10, sums[3] = s11;
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_DOT_PRODUCT_H_
