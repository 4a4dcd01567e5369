#include "kernels/conv_common.h"

#include <type_traits>

#include "kernels/requant.h"

namespace tpw {
namespace {

// True when every offset (out + 1) * stride + filter * dilation, times `step` elements,
// fits int32 (each factor is a non-negative int32, so the int64 sums cannot overflow).
bool OffsetsFit(int64_t out, int64_t stride, int64_t filter, int64_t dilation, int64_t step) {
  const int64_t reach = (out + 1) * stride + filter * dilation;
  return step <= 0 || reach <= INT32_MAX / step;
}

// Outputs [begin, end) of one dimension whose taps origin + dilation * k
// (k < filter) all lie in [0, in_size); origin = out * stride - padding.
void InteriorRange(const SpatialDim& dim, int32_t in_size, int32_t filter, int32_t stride, int32_t dilation,
                   int32_t* begin, int32_t* end) {
  const int64_t first = (static_cast<int64_t>(dim.padding) + stride - 1) / stride;
  const int64_t last_origin = static_cast<int64_t>(in_size) - 1 - static_cast<int64_t>(filter - 1) * dilation;
  int64_t past = last_origin + dim.padding < 0 ? 0 : (last_origin + dim.padding) / stride + 1;
  if (past > dim.out_size) past = dim.out_size;
  *begin = static_cast<int32_t>(first < dim.out_size ? first : dim.out_size);
  *end = static_cast<int32_t>(past > *begin ? past : *begin);
}

}  // namespace

Status PrepareConv(NodeContext& node, const ConvTraits& traits, ConvParams** params) {
  const Tensor* input = node.input(kConvInput);
  const Tensor* filter = node.input(kConvFilter);
  const Tensor* output = node.output(0);
  const int32_t channels = Dim(filter, traits.channel_dim);
  TPW_RETURN_IF_ERROR(ExpectBias(node, kConvBias, channels));
  fb::Table options;
  TPW_RETURN_IF_ERROR(node.Options(traits.type, &options));
  int8_t padding = 0, activation = 0;
  ConvParams* p = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&p));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(traits.padding, 0, &padding));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(traits.activation, 0, &activation));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.stride_w, 0, &p->stride_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.stride_h, 0, &p->stride_h));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.dilation_w, 1, &p->dilation_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.dilation_h, 1, &p->dilation_h));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 1), Dim(filter, 1), p->stride_h,
                                        p->dilation_h, &p->height));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 2), Dim(filter, 2), p->stride_w,
                                        p->dilation_w, &p->width));
  // Eval forms input offsets as position * stride (+ tap * dilation) times a row or pixel
  // size; a file whose strides or dilations overflow those in int32 is refused here.
  if (!OffsetsFit(p->height.out_size, p->stride_h, Dim(filter, 1), p->dilation_h,
                  static_cast<int64_t>(Dim(input, 2)) * Dim(input, 3)) ||
      !OffsetsFit(p->width.out_size, p->stride_w, Dim(filter, 2), p->dilation_w, Dim(input, 3))) {
    return node.Error(StatusCode::kInvalidModel).Add("strides or dilations too large for the input: offsets overflow");
  }
  const int32_t shape[4] = {Dim(input, 0), p->height.out_size, p->width.out_size, channels};
  TPW_RETURN_IF_ERROR(node.SetOutputShape(0, shape, 4));
  InteriorRange(p->height, Dim(input, 1), Dim(filter, 1), p->stride_h, p->dilation_h, &p->y_begin, &p->y_end);
  InteriorRange(p->width, Dim(input, 2), Dim(filter, 2), p->stride_w, p->dilation_w, &p->x_begin, &p->x_end);
  TPW_RETURN_IF_ERROR(ActivationRange(node, activation, output, &p->act_min, &p->act_max));
  *params = p;
  return PerChannelMultipliers(node, kConvFilter, traits.channel_dim, channels, &p->multipliers, &p->shifts);
}

WindowWalk MakeWindowWalk(int32_t rows, int32_t row_w, int32_t row_x, int32_t taps, int32_t tap_w, int32_t tap_x,
                          int32_t run) {
  WalkShape shape = WalkShape::kGeneral;
  if (rows == 1 && taps == 1) shape = WalkShape::kRun;
  if (rows == 1 && run == 1) shape = WalkShape::kStrided;
  return {rows, row_w, row_x, taps, tap_w, tap_x, run, shape};
}

