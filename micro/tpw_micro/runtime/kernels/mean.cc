// MEAN over constant axes, int8: the int32 sum of each reduced group, minus
// zero_point * count, rescaled by (in_scale / out_scale) / count with the
// 1/count folded into the multiplier (TFLM's QuantizedMeanOrSum).
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kAxisTensor = 1;
constexpr int32_t kOutputTensor = 0;

struct MeanData {
  int32_t multiplier;
  int shift;
  int32_t count;                 // input elements per output element
  int32_t num_kept, num_reduced;
  int32_t kept_extent[kMaxRank], kept_stride[kMaxRank];
  int32_t reduced_extent[kMaxRank], reduced_stride[kMaxRank];
};

int CountLeadingZeros64(uint64_t value) {
  int zeros = 0;
  for (uint64_t bit = uint64_t{1} << 63; bit != 0 && (value & bit) == 0; bit >>= 1) ++zeros;
  return zeros;
}

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* axes = node.input(kAxisTensor);
  const Tensor* output = node.output(kOutputTensor);
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, input, "input"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, output, "output"));
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, axes, -1, "axis"));
  MeanData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  const int32_t rank = Rank(input);
  bool reduced[kMaxRank] = {false};
  for (int32_t i = 0; i < Elements(axes); ++i) {
    int32_t axis = axes->data.i32[i];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return node.Error(StatusCode::kInvalidModel, "axis %d", axes->data.i32[i]);
    reduced[axis] = true;
  }
  // Row-major strides of the input, split into kept and reduced dimensions.
  int32_t stride = 1;
  int32_t strides[kMaxRank];
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= Dim(input, d);
  }
  data->count = 1;
  for (int32_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      data->reduced_extent[data->num_reduced] = Dim(input, d);
      data->reduced_stride[data->num_reduced++] = strides[d];
      data->count *= Dim(input, d);
    } else {
      data->kept_extent[data->num_kept] = Dim(input, d);
      data->kept_stride[data->num_kept++] = strides[d];
    }
  }
  if (static_cast<int64_t>(Elements(output)) * data->count != Elements(input)) {
    return node.Error(StatusCode::kInvalidModel, "output size disagrees with the axes");
  }
  const double real = static_cast<double>(input->params.scale) / static_cast<double>(output->params.scale);
  TPW_RETURN_IF_ERROR(Multiplier(node, real, "output", &data->multiplier, &data->shift));
  // Fold 1/count in as TFLM does: shift up by floor(log2(count)) (capped) then divide.
  int shift = 63 - CountLeadingZeros64(static_cast<uint64_t>(data->count));
  if (shift > 32) shift = 32;
  if (shift > 31 + data->shift) shift = 31 + data->shift;
  data->multiplier = static_cast<int32_t>((static_cast<int64_t>(data->multiplier) << shift) / data->count);
  data->shift -= shift;
  return Status::Ok();
}

// Offset of the `index`-th combination of the given dims (row-major order).
int32_t Offset(int32_t index, int32_t num_dims, const int32_t* extent, const int32_t* stride) {
  int32_t offset = 0;
  for (int32_t d = num_dims - 1; d >= 0; --d) {
    offset += (index % extent[d]) * stride[d];
    index /= extent[d];
  }
  return offset;
}

Status Eval(NodeContext& node) {
  const MeanData& p = *node.op_data<MeanData>();
  const Tensor* input = node.input(kInputTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t input_zero_point = input->params.zero_point;
  const int32_t output_zero_point = output->params.zero_point;
  for (int32_t o = 0; o < Elements(output); ++o) {
    const int32_t base = Offset(o, p.num_kept, p.kept_extent, p.kept_stride);
    uint32_t sum = 0;  // wraps like TFLM's int32 accumulator, without UB
    for (int32_t r = 0; r < p.count; ++r) {
      sum += static_cast<uint32_t>(input->data.int8[base + Offset(r, p.num_reduced, p.reduced_extent, p.reduced_stride)]);
    }
    const int32_t shifted = static_cast<int32_t>(
        static_cast<int64_t>(static_cast<int32_t>(sum)) - static_cast<int64_t>(input_zero_point) * p.count);
    const int32_t value = MultiplyByQuantizedMultiplier(shifted, p.multiplier, p.shift) + output_zero_point;
    output->data.int8[o] = SaturateInt8(value);
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"MEAN", Prepare, Eval};

}  // namespace

const OpRegistration* Register_MEAN() { return &kRegistration; }

}  // namespace tpw
