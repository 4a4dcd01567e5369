// libFuzzer target: arbitrary bytes as a model, then one Invoke() on inputs
// filled from the same bytes. Any crash, sanitizer report or out-of-arena
// access is a bug; error statuses are the expected outcome for junk.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "micro_interpreter.h"

namespace {
constexpr size_t kArenaSize = 1u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exact-size heap buffer so ASan sees reads past the model's end.
  uint8_t* model = static_cast<uint8_t*>(malloc(size > 0 ? size : 1));
  uint8_t* arena = static_cast<uint8_t*>(malloc(kArenaSize));
  if (model == nullptr || arena == nullptr) abort();
  memcpy(model, data, size);
  {
    tpw::AllOpsResolver resolver;
    tpw::MicroInterpreter interpreter(model, size, resolver, arena, kArenaSize);
    if (interpreter.AllocateTensors().ok()) {
      for (size_t i = 0; i < interpreter.inputs_size(); ++i) {
        tpw::Tensor* input = interpreter.input(i);
        for (size_t b = 0; b < input->bytes; ++b) static_cast<uint8_t*>(input->data.raw)[b] = data[b % size];
      }
      interpreter.Invoke();
    }
  }
  free(arena);
  free(model);
  return 0;
}
