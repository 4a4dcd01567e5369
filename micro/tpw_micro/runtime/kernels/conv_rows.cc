// The interior-row variants of CONV_2D and DEPTHWISE_CONV_2D (conv_common.h)
// that run nearly every MAC of a separable network, widened pointwise and
// depthwise_1xk_s8_pairs: built for speed (-O2 in the firmware) while the rest
// (conv_common.cc: Prepare, EvalConv, the long-run and generic variants) is
// built for size.
#include "kernels/conv_common.h"
#include "kernels/requant.h"

namespace tpw {

namespace {

#if defined(__ARM_FEATURE_DSP)
// What tpw_pair_blocks_s8 reads and advances, in this order (its LDMs and
// offsets depend on it).
struct PairBlocks {
  const int8_t* weights;       // 0: the block's first filter, +2 filters a block
  int32_t w_step;              // 4
  const uint32_t* wide;        // 8: two widened windows (WidenRun, interleaved)
  int32_t groups;              // 12: four-value groups of a window (whole words)
  const int32_t* bias;         // 16: +2 a block
  const int32_t* multipliers;  // 20: +2 a block
  const int8_t* shifts;        // 24: +2 a block
  int32_t offset_base;         // 28: 2 zero_point + 1 (FastRequant's offset, shifted)
  int8_t* out;                 // 32: the first window's output of the block's first channel, +2 a block
  int32_t second_out;          // 36: the second window's outputs, after `out` (0: the same window)
  int32_t count;               // 40: blocks left, >= 1
};

// ChannelPairs' blocks for a full-range clamp as GCC does not schedule them:
// per block of 2 channels x 2 windows, the bias, the dot products over `groups`
// (19 instructions per 16 MACs), FastRequant and one SSAT per output, about 52
// instructions besides the dots where the compiled loop spends about 100.
extern "C" void tpw_pair_blocks_s8(PairBlocks* blocks);
__asm__(
    ".pushsection .text.tpw_pair_blocks_s8,\"ax\",%progbits\n"
    ".syntax unified\n"
    ".thumb\n"
    ".p2align 2\n"
    ".global tpw_pair_blocks_s8\n"
    ".type tpw_pair_blocks_s8, %function\n"
    ".thumb_func\n"
    "tpw_pair_blocks_s8:\n"
    "  push   {r4-r11, lr}\n"
    "1:\n"
    "  ldm    r0, {r2, r3, r4, r5, r6}\n"  // weights, w_step, wide, groups, bias
    "  ldrd   r7, r8, [r6], #8\n"          // sums of filter 0 (r7, r9) and 1 (r8, r10) from the bias
    "  str    r6, [r0, #16]\n"
    "  add    r6, r2, r3, lsl #1\n"
    "  str    r6, [r0]\n"
    "  add    r3, r2, r3\n"                // filter 1
    "  mov    r9, r7\n"
    "  mov    r10, r8\n"
    "2:\n"
    "  ldr    r1, [r2], #4\n"
    "  ldrd   r11, r12, [r4], #16\n"       // window 0 lanes (0, 2), (1, 3)
    "  sxtb16 r6, r1\n"
    "  sxtb16 r1, r1, ror #8\n"
    "  smlad  r7, r6, r11, r7\n"
    "  smlad  r7, r1, r12, r7\n"
    "  ldrd   r11, r12, [r4, #-8]\n"       // window 1
    "  smlad  r9, r6, r11, r9\n"
    "  smlad  r9, r1, r12, r9\n"
    "  ldr    r1, [r3], #4\n"
    "  sxtb16 r6, r1\n"
    "  sxtb16 r1, r1, ror #8\n"
    "  smlad  r10, r6, r11, r10\n"
    "  smlad  r10, r1, r12, r10\n"
    "  ldrd   r11, r12, [r4, #-16]\n"      // window 0 again
    "  smlad  r8, r6, r11, r8\n"
    "  smlad  r8, r1, r12, r8\n"
    "  subs   r5, r5, #1\n"
    "  bne    2b\n"
    "  add    r1, r0, #20\n"
    "  ldm    r1, {r2, r3, r4, r5, r6}\n"  // multipliers, shifts, offset_base, out, second_out
    "  ldrd   r11, r12, [r2], #8\n"        // multipliers of filters 0 and 1
    "  str    r2, [r0, #20]\n"
    "  ldrsb  r2, [r3, #1]\n"
    "  ldrsb  r1, [r3], #2\n"
    "  str    r3, [r0, #24]\n"
    "  rsb    r1, r1, #0\n"                // right shifts s0, s1
    "  rsb    r2, r2, #0\n"
    "  lsl    r3, r4, r1\n"
    "  asr    r3, r3, #1\n"                // offset (2 zp + 1) 2^(s0 - 1)
    "  lsl    r4, r4, r2\n"
    "  asr    r4, r4, #1\n"
    "  qadd   lr, r7, r7\n"                // FastRequant, then the int8 range
    "  add    r7, r3, r7, asr #31\n"
    "  smmlar lr, lr, r11, r7\n"
    "  asr    lr, lr, r1\n"
    "  ssat   lr, #8, lr\n"
    "  strb   lr, [r5]\n"
    "  qadd   lr, r9, r9\n"
    "  add    r9, r3, r9, asr #31\n"
    "  smmlar lr, lr, r11, r9\n"
    "  asr    lr, lr, r1\n"
    "  ssat   lr, #8, lr\n"
    "  strb   lr, [r5, r6]\n"
    "  qadd   lr, r8, r8\n"
    "  add    r8, r4, r8, asr #31\n"
    "  smmlar lr, lr, r12, r8\n"
    "  asr    lr, lr, r2\n"
    "  ssat   lr, #8, lr\n"
    "  strb   lr, [r5, #1]\n"
    "  qadd   lr, r10, r10\n"
    "  add    r10, r4, r10, asr #31\n"
    "  smmlar lr, lr, r12, r10\n"
    "  asr    lr, lr, r2\n"
    "  ssat   lr, #8, lr\n"
    "  add    r6, r5, r6\n"
    "  strb   lr, [r6, #1]\n"
    "  add    r5, r5, #2\n"
    "  str    r5, [r0, #32]\n"
    "  ldr    r1, [r0, #40]\n"
    "  subs   r1, r1, #1\n"
    "  str    r1, [r0, #40]\n"
    "  bne    1b\n"
    "  pop    {r4-r11, pc}\n"
    ".size tpw_pair_blocks_s8, . - tpw_pair_blocks_s8\n"
    ".popsection\n");
#endif

// Channels of a row against two windows widened in `wide` (WidenRun), two
// channels at a time (an odd count's last pair overlaps the one before); `out`
// is the first window's output, the second's outputs stored when `two`. With
// the DSP extension, a full-range clamp and a bias, every pair but the last
// runs in tpw_pair_blocks_s8. Everything the loop reads is a local, so the int8
// stores cannot make GCC reload it.
void ChannelPairs(const ConvParams& p, const ConvRow& row, const uint32_t* wide, int8_t* out, bool two) {
  const int32_t w_step = p.channels.filter_stride, out_step = row.out_depth, run = p.walk.run;
  const int32_t act_min = p.act_min, act_max = p.act_max, zero_point = row.output_zero_point;
  const int32_t depth = row.out_depth;
  const int8_t* weights = row.weights;
  const int32_t* bias = row.bias;
  const int32_t* multipliers = p.multipliers;
  const int8_t* shifts = p.shifts;
  auto clamp = [&](int32_t v) { return SaturateInt8(v, act_min, act_max); };
  int32_t oc = 0;
#if defined(__ARM_FEATURE_DSP)
  // Every pair but the last (whose second filter ends the weights) in asm.
  if (act_min == -128 && act_max == 127 && bias != nullptr && depth > 2) {
    PairBlocks blocks = {weights, w_step, wide, (run + 3) / 4, bias, multipliers, shifts, 2 * zero_point + 1,
                         out, two ? out_step : 0, (depth - 1) / 2};
    tpw_pair_blocks_s8(&blocks);
    oc = 2 * ((depth - 1) / 2);
  }
#endif
  for (; oc < depth; oc += 2) {
    if (oc + 2 > depth) oc = depth - 2;
    const uint32_t b0 = bias != nullptr ? static_cast<uint32_t>(bias[oc]) : 0u;
    const uint32_t b1 = bias != nullptr ? static_cast<uint32_t>(bias[oc + 1]) : 0u;
    uint32_t sums[4] = {b0, b0, b1, b1};
    // Filter oc + 1 is followed by filter oc + 2's weights unless it is the last.
    PairDots<2>(weights + oc * w_step, w_step, run, WidenedInputs<2>{wide}, sums, oc + 2 < depth);
    const FastRequant r0(multipliers[oc], shifts[oc], zero_point);
    const FastRequant r1(multipliers[oc + 1], shifts[oc + 1], zero_point);
    out[oc] = clamp(r0(sums[0]));
    out[oc + 1] = clamp(r1(sums[2]));
    if (two) {
      out[out_step + oc] = clamp(r0(sums[1]));
      out[out_step + oc + 1] = clamp(r1(sums[3]));
    }
  }
}

}  // namespace

void conv_1xk_s8_wide_2x2(const ConvParams& p, const ConvRow& row) {
  const int32_t run = p.walk.run, x_step = row.x_step, out_step = row.out_depth;
  const int8_t* x = row.x;
  int8_t* out = row.out;
  // An odd last window is widened into both slots, its outputs stored once.
  for (int32_t count = row.count; count > 0; count -= 2, x += 2 * x_step, out += 2 * out_step) {
    const bool two = count >= 2;
    WidenRun(x, run, row.input_offset, row.scratch, 4);
    WidenRun(two ? x + x_step : x, run, row.input_offset, row.scratch + 2, 4);
    ChannelPairs(p, row, row.scratch, out, two);
  }
}

namespace {

constexpr int32_t kWeightPairs = (kPairTaps + 1) / 2;  // tap pairs an output sums
constexpr int32_t kTilePairs = 32;                      // input pairs a tile's outputs start on

// Input pairs [0, pairs) of channels c0..c0+3 of one row into `wide`: pair i of
// channel c0 + l is (x[q0 + 2i], x[q0 + 2i + 1]) + input offset, in wide[4i + l]
// (lanes of positions outside [0, in_w) are 0, the padding). From position
// words A and B (4 channels each), SXTAB16 gives channels (0, 2) and (1, 3) of
// each and PKHBT / PKHTB pair them by channel.
void GatherPairs(const int8_t* in_row, int32_t in_w, int32_t depth, int32_t c0, int32_t q0, int32_t pairs,
                 uint32_t offsets, uint32_t* wide) {
  auto widen = [&](int32_t q, uint32_t* lanes02, uint32_t* lanes13) {
    const uint32_t v = Load4(in_row + q * depth + c0);
    *lanes02 = Sxtab16(offsets, v), *lanes13 = Sxtab16Ror8(offsets, v);
  };
  auto store = [&](int32_t i, uint32_t a02, uint32_t a13, uint32_t b02, uint32_t b13) {
    uint32_t* g = wide + 4 * i;
    g[0] = PackLow(a02, b02), g[1] = PackLow(a13, b13), g[2] = PackHigh(a02, b02), g[3] = PackHigh(a13, b13);
  };
  // Pairs [inside_begin, inside_end) have both positions inside the row.
  int32_t inside_begin = q0 >= 0 ? 0 : (1 - q0) / 2;
  int32_t inside_end = in_w - 1 - q0 <= 0 ? 0 : (in_w - 1 - q0 + 1) / 2;
  if (inside_begin > pairs) inside_begin = pairs;
  if (inside_end > pairs) inside_end = pairs;
  if (inside_end < inside_begin) inside_end = inside_begin;
  for (int32_t i = 0; i < pairs; ++i) {
    if (i == inside_begin) {
      for (; i < inside_end; ++i) {
        uint32_t a02, a13, b02, b13;
        widen(q0 + 2 * i, &a02, &a13);
        widen(q0 + 2 * i + 1, &b02, &b13);
        store(i, a02, a13, b02, b13);
      }
      if (i == pairs) break;
    }
    uint32_t a02 = 0, a13 = 0, b02 = 0, b13 = 0;
    const int32_t q = q0 + 2 * i;
    if (q >= 0 && q < in_w) widen(q, &a02, &a13);
    if (q + 1 >= 0 && q + 1 < in_w) widen(q + 1, &b02, &b13);
    store(i, a02, a13, b02, b13);
  }
}

}  // namespace

int32_t DepthwisePairsScratchWords() { return 4 * (kTilePairs + kWeightPairs - 1); }

namespace {

#if defined(__ARM_FEATURE_DSP)
// What tpw_pair_outputs_s8 reads, in this order (its LDMs depend on it).
struct PairOutputArgs {
  const uint32_t* g;
  int8_t* out;
  int32_t out_step;
  int32_t n;  // >= 1
  uint32_t w[4];
  uint32_t bias;
  FastRequant requant;  // multiplier, offset, shift
};

// PairOutputs<true> in 17 instructions an output (4 LDR, 4 SMLAD, FastRequant,
// SSAT, STRB, loop) where GCC, short of registers, reloads three values an
// output from the stack.
extern "C" void tpw_pair_outputs_s8(const PairOutputArgs* args);
__asm__(
    ".pushsection .text.tpw_pair_outputs_s8,\"ax\",%progbits\n"
    ".syntax unified\n"
    ".thumb\n"
    ".p2align 2\n"
    ".global tpw_pair_outputs_s8\n"
    ".type tpw_pair_outputs_s8, %function\n"
    ".thumb_func\n"
    "tpw_pair_outputs_s8:\n"
    "  push   {r4-r11, lr}\n"
    "  ldm    r0!, {r1, r2, r3, r4}\n"                  // g, out, out_step, n
    "  ldm    r0, {r5, r6, r7, r8, r9, r10, r11, r12}\n"  // w0-w3, bias, multiplier, offset, shift
    "1:\n"
    "  ldr    r0, [r1], #16\n"
    "  smlad  lr, r5, r0, r9\n"
    "  ldr    r0, [r1]\n"
    "  smlad  lr, r6, r0, lr\n"
    "  ldr    r0, [r1, #16]\n"
    "  smlad  lr, r7, r0, lr\n"
    "  ldr    r0, [r1, #32]\n"
    "  smlad  lr, r8, r0, lr\n"
    "  qadd   r0, lr, lr\n"
    "  add    lr, r11, lr, asr #31\n"
    "  smmlar r0, r0, r10, lr\n"
    "  asr    r0, r0, r12\n"
    "  ssat   r0, #8, r0\n"
    "  strb   r0, [r2]\n"
    "  add    r2, r2, r3\n"
    "  subs   r4, r4, #1\n"
    "  bne    1b\n"
    "  pop    {r4-r11, pc}\n"
    ".size tpw_pair_outputs_s8, . - tpw_pair_outputs_s8\n"
    ".popsection\n");
#endif

// n outputs out_step apart of one channel, output i summing the tap pairs
// w[j] against input pairs g[4 (i + j)] (GatherPairs' layout) from `bias`.
// kFullRange: the activation clamp is the int8 range (one SSAT).
template <bool kFullRange>
void PairOutputs(const uint32_t* g, int8_t* out, int32_t out_step, int32_t n, const uint32_t* w, uint32_t bias,
                 FastRequant requant, int32_t act_min, int32_t act_max) {
  static_assert(kWeightPairs == 4, "four tap pairs");
#if defined(__ARM_FEATURE_DSP)
  if (kFullRange) {
    const PairOutputArgs args = {g, out, out_step, n, {w[0], w[1], w[2], w[3]}, bias, requant};
    if (n > 0) tpw_pair_outputs_s8(&args);
    return;
  }
#endif
  const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
  for (; n > 0; --n, g += 4, out += out_step) {
    const int32_t v = requant(Smlad(w3, g[12], Smlad(w2, g[8], Smlad(w1, g[4], Smlad(w0, g[0], bias)))));
    *out = static_cast<int8_t>(kFullRange ? SaturateToInt8(v) : SaturateInt8(v, act_min, act_max));
  }
}

}  // namespace

void depthwise_1xk_s8_pairs(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth, taps = p.walk.taps, count = row.count;
  const bool stride_one = p.stride_w == 1;
  const int32_t per_pair = stride_one ? 2 : 1;  // outputs starting on each input pair
  const int32_t tile = kTilePairs * per_pair;
  const uint32_t offsets = Lanes(row.input_offset, row.input_offset);
  const int32_t act_min = p.act_min, act_max = p.act_max;
  const auto outputs = act_min == -128 && act_max == 127 ? PairOutputs<true> : PairOutputs<false>;
  for (int32_t c0 = 0; c0 < depth; c0 += 4) {
    if (c0 + 4 > depth) c0 = depth - 4;  // the last group overlaps the one before
    // Tap pairs of each channel: even[j] = (w[2j], w[2j+1]), odd[j] = (w[2j-1], w[2j]),
    // taps outside [0, taps) zero.
    uint32_t even[4][kWeightPairs], odd[4][kWeightPairs];
    for (int32_t l = 0; l < 4; ++l) {
      auto tap = [&](int32_t m) -> int32_t { return m >= 0 && m < taps ? row.weights[m * depth + c0 + l] : 0; };
      for (int32_t j = 0; j < kWeightPairs; ++j) {
        even[l][j] = Lanes(tap(2 * j), tap(2 * j + 1)), odd[l][j] = Lanes(tap(2 * j - 1), tap(2 * j));
      }
    }
    for (int32_t t0 = 0; t0 < count; t0 += tile) {
      const int32_t n = count - t0 < tile ? count - t0 : tile;
      const int32_t starts = (n + per_pair - 1) / per_pair;
      GatherPairs(row.x, row.in_w, depth, c0, t0 * p.stride_w - p.width.padding, starts + kWeightPairs - 1, offsets,
                  row.scratch);
      for (int32_t l = 0; l < 4; ++l) {
        const int32_t c = c0 + l;
        const FastRequant requant(p.multipliers[c], p.shifts[c], row.output_zero_point);
        const uint32_t bias = BiasOf(row, c);
        int8_t* out = row.out + t0 * depth + c;
        // Stride 1: the even outputs, then the odd ones, on the same pairs.
        outputs(row.scratch + l, out, per_pair * depth, starts, even[l], bias, requant, act_min, act_max);
        if (stride_one) outputs(row.scratch + l, out + depth, 2 * depth, n / 2, odd[l], bias, requant, act_min, act_max);
      }
    }
  }
}


}  // namespace tpw
