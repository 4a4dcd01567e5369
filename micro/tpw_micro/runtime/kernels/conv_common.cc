#include "kernels/conv_common.h"

#include "kernels/requant.h"

namespace tpw {
namespace {

// True when every offset (out + 1) * stride + filter * dilation, times `step` elements,
// fits int32 (each factor is a non-negative int32, so the int64 sums cannot overflow).
[[gnu::cold]] bool OffsetsFit(int64_t out, int64_t stride, int64_t filter, int64_t dilation, int64_t step) {
  const int64_t reach = (out + 1) * stride + filter * dilation;
  return step <= 0 || reach <= INT32_MAX / step;
}

// Outputs [begin, end) of one dimension whose taps origin + dilation * k
// (k < filter) all lie in [0, in_size); origin = out * stride - padding.
[[gnu::cold]] void InteriorRange(const SpatialDim& dim, int32_t in_size, int32_t filter, int32_t stride, int32_t dilation,
                   int32_t* begin, int32_t* end) {
  const int64_t first = (static_cast<int64_t>(dim.padding) + stride - 1) / stride;
  const int64_t last_origin = static_cast<int64_t>(in_size) - 1 - static_cast<int64_t>(filter - 1) * dilation;
  int64_t past = last_origin + dim.padding < 0 ? 0 : (last_origin + dim.padding) / stride + 1;
  if (past > dim.out_size) past = dim.out_size;
  *begin = static_cast<int32_t>(first < dim.out_size ? first : dim.out_size);
  *end = static_cast<int32_t>(past > *begin ? past : *begin);
}

}  // namespace

[[gnu::cold]] Status PrepareConv(NodeContext& node, const ConvTraits& traits, ConvParams** params) {
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  const Tensor* output = node.output(kOutputTensor);
  const int32_t channels = Dim(filter, traits.channel_dim);
  TPW_RETURN_IF_ERROR(ExpectBias(node, kBiasTensor, channels));
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
    return node.Error(StatusCode::kInvalidModel, "strides or dilations too large for the input: offsets overflow");
  }
  const int32_t shape[4] = {Dim(input, 0), p->height.out_size, p->width.out_size, channels};
  TPW_RETURN_IF_ERROR(node.SetOutputShape(0, shape, 4));
  InteriorRange(p->height, Dim(input, 1), Dim(filter, 1), p->stride_h, p->dilation_h, &p->y_begin, &p->y_end);
  InteriorRange(p->width, Dim(input, 2), Dim(filter, 2), p->stride_w, p->dilation_w, &p->x_begin, &p->x_end);
  TPW_RETURN_IF_ERROR(ActivationRange(node, activation, output, &p->act_min, &p->act_max));
  *params = p;
  return PerChannelMultipliers(node, kFilterTensor, traits.channel_dim, channels, &p->multipliers, &p->shifts);
}

[[gnu::cold]] WindowWalk MakeWindowWalk(int32_t rows, int32_t row_w, int32_t row_x, int32_t taps, int32_t tap_w, int32_t tap_x,
                          int32_t run) {
  WalkShape shape = WalkShape::kGeneral;
  if (rows == 1 && taps == 1) shape = WalkShape::kRun;
  if (rows == 1 && run == 1) shape = WalkShape::kStrided;
  return {rows, row_w, row_x, taps, tap_w, tap_x, run, shape};
}

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

