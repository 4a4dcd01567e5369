/* Fault harness: proves that an exception ends the run with `TPW STATUS 4`, also
 * inside a measured region (which then never gets its `TPW INSTR` line).
 *
 * UDF is permanently undefined; with no UsageFault handler enabled the
 * UsageFault escalates to HardFault, which startup.c reports. */
#include "board.h"
#include "markers.h"
#include "report.h"

int main(void) {
  board_uart_init(board_clock_init());
  tpw_marker_begin();
  __asm__ volatile("udf #0");
  tpw_marker_end();
  return TPW_RUN_OK;
}
