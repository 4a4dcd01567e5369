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
  // Planner records (one per tensor and one per node's scratch) sit in the
  // free middle of the arena while planning; the planned buffers overwrite
  // them afterwards.
  const int32_t slots = graph.num_tensors + graph.num_nodes;
  size_t record_bytes = static_cast<size_t>(slots) * (sizeof(BufferRequest) + 2 * sizeof(int32_t));
  if (record_bytes > allocator.free_bytes()) return allocator.TooSmall(record_bytes);
  BufferRequest* requests = reinterpret_cast<BufferRequest*>(allocator.head());
  int32_t* order = reinterpret_cast<int32_t*>(requests + slots);
  int32_t* ids = order + slots;  // tensor index of each planned buffer; num_tensors + n for node n's scratch
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
        return Status::Error(StatusCode::kInvalidModel, "node %d reads tensor %d before it is written", n, t);
      }
      Touch(&requests[t], n);
    }
    for (int32_t k = 0; k < node.outputs->size; ++k) {
      int32_t t = node.outputs->data[k];
      if (requests[t].first_use >= 0 && requests[t].first_use < n) {
        return Status::Error(StatusCode::kInvalidModel, "node %d writes tensor %d that already has a value", n, t);
      }
      Touch(&requests[t], n);
    }
  }
  // Unused and constant tensors get no arena memory: plan only the live ones,
  // then each node's scratch, live while that node runs.
  int32_t live = 0;
  for (int32_t t = 0; t < graph.num_tensors; ++t) {
    if (graph.tensors[t].is_constant || requests[t].first_use < 0) continue;
    requests[live] = requests[t];
    ids[live] = t;
    ++live;
  }
  for (int32_t n = 0; n < graph.num_nodes; ++n) {
    if (graph.nodes[n].scratch_bytes == 0) continue;
    requests[live] = BufferRequest{static_cast<uint32_t>(AlignUp(graph.nodes[n].scratch_bytes, kArenaAlignment)), n, n, 0};
    ids[live] = graph.num_tensors + n;
    ++live;
  }
  size_t head = PlanBuffers(requests, live, order);
  if (head > allocator.free_bytes()) return allocator.TooSmall(head);
  for (int32_t i = 0; i < live; ++i) {
    uint8_t* place = allocator.head() + requests[i].offset;
    if (ids[i] < graph.num_tensors) {
      graph.tensors[ids[i]].data.raw = place;
    } else {
      graph.nodes[ids[i] - graph.num_tensors].scratch = place;
    }
  }
  size_t peak = head > record_bytes ? head : record_bytes;
  if (allocator.temporary_peak_bytes() > peak) peak = allocator.temporary_peak_bytes();
  *used_bytes = AlignUp(peak, kArenaAlignment) + allocator.persistent_bytes();
  return Status::Ok();
}

}  // namespace tpw
