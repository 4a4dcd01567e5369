// Shared by the broadcasting int8 binary ops (ADD, MUL): shape checks and an
// index walk over the output with each input's broadcast strides.
#ifndef TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_

#include "kernels/kernel_util.h"

namespace tpw {

struct BinaryShape {
  int32_t strides1[kMaxRank];
  int32_t strides2[kMaxRank];
};

// Checks int8 inputs/output and that both inputs broadcast to the output.
Status PrepareBinaryShape(NodeContext& node, BinaryShape* shape);

// Calls f(out_index, in1_index, in2_index) over the output in row-major order.
template <typename F>
void ForEachBroadcast(const Tensor* output, const BinaryShape& shape, F f) {
  const int32_t rank = Rank(output);
  int32_t counter[kMaxRank] = {0};
  int32_t i1 = 0, i2 = 0;
  const int32_t total = Elements(output);
  for (int32_t out = 0; out < total; ++out) {
    f(out, i1, i2);
    // Advance the innermost counter, carrying into outer dimensions.
    for (int32_t d = rank - 1; d >= 0; --d) {
      ++counter[d];
      i1 += shape.strides1[d];
      i2 += shape.strides2[d];
      if (counter[d] < Dim(output, d)) break;
      i1 -= shape.strides1[d] * counter[d];
      i2 -= shape.strides2[d] * counter[d];
      counter[d] = 0;
    }
  }
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_BINARY_COMMON_H_
