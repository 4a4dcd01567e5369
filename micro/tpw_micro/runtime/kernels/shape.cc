// SHAPE: the input's dimensions as an int32 vector (TFLM writes only int32).
// The value depends on shapes alone, all fixed once the inputs' Prepares ran,
// so it is folded in Prepare (FoldOutput) and the op has nothing left to do
// in Eval: the STRIDED_SLICE / PACK / RESHAPE chain a dynamic batch converts
// into reads a constant.
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kOutputTensor = 0;

Status Compute(NodeContext& node) {
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  for (int32_t d = 0; d < Rank(input); ++d) output->data.i32[d] = Dim(input, d);
  return Status::Ok();
}

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* input = node.input(kInputTensor);
  TPW_RETURN_IF_ERROR(node.ExpectType(node.output(kOutputTensor), TensorType::kInt32, "output"));
  const int32_t rank = Rank(input);
  TPW_RETURN_IF_ERROR(node.SetOutputShape(kOutputTensor, &rank, 1));
  return FoldOutput(node, Compute);
}

// Always folded in Prepare.
Status Eval(NodeContext&) { return Status::Ok(); }

constexpr OpRegistration kRegistration = {"SHAPE", Prepare, Eval};

}  // namespace

const OpRegistration* Register_SHAPE() { return &kRegistration; }

}  // namespace tpw
