#include "memory_planner.h"

namespace tpw {
namespace {

bool LifetimesOverlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

// Lowest offset for `buffer` clear of every placed, live-at-the-same-time buffer.
// The answer is 0 or the end of one of those buffers, so only those are tried.
uint32_t LowestFreeOffset(const BufferRequest* buffers, const int32_t* placed, int32_t num_placed,
                          const BufferRequest& buffer) {
  uint32_t best = UINT32_MAX;
  for (int32_t c = -1; c < num_placed; ++c) {
    uint32_t candidate = 0;
    if (c >= 0) {
      const BufferRequest& other = buffers[placed[c]];
      if (!LifetimesOverlap(other, buffer)) continue;
      candidate = other.offset + other.size;
    }
    if (candidate >= best) continue;
    bool clear = true;
    for (int32_t p = 0; p < num_placed && clear; ++p) {
      const BufferRequest& other = buffers[placed[p]];
      clear = !LifetimesOverlap(other, buffer) || candidate + buffer.size <= other.offset ||
              other.offset + other.size <= candidate;
    }
    if (clear) best = candidate;
  }
  return best;
}

}  // namespace

size_t PlanBuffers(BufferRequest* buffers, int32_t count, int32_t* order) {
  // Insertion sort by size, largest first; ties keep tensor order (stable).
  for (int32_t i = 0; i < count; ++i) {
    int32_t j = i;
    while (j > 0 && buffers[order[j - 1]].size < buffers[i].size) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = i;
  }
  size_t head = 0;
  for (int32_t n = 0; n < count; ++n) {
    BufferRequest& buffer = buffers[order[n]];
    buffer.offset = LowestFreeOffset(buffers, order, n, buffer);
    size_t end = static_cast<size_t>(buffer.offset) + buffer.size;
    if (end > head) head = end;
  }
  return head;
}

}  // namespace tpw
