#include "kernels/pool_common.h"

namespace tpw {
namespace {
// Pool2DOptions fields.
enum { kPaddingField = 0, kStrideW = 1, kStrideH = 2, kFilterW = 3, kFilterH = 4, kActivationField = 5 };
}  // namespace

Status PreparePool(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* output = node.output(kOutputTensor);
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, input, "input"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, output, "output"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, input, 4, "input"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, output, 4, "output"));
  fb::Table options;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kPool2D, &options));
  int8_t padding = 0, activation = 0;
  PoolData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kPaddingField, 0, &padding));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kStrideW, 0, &data->stride_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kStrideH, 0, &data->stride_h));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kFilterW, 0, &data->filter_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kFilterH, 0, &data->filter_h));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 1), data->filter_h, data->stride_h, 1, &data->height));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 2), data->filter_w, data->stride_w, 1, &data->width));
  const int32_t shape[4] = {Dim(input, 0), data->height.out_size, data->width.out_size, Dim(input, 3)};
  TPW_RETURN_IF_ERROR(node.SetOutputShape(0, shape, 4));
  return ActivationRange(node, activation, output, &data->act_min, &data->act_max);
}

}  // namespace tpw
