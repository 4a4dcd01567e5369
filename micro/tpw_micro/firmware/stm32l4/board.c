/* Register-level board support; addresses and bit positions from RM0351. */
#include "board.h"

#define REG32(addr) (*(volatile uint32_t *)(addr))

/* FLASH */
#define FLASH_ACR REG32(0x40022000u)
#define FLASH_ACR_LATENCY_MASK 0x7u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

/* RCC */
#define RCC_BASE 0x40021000u
#define RCC_CR REG32(RCC_BASE + 0x00u)
#define RCC_CFGR REG32(RCC_BASE + 0x08u)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x0Cu)
#define RCC_AHB2ENR REG32(RCC_BASE + 0x4Cu)
#define RCC_APB2ENR REG32(RCC_BASE + 0x60u)
#define RCC_CR_MSIRDY (1u << 1)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_MASK 0x3u
#define RCC_CFGR_SW_PLL 0x3u
#define RCC_CFGR_SWS_SHIFT 2
#define RCC_PLLCFGR_PLLSRC_MSI 0x1u
#define RCC_PLLCFGR_PLLM_SHIFT 4   /* divider = PLLM + 1 */
#define RCC_PLLCFGR_PLLN_SHIFT 8
#define RCC_PLLCFGR_PLLREN (1u << 24)
#define RCC_PLLCFGR_PLLR_SHIFT 25  /* 0 -> /2 */
#define RCC_AHB2ENR_GPIOBEN (1u << 1)
#define RCC_APB2ENR_USART1EN (1u << 14)

/* GPIOB */
#define GPIOB_BASE 0x48000400u
#define GPIOB_MODER REG32(GPIOB_BASE + 0x00u)
#define GPIOB_AFRL REG32(GPIOB_BASE + 0x20u)

/* USART1 */
#define USART1_BASE 0x40013800u
#define USART1_CR1 REG32(USART1_BASE + 0x00u)
#define USART1_BRR REG32(USART1_BASE + 0x0Cu)
#define USART1_ISR REG32(USART1_BASE + 0x1Cu)
#define USART1_TDR REG32(USART1_BASE + 0x28u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_TC (1u << 6)
#define USART_ISR_TXE (1u << 7)

#define MSI_HZ 4000000u
#define PLL_N 40u                 /* VCO = 4 MHz * 40 = 160 MHz, R = /2 -> 80 MHz */
#define SYSCLK_PLL_HZ 80000000u
#define FLASH_LATENCY_80MHZ 4u    /* VOS range 1, 64 < HCLK <= 80 MHz */
#define UART_BAUD 115200u

/* Far longer than any real lock time (PLL lock < 40 us = 3200 loops at 80 MHz); a
 * simulator that does not model a flag ends the wait instead of hanging the run. */
#define READY_WAIT_LOOPS 100000u

#define FLASH_ACR_READBACKS 16u

static int wait_set_bounded(volatile uint32_t *reg, uint32_t mask, uint32_t value, uint32_t loops) {
  for (uint32_t i = 0; i < loops; ++i) {
    if ((*reg & mask) == value) return 1;
  }
  return 0;
}

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t value) {
  return wait_set_bounded(reg, mask, value, READY_WAIT_LOOPS);
}

uint32_t board_clock_init(void) {
  if (!wait_set(&RCC_CR, RCC_CR_MSIRDY, RCC_CR_MSIRDY)) return MSI_HZ;

  /* Wait states go up before the clock does (RM0351 3.3.3). */
  FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | FLASH_LATENCY_80MHZ |
              FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
  /* On silicon the new latency reads back at once. QEMU 10 does not model the flash
   * interface (FLASH_ACR reads 0), so a short wait that ends unconfirmed is not an
   * error: the write itself cannot fail on a real part. */
  wait_set_bounded(&FLASH_ACR, FLASH_ACR_LATENCY_MASK, FLASH_LATENCY_80MHZ, FLASH_ACR_READBACKS);

  RCC_CR &= ~RCC_CR_PLLON;
  if (!wait_set(&RCC_CR, RCC_CR_PLLRDY, 0)) return MSI_HZ;
  RCC_PLLCFGR = RCC_PLLCFGR_PLLSRC_MSI | (0u << RCC_PLLCFGR_PLLM_SHIFT) |
                (PLL_N << RCC_PLLCFGR_PLLN_SHIFT) | (0u << RCC_PLLCFGR_PLLR_SHIFT);
  RCC_CR |= RCC_CR_PLLON;
  if (!wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) return MSI_HZ;
  RCC_PLLCFGR |= RCC_PLLCFGR_PLLREN;

  RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
  if (!wait_set(&RCC_CFGR, RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT,
                RCC_CFGR_SW_PLL << RCC_CFGR_SWS_SHIFT)) {
    return MSI_HZ;
  }
  return SYSCLK_PLL_HZ;
}

void board_uart_init(uint32_t sysclk_hz) {
  RCC_AHB2ENR |= RCC_AHB2ENR_GPIOBEN;
  RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
  (void)RCC_APB2ENR; /* read back: the clock is on before the first register write */

  /* PB6, PB7: alternate function 7 (USART1). */
  GPIOB_MODER = (GPIOB_MODER & ~((3u << 12) | (3u << 14))) | (2u << 12) | (2u << 14);
  GPIOB_AFRL = (GPIOB_AFRL & ~((0xFu << 24) | (0xFu << 28))) | (7u << 24) | (7u << 28);

  USART1_BRR = (sysclk_hz + UART_BAUD / 2) / UART_BAUD;
  USART1_CR1 = USART_CR1_TE | USART_CR1_UE;
}

void board_uart_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    wait_set(&USART1_ISR, USART_ISR_TXE, USART_ISR_TXE);
    USART1_TDR = (uint8_t)data[i];
  }
  wait_set(&USART1_ISR, USART_ISR_TC, USART_ISR_TC);
}

#define SEMIHOSTING_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

void board_exit(int code) {
  /* SYS_EXIT_EXTENDED takes a two-word block: reason, then the exit status. */
  volatile uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
  register uint32_t r0 __asm__("r0") = SEMIHOSTING_SYS_EXIT_EXTENDED;
  register volatile uint32_t *r1 __asm__("r1") = block;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
    __asm__ volatile("wfi");
  }
}
