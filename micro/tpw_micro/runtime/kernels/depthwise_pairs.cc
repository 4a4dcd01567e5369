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

#if defined(__ARM_FEATURE_DSP)
// What tpw_gather_pairs_s8 reads, in this order (its LDM depends on it).
struct GatherArgs {
  const int8_t* x;  // position q of channel c0
  int32_t depth;
  int32_t blocks;   // >= 1 blocks of two pairs
  uint32_t offsets;
  uint32_t* rows[4];
};

// GatherPairs' interior, two pairs of each of the four channels a block in 24
// instructions: 4 LDR, 2 ADD, 4 PKH, 8 SXTAB16, 4 STRD, SUBS, BNE.
extern "C" void tpw_gather_pairs_s8(const GatherArgs* args);
__asm__(
    ".pushsection .text.tpw_gather_pairs_s8,\"ax\",%progbits\n"
    ".syntax unified\n"
    ".thumb\n"
    ".p2align 2\n"
    ".global tpw_gather_pairs_s8\n"
    ".type tpw_gather_pairs_s8, %function\n"
    ".thumb_func\n"
    "tpw_gather_pairs_s8:\n"
    "  push    {r4-r11, lr}\n"
    "  ldm     r0, {r0, r1, r2, r3, r4, r5, r6, r7}\n"  // x, depth, blocks, offsets, rows
    "1:\n"
    "  ldr     r8, [r0]\n"  // A, B, C, D: positions q .. q + 3
    "  ldr     r9, [r0, r1]\n"
    "  add     r0, r0, r1, lsl #1\n"
    "  ldr     r10, [r0]\n"
    "  ldr     r11, [r0, r1]\n"
    "  add     r0, r0, r1, lsl #1\n"
    "  pkhbt   r12, r8, r9, lsl #16\n"  // (A0, A1, B0, B1)
    "  pkhtb   r9, r9, r8, asr #16\n"   // (A2, A3, B2, B3)
    "  pkhbt   r8, r10, r11, lsl #16\n"  // (C0, C1, D0, D1)
    "  pkhtb   r11, r11, r10, asr #16\n"  // (C2, C3, D2, D3)
    "  sxtab16 r10, r3, r12\n"
    "  sxtab16 lr, r3, r8\n"
    "  strd    r10, lr, [r4], #8\n"
    "  sxtab16 r10, r3, r12, ror #8\n"
    "  sxtab16 lr, r3, r8, ror #8\n"
    "  strd    r10, lr, [r5], #8\n"
    "  sxtab16 r10, r3, r9\n"
    "  sxtab16 lr, r3, r11\n"
    "  strd    r10, lr, [r6], #8\n"
    "  sxtab16 r10, r3, r9, ror #8\n"
    "  sxtab16 lr, r3, r11, ror #8\n"
    "  strd    r10, lr, [r7], #8\n"
    "  subs    r2, r2, #1\n"
    "  bne     1b\n"
    "  pop     {r4-r11, pc}\n"
    ".size tpw_gather_pairs_s8, . - tpw_gather_pairs_s8\n"
    ".popsection\n");
#endif

