// ADD, int8 with broadcasting: both inputs are rescaled to a common scale
// with 20 bits of headroom, summed and rescaled to the output (TFLM's
// reference integer Add).
#include "kernels/binary_common.h"

namespace tpw {
namespace {

constexpr int kLeftShift = 20;

struct AddData {
  BinaryParams binary;
  int32_t input1_multiplier, input2_multiplier, output_multiplier;
  int input1_shift, input2_shift, output_shift;
};

Status Prepare(NodeContext& node) {
  AddData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(PrepareBinary(node, OptionsType::kAdd, &data->binary));
  const float scale1 = node.input(kInputTensor1)->params.scale, scale2 = node.input(kInputTensor2)->params.scale;
  const double twice_max_input_scale = 2 * static_cast<double>(scale1 > scale2 ? scale1 : scale2);
  const double output_scale = static_cast<double>(node.output(kOutputTensor)->params.scale);
  TPW_RETURN_IF_ERROR(Multiplier(node, static_cast<double>(scale1) / twice_max_input_scale, "input 0",
                                 &data->input1_multiplier, &data->input1_shift));
  TPW_RETURN_IF_ERROR(Multiplier(node, static_cast<double>(scale2) / twice_max_input_scale, "input 1",
                                 &data->input2_multiplier, &data->input2_shift));
  TPW_RETURN_IF_ERROR(Multiplier(node, twice_max_input_scale / ((1 << kLeftShift) * output_scale), "output",
                                 &data->output_multiplier, &data->output_shift));
  if (data->input1_shift > 0 || data->input2_shift > 0 || data->output_shift > 0) {
    return node.Error(StatusCode::kUnsupported, "rescale multiplier not below one");
  }
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const AddData& p = *node.op_data<AddData>();
  EvalBinary(node, p.binary, [&p](int32_t a, int32_t b) {
    const int32_t scaled1 = MultiplyByQuantizedMultiplier(a * (1 << kLeftShift), p.input1_multiplier, p.input1_shift);
    const int32_t scaled2 = MultiplyByQuantizedMultiplier(b * (1 << kLeftShift), p.input2_multiplier, p.input2_shift);
    return MultiplyByQuantizedMultiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift);
  });
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"ADD", Prepare, Eval};

}  // namespace

const OpRegistration* Register_ADD() { return &kRegistration; }

}  // namespace tpw
