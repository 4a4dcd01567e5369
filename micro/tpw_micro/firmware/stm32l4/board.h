/* Board support for the STM32L475VG (B-L475E-IOT01A): clock, console UART, run exit.
 *
 * Everything here is polled: no interrupt is ever enabled, so nothing runs between
 * the instruction-count markers except the code being measured.
 */
#ifndef TPW_STM32L4_BOARD_H_
#define TPW_STM32L4_BOARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Switch SYSCLK from the 4 MHz reset MSI to the 80 MHz PLL (MSI x 40 / 2) with
 * 4 flash wait states. Every wait on a ready flag is bounded; returns the SYSCLK
 * frequency actually selected (80000000, or 4000000 if the PLL never locked). */
uint32_t board_clock_init(void);

/* USART1 (PB6 TX / PB7 RX, AF7; the ST-LINK virtual COM port) at 115200 8N1
 * for a SYSCLK of `sysclk_hz`. */
void board_uart_init(uint32_t sysclk_hz);

/* Blocking write of `len` bytes to USART1. */
void board_uart_write(const char *data, size_t len);

/* End the run: semihosting SYS_EXIT_EXTENDED with `code` as the exit status
 * (QEMU exits with it). On a board without a debugger the BKPT escalates to a
 * HardFault and the core locks up, which also ends the run. */
void board_exit(int code) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* TPW_STM32L4_BOARD_H_ */
