#include "kernels/space_batch_common.h"

namespace tpw {

Shape4 AsShape4(const Tensor* tensor) {
  if (Rank(tensor) == 3) return Shape4{Dim(tensor, 0), Dim(tensor, 1), 1, Dim(tensor, 2)};
  return Shape4{Dim(tensor, 0), Dim(tensor, 1), Dim(tensor, 2), Dim(tensor, 3)};
}

Status PrepareSpaceBatch(NodeContext& node, const Tensor* space, const Tensor* batch) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(3, 1));
  const Tensor* input = node.input(0);
  const Tensor* output = node.output(0);
  if (input->type != output->type || (input->type != TensorType::kInt8 && input->type != TensorType::kFloat32)) {
    return node.Error(StatusCode::kUnsupported).Add("type ").Add(TensorTypeName(input->type));
  }
  const int32_t rank = Rank(input);
  if ((rank != 3 && rank != 4) || Rank(output) != rank) {
    return node.Error(StatusCode::kUnsupported).Add("rank ").Add(rank).Add(", expected 3 or 4");
  }
  const int32_t spatial = rank - 2;
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, node.input(1), spatial, "block shape"));
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, node.input(2), 2 * spatial, "paddings"));
  const int32_t* block = node.input(1)->data.i32;
  const int32_t* pads = node.input(2)->data.i32;
  SpaceBatchData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  data->block_h = block[0];
  data->block_w = spatial == 2 ? block[1] : 1;
  data->before_h = pads[0];
  data->before_w = spatial == 2 ? pads[2] : 0;
  const int32_t after_h = pads[1], after_w = spatial == 2 ? pads[3] : 0;
  const Shape4 s = AsShape4(space), b = AsShape4(batch);
  // Bounds keep every index computed in Eval far inside int32.
  const int32_t kLimit = 1 << 16;
  if (data->block_h < 1 || data->block_w < 1 || data->before_h < 0 || data->before_w < 0 || after_h < 0 ||
      after_w < 0 || data->block_h > kLimit || data->block_w > kLimit || data->before_h > kLimit ||
      data->before_w > kLimit || after_h > kLimit || after_w > kLimit || static_cast<int64_t>(b.n) != static_cast<int64_t>(s.n) * data->block_h * data->block_w ||
      static_cast<int64_t>(b.h) * data->block_h != static_cast<int64_t>(s.h) + data->before_h + after_h ||
      static_cast<int64_t>(b.w) * data->block_w != static_cast<int64_t>(s.w) + data->before_w + after_w ||
      b.c != s.c) {
    return node.Error(StatusCode::kInvalidModel).Add("block shape and paddings disagree with the shapes");
  }
  return Status::Ok();
}

}  // namespace tpw
