// Host driver for the runtime, used by tpw_micro.host_runtime.
//
//   tpw_micro_run MODEL.tflite [--arena BYTES]                 describe the model
//   tpw_micro_run MODEL.tflite IN.bin OUT.bin [--arena BYTES]  run every sample
//
// IN.bin holds N samples, each the raw bytes of every input tensor in order;
// OUT.bin receives, per sample, the raw bytes of every output in order. The
// description (stdout) is line based:
//   arena_used_bytes <n>
//   arena_persistent_bytes <n>   (of those, the persistent tail)
//   input|output <index> <type> <scale> <zero_point> <rank> <dims...>
//   kernel <node> <name>         (the kernel variant a node's Prepare chose, if the op has several)
// Any failure prints "error: <message>" on stderr and exits with status 1, or 3 when
// the model is well formed but uses an op, type or shape this runtime does not run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_interpreter.h"

namespace {

constexpr int kUnsupportedExit = 3;

int Fail(const char* message, const char* detail = "") {
  fprintf(stderr, "error: %s%s\n", message, detail);
  return 1;
}

// Reads a whole file into a malloc'd (16-byte aligned) buffer.
bool ReadFile(const char* path, uint8_t** data, size_t* size) {
  FILE* file = fopen(path, "rb");
  if (file == nullptr) return false;
  bool ok = fseek(file, 0, SEEK_END) == 0;
  long length = ok ? ftell(file) : -1;
  ok = ok && length >= 0 && fseek(file, 0, SEEK_SET) == 0;
  *data = ok ? static_cast<uint8_t*>(malloc(length > 0 ? static_cast<size_t>(length) : 1)) : nullptr;
  ok = *data != nullptr && fread(*data, 1, static_cast<size_t>(length), file) == static_cast<size_t>(length);
  fclose(file);
  *size = static_cast<size_t>(length);
  return ok;
}

void Describe(const char* kind, size_t index, const tpw::Tensor* tensor) {
  printf("%s %zu %s %.9g %d %d", kind, index, tpw::TensorTypeName(tensor->type),
         static_cast<double>(tensor->params.scale), static_cast<int>(tensor->params.zero_point),
         static_cast<int>(tensor->dims->size));
  for (int32_t d = 0; d < tensor->dims->size; ++d) printf(" %d", static_cast<int>(tensor->dims->data[d]));
  printf("\n");
}

int Run(tpw::MicroInterpreter& interpreter, const char* in_path, const char* out_path) {
  size_t sample_in = 0, sample_out = 0;
  for (size_t i = 0; i < interpreter.inputs_size(); ++i) sample_in += interpreter.input(i)->bytes;
  for (size_t i = 0; i < interpreter.outputs_size(); ++i) sample_out += interpreter.output(i)->bytes;
  uint8_t* inputs = nullptr;
  size_t in_size = 0;
  if (!ReadFile(in_path, &inputs, &in_size)) return Fail("cannot read ", in_path);
  if (sample_in == 0 || in_size % sample_in != 0) {
    free(inputs);
    return Fail("input file size is not a multiple of one sample's input bytes: ", in_path);
  }
  FILE* out = fopen(out_path, "wb");
  if (out == nullptr) {
    free(inputs);
    return Fail("cannot write ", out_path);
  }
  int rc = 0;
  for (size_t offset = 0; offset < in_size && rc == 0; offset += sample_in) {
    const uint8_t* cursor = inputs + offset;
    for (size_t i = 0; i < interpreter.inputs_size(); ++i) {
      memcpy(interpreter.input(i)->data.raw, cursor, interpreter.input(i)->bytes);
      cursor += interpreter.input(i)->bytes;
    }
    tpw::Status status = interpreter.Invoke();
    if (!status.ok()) {
      rc = Fail(status.message());
      break;
    }
    for (size_t i = 0; i < interpreter.outputs_size() && rc == 0; ++i) {
      const tpw::Tensor* tensor = interpreter.output(i);
      if (fwrite(tensor->data.raw, 1, tensor->bytes, out) != tensor->bytes) rc = Fail("short write to ", out_path);
    }
  }
  if (fclose(out) != 0 && rc == 0) rc = Fail("cannot write ", out_path);
  free(inputs);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  const char* positional[3] = {nullptr, nullptr, nullptr};
  int count = 0;
  size_t arena_size = 64u << 20;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--arena") == 0 && i + 1 < argc) {
      arena_size = strtoull(argv[++i], nullptr, 10);
    } else if (count < 3) {
      positional[count++] = argv[i];
    } else {
      return Fail("usage: tpw_micro_run MODEL.tflite [IN.bin OUT.bin] [--arena BYTES]");
    }
  }
  if (count != 1 && count != 3) return Fail("usage: tpw_micro_run MODEL.tflite [IN.bin OUT.bin] [--arena BYTES]");
  uint8_t* model = nullptr;
  size_t model_size = 0;
  if (!ReadFile(positional[0], &model, &model_size)) return Fail("cannot read ", positional[0]);
  // Exact-size arena from the heap so ASan catches any access past its end.
  uint8_t* arena = static_cast<uint8_t*>(malloc(arena_size > 0 ? arena_size : 1));
  if (arena == nullptr) return Fail("cannot allocate the arena");
  int rc = 0;
  {
    tpw::AllOpsResolver resolver;
    tpw::MicroInterpreter interpreter(model, model_size, resolver, arena, arena_size);
    tpw::Status status = interpreter.AllocateTensors();
    if (!status.ok()) {
      rc = Fail(status.message()) * (status.code() == tpw::StatusCode::kUnsupported ? kUnsupportedExit : 1);
    } else if (count == 1) {
      printf("arena_used_bytes %zu\n", interpreter.arena_used_bytes());
      printf("arena_persistent_bytes %zu\n", interpreter.arena_persistent_bytes());
      for (size_t i = 0; i < interpreter.inputs_size(); ++i) Describe("input", i, interpreter.input(i));
      for (size_t i = 0; i < interpreter.outputs_size(); ++i) Describe("output", i, interpreter.output(i));
      for (size_t i = 0; i < interpreter.nodes_size(); ++i) {
        if (interpreter.node_kernel(i) != nullptr) printf("kernel %zu %s\n", i, interpreter.node_kernel(i));
      }
    } else {
      rc = Run(interpreter, positional[1], positional[2]);
    }
  }
  free(arena);
  free(model);
  return rc;
}
