// A bounds-checked reader for the flatbuffer wire format (the parts TFLite uses).
//
// Every accessor validates what it dereferences against the buffer, the way the
// flatbuffers Verifier does: a table's vtable offset, the vtable's length and
// each field slot, every uoffset and every vector length. A malformed buffer
// yields an error Status naming the problem, never an out-of-bounds read.
// Multi-byte values are read with memcpy (little-endian host and target), so
// the reader itself has no alignment requirement.
#ifndef TPW_MICRO_RUNTIME_FLATBUFFER_H_
#define TPW_MICRO_RUNTIME_FLATBUFFER_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "status.h"

namespace tpw {
namespace fb {

// Largest model we accept: uoffsets are 32-bit and positions must not wrap.
constexpr size_t kMaxBufferSize = 0x7FFFFFFF;

template <typename T>
inline T Load(const uint8_t* p) {
  T value;
  memcpy(&value, p, sizeof(T));
  return value;
}

class Table;

// A vector of `length` elements of `element_size` bytes at buffer offset `start`.
class Vector {
 public:
  Vector() : buf_(nullptr), size_(0), start_(0), length_(0), element_size_(0) {}
  Vector(const uint8_t* buf, size_t size, size_t start, uint32_t length, size_t element_size)
      : buf_(buf), size_(size), start_(start), length_(length), element_size_(element_size) {}

  uint32_t length() const { return length_; }
  // Address of element 0 (the length word is just before it).
  const uint8_t* data() const { return buf_ + start_; }
  // Element `i` as a scalar; callers check i < length().
  template <typename T>
  T Get(uint32_t i) const {
    return Load<T>(buf_ + start_ + static_cast<size_t>(i) * sizeof(T));
  }
  // Element `i` of a vector of tables.
  Status TableAt(uint32_t i, Table* out) const;

 private:
  const uint8_t* buf_;
  size_t size_;
  size_t start_;
  uint32_t length_;
  size_t element_size_;
};

// A table whose vtable has been checked to lie inside the buffer.
class Table {
 public:
  Table() : buf_(nullptr), size_(0), pos_(0), vtable_(0), vtable_size_(0), inline_size_(0) {}

  // Opens the table at buffer offset `pos`.
  static Status Open(const uint8_t* buf, size_t size, size_t pos, Table* out);
  // Opens the root table of a whole buffer (uoffset at byte 0).
  static Status OpenRoot(const uint8_t* buf, size_t size, Table* out);

  bool valid() const { return buf_ != nullptr; }
  bool Has(int field) const { return FieldOffset(field) != 0; }

  // Scalar field (int8..int64, float): `fallback` when absent; error when the
  // slot does not fit in the table's inline data.
  template <typename T>
  Status Scalar(int field, T fallback, T* out) const {
    size_t offset = FieldOffset(field);
    if (offset == 0) {
      *out = fallback;
      return Status::Ok();
    }
    if (offset + sizeof(T) > inline_size_) return FieldError(field, "scalar outside its table");
    *out = Load<T>(buf_ + pos_ + offset);
    return Status::Ok();
  }
  // Sub-table field; `out` is left invalid when the field is absent.
  Status SubTable(int field, Table* out) const;
  // Vector field of `element_size`-byte elements (4 for offsets to tables);
  // an absent field gives an empty vector.
  Status VectorField(int field, size_t element_size, Vector* out) const;

 private:
  size_t FieldOffset(int field) const;
  Status FieldError(int field, const char* what) const;
  Status Follow(int field, size_t* target) const;

  const uint8_t* buf_;
  size_t size_;
  size_t pos_;
  size_t vtable_;
  size_t vtable_size_;
  size_t inline_size_;
};

}  // namespace fb
}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_FLATBUFFER_H_
