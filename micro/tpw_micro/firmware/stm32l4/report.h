/* The machine-readable UART lines (format in README.md). Each call writes one
 * whole line ending in "\n". */
#ifndef TPW_STM32L4_REPORT_H_
#define TPW_STM32L4_REPORT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses: the code in `TPW STATUS <code> <message>` and the semihosting exit status. */
enum tpw_run_status {
  TPW_RUN_OK = 0,
  TPW_RUN_ALLOCATE_FAILED = 1, /* AllocateTensors() returned an error */
  TPW_RUN_BAD_INPUTS = 2,      /* embedded inputs are not a whole number of input tensors */
  TPW_RUN_INVOKE_FAILED = 3,   /* Invoke() returned an error */
  TPW_RUN_FAULT = 4,           /* HardFault / unexpected exception */
};

/* `TPW READY sysclk=<hz> inputs=<n> arena_used=<bytes> arena_size=<bytes>` */
void report_ready(uint32_t sysclk_hz, uint32_t inputs, uint32_t arena_used, uint32_t arena_size);

/* `TPW OUT <index> <v0>,<v1>,...` (int8 values in decimal) */
void report_output(uint32_t index, const int8_t *values, size_t count);

/* `TPW SPIN <index> <n>` (calibration harness only) */
void report_spin(uint32_t index, uint32_t n);

/* `TPW STATUS <code> <message>`, then ends the run with exit status `code`. */
void report_status_and_exit(int code, const char *message) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* TPW_STM32L4_REPORT_H_ */
