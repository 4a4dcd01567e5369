// Status: the result of every runtime call that can fail.
//
// A Status is a code plus a readable message held in a fixed-size buffer
// inside the object (no heap, no static constructors). A message is built
// from one printf-style format, e.g.
//   return Status::Error(StatusCode::kInvalidModel, "tensor %d: no shape", i);
// with the conversions %d (an int32_t or narrower integer), %s (a string; null
// prints "(null)") and %%, and is truncated (never overflowed) at
// kMessageCapacity - 1 characters. One call and one format string in flash per
// message keeps the runtime's code small: the error paths are most of its
// call sites.
#ifndef TPW_MICRO_RUNTIME_STATUS_H_
#define TPW_MICRO_RUNTIME_STATUS_H_

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

// The compiler checks every format against its arguments in host builds, where
// int32_t is int. newlib's Arm int32_t is long, the same 32 bits passed the
// same way, which printf's rules (that the check applies) would flag for %d.
#if defined(__GNUC__) && !defined(__arm__)
#define TPW_PRINTF_FORMAT(format_index, first_arg) __attribute__((format(printf, format_index, first_arg)))
#else
#define TPW_PRINTF_FORMAT(format_index, first_arg)
#endif

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
  static Status Error(StatusCode code, const char* format, ...) TPW_PRINTF_FORMAT(2, 3);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // NUL-terminated message; "ok" on success.
  const char* message() const { return ok() ? "ok" : message_; }

  // Appends `format` with `args` (the conversions above) to the message.
  void AppendV(const char* format, va_list args);

 private:
  explicit Status(StatusCode code) : code_(code), length_(0) { message_[0] = '\0'; }
  void Append(const char* text);
  void Append(int32_t value);

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
