// Liveness planning: which nodes use each tensor, and where in the arena head
// its buffer goes.
//
// A tensor lives from the node that writes it (node 0 for subgraph inputs) to
// the last node that reads it (past the last node for subgraph outputs);
// constant and unused tensors get no arena memory. A node's scratch
// (NodeContext::RequestScratch) lives while that node runs. The greedy
// placement of the live buffers is memory_planner.h's.
#ifndef TPW_MICRO_RUNTIME_LIVENESS_H_
#define TPW_MICRO_RUNTIME_LIVENESS_H_

#include <stddef.h>

#include "arena_allocator.h"
#include "status.h"
#include "subgraph.h"

namespace tpw {

// Points every live tensor and node scratch of `graph` at its planned place in
// the arena head and sets `used_bytes` to head + tail: the smallest arena the
// model runs in.
// Needs every tensor's size, i.e. every kernel prepared.
Status PlanTensorMemory(const Subgraph& graph, ArenaAllocator& allocator, size_t* used_bytes);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_LIVENESS_H_
