// MUL, int8 with broadcasting: (a - za) * (b - zb) rescaled by
// scale_a * scale_b / scale_out (TFLM's reference integer Mul).
#include "kernels/binary_common.h"

namespace tpw {
namespace {

struct MulData {
  BinaryParams binary;
  int32_t output_multiplier;
  int output_shift;
};

Status Prepare(NodeContext& node) {
  MulData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(PrepareBinary(node, OptionsType::kMul, &data->binary));
  const double real = static_cast<double>(node.input(kInputTensor1)->params.scale) *
                      static_cast<double>(node.input(kInputTensor2)->params.scale) /
                      static_cast<double>(node.output(kOutputTensor)->params.scale);
  return Multiplier(node, real, "output", &data->output_multiplier, &data->output_shift);
}

Status Eval(NodeContext& node) {
  const MulData& p = *node.op_data<MulData>();
  EvalBinary(node, p.binary, [&p](int32_t a, int32_t b) {
    return MultiplyByQuantizedMultiplier(a * b, p.output_multiplier, p.output_shift);
  });
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"MUL", Prepare, Eval};

}  // namespace

const OpRegistration* Register_MUL() { return &kRegistration; }

}  // namespace tpw
