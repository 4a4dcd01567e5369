// STRIDED_SLICE with constant begin / end / strides, as TFLM computes it:
// begin_mask / end_mask widen an axis to its end, negative indices count from
// the end, indices are clamped to the axis, and a shrink_axis_mask axis keeps
// one element and is dropped from the output. Like TFLM, ellipsis_mask,
// new_axis_mask and offset are not read, and at most 4 dimensions are taken.
// Constant int32 inputs (a dynamic batch's shape vectors) are folded in Prepare.
#include "kernels/kernel_util.h"
#include "kernels/strided_slice_logic.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kBeginTensor = 1;
constexpr int32_t kEndTensor = 2;
constexpr int32_t kStridesTensor = 3;
constexpr int32_t kOutputTensor = 0;

// StridedSliceOptions fields.
enum { kBeginMaskField = 0, kEndMaskField = 1, kShrinkAxisMaskField = 4 };

constexpr int32_t kMaxSliceRank = 4;  // TFLM's limit

// Per input axis, padded in front to 4 axes of one element: the first index,
// the step and how many elements are taken; `step` is in elements.
struct SliceData {
  int32_t start[kMaxSliceRank];
  int32_t stride[kMaxSliceRank];
  int32_t count[kMaxSliceRank];
  int32_t step[kMaxSliceRank];
};

template <typename T>
void Slice(const SliceData& p, const T* in, T* out) {
  for (int32_t a = 0, ia = p.start[0]; a < p.count[0]; ++a, ia += p.stride[0]) {
    for (int32_t b = 0, ib = p.start[1]; b < p.count[1]; ++b, ib += p.stride[1]) {
      for (int32_t c = 0, ic = p.start[2]; c < p.count[2]; ++c, ic += p.stride[2]) {
        const T* row = in + ia * p.step[0] + ib * p.step[1] + ic * p.step[2];
        for (int32_t d = 0, id = p.start[3]; d < p.count[3]; ++d, id += p.stride[3]) *out++ = row[id];
      }
    }
  }
}

Status Compute(NodeContext& node) {
  const SliceData& p = *node.op_data<SliceData>();
  const void* in = node.input(kInputTensor)->data.raw;
  void* out = node.output(kOutputTensor)->data.raw;
  switch (TensorTypeSize(node.output(kOutputTensor)->type)) {
    case 1: Slice(p, static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out)); break;
    case 2: Slice(p, static_cast<const uint16_t*>(in), static_cast<uint16_t*>(out)); break;
    case 4: Slice(p, static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out)); break;
    default: Slice(p, static_cast<const uint64_t*>(in), static_cast<uint64_t*>(out)); break;
  }
  return Status::Ok();
}

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(4, 1));
  const Tensor* input = node.input(kInputTensor);
  const int32_t rank = Rank(input);
  if (rank > kMaxSliceRank) {
    return node.Error(StatusCode::kUnsupported, "input rank %d, expected at most 4", rank);
  }
  if (node.output(kOutputTensor)->type != input->type) {
    return node.Error(StatusCode::kInvalidModel, "output type differs from the input's");
  }
  const Tensor* begin = node.input(kBeginTensor);
  const Tensor* end = node.input(kEndTensor);
  const Tensor* strides = node.input(kStridesTensor);
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, begin, rank, "begin"));
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, end, rank, "end"));
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, strides, rank, "strides"));
  fb::Table options;
  int32_t begin_mask = 0, end_mask = 0, shrink_mask = 0;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kStridedSlice, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kBeginMaskField, 0, &begin_mask));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kEndMaskField, 0, &end_mask));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kShrinkAxisMaskField, 0, &shrink_mask));
  SliceData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  const int32_t pad = kMaxSliceRank - rank;
  int32_t shape[kMaxSliceRank];
  int32_t out_rank = 0;
  int32_t step = 1;
  for (int32_t axis = kMaxSliceRank - 1; axis >= 0; --axis) {
    const int32_t in_axis = axis - pad;
    const int32_t size = in_axis < 0 ? 1 : Dim(input, in_axis);
    data->step[axis] = step;
    step *= size;
    data->start[axis] = 0;
    data->stride[axis] = 1;
    data->count[axis] = 1;
    if (in_axis < 0) continue;
    const int32_t stride = strides->data.i32[in_axis];
    if (stride == 0) return node.Error(StatusCode::kInvalidModel, "stride of axis %d is 0", in_axis);
    const bool shrink = (shrink_mask >> in_axis) & 1;
    const AxisSlice slice = SliceAxis(begin->data.i32[in_axis], (begin_mask >> in_axis) & 1, end->data.i32[in_axis],
                                      (end_mask >> in_axis) & 1, stride, size);
    data->start[axis] = slice.start;
    data->stride[axis] = stride;
    if (shrink) {
      // TFLM would read past the axis here; a shrunk axis takes exactly one element.
      if (slice.start < 0 || slice.start >= size) {
        return node.Error(StatusCode::kInvalidModel, "shrinks axis %d at index %d, expected 0..%d",
            in_axis, slice.start, size - 1);
      }
      continue;
    }
    data->count[axis] = slice.count;
    ++out_rank;
  }
  // The output's dims are the counts of the kept axes, in order.
  for (int32_t axis = pad, k = 0; axis < kMaxSliceRank; ++axis) {
    if (!((shrink_mask >> (axis - pad)) & 1)) shape[k++] = data->count[axis];
  }
  TPW_RETURN_IF_ERROR(node.SetOutputShape(kOutputTensor, shape, out_rank));
  return FoldIfConstantInt32(node, Compute);
}

Status Eval(NodeContext& node) { return IsFolded(node) ? Status::Ok() : Compute(node); }

constexpr OpRegistration kRegistration = {"STRIDED_SLICE", Prepare, Eval};

}  // namespace

const OpRegistration* Register_STRIDED_SLICE() { return &kRegistration; }

}  // namespace tpw
