// Status: the result of every runtime call that can fail.
//
// A Status is a code plus a readable message held in a fixed-size buffer
// inside the object (no heap, no static constructors). Messages are built by
// appending string pieces and integers, e.g.
//   return Status::Error(StatusCode::kInvalidModel).Add("tensor ").Add(i).Add(": no shape");
// and are truncated (never overflowed) at kMessageCapacity - 1 characters.
#ifndef TPW_MICRO_RUNTIME_STATUS_H_
#define TPW_MICRO_RUNTIME_STATUS_H_

#include <stddef.h>
#include <stdint.h>

namespace tpw {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidModel,    // the flatbuffer is malformed or inconsistent
  kUnsupported,     // a valid model uses an op, type or shape we do not run
  kArenaTooSmall,   // the caller's arena cannot hold the planned tensors
  kInvalidArgument, // a bad argument to the API (null pointer, index out of range)
  kNotReady,        // Invoke()/input() before a successful AllocateTensors()
  kEvalFailed,      // a kernel could not compute its output (e.g. empty pooling window)
};

// Name of a code, e.g. "invalid model"; never null.
const char* StatusCodeName(StatusCode code);

class Status {
 public:
  static constexpr size_t kMessageCapacity = 128;

  static Status Ok() { return Status(StatusCode::kOk); }
  static Status Error(StatusCode code) { return Status(code); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // NUL-terminated message; "ok" on success.
  const char* message() const { return ok() ? "ok" : message_; }

  // Append a piece to the message (chainable; truncates at capacity).
  Status& Add(const char* text);
  Status& Add(int32_t value);

 private:
  explicit Status(StatusCode code) : code_(code), length_(0) { message_[0] = '\0'; }

  StatusCode code_;
  uint8_t length_;
  char message_[kMessageCapacity];
};

}  // namespace tpw

// Return early from the enclosing function when `expr` yields a failed Status.
#define TPW_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::tpw::Status tpw_status_ = (expr);    \
    if (!tpw_status_.ok()) return tpw_status_; \
  } while (0)

#endif  // TPW_MICRO_RUNTIME_STATUS_H_
