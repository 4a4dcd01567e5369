// AVERAGE_POOL_2D, int8: the rounded (half away from zero) mean of the window
// clipped to the input, as TFLM's reference integer AveragePool.
#include "kernels/pool_common.h"

namespace tpw {
namespace {

Status Eval(NodeContext& node) {
  const PoolData& p = *node.op_data<PoolData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t in_h = Dim(input, 1), in_w = Dim(input, 2), depth = Dim(input, 3);
  bool empty_window = false;
  ForEachPoolWindow(p, input, output,
                    [&](int32_t b, int32_t y0, int32_t x0, int32_t c, int32_t y_start, int32_t y_end,
                        int32_t x_start, int32_t x_end, int32_t out_index) {
    int32_t sum = 0, count = 0;
    for (int32_t fy = y_start; fy < y_end; ++fy) {
      for (int32_t fx = x_start; fx < x_end; ++fx) {
        sum += input->data.int8[((b * in_h + y0 + fy) * in_w + x0 + fx) * depth + c];
        ++count;
      }
    }
    if (count == 0) {
      empty_window = true;
      return;
    }
    const int32_t average = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    output->data.int8[out_index] = SaturateInt8(average, p.act_min, p.act_max);
  });
  if (empty_window) return node.Error(StatusCode::kEvalFailed, "pooling window outside the input");
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"AVERAGE_POOL_2D", PreparePool, Eval};

}  // namespace

const OpRegistration* Register_AVERAGE_POOL_2D() { return &kRegistration; }

}  // namespace tpw
