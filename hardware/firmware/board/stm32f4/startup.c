/* Minimal Cortex-M4F start-up for the STM32F411: vector table, .data/.bss init, FPU on, then main(). */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);
void USART2_IRQHandler(void);

void Default_Handler(void) {
  for (;;) {
  }
}

/* Cortex-M core exceptions (16) then STM32F411 IRQs; USART2 is IRQ 38. */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 39])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
    [16 ... 16 + 37] = Default_Handler,
    [16 + 38] = USART2_IRQHandler,
};

void Reset_Handler(void) {
  uint32_t *src = &_sidata, *dst;
  for (dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  /* CPACR: full access to CP10/CP11 (the FPU) before any float instruction runs. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n isb");
  main();
  for (;;) {
  }
}
