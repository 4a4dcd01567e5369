#include "kernels/binary_common.h"

namespace tpw {

Status PrepareBinary(NodeContext& node, OptionsType options_type, BinaryParams* params) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(0), "input 0"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(1), "input 1"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.output(0), "output"));
  TPW_RETURN_IF_ERROR(BroadcastStrides(node, node.input(0), node.output(0), params->strides1));
  TPW_RETURN_IF_ERROR(BroadcastStrides(node, node.input(1), node.output(0), params->strides2));
  fb::Table options;
  int8_t activation = 0;
  TPW_RETURN_IF_ERROR(node.Options(options_type, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(/*fused_activation_function=*/0, 0, &activation));
  return ActivationRange(node, activation, node.output(0), &params->act_min, &params->act_max);
}

}  // namespace tpw
