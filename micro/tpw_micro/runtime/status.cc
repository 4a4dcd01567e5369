#include "status.h"

namespace tpw {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidModel: return "invalid model";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kArenaTooSmall: return "arena too small";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotReady: return "not ready";
    case StatusCode::kEvalFailed: return "eval failed";
  }
  return "unknown status";
}

Status Status::Error(StatusCode code, const char* format, ...) {
  Status status(code);
  va_list args;
  va_start(args, format);
  status.AppendV(format, args);
  va_end(args);
  return status;
}

void Status::AppendV(const char* format, va_list args) {
  for (const char* f = format; *f != '\0'; ++f) {
    if (*f != '%') {
      const char text[2] = {*f, '\0'};
      Append(text);
    } else if (f[1] == 'd') {
      Append(static_cast<int32_t>(va_arg(args, int32_t))), ++f;
    } else if (f[1] == 's') {
      Append(va_arg(args, const char*)), ++f;
    } else if (f[1] == '%') {
      Append("%"), ++f;
    }
  }
}

void Status::Append(const char* text) {
  if (text == nullptr) text = "(null)";
  while (*text != '\0' && length_ + 1u < kMessageCapacity) message_[length_++] = *text++;
  message_[length_] = '\0';
}

void Status::Append(int32_t value) {
  // Digits are produced in reverse into a small buffer; int32 needs at most 11 chars.
  char digits[12];
  int n = 0;
  uint32_t magnitude = value < 0 ? 0u - static_cast<uint32_t>(value) : static_cast<uint32_t>(value);
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10u);
    magnitude /= 10u;
  } while (magnitude != 0u);
  if (value < 0) digits[n++] = '-';
  char text[12];
  for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  Append(text);
}

}  // namespace tpw
