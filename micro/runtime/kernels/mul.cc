// MUL, int8 with broadcasting: (a - za) * (b - zb) rescaled by
// scale_a * scale_b / scale_out (TFLM's reference integer Mul).
#include "kernels/binary_common.h"

namespace tpw {
namespace {

// MulOptions fields.
enum { kActivationField = 0 };

struct MulData {
  BinaryShape shape;
  int32_t output_multiplier;
  int output_shift;
  int32_t act_min, act_max;
};

Status Prepare(NodeContext& node) {
  MulData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(PrepareBinaryShape(node, &data->shape));
  fb::Table options;
  int8_t activation = 0;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kMul, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  const double real = static_cast<double>(node.input(0)->params.scale) *
                      static_cast<double>(node.input(1)->params.scale) /
                      static_cast<double>(node.output(0)->params.scale);
  TPW_RETURN_IF_ERROR(Multiplier(node, real, "output", &data->output_multiplier, &data->output_shift));
  return ActivationRange(node, activation, node.output(0), &data->act_min, &data->act_max);
}

Status Eval(NodeContext& node) {
  const MulData& p = *node.op_data<MulData>();
  const int8_t* in1 = node.input(0)->data.int8;
  const int8_t* in2 = node.input(1)->data.int8;
  const int32_t offset1 = -node.input(0)->params.zero_point;
  const int32_t offset2 = -node.input(1)->params.zero_point;
  Tensor* output = node.output(0);
  const int32_t output_offset = output->params.zero_point;
  ForEachBroadcast(output, p.shape, [&](int32_t out, int32_t i1, int32_t i2) {
    const int32_t product = (in1[i1] + offset1) * (in2[i2] + offset2);
    int32_t result = output_offset + MultiplyByQuantizedMultiplier(product, p.output_multiplier, p.output_shift);
    result = result < p.act_min ? p.act_min : (result > p.act_max ? p.act_max : result);
    output->data.int8[out] = static_cast<int8_t>(result);
  });
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"MUL", Prepare, Eval};

}  // namespace

const OpRegistration* Register_MUL() { return &kRegistration; }

}  // namespace tpw
