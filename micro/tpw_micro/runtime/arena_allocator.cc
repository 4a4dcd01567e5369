#include "arena_allocator.h"

#include <string.h>

namespace tpw {

ArenaAllocator::ArenaAllocator(uint8_t* arena, size_t size)
    : head_(arena), tail_(arena), end_(arena), skipped_(0), temporary_(0), temporary_peak_(0) {
  if (arena == nullptr) return;
  uintptr_t start = reinterpret_cast<uintptr_t>(arena);
  size_t skip = AlignUp(start, kArenaAlignment) - start;
  if (skip > size) return;
  // The tail grows down from an aligned end, so trim the end as well.
  size_t usable = (size - skip) / kArenaAlignment * kArenaAlignment;
  skipped_ = skip + (size - skip - usable);
  head_ = arena + skip;
  end_ = head_ + usable;
  tail_ = end_;
}

Status ArenaAllocator::TooSmall(size_t requested) const {
  return Status::Error(StatusCode::kArenaTooSmall, "arena too small: needs %d more bytes, %d free",
      static_cast<int32_t>(requested > INT32_MAX ? INT32_MAX : requested), static_cast<int32_t>(free_bytes()));
}

Status ArenaAllocator::AllocatePersistent(size_t bytes, void** out) {
  size_t aligned = AlignUp(bytes, kArenaAlignment);
  if (aligned < bytes || aligned > free_bytes()) return TooSmall(bytes);
  tail_ -= aligned;
  memset(tail_, 0, aligned);
  *out = tail_;
  return Status::Ok();
}

Status ArenaAllocator::AllocateTemporary(size_t bytes, void** out) {
  size_t aligned = AlignUp(bytes, kArenaAlignment);
  if (aligned < bytes || aligned > free_bytes()) return TooSmall(bytes);
  *out = head_ + temporary_;
  temporary_ += aligned;
  if (temporary_ > temporary_peak_) temporary_peak_ = temporary_;
  return Status::Ok();
}

}  // namespace tpw
