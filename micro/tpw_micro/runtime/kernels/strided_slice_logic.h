// The index arithmetic of one STRIDED_SLICE axis, as TFLM computes it
// (StartForAxis / StopForAxis in its strided_slice_logic.h): a masked begin or
// end is the axis' end in the stride's direction, negative indices count from
// the end, and both are clamped to the axis. Kept apart from the kernel so
// strided_slice_logic_test.cc can check it against Python's slice rules.
#ifndef TPW_MICRO_RUNTIME_KERNELS_STRIDED_SLICE_LOGIC_H_
#define TPW_MICRO_RUNTIME_KERNELS_STRIDED_SLICE_LOGIC_H_

#include <stdint.h>

namespace tpw {

// Elements start, start + stride, ... (count of them) of an axis.
struct AxisSlice {
  int32_t start;
  int32_t stride;
  int32_t count;
};

inline int32_t ClampIndex(int64_t value, int32_t low, int32_t high) {
  return static_cast<int32_t>(value < low ? low : (value > high ? high : value));
}

// A begin (or end) index resolved on an axis of `size` for a non-zero `stride`.
inline int32_t ResolveIndex(int32_t index, bool masked, bool is_end, int32_t stride, int32_t size) {
  // A masked begin is the first element in the stride's direction, a masked end one past the last.
  int64_t value = masked ? ((stride > 0) == is_end ? INT32_MAX : INT32_MIN) : index;
  if (value < 0) value += size;
  return stride > 0 ? ClampIndex(value, 0, size) : ClampIndex(value, -1, size - 1);
}

// The slice of an axis that is not shrunk; count is ceil((stop - start) / stride), at least 0.
inline AxisSlice SliceAxis(int32_t begin, bool begin_masked, int32_t end, bool end_masked, int32_t stride,
                           int32_t size) {
  const int32_t start = ResolveIndex(begin, begin_masked, /*is_end=*/false, stride, size);
  const int32_t stop = ResolveIndex(end, end_masked, /*is_end=*/true, stride, size);
  const int64_t span = static_cast<int64_t>(stop) - start;
  const int64_t count = stride > 0 ? (span + stride - 1) / stride : (span + stride + 1) / stride;
  return AxisSlice{start, stride, count > 0 ? static_cast<int32_t>(count) : 0};
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_STRIDED_SLICE_LOGIC_H_
