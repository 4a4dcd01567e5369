// SPACE_TO_BATCH_ND: pads H and W, then moves each (block_h, block_w) phase
// of the spatial grid into its own batch (TFLM's reference SpaceToBatchND;
// padding takes the output zero point for int8).
#include <string.h>

#include "kernels/space_batch_common.h"

namespace tpw {
namespace {

Status Prepare(NodeContext& node) { return PrepareSpaceBatch(node, /*to_batch=*/true); }

Status Eval(NodeContext& node) {
  const SpaceBatchData& p = *node.op_data<SpaceBatchData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const Shape4 in = AsShape4(input), out = AsShape4(output);
  const size_t element = TensorTypeSize(input->type);
  const size_t pixel = static_cast<size_t>(in.c) * element;
  const int pad_byte = input->type == TensorType::kInt8 ? output->params.zero_point : 0;
  for (int32_t ob = 0; ob < out.n; ++ob) {
    const int32_t in_b = ob % in.n;
    const int32_t shift_w = (ob / in.n) % p.block_w;
    const int32_t shift_h = (ob / in.n) / p.block_w;
    for (int32_t oy = 0; oy < out.h; ++oy) {
      for (int32_t ox = 0; ox < out.w; ++ox) {
        uint8_t* dst = static_cast<uint8_t*>(output->data.raw) + (((ob * out.h + oy) * out.w + ox) * pixel);
        const int32_t in_y = oy * p.block_h + shift_h - p.before_h;
        const int32_t in_x = ox * p.block_w + shift_w - p.before_w;
        if (in_y < 0 || in_y >= in.h || in_x < 0 || in_x >= in.w) {
          memset(dst, pad_byte, pixel);
        } else {
          memcpy(dst, static_cast<const uint8_t*>(input->data.raw) + ((in_b * in.h + in_y) * in.w + in_x) * pixel,
                 pixel);
        }
      }
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"SPACE_TO_BATCH_ND", Prepare, Eval};

}  // namespace

const OpRegistration* Register_SPACE_TO_BATCH_ND() { return &kRegistration; }

}  // namespace tpw
