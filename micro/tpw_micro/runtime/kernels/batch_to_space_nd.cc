// BATCH_TO_SPACE_ND: interleaves the batches back into the spatial grid and
// drops the cropped border (TFLM's reference BatchToSpaceND).
#include <string.h>

#include "kernels/space_batch_common.h"

namespace tpw {
namespace {

Status Prepare(NodeContext& node) { return PrepareSpaceBatch(node, /*to_batch=*/false); }

Status Eval(NodeContext& node) {
  const SpaceBatchData& p = *node.op_data<SpaceBatchData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const Shape4 in = AsShape4(input), out = AsShape4(output);
  const size_t pixel = static_cast<size_t>(in.c) * TensorTypeSize(input->type);
  for (int32_t ib = 0; ib < in.n; ++ib) {
    const int32_t out_b = ib % out.n;
    const int32_t phase = ib / out.n;
    for (int32_t iy = 0; iy < in.h; ++iy) {
      const int32_t out_y = iy * p.block_h + phase / p.block_w - p.before_h;
      if (out_y < 0 || out_y >= out.h) continue;
      for (int32_t ix = 0; ix < in.w; ++ix) {
        const int32_t out_x = ix * p.block_w + phase % p.block_w - p.before_w;
        if (out_x < 0 || out_x >= out.w) continue;
        memcpy(static_cast<uint8_t*>(output->data.raw) + ((out_b * out.h + out_y) * out.w + out_x) * pixel,
               static_cast<const uint8_t*>(input->data.raw) + ((ib * in.h + iy) * in.w + ix) * pixel, pixel);
      }
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"BATCH_TO_SPACE_ND", Prepare, Eval};

}  // namespace

const OpRegistration* Register_BATCH_TO_SPACE_ND() { return &kRegistration; }

}  // namespace tpw
