// RELU6, int8: clamps to [q(0), q(6)] in the input's quantization without
// rescaling (TFLM's Relu6Quantized; the converter gives input and output
// the same parameters).
#include <math.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

struct Relu6Data {
  int8_t zero, six;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectUnaryInt8(node));
  const Tensor* input = node.input(kInputTensor);
  Relu6Data* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  data->zero = static_cast<int8_t>(input->params.zero_point);
  // TFLM's FloatToQuantizedType: round(6 / scale) + zero_point, clamped to int8.
  float six = roundf(6.0f / input->params.scale) + static_cast<float>(input->params.zero_point);
  data->six = static_cast<int8_t>(six > 127.0f ? 127.0f : (six < -128.0f ? -128.0f : six));
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const Relu6Data& p = *node.op_data<Relu6Data>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  for (int32_t i = 0; i < Elements(input); ++i) {
    const int8_t value = input->data.int8[i];
    output->data.int8[i] = value > p.six ? p.six : (value < p.zero ? p.zero : value);
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"RELU6", Prepare, Eval};

}  // namespace

const OpRegistration* Register_RELU6() { return &kRegistration; }

}  // namespace tpw
