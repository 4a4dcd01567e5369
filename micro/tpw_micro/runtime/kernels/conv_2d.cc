// CONV_2D, int8 activations with per-channel int8 weights and int32 bias.
// Shapes: input [N, H, W, Cin], filter [Cout, KH, KW, Cin / groups],
// output [N, OH, OW, Cout] (TFLM's reference ConvPerChannel arithmetic).
#include "kernels/conv_common.h"

namespace tpw {
namespace {

constexpr ConvTraits kTraits = {/*channel_dim=*/0, OptionsType::kConv2D, /*padding=*/0, /*stride_w=*/1,
                                /*stride_h=*/2, /*activation=*/3, /*dilation_w=*/4, /*dilation_h=*/5};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectWeightedInt8(node, 4));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  // Grouped convolution: each group of filters sees Cin / groups input channels.
  const int32_t in_w = Dim(input, 2), in_depth = Dim(input, 3);
  const int32_t filter_h = Dim(filter, 1), filter_w = Dim(filter, 2), filter_depth = Dim(filter, 3);
  if (in_depth % filter_depth != 0 || Dim(filter, 0) % (in_depth / filter_depth) != 0) {
    return node.Error(StatusCode::kInvalidModel, "input and filter channels disagree");
  }
  ConvParams* p = nullptr;
  TPW_RETURN_IF_ERROR(PrepareConv(node, kTraits, &p));
  p->channels = {filter_h * filter_w * filter_depth, Dim(filter, 0) / (in_depth / filter_depth), filter_depth};
  if (!HasInterior(*p)) return Status::Ok();
  const int32_t row_x = filter_h > 1 ? p->dilation_h * in_w * in_depth : 0;
  if (filter_depth == in_depth && p->dilation_w == 1) {
    // A row of the window is one contiguous run of KW * Cin inputs.
    p->walk = MakeWindowWalk(filter_h, filter_w * filter_depth, row_x, 1, 0, 0, filter_w * filter_depth);
  } else {
    p->walk = MakeWindowWalk(filter_h, filter_w * filter_depth, row_x, filter_w, filter_depth, p->dilation_w * in_depth,
                            filter_depth);
  }
  return SelectInteriorRow(node, p, Dim(filter, 0));
}

constexpr OpRegistration kRegistration = {"CONV_2D", Prepare, EvalConv, ConvKernelName};

}  // namespace

const OpRegistration* Register_CONV_2D() { return &kRegistration; }

}  // namespace tpw
