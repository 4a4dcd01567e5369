/* Calibration harness: proves the instruction counter on a loop whose length is
 * known from its code alone.
 *
 * tpw_spin(n) executes exactly 2 * n + 1 instructions (n x {subs, bne}, then bx lr;
 * written in assembly so no compiler can change it). Region i spins
 * kSpins[i] times and prints `TPW SPIN <i> <kSpins[i]>`, so INSTR[i] - INSTR[0]
 * must equal 2 * (kSpins[i] - kSpins[0]).
 */
#include <stdint.h>

#include "board.h"
#include "markers.h"
#include "report.h"

uint32_t tpw_spin(uint32_t n);
__asm__(
    ".syntax unified\n"
    ".thumb\n"
    ".section .text.tpw_spin,\"ax\",%progbits\n"
    ".global tpw_spin\n"
    ".type tpw_spin, %function\n"
    ".thumb_func\n"
    "tpw_spin:\n"
    "1: subs r0, r0, #1\n"
    "   bne 1b\n"
    "   bx lr\n"
    ".size tpw_spin, . - tpw_spin\n");

static const uint32_t kSpins[] = {1u, 1000u, 250000u};

int main(void) {
  uint32_t sysclk = board_clock_init();
  board_uart_init(sysclk);
  uint32_t count = sizeof(kSpins) / sizeof(kSpins[0]);
  report_ready(sysclk, count, 0, 0);
  for (uint32_t i = 0; i < count; ++i) {
    tpw_marker_begin();
    tpw_spin(kSpins[i]);
    tpw_marker_end();
    report_spin(i, kSpins[i]);
  }
  return TPW_RUN_OK;
}