// Input pairs [0, pairs) of channels c0..c0+3 of one row into `wide`, one row
// of row_words words a channel: pair i of channel c0 + l is
// (x[q0 + 2i], x[q0 + 2i + 1]) + input offset, in wide[l * row_words + i]
// (0 for positions outside [0, in_w), the padding: they read as the input
// zero point). Position words A and B (4 channels each) are packed first,
// (A0, A1, B0, B1) by PKHBT and (A2, A3, B2, B3) by PKHTB, so that SXTAB16
// and its ROR #8 form give each channel's pair.
void GatherPairs(const int8_t* in_row, int32_t in_w, int32_t depth, int32_t c0, int32_t q0, int32_t pairs,
                 int32_t input_offset, int32_t row_words, uint32_t* wide) {
  const uint32_t offsets = Lanes(input_offset, input_offset);
  const uint32_t padding = 0x01010101u * static_cast<uint8_t>(-input_offset);
  uint32_t* const rows[4] = {wide, wide + row_words, wide + 2 * row_words, wide + 3 * row_words};
  auto word = [&](int32_t q) { return q >= 0 && q < in_w ? Load4(in_row + q * depth + c0) : padding; };
#if defined(__ARM_FEATURE_DSP)
  // Pairs [inside_begin, inside_begin + 2 * blocks) have both positions inside
  // the row: tpw_gather_pairs_s8's.
  const int32_t inside_begin = q0 >= 0 ? 0 : (1 - q0) / 2;
  const int32_t inside = (in_w - q0) / 2 - inside_begin;
  const int32_t blocks = (inside < pairs - inside_begin ? inside : pairs - inside_begin) / 2;
#endif
  for (int32_t i = 0; i < pairs; ++i) {
#if defined(__ARM_FEATURE_DSP)
    if (i == inside_begin && blocks > 0) {
      const GatherArgs args = {in_row + (q0 + 2 * i) * depth + c0, depth, blocks, offsets,
                               {rows[0] + i, rows[1] + i, rows[2] + i, rows[3] + i}};
      tpw_gather_pairs_s8(&args);
      i += 2 * blocks;
      if (i == pairs) break;
    }
#endif
    const uint32_t a = word(q0 + 2 * i), b = word(q0 + 2 * i + 1);
    const uint32_t low = PackLow(a, b), high = PackHigh(a, b);
    rows[0][i] = Sxtab16(offsets, low), rows[1][i] = Sxtab16Ror8(offsets, low);
    rows[2][i] = Sxtab16(offsets, high), rows[3][i] = Sxtab16Ror8(offsets, high);
  }
}

// One output channel's constants, in the order tpw_pair_outputs_s8 loads them.
struct PairChannel {
  uint32_t w[kWeightPairs];  // tap pairs, doubled (MakeChannels)
  uint32_t bias;             // doubled
  FastRequant requant;       // multiplier, offset, shift
};

// n >= 1 outputs of one channel out_step apart, the last at end - out_step
// (index = -n * out_step), output i summing the channel's tap pairs against
// input pairs g[i + j] (one of GatherPairs' rows). In this order
// (tpw_pair_outputs_s8's LDM depends on it).
struct PairRun {
  const uint32_t* g;
  int8_t* end;
  int32_t out_step;
  int32_t index;
  const PairChannel* channel;
};

#if defined(__ARM_FEATURE_DSP)
// PairRuns: two outputs of a run in 27 instructions: one LDM of the
// first output's 4 input pairs, 4 SMLAD, an LDR of the fifth pair (the second
// output reuses three of the first's; with an odd n the last one reads one
// pair past the run, hence the scratch's spare word), the pointer step,
// 4 SMLAD, one LDM of the requantization constants (copied to the stack, the
// register file being full) and for each output FastRequant::OfDoubled's ADD,
// SMMLAR and ASR, SSAT, STRB and the ADDS of the negative index, the second's
// offset reloaded, a BPL out after the first and the BMI back; 17 more a run.
extern "C" void tpw_pair_outputs_s8(const PairRun* runs, int32_t count);
__asm__(
    ".pushsection .text.tpw_pair_outputs_s8,\"ax\",%progbits\n"
    ".syntax unified\n"
    ".thumb\n"
    ".p2align 2\n"
    ".global tpw_pair_outputs_s8\n"
    ".type tpw_pair_outputs_s8, %function\n"
    ".thumb_func\n"
    "tpw_pair_outputs_s8:\n"
    "  push   {r0, r1, r4-r11, lr}\n"  // [sp]: runs, [sp, #4]: runs left
    "2:\n"
    "  ldr    r0, [sp]\n"
    "  ldm    r0!, {r1, r2, r3, r4, lr}\n"  // g, end, out_step, index, channel
    "  str    r0, [sp]\n"
    "  ldm    lr, {r5, r6, r7, r8, r9, r10, r11, r12}\n"  // w0-w3, bias, multiplier, offset, shift
    "  push   {r10, r11, r12}\n"
    "1:\n"
    "  ldm    r1, {r0, r10, r11, r12}\n"  // pairs k .. k + 3
    "  smlad  r0, r5, r0, r9\n"
    "  smlad  r0, r6, r10, r0\n"
    "  smlad  r0, r7, r11, r0\n"
    "  smlad  r0, r8, r12, r0\n"
    "  ldr    lr, [r1, #16]\n"  // pair k + 4
    "  adds   r1, r1, #8\n"
    "  smlad  r10, r5, r10, r9\n"
    "  smlad  r10, r6, r11, r10\n"
    "  smlad  r10, r7, r12, r10\n"
    "  smlad  r10, r8, lr, r10\n"
    "  ldm    sp, {r11, r12, lr}\n"  // multiplier, offset, shift
    "  add    r12, r12, r0, asr #31\n"
    "  smmlar r0, r0, r11, r12\n"
    "  asr    r0, r0, lr\n"
    "  ssat   r0, #8, r0\n"
    "  strb   r0, [r2, r4]\n"
    "  adds   r4, r4, r3\n"
    "  bpl    3f\n"
    "  ldr    r12, [sp, #4]\n"
    "  add    r12, r12, r10, asr #31\n"
    "  smmlar r10, r10, r11, r12\n"
    "  asr    r10, r10, lr\n"
    "  ssat   r10, #8, r10\n"
    "  strb   r10, [r2, r4]\n"
    "  adds   r4, r4, r3\n"
    "  bmi    1b\n"
    "3:\n"
    "  add    sp, sp, #12\n"
    "  ldr    r0, [sp, #4]\n"
    "  subs   r0, r0, #1\n"
    "  str    r0, [sp, #4]\n"
    "  bne    2b\n"
    "  add    sp, sp, #8\n"
    "  pop    {r4-r11, pc}\n"
    ".size tpw_pair_outputs_s8, . - tpw_pair_outputs_s8\n"
    ".popsection\n");
