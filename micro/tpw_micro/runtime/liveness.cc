#include "liveness.h"

#include "memory_planner.h"
#include "node_context.h"

namespace tpw {
namespace {

// Widens [first, last] of `request` to include node `at`.
void Touch(BufferRequest* request, int32_t at) {
  if (request->first_use < 0 || at < request->first_use) request->first_use = at;
  if (at > request->last_use) request->last_use = at;
}

}  // namespace

Status PlanTensorMemory(const Subgraph& graph, ArenaAllocator& allocator, size_t* used_bytes) {
  // Planner records sit in the free middle of the arena while planning; the
  // planned tensors overwrite them afterwards.
  size_t record_bytes = static_cast<size_t>(graph.num_tensors) * (sizeof(BufferRequest) + 2 * sizeof(int32_t));
  if (record_bytes > allocator.free_bytes()) return allocator.TooSmall(record_bytes);
  BufferRequest* requests = reinterpret_cast<BufferRequest*>(allocator.head());
  int32_t* order = reinterpret_cast<int32_t*>(requests + graph.num_tensors);
  int32_t* ids = order + graph.num_tensors;  // tensor index of each planned buffer
  for (int32_t t = 0; t < graph.num_tensors; ++t) {
    const uint32_t bytes = static_cast<uint32_t>(AlignUp(graph.tensors[t].bytes, kArenaAlignment));
    requests[t] = BufferRequest{bytes, -1, -1, 0};
  }
  const int32_t end = graph.num_nodes;  // subgraph inputs/outputs are alive across all nodes
  for (size_t i = 0; i < graph.num_inputs; ++i) Touch(&requests[graph.inputs[i]], 0);
  for (size_t i = 0; i < graph.num_outputs; ++i) Touch(&requests[graph.outputs[i]], end);
  for (int32_t n = 0; n < graph.num_nodes; ++n) {
    const NodeRecord& node = graph.nodes[n];
    for (int32_t k = 0; k < node.inputs->size; ++k) {
      int32_t t = node.inputs->data[k];
      if (t < 0 || graph.tensors[t].is_constant) continue;
      if (requests[t].first_use < 0) {
        return Status::Error(StatusCode::kInvalidModel)
            .Add("node ").Add(n).Add(" reads tensor ").Add(t).Add(" before it is written");
      }
      Touch(&requests[t], n);
    }
    for (int32_t k = 0; k < node.outputs->size; ++k) {
      int32_t t = node.outputs->data[k];
      if (requests[t].first_use >= 0 && requests[t].first_use < n) {
        return Status::Error(StatusCode::kInvalidModel)
            .Add("node ").Add(n).Add(" writes tensor ").Add(t).Add(" that already has a value");
      }
      Touch(&requests[t], n);
    }
  }
  // Unused and constant tensors get no arena memory: plan only the live ones.
  int32_t live = 0;
  for (int32_t t = 0; t < graph.num_tensors; ++t) {
    if (graph.tensors[t].is_constant || requests[t].first_use < 0) continue;
    requests[live] = requests[t];
    ids[live] = t;
    ++live;
  }
  size_t head = PlanBuffers(requests, live, order);
  if (head > allocator.free_bytes()) return allocator.TooSmall(head);
  for (int32_t i = 0; i < live; ++i) graph.tensors[ids[i]].data.raw = allocator.head() + requests[i].offset;
  size_t peak = head > record_bytes ? head : record_bytes;
  *used_bytes = AlignUp(peak, kArenaAlignment) + allocator.persistent_bytes();
  return Status::Ok();
}

}  // namespace tpw
