// Prepare shared by AVERAGE_POOL_2D and MAX_POOL_2D: int8 [N, H, W, C] in and
// out, window/stride/padding from Pool2DOptions, clamp range of the activation.
#ifndef TPW_MICRO_RUNTIME_KERNELS_POOL_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_POOL_COMMON_H_

#include "kernels/kernel_util.h"

namespace tpw {

// Tensor slots of AVERAGE_POOL_2D and MAX_POOL_2D.
constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

struct PoolData {
  SpatialDim height, width;
  int32_t stride_h, stride_w, filter_h, filter_w;
  int32_t act_min, act_max;
};

Status PreparePool(NodeContext& node);

// Calls visit(b, oy, ox, c, y_start, y_end, x_start, x_end) for each output
// element with its window clipped to the input.
template <typename Visit>
void ForEachPoolWindow(const PoolData& p, const Tensor* input, const Tensor* output, Visit visit) {
  const int32_t in_h = Dim(input, 1), in_w = Dim(input, 2);
  for (int32_t b = 0; b < Dim(output, 0); ++b) {
    for (int32_t oy = 0; oy < Dim(output, 1); ++oy) {
      const int32_t y0 = oy * p.stride_h - p.height.padding;
      const int32_t y_start = y0 > 0 ? 0 : -y0;
      const int32_t y_end = p.filter_h < in_h - y0 ? p.filter_h : in_h - y0;
      for (int32_t ox = 0; ox < Dim(output, 2); ++ox) {
        const int32_t x0 = ox * p.stride_w - p.width.padding;
        const int32_t x_start = x0 > 0 ? 0 : -x0;
        const int32_t x_end = p.filter_w < in_w - x0 ? p.filter_w : in_w - x0;
        for (int32_t c = 0; c < Dim(output, 3); ++c) {
          visit(b, y0, x0, c, y_start, y_end, x_start, x_end,
                ((b * Dim(output, 1) + oy) * Dim(output, 2) + ox) * Dim(output, 3) + c);
        }
      }
    }
  }
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_POOL_COMMON_H_