// Channels oc and oc + 1 of a row (one input run), two windows at a time,
// summed without the input offset: every tap of an interior window is inside
// the input, so the offset's share of a sum is input_offset * sum(w), the same
// for every window and added once to its start (modulo 2^32 like the sum). An
// odd last window runs as a block of itself twice (x_step 0), its first
// outputs stored. The requantizers and clamp bounds are local so the int8
// stores cannot alias them.
void ChannelPairInPlace(const ConvParams& p, const ConvRow& row, int32_t oc) {
  const int32_t w_step = p.channels.filter_stride, run = p.walk.run, out_step = row.out_depth;
  const int32_t act_min = p.act_min, act_max = p.act_max;
  const int8_t* w = row.weights + oc * w_step;
  uint32_t base[2];
  FastRequant requant[2];
  for (int c = 0; c < 2; ++c) {
    uint32_t weight_sum = 0;
    for (int32_t i = 0; i < run; ++i) weight_sum += static_cast<uint32_t>(w[c * w_step + i]);
    base[c] = BiasOf(row, oc + c) + static_cast<uint32_t>(row.input_offset) * weight_sum;
    requant[c] = FastRequant(p.multipliers[oc + c], p.shifts[oc + c], row.output_zero_point);
  }
  const int8_t* x = row.x + (oc / p.channels.channels_per_group) * p.channels.group_input_stride;
  int8_t* out = row.out + oc;
  for (int32_t count = row.count; count > 0; count -= 2, x += 2 * row.x_step, out += 2 * out_step) {
    const bool two = count >= 2;
    uint32_t sums[4] = {base[0], base[0], base[1], base[1]};
    PairDots(w, w_step, run, Int8Inputs{x, two ? row.x_step : 0}, sums);
    out[0] = SaturateInt8(requant[0](sums[0]), act_min, act_max);
    out[1] = SaturateInt8(requant[1](sums[2]), act_min, act_max);
    if (two) {
      out[out_step] = SaturateInt8(requant[0](sums[1]), act_min, act_max);
      out[out_step + 1] = SaturateInt8(requant[1](sums[3]), act_min, act_max);
    }
  }
}

}  // namespace

void conv_1xk_s8_2x2(const ConvParams& p, const ConvRow& row) {
  const int32_t depth = row.out_depth;
  if (depth < 2) return GenericChannels(p, row, 0, depth);
  // An odd count's last pair overlaps the one before (same values written twice).
  for (int32_t oc = 0; oc < depth; oc += 2) ChannelPairInPlace(p, row, oc + 2 > depth ? depth - 2 : oc);
}

void conv_nxk_s8_generic(const ConvParams& p, const ConvRow& row) { GenericChannels(p, row, 0, row.out_depth); }

namespace {

// Calls visit(fy, fx, in_y, in_x) for each filter tap of the window at
// (in_y0, in_x0) that falls inside the in_h x in_w input (taps in the padding
// contribute nothing, as in TFLM).
template <typename Visit>
void ForEachTap(const ConvParams& p, int32_t in_y0, int32_t in_x0, int32_t in_h, int32_t in_w, int32_t filter_h,
                int32_t filter_w, Visit visit) {
  for (int32_t fy = 0; fy < filter_h; ++fy) {
    const int32_t in_y = in_y0 + p.dilation_h * fy;
    if (in_y < 0 || in_y >= in_h) continue;
    for (int32_t fx = 0; fx < filter_w; ++fx) {
      const int32_t in_x = in_x0 + p.dilation_w * fx;
      if (in_x < 0 || in_x >= in_w) continue;
      visit(fy, fx, in_y, in_x);
    }
  }
}

}  // namespace

