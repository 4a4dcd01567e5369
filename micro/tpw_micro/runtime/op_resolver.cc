#include "op_resolver.h"

#include <string.h>

namespace tpw {
namespace {

constexpr int kOpCodeCustomCode = 1;  // OperatorCode.custom_code (TFLite schema)

}  // namespace

Status OpResolver::AddBuiltin(BuiltinOperator op, const OpRegistration* registration) {
  return Add(static_cast<int32_t>(op), nullptr, registration);
}

Status OpResolver::AddCustom(const char* name, const OpRegistration* registration) {
  if (name == nullptr) return Status::Error(StatusCode::kInvalidArgument, "null custom operator name");
  return Add(kCustomOperatorCode, name, registration);
}

Status OpResolver::Add(int32_t code, const char* custom_name, const OpRegistration* registration) {
  if (registration == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "null registration for builtin %d", code);
  }
  for (int i = 0; i < count_; ++i) {
    const bool same_name = custom_name == nullptr ? entries_[i].custom_name == nullptr
        : entries_[i].custom_name != nullptr && strcmp(entries_[i].custom_name, custom_name) == 0;
    if (entries_[i].code == code && same_name) {
      if (custom_name != nullptr) {
        return Status::Error(StatusCode::kInvalidArgument, "custom operator %s registered twice", custom_name);
      }
      return Status::Error(StatusCode::kInvalidArgument, "builtin %d registered twice", code);
    }
  }
  if (count_ == kCapacity) {
    return Status::Error(StatusCode::kInvalidArgument, "op resolver full (capacity %d)", kCapacity);
  }
  entries_[count_++] = Entry{code, custom_name, registration};
  return Status::Ok();
}

const OpRegistration* OpResolver::Find(int32_t builtin_code) const {
  for (int i = 0; i < count_; ++i) {
    if (entries_[i].code == builtin_code && entries_[i].custom_name == nullptr) return entries_[i].registration;
  }
  return nullptr;
}

Status OpResolver::Lookup(const fb::Table& opcode, int32_t code, const OpRegistration** out) const {
  *out = nullptr;
  if (code != kCustomOperatorCode) {
    *out = Find(code);
    return Status::Ok();
  }
  // A flatbuffer string is a byte vector followed by a NUL the reader does not
  // check, so names are compared by length and bytes.
  fb::Vector name;
  TPW_RETURN_IF_ERROR(opcode.VectorField(kOpCodeCustomCode, 1, &name));
  for (int i = 0; i < count_; ++i) {
    const char* registered = entries_[i].custom_name;
    if (registered != nullptr && strlen(registered) == name.length() &&
        memcmp(registered, name.data(), name.length()) == 0) {
      *out = entries_[i].registration;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace tpw
