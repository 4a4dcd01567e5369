#include "op_resolver.h"

namespace tpw {

Status OpResolver::AddBuiltin(BuiltinOperator op, const OpRegistration* registration) {
  int32_t code = static_cast<int32_t>(op);
  if (registration == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument).Add("null registration for builtin ").Add(code);
  }
  if (Find(code) != nullptr) {
    return Status::Error(StatusCode::kInvalidArgument).Add("builtin ").Add(code).Add(" registered twice");
  }
  if (count_ == kCapacity) {
    return Status::Error(StatusCode::kInvalidArgument).Add("op resolver full (capacity ").Add(kCapacity).Add(")");
  }
  entries_[count_++] = Entry{code, registration};
  return Status::Ok();
}

const OpRegistration* OpResolver::Find(int32_t builtin_code) const {
  for (int i = 0; i < count_; ++i) {
    if (entries_[i].code == builtin_code) return entries_[i].registration;
  }
  return nullptr;
}

}  // namespace tpw
