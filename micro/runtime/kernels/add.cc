// ADD, int8 with broadcasting: both inputs are rescaled to a common scale
// with 20 bits of headroom, summed and rescaled to the output (TFLM's
// reference integer Add).
#include "kernels/binary_common.h"

namespace tpw {
namespace {

// AddOptions fields.
enum { kActivationField = 0 };
constexpr int kLeftShift = 20;

struct AddData {
  BinaryShape shape;
  int32_t input1_multiplier, input2_multiplier, output_multiplier;
  int input1_shift, input2_shift, output_shift;
  int32_t act_min, act_max;
};

Status Prepare(NodeContext& node) {
  AddData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(PrepareBinaryShape(node, &data->shape));
  fb::Table options;
  int8_t activation = 0;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kAdd, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  const float scale1 = node.input(0)->params.scale, scale2 = node.input(1)->params.scale;
  const double twice_max_input_scale = 2 * static_cast<double>(scale1 > scale2 ? scale1 : scale2);
  const double output_scale = static_cast<double>(node.output(0)->params.scale);
  TPW_RETURN_IF_ERROR(Multiplier(node, static_cast<double>(scale1) / twice_max_input_scale, "input 0",
                                 &data->input1_multiplier, &data->input1_shift));
  TPW_RETURN_IF_ERROR(Multiplier(node, static_cast<double>(scale2) / twice_max_input_scale, "input 1",
                                 &data->input2_multiplier, &data->input2_shift));
  TPW_RETURN_IF_ERROR(Multiplier(node, twice_max_input_scale / ((1 << kLeftShift) * output_scale), "output",
                                 &data->output_multiplier, &data->output_shift));
  if (data->input1_shift > 0 || data->input2_shift > 0 || data->output_shift > 0) {
    return node.Error(StatusCode::kUnsupported).Add("rescale multiplier not below one");
  }
  return ActivationRange(node, activation, node.output(0), &data->act_min, &data->act_max);
}

Status Eval(NodeContext& node) {
  const AddData& p = *node.op_data<AddData>();
  const int8_t* in1 = node.input(0)->data.int8;
  const int8_t* in2 = node.input(1)->data.int8;
  const int32_t offset1 = -node.input(0)->params.zero_point;
  const int32_t offset2 = -node.input(1)->params.zero_point;
  Tensor* output = node.output(0);
  const int32_t output_offset = output->params.zero_point;
  ForEachBroadcast(output, p.shape, [&](int32_t out, int32_t i1, int32_t i2) {
    const int32_t shifted1 = (in1[i1] + offset1) * (1 << kLeftShift);
    const int32_t shifted2 = (in2[i2] + offset2) * (1 << kLeftShift);
    const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1_multiplier, p.input1_shift);
    const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2_multiplier, p.input2_shift);
    int32_t result = MultiplyByQuantizedMultiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift) +
                     output_offset;
    result = result < p.act_min ? p.act_min : (result > p.act_max ? p.act_max : result);
    output->data.int8[out] = static_cast<int8_t>(result);
  });
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"ADD", Prepare, Eval};

}  // namespace

const OpRegistration* Register_ADD() { return &kRegistration; }

}  // namespace tpw
