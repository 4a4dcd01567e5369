// Greedy arena planner: tensors whose lifetimes do not overlap share memory.
//
// Same strategy as TFLM's GreedyMemoryPlanner: buffers are placed largest
// first, each at the lowest offset where it does not overlap (in address
// range) any already-placed buffer that is alive during some common node.
#ifndef TPW_MICRO_RUNTIME_MEMORY_PLANNER_H_
#define TPW_MICRO_RUNTIME_MEMORY_PLANNER_H_

#include <stddef.h>
#include <stdint.h>

namespace tpw {

struct BufferRequest {
  uint32_t size;       // bytes, already aligned
  int32_t first_use;   // index of the first node that writes or reads it
  int32_t last_use;    // index of the last node that reads it
  uint32_t offset;     // result: byte offset from the head of the arena
};

// Places `count` buffers; `order` is caller-provided scratch of `count`
// entries. Returns the head size (end of the highest buffer).
size_t PlanBuffers(BufferRequest* buffers, int32_t count, int32_t* order);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_MEMORY_PLANNER_H_