#endif

// The outputs of `count` runs (the activation clamp is the int8 range: one
// SSAT).
void PairRuns(const PairRun* runs, int32_t count) {
  static_assert(kWeightPairs == 4, "four tap pairs");
#if defined(__ARM_FEATURE_DSP)
  if (count > 0) tpw_pair_outputs_s8(runs, count);
#else
  for (const PairRun* run = runs; run < runs + count; ++run) {
    const uint32_t* g = run->g;
    const PairChannel& ch = *run->channel;
    for (int32_t i = run->index; i < 0; i += run->out_step, ++g) {
      const uint32_t sum =
          Smlad(ch.w[3], g[3], Smlad(ch.w[2], g[2], Smlad(ch.w[1], g[1], Smlad(ch.w[0], g[0], ch.bias))));
      run->end[i] = static_cast<int8_t>(SaturateToInt8(ch.requant.OfDoubled(static_cast<int32_t>(sum))));
    }
  }
#endif
}

// Channel c's constants with its taps w[m] = w0[m * tap_stride], m < taps
// (zero after), doubled: even pairs (w[2j], w[2j+1]), odd pairs
// (w[2j-1], w[2j]).
void MakeChannels(const ConvParams& p, const ConvRow& row, int32_t c, const int8_t* w0, int32_t tap_stride,
                  int32_t taps, PairChannel* even, PairChannel* odd) {
  auto tap = [&](int32_t m) -> int32_t { return m < taps ? 2 * w0[m * tap_stride] : 0; };
  int32_t before = 0;  // w[2j - 1]
  for (int32_t j = 0; j < kWeightPairs; ++j) {
    const int32_t a = tap(2 * j), b = tap(2 * j + 1);
    even->w[j] = Lanes(a, b), odd->w[j] = Lanes(before, a);
    before = b;
  }
  even->bias = odd->bias = 2 * BiasOf(row, c);
  even->requant = odd->requant = FastRequant(p.multipliers[c], p.shifts[c], row.output_zero_point);
}

// Where a channel's n outputs of a tile go, the same for every channel: the
// even ones (all at stride 2) and the odd ones, step apart, spanning
// n * step bytes each.
struct TileRuns {
  int32_t depth, step, even_span, odd_span;
  TileRuns(const ConvParams& p, int32_t depth, int32_t n)
      : depth(depth),
        step((p.stride_w == 1 ? 2 : 1) * depth),
        even_span((p.stride_w == 1 ? (n + 1) / 2 : n) * step),
        odd_span((p.stride_w == 1 ? n / 2 : 0) * step) {}

