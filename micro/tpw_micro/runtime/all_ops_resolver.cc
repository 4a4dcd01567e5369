#include "kernels/conv_common.h"
#include "kernels/registrations.h"
#include "op_resolver.h"

namespace tpw {

// Every interior-row kernel. Weak: a firmware's generated model_resolver.cc
// defines the table with only its model's kernels (conv_common.h).
[[gnu::weak]] extern const LinkedConvRow kLinkedConvRows[] = {TPW_CONV_ROW_KERNELS(TPW_LINKED_CONV_ROW){}};

AllOpsResolver::AllOpsResolver() {
  // Capacity (32) exceeds the entries below, so these registrations cannot fail.
  AddBuiltin(BuiltinOperator::kAdd, Register_ADD());
  AddBuiltin(BuiltinOperator::kAveragePool2D, Register_AVERAGE_POOL_2D());
  AddBuiltin(BuiltinOperator::kBatchToSpaceNd, Register_BATCH_TO_SPACE_ND());
  AddBuiltin(BuiltinOperator::kConcatenation, Register_CONCATENATION());
  AddBuiltin(BuiltinOperator::kConv2D, Register_CONV_2D());
  AddBuiltin(BuiltinOperator::kDepthwiseConv2D, Register_DEPTHWISE_CONV_2D());
  AddBuiltin(BuiltinOperator::kDequantize, Register_DEQUANTIZE());
  AddBuiltin(BuiltinOperator::kExpandDims, Register_EXPAND_DIMS());
  AddBuiltin(BuiltinOperator::kFullyConnected, Register_FULLY_CONNECTED());
  AddBuiltin(BuiltinOperator::kLogistic, Register_LOGISTIC());
  AddBuiltin(BuiltinOperator::kMaxPool2D, Register_MAX_POOL_2D());
  AddBuiltin(BuiltinOperator::kMean, Register_MEAN());
  AddBuiltin(BuiltinOperator::kMul, Register_MUL());
  AddBuiltin(BuiltinOperator::kPack, Register_PACK());
  AddBuiltin(BuiltinOperator::kPad, Register_PAD());
  AddBuiltin(BuiltinOperator::kPadV2, Register_PAD());
  AddBuiltin(BuiltinOperator::kQuantize, Register_QUANTIZE());
  AddBuiltin(BuiltinOperator::kRelu, Register_RELU());
  AddBuiltin(BuiltinOperator::kRelu6, Register_RELU6());
  AddBuiltin(BuiltinOperator::kReshape, Register_RESHAPE());
  AddBuiltin(BuiltinOperator::kShape, Register_SHAPE());
  AddBuiltin(BuiltinOperator::kSoftmax, Register_SOFTMAX());
  AddBuiltin(BuiltinOperator::kSpaceToBatchNd, Register_SPACE_TO_BATCH_ND());
  AddBuiltin(BuiltinOperator::kSqueeze, Register_SQUEEZE());
  AddBuiltin(BuiltinOperator::kStridedSlice, Register_STRIDED_SLICE());
  AddCustom("TFLM_DECODE", Register_DECODE());
}

}  // namespace tpw
