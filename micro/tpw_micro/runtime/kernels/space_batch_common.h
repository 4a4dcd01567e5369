// Shared by SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: the spatial block shape
// and per-side paddings (or crops) of a 3-D [N, H, C] or 4-D [N, H, W, C]
// tensor, read from constant int32 inputs 1 and 2; 3-D tensors are treated
// as 4-D with W = 1, block width 1 and no width padding (as TFLM does).
#ifndef TPW_MICRO_RUNTIME_KERNELS_SPACE_BATCH_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_SPACE_BATCH_COMMON_H_

#include "kernels/kernel_util.h"

namespace tpw {

// Tensor slots of SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND.
constexpr int32_t kInputTensor = 0;
constexpr int32_t kBlockShapeTensor = 1;
constexpr int32_t kPadsOrCropsTensor = 2;  // paddings (to batch) or crops (to space)
constexpr int32_t kOutputTensor = 0;

struct SpaceBatchData {
  int32_t block_h, block_w;
  int32_t before_h, before_w;  // padding (space-to-batch) or crop (batch-to-space)
};

// The [N, H, W, C] extents of a 3-D or 4-D tensor.
struct Shape4 {
  int32_t n, h, w, c;
};
Shape4 AsShape4(const Tensor* tensor);

// Reads block shape and paddings/crops and computes the output shape from the
// input's (space-to-batch when `to_batch`, else batch-to-space). A dilated
// convolution converted with a dynamic batch stores the batch-1 shape for the
// batched tensors; the computed shape replaces it (see SetOutputShape).
Status PrepareSpaceBatch(NodeContext& node, bool to_batch);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_SPACE_BATCH_COMMON_H_
