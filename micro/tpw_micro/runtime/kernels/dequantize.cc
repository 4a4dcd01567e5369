// DEQUANTIZE: int8 -> float32 as float(scale * (q - zero_point)), with the
// product in double like TFLM's reference Dequantize.
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(kInputTensor), "input"));
  TPW_RETURN_IF_ERROR(node.ExpectType(node.output(kOutputTensor), TensorType::kFloat32, "output"));
  return SameShapeOutput(node);
}

Status Eval(NodeContext& node) {
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const double scale = static_cast<double>(input->params.scale);
  for (int32_t i = 0; i < Elements(input); ++i) {
    output->data.f[i] = static_cast<float>(scale * (input->data.int8[i] - input->params.zero_point));
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"DEQUANTIZE", Prepare, Eval};

}  // namespace

const OpRegistration* Register_DEQUANTIZE() { return &kRegistration; }

}  // namespace tpw
