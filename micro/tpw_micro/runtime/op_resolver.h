// OpResolver: maps TFLite builtin operator codes to our kernels.
//
// The capacity is fixed at compile time (kCapacity entries stored inline), so
// a resolver needs no heap; AllOpsResolver registers every op this runtime
// implements. Registrations are constant-initialized objects owned by the
// kernels, so the resolver only stores pointers.
#ifndef TPW_MICRO_RUNTIME_OP_RESOLVER_H_
#define TPW_MICRO_RUNTIME_OP_RESOLVER_H_

#include <stdint.h>

#include "flatbuffer.h"
#include "status.h"

namespace tpw {

// Builtin operator codes, numbered as in the TFLite schema (BuiltinOperator).
enum class BuiltinOperator : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kPad = 34,
  kBatchToSpaceNd = 37,
  kSpaceToBatchNd = 38,
  kMean = 40,
  kSqueeze = 43,
  kStridedSlice = 45,
  kPadV2 = 60,
  kExpandDims = 70,
  kShape = 77,
  kPack = 83,
  kQuantize = 114,
};

// The builtin code of every custom operator; its name tells them apart.
constexpr int32_t kCustomOperatorCode = 32;

class NodeContext;

// One op's kernel: Prepare validates the node and computes everything Eval
// needs (stored via NodeContext::AllocatePersistent); Eval only computes.
struct OpRegistration {
  const char* name;                      // e.g. "CONV_2D"
  Status (*prepare)(NodeContext& node);
  Status (*eval)(NodeContext& node);
  // The kernel variant Prepare chose for a node with this op data, e.g.
  // "conv_1xk_s8_wide_2x2", or nullptr: for tools (tpw_micro_run), never Eval.
  // nullptr for an op with one kernel.
  const char* (*kernel)(const void* op_data) = nullptr;
};

class OpResolver {
 public:
  static constexpr int kCapacity = 32;

  OpResolver() : count_(0) {}

  // Registers `registration` for `op`; fails when full or already present.
  Status AddBuiltin(BuiltinOperator op, const OpRegistration* registration);
  // Registers `registration` for the custom operator called `name` (a
  // string that outlives the resolver, e.g. "TFLM_DECODE").
  Status AddCustom(const char* name, const OpRegistration* registration);
  // The registration for a builtin code, or nullptr when not registered.
  const OpRegistration* Find(int32_t builtin_code) const;
  // The registration for an OperatorCode table whose builtin code is `code`:
  // custom operators are found by their custom_code name. *out is nullptr
  // when not registered; an error only for a malformed name.
  Status Lookup(const fb::Table& opcode, int32_t code, const OpRegistration** out) const;

 private:
  struct Entry {
    int32_t code;
    const char* custom_name;  // nullptr for builtins
    const OpRegistration* registration;
  };
  Status Add(int32_t code, const char* custom_name, const OpRegistration* registration);
  Entry entries_[kCapacity];
  int count_;
};

// Registers every op implemented in micro/tpw_micro/runtime/kernels/.
class AllOpsResolver : public OpResolver {
 public:
  AllOpsResolver();
};

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_OP_RESOLVER_H_
