#include "kernels/conv_common.h"

namespace tpw {

Status PrepareConv(NodeContext& node, const ConvTraits& traits) {
  const Tensor* input = node.input(kConvInput);
  const Tensor* filter = node.input(kConvFilter);
  const Tensor* output = node.output(0);
  const int32_t channels = Dim(filter, traits.channel_dim);
  TPW_RETURN_IF_ERROR(ExpectBias(node, kConvBias, channels));
  if (Dim(output, 3) != channels || Dim(output, 0) != Dim(input, 0)) {
    return node.Error(StatusCode::kInvalidModel).Add("output batch or channels disagree");
  }
  fb::Table options;
  TPW_RETURN_IF_ERROR(node.Options(traits.type, &options));
  int8_t padding = 0, activation = 0;
  ConvParams* p = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&p));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(traits.padding, 0, &padding));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(traits.activation, 0, &activation));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.stride_w, 0, &p->stride_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.stride_h, 0, &p->stride_h));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.dilation_w, 1, &p->dilation_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(traits.dilation_h, 1, &p->dilation_h));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 1), Dim(filter, 1), p->stride_h,
                                        p->dilation_h, &p->height));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 2), Dim(filter, 2), p->stride_w,
                                        p->dilation_w, &p->width));
  if (p->height.out_size != Dim(output, 1) || p->width.out_size != Dim(output, 2)) {
    return node.Error(StatusCode::kInvalidModel).Add("output spatial shape disagrees with options");
  }
  TPW_RETURN_IF_ERROR(ActivationRange(node, activation, output, &p->act_min, &p->act_max));
  return PerChannelMultipliers(node, kConvFilter, traits.channel_dim, channels, &p->multipliers, &p->shifts);
}

}  // namespace tpw
