// Prepare shared by CONV_2D and DEPTHWISE_CONV_2D: [N, H, W, C] int8 tensors,
// stride / dilation / padding / activation from the op's options, the output
// shape check, per-channel multipliers and the optional int32 bias.
#ifndef TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_

#include "kernels/kernel_util.h"

namespace tpw {

enum { kConvInput = 0, kConvFilter = 1, kConvBias = 2 };

struct ConvParams {
  SpatialDim height, width;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t act_min, act_max;
  int32_t* multipliers;
  int32_t* shifts;
};

// What differs between the two ops: the filter's channel dimension and the
// field numbers of the options table.
struct ConvTraits {
  int32_t channel_dim;
  OptionsType type;
  int padding, stride_w, stride_h, activation, dilation_w, dilation_h;
};

// Allocates and fills the node's ConvParams.
Status PrepareConv(NodeContext& node, const ConvTraits& traits);

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

// Walks the output [N, OH, OW, C]; accumulate(b, in_y0, in_x0, oc) returns the
// window's sum of weight * (input - zero_point) (as uint32: it wraps like TFLM's
// int32 accumulator, without UB); bias, requantization and clamping follow.
template <typename Accumulate>
void EvalConv(NodeContext& node, Accumulate accumulate) {
  const ConvParams& p = *node.op_data<ConvParams>();
  const Tensor* bias = node.input(kConvBias);
  Tensor* output = node.output(0);
  const int32_t out_h = Dim(output, 1), out_w = Dim(output, 2), out_depth = Dim(output, 3);
  const int32_t output_zero_point = output->params.zero_point;
  int8_t* out = output->data.int8;
  for (int32_t b = 0; b < Dim(output, 0); ++b) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      for (int32_t ox = 0; ox < out_w; ++ox) {
        for (int32_t oc = 0; oc < out_depth; ++oc) {
          uint32_t sum = accumulate(b, oy * p.stride_h - p.height.padding, ox * p.stride_w - p.width.padding, oc);
          if (bias != nullptr) sum += static_cast<uint32_t>(bias->data.i32[oc]);
          int32_t acc = MultiplyByQuantizedMultiplier(static_cast<int32_t>(sum), p.multipliers[oc], p.shifts[oc]);
          acc += output_zero_point;
          acc = acc < p.act_min ? p.act_min : (acc > p.act_max ? p.act_max : acc);
          *out++ = static_cast<int8_t>(acc);
        }
      }
    }
  }
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_
