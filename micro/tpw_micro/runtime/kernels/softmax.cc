// SOFTMAX over the last dimension, int8 in, int8 out with scale 1/256 and zero
// point -128: differences to the row maximum are scaled by beta * scale into
// Q5.26, exponentiated and summed in fixed point (TFLM's reference Softmax).
#include "fixed_point.h"
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

// SoftmaxOptions fields.
enum { kBetaField = 0 };
constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

struct SoftmaxData {
  int32_t input_multiplier;
  int input_left_shift;
  int32_t diff_min;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectUnaryInt8(node));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  // Up to 2048 classes the sum of exponentials keeps the final shift within 31 bits.
  if (Rank(input) < 1 || Dim(input, Rank(input) - 1) > 2048) {
    return node.Error(StatusCode::kUnsupported, "last dimension must be 1..2048");
  }
  if (output->params.zero_point != -128 || output->params.scale != 1.0f / 256) {
    return node.Error(StatusCode::kUnsupported, "output must have scale 1/256 and zero point -128");
  }
  fb::Table options;
  float beta = 0.0f;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kSoftmax, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<float>(kBetaField, 0.0f, &beta));
  SoftmaxData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  // TFLM's PreprocessSoftmaxScaling: beta * scale * 2^26, capped below 2^31.
  double real = static_cast<double>(beta) * static_cast<double>(input->params.scale) *
                static_cast<double>(1 << (31 - kScaledDiffIntegerBits));
  const double cap = static_cast<double>(int64_t{1} << 31) - 1.0;
  if (real > cap) real = cap;
  if (!(real > 1.0)) return node.Error(StatusCode::kUnsupported, "beta * input scale too small");
  TPW_RETURN_IF_ERROR(Multiplier(node, real, "input", &data->input_multiplier, &data->input_left_shift));
  data->diff_min = -CalculateInputRadius(kScaledDiffIntegerBits, data->input_left_shift, 31);
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const SoftmaxData& p = *node.op_data<SoftmaxData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t depth = Dim(input, Rank(input) - 1);
  const int32_t rows = Elements(input) / depth;
  // Scaled difference to the row max, in Q5.26.
  auto scaled_diff = [&p](int32_t diff) {
    return SaturatingRoundingDoublingHighMul(WrappingMul(diff, int32_t{1} << p.input_left_shift), p.input_multiplier);
  };
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t* in = input->data.int8 + r * depth;
    int8_t* out = output->data.int8 + r * depth;
    int32_t max = -128;
    for (int32_t c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    int32_t sum_of_exps = 0;  // Q12.19
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff < p.diff_min) continue;
      const int32_t exp = fixed_point::ExpOnNegativeValues(scaled_diff(diff), kScaledDiffIntegerBits);
      sum_of_exps = WrappingAdd(sum_of_exps, fixed_point::Rescale(exp, 0, kAccumulationIntegerBits));
    }
    int num_bits_over_unit = 0;
    const int32_t shifted_scale = fixed_point::GetReciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff < p.diff_min) {
        out[c] = -128;
        continue;
      }
      const int32_t exp = fixed_point::ExpOnNegativeValues(scaled_diff(diff), kScaledDiffIntegerBits);
      const int32_t unsat = RoundingDivideByPOT(fixed_point::Mul(shifted_scale, exp), num_bits_over_unit + 31 - 8);
      out[c] = SaturateInt8(unsat - 128);
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"SOFTMAX", Prepare, Eval};

}  // namespace

const OpRegistration* Register_SOFTMAX() { return &kRegistration; }

}  // namespace tpw
