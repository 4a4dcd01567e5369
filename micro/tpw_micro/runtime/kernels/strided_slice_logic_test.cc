// STRIDED_SLICE's axis arithmetic against Python's slice rules (CPython's
// PySlice_AdjustIndices), exhaustively over small axes: every begin / end in
// [-8, 8] or masked, every stride in [-3, 3] but 0. The converter only emits
// a few of these, so the parity tests cannot reach most of them.
//   strided_slice_logic_test   -> prints one line per mismatch, exits 1 if any
#include <stdio.h>

#include "kernels/strided_slice_logic.h"

namespace {

// Python's x[begin:end:stride] on an axis of `size`; a masked index is None.
tpw::AxisSlice PythonSlice(int32_t begin, bool begin_masked, int32_t end, bool end_masked, int32_t stride,
                           int32_t size) {
  auto adjust = [&](int32_t index, bool none, int32_t none_value) {
    if (none) return none_value;
    if (index < 0) {
      index += size;
      if (index < 0) index = stride < 0 ? -1 : 0;
    } else if (index >= size) {
      index = stride < 0 ? size - 1 : size;
    }
    return index;
  };
  const int32_t start = adjust(begin, begin_masked, stride < 0 ? size - 1 : 0);
  const int32_t stop = adjust(end, end_masked, stride < 0 ? -1 : size);
  int32_t count = 0;
  if (stride < 0 && stop < start) count = (start - stop - 1) / -stride + 1;
  if (stride > 0 && start < stop) count = (stop - start - 1) / stride + 1;
  return tpw::AxisSlice{start, stride, count};
}

}  // namespace

int main() {
  int failures = 0, checked = 0;
  for (int32_t size = 1; size <= 6; ++size) {
    for (int32_t stride = -3; stride <= 3; ++stride) {
      if (stride == 0) continue;
      for (int32_t begin = -9; begin <= 8; ++begin) {
        for (int32_t end = -9; end <= 8; ++end) {
          // -9 stands for a masked index.
          const tpw::AxisSlice ours = tpw::SliceAxis(begin, begin == -9, end, end == -9, stride, size);
          const tpw::AxisSlice python = PythonSlice(begin, begin == -9, end, end == -9, stride, size);
          ++checked;
          // The same elements: the count, and the first one whenever there is one.
          if (ours.count == python.count && (ours.count == 0 || ours.start == python.start)) continue;
          if (++failures <= 20) {
            printf("FAILED: size %d [%d:%d:%d] gives start %d count %d, Python start %d count %d\n", size, begin, end,
                   stride, ours.start, ours.count, python.start, python.count);
          }
        }
      }
    }
  }
  if (failures > 0) return 1;
  printf("ok %d\n", checked);
  return 0;
}
