// RESHAPE (also registered for SQUEEZE and EXPAND_DIMS): the output shape is
// static in the model, so the op is a copy of the same bytes.
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* input = node.input(0);
  const Tensor* output = node.output(0);
  if (input->type != output->type || input->bytes != output->bytes) {
    return node.Error(StatusCode::kInvalidModel).Add("input and output sizes or types differ");
  }
  return Status::Ok();
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
