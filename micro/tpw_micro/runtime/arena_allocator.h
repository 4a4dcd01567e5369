// ArenaAllocator: splits the caller's arena into a planned head and a persistent tail.
//
//   arena_start (aligned)                                       arena_end
//   | head: planned tensors (offsets from head()) | free | tail: persistent |
//
// Persistent allocations (Tensor records, nodes, kernel op data) grow down
// from the end and live as long as the interpreter. The head is sized by the
// memory planner after every kernel has been prepared. Until then, a kernel's
// Prepare may borrow temporary memory from the start of the free middle
// (TFLM's temp allocations), given back when that Prepare returns.
#ifndef TPW_MICRO_RUNTIME_ARENA_ALLOCATOR_H_
#define TPW_MICRO_RUNTIME_ARENA_ALLOCATOR_H_

#include <stddef.h>
#include <stdint.h>

#include "status.h"

namespace tpw {

// Alignment of every arena allocation: enough for int64/double elements.
constexpr size_t kArenaAlignment = 8;

inline size_t AlignUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

class ArenaAllocator {
 public:
  ArenaAllocator(uint8_t* arena, size_t size);

  // `bytes` from the tail, kArenaAlignment-aligned and zero-filled.
  Status AllocatePersistent(size_t bytes, void** out);
  // Typed convenience for AllocatePersistent(count * sizeof(T)).
  template <typename T>
  Status AllocateArray(size_t count, T** out) {
    if (count > SIZE_MAX / sizeof(T)) return TooSmall(SIZE_MAX);
    void* memory = nullptr;
    TPW_RETURN_IF_ERROR(AllocatePersistent(count * sizeof(T), &memory));
    *out = static_cast<T*>(memory);
    return Status::Ok();
  }

  // `bytes` at the start of the free middle, kArenaAlignment-aligned, valid
  // until ResetTemporary() (the interpreter calls it after every Prepare).
  Status AllocateTemporary(size_t bytes, void** out);
  void ResetTemporary() { temporary_ = 0; }
  // Most bytes temporary allocations held at once: planned-head room the
  // smallest arena needs even when the plan itself needs less.
  size_t temporary_peak_bytes() const { return temporary_peak_; }

  // Start of the head region and the bytes free between head (and any
  // temporary allocations) and tail.
  uint8_t* head() const { return head_; }
  size_t free_bytes() const { return static_cast<size_t>(tail_ - head_) - temporary_; }
  // Bytes used so far by the tail plus those lost aligning the arena start.
  size_t persistent_bytes() const { return static_cast<size_t>(end_ - tail_) + skipped_; }
  Status TooSmall(size_t requested) const;

 private:
  uint8_t* head_;
  uint8_t* tail_;
  uint8_t* end_;
  size_t skipped_;
  size_t temporary_;       // bytes held by temporary allocations now
  size_t temporary_peak_;  // the most ever held at once
};

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_ARENA_ALLOCATOR_H_