Status EvalConv(NodeContext& node) {
  const ConvParams& p = *node.op_data<ConvParams>();
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  const Tensor* bias = node.input(kBiasTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t batches = Dim(output, 0), out_h = Dim(output, 1), out_w = Dim(output, 2);
  const int32_t out_depth = Dim(output, 3);
  const int32_t in_h = Dim(input, 1), in_w = Dim(input, 2), in_depth = Dim(input, 3);
  const int32_t filter_h = Dim(filter, 1), filter_w = Dim(filter, 2);
  // Weights of tap (fy, fx) of a channel start (fy * filter_w + fx) * tap_weights
  // after its first (CONV_2D: the filter depth; DEPTHWISE_CONV_2D: the output
  // channels), and a tap sums tap_run values (the filter depth; 1).
  const int32_t tap_weights = Dim(filter, 3), tap_run = p.channels.group_input_stride;
  ConvRow row = {nullptr, p.stride_w * in_depth, p.x_end - p.x_begin, nullptr, out_depth,
                 -input->params.zero_point, filter->data.int8,
                 bias != nullptr ? bias->data.i32 : nullptr, output->params.zero_point,
                 static_cast<uint32_t*>(node.scratch()), in_w};
  // Outputs [ox_begin, ox_end) of row oy, channel oc, whose windows cross the padding.
  auto border_span = [&](int32_t b, int32_t oy, int32_t oc, int32_t ox_begin, int32_t ox_end) {
    const ChannelRequant requant = RequantOf(p, row, oc);
    const int8_t* w = row.weights + oc * p.channels.filter_stride;
    const int8_t* x = input->data.int8 + (oc / p.channels.channels_per_group) * p.channels.group_input_stride;
    const int32_t in_y0 = oy * p.stride_h - p.height.padding;
    int8_t* out = output->data.int8 + ((b * out_h + oy) * out_w + ox_begin) * out_depth + oc;
    for (int32_t ox = ox_begin; ox < ox_end; ++ox, out += out_depth) {
      uint32_t sum = BiasOf(row, oc);
      ForEachTap(p, in_y0, ox * p.stride_w - p.width.padding, in_h, in_w, filter_h, filter_w,
                 [&](int32_t fy, int32_t fx, int32_t in_y, int32_t in_x) {
        sum = RunDot(w + (fy * filter_w + fx) * tap_weights, x + ((b * in_h + in_y) * in_w + in_x) * in_depth,
                     tap_run, row.input_offset, sum);
      });
      *out = requant(sum);
    }
  };
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      if (p.whole_rows) {  // one filter row: no padding in height, the variant pads the width
        const ConvRow whole = {input->data.int8 + (b * in_h + oy * p.stride_h) * in_w * in_depth, row.x_step, out_w,
                               output->data.int8 + (b * out_h + oy) * out_w * out_depth, out_depth, row.input_offset,
                               row.weights, row.bias, row.output_zero_point, row.scratch, in_w};
        p.interior_row(p, whole);
        continue;
      }
      if (oy < p.y_begin || oy >= p.y_end || p.x_begin == p.x_end) {
        for (int32_t oc = 0; oc < out_depth; ++oc) border_span(b, oy, oc, 0, out_w);
        continue;
      }
      const int32_t in_y0 = oy * p.stride_h - p.height.padding;
      if (p.x_begin > 0 || p.x_end < out_w) {
        for (int32_t oc = 0; oc < out_depth; ++oc) {
          border_span(b, oy, oc, 0, p.x_begin);
          border_span(b, oy, oc, p.x_end, out_w);
        }
      }
      const int32_t in_x0 = p.x_begin * p.stride_w - p.width.padding;
      row.x = input->data.int8 + ((b * in_h + in_y0) * in_w + in_x0) * in_depth;
      row.out = output->data.int8 + ((b * out_h + oy) * out_w + p.x_begin) * out_depth;
      p.interior_row(p, row);
    }
  }
  return Status::Ok();
}

const char* ConvRowKernelName(ConvRowKernel kernel) {
#define TPW_CONV_ROW_NAME(name) #name,
  static const char* const kNames[] = {TPW_CONV_ROW_KERNELS(TPW_CONV_ROW_NAME)};
#undef TPW_CONV_ROW_NAME
  return kNames[static_cast<int>(kernel)];
}

const char* ConvKernelName(const void* op_data) {
  const ConvParams* p = static_cast<const ConvParams*>(op_data);
  return p != nullptr && p->interior_row != nullptr ? ConvRowKernelName(p->kernel) : nullptr;
}

