#include "flatbuffer.h"

namespace tpw {
namespace fb {
namespace {

Status Malformed(const char* what, size_t pos) {
  return Status::Error(StatusCode::kInvalidModel, "malformed flatbuffer: %s at byte %d",
      what, static_cast<int32_t>(pos));
}

// Follows the uoffset stored at `pos` to an absolute position inside the buffer.
Status FollowUOffset(const uint8_t* buf, size_t size, size_t pos, size_t* target) {
  if (pos > size || size - pos < 4) return Malformed("offset outside the buffer", pos);
  uint32_t offset = Load<uint32_t>(buf + pos);
  if (offset == 0 || offset > size - pos) return Malformed("offset points outside the buffer", pos);
  *target = pos + offset;
  return Status::Ok();
}

// Reads the vector whose length word is at `pos`.
Status ReadVector(const uint8_t* buf, size_t size, size_t pos, size_t element_size, Vector* out) {
  if (pos % 4 != 0) return Malformed("misaligned vector", pos);
  if (size - pos < 4) return Malformed("vector length outside the buffer", pos);
  uint32_t length = Load<uint32_t>(buf + pos);
  size_t available = size - pos - 4;
  if (length > available / element_size) return Malformed("vector longer than the buffer", pos);
  *out = Vector(buf, size, pos + 4, length, element_size);
  return Status::Ok();
}

}  // namespace

Status Vector::TableAt(uint32_t i, Table* out) const {
  if (element_size_ != 4 || i >= length_) return Malformed("table index outside its vector", start_);
  size_t target;
  TPW_RETURN_IF_ERROR(FollowUOffset(buf_, size_, start_ + static_cast<size_t>(i) * 4, &target));
  return Table::Open(buf_, size_, target, out);
}

Status Table::OpenRoot(const uint8_t* buf, size_t size, Table* out) {
  if (buf == nullptr) return Status::Error(StatusCode::kInvalidArgument, "model data is null");
  if (size < 8) return Malformed("buffer shorter than a header", size);
  if (size > kMaxBufferSize) return Malformed("buffer larger than 2 GiB", size);
  size_t root;
  TPW_RETURN_IF_ERROR(FollowUOffset(buf, size, 0, &root));
  return Open(buf, size, root, out);
}

Status Table::Open(const uint8_t* buf, size_t size, size_t pos, Table* out) {
  if (pos % 4 != 0) return Malformed("misaligned table", pos);
  if (pos > size || size - pos < 4) return Malformed("table outside the buffer", pos);
  // The soffset at the table start points (backwards, usually) to its vtable.
  int64_t vtable = static_cast<int64_t>(pos) - Load<int32_t>(buf + pos);
  if (vtable < 0 || vtable % 2 != 0 || static_cast<uint64_t>(vtable) + 4 > size) {
    return Malformed("vtable outside the buffer", pos);
  }
  size_t vt = static_cast<size_t>(vtable);
  uint16_t vtable_size = Load<uint16_t>(buf + vt);
  uint16_t inline_size = Load<uint16_t>(buf + vt + 2);
  if (vtable_size < 4 || vtable_size % 2 != 0 || vtable_size > size - vt) {
    return Malformed("vtable length", vt);
  }
  if (inline_size < 4 || inline_size > size - pos) return Malformed("table length", pos);
  out->buf_ = buf;
  out->size_ = size;
  out->pos_ = pos;
  out->vtable_ = vt;
  out->vtable_size_ = vtable_size;
  out->inline_size_ = inline_size;
  return Status::Ok();
}

size_t Table::FieldOffset(int field) const {
  size_t slot = 4 + 2 * static_cast<size_t>(field);
  if (buf_ == nullptr || field < 0 || slot + 2 > vtable_size_) return 0;
  return Load<uint16_t>(buf_ + vtable_ + slot);
}

Status Table::FieldError(int field, const char* what) const {
  return Status::Error(StatusCode::kInvalidModel, "malformed flatbuffer: %s at byte %d (field %d)", what,
                       static_cast<int32_t>(pos_), field);
}

Status Table::Follow(int field, size_t* target) const {
  size_t offset = FieldOffset(field);
  if (offset + 4 > inline_size_) return FieldError(field, "offset outside its table");
  return FollowUOffset(buf_, size_, pos_ + offset, target);
}

Status Table::SubTable(int field, Table* out) const {
  *out = Table();
  if (!Has(field)) return Status::Ok();
  size_t target;
  TPW_RETURN_IF_ERROR(Follow(field, &target));
  return Open(buf_, size_, target, out);
}

Status Table::VectorField(int field, size_t element_size, Vector* out) const {
  *out = Vector(buf_, size_, 0, 0, element_size);
  if (!Has(field)) return Status::Ok();
  size_t target;
  TPW_RETURN_IF_ERROR(Follow(field, &target));
  return ReadVector(buf_, size_, target, element_size, out);
}

}  // namespace fb
}  // namespace tpw
