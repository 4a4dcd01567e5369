#include "kernels/binary_common.h"

namespace tpw {
namespace {

// The broadcast shape of inputs 0 and 1 (dims aligned right, 1 stretches).
Status BroadcastOutputShape(NodeContext& node) {
  const Tensor* a = node.input(kInputTensor1);
  const Tensor* b = node.input(kInputTensor2);
  const int32_t rank = Rank(a) > Rank(b) ? Rank(a) : Rank(b);
  int32_t shape[kMaxRank];  // parsing bounds every rank by kMaxRank
  for (int32_t d = 0; d < rank; ++d) {
    const int32_t da = d - (rank - Rank(a)), db = d - (rank - Rank(b));
    const int32_t ea = da >= 0 ? Dim(a, da) : 1, eb = db >= 0 ? Dim(b, db) : 1;
    if (ea != eb && ea != 1 && eb != 1) {
      return node.Error(StatusCode::kInvalidModel, "inputs do not broadcast at dimension %d: %d and %d", d, ea, eb);
    }
    shape[d] = ea == 1 ? eb : ea;
  }
  return node.SetOutputShape(0, shape, rank);
}

}  // namespace

Status PrepareBinary(NodeContext& node, OptionsType options_type, BinaryParams* params) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(kInputTensor1), "input 0"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(kInputTensor2), "input 1"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.output(kOutputTensor), "output"));
  TPW_RETURN_IF_ERROR(BroadcastOutputShape(node));
  TPW_RETURN_IF_ERROR(BroadcastStrides(node, node.input(kInputTensor1), node.output(kOutputTensor), params->strides1));
  TPW_RETURN_IF_ERROR(BroadcastStrides(node, node.input(kInputTensor2), node.output(kOutputTensor), params->strides2));
  fb::Table options;
  int8_t activation = 0;
  TPW_RETURN_IF_ERROR(node.Options(options_type, &options));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(/*fused_activation_function=*/0, 0, &activation));
  return ActivationRange(node, activation, node.output(kOutputTensor), &params->act_min, &params->act_max);
}

}  // namespace tpw
