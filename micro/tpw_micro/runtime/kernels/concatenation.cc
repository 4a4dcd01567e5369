// CONCATENATION along one axis: a copy of each input's slices (TFLM copies
// the raw values; the converter gives all int8 inputs the output's scale).
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kFirstInputTensor = 0;  // inputs 0..N-1 are concatenated in order
constexpr int32_t kOutputTensor = 0;

// ConcatenationOptions fields.
enum { kAxisField = 0, kActivationField = 1 };

struct ConcatData {
  int32_t axis;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* output = node.output(kOutputTensor);
  fb::Table options;
  int8_t activation = 0;
  ConcatData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kConcatenation, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kAxisField, 0, &data->axis));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  if (activation != 0) return node.Error(StatusCode::kUnsupported, "fused activation %d", activation);
  const Tensor* first = node.input(kFirstInputTensor);
  const int32_t rank = Rank(first);
  if (data->axis < 0) data->axis += rank;
  if (data->axis < 0 || data->axis >= rank) {
    return node.Error(StatusCode::kInvalidModel, "axis %d of rank %d", data->axis, rank);
  }
  int64_t axis_total = 0;
  for (int32_t i = 0; i < node.num_inputs(); ++i) {
    const Tensor* input = node.input(i);
    if (input == nullptr || input->type != output->type || Rank(input) != rank) {
      return node.Error(StatusCode::kInvalidModel, "input %d type or rank differs from the output", i);
    }
    for (int32_t d = 0; d < rank; ++d) {
      if (d != data->axis && Dim(input, d) != Dim(first, d)) {
        return node.Error(StatusCode::kInvalidModel, "input %d dimension %d differs from input 0", i, d);
      }
    }
    axis_total += Dim(input, data->axis);
  }
  if (axis_total > INT32_MAX) return node.Error(StatusCode::kUnsupported, "output axis exceeds 2^31");
  int32_t shape[kMaxRank];  // parsing bounds every rank by kMaxRank
  for (int32_t d = 0; d < rank; ++d) shape[d] = d == data->axis ? static_cast<int32_t>(axis_total) : Dim(first, d);
  return node.SetOutputShape(0, shape, rank);
}

Status Eval(NodeContext& node) {
  const ConcatData& p = *node.op_data<ConcatData>();
  Tensor* output = node.output(kOutputTensor);
  const size_t element = TensorTypeSize(output->type);
  int32_t outer = 1, inner = 1;
  for (int32_t d = 0; d < p.axis; ++d) outer *= Dim(output, d);
  for (int32_t d = p.axis + 1; d < Rank(output); ++d) inner *= Dim(output, d);
  uint8_t* out = static_cast<uint8_t*>(output->data.raw);
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < node.num_inputs(); ++i) {
      const Tensor* input = node.input(i);
      const size_t chunk = static_cast<size_t>(Dim(input, p.axis)) * inner * element;
      memcpy(out, static_cast<const uint8_t*>(input->data.raw) + o * chunk, chunk);
      out += chunk;
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"CONCATENATION", Prepare, Eval};

}  // namespace

const OpRegistration* Register_CONCATENATION() { return &kRegistration; }

}  // namespace tpw
