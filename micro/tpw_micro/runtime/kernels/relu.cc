// RELU, int8: requantize input to the output scale, clamp at the output's
// quantized zero (TFLM's ReluQuantized).
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

struct ReluData {
  int32_t multiplier;
  int shift;
  int32_t act_min;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectUnaryInt8(node));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  ReluData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  const double real = static_cast<double>(input->params.scale) / static_cast<double>(output->params.scale);
  TPW_RETURN_IF_ERROR(Multiplier(node, real, "output", &data->multiplier, &data->shift));
  // TFLM: max(int8 min, zero_point + round(0 / scale)), i.e. the output zero point.
  data->act_min = output->params.zero_point;
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const ReluData& p = *node.op_data<ReluData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t input_zero_point = input->params.zero_point;
  const int32_t output_zero_point = output->params.zero_point;
  for (int32_t i = 0; i < Elements(input); ++i) {
    const int32_t value = output_zero_point +
                          MultiplyByQuantizedMultiplier(input->data.int8[i] - input_zero_point, p.multiplier, p.shift);
    output->data.int8[i] = SaturateInt8(value, p.act_min);
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"RELU", Prepare, Eval};

}  // namespace

const OpRegistration* Register_RELU() { return &kRegistration; }

}  // namespace tpw
