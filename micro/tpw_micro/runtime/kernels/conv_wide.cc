// CONV_2D / 1x1 pointwise interior rows on windows widened to int16 lanes
// (conv_1xk_s8_wide_2x2, conv_common.h), most of their instructions in
// tpw_pair_blocks_s8 (Thumb-2 assembly on cores with the DSP extension). Built
// for speed (-O2 in the firmware, HOT_SRCS): at -Os the C around the assembly
// (widening, a row's last channel pair) costs 0.1 instructions/MAC more on
// the separable network for 330 bytes less.
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
// the DSP extension, a full-range clamp and a bias, the pairs run in
// tpw_pair_blocks_s8 (all but the last when a run is not whole words).
// Everything the loop reads is a local, so the int8 stores cannot make GCC
// reload it.
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
  // Whole pairs in asm, reading whole weight words: all of them when the run is
  // a multiple of 4, else all but the last (whose second filter ends the weights).
  const int32_t asm_pairs = run % 4 == 0 ? depth / 2 : (depth - 1) / 2;
  if (act_min == -128 && act_max == 127 && bias != nullptr && asm_pairs > 0) {
    PairBlocks blocks = {weights, w_step, wide, (run + 3) / 4, bias, multipliers, shifts, 2 * zero_point + 1,
                         out, two ? out_step : 0, asm_pairs};
    tpw_pair_blocks_s8(&blocks);
    oc = 2 * asm_pairs;
  }
#endif
  for (; oc < depth; oc += 2) {
    if (oc + 2 > depth) oc = depth - 2;
    const uint32_t b0 = bias != nullptr ? static_cast<uint32_t>(bias[oc]) : 0u;
    const uint32_t b1 = bias != nullptr ? static_cast<uint32_t>(bias[oc + 1]) : 0u;
    uint32_t sums[4] = {b0, b0, b1, b1};
    // Filter oc + 1 is followed by filter oc + 2's weights unless it is the last.
    PairDots(weights + oc * w_step, w_step, run, WidenedInputs{wide}, sums, oc + 2 < depth);
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
    WidenRun(x, run, row.input_offset, row.scratch);
    WidenRun(two ? x + x_step : x, run, row.input_offset, row.scratch + 2);
    ChannelPairs(p, row, row.scratch, out, two);
  }
}

}  // namespace tpw
