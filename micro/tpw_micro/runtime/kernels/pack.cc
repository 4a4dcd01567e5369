// PACK: N inputs of one shape stacked along a new axis (TFLM copies the raw
// values, so int8 inputs keep their bytes whatever their scales). Constant
// int32 inputs, the shape vectors a dynamic batch converts into, are folded
// in Prepare.
#include <string.h>

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kFirstInputTensor = 0;  // inputs 0..N-1 are stacked in order
constexpr int32_t kOutputTensor = 0;

// PackOptions fields.
enum { kValuesCountField = 0, kAxisField = 1 };

struct PackData {
  int32_t outer;       // product of the output dims before the axis
  size_t chunk_bytes;  // one input's contiguous run: its dims from the axis on
};

Status Compute(NodeContext& node) {
  const PackData& p = *node.op_data<PackData>();
  uint8_t* out = static_cast<uint8_t*>(node.output(kOutputTensor)->data.raw);
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < node.num_inputs(); ++i) {
      memcpy(out, static_cast<const uint8_t*>(node.input(i)->data.raw) + o * p.chunk_bytes, p.chunk_bytes);
      out += p.chunk_bytes;
    }
  }
  return Status::Ok();
}

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* output = node.output(kOutputTensor);
  fb::Table options;
  int32_t values_count = 0, axis = 0;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kPack, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kValuesCountField, 0, &values_count));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kAxisField, 0, &axis));
  if (values_count != node.num_inputs()) {
    return node.Error(StatusCode::kInvalidModel, "values_count %d, expected the %d inputs",
        values_count, node.num_inputs());
  }
  const Tensor* first = node.input(kFirstInputTensor);
  const int32_t rank = Rank(first);
  if (rank + 1 > kMaxRank) {
    return node.Error(StatusCode::kUnsupported, "input rank %d, expected below %d", rank, kMaxRank);
  }
  if (axis < 0) axis += rank + 1;
  if (axis < 0 || axis > rank) {
    return node.Error(StatusCode::kInvalidModel, "axis %d, expected 0..%d", axis, rank);
  }
  for (int32_t i = 0; i < node.num_inputs(); ++i) {
    const Tensor* input = node.input(i);
    bool same = input != nullptr && input->type == output->type && Rank(input) == rank;
    for (int32_t d = 0; same && d < rank; ++d) same = Dim(input, d) == Dim(first, d);
    if (!same) {
      return node.Error(StatusCode::kInvalidModel, "input %d differs from input 0 in shape or from the output in type",
          i);
    }
  }
  int32_t shape[kMaxRank];
  PackData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  data->outer = 1;
  data->chunk_bytes = TensorTypeSize(first->type);
  for (int32_t d = 0; d < rank; ++d) {
    shape[d < axis ? d : d + 1] = Dim(first, d);
    if (d < axis) {
      data->outer *= Dim(first, d);
    } else {
      data->chunk_bytes *= static_cast<size_t>(Dim(first, d));
    }
  }
  shape[axis] = values_count;
  TPW_RETURN_IF_ERROR(node.SetOutputShape(kOutputTensor, shape, rank + 1));
  return FoldIfConstantInt32(node, Compute);
}

Status Eval(NodeContext& node) { return IsFolded(node) ? Status::Ok() : Compute(node); }

constexpr OpRegistration kRegistration = {"PACK", Prepare, Eval};

}  // namespace

const OpRegistration* Register_PACK() { return &kRegistration; }

}  // namespace tpw
