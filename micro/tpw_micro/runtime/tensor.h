// Tensor: the runtime view of one flatbuffer tensor, modelled on TfLiteTensor.
//
// Layout and lifetime: the Tensor records live in the persistent (tail) part of
// the caller's arena and stay valid until the MicroInterpreter is destroyed.
// `dims` points into the model flatbuffer (a flatbuffer int vector is laid out
// exactly as IntArray: a 32-bit length followed by the values), so the model
// buffer must outlive the interpreter; a shape a kernel computes in Prepare
// (a -1 or a dynamic batch in the model) is a copy in the tail instead.
// `data` points into the model for constant tensors and into the planned
// (head) part of the arena otherwise;
// activation buffers of tensors with disjoint lifetimes share memory, so an
// output is only meaningful right after Invoke().
#ifndef TPW_MICRO_RUNTIME_TENSOR_H_
#define TPW_MICRO_RUNTIME_TENSOR_H_

#include <stddef.h>
#include <stdint.h>

namespace tpw {

// Element types, numbered as in the TFLite schema (TensorType).
enum class TensorType : int8_t {
  kFloat32 = 0,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kInt16 = 7,
  kInt8 = 9,
};

// Name of a type, e.g. "int8"; "unknown" for values outside the enum.
const char* TensorTypeName(TensorType type);
// Bytes per element; 0 for types the runtime does not store.
size_t TensorTypeSize(TensorType type);

// A shape: `size` dimensions followed by their extents (TfLiteIntArray layout).
struct IntArray {
  int32_t size;
  int32_t data[];
};

// Per-tensor affine quantization: real = scale * (q - zero_point).
// Per-channel scales of weights are read from the model by the kernels that
// use them and folded into their multipliers during Prepare.
struct QuantizationParams {
  float scale;
  int32_t zero_point;
};

union TensorData {
  int8_t* int8;
  uint8_t* uint8;
  int16_t* i16;
  int32_t* i32;
  int64_t* i64;
  float* f;
  void* raw;
};

struct Tensor {
  TensorData data;
  const IntArray* dims;
  size_t bytes;               // element count * TensorTypeSize(type); 0 while a dim is -1
  QuantizationParams params;  // scale 0 when the tensor is not quantized
  TensorType type;
  bool is_constant;           // data lives in the model flatbuffer (read-only)
};

// Number of elements of a shape (product of dims; 1 for a scalar).
int32_t ElementCount(const IntArray& dims);
// False while a dimension is -1, i.e. left by the model to a kernel's Prepare.
bool ShapeKnown(const IntArray& dims);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_TENSOR_H_
