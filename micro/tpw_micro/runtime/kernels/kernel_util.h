// Helpers shared by the kernels' Prepare steps (shape checks, activation
// ranges, padding, per-channel multipliers), reproducing TFLM's formulas.
#ifndef TPW_MICRO_RUNTIME_KERNELS_KERNEL_UTIL_H_
#define TPW_MICRO_RUNTIME_KERNELS_KERNEL_UTIL_H_

#include <stdint.h>

#include "kernels/registrations.h"  // so each kernel defines its registration as declared
#include "node_context.h"
#include "op_resolver.h"
#include "quantization.h"
#include "status.h"
#include "tensor.h"

namespace tpw {

// Fused activation codes (TFLite schema ActivationFunctionType).
enum class Activation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3 };
// Padding codes (TFLite schema Padding).
enum class Padding : int8_t { kSame = 0, kValid = 1 };

constexpr int32_t kMaxRank = 6;

inline int32_t Dim(const Tensor* tensor, int32_t i) { return tensor->dims->data[i]; }
inline int32_t Rank(const Tensor* tensor) { return tensor->dims->size; }
inline int32_t Elements(const Tensor* tensor) { return ElementCount(*tensor->dims); }

// Error unless `tensor` has exactly `rank` dimensions.
Status ExpectRank(const NodeContext& node, const Tensor* tensor, int32_t rank, const char* what);
// Gives output 0 the shape of input 0 (elementwise ops; see SetOutputShape).
Status SameShapeOutput(NodeContext& node);
// Error unless the tensor is int8 with a finite per-tensor scale that is
// positive, or zero when `zero_scale_ok`: a tensor whose scale only
// multiplies (a weighted op's input) gives TFLM's result with scale 0, a
// zero multiplier; one it divides by would be a division by zero.
Status ExpectQuantizedInt8(const NodeContext& node, const Tensor* tensor, const char* what,
                           bool zero_scale_ok = false);
// Error unless the node has 1 input and 1 output, both quantized int8; the
// output gets the input's shape.
Status ExpectUnaryInt8(NodeContext& node);
// Error unless inputs (data, filter[, bias]) and the output of a weighted op are
// quantized int8 / int8 / int8; with rank > 0, data, filter and output have that rank.
Status ExpectWeightedInt8(const NodeContext& node, int32_t rank);
// Error unless `tensor` is a constant int32 tensor with `count` elements.
Status ExpectConstantInt32(const NodeContext& node, const Tensor* tensor, int32_t count, const char* what);

// Clamp range of a fused activation on int8 `output` (TFLM's
// CalculateActivationRangeQuantized: zero_point + round(x / scale) in float).
Status ActivationRange(const NodeContext& node, int8_t activation, const Tensor* output,
                       int32_t* act_min, int32_t* act_max);

// Output extent and leading padding of one spatial dimension (TFLM's
// ComputeOutSize / ComputePaddingHeightWidth).
struct SpatialDim {
  int32_t out_size;
  int32_t padding;
};
Status ComputeSpatialDim(const NodeContext& node, int8_t padding, int32_t in_size, int32_t filter_size,
                         int32_t stride, int32_t dilation, SpatialDim* out);

// QuantizeMultiplier of `real`, or an error naming `what` when out of range.
Status Multiplier(const NodeContext& node, double real, const char* what, int32_t* multiplier, int* shift);

// Per-output-channel multipliers input_scale * filter_scale[c] / output_scale
// for the filter in input `filter_slot` (a single scale is broadcast; several
// must lie along `channel_dim` of the filter), stored in persistent arrays of
// `channels` entries: TFLM's Q31 significands and their shifts (in [-31, 30],
// so one byte each: 5 bytes a channel where TFLM's OpData keeps 8).
Status PerChannelMultipliers(NodeContext& node, int32_t filter_slot, int32_t channel_dim, int32_t channels,
                             int32_t** multipliers, int8_t** shifts);

// Error unless the optional bias in input `slot` is absent or int32 [channels].
Status ExpectBias(const NodeContext& node, int32_t slot, int32_t channels);

// `value` narrowed to int8, clamped to [low, high]: the int8 range, or a fused
// activation's range (inside it, see ActivationRange). Every kernel that
// saturates to int8 does it here.
inline int8_t SaturateInt8(int32_t value, int32_t low = -128, int32_t high = 127) {
  return static_cast<int8_t>(value < low ? low : (value > high ? high : value));
}

// Requantization of one output channel: TFLM's MultiplyByQuantizedMultiplier,
// the output zero point and the activation clamp.
struct ChannelRequant {
  int32_t multiplier, shift, zero_point, act_min, act_max;
  int8_t operator()(uint32_t sum) const {
    return SaturateInt8(MultiplyByQuantizedMultiplier(static_cast<int32_t>(sum), multiplier, shift) + zero_point,
                        act_min, act_max);
  }
};

// Element strides of `shape` broadcast to `out_rank` dims (0 where broadcast).
Status BroadcastStrides(const NodeContext& node, const Tensor* shape, const Tensor* output, int32_t* strides);

// Constant folding of output 0, for the shape arithmetic a dynamic batch
// converts into (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE's shape input).
// FoldOutput runs `compute` in Prepare on output memory from the arena tail
// and marks the output constant: the next op's Prepare can read its values,
// planning gives it no head memory, and Eval skips the node (IsFolded).
// Call it after SetOutputShape.
Status FoldOutput(NodeContext& node, Status (*compute)(NodeContext& node));
// FoldOutput when output 0 is int32 and every input is constant; otherwise
// the output is left to Eval.
Status FoldIfConstantInt32(NodeContext& node, Status (*compute)(NodeContext& node));
// True for a node whose output FoldOutput computed (outputs are never
// constant otherwise: NodeContext::ExpectCounts refuses that).
bool IsFolded(const NodeContext& node);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_KERNEL_UTIL_H_
