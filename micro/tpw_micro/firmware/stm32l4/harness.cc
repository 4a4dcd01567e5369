// Model harness: runs the embedded model on every embedded input and reports on USART1.
//
// Embedded data (arrays exactly as `xxd -i` prints them, moved to flash by the
// Makefile): model_tflite[] is the .tflite flatbuffer; inputs_bin[] holds N int8
// input tensors back to back, N = inputs_bin_len / input(0)->bytes.
//
// Per input i: copy it into input(0), Invoke() between the two instruction-count
// markers, print `TPW OUT i ...` from output(0). Line format: README.md.
#include <string.h>

#include "board.h"
#include "markers.h"
#include "micro_interpreter.h"
#include "model_resolver.h"
#include "op_resolver.h"
#include "report.h"
#include "status.h"
#include "tensor.h"

extern "C" {
extern unsigned char model_tflite[];
extern unsigned int model_tflite_len;
extern unsigned char inputs_bin[];
extern unsigned int inputs_bin_len;

// Global, not on the stack: the arena is the bulk of SRAM1 and shows up in .bss
// (and by this name in the symbol table, where tpw-sim reads its size).
alignas(16) uint8_t tpw_arena[TPW_ARENA_SIZE];
}

namespace {

[[noreturn]] void Fail(tpw_run_status code, const tpw::Status& status) {
  report_status_and_exit(code, status.message());
}

tpw::Status CheckTensorIsInt8(const tpw::Tensor* tensor, const char* role) {
  if (tensor == nullptr) {
    return tpw::Status::Error(tpw::StatusCode::kInvalidArgument, "model has no %s", role);
  }
  if (tensor->type != tpw::TensorType::kInt8) {
    return tpw::Status::Error(tpw::StatusCode::kUnsupported, "%s type %s: the harness feeds and prints int8",
        role, tpw::TensorTypeName(tensor->type));
  }
  return tpw::Status::Ok();
}

}  // namespace

int main() {
  const uint32_t sysclk_hz = board_clock_init();
  board_uart_init(sysclk_hz);

  // Only the model's ops (model_resolver.h), so no other kernel is linked.
  tpw::OpResolver resolver;
  tpw::Status status = tpw::AddModelOps(&resolver);
  if (!status.ok()) Fail(TPW_RUN_ALLOCATE_FAILED, status);
  tpw::MicroInterpreter interpreter(model_tflite, model_tflite_len, resolver, tpw_arena,
                                    sizeof(tpw_arena));
  status = interpreter.AllocateTensors();
  if (!status.ok()) Fail(TPW_RUN_ALLOCATE_FAILED, status);

  tpw::Tensor* input = interpreter.input(0);
  const tpw::Tensor* output = interpreter.output(0);
  status = CheckTensorIsInt8(input, "input 0");
  if (!status.ok()) Fail(TPW_RUN_BAD_INPUTS, status);
  status = CheckTensorIsInt8(output, "output 0");
  if (!status.ok()) Fail(TPW_RUN_ALLOCATE_FAILED, status);

  const size_t input_bytes = input->bytes;
  if (input_bytes == 0 || inputs_bin_len % input_bytes != 0) {
    Fail(TPW_RUN_BAD_INPUTS, tpw::Status::Error(tpw::StatusCode::kInvalidArgument,
        "inputs: %d bytes is not a whole number of %d-byte input tensors",
        static_cast<int32_t>(inputs_bin_len), static_cast<int32_t>(input_bytes)));
  }
  const uint32_t count = inputs_bin_len / input_bytes;
  report_ready(sysclk_hz, count, interpreter.arena_used_bytes(), sizeof(tpw_arena));

  for (uint32_t i = 0; i < count; ++i) {
    memcpy(input->data.int8, inputs_bin + i * input_bytes, input_bytes);
    tpw_marker_begin();
    status = interpreter.Invoke();
    tpw_marker_end();
    if (!status.ok()) Fail(TPW_RUN_INVOKE_FAILED, status);
    report_output(i, output->data.int8, output->bytes);
  }
  return TPW_RUN_OK;
}
