#include "kernels/conv_common.h"

#include <type_traits>

namespace tpw {
namespace {

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

// Writes `count` outputs `out_step` apart: requant(sums) after
// dots(x, sums, windows) starts from `base` for windows `x_step` apart, two at
// a time (see RunDots) and one for an odd last output. `requant` is a copy so
// the int8 stores cannot alias it and its shifts stay out of the loop.
template <typename Dots>
void SpanInPairs(const ChannelRequant requant, uint32_t base, const int8_t* x, int32_t x_step, int32_t count,
                 int8_t* out, int32_t out_step, Dots dots) {
  for (; count >= 2; count -= 2, x += 2 * x_step, out += 2 * out_step) {
    uint32_t sums[2] = {base, base};
    dots(x, sums, std::integral_constant<int, 2>());
    out[0] = requant(sums[0]);
    out[out_step] = requant(sums[1]);
  }
  if (count == 1) {
    uint32_t sum = base;
    dots(x, &sum, std::integral_constant<int, 1>());
    *out = requant(sum);
  }
}

}  // namespace

void InteriorSpan(const WindowWalk& walk, const ChannelRequant& requant, uint32_t bias, const int8_t* w,
                  const int8_t* x, int32_t x_step, int32_t input_offset, int32_t count, int8_t* out,
                  int32_t out_step) {
  switch (walk.shape) {
    case WalkShape::kRun:
      SpanInPairs(requant, bias, x, x_step, count, out, out_step, [&](const int8_t* xi, uint32_t* sums, auto windows) {
        RunDots<decltype(windows)::value>(w, xi, x_step, walk.run, input_offset, sums);
      });
      return;
    case WalkShape::kStrided: {
      // Every tap is inside the window, so the offset's share is the same for
      // all outputs: input_offset * sum(w), added once (modulo 2^32 like the sum).
      uint32_t weight_sum = 0;
      for (int32_t t = 0; t < walk.taps; ++t) weight_sum += static_cast<uint32_t>(w[t * walk.tap_w]);
      const uint32_t base = bias + static_cast<uint32_t>(input_offset) * weight_sum;
      SpanInPairs(requant, base, x, x_step, count, out, out_step, [&](const int8_t* xi, uint32_t* sums, auto windows) {
        StridedDots<decltype(windows)::value>(w, walk.tap_w, xi, walk.tap_x, x_step, walk.taps, sums);
      });
      return;
    }
    case WalkShape::kGeneral:
      for (int32_t i = 0; i < count; ++i, x += x_step, out += out_step) {
        uint32_t sum = bias;
        for (int32_t r = 0; r < walk.rows; ++r) {
          for (int32_t t = 0; t < walk.taps; ++t) {
            sum = RunDot(w + r * walk.row_w + t * walk.tap_w, x + r * walk.row_x + t * walk.tap_x, walk.run,
                         input_offset, sum);
          }
        }
        *out = requant(sum);
      }
      return;
  }
}

bool HasInterior(const ConvParams& p) { return p.y_begin < p.y_end && p.x_begin < p.x_end; }

}  // namespace tpw
