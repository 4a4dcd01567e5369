// depthwise_1xk_s8_pairs (conv_common.h), the DEPTHWISE_CONV_2D interior
// rows of a separable network: built for speed (-O2 in the firmware, HOT_SRCS)
// while Prepare, EvalConv and the other variants (conv_common.cc) are built for
// size.
#include "kernels/conv_common.h"
#include "kernels/requant.h"

namespace tpw {

namespace {

constexpr int32_t kWeightPairs = (kPairTaps + 1) / 2;  // tap pairs an output sums
constexpr int32_t kTilePairs = 40;                      // input pairs a tile's outputs start on

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

int32_t DepthwisePairsScratchWords(int32_t out_w, int32_t stride) {
  const int32_t per_pair = stride == 1 ? 2 : 1;
  const int32_t starts = (out_w + per_pair - 1) / per_pair;  // a row's input pairs outputs start on
  return 4 * ((starts < kTilePairs ? starts : kTilePairs) + kWeightPairs - 1);
}

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

namespace {

// Tap pairs of one channel's taps w[m] = w0[m * tap_stride], m < taps (zero
// outside): even[j] = (w[2j], w[2j+1]), odd[j] = (w[2j-1], w[2j]).
void TapPairs(const int8_t* w0, int32_t tap_stride, int32_t taps, uint32_t* even, uint32_t* odd) {
  auto tap = [&](int32_t m) -> int32_t { return m >= 0 && m < taps ? w0[m * tap_stride] : 0; };
  for (int32_t j = 0; j < kWeightPairs; ++j) {
    even[j] = Lanes(tap(2 * j), tap(2 * j + 1)), odd[j] = Lanes(tap(2 * j - 1), tap(2 * j));
  }
}

// Output channel c's n outputs of a tile, the first at `out`, from the input
// pairs at g (GatherPairs' layout). Stride 1: the even outputs, then the odd
// ones, on the same pairs.
void TileOutputs(const ConvParams& p, const ConvRow& row, int32_t c, const uint32_t* g, int8_t* out, int32_t n,
                 const uint32_t* even, const uint32_t* odd) {
  const bool stride_one = p.stride_w == 1;
  const int32_t depth = row.out_depth, act_min = p.act_min, act_max = p.act_max;
  const auto outputs = act_min == -128 && act_max == 127 ? PairOutputs<true> : PairOutputs<false>;
  const FastRequant requant(p.multipliers[c], p.shifts[c], row.output_zero_point);
  const uint32_t bias = BiasOf(row, c);
  outputs(g, out, (stride_one ? 2 : 1) * depth, stride_one ? (n + 1) / 2 : n, even, bias, requant, act_min, act_max);
  if (stride_one) outputs(g, out + depth, 2 * depth, n / 2, odd, bias, requant, act_min, act_max);
}

// Input pairs [0, pairs) of a one-channel row into wide[4i] (GatherPairs'
// layout, lane 0 only): (x[q0 + 2i], x[q0 + 2i + 1]) + input offset, 0 outside.
void GatherPairsOne(const int8_t* in_row, int32_t in_w, int32_t q0, int32_t pairs, int32_t input_offset,
                    uint32_t* wide) {
  auto value = [&](int32_t q) -> int32_t { return q >= 0 && q < in_w ? in_row[q] + input_offset : 0; };
  for (int32_t i = 0; i < pairs; ++i) wide[4 * i] = Lanes(value(q0 + 2 * i), value(q0 + 2 * i + 1));
}

}  // namespace

void depthwise_1xk_s8_pairs(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth, taps = p.walk.taps, count = row.count;
  const int32_t per_pair = p.stride_w == 1 ? 2 : 1;  // outputs starting on each input pair
  const int32_t tile = kTilePairs * per_pair;
  const uint32_t offsets = Lanes(row.input_offset, row.input_offset);
  for (int32_t c0 = 0; c0 < depth; c0 += 4) {
    if (c0 + 4 > depth) c0 = depth - 4;  // the last group overlaps the one before
    uint32_t even[4][kWeightPairs], odd[4][kWeightPairs];
    for (int32_t l = 0; l < 4; ++l) TapPairs(row.weights + c0 + l, depth, taps, even[l], odd[l]);
    for (int32_t t0 = 0; t0 < count; t0 += tile) {
      const int32_t n = count - t0 < tile ? count - t0 : tile;
      GatherPairs(row.x, row.in_w, depth, c0, t0 * p.stride_w - p.width.padding,
                  (n + per_pair - 1) / per_pair + kWeightPairs - 1, offsets, row.scratch);
      for (int32_t l = 0; l < 4; ++l) {
        TileOutputs(p, row, c0 + l, row.scratch + l, row.out + t0 * depth + c0 + l, n, even[l], odd[l]);
      }
    }
  }
}

void conv_1xk_s8_c1_pairs(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth, taps = p.walk.run, count = row.count;
  const int32_t per_pair = p.stride_w == 1 ? 2 : 1;
  const int32_t tile = kTilePairs * per_pair;
  for (int32_t t0 = 0; t0 < count; t0 += tile) {
    const int32_t n = count - t0 < tile ? count - t0 : tile;
    GatherPairsOne(row.x, row.in_w, t0 * p.stride_w - p.width.padding, (n + per_pair - 1) / per_pair + kWeightPairs - 1,
                   row.input_offset, row.scratch);
    for (int32_t c = 0; c < depth; ++c) {
      uint32_t even[kWeightPairs], odd[kWeightPairs];
      TapPairs(row.weights + c * p.channels.filter_stride, 1, taps, even, odd);
      TileOutputs(p, row, c, row.scratch, row.out + t0 * depth + c, n, even, odd);
    }
  }
}

}  // namespace tpw
