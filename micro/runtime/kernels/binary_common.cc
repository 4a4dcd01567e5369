#include "kernels/binary_common.h"

namespace tpw {

Status PrepareBinaryShape(NodeContext& node, BinaryShape* shape) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(0), "input 0"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(1), "input 1"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.output(0), "output"));
  TPW_RETURN_IF_ERROR(BroadcastStrides(node, node.input(0), node.output(0), shape->strides1));
  return BroadcastStrides(node, node.input(1), node.output(0), shape->strides2);
}

}  // namespace tpw
