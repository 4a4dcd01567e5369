// RESHAPE (also registered for SQUEEZE and EXPAND_DIMS): the output shape is
// the model's, so the op is a copy of the same bytes. As in TFLM, one -1 in
// the stored output shape is stretched to hold every input element, and the
// optional shape input is not read.
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* input = node.input(0);
  const Tensor* output = node.output(0);
  if (input->type != output->type) {
    return node.Error(StatusCode::kInvalidModel).Add("output type ").Add(TensorTypeName(output->type))
        .Add(", expected the input's ").Add(TensorTypeName(input->type));
  }
  const int32_t rank = Rank(output);
  int32_t shape[kMaxRank];  // parsing bounds every rank by kMaxRank
  int32_t stretch = -1;
  int64_t known = 1;
  for (int32_t d = 0; d < rank; ++d) {
    shape[d] = Dim(output, d);
    if (shape[d] != -1) {
      known *= shape[d];
    } else if (stretch < 0) {
      stretch = d;
    } else {
      return node.Error(StatusCode::kInvalidModel).Add("output shape has more than one -1");
    }
  }
  if (stretch >= 0) {
    if (Elements(input) % known != 0) {
      return node.Error(StatusCode::kInvalidModel).Add("input has ").Add(Elements(input))
          .Add(" elements, not a multiple of the output's fixed ").Add(static_cast<int32_t>(known));
    }
    shape[stretch] = static_cast<int32_t>(Elements(input) / known);
    known *= shape[stretch];
  }
  if (known != Elements(input)) {
    return node.Error(StatusCode::kInvalidModel).Add("input has ").Add(Elements(input))
        .Add(" elements, output shape holds ").Add(static_cast<int32_t>(known));
  }
  return node.SetOutputShape(0, shape, rank);
}

Status Eval(NodeContext& node) {
  const Tensor* input = node.input(0);
  Tensor* output = node.output(0);
  if (output->data.raw != input->data.raw) memcpy(output->data.raw, input->data.raw, input->bytes);
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"RESHAPE", Prepare, Eval};

}  // namespace

const OpRegistration* Register_RESHAPE() { return &kRegistration; }

}  // namespace tpw
