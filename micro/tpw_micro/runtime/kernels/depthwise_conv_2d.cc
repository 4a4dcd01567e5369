// DEPTHWISE_CONV_2D, int8 activations with per-channel int8 weights and int32
// bias. Shapes: input [N, H, W, Cin], filter [1, KH, KW, Cin * M],
// output [N, OH, OW, Cin * M] (TFLM's reference DepthwiseConvPerChannel).
#include "kernels/conv_common.h"

namespace tpw {
namespace {

constexpr ConvTraits kTraits = {/*channel_dim=*/3, OptionsType::kDepthwiseConv2D, /*padding=*/0, /*stride_w=*/1,
                                /*stride_h=*/2, /*activation=*/4, /*dilation_w=*/5, /*dilation_h=*/6};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectWeightedInt8(node, 4));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  const int32_t in_w = Dim(input, 2), in_depth = Dim(input, 3);
  const int32_t filter_h = Dim(filter, 1), filter_w = Dim(filter, 2), out_depth = Dim(filter, 3);
  if (Dim(filter, 0) != 1 || out_depth % in_depth != 0) {
    return node.Error(StatusCode::kInvalidModel, "filter must be [1, KH, KW, Cin * multiplier]");
  }
  ConvParams* p = nullptr;
  TPW_RETURN_IF_ERROR(PrepareConv(node, kTraits, &p));
  // Output channel oc reads input channel oc / M; its weights are out_depth apart.
  p->channels = {1, out_depth / in_depth, 1};
  if (!HasInterior(*p)) return Status::Ok();
  const int32_t row_x = filter_h > 1 ? p->dilation_h * in_w * in_depth : 0;
  p->walk = MakeWindowWalk(filter_h, filter_w * out_depth, row_x, filter_w, out_depth, p->dilation_w * in_depth, 1);
  return SelectInteriorRow(node, p, out_depth);
}

constexpr OpRegistration kRegistration = {"DEPTHWISE_CONV_2D", Prepare, EvalConv, ConvKernelName};

}  // namespace

const OpRegistration* Register_DEPTHWISE_CONV_2D() { return &kRegistration; }

}  // namespace tpw