namespace {

// Runs the interior with `kernel` from kLinkedConvRows, with a scratch of
// `scratch_bytes` (0: none).
Status UseKernel(NodeContext& node, ConvParams* p, ConvRowKernel kernel, size_t scratch_bytes) {
  p->kernel = kernel;
  p->interior_row = nullptr;
  for (const LinkedConvRow* linked = kLinkedConvRows; linked->row != nullptr; ++linked) {
    if (linked->kernel == kernel) p->interior_row = linked->row;
  }
  if (p->interior_row == nullptr) {
    return node.Error(StatusCode::kUnsupported, "kernel %s is not linked in this build (its resolver leaves it out)",
                      ConvRowKernelName(kernel));
  }
  return scratch_bytes > 0 ? node.RequestScratch(scratch_bytes) : Status::Ok();
}

// UseKernel for a whole-row pair kernel (depthwise_1xk_s8_pairs,
// conv_1xk_s8_c1_pairs), with their scratch of int16 input pairs.
Status UsePairKernel(NodeContext& node, ConvParams* p, ConvRowKernel kernel) {
  p->whole_rows = true;
  const int32_t words = DepthwisePairsScratchWords(p->width.out_size, p->stride_w);
  return UseKernel(node, p, kernel, static_cast<size_t>(words) * sizeof(uint32_t));
}

}  // namespace

[[gnu::cold]] Status SelectInteriorRow(NodeContext& node, ConvParams* p, int32_t out_depth) {
  const ChannelLayout& ch = p->channels;
  bool fast_requant = true;
  for (int32_t oc = 0; oc < out_depth; ++oc) fast_requant = fast_requant && FastRequant::Applies(p->shifts[oc]);
  // Every channel reads the same input run (one group).
  const bool one_group = ch.channels_per_group >= out_depth;
  // Two neighbouring channels share one input run unless a group boundary
  // (an odd number of channels per group) falls between them.
  const bool pairs_share_input = ch.channels_per_group % 2 == 0 || one_group;
  // Depth multiplier 1: channel c reads input c and weight c of each tap.
  const bool lanes_are_channels = ch.filter_stride == 1 && ch.channels_per_group == 1 && ch.group_input_stride == 1;
  if (!fast_requant) return UseKernel(node, p, ConvRowKernel::conv_nxk_s8_generic, 0);
  // One filter row walked in pairs of input positions (the whole-row variants),
  // biases they can double (a constant tensor known here, or none) and the
  // int8 range as the activation clamp (what a converter gives ReLU and ReLU6
  // outputs too: their quantized range is the activation's).
  const Tensor* bias = node.input(kBiasTensor);
  bool small_bias = bias == nullptr || bias->is_constant;
  for (int32_t oc = 0; bias != nullptr && small_bias && oc < out_depth; ++oc) {
    small_bias = bias->data.i32[oc] >= -kMaxPairBias && bias->data.i32[oc] <= kMaxPairBias;
  }
  const bool pair_rows = p->walk.rows == 1 && p->dilation_w == 1 && (p->stride_w == 1 || p->stride_w == 2) &&
                         small_bias && p->act_min == -128 && p->act_max == 127;
  if (p->walk.shape == WalkShape::kRun && ch.group_input_stride == 1 && one_group && pair_rows &&
      p->walk.run <= kPairTaps) {
    return UsePairKernel(node, p, ConvRowKernel::conv_1xk_s8_c1_pairs);
  }
  // A window is widened when it is one tap (1x1) or at most kMaxWidenedRun values
  // (a ResNet block's 1xK).
  const bool widen = p->walk.run == ch.group_input_stride || p->walk.run <= kMaxWidenedRun;
  if (p->walk.shape == WalkShape::kRun && one_group && out_depth >= 2 && widen) {
    // Two widened windows: two words of each per four inputs.
    return UseKernel(node, p, ConvRowKernel::conv_1xk_s8_wide_2x2,
                     static_cast<size_t>((p->walk.run + 3) / 4) * 4 * sizeof(uint32_t));
  }
  if (p->walk.shape == WalkShape::kStrided && lanes_are_channels && pair_rows && p->walk.taps <= kPairTaps &&
      out_depth >= 4) {
    return UsePairKernel(node, p, ConvRowKernel::depthwise_1xk_s8_pairs);
  }
  const bool in_place_pairs = p->walk.shape == WalkShape::kRun && pairs_share_input;
  return UseKernel(node, p, in_place_pairs ? ConvRowKernel::conv_1xk_s8_2x2 : ConvRowKernel::conv_nxk_s8_generic, 0);
}

bool HasInterior(const ConvParams& p) { return p.y_begin < p.y_end && p.x_begin < p.x_end; }

}  // namespace tpw
