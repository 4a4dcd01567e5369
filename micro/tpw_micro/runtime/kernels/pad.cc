// PAD / PADV2, int8 or float32: copies the input into the middle of the
// output and fills the border with the output zero point (PAD) or the
// constant value tensor (PADV2). Paddings are a constant int32 [rank, 2].
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kPaddingsTensor = 1;
constexpr int32_t kConstantValueTensor = 2;  // PADV2 only
constexpr int32_t kOutputTensor = 0;

struct PadData {
  int32_t before[kMaxRank];
  uint32_t fill;  // the pad element's bytes (int8 or float32)
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* paddings = node.input(kPaddingsTensor);
  const Tensor* output = node.output(kOutputTensor);
  if (input->type != output->type || (input->type != TensorType::kInt8 && input->type != TensorType::kFloat32)) {
    return node.Error(StatusCode::kUnsupported, "type %s", TensorTypeName(input->type));
  }
  const int32_t rank = Rank(input);
  if (rank < 1) return node.Error(StatusCode::kUnsupported, "scalar input");
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, paddings, 2 * rank, "paddings"));
  PadData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  int32_t shape[kMaxRank];  // parsing bounds every rank by kMaxRank
  for (int32_t d = 0; d < rank; ++d) {
    const int32_t before = paddings->data.i32[2 * d], after = paddings->data.i32[2 * d + 1];
    const int64_t extent = static_cast<int64_t>(Dim(input, d)) + before + after;
    if (before < 0 || after < 0 || extent > INT32_MAX) {
      return node.Error(StatusCode::kInvalidModel, "paddings %d, %d at dimension %d, expected >= 0", before, after, d);
    }
    data->before[d] = before;
    shape[d] = static_cast<int32_t>(extent);
  }
  TPW_RETURN_IF_ERROR(node.SetOutputShape(0, shape, rank));
  const Tensor* value = node.input(kConstantValueTensor);
  if (value != nullptr) {
    if (value->type != input->type || Elements(value) != 1 || !value->is_constant) {
      return node.Error(StatusCode::kUnsupported, "pad value must be a constant scalar of the input type");
    }
    memcpy(&data->fill, value->data.raw, value->bytes);
  } else if (input->type == TensorType::kInt8) {
    TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, output, "output"));
    const int8_t zero = static_cast<int8_t>(output->params.zero_point);
    memcpy(&data->fill, &zero, 1);
  }
  return Status::Ok();
}

Status Eval(NodeContext& node) {
  const PadData& p = *node.op_data<PadData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const size_t element = TensorTypeSize(input->type);
  uint8_t* out = static_cast<uint8_t*>(output->data.raw);
  for (int32_t i = 0; i < Elements(output); ++i) memcpy(out + i * element, &p.fill, element);
  // Copy each innermost row of the input to its place in the output.
  const int32_t rank = Rank(input);
  const int32_t row = Dim(input, rank - 1);
  const int32_t rows = Elements(input) / row;
  for (int32_t r = 0; r < rows; ++r) {
    int32_t rest = r, out_offset = p.before[rank - 1], out_stride = Dim(output, rank - 1);
    for (int32_t d = rank - 2; d >= 0; --d) {
      out_offset += (rest % Dim(input, d) + p.before[d]) * out_stride;
      rest /= Dim(input, d);
      out_stride *= Dim(output, d);
    }
    memcpy(out + static_cast<size_t>(out_offset) * element,
           static_cast<const uint8_t*>(input->data.raw) + static_cast<size_t>(r) * row * element, row * element);
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"PAD", Prepare, Eval};

}  // namespace

const OpRegistration* Register_PAD() { return &kRegistration; }

}  // namespace tpw
