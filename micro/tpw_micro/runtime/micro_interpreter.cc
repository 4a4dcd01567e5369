#include "micro_interpreter.h"

#include "arena_allocator.h"
#include "liveness.h"
#include "model_reader.h"
#include "node_context.h"

namespace tpw {

MicroInterpreter::MicroInterpreter(const uint8_t* model_data, size_t model_size,
                                   const OpResolver& resolver, uint8_t* arena, size_t arena_size)
    : model_data_(model_data), model_size_(model_size), resolver_(resolver), arena_(arena),
      arena_size_(arena_size), graph_{nullptr, 0, nullptr, 0, nullptr, nullptr, 0, 0}, used_bytes_(0),
      persistent_bytes_(0), ready_(false) {}

Status MicroInterpreter::AllocateTensors() {
  ready_ = false;
  if (model_data_ == nullptr || arena_ == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "model data or arena is null");
  }
  if (reinterpret_cast<uintptr_t>(model_data_) % 4 != 0) {
    return Status::Error(StatusCode::kInvalidArgument, "model data must be 4-byte aligned");
  }
  ArenaAllocator allocator(arena_, arena_size_);
  TPW_RETURN_IF_ERROR(ReadSubgraph(model_data_, model_size_, resolver_, allocator, &graph_));
  TPW_RETURN_IF_ERROR(PrepareNodes(allocator));
  TPW_RETURN_IF_ERROR(PlanTensorMemory(graph_, allocator, &used_bytes_));
  persistent_bytes_ = allocator.persistent_bytes();
  ready_ = true;
  return Status::Ok();
}

Status MicroInterpreter::PrepareNodes(ArenaAllocator& allocator) {
  // Kernels read their options and per-channel quantization from the model's tables.
  ModelView model;
  TPW_RETURN_IF_ERROR(OpenModel(model_data_, model_size_, &model));
  for (int32_t i = 0; i < graph_.num_nodes; ++i) {
    fb::Table op;
    TPW_RETURN_IF_ERROR(model.operators.TableAt(static_cast<uint32_t>(i), &op));
    NodeContext context(graph_.nodes[i], i, op, model.tensors, graph_.tensors, &allocator);
    TPW_RETURN_IF_ERROR(graph_.nodes[i].registration->prepare(context));
    allocator.ResetTemporary();
    // A -1 left in an output shape means the kernel does not compute that
    // shape; planning needs every size, so refuse here, naming the op.
    for (int32_t k = 0; k < context.num_outputs(); ++k) {
      if (!ShapeKnown(*context.output(k)->dims)) {
        return context.Error(StatusCode::kUnsupported, "output %d has a -1 dimension this op does not compute", k);
      }
    }
  }
  return Status::Ok();
}

Tensor* MicroInterpreter::input(size_t index) {
  return ready_ && index < graph_.num_inputs ? &graph_.tensors[graph_.inputs[index]] : nullptr;
}

Tensor* MicroInterpreter::output(size_t index) {
  return ready_ && index < graph_.num_outputs ? &graph_.tensors[graph_.outputs[index]] : nullptr;
}

const char* MicroInterpreter::node_kernel(size_t index) const {
  if (index >= nodes_size()) return nullptr;
  const NodeRecord& node = graph_.nodes[index];
  return node.registration->kernel != nullptr ? node.registration->kernel(node.op_data) : nullptr;
}

Status MicroInterpreter::Invoke() {
  if (!ready_) return Status::Error(StatusCode::kNotReady, "Invoke() before a successful AllocateTensors()");
  fb::Table no_options;
  fb::Vector no_tensors;
  for (int32_t i = 0; i < graph_.num_nodes; ++i) {
    NodeContext context(graph_.nodes[i], i, no_options, no_tensors, graph_.tensors, nullptr);
    TPW_RETURN_IF_ERROR(graph_.nodes[i].registration->eval(context));
  }
  return Status::Ok();
}

}  // namespace tpw
