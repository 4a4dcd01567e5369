// Shared by the broadcasting int8 binary ops (ADD, MUL): shape and type
// checks, the fused activation, and an eval loop over the output that hands
// each op both inputs minus their zero points.
#ifndef TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_

#include "kernels/kernel_util.h"

namespace tpw {

// Tensor slots of ADD and MUL.
constexpr int32_t kInputTensor1 = 0;
constexpr int32_t kInputTensor2 = 1;
constexpr int32_t kOutputTensor = 0;

struct BinaryParams {
  int32_t strides1[kMaxRank];  // element strides of each input broadcast to the output
  int32_t strides2[kMaxRank];
  int32_t act_min, act_max;
};

// Checks int8 inputs/output, that both inputs broadcast to the output, and
// reads the fused activation (field 0 of both AddOptions and MulOptions).
Status PrepareBinary(NodeContext& node, OptionsType options_type, BinaryParams* params);

// output = clamp(output_zero_point + rescale(a - za, b - zb)) over the output,
// in row-major order, with broadcasting.
template <typename Rescale>
void EvalBinary(NodeContext& node, const BinaryParams& p, Rescale rescale) {
  const int8_t* in1 = node.input(kInputTensor1)->data.int8;
  const int8_t* in2 = node.input(kInputTensor2)->data.int8;
  const int32_t zero1 = node.input(kInputTensor1)->params.zero_point;
  const int32_t zero2 = node.input(kInputTensor2)->params.zero_point;
  Tensor* output = node.output(kOutputTensor);
  const int32_t output_zero_point = output->params.zero_point;
  const int32_t rank = Rank(output);
  int32_t counter[kMaxRank] = {0};
  int32_t i1 = 0, i2 = 0;
  for (int32_t out = 0; out < Elements(output); ++out) {
    output->data.int8[out] = SaturateInt8(output_zero_point + rescale(in1[i1] - zero1, in2[i2] - zero2),
                                          p.act_min, p.act_max);
    // Advance the innermost counter, carrying into outer dimensions.
    for (int32_t d = rank - 1; d >= 0; --d) {
      ++counter[d];
      i1 += p.strides1[d];
      i2 += p.strides2[d];
      if (counter[d] < Dim(output, d)) break;
      i1 -= p.strides1[d] * counter[d];
      i2 -= p.strides2[d] * counter[d];
      counter[d] = 0;
    }
  }
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_