  // Adds the runs of the channel whose first output is at `out`, on its row
  // of input pairs g.
  PairRun* Add(const uint32_t* g, int8_t* out, const PairChannel* even, const PairChannel* odd, PairRun* runs) const {
    *runs++ = {g, out + even_span, step, -even_span, even};
    if (odd_span > 0) *runs++ = {g, out + depth + odd_span, step, -odd_span, odd};
    return runs;
  }
};

// Input pairs [0, pairs) of a one-channel row into wide[i] (one row of
// GatherPairs' layout): (x[q0 + 2i], x[q0 + 2i + 1]) + input offset, 0 outside.
void GatherPairsOne(const int8_t* in_row, int32_t in_w, int32_t q0, int32_t pairs, int32_t input_offset,
                    uint32_t* wide) {
  auto value = [&](int32_t q) -> int32_t { return q >= 0 && q < in_w ? in_row[q] + input_offset : 0; };
  for (int32_t i = 0; i < pairs; ++i) wide[i] = Lanes(value(q0 + 2 * i), value(q0 + 2 * i + 1));
}

}  // namespace

int32_t DepthwisePairsScratchWords(int32_t out_w, int32_t stride) {
  const int32_t per_pair = stride == 1 ? 2 : 1;
  const int32_t starts = (out_w + per_pair - 1) / per_pair;  // a row's input pairs outputs start on
  // Four rows and the word tpw_pair_outputs_s8 may read past the last.
  return 4 * ((starts < kTilePairs ? starts : kTilePairs) + kWeightPairs - 1) + 1;
}

void depthwise_1xk_s8_pairs(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth, taps = p.walk.taps, count = row.count;
  const int32_t per_pair = p.stride_w == 1 ? 2 : 1;  // outputs starting on each input pair
  const int32_t tile = kTilePairs * per_pair;
  const int32_t row_words = DepthwisePairsScratchWords(count, p.stride_w) / 4;
  for (int32_t c0 = 0; c0 < depth; c0 += 4) {
    // The last group overlaps the one before, which computed its first `done` channels.
    const int32_t done = c0 + 4 > depth ? c0 + 4 - depth : 0;
    c0 -= done;
    PairChannel even[4], odd[4];
    for (int32_t l = done; l < 4; ++l) {
      MakeChannels(p, row, c0 + l, row.weights + c0 + l, depth, taps, &even[l], &odd[l]);
    }
    for (int32_t t0 = 0; t0 < count; t0 += tile) {
      const int32_t n = count - t0 < tile ? count - t0 : tile;
      GatherPairs(row.x, row.in_w, depth, c0, t0 * p.stride_w - p.width.padding,
                  (n + per_pair - 1) / per_pair + kWeightPairs - 1, row.input_offset, row_words, row.scratch);
      const TileRuns tile_runs(p, depth, n);
      PairRun runs[8], *end = runs;
      for (int32_t l = done; l < 4; ++l) {
        end = tile_runs.Add(row.scratch + l * row_words, row.out + t0 * depth + c0 + l, &even[l], &odd[l], end);
      }
      PairRuns(runs, static_cast<int32_t>(end - runs));
    }
  }
}

void conv_1xk_s8_c1_pairs(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth, taps = p.walk.run, count = row.count;
  const int32_t per_pair = p.stride_w == 1 ? 2 : 1;
  // One row of pairs: the scratch of four holds tiles of 4 kTilePairs + 9 pairs
  // (and the spare word).
  const int32_t tile = (DepthwisePairsScratchWords(count, p.stride_w) - kWeightPairs) * per_pair;
  for (int32_t t0 = 0; t0 < count; t0 += tile) {
    const int32_t n = count - t0 < tile ? count - t0 : tile;
    GatherPairsOne(row.x, row.in_w, t0 * p.stride_w - p.width.padding, (n + per_pair - 1) / per_pair + kWeightPairs - 1,
                   row.input_offset, row.scratch);
    const TileRuns tile_runs(p, depth, n);
    for (int32_t c = 0; c < depth; ++c) {
      PairChannel even, odd;
      PairRun runs[2];
      MakeChannels(p, row, c, row.weights + c * p.channels.filter_stride, 1, taps, &even, &odd);
      const PairRun* end = tile_runs.Add(row.scratch, row.out + t0 * depth + c, &even, &odd, runs);
      PairRuns(runs, static_cast<int32_t>(end - runs));
    }
  }
}

}  // namespace tpw
