// LOGISTIC, int8 in, int8 out with scale 1/256 and zero point -128: the input
// is rescaled to Q4.27 and fed to gemmlowp's fixed-point logistic (TFLM's
// reference integer Logistic).
#include <math.h>

#include "fixed_point.h"
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

constexpr int kInputIntegerBits = 4;
constexpr int kOutputIntegerBits = 8;

struct LogisticData {
  int32_t input_multiplier;
  int input_left_shift;
  int32_t input_range_radius;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectUnaryInt8(node));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  if (output->params.zero_point != -128) {
    return node.Error(StatusCode::kUnsupported, "output zero point must be -128");
  }
  LogisticData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  // TFLM takes frexp of scale * 2^27 directly rather than QuantizeMultiplier.
  const double real = static_cast<double>(input->params.scale) * static_cast<double>(1 << (31 - kInputIntegerBits));
  const double significand = frexp(real, &data->input_left_shift);
  const int64_t fixed = static_cast<int64_t>(round(significand * static_cast<double>(int64_t{1} << 31)));
  if (data->input_left_shift < 0 || data->input_left_shift > 30 || fixed > INT32_MAX) {
    return node.Error(StatusCode::kUnsupported, "input scale out of range");
  }
  data->input_multiplier = static_cast<int32_t>(fixed);
  data->input_range_radius = CalculateInputRadius(kInputIntegerBits, data->input_left_shift, 31);
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const LogisticData& p = *node.op_data<LogisticData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t zero_point = input->params.zero_point;
  for (int32_t i = 0; i < Elements(input); ++i) {
    const int32_t value = input->data.int8[i] - zero_point;
    if (value <= -p.input_range_radius) {
      output->data.int8[i] = -128;
    } else if (value >= p.input_range_radius) {
      output->data.int8[i] = 127;
    } else {
      const int32_t input_q4 = MultiplyByQuantizedMultiplier(value, p.input_multiplier, p.input_left_shift);
      const int32_t output_q0 = fixed_point::Logistic(input_q4, kInputIntegerBits);
      output->data.int8[i] = SaturateInt8(RoundingDivideByPOT(output_q0, 31 - kOutputIntegerBits) - 128);
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"LOGISTIC", Prepare, Eval};

}  // namespace

const OpRegistration* Register_LOGISTIC() { return &kRegistration; }

}  // namespace tpw
