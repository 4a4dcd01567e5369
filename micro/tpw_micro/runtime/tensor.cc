#include "tensor.h"

namespace tpw {

const char* TensorTypeName(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return "float32";
    case TensorType::kInt32: return "int32";
    case TensorType::kUInt8: return "uint8";
    case TensorType::kInt64: return "int64";
    case TensorType::kInt16: return "int16";
    case TensorType::kInt8: return "int8";
  }
  return "unknown";
}

size_t TensorTypeSize(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return 4;
    case TensorType::kInt32: return 4;
    case TensorType::kUInt8: return 1;
    case TensorType::kInt64: return 8;
    case TensorType::kInt16: return 2;
    case TensorType::kInt8: return 1;
  }
  return 0;
}

int32_t ElementCount(const IntArray& dims) {
  int32_t count = 1;
  for (int32_t i = 0; i < dims.size; ++i) count *= dims.data[i];
  return count;
}

bool ShapeKnown(const IntArray& dims) {
  for (int32_t i = 0; i < dims.size; ++i) {
    if (dims.data[i] < 0) return false;
  }
  return true;
}

}  // namespace tpw
