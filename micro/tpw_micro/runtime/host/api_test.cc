// Checks of the C++ API contract that the Python-driven parity tests cannot
// reach: states, argument errors, resolver capacity, message truncation.
//   api_test MODEL.tflite   -> prints one line per failed check, exits 1 if any
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernel_util.h"
#include "micro_interpreter.h"

namespace {

int failures = 0;

void Check(bool condition, const char* what) {
  if (!condition) {
    printf("FAILED: %s\n", what);
    ++failures;
  }
}

void CheckInterpreterStates(const uint8_t* model, size_t size) {
  tpw::AllOpsResolver resolver;
  static uint8_t arena[4 << 20];
  tpw::MicroInterpreter interpreter(model, size, resolver, arena, sizeof(arena));
  Check(interpreter.input(0) == nullptr, "input(0) is null before AllocateTensors");
  Check(interpreter.arena_used_bytes() == 0, "arena_used_bytes is 0 before AllocateTensors");
  Check(interpreter.Invoke().code() == tpw::StatusCode::kNotReady, "Invoke before AllocateTensors is kNotReady");
  Check(interpreter.AllocateTensors().ok(), "AllocateTensors succeeds");
  const size_t used = interpreter.arena_used_bytes();
  Check(used > 0 && used <= sizeof(arena), "arena_used_bytes within the arena");
  Check(interpreter.input(interpreter.inputs_size()) == nullptr, "input() out of range is null");
  Check(interpreter.output(interpreter.outputs_size()) == nullptr, "output() out of range is null");
  Check(interpreter.Invoke().ok(), "Invoke succeeds");
  Check(interpreter.AllocateTensors().ok() && interpreter.arena_used_bytes() == used,
        "AllocateTensors again gives the same plan");
}

void CheckArgumentErrors(const uint8_t* model, size_t size) {
  tpw::AllOpsResolver resolver;
  static uint8_t arena[1 << 16];
  tpw::MicroInterpreter null_model(nullptr, size, resolver, arena, sizeof(arena));
  Check(null_model.AllocateTensors().code() == tpw::StatusCode::kInvalidArgument, "null model is kInvalidArgument");
  tpw::MicroInterpreter null_arena(model, size, resolver, nullptr, 0);
  Check(null_arena.AllocateTensors().code() == tpw::StatusCode::kInvalidArgument, "null arena is kInvalidArgument");
  uint8_t* shifted = static_cast<uint8_t*>(malloc(size + 1));
  memcpy(shifted + 1, model, size);
  tpw::MicroInterpreter misaligned(shifted + 1, size, resolver, arena, sizeof(arena));
  tpw::Status status = misaligned.AllocateTensors();
  Check(status.code() == tpw::StatusCode::kInvalidArgument && strstr(status.message(), "aligned") != nullptr,
        "misaligned model is kInvalidArgument naming alignment");
  free(shifted);
  tpw::MicroInterpreter tiny_arena(model, size, resolver, arena, 64);
  Check(tiny_arena.AllocateTensors().code() == tpw::StatusCode::kArenaTooSmall, "64-byte arena is kArenaTooSmall");
}

void CheckResolver() {
  tpw::OpResolver resolver;
  Check(resolver.AddBuiltin(tpw::BuiltinOperator::kAdd, tpw::Register_ADD()).ok(), "first registration");
  Check(!resolver.AddBuiltin(tpw::BuiltinOperator::kAdd, tpw::Register_ADD()).ok(), "duplicate registration fails");
  Check(!resolver.AddBuiltin(tpw::BuiltinOperator::kMul, nullptr).ok(), "null registration fails");
  int added = 1;
  for (int32_t code = 200; added < tpw::OpResolver::kCapacity; ++code, ++added) {
    resolver.AddBuiltin(static_cast<tpw::BuiltinOperator>(code), tpw::Register_ADD());
  }
  Check(!resolver.AddBuiltin(tpw::BuiltinOperator::kMul, tpw::Register_MUL()).ok(), "a full resolver refuses more");
  Check(resolver.Find(static_cast<int32_t>(tpw::BuiltinOperator::kAdd)) == tpw::Register_ADD(), "Find returns it");
  Check(resolver.Find(12345) == nullptr, "Find of an unknown code is null");
}

void CheckStatusMessages() {
  char text[501];
  memset(text, 'x', sizeof(text) - 1);
  text[sizeof(text) - 1] = '\0';
  tpw::Status status = tpw::Status::Error(tpw::StatusCode::kInvalidModel, "%s%d", text, 7);
  Check(strlen(status.message()) == tpw::Status::kMessageCapacity - 1, "long messages are truncated");
  tpw::Status number = tpw::Status::Error(tpw::StatusCode::kInvalidModel, "%d %d%% of %s", INT32_MIN, 0, "all");
  Check(strcmp(number.message(), "-2147483648 0% of all") == 0, "integers, %% and strings are formatted");
  Check(strcmp(tpw::Status::Ok().message(), "ok") == 0, "ok message");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: api_test MODEL.tflite\n");
    return 2;
  }
  FILE* file = fopen(argv[1], "rb");
  if (file == nullptr) return 2;
  static uint8_t model[1 << 22];  // static storage: 4-byte aligned
  const size_t size = fread(model, 1, sizeof(model), file);
  fclose(file);
  CheckInterpreterStates(model, size);
  CheckArgumentErrors(model, size);
  CheckResolver();
  CheckStatusMessages();
  printf(failures == 0 ? "ok\n" : "%d checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}
