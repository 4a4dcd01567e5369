#include "kernels/space_batch_common.h"

namespace tpw {
namespace {

// Bounds on block, paddings and crops keep every index computed in Eval far inside int32.
constexpr int32_t kLimit = 1 << 16;

bool InRange(int32_t value, int32_t low) { return value >= low && value <= kLimit; }

// One spatial extent of the output: padded then divided into blocks
// (space-to-batch), or multiplied by the block then cropped (batch-to-space).
Status SpatialExtent(const NodeContext& node, bool to_batch, int32_t extent, int32_t block, int32_t before,
                     int32_t after, const char* name, int32_t* out) {
  if (!to_batch) {
    const int64_t wide = static_cast<int64_t>(extent) * block - before - after;
    if (wide < 1 || wide > INT32_MAX) {
      return node.Error(StatusCode::kInvalidModel, "crops remove all of %s (%d x block %d)", name, extent, block);
    }
    *out = static_cast<int32_t>(wide);
    return Status::Ok();
  }
  const int64_t padded = static_cast<int64_t>(extent) + before + after;
  if (padded % block != 0) {
    return node.Error(StatusCode::kInvalidModel, "padded %s %d is not a multiple of block %d",
        name, static_cast<int32_t>(padded), block);
  }
  *out = static_cast<int32_t>(padded / block);
  return Status::Ok();
}

}  // namespace

Shape4 AsShape4(const Tensor* tensor) {
  if (Rank(tensor) == 3) return Shape4{Dim(tensor, 0), Dim(tensor, 1), 1, Dim(tensor, 2)};
  return Shape4{Dim(tensor, 0), Dim(tensor, 1), Dim(tensor, 2), Dim(tensor, 3)};
}

Status PrepareSpaceBatch(NodeContext& node, bool to_batch) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(3, 1));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  if (input->type != output->type || (input->type != TensorType::kInt8 && input->type != TensorType::kFloat32)) {
    return node.Error(StatusCode::kUnsupported, "type %s, expected int8 or float32 in and out",
        TensorTypeName(input->type));
  }
  const int32_t rank = Rank(input);
  if ((rank != 3 && rank != 4) || Rank(output) != rank) {
    return node.Error(StatusCode::kUnsupported, "ranks %d and %d, expected both 3 or both 4", rank, Rank(output));
  }
  const int32_t spatial = rank - 2;
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, node.input(kBlockShapeTensor), spatial, "block shape"));
  TPW_RETURN_IF_ERROR(ExpectConstantInt32(node, node.input(kPadsOrCropsTensor), 2 * spatial, to_batch ? "paddings" : "crops"));
  const int32_t* block = node.input(kBlockShapeTensor)->data.i32;
  const int32_t* pads = node.input(kPadsOrCropsTensor)->data.i32;
  SpaceBatchData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  data->block_h = block[0];
  data->block_w = spatial == 2 ? block[1] : 1;
  data->before_h = pads[0];
  data->before_w = spatial == 2 ? pads[2] : 0;
  const int32_t after_h = pads[1], after_w = spatial == 2 ? pads[3] : 0;
  if (!InRange(data->block_h, 1) || !InRange(data->block_w, 1) || !InRange(data->before_h, 0) ||
      !InRange(data->before_w, 0) || !InRange(after_h, 0) || !InRange(after_w, 0)) {
    return node.Error(StatusCode::kInvalidModel, "block shape must be 1..2^16 and %s 0..2^16",
        to_batch ? "paddings" : "crops");
  }
  const Shape4 in = AsShape4(input);
  const int32_t blocks = data->block_h * data->block_w;
  Shape4 out{0, 0, 1, in.c};
  if (to_batch) {
    if (static_cast<int64_t>(in.n) * blocks > INT32_MAX) {
      return node.Error(StatusCode::kUnsupported, "output batch exceeds 2^31");
    }
    out.n = in.n * blocks;
  } else {
    if (in.n % blocks != 0) {
      return node.Error(StatusCode::kInvalidModel, "input batch %d is not a multiple of the block size %d",
          in.n, blocks);
    }
    out.n = in.n / blocks;
  }
  TPW_RETURN_IF_ERROR(SpatialExtent(node, to_batch, in.h, data->block_h, data->before_h, after_h, "height", &out.h));
  if (rank == 4) {
    TPW_RETURN_IF_ERROR(SpatialExtent(node, to_batch, in.w, data->block_w, data->before_w, after_w, "width", &out.w));
  }
  const int32_t dims4[4] = {out.n, out.h, out.w, out.c};
  const int32_t dims3[3] = {out.n, out.h, out.c};
  return node.SetOutputShape(0, rank == 4 ? dims4 : dims3, rank);
}

}  // namespace tpw
