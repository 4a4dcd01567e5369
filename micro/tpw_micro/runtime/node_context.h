// NodeContext: what a kernel sees of its node during Prepare and Eval.
//
// Kernels get their tensors by slot (input(i) / output(i)), read builtin
// options and per-channel quantization straight from the (checked) model,
// and keep what Eval needs in op data allocated from the arena tail during
// Prepare. Errors built with Error() are prefixed with the op name and node.
#ifndef TPW_MICRO_RUNTIME_NODE_CONTEXT_H_
#define TPW_MICRO_RUNTIME_NODE_CONTEXT_H_

#include <stdint.h>

#include "arena_allocator.h"
#include "flatbuffer.h"
#include "op_resolver.h"
#include "status.h"
#include "tensor.h"

namespace tpw {

// Builtin options union types used by our kernels (TFLite schema BuiltinOptions).
enum class OptionsType : uint8_t {
  kConv2D = 1,
  kDepthwiseConv2D = 2,
  kPool2D = 5,
  kFullyConnected = 8,
  kSoftmax = 9,
  kConcatenation = 10,
  kAdd = 11,
  kReshape = 17,
  kMul = 21,
  kPad = 22,
  kBatchToSpaceNd = 24,
  kSpaceToBatchNd = 25,
  kReducer = 27,
  kStridedSlice = 32,
  kPack = 59,
};

// One operator of the subgraph, as parsed (lives in the arena tail).
struct NodeRecord {
  const OpRegistration* registration;
  const IntArray* inputs;   // tensor indices, -1 for an omitted optional input
  const IntArray* outputs;
  void* op_data;            // set by the kernel's Prepare
  void* scratch;            // planned by liveness.h where Prepare asked for scratch_bytes
  uint32_t scratch_bytes;
  int32_t builtin_code;
};

// Per-channel quantization of a tensor, read from the model.
struct ChannelQuantization {
  fb::Vector scales;        // float32 per channel (length 1 = per-tensor)
  fb::Vector zero_points;   // int64 per channel (may be empty)
  int32_t quantized_dimension;
};

class NodeContext {
 public:
  NodeContext(NodeRecord& node, int32_t node_index, const fb::Table& op_table,
              const fb::Vector& tensor_tables, Tensor* tensors, ArenaAllocator* allocator)
      : node_(node), node_index_(node_index), op_table_(op_table), tensor_tables_(tensor_tables),
        tensors_(tensors), allocator_(allocator) {}

  const char* op_name() const { return node_.registration->name; }
  int32_t num_inputs() const { return node_.inputs->size; }
  int32_t num_outputs() const { return node_.outputs->size; }
  // nullptr for a slot out of range or an omitted optional input.
  Tensor* input(int32_t slot) const { return Slot(node_.inputs, slot); }
  Tensor* output(int32_t slot) const { return Slot(node_.outputs, slot); }
  // Tensor index of output `slot` (callers check the slot), for messages.
  int32_t output_index(int32_t slot) const { return node_.outputs->data[slot]; }

  // Builtin options table; left invalid (all defaults) when absent.
  Status Options(OptionsType type, fb::Table* out) const;
  // Quantization of the tensor in input `slot`, e.g. the per-channel weight scales.
  Status InputQuantization(int32_t slot, ChannelQuantization* out) const;
  // Quantization of the tensor in output `slot` (DECODE lays out its values by it).
  Status OutputQuantization(int32_t slot, ChannelQuantization* out) const;

  // Prepare only: zeroed persistent memory for the kernel's op data (`count`
  // records, e.g. one per output of DECODE).
  template <typename T>
  Status AllocateOpData(T** out, size_t count = 1) {
    void* memory = nullptr;
    TPW_RETURN_IF_ERROR(AllocatePersistent(sizeof(T) * count, &memory));
    node_.op_data = memory;
    *out = static_cast<T*>(memory);
    return Status::Ok();
  }
  // Prepare only: more persistent memory (e.g. per-channel multipliers).
  Status AllocatePersistent(size_t bytes, void** out);
  // Prepare only: working memory valid until this Prepare returns (the free
  // middle of the arena, as TFLM's temp allocations), e.g. to compute an
  // output once at AllocateTensors.
  Status AllocateTemporary(size_t bytes, void** out);
  // Prepare only: `bytes` of working memory for Eval, planned in the arena head
  // and live only while this node runs, so nodes share it (TFLM's
  // RequestScratchBufferInArena); one buffer a node, a later call replaces it.
  Status RequestScratch(size_t bytes);
  // Eval: the buffer RequestScratch asked for, nullptr if none.
  void* scratch() const { return node_.scratch; }
  // Prepare only: gives output `slot` the shape the kernel computed from its
  // inputs (as TFLM's kernels do). A dimension may differ from the model's
  // only where the model leaves it to runtime: -1 in `shape`, or -1 in
  // `shape_signature` (a dynamic batch, whose stored extent is the batch-1
  // one). A changed shape is copied to the arena tail and the size updated.
  Status SetOutputShape(int32_t slot, const int32_t* dims, int32_t rank);
  template <typename T>
  T* op_data() const { return static_cast<T*>(node_.op_data); }

  // An error status whose message is "<OP> (node N): " and then `format`
  // with its arguments (Status::Error's conversions).
  Status Error(StatusCode code, const char* format, ...) const TPW_PRINTF_FORMAT(3, 4);
  // Shorthands for the common checks; each returns an error naming the problem.
  Status ExpectCounts(int32_t inputs, int32_t outputs) const;
  Status ExpectType(const Tensor* tensor, TensorType type, const char* what) const;

 private:
  Status Quantization(const IntArray* indices, int32_t slot, const char* what, ChannelQuantization* out) const;
  Tensor* Slot(const IntArray* indices, int32_t slot) const {
    if (slot < 0 || slot >= indices->size || indices->data[slot] < 0) return nullptr;
    return &tensors_[indices->data[slot]];
  }

  NodeRecord& node_;
  int32_t node_index_;
  const fb::Table& op_table_;
  const fb::Vector& tensor_tables_;
  Tensor* tensors_;
  ArenaAllocator* allocator_;  // null during Eval
};

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_NODE_CONTEXT_H_
