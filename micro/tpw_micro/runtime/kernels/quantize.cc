// QUANTIZE: float32 -> int8 (round(x / scale) + zero_point, in float as TFLM's
// AffineQuantize) or int8 -> int8 requantization (TFLM's Requantize).
#include <math.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

struct QuantizeData {
  int32_t multiplier;
  int shift;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, output, "output"));
  TPW_RETURN_IF_ERROR(SameShapeOutput(node));
  QuantizeData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  if (input->type == TensorType::kFloat32) return Status::Ok();
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, input, "input"));
  const double real = static_cast<double>(input->params.scale) / static_cast<double>(output->params.scale);
  return Multiplier(node, real, "requantize", &data->multiplier, &data->shift);
}

Status Eval(NodeContext& node) {
  const QuantizeData& p = *node.op_data<QuantizeData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const float scale = output->params.scale;
  const int32_t zero_point = output->params.zero_point;
  for (int32_t i = 0; i < Elements(input); ++i) {
    if (input->type == TensorType::kFloat32) {
      float q = roundf(input->data.f[i] / scale);
      // Saturate before converting: out-of-range (or NaN) floats have no int32 value.
      q = q > 1e6f ? 1e6f : (q < -1e6f ? -1e6f : (q == q ? q : 0.0f));
      output->data.int8[i] = SaturateInt8(static_cast<int32_t>(q) + zero_point);
    } else {
      const int32_t value = input->data.int8[i] - input->params.zero_point;
      output->data.int8[i] = SaturateInt8(MultiplyByQuantizedMultiplier(value, p.multiplier, p.shift) + zero_point);
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"QUANTIZE", Prepare, Eval};

}  // namespace

const OpRegistration* Register_QUANTIZE() { return &kRegistration; }

}  // namespace tpw
