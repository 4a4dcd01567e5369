/* Reset handler and vector table for the STM32L475VG (Cortex-M4F).
 *
 * Built with -ffreestanding: nothing here may call the C library before .data
 * and .bss exist, and the FPU is switched on before any code that may use it.
 */
#include <stdint.h>

#include "report.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

int main(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define CPACR_CP10_CP11_FULL (0xFu << 20)
#define STM32L475_IRQ_COUNT 82

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void);

void Reset_Handler(void) {
  SCB_CPACR |= CPACR_CP10_CP11_FULL;
  __asm__ volatile("dsb\n\tisb" ::: "memory");

  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0u;

  for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();

  int code = main();
  report_status_and_exit(code, code == 0 ? "ok" : "main returned an error");
}

/* No interrupt is enabled, so any exception here is a fault: report it and stop. */
void Fault_Handler(void) { report_status_and_exit(TPW_RUN_FAULT, "fault exception"); }

typedef void (*vector_t)(void);

/* ARMv7-M: initial SP, then 15 system exceptions, then the device interrupts. */
__attribute__((section(".isr_vector"), used)) const vector_t tpw_vectors[16 + STM32L475_IRQ_COUNT] = {
    [0] = (vector_t)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2 ... 16 + STM32L475_IRQ_COUNT - 1] = Fault_Handler,
};
