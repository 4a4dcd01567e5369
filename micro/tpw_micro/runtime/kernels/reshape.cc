// RESHAPE (and SQUEEZE, EXPAND_DIMS, which share its Eval): the op is a copy of
// the same bytes into the output shape. As in TFLM, one -1 in the target is
// stretched to hold every input element. The target is RESHAPE's shape input
// when its values are known in Prepare (a constant, or the shape arithmetic a
// dynamic batch converts into, folded by SHAPE / STRIDED_SLICE / PACK), else
// the model's stored output shape, which is all TFLM reads. For a Reshape to
// (-1, N) converted with a None batch the stored shape is (1, 1, N) and TFLM
// refuses it; the folded target gives the real shape.
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kShapeTensor = 1;
constexpr int32_t kOutputTensor = 0;

// Gives the output `target` with its -1 (at most one) stretched to the input's size.
Status SetStretchedShape(NodeContext& node, const int32_t* target, int32_t rank) {
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  if (input->type != output->type) {
    return node.Error(StatusCode::kInvalidModel, "output type %s, expected the input's %s",
        TensorTypeName(output->type), TensorTypeName(input->type));
  }
  if (rank > kMaxRank) {
    return node.Error(StatusCode::kUnsupported, "target rank %d, expected at most %d", rank, kMaxRank);
  }
  int32_t shape[kMaxRank];
  int32_t stretch = -1;
  int64_t known = 1;
  for (int32_t d = 0; d < rank; ++d) {
    shape[d] = target[d];
    if (shape[d] == -1 && stretch < 0) {
      stretch = d;
    } else if (shape[d] == -1) {
      return node.Error(StatusCode::kInvalidModel, "target shape has more than one -1");
    } else if (shape[d] < 1) {
      return node.Error(StatusCode::kInvalidModel, "target dimension %d is %d, expected -1 or a positive extent",
          d, shape[d]);
    } else {
      known *= shape[d];
      if (known > INT32_MAX) return node.Error(StatusCode::kInvalidModel, "target shape exceeds 2^31 elements");
    }
  }
  if (stretch >= 0) {
    if (Elements(input) % known != 0) {
      return node.Error(StatusCode::kInvalidModel, "input has %d elements, not a multiple of the target's fixed %d",
          Elements(input), static_cast<int32_t>(known));
    }
    shape[stretch] = static_cast<int32_t>(Elements(input) / known);
    known *= shape[stretch];
  }
  if (known != Elements(input)) {
    return node.Error(StatusCode::kInvalidModel, "input has %d elements, target shape holds %d",
        Elements(input), static_cast<int32_t>(known));
  }
  return node.SetOutputShape(kOutputTensor, shape, rank);
}

// SQUEEZE and EXPAND_DIMS: the stored output shape (EXPAND_DIMS' second input is an axis).
Status PrepareStoredShape(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const IntArray& stored = *node.output(kOutputTensor)->dims;
  return SetStretchedShape(node, stored.data, stored.size);
}

Status PrepareReshape(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* target = node.input(kShapeTensor);
  if (target == nullptr || !target->is_constant || target->type != TensorType::kInt32 || Rank(target) != 1) {
    return PrepareStoredShape(node);
  }
  return SetStretchedShape(node, target->data.i32, Elements(target));
}

Status Eval(NodeContext& node) {
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  if (output->data.raw != input->data.raw) memcpy(output->data.raw, input->data.raw, input->bytes);
  return Status::Ok();
}

constexpr OpRegistration kReshape = {"RESHAPE", PrepareReshape, Eval};
constexpr OpRegistration kSqueeze = {"SQUEEZE", PrepareStoredShape, Eval};
constexpr OpRegistration kExpandDims = {"EXPAND_DIMS", PrepareStoredShape, Eval};

}  // namespace

const OpRegistration* Register_RESHAPE() { return &kReshape; }
const OpRegistration* Register_SQUEEZE() { return &kSqueeze; }
const OpRegistration* Register_EXPAND_DIMS() { return &kExpandDims; }

}  // namespace tpw
