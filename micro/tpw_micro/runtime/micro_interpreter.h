// MicroInterpreter: runs one TFLite flatbuffer model inside a caller-owned arena.
//
// Usage (mirrors TFLM):
//   tpw::AllOpsResolver resolver;
//   alignas(16) static uint8_t arena[kArenaSize];
//   tpw::MicroInterpreter interp(model_data, model_size, resolver, arena, sizeof(arena));
//   tpw::Status s = interp.AllocateTensors();   // parse, prepare kernels, plan memory
//   interp.input(0)->data.int8[...] = ...;
//   s = interp.Invoke();
//   const tpw::Tensor* out = interp.output(0);
//
// Ownership: the model bytes (4-byte aligned) and the arena belong to the
// caller and must outlive the interpreter. Nothing is allocated elsewhere.
//
// Arena layout after AllocateTensors():
//
//   arena                                                          arena + size
//   | planned activations (head)           |  free  | persistent (tail)      |
//   ^ buffers of tensors with disjoint lifetimes      ^ Tensor records, nodes,
//     and node scratch buffers overlap here             kernel op data, outputs
//                                                       computed in Prepare
//
// arena_used_bytes() = head + tail: the smallest arena the same model runs in.
#ifndef TPW_MICRO_RUNTIME_MICRO_INTERPRETER_H_
#define TPW_MICRO_RUNTIME_MICRO_INTERPRETER_H_

#include <stddef.h>
#include <stdint.h>

#include "op_resolver.h"
#include "status.h"
#include "subgraph.h"
#include "tensor.h"

namespace tpw {

class ArenaAllocator;

class MicroInterpreter {
 public:
  MicroInterpreter(const uint8_t* model_data, size_t model_size, const OpResolver& resolver,
                   uint8_t* arena, size_t arena_size);

  // Parses and verifies the model, runs every kernel's Prepare and plans the
  // arena. Must succeed before input()/output()/Invoke() are usable.
  Status AllocateTensors();
  // Runs every node in order.
  Status Invoke();

  size_t inputs_size() const { return ready_ ? graph_.num_inputs : 0; }
  size_t outputs_size() const { return ready_ ? graph_.num_outputs : 0; }
  // nullptr before a successful AllocateTensors() or for an index out of range.
  Tensor* input(size_t index);
  Tensor* output(size_t index);

  // Bytes of the arena in use (planned head + persistent tail), 0 before
  // a successful AllocateTensors().
  size_t arena_used_bytes() const { return ready_ ? used_bytes_ : 0; }
  // Of those, the persistent tail (records, op data, tensors computed once at
  // AllocateTensors), 0 before a successful AllocateTensors().
  size_t arena_persistent_bytes() const { return ready_ ? persistent_bytes_ : 0; }
  // Nodes in execution order, 0 before a successful AllocateTensors().
  size_t nodes_size() const { return ready_ ? static_cast<size_t>(graph_.num_nodes) : 0; }
  // The kernel variant node `index`'s Prepare chose (OpRegistration::kernel),
  // nullptr for an op with one kernel or an index out of range.
  const char* node_kernel(size_t index) const;

 private:
  // Runs every kernel's Prepare in order: checks, output shapes, op data.
  Status PrepareNodes(ArenaAllocator& allocator);

  const uint8_t* model_data_;
  size_t model_size_;
  const OpResolver& resolver_;
  uint8_t* arena_;
  size_t arena_size_;

  Subgraph graph_;  // read by model_reader.h, planned by liveness.h
  size_t used_bytes_;
  size_t persistent_bytes_;
  bool ready_;
};

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_MICRO_INTERPRETER_H_
