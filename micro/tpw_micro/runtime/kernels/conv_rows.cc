// The interior-row variants of CONV_2D and DEPTHWISE_CONV_2D (conv_common.h),
// the loops that run nearly every MAC: built for speed (-O2 in the firmware)
// while the rest of conv_common is built for size.
#include "kernels/conv_common.h"
#include "kernels/requant.h"

namespace tpw {
namespace {

// Channels [oc_begin, oc_end) of a row, one window and channel at a time,
// any walk, TFLM's requantization formula.
void GenericChannels(const ConvParams& p, const ConvRow& row, int32_t oc_begin, int32_t oc_end) {
  const WindowWalk& walk = p.walk;
  for (int32_t oc = oc_begin; oc < oc_end; ++oc) {
    const ChannelRequant requant = RequantOf(p, row, oc);
    const int8_t* w = row.weights + oc * p.channels.filter_stride;
    const int8_t* x = row.x + (oc / p.channels.channels_per_group) * p.channels.group_input_stride;
    int8_t* out = row.out + oc;
    for (int32_t i = 0; i < row.count; ++i, x += row.x_step, out += row.out_depth) {
      uint32_t sum = BiasOf(row, oc);
      for (int32_t r = 0; r < walk.rows; ++r) {
        for (int32_t t = 0; t < walk.taps; ++t) {
          sum = RunDot(w + r * walk.row_w + t * walk.tap_w, x + r * walk.row_x + t * walk.tap_x, walk.run,
                       row.input_offset, sum);
        }
      }
      *out = requant(sum);
    }
  }
}

// Channels [oc, oc + kChannels) of a row, kWindows (1 or 2) windows at a time;
// dots(x, sums, x_step) adds kChannels x kWindows window sums (sums[c * kWindows
// + k], window k at x + k * x_step) to their starting values `base`. An odd
// last window runs as a block of itself twice (x_step 0), its first outputs
// stored. The requantizers and clamp bounds are local so the int8 stores cannot
// alias them.
template <int kChannels, int kWindows, typename Dots>
void ChannelBlocks(const ConvParams& p, const ConvRow& row, int32_t oc, const uint32_t* base, Dots dots) {
  FastRequant requant[kChannels];
  for (int c = 0; c < kChannels; ++c) {
    requant[c] = FastRequant(p.multipliers[oc + c], p.shifts[oc + c], row.output_zero_point);
  }
  const int32_t act_min = p.act_min, act_max = p.act_max, out_step = row.out_depth;
  const int8_t* x = row.x + (oc / p.channels.channels_per_group) * p.channels.group_input_stride;
  int8_t* out = row.out + oc;
  for (int32_t count = row.count; count > 0; count -= kWindows, x += kWindows * row.x_step, out += kWindows * out_step) {
    const int windows = count < kWindows ? 1 : kWindows;
    uint32_t sums[kWindows * kChannels];
    for (int i = 0; i < kWindows * kChannels; ++i) sums[i] = base[i / kWindows];
    dots(x, sums, windows == kWindows ? row.x_step : 0);
#pragma GCC unroll 4
    for (int c = 0; c < kChannels; ++c) {
      out[c] = SaturateInt8(requant[c](sums[c * kWindows]), act_min, act_max);
      if (windows == 2) out[out_step + c] = SaturateInt8(requant[c](sums[c * kWindows + 1]), act_min, act_max);
    }
  }
}

// Channels [oc, oc + kChannels) of a row summed by dots(w, x, sums, windows)
// without the input offset: every tap of an interior window is inside the
// input, so the offset's share of a sum is input_offset * sum(w), the same for
// every window and added once to its base (modulo 2^32 like the sum). Channel
// c's weights start at w + c * filter_stride.
template <int kChannels, int kWindows, typename Dots>
void OffsetFoldedChannels(const ConvParams& p, const ConvRow& row, int32_t oc, Dots dots) {
  const WindowWalk& walk = p.walk;
  const int8_t* w = row.weights + oc * p.channels.filter_stride;
  uint32_t base[kChannels];
  for (int c = 0; c < kChannels; ++c) {
    const int8_t* wc = w + c * p.channels.filter_stride;
    uint32_t weight_sum = 0;
    for (int32_t t = 0; t < walk.taps; ++t) {
      for (int32_t i = 0; i < walk.run; ++i) weight_sum += static_cast<uint32_t>(wc[t * walk.tap_w + i]);
    }
    base[c] = BiasOf(row, oc + c) + static_cast<uint32_t>(row.input_offset) * weight_sum;
  }
  ChannelBlocks<kChannels, kWindows>(p, row, oc, base, [&](const int8_t* x, uint32_t* sums, int32_t x_step) {
    dots(w, x, sums, x_step);
  });
}

// block(oc) for channels [oc, oc + kChannels) in blocks over the row's
// channels; when kChannels does not divide them, the last block ends at the
// last channel and overlaps the one before (those channels are written twice
// with the same values), so every channel runs blocked. Fewer channels than a
// block take the generic walk.
template <int kChannels, typename Block>
void ChannelsInBlocks(const ConvParams& p, const ConvRow& row, Block block) {
  if (row.out_depth < kChannels) return GenericChannels(p, row, 0, row.out_depth);
  int32_t oc = 0;
  for (; oc + kChannels <= row.out_depth; oc += kChannels) block(oc);
  if (oc < row.out_depth) block(row.out_depth - kChannels);
}

}  // namespace

namespace {

// Channels of a row against two windows widened in `wide` (WidenRun), two
// channels at a time (an odd count's last pair overlaps the one before); `out`
// is the first window's output, the second's outputs stored when `two`.
// kFullRange: the activation clamp is the int8 range (one SSAT). Everything the
// loop reads is a local, so the int8 stores cannot make GCC reload it.
template <bool kFullRange>
void ChannelPairs(const ConvParams& p, const ConvRow& row, const uint32_t* wide, int8_t* out, bool two) {
  const int32_t w_step = p.channels.filter_stride, out_step = row.out_depth, run = p.walk.run;
  const int32_t act_min = p.act_min, act_max = p.act_max, zero_point = row.output_zero_point;
  const int32_t depth = row.out_depth;
  const int8_t* weights = row.weights;
  const int32_t* bias = row.bias;
  const int32_t* multipliers = p.multipliers;
  const int8_t* shifts = p.shifts;
  auto clamp = [&](int32_t v) -> int8_t {
    return static_cast<int8_t>(kFullRange ? SaturateToInt8(v) : SaturateInt8(v, act_min, act_max));
  };
  for (int32_t oc = 0; oc < depth; oc += 2) {
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

void conv_1xk_s8_2x2(const ConvParams& p, const ConvRow& row) {
  ChannelsInBlocks<2>(p, row, [&](int32_t oc) {
    OffsetFoldedChannels<2, 2>(p, row, oc, [&](const int8_t* w, const int8_t* x, uint32_t* sums, int32_t x_step) {
      PairDots<2>(w, p.channels.filter_stride, p.walk.run, Int8Inputs<2>{x, x_step}, sums);
    });
  });
}

void conv_1xk_s8_wide_2x2(const ConvParams& p, const ConvRow& row) {
  const int32_t run = p.walk.run, x_step = row.x_step, out_step = row.out_depth;
  const bool full_range = p.act_min == -128 && p.act_max == 127;
  const int8_t* x = row.x;
  int8_t* out = row.out;
  // An odd last window is widened into both slots, its outputs stored once.
  for (int32_t count = row.count; count > 0; count -= 2, x += 2 * x_step, out += 2 * out_step) {
    const bool two = count >= 2;
    WidenRun(x, run, row.input_offset, row.scratch, 4);
    WidenRun(two ? x + x_step : x, run, row.input_offset, row.scratch + 2, 4);
    (full_range ? ChannelPairs<true> : ChannelPairs<false>)(p, row, row.scratch, out, two);
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

// n outputs out_step apart of one channel, output i summing the tap pairs
// w[j] against input pairs g[4 (i + j)] (GatherPairs' layout) from `bias`.
// kFullRange: the activation clamp is the int8 range (one SSAT).
template <bool kFullRange>
void PairOutputs(const uint32_t* g, int8_t* out, int32_t out_step, int32_t n, const uint32_t* w, uint32_t bias,
                 FastRequant requant, int32_t act_min, int32_t act_max) {
  const uint32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
  static_assert(kWeightPairs == 4, "four tap pairs");
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

void conv_nxk_s8_generic(const ConvParams& p, const ConvRow& row) { GenericChannels(p, row, 0, row.out_depth); }

}  // namespace tpw