namespace {

ChannelRequant RequantOf(const ConvParams& p, const ConvRow& row, int32_t oc) {
  return {p.multipliers[oc], p.shifts[oc], row.output_zero_point, p.act_min, p.act_max};
}

uint32_t BiasOf(const ConvRow& row, int32_t oc) {
  return row.bias != nullptr ? static_cast<uint32_t>(row.bias[oc]) : 0u;
}

// Channels [oc, oc + kChannels) of a row, windows two at a time and one for
// an odd last; dots(x, sums, windows) adds kChannels x windows window sums
// (sums[c * windows + k]) to their starting values `base`. The requantizers
// are local so the int8 stores cannot alias them (SelectInteriorRow chose
// these variants only when every channel's shift suits FastRequant).
template <int kChannels, typename Dots>
void ChannelsInPairs(const ConvParams& p, const ConvRow& row, int32_t oc, const uint32_t* base, Dots dots) {
  FastRequant requant[kChannels];
  for (int c = 0; c < kChannels; ++c) {
    requant[c] = FastRequant(p.multipliers[oc + c], p.shifts[oc + c], row.output_zero_point);
  }
  auto saturate = [&](int32_t value) { return SaturateInt8(value, p.act_min, p.act_max); };
  const int8_t* x = row.x + (oc / p.channels.channels_per_group) * p.channels.group_input_stride;
  int8_t* out = row.out + oc;
  int32_t count = row.count;
  for (; count >= 2; count -= 2, x += 2 * row.x_step, out += 2 * row.out_depth) {
    uint32_t sums[2 * kChannels];
    for (int c = 0; c < kChannels; ++c) sums[2 * c] = sums[2 * c + 1] = base[c];
    dots(x, sums, std::integral_constant<int, 2>());
    for (int c = 0; c < kChannels; ++c) {
      out[c] = saturate(requant[c](sums[2 * c]));
      out[row.out_depth + c] = saturate(requant[c](sums[2 * c + 1]));
    }
  }
  if (count == 1) {
    uint32_t sums[kChannels];
    for (int c = 0; c < kChannels; ++c) sums[c] = base[c];
    dots(x, sums, std::integral_constant<int, 1>());
    for (int c = 0; c < kChannels; ++c) out[c] = saturate(requant[c](sums[c]));
  }
}

// Channels [oc, oc + kChannels) of a row summed by dots(w, x, sums, windows)
// without the input offset: every tap of an interior window is inside the
// input, so the offset's share of a sum is input_offset * sum(w), the same for
// every window and added once to its base (modulo 2^32 like the sum). Channel
// c's weights start at w + c * filter_stride.
template <int kChannels, typename Dots>
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
  ChannelsInPairs<kChannels>(p, row, oc, base, [&](const int8_t* x, uint32_t* sums, auto windows) {
    dots(w, x, sums, windows);
  });
}

// kChannels filters filter_stride apart, each one contiguous run.
template <int kChannels>
void RunChannels(const ConvParams& p, const ConvRow& row, int32_t oc) {
  OffsetFoldedChannels<kChannels>(p, row, oc, [&](const int8_t* w, const int8_t* x, uint32_t* sums, auto windows) {
    RunDots<kChannels, decltype(windows)::value>(w, p.channels.filter_stride, x, row.x_step, p.walk.run, sums);
  });
}

// kLanes depthwise channels, neighbouring in weights and inputs when kLanes > 1.
template <int kLanes>
void StridedChannels(const ConvParams& p, const ConvRow& row, int32_t oc) {
  const WindowWalk& walk = p.walk;
  OffsetFoldedChannels<kLanes>(p, row, oc, [&](const int8_t* w, const int8_t* x, uint32_t* sums, auto windows) {
    ChannelDots<kLanes, decltype(windows)::value>(w, walk.tap_w, x, walk.tap_x, row.x_step, walk.taps, sums);
  });
}

}  // namespace

void conv_1xk_s8_2x2(const ConvParams& p, const ConvRow& row) {
  int32_t oc = 0;
  for (; oc + 2 <= row.out_depth; oc += 2) RunChannels<2>(p, row, oc);
  if (oc < row.out_depth) RunChannels<1>(p, row, oc);
}

void depthwise_1xk_s8_4x2(const ConvParams& p, const ConvRow& row) {
  int32_t oc = 0;
  for (; oc + 4 <= row.out_depth; oc += 4) StridedChannels<4>(p, row, oc);
  for (; oc < row.out_depth; ++oc) StridedChannels<1>(p, row, oc);
}

void depthwise_1xk_s8_1x2(const ConvParams& p, const ConvRow& row) {
  for (int32_t oc = 0; oc < row.out_depth; ++oc) StridedChannels<1>(p, row, oc);
}

void conv_nxk_s8_generic(const ConvParams& p, const ConvRow& row) {
  const WindowWalk& walk = p.walk;
  for (int32_t oc = 0; oc < row.out_depth; ++oc) {
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

void SelectInteriorRow(ConvParams* p, int32_t out_depth) {
  const ChannelLayout& ch = p->channels;
  // Two neighbouring channels share one input run unless a group boundary
  // (an odd number of channels per group) falls between them.
  const bool pairs_share_input = ch.channels_per_group % 2 == 0 || ch.channels_per_group >= out_depth;
  // Depth multiplier 1: channel c reads input c and weight c of each tap.
  const bool lanes_are_channels = ch.filter_stride == 1 && ch.channels_per_group == 1 && ch.group_input_stride == 1;
  // The blocked variants requantize with FastRequant; a channel whose shift it
  // does not cover (a multiplier of 0.5 or more, or below 2^-21) leaves the op
  // to the generic walk and TFLM's own formula.
  for (int32_t oc = 0; oc < out_depth; ++oc) {
    if (!FastRequant::Applies(p->shifts[oc])) {
      p->interior_row = conv_nxk_s8_generic;
      return;
    }
  }
  switch (p->walk.shape) {
    case WalkShape::kRun:
      p->interior_row = pairs_share_input ? conv_1xk_s8_2x2 : conv_nxk_s8_generic;
      return;
    case WalkShape::kStrided:
      p->interior_row = lanes_are_channels ? depthwise_1xk_s8_4x2 : depthwise_1xk_s8_1x2;
      return;
    case WalkShape::kGeneral:
      p->interior_row = conv_nxk_s8_generic;
      return;
  }
}

bool HasInterior(const ConvParams& p) { return p.y_begin < p.y_end && p.x_begin < p.x_end; }

}  // namespace tpw
